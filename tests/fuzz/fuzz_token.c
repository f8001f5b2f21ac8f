/* libFuzzer target: ta_token_verify and ta_token_decode_unverified, for both algorithms.
 *
 * Random bytes almost never carry a valid signature, so on raw input the fuzzer would only
 * ever exercise the shape and header checks. The first input byte therefore picks a mode:
 *
 *   mode 0  raw:     the rest is the token, verified as it is.
 *   mode 1  signed:  the rest is a JSON payload (or "HEADER\0PAYLOAD"); the harness encodes it
 *                    and signs it properly, so every claim check after the signature is reached.
 *   mode 2  resign:  the rest is "header.payload" in base64url as the attacker wrote it; the
 *                    harness appends the right signature, so the strict decoding and JSON
 *                    parsing of signed parts is reached with malformed encodings too.
 *   mode 3  confuse: the rest is a payload under {"alg":"HS256",...,"kid":"fuzz-ed"}, MACed with
 *                    the EdDSA key's public key as the HMAC secret (the classic algorithm
 *                    confusion): never accepted, always bad_alg.
 *
 * Bits 2-3 of the first byte pick the key that signs (modes 1 and 2): the EdDSA key (which
 * also signs new tokens) or one of two HS256 keys.
 * Invariants checked: the status is one ta_token_verify may return and has a name; the claims
 * are zeroed on refusal; on acceptance they are sane (sub, kind, scope, times, jti, kid),
 * ta_token_check_request honours the scope and method, and they survive a round trip through
 * ta_token_issue, whose payload the exact JSON path (the helper's, without jansson) reads; the
 * key set as the helper loads it (PRIVATE) and as Apache does (PUBLIC) give the same answer;
 * Apache's cannot issue; a properly signed token is never refused for its shape, header, key
 * or signature; decode_unverified returns exactly what was encoded. An accepted token's sid is
 * empty or the jti of a session, on a url token only, and survives the round trip. The verified-
 * token cache gives back exactly the claims put in (when they fit its text room) and nothing for
 * an earlier clock, another issuer or another key set. ta_token_names_our_key, which decides
 * whether a token is ours and is stripped from the request, agrees with a restatement (three
 * non-empty parts, at most TA_TOKEN_MAX_LEN bytes, a strict base64url header that jansson reads
 * as an object with unique keys whose "kid" is a string naming one of our keys) for both key
 * sets, and says 1 for every token whose header verify accepted. ta_token_verify_any_expiry
 * gives verify's answer, except that it accepts an expired token unless a later rule refuses. */
#include "ta_b64.h"
#include "fuzz.h"
#include "ta_jobject.h"
#include "ta_keys.h"
#include "ta_token.h"
#include "ta_tokencache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define ISSUER "tokenauth"
#define NOW 1700000000LL
#define INPUT_MAX 8192 /* the -max_len of `make fuzz`; larger reproducers are cut */

/* Test keys only: an EdDSA key first (it signs new tokens), and two HS256 keys, so rotation
 * (verify with a later key) is covered for both algorithms. */
static const char KEY_FILE[] = "# fuzz keys\n"
                               "fuzz-ed EdDSA nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n"
                               "fuzz-1 naW-MLlt94sDut2pDDpqqxhvHVzf3QLnopq7mhTBTNk\n"
                               "\n"
                               "fuzz-2 HS256 4ZjnhGuGFAIYENa4AGTG56sUiwyOXiRS1sUb7vJn3-I\n";

static ta_keyset *keys;   /* as the helper loads them */
static ta_keyset *pub;    /* as Apache loads them */
static ta_keyset *forger; /* one HS256 key whose secret is fuzz-ed's public key */

static ta_keyset *parse_or_die(const char *text, ta_keys_mode mode, size_t want)
{
    char err[256];
    ta_keyset *ks = NULL;

    if (ta_keys_parse(text, strlen(text), mode, &ks, err, sizeof(err)) != TA_KEYS_OK ||
        ta_keyset_count(ks) != want) {
        fprintf(stderr, "fuzz_token: key set: %s\n", err);
        abort();
    }
    return ks;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    unsigned char x[TA_ED25519_PUB_LEN];
    char line[128] = "x HS256 ";

    (void)argc;
    (void)argv;
    keys = parse_or_die(KEY_FILE, TA_KEYS_PRIVATE, 3);
    pub = parse_or_die(KEY_FILE, TA_KEYS_PUBLIC, 3);
    CHECK(ta_key_public(ta_keyset_at(keys, 0), x) == 0);
    ta_b64url_encode(x, sizeof(x), line + strlen(line));
    forger = parse_or_die(line, TA_KEYS_PRIVATE, 1);
    return 0;
}

/* Append base64url(data) to out at *pos; out has room (callers size it). */
static void put_b64(char *out, size_t *pos, const void *data, size_t n)
{
    *pos += ta_b64url_encode(data, n, out + *pos);
}

/* Append "." and the signature of out[0..*pos) under k. */
static void put_sig(const ta_key *k, char *out, size_t *pos)
{
    unsigned char sig[TA_SIG_MAX];
    size_t n = 0;

    CHECK(ta_key_sign(k, out, *pos, sig, &n) == 0);
    out[(*pos)++] = '.';
    put_b64(out, pos, sig, n);
}

/* The request rules on paths derived from the token's own scope: session tokens pass
 * everything; url/share tokens cover their scope (and what lies below a scope ending in '/')
 * for GET/HEAD only, and nothing next to it. */
static void check_request_rules(const ta_claims *c)
{
    static char path[TA_SCOPE_MAX + 8];
    size_t n = strlen(c->scope);

    if (c->kind == TA_KIND_SESSION) {
        CHECK(ta_token_check_request(c, "/", 0) == TA_TOKEN_OK);
        return;
    }
    CHECK(ta_token_check_request(c, c->scope, 1) == TA_TOKEN_OK);
    CHECK(ta_token_check_request(c, c->scope, 0) == TA_TOKEN_BAD_METHOD);
    memcpy(path, c->scope, n);
    memcpy(path + n, "x", 2); /* a sibling name, or a child of a folder scope */
    CHECK(ta_token_check_request(c, path, 1) ==
          (c->scope[n - 1] == '/' ? TA_TOKEN_OK : TA_TOKEN_OUT_OF_SCOPE));
    memcpy(path + n, "/x", 3); /* below a file scope: not covered */
    if (c->scope[n - 1] != '/')
        CHECK(ta_token_check_request(c, path, 1) == TA_TOKEN_OUT_OF_SCOPE);
    if (n > 1) { /* the parent or a prefix */
        path[n - 1] = '\0';
        CHECK(ta_token_check_request(c, path, 1) == TA_TOKEN_OUT_OF_SCOPE);
    }
}

/* An accepted token's claims must be what the rules promise. */
static void check_accepted(const ta_claims *c, const ta_key *signer)
{
    size_t jn = strlen(c->jti);

    CHECK(ta_sub_valid(c->sub));
    CHECK(c->uid <= 4294967294UL);
    CHECK(c->iat >= 0 && c->iat <= NOW + TA_IAT_LEEWAY);
    CHECK(c->exp > NOW && c->exp <= TA_TIME_MAX);
    CHECK(jn >= TA_JTI_MIN && jn <= TA_JTI_MAX);
    CHECK(ta_kind_name(c->kind) != NULL);
    if (c->kind == TA_KIND_SESSION)
        CHECK(c->scope[0] == '\0');
    else
        CHECK(ta_scope_valid(c->scope));
    CHECK(c->sid[0] == '\0' || (c->kind == TA_KIND_URL && ta_jti_valid(c->sid)));
    CHECK(ta_keyset_find(keys, c->kid, strlen(c->kid)) != NULL);
    if (signer)
        CHECK(strcmp(c->kid, ta_key_kid(signer)) == 0);
    check_request_rules(c);
}

/* The payload of an issued token is read by the exact JSON path alone. */
static void check_exact_path_reads(const char *tok)
{
    char *hdr = NULL, *pay = NULL;
    ta_jobject o;

    CHECK(ta_token_decode_unverified(tok, strlen(tok), &hdr, &pay) == 0);
    CHECK(ta_jobject_parse_fast(hdr, strlen(hdr), &o) == 1);
    CHECK(ta_jobject_parse_fast(pay, strlen(pay), &o) == 1);
    free(hdr);
    free(pay);
}

/* Whatever verify accepts, issue must be able to sign again (with the EdDSA key, which the
 * PUBLIC set cannot), and verify must accept that with the same claims. */
static void check_round_trip(const ta_claims *c)
{
    static char tok[TA_TOKEN_MAX_LEN + 1], none[TA_TOKEN_MAX_LEN + 1];
    ta_claims again;
    ta_token_status st = ta_token_issue(keys, ISSUER, c, tok, sizeof(tok));

    CHECK(ta_token_issue(pub, ISSUER, c, none, sizeof(none)) == TA_TOKEN_NO_SIGNING_KEY);
    CHECK(none[0] == '\0');
    if (st == TA_TOKEN_TOO_LONG)
        return; /* the original may have used a shorter header than ours */
    CHECK(st == TA_TOKEN_OK);
    CHECK(ta_token_verify(pub, ISSUER, tok, strlen(tok), NOW, &again) == TA_TOKEN_OK);
    CHECK(strcmp(again.kid, ta_key_kid(ta_keyset_at(keys, 0))) == 0);
    CHECK(strcmp(again.sub, c->sub) == 0 && again.uid == c->uid);
    CHECK(again.iat == c->iat && again.exp == c->exp && again.kind == c->kind);
    CHECK(strcmp(again.jti, c->jti) == 0 && strcmp(again.scope, c->scope) == 0);
    CHECK(strcmp(again.sid, c->sid) == 0);
    check_exact_path_reads(tok);
}

/* The cache gives back what verify said, for this key set, issuer and clock only. */
static void check_cache(const char *tok, size_t len, const ta_claims *c)
{
    size_t text =
        strlen(c->kid) + strlen(c->sub) + strlen(c->jti) + strlen(c->scope) + strlen(c->sid);
    ta_claims got;
    int hit;

    ta_tokencache_put(keys, ISSUER, tok, len, NOW, c);
    memset(&got, 0, sizeof(got));
    hit = ta_tokencache_get(keys, ISSUER, tok, len, NOW, &got);
    CHECK(hit == (text <= TA_TOKENCACHE_TEXT_MAX));
    if (hit) {
        CHECK(strcmp(got.kid, c->kid) == 0 && strcmp(got.sub, c->sub) == 0);
        CHECK(strcmp(got.jti, c->jti) == 0 && strcmp(got.scope, c->scope) == 0);
        CHECK(strcmp(got.sid, c->sid) == 0 && got.kind == c->kind && got.uid == c->uid);
        CHECK(got.iat == c->iat && got.exp == c->exp);
    }
    CHECK(ta_tokencache_get(keys, ISSUER, tok, len, NOW - 1, &got) == 0);
    CHECK(ta_tokencache_get(keys, "another-issuer", tok, len, NOW, &got) == 0);
    CHECK(ta_tokencache_get(pub, ISSUER, tok, len, NOW, &got) == 0);
}

/* ta_token_names_our_key, restated: the shape, a strict header, jansson's object, our kid. */
static int names_our_key_restated(const char *tok, size_t len)
{
    const char *d1 = memchr(tok, '.', len), *d2;
    unsigned char hdr[TA_TOKEN_MAX_LEN];
    size_t hlen = 0;
    json_t *o, *kid;
    int ours;

    if (len > TA_TOKEN_MAX_LEN || d1 == NULL)
        return 0;
    d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) || d1 == tok ||
        d2 == d1 + 1 || d2 + 1 == tok + len)
        return 0;
    if (ta_b64url_decode(tok, (size_t)(d1 - tok), hdr, sizeof(hdr), &hlen) != 0)
        return 0;
    o = json_loadb((const char *)hdr, hlen, JSON_REJECT_DUPLICATES, NULL);
    kid = json_is_object(o) && json_object_size(o) <= TA_JOBJECT_MAX ? json_object_get(o, "kid")
                                                                     : NULL;
    ours = json_is_string(kid) &&
           ta_keyset_find(keys, json_string_value(kid), json_string_length(kid)) != NULL;
    json_decref(o);
    return ours;
}

/* Whether the token is ours, by both key sets, against the restatement and verify's status. */
static void check_names_our_key(const char *tok, size_t len, ta_token_status st)
{
    int ours = ta_token_names_our_key(keys, tok, len);

    CHECK(ours == 0 || ours == 1);
    CHECK(ta_token_names_our_key(pub, tok, len) == ours);
    CHECK(ours == names_our_key_restated(tok, len));
    if (st == TA_TOKEN_OK || st == TA_TOKEN_BAD_MAC || st >= TA_TOKEN_BAD_PAYLOAD)
        CHECK(ours == 1); /* the header named one of our keys */
    if (st == TA_TOKEN_TOO_LONG || st == TA_TOKEN_MALFORMED || st == TA_TOKEN_UNKNOWN_KID)
        CHECK(ours == 0);
}

/* ta_token_verify_any_expiry agrees with ta_token_verify (status st, claims c): the same
 * answer and claims for every token but an expired one, which it accepts (expired set) unless
 * a rule checked after the expiry refuses it. */
static void check_any_expiry(const char *tok, size_t len, ta_token_status st, const ta_claims *c)
{
    ta_claims ca;
    int expired = -1;
    ta_token_status sa = ta_token_verify_any_expiry(pub, ISSUER, tok, len, NOW, &ca, &expired);

    if (st == TA_TOKEN_EXPIRED && sa == TA_TOKEN_OK) {
        CHECK(expired == 1 && ca.exp <= NOW && ca.sub[0] && ca.jti[0] && ca.kind != TA_KIND_NONE);
        return;
    }
    CHECK(expired == 0);
    if (st == TA_TOKEN_EXPIRED)
        CHECK(sa == TA_TOKEN_FUTURE_IAT || sa == TA_TOKEN_BAD_JTI || sa == TA_TOKEN_BAD_KIND ||
              sa == TA_TOKEN_BAD_SCOPE);
    else
        CHECK(sa == st && memcmp(&ca, c, sizeof(ca)) == 0);
    if (sa != TA_TOKEN_OK)
        CHECK(all_zero(&ca, sizeof(ca)));
}

/* Verify tok[0..len) from a heap copy of exactly len bytes, so any over-read is caught; the
 * PUBLIC key set must say the same as the PRIVATE one. */
static ta_token_status verify(const char *tok, size_t len, const ta_key *signer)
{
    char *copy = malloc(len ? len : 1);
    char *hdr = NULL, *pay = NULL;
    ta_claims c, cp;
    ta_token_status st;
    int dec;

    CHECK(copy != NULL);
    memcpy(copy, tok, len);
    st = ta_token_verify(keys, ISSUER, copy, len, NOW, &c);
    CHECK(ta_token_verify(pub, ISSUER, copy, len, NOW, &cp) == st);
    CHECK(memcmp(&c, &cp, sizeof(c)) == 0);
    CHECK(st < TA_TOKEN_REPEATED && st != TA_TOKEN_NO_SIGNING_KEY); /* token-level statuses */
    CHECK(strcmp(ta_token_status_name(st), "unknown") != 0);
    check_names_our_key(copy, len, st);
    check_any_expiry(copy, len, st, &c);
    if (st == TA_TOKEN_OK) {
        check_accepted(&c, signer);
        check_round_trip(&c);
        check_cache(copy, len, &c);
    }
    else {
        CHECK(all_zero(&c, sizeof(c)));
    }

    dec = ta_token_decode_unverified(copy, len, &hdr, &pay);
    if (dec == 0)
        CHECK(hdr != NULL && pay != NULL);
    else
        CHECK(hdr == NULL && pay == NULL);
    /* Claims were read, so both parts decoded. */
    if (st == TA_TOKEN_OK || (st > TA_TOKEN_BAD_PAYLOAD && st < TA_TOKEN_NO_MEMORY))
        CHECK(dec == 0);
    free(hdr);
    free(pay);
    free(copy);
    return st;
}

/* Mode 1: encode and sign the given header (or ours) and payload. */
static void fuzz_signed(const ta_key *k, const uint8_t *data, size_t size)
{
    static char tok[2 * INPUT_MAX];
    char defhdr[128];
    const uint8_t *nul = memchr(data, '\0', size);
    const uint8_t *h, *p;
    size_t hlen, plen, pos = 0;
    ta_token_status st;
    char *dh = NULL, *dp = NULL;

    if (nul) {
        h = data;
        hlen = (size_t)(nul - data);
        p = nul + 1;
        plen = size - hlen - 1;
    }
    else {
        hlen = (size_t)snprintf(defhdr, sizeof(defhdr),
                                "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                                ta_alg_name(ta_key_alg(k)), ta_key_kid(k));
        h = (const uint8_t *)defhdr;
        p = data;
        plen = size;
    }
    put_b64(tok, &pos, h, hlen);
    tok[pos++] = '.';
    put_b64(tok, &pos, p, plen);
    put_sig(k, tok, &pos);
    st = verify(tok, pos, k);

    /* Our own header over any payload: never refused before the payload is looked at. */
    if (!nul && pos <= TA_TOKEN_MAX_LEN) {
        if (plen == 0)
            CHECK(st == TA_TOKEN_MALFORMED);
        else
            CHECK(st == TA_TOKEN_OK || st >= TA_TOKEN_BAD_PAYLOAD);
    }
    if (!nul && pos > TA_TOKEN_MAX_LEN)
        CHECK(st == TA_TOKEN_TOO_LONG);

    /* What was encoded decodes back byte for byte. */
    if (hlen && plen && pos <= TA_TOKEN_MAX_LEN) {
        CHECK(ta_token_decode_unverified(tok, pos, &dh, &dp) == 0);
        CHECK(memcmp(dh, h, hlen) == 0 && dh[hlen] == '\0');
        CHECK(memcmp(dp, p, plen) == 0 && dp[plen] == '\0');
        free(dh);
        free(dp);
    }
}

/* Mode 2: the given "header.payload" text with the right signature appended. */
static void fuzz_resign(const ta_key *k, const uint8_t *data, size_t size)
{
    static char tok[INPUT_MAX + 128];
    size_t pos = size;

    memcpy(tok, data, size);
    put_sig(k, tok, &pos);
    verify(tok, pos, k);
}

/* Mode 3: HS256 under the EdDSA key's kid, MACed with its public key: always bad_alg. */
static void fuzz_confuse(const uint8_t *data, size_t size)
{
    static const char h[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"fuzz-ed\"}";
    static char tok[2 * INPUT_MAX];
    size_t pos = 0;
    ta_token_status st;

    put_b64(tok, &pos, h, sizeof(h) - 1);
    tok[pos++] = '.';
    put_b64(tok, &pos, data, size);
    put_sig(ta_keyset_at(forger, 0), tok, &pos);
    st = verify(tok, pos, NULL);
    CHECK(st == (pos > TA_TOKEN_MAX_LEN ? TA_TOKEN_TOO_LONG
                 : size == 0            ? TA_TOKEN_MALFORMED
                                        : TA_TOKEN_BAD_ALG));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ta_key *k;

    if (size == 0)
        return 0;
    if (size > INPUT_MAX)
        size = INPUT_MAX;
    k = ta_keyset_at(keys, ((data[0] >> 2) & 3) % 3);
    switch (data[0] & 3) {
    case 1:
        fuzz_signed(k, data + 1, size - 1);
        break;
    case 2:
        fuzz_resign(k, data + 1, size - 1);
        break;
    case 3:
        fuzz_confuse(data + 1, size - 1);
        break;
    default:
        verify((const char *)data + 1, size - 1, NULL);
        break;
    }
    return 0;
}
