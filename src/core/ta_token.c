/* JWS issue and verify, EdDSA (Ed25519) or HS256 by the key. The payload is parsed only after
 * its signature has been checked, so the JSON parser never sees bytes an attacker could not
 * have signed. */
#include "ta_token.h"
#include "ta_b64.h"
#include "ta_jobject.h"
#include "ta_user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

/* Decoded parts are at most 3/4 of the token. */
#define PART_BUF (TA_TOKEN_MAX_LEN / 4 * 3 + 3)

static const char *const status_names[TA_TOKEN_STATUS_COUNT] = {
    [TA_TOKEN_OK] = "ok",
    [TA_TOKEN_TOO_LONG] = "too_long",
    [TA_TOKEN_MALFORMED] = "malformed",
    [TA_TOKEN_BAD_HEADER] = "bad_header",
    [TA_TOKEN_BAD_ALG] = "bad_alg",
    [TA_TOKEN_UNKNOWN_KID] = "unknown_kid",
    [TA_TOKEN_BAD_MAC] = "bad_mac",
    [TA_TOKEN_BAD_PAYLOAD] = "bad_payload",
    [TA_TOKEN_BAD_ISSUER] = "bad_issuer",
    [TA_TOKEN_BAD_SUBJECT] = "bad_subject",
    [TA_TOKEN_BAD_UID] = "bad_uid",
    [TA_TOKEN_BAD_TIME] = "bad_time",
    [TA_TOKEN_EXPIRED] = "expired",
    [TA_TOKEN_FUTURE_IAT] = "future_iat",
    [TA_TOKEN_BAD_JTI] = "bad_jti",
    [TA_TOKEN_BAD_KIND] = "bad_kind",
    [TA_TOKEN_BAD_SCOPE] = "bad_scope",
    [TA_TOKEN_NO_MEMORY] = "no_memory",
    [TA_TOKEN_INTERNAL] = "internal",
    [TA_TOKEN_NO_SIGNING_KEY] = "no_signing_key",
    [TA_TOKEN_REPEATED] = "repeated",
    [TA_TOKEN_QUERY_SESSION] = "session_in_query",
    [TA_TOKEN_OUT_OF_SCOPE] = "out_of_scope",
    [TA_TOKEN_BAD_METHOD] = "bad_method",
    [TA_TOKEN_UNKNOWN_USER] = "unknown_user",
    [TA_TOKEN_UID_MISMATCH] = "uid_mismatch",
    [TA_TOKEN_SYSTEM_ACCOUNT] = "system_account",
    [TA_TOKEN_REVOKED] = "revoked",
};

const char *ta_token_status_name(ta_token_status st)
{
    if ((unsigned)st < TA_TOKEN_STATUS_COUNT && status_names[st])
        return status_names[st];
    return "unknown";
}

const char *ta_kind_name(ta_kind k)
{
    switch (k) {
    case TA_KIND_SESSION:
        return "session";
    case TA_KIND_URL:
        return "url";
    case TA_KIND_SHARE:
        return "share";
    default:
        return NULL;
    }
}

ta_kind ta_kind_parse(const char *s)
{
    if (s == NULL)
        return TA_KIND_NONE;
    if (strcmp(s, "session") == 0)
        return TA_KIND_SESSION;
    if (strcmp(s, "url") == 0)
        return TA_KIND_URL;
    if (strcmp(s, "share") == 0)
        return TA_KIND_SHARE;
    return TA_KIND_NONE;
}

int ta_sub_valid(const char *s)
{
    return ta_login_name_valid(s);
}

int ta_scope_valid(const char *s)
{
    size_t n = strlen(s);
    const char *seg;

    if (n == 0 || n > TA_SCOPE_MAX || s[0] != '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || ch == '?' || ch == '#' || ch == '\\')
            return 0;
    }
    /* Every segment between slashes must be a real name: no "", ".", "..". */
    seg = s + 1;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (!slash && len == 0)
            break; /* the scope ends in '/', a folder */
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!slash)
            break;
        seg = slash + 1;
    }
    return 1;
}

int ta_scope_covers(const char *scope, const char *path)
{
    size_t n = strlen(scope);

    if (n == 0)
        return 0;
    if (scope[n - 1] == '/')
        return strncmp(scope, path, n) == 0;
    return strcmp(scope, path) == 0;
}

int ta_jti_valid(const char *s)
{
    size_t n = strnlen(s, TA_JTI_MAX + 1);

    if (n < TA_JTI_MIN || n > TA_JTI_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.' || ch == '~'))
            return 0;
    }
    return 1;
}

int ta_scope_split(const char *scope, const char *path, size_t base, size_t *dir_len,
                   size_t *rest_at)
{
    const char *slash = strrchr(scope, '/');
    size_t end;

    if (scope[0] != '/' || !ta_scope_covers(scope, path) || base > strlen(path))
        return -1;
    /* path begins with the scope, so with the scope's directory too: path[0 .. end) */
    end = (size_t)(slash - scope) + 1;
    if (end <= base) { /* the root's URL lies in (or is) the scope's directory */
        *dir_len = 0;
        *rest_at = base;
        return 0;
    }
    if (path[base] == '/') /* a "//" in path, or a base on a '/': no relative name to open */
        return -1;
    *dir_len = end - 1 - base;
    *rest_at = end;
    return 0;
}

int ta_token_new_jti(char jti[TA_JTI_MAX + 1])
{
    unsigned char raw[16];
    char enc[TA_B64URL_BUFSIZE(sizeof(raw))];

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    ta_b64url_encode(raw, sizeof(raw), enc);
    memcpy(jti, enc, TA_JTI_MIN + 1);
    return 0;
}

/* Append the base64url encoding of data to out at *pos. */
static int append_b64(char *out, size_t outlen, size_t *pos, const void *data, size_t n)
{
    if (TA_B64URL_BUFSIZE(n) > outlen - *pos)
        return -1;
    *pos += ta_b64url_encode(data, n, out + *pos);
    return 0;
}

/* Append raw text (our own keys and punctuation, which need no escaping). */
static int put_raw(char *out, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (n > cap - *pos)
        return -1;
    memcpy(out + *pos, s, n);
    *pos += n;
    return 0;
}

/* Append ,"key":"value". */
static int put_string_member(char *out, size_t cap, size_t *pos, const char *key, const char *v)
{
    if (put_raw(out, cap, pos, ",\"") != 0 || put_raw(out, cap, pos, key) != 0 ||
        put_raw(out, cap, pos, "\":") != 0)
        return -1;
    return ta_json_put_string(out, cap, pos, v, strlen(v));
}

/* Append ,"key":v for a non-negative integer. */
static int put_int_member(char *out, size_t cap, size_t *pos, const char *key, long long v)
{
    char num[32];

    snprintf(num, sizeof(num), "%lld", v);
    if (put_raw(out, cap, pos, ",\"") != 0 || put_raw(out, cap, pos, key) != 0 ||
        put_raw(out, cap, pos, "\":") != 0)
        return -1;
    return put_raw(out, cap, pos, num);
}

/* The claims as compact JSON in a fixed order, written by hand so that issuing needs no JSON
 * library: every string goes through ta_json_put_string, which escapes '"', '\\' and control
 * characters (the claims were checked for well-formed UTF-8 before). -1 when out is full. */
static int write_claims(const char *issuer, const ta_claims *c, const char *jti, char *out,
                        size_t cap, size_t *len)
{
    size_t pos = 0;

    if (put_raw(out, cap, &pos, "{\"iss\":") != 0 ||
        ta_json_put_string(out, cap, &pos, issuer, strlen(issuer)) != 0 ||
        put_string_member(out, cap, &pos, "sub", c->sub) ||
        put_int_member(out, cap, &pos, "uid", (long long)c->uid) ||
        put_int_member(out, cap, &pos, "iat", c->iat) ||
        put_int_member(out, cap, &pos, "exp", c->exp) ||
        put_string_member(out, cap, &pos, "jti", jti) ||
        put_string_member(out, cap, &pos, "kind", ta_kind_name(c->kind)) ||
        (c->kind != TA_KIND_SESSION && put_string_member(out, cap, &pos, "scope", c->scope)) ||
        (c->sid[0] && put_string_member(out, cap, &pos, "sid", c->sid)) ||
        put_raw(out, cap, &pos, "}") != 0)
        return -1;
    *len = pos;
    return 0;
}

/* The rules a claim set must meet before we sign it. */
static ta_token_status check_issuable(const ta_key *k, const char *issuer, const ta_claims *c)
{
    if (k == NULL || ta_kind_name(c->kind) == NULL || !ta_sub_valid(c->sub) ||
        strlen(issuer) > TA_ISSUER_MAX || !ta_utf8_valid(issuer, strlen(issuer)) ||
        !ta_utf8_valid(c->jti, strnlen(c->jti, sizeof(c->jti))) || c->iat < 0 || c->exp < 0 ||
        c->iat > TA_TIME_MAX || c->exp > TA_TIME_MAX || c->uid > 4294967294UL)
        return TA_TOKEN_INTERNAL;
    if ((c->kind == TA_KIND_SESSION) != (c->scope[0] == '\0') ||
        (c->kind != TA_KIND_SESSION && !ta_scope_valid(c->scope)) ||
        !ta_utf8_valid(c->scope, strlen(c->scope))) /* JSON text is UTF-8 */
        return TA_TOKEN_BAD_SCOPE;
    if (c->sid[0] && (c->kind != TA_KIND_URL || !ta_jti_valid(c->sid)))
        return TA_TOKEN_INTERNAL;
    if (!ta_key_can_sign(k))
        return TA_TOKEN_NO_SIGNING_KEY;
    return TA_TOKEN_OK;
}

/* header "." payload "." signature into out, signed with k. */
static ta_token_status assemble(const ta_key *k, const char *json, size_t jlen, char *out,
                                size_t outlen)
{
    unsigned char sig[TA_SIG_MAX];
    size_t hlen, siglen = 0, pos;
    const char *hb64 = ta_key_header_b64(k, &hlen);

    if (outlen > TA_TOKEN_MAX_LEN + 1)
        outlen = TA_TOKEN_MAX_LEN + 1;
    if (hlen + 2 >= outlen)
        return TA_TOKEN_TOO_LONG;
    memcpy(out, hb64, hlen);
    pos = hlen;
    out[pos++] = '.';
    if (append_b64(out, outlen, &pos, json, jlen) != 0 || pos + 1 >= outlen)
        return TA_TOKEN_TOO_LONG;
    if (ta_key_sign(k, out, pos, sig, &siglen) != 0)
        return TA_TOKEN_INTERNAL;
    out[pos++] = '.';
    if (append_b64(out, outlen, &pos, sig, siglen) != 0)
        return TA_TOKEN_TOO_LONG;
    return TA_TOKEN_OK;
}

ta_token_status ta_token_issue(const ta_keyset *ks, const char *issuer, const ta_claims *c,
                               char *out, size_t outlen)
{
    const ta_key *k = ta_keyset_at(ks, 0);
    char jti[TA_JTI_MAX + 1];
    char json[TA_TOKEN_MAX_LEN]; /* a longer payload cannot fit a token anyway */
    size_t jlen = 0;
    ta_token_status rc;

    if (outlen)
        out[0] = '\0';
    if ((rc = check_issuable(k, issuer, c)) != TA_TOKEN_OK)
        return rc;
    if (c->jti[0])
        memcpy(jti, c->jti, sizeof(jti));
    else if (ta_token_new_jti(jti) != 0)
        return TA_TOKEN_INTERNAL;
    if (write_claims(issuer, c, jti, json, sizeof(json), &jlen) != 0)
        return TA_TOKEN_TOO_LONG;
    rc = outlen ? assemble(k, json, jlen, out, outlen) : TA_TOKEN_TOO_LONG;
    if (rc != TA_TOKEN_OK && outlen)
        out[0] = '\0';
    return rc;
}

/* The three dot-separated parts of a compact JWS. */
typedef struct {
    const char *h, *p, *s;
    size_t hlen, plen, slen;
} jws_parts;

/* Rule: three base64url parts, no padding, under 4 KiB. */
static ta_token_status check_shape(const char *t, size_t len, jws_parts *j)
{
    const char *d1, *d2;

    if (len > TA_TOKEN_MAX_LEN)
        return TA_TOKEN_TOO_LONG;
    d1 = memchr(t, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - t)) : NULL;
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - t)))
        return TA_TOKEN_MALFORMED;
    j->h = t;
    j->hlen = (size_t)(d1 - t);
    j->p = d1 + 1;
    j->plen = (size_t)(d2 - j->p);
    j->s = d2 + 1;
    j->slen = len - (size_t)(j->s - t);
    if (j->hlen == 0 || j->plen == 0 || j->slen == 0)
        return TA_TOKEN_MALFORMED;
    return TA_TOKEN_OK;
}

/* Decode one base64url part into buf and parse it as a JSON object with unique keys. */
static int decode_object(const char *part, size_t n, unsigned char *buf, ta_jobject *o)
{
    size_t blen;

    if (ta_b64url_decode(part, n, buf, PART_BUF, &blen) != 0)
        return -1;
    return ta_jobject_parse((const char *)buf, blen, o);
}

/* 1 when the member key is a string equal to want. */
static int string_is(const ta_jobject *o, const char *key, const char *want)
{
    const ta_jfield *f = ta_jobject_get(o, key);

    return f && f->type == TA_JV_STRING && f->slen == strlen(want) &&
           memcmp(f->str, want, f->slen) == 0;
}

/* Rule: header alg is a name we know (never "none", never another): the one it names. */
static ta_token_status check_alg(const ta_jobject *hdr, ta_alg *alg)
{
    const ta_jfield *f = ta_jobject_get(hdr, "alg");

    *alg = f && f->type == TA_JV_STRING ? ta_alg_parse(f->str, f->slen) : TA_ALG_NONE;
    return *alg != TA_ALG_NONE ? TA_TOKEN_OK : TA_TOKEN_BAD_ALG;
}

/* Rule: typ, when present, is "JWT"; no "crit" extensions we would have to understand. */
static ta_token_status check_header_fields(const ta_jobject *hdr)
{
    if (ta_jobject_get(hdr, "typ") && !string_is(hdr, "typ", "JWT"))
        return TA_TOKEN_BAD_HEADER;
    if (ta_jobject_get(hdr, "crit"))
        return TA_TOKEN_BAD_HEADER;
    return TA_TOKEN_OK;
}

/* Rules: kid names a key of the key file, and alg is exactly that key's algorithm, so that
 * an EdDSA public key is never used as an HMAC secret, nor an HMAC key as anything else. */
static ta_token_status find_key(const ta_keyset *ks, const ta_jobject *hdr, ta_alg alg,
                                const ta_key **key)
{
    const ta_jfield *kid = ta_jobject_get(hdr, "kid");

    if (kid == NULL || kid->type != TA_JV_STRING)
        return TA_TOKEN_BAD_HEADER;
    *key = ta_keyset_find(ks, kid->str, kid->slen);
    if (*key == NULL)
        return TA_TOKEN_UNKNOWN_KID;
    return ta_key_alg(*key) == alg ? TA_TOKEN_OK : TA_TOKEN_BAD_ALG;
}

/* Our own header for one of our keys, recognised byte for byte: it passes every header rule
 * by construction (its alg is the key's own), and nothing is parsed before the signature. */
static const ta_key *own_header(const ta_keyset *ks, const jws_parts *j)
{
    for (size_t i = 0; i < ta_keyset_count(ks); i++) {
        size_t hl;
        const char *hb = ta_key_header_b64(ta_keyset_at(ks, i), &hl);
        if (hl == j->hlen && memcmp(hb, j->h, hl) == 0)
            return ta_keyset_at(ks, i);
    }
    return NULL;
}

/* The header rules; any header but our own is decoded and checked rule by rule. */
static ta_token_status check_header(const ta_keyset *ks, const jws_parts *j, const ta_key **key)
{
    unsigned char buf[PART_BUF];
    ta_jobject hdr;
    ta_alg alg;
    ta_token_status rc;

    if ((*key = own_header(ks, j)) != NULL)
        return TA_TOKEN_OK;
    if (decode_object(j->h, j->hlen, buf, &hdr) != 0)
        return TA_TOKEN_BAD_HEADER;
    if ((rc = check_alg(&hdr, &alg)) == TA_TOKEN_OK &&
        (rc = check_header_fields(&hdr)) == TA_TOKEN_OK)
        rc = find_key(ks, &hdr, alg, key);
    ta_jobject_release(&hdr);
    return rc;
}

/* Rule: the signature over "header.payload" verifies under the key (an HMAC compared in
 * constant time). Its encoding must be exactly as long as the key's signatures. */
static ta_token_status check_signature(const ta_key *k, const char *t, const jws_parts *j)
{
    unsigned char got[TA_SIG_MAX + 3];
    size_t want = ta_key_sig_len(k), glen = 0;
    int r;

    if (j->slen != ta_b64url_encoded_len(want) ||
        ta_b64url_decode(j->s, j->slen, got, sizeof(got), &glen) != 0 || glen != want)
        return TA_TOKEN_BAD_MAC;
    r = ta_key_verify(k, t, j->hlen + 1 + j->plen, got, glen);
    return r == 1 ? TA_TOKEN_OK : r == 0 ? TA_TOKEN_BAD_MAC : TA_TOKEN_INTERNAL;
}

/* Rule: iss is a string equal to ours. */
static ta_token_status check_issuer(const ta_jobject *cl, const char *issuer)
{
    return string_is(cl, "iss", issuer) ? TA_TOKEN_OK : TA_TOKEN_BAD_ISSUER;
}

/* Copy a string member of at most max bytes, rejecting embedded NULs. */
static int copy_string_claim(const ta_jfield *f, char *dst, size_t max)
{
    if (f == NULL || f->type != TA_JV_STRING || f->slen > max || memchr(f->str, '\0', f->slen))
        return -1;
    memcpy(dst, f->str, f->slen);
    dst[f->slen] = '\0';
    return 0;
}

/* Rule: sub is a plausible username. */
static ta_token_status check_subject(const ta_jobject *cl, ta_claims *c)
{
    if (copy_string_claim(ta_jobject_get(cl, "sub"), c->sub, TA_SUB_MAX) != 0 ||
        !ta_sub_valid(c->sub))
        return TA_TOKEN_BAD_SUBJECT;
    return TA_TOKEN_OK;
}

/* An integer member in [0, max]; floats, strings and negatives are refused. */
static int get_bounded_int(const ta_jfield *f, long long max, long long *out)
{
    if (f == NULL || f->type != TA_JV_INT || f->num < 0 || f->num > max)
        return -1;
    *out = f->num;
    return 0;
}

/* Rule: uid is an integer that can be a uid (not the (uid_t)-1 sentinel). */
static ta_token_status check_uid(const ta_jobject *cl, ta_claims *c)
{
    long long uid;

    if (get_bounded_int(ta_jobject_get(cl, "uid"), 4294967294LL, &uid) != 0)
        return TA_TOKEN_BAD_UID;
    c->uid = (unsigned long)uid;
    return TA_TOKEN_OK;
}

/* Rules: iat and exp are integers in [0, 2^53]; exp is in the future (unless expired is not
 * NULL: then it is set instead); iat is at most 60 s ahead of our clock; an nbf, when
 * present, likewise. */
static ta_token_status check_times(const ta_jobject *cl, long long now, ta_claims *c, int *expired)
{
    const ta_jfield *nbf = ta_jobject_get(cl, "nbf");
    long long nb = 0;

    if (get_bounded_int(ta_jobject_get(cl, "iat"), TA_TIME_MAX, &c->iat) != 0 ||
        get_bounded_int(ta_jobject_get(cl, "exp"), TA_TIME_MAX, &c->exp) != 0)
        return TA_TOKEN_BAD_TIME;
    if (nbf && get_bounded_int(nbf, TA_TIME_MAX, &nb) != 0)
        return TA_TOKEN_BAD_TIME;
    if (c->exp <= now && expired == NULL)
        return TA_TOKEN_EXPIRED;
    if (expired)
        *expired = c->exp <= now;
    if (c->iat > now + TA_IAT_LEEWAY || (nbf && nb > now + TA_IAT_LEEWAY))
        return TA_TOKEN_FUTURE_IAT;
    return TA_TOKEN_OK;
}

/* Rule: jti carries at least 128 bits: 22..128 URL-safe characters. */
static ta_token_status check_jti(const ta_jobject *cl, ta_claims *c)
{
    if (copy_string_claim(ta_jobject_get(cl, "jti"), c->jti, TA_JTI_MAX) != 0 ||
        !ta_jti_valid(c->jti))
        return TA_TOKEN_BAD_JTI;
    return TA_TOKEN_OK;
}

/* Rule: sid, when present, is a jti and only on a url token (minted from that session). */
static ta_token_status check_sid(const ta_jobject *cl, ta_claims *c)
{
    const ta_jfield *f = ta_jobject_get(cl, "sid");

    if (f == NULL)
        return TA_TOKEN_OK;
    if (c->kind != TA_KIND_URL || copy_string_claim(f, c->sid, TA_JTI_MAX) != 0 ||
        !ta_jti_valid(c->sid))
        return TA_TOKEN_BAD_JTI;
    return TA_TOKEN_OK;
}

/* Rules: kind is session, url or share; url/share carry a clean scope, session none. */
static ta_token_status check_kind_scope(const ta_jobject *cl, ta_claims *c)
{
    const ta_jfield *scope = ta_jobject_get(cl, "scope");

    c->kind = string_is(cl, "kind", "session") ? TA_KIND_SESSION
              : string_is(cl, "kind", "url")   ? TA_KIND_URL
              : string_is(cl, "kind", "share") ? TA_KIND_SHARE
                                               : TA_KIND_NONE;
    if (c->kind == TA_KIND_NONE)
        return TA_TOKEN_BAD_KIND;
    if (c->kind == TA_KIND_SESSION)
        return scope ? TA_TOKEN_BAD_SCOPE : TA_TOKEN_OK;
    if (copy_string_claim(scope, c->scope, TA_SCOPE_MAX) != 0 || !ta_scope_valid(c->scope))
        return TA_TOKEN_BAD_SCOPE;
    return TA_TOKEN_OK;
}

/* The claim rules, in order. */
static ta_token_status check_claims(const ta_jobject *cl, const char *issuer, long long now,
                                    ta_claims *c, int *expired)
{
    ta_token_status rc;

    if ((rc = check_issuer(cl, issuer)) != TA_TOKEN_OK ||
        (rc = check_subject(cl, c)) != TA_TOKEN_OK || (rc = check_uid(cl, c)) != TA_TOKEN_OK ||
        (rc = check_times(cl, now, c, expired)) != TA_TOKEN_OK ||
        (rc = check_jti(cl, c)) != TA_TOKEN_OK || (rc = check_kind_scope(cl, c)) != TA_TOKEN_OK ||
        (rc = check_sid(cl, c)) != TA_TOKEN_OK)
        return rc;
    return TA_TOKEN_OK;
}

/* Every rule, in order; with expired not NULL, an expired token passes and says so there. */
static ta_token_status verify_token(const ta_keyset *ks, const char *issuer, const char *token,
                                    size_t len, long long now, ta_claims *c, int *expired)
{
    unsigned char buf[PART_BUF];
    jws_parts j;
    ta_jobject cl;
    const ta_key *key = NULL;
    ta_token_status rc;

    memset(c, 0, sizeof(*c));
    if ((rc = check_shape(token, len, &j)) != TA_TOKEN_OK ||
        (rc = check_header(ks, &j, &key)) != TA_TOKEN_OK ||
        (rc = check_signature(key, token, &j)) != TA_TOKEN_OK)
        return rc;
    if (decode_object(j.p, j.plen, buf, &cl) != 0)
        return TA_TOKEN_BAD_PAYLOAD;
    rc = check_claims(&cl, issuer, now, c, expired);
    ta_jobject_release(&cl);
    if (rc == TA_TOKEN_OK)
        memcpy(c->kid, ta_key_kid(key), strlen(ta_key_kid(key)) + 1);
    else
        memset(c, 0, sizeof(*c));
    return rc;
}

ta_token_status ta_token_verify(const ta_keyset *ks, const char *issuer, const char *token,
                                size_t len, long long now, ta_claims *c)
{
    return verify_token(ks, issuer, token, len, now, c, NULL);
}

ta_token_status ta_token_verify_any_expiry(const ta_keyset *ks, const char *issuer,
                                           const char *token, size_t len, long long now,
                                           ta_claims *c, int *expired)
{
    ta_token_status rc;

    *expired = 0;
    rc = verify_token(ks, issuer, token, len, now, c, expired);
    if (rc != TA_TOKEN_OK)
        *expired = 0;
    return rc;
}

int ta_token_names_our_key(const ta_keyset *ks, const char *token, size_t len)
{
    unsigned char buf[PART_BUF];
    jws_parts j;
    ta_jobject hdr;
    const ta_jfield *kid;
    int ours;

    if (ks == NULL || check_shape(token, len, &j) != TA_TOKEN_OK)
        return 0;
    if (own_header(ks, &j))
        return 1;
    if (decode_object(j.h, j.hlen, buf, &hdr) != 0)
        return 0;
    kid = ta_jobject_get(&hdr, "kid");
    ours = kid && kid->type == TA_JV_STRING && ta_keyset_find(ks, kid->str, kid->slen) != NULL;
    ta_jobject_release(&hdr);
    return ours;
}

ta_token_status ta_token_check_request(const ta_claims *c, const char *path, int is_get_or_head)
{
    if (c->kind == TA_KIND_SESSION)
        return TA_TOKEN_OK;
    if (!is_get_or_head)
        return TA_TOKEN_BAD_METHOD;
    if (!ta_scope_covers(c->scope, path))
        return TA_TOKEN_OUT_OF_SCOPE;
    return TA_TOKEN_OK;
}

/* Decode one part into a fresh NUL-terminated string. */
static char *decode_part(const char *part, size_t n)
{
    size_t blen = 0;
    char *buf = malloc(ta_b64url_decoded_max(n) + 1);

    if (buf == NULL)
        return NULL;
    if (ta_b64url_decode(part, n, (unsigned char *)buf, ta_b64url_decoded_max(n), &blen) != 0) {
        free(buf);
        return NULL;
    }
    buf[blen] = '\0';
    return buf;
}

int ta_token_decode_unverified(const char *token, size_t len, char **header, char **payload)
{
    jws_parts j;

    *header = *payload = NULL;
    if (check_shape(token, len, &j) != TA_TOKEN_OK)
        return -1;
    *header = decode_part(j.h, j.hlen);
    *payload = decode_part(j.p, j.plen);
    if (*header == NULL || *payload == NULL) {
        free(*header);
        free(*payload);
        *header = *payload = NULL;
        return -1;
    }
    return 0;
}
