/* Tokens (SPEC §3): compact JWS, HS256 and EdDSA. Each acceptance rule has a test that forges a
 * token correct in every other respect, correctly signed, so the rule alone refuses it. The
 * rules are written once for both algorithms (most tests use an HS256 key, which lets them
 * sign anything); the EdDSA section covers what differs: signatures, and the key's algorithm
 * being the only one its kid accepts. */
#include "unit.h"
#include "ta_jobject.h"
#include "ta_user.h"

#include <jansson.h>

#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"
#define JTI "AbCdEfGhIjKlMnOpQrSt-_" /* 22 characters: 128 bits and more */

static const char ABC[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static ta_keyset *ks;          /* one key, "k1", secret of seed 1 */
static char tok[UT_TOKEN_BUF]; /* the token under test */
static ta_claims claims;       /* what the last verify decoded */

/* --- fixtures --------------------------------------------------------------------------- */

/* The claims of a valid session token at UT_NOW. */
static json_t *session_claims(void)
{
    json_t *cl = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s}", "iss", UT_ISSUER, "sub", "alice",
                           "uid", (json_int_t)1000, "iat", (json_int_t)(UT_NOW - 10), "exp",
                           (json_int_t)(UT_NOW + 300), "jti", JTI, "kind", "session");

    assert_non_null(cl);
    return cl;
}

/* The claims of a valid url or share token for scope. */
static json_t *scoped_claims(const char *kind, const char *scope)
{
    json_t *cl = session_claims();

    json_object_set_new(cl, "kind", json_string(kind));
    json_object_set_new(cl, "scope", json_string(scope));
    return cl;
}

static json_t *with(json_t *cl, const char *key, json_t *value)
{
    assert_non_null(value);
    assert_int_equal(json_object_set_new(cl, key, value), 0);
    return cl;
}

static json_t *without(json_t *cl, const char *key)
{
    assert_int_equal(json_object_del(cl, key), 0);
    return cl;
}

/* The compact JSON text of cl, consumed; free() it. */
static char *text_of(json_t *cl)
{
    char *s = json_dumps(cl, JSON_COMPACT | JSON_PRESERVE_ORDER);

    assert_non_null(s);
    json_decref(cl);
    return s;
}

static ta_token_status verify_at(const char *t, long long now)
{
    return ta_token_verify(ks, UT_ISSUER, t, strlen(t), now, &claims);
}

static ta_token_status verify(const char *t)
{
    return verify_at(t, UT_NOW);
}

/* tok = header text and claims cl (consumed), signed under the right key. */
static void forge(const char *header, json_t *cl)
{
    char *p = text_of(cl);

    ut_forge(1, header, p, tok, sizeof(tok));
    free(p);
}

/* Verify the standard header with claims cl (consumed). */
static ta_token_status verify_claims(json_t *cl)
{
    forge(HDR, cl);
    return verify(tok);
}

/* Verify header text with valid session claims. */
static ta_token_status verify_header(const char *header)
{
    forge(header, session_claims());
    return verify(tok);
}

/* Verify the standard header with a raw payload text. */
static ta_token_status verify_payload_text(const char *payload)
{
    ut_forge(1, HDR, payload, tok, sizeof(tok));
    return verify(tok);
}

/* The text of claims cl (consumed) with raw members appended inside the object. */
static ta_token_status verify_text_plus(json_t *cl, const char *members)
{
    char *p = text_of(cl);
    char *q = malloc(strlen(p) + strlen(members) + 3);
    ta_token_status st;

    assert_non_null(q);
    p[strlen(p) - 1] = '\0'; /* drop '}' */
    sprintf(q, "%s%s%s}", p, strlen(p) > 1 ? "," : "", members);
    st = verify_payload_text(q);
    free(p);
    free(q);
    return st;
}

/* Valid session claims with extra members, written as raw JSON text. */
static ta_token_status verify_claims_plus(const char *members)
{
    return verify_text_plus(session_claims(), members);
}

/* Valid session claims where the member key has the raw JSON value raw. */
static ta_token_status verify_claims_raw(const char *key, const char *raw)
{
    char member[256];

    snprintf(member, sizeof(member), "\"%s\":%s", key, raw);
    return verify_text_plus(without(session_claims(), key), member);
}

/* Pointers to the parts of tok. */
static char *payload_part(void)
{
    return strchr(tok, '.') + 1;
}

static char *signature_part(void)
{
    return strrchr(tok, '.') + 1;
}

/* The unpadded base64url of text after trailing JSON blanks made its length 3k+1, so the
 * encoding ends in a partial group (two characters, four unused bits). */
static void encode_partial(const char *json, char *out)
{
    char buf[1024];

    assert_true(strlen(json) + 3 < sizeof(buf));
    strcpy(buf, json);
    while (strlen(buf) % 3 != 1)
        strcat(buf, " ");
    ut_b64url(buf, strlen(buf), out);
}

/* Set an unused low bit in the last character of a canonical encoding: the same bytes to a
 * lax decoder, a different string to a strict one. */
static void set_trailing_bit(char *enc)
{
    char *last = enc + strlen(enc) - 1;

    *last = ABC[(strchr(ABC, *last) - ABC) | 1];
}

/* tok = a valid session token whose part (0, 1, 2) contains c, found by varying a filler
 * claim. */
static void forge_with_char_in_part(int part, char c)
{
    char pad[512] = "";

    for (int k = 0; k < 150; k++) {
        char *start, *end;

        forge(HDR, with(session_claims(), "pad", json_string(pad)));
        start = part == 0 ? tok : part == 1 ? payload_part() : signature_part();
        end = part == 2 ? tok + strlen(tok) : strchr(start, '.');
        if (memchr(start, c, (size_t)(end - start)))
            return;
        strcat(pad, k % 4 == 0 ? "?" : k % 4 == 1 ? "~" : k % 4 == 2 ? "\x7f" : ">");
    }
    fail_msg("no token with '%c' in part %d", c, part);
}

/* tok = a valid token of exactly len characters, made so by filler in header and claims. */
static void forge_of_length(size_t len)
{
    static const char *const hdrs[] = {
        HDR,
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"x\":1}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"x\":12}",
    };
    char *pad = malloc(len);

    assert_non_null(pad);
    for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++) {
        for (size_t n = len * 3 / 4 - 300; n < len; n++) {
            memset(pad, 'a', n);
            pad[n] = '\0';
            forge(hdrs[h], with(session_claims(), "pad", json_string(pad)));
            if (strlen(tok) == len) {
                free(pad);
                return;
            }
            if (strlen(tok) > len)
                break;
        }
    }
    free(pad);
    fail_msg("cannot forge a token of %zu characters", len);
}

/* --- a valid token ---------------------------------------------------------------------- */

static void test_token_forged_valid_session_token_accepted(void **state)
{
    (void)state;
    assert_token_status(verify_claims(session_claims()), TA_TOKEN_OK);
    assert_string_equal(claims.kid, "k1");
    assert_string_equal(claims.sub, "alice");
    assert_int_equal(claims.uid, 1000);
    assert_int_equal(claims.iat, UT_NOW - 10);
    assert_int_equal(claims.exp, UT_NOW + 300);
    assert_string_equal(claims.jti, JTI);
    assert_int_equal(claims.kind, TA_KIND_SESSION);
    assert_string_equal(claims.scope, "");
}

static void test_token_forged_valid_url_token_accepted(void **state)
{
    (void)state;
    assert_token_status(verify_claims(scoped_claims("url", "/files/")), TA_TOKEN_OK);
    assert_int_equal(claims.kind, TA_KIND_URL);
    assert_string_equal(claims.scope, "/files/");
}

/* --- sid: a url token names the session that minted it ----------------------------------- */

static void test_token_issued_url_token_carries_its_sid(void **state)
{
    ta_claims in = {.uid = 1001, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_URL};

    (void)state;
    strcpy(in.sub, "bob");
    strcpy(in.scope, "/files/");
    strcpy(in.sid, JTI);
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify(tok), TA_TOKEN_OK);
    assert_string_equal(claims.sid, JTI);
    assert_string_not_equal(claims.jti, JTI); /* a fresh jti of its own */
}

/* Only a url token has a session to die with; a share lives its own life. */
static void test_token_sid_refused_on_other_kinds_and_when_malformed(void **state)
{
    ta_claims in = {.uid = 1001, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SHARE};

    (void)state;
    strcpy(in.sub, "bob");
    strcpy(in.scope, "/files/");
    strcpy(in.sid, JTI);
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_INTERNAL);
    assert_token_status(verify_claims(with(session_claims(), "sid", json_string(JTI))),
                        TA_TOKEN_BAD_JTI);
    assert_token_status(
        verify_claims(with(scoped_claims("share", "/files/"), "sid", json_string(JTI))),
        TA_TOKEN_BAD_JTI);
    assert_token_status(
        verify_claims(with(scoped_claims("url", "/files/"), "sid", json_string("short"))),
        TA_TOKEN_BAD_JTI);
    assert_token_status(
        verify_claims(with(scoped_claims("url", "/files/"), "sid", json_integer(7))),
        TA_TOKEN_BAD_JTI);
    assert_token_status(
        verify_claims(with(scoped_claims("url", "/files/"), "sid", json_string(JTI))), TA_TOKEN_OK);
    assert_string_equal(claims.sid, JTI);
}

/* Which bearer credentials are ours (and taken out of the request before other code runs). */
static void test_token_names_our_key(void **state)
{
    (void)state;
    assert_token_status(verify_claims(session_claims()), TA_TOKEN_OK);
    assert_true(ta_token_names_our_key(ks, tok, strlen(tok)));
    forge("{\"alg\":\"HS256\",\"kid\":\"k1\"}", session_claims()); /* not our exact bytes */
    assert_true(ta_token_names_our_key(ks, tok, strlen(tok)));
    forge("{\"alg\":\"HS256\",\"kid\":\"other\"}", session_claims());
    assert_false(ta_token_names_our_key(ks, tok, strlen(tok)));
    assert_false(ta_token_names_our_key(ks, "not-a-jws", 9));
    assert_false(ta_token_names_our_key(ks, "a.b.c", 5));
    assert_false(ta_token_names_our_key(NULL, tok, strlen(tok)));
}

static void test_token_issued_session_token_accepted_with_its_claims(void **state)
{
    ta_claims in = {.uid = 1001, .iat = UT_NOW, .exp = UT_NOW + 86400, .kind = TA_KIND_SESSION};

    (void)state;
    strcpy(in.sub, "bob");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify(tok), TA_TOKEN_OK);
    assert_string_equal(claims.kid, "k1");
    assert_string_equal(claims.sub, "bob");
    assert_int_equal(claims.uid, 1001);
    assert_int_equal(claims.iat, UT_NOW);
    assert_int_equal(claims.exp, UT_NOW + 86400);
    assert_int_equal(strlen(claims.jti), TA_JTI_MIN);
    assert_int_equal(claims.kind, TA_KIND_SESSION);
    assert_string_equal(claims.scope, "");
}

static void test_token_issued_share_token_accepted_with_its_scope(void **state)
{
    ta_claims in = {.uid = 1001, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SHARE};

    (void)state;
    strcpy(in.sub, "bob");
    strcpy(in.scope, "/files/holiday/cat.jpg");
    strcpy(in.jti, JTI);
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify(tok), TA_TOKEN_OK);
    assert_int_equal(claims.kind, TA_KIND_SHARE);
    assert_string_equal(claims.scope, "/files/holiday/cat.jpg");
    assert_string_equal(claims.jti, JTI);
}

/* A backend verifies with any JWT library: the header is the standard one and the signature
 * is plain HMAC-SHA256 of "header.payload" under the decoded secret. */
static void test_token_issued_token_is_standard_hs256_jws(void **state)
{
    ta_claims in = {.uid = 1001, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};
    char *header = NULL, *payload = NULL, resigned[UT_TOKEN_BUF];
    json_t *h;

    (void)state;
    strcpy(in.sub, "bob");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_int_equal(ta_token_decode_unverified(tok, strlen(tok), &header, &payload), 0);
    h = json_loads(header, 0, NULL);
    assert_non_null(h);
    assert_int_equal(json_object_size(h), 3);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "HS256");
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "k1");
    json_decref(h);
    *strrchr(tok, '.') = '\0';
    *strchr(tok, '.') = '\0';
    ut_sign_parts(1, tok, tok + strlen(tok) + 1, resigned, sizeof(resigned));
    tok[strlen(tok)] = '.';
    tok[strlen(tok)] = '.';
    assert_string_equal(resigned, tok);
    free(header);
    free(payload);
}

static void test_token_issue_gives_each_token_a_fresh_jti(void **state)
{
    ta_claims in = {.uid = 1, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};
    char first[TA_JTI_MAX + 1];

    (void)state;
    strcpy(in.sub, "bob");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify(tok), TA_TOKEN_OK);
    strcpy(first, claims.jti);
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify(tok), TA_TOKEN_OK);
    assert_string_not_equal(first, claims.jti);
}

static void test_token_issue_refuses_scope_on_session(void **state)
{
    ta_claims in = {.uid = 1, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};

    (void)state;
    strcpy(in.sub, "bob");
    strcpy(in.scope, "/files/");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_BAD_SCOPE);
}

static void test_token_issue_refuses_url_without_clean_scope(void **state)
{
    ta_claims in = {.uid = 1, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_URL};

    (void)state;
    strcpy(in.sub, "bob");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_BAD_SCOPE);
    strcpy(in.scope, "/files/../etc/");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_BAD_SCOPE);
}

static void test_token_issue_refuses_too_small_buffer(void **state)
{
    ta_claims in = {.uid = 1, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};
    char small[64];

    (void)state;
    strcpy(in.sub, "bob");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, small, sizeof(small)),
                        TA_TOKEN_TOO_LONG);
    assert_string_equal(small, "");
}

static void test_token_claims_are_cleared_when_refused(void **state)
{
    (void)state;
    assert_token_status(verify_claims(session_claims()), TA_TOKEN_OK);
    assert_token_status(verify_claims(with(session_claims(), "kind", json_string("admin"))),
                        TA_TOKEN_BAD_KIND);
    assert_string_equal(claims.sub, "");
    assert_int_equal(claims.uid, 0);
    assert_int_equal(claims.exp, 0);
}

/* --- shape: three base64url parts, no padding, under 4 KiB ------------------------------ */

static void test_token_refused_with_two_parts(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    *strrchr(tok, '.') = '\0';
    assert_token_status(verify(tok), TA_TOKEN_MALFORMED);
}

static void test_token_refused_with_four_parts(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    strcat(tok, ".e30");
    assert_token_status(verify(tok), TA_TOKEN_MALFORMED);
    forge(HDR, session_claims());
    strcat(tok, ".");
    assert_token_status(verify(tok), TA_TOKEN_MALFORMED);
}

static void test_token_refused_with_empty_header_part(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    memmove(tok, payload_part() - 1, strlen(payload_part() - 1) + 1);
    assert_token_status(verify(tok), TA_TOKEN_MALFORMED);
}

static void test_token_refused_with_empty_payload_part(void **state)
{
    char h[128];

    (void)state;
    ut_b64url(HDR, strlen(HDR), h);
    ut_sign_parts(1, h, "", tok, sizeof(tok));
    assert_token_status(verify(tok), TA_TOKEN_MALFORMED);
}

static void test_token_refused_with_empty_signature_part(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    signature_part()[0] = '\0';
    assert_token_status(verify(tok), TA_TOKEN_MALFORMED);
}

static void test_token_refused_when_empty_or_only_dots(void **state)
{
    (void)state;
    assert_token_status(verify(""), TA_TOKEN_MALFORMED);
    assert_token_status(verify(".."), TA_TOKEN_MALFORMED);
    assert_token_status(verify("abc"), TA_TOKEN_MALFORMED);
}

static void test_token_of_4095_characters_accepted(void **state)
{
    (void)state;
    forge_of_length(TA_TOKEN_MAX_LEN);
    assert_int_equal(strlen(tok), 4095);
    assert_token_status(verify(tok), TA_TOKEN_OK);
}

static void test_token_of_4096_characters_refused(void **state)
{
    (void)state;
    forge_of_length(TA_TOKEN_MAX_LEN + 1);
    assert_int_equal(strlen(tok), 4096);
    assert_token_status(verify(tok), TA_TOKEN_TOO_LONG);
}

static void test_token_refused_when_header_is_padded(void **state)
{
    char h[128], p[1024];
    char *cl = text_of(session_claims());

    (void)state;
    encode_partial(HDR, h);
    strcat(h, "==");
    ut_b64url(cl, strlen(cl), p);
    free(cl);
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    assert_token_status(verify(tok), TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_payload_is_padded(void **state)
{
    char h[128], p[1024];
    char *cl = text_of(session_claims());

    (void)state;
    ut_b64url(HDR, strlen(HDR), h);
    encode_partial(cl, p);
    strcat(p, "==");
    free(cl);
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    assert_token_status(verify(tok), TA_TOKEN_BAD_PAYLOAD);
}

static void test_token_refused_when_signature_is_padded(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    strcat(tok, "=");
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
}

/* Standard base64 '+' and '/' where base64url has '-' and '_': the same bytes to a lax
 * decoder, so the signature over these very characters would match. */
static void test_token_refused_when_payload_holds_plus(void **state)
{
    char h[128], *p;

    (void)state;
    forge_with_char_in_part(1, '-');
    p = strdup(payload_part());
    *strchr(p, '.') = '\0';
    *strchr(p, '-') = '+';
    ut_b64url(HDR, strlen(HDR), h);
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    free(p);
    assert_token_status(verify(tok), TA_TOKEN_BAD_PAYLOAD);
}

static void test_token_refused_when_payload_holds_slash(void **state)
{
    char h[128], *p;

    (void)state;
    forge_with_char_in_part(1, '_');
    p = strdup(payload_part());
    *strchr(p, '.') = '\0';
    *strchr(p, '_') = '/';
    ut_b64url(HDR, strlen(HDR), h);
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    free(p);
    assert_token_status(verify(tok), TA_TOKEN_BAD_PAYLOAD);
}

static void test_token_refused_when_signature_holds_plus(void **state)
{
    (void)state;
    forge_with_char_in_part(2, '-');
    *strchr(signature_part(), '-') = '+';
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
}

static void test_token_refused_when_a_part_holds_whitespace(void **state)
{
    char h[128], p[1024] = "    ";
    char *cl = text_of(session_claims());

    (void)state;
    ut_b64url(HDR, strlen(HDR), h);
    ut_b64url(cl, strlen(cl), p + 4);
    free(cl);
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    assert_token_status(verify(tok), TA_TOKEN_BAD_PAYLOAD);
}

/* Non-canonical base64url: nonzero unused bits in the last character. */
static void test_token_refused_when_header_encoding_is_not_canonical(void **state)
{
    char h[128], p[1024];
    char *cl = text_of(session_claims());

    (void)state;
    encode_partial(HDR, h);
    set_trailing_bit(h);
    ut_b64url(cl, strlen(cl), p);
    free(cl);
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    assert_token_status(verify(tok), TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_payload_encoding_is_not_canonical(void **state)
{
    char h[128], p[1024];
    char *cl = text_of(session_claims());

    (void)state;
    ut_b64url(HDR, strlen(HDR), h);
    encode_partial(cl, p);
    free(cl);
    /* the canonical form is accepted: only the trailing bit refuses */
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    assert_token_status(verify(tok), TA_TOKEN_OK);
    set_trailing_bit(p);
    ut_sign_parts(1, h, p, tok, sizeof(tok));
    assert_token_status(verify(tok), TA_TOKEN_BAD_PAYLOAD);
}

static void test_token_refused_when_signature_encoding_is_not_canonical(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    set_trailing_bit(signature_part());
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
}

/* --- header: alg exactly HS256, typ JWT, no crit, known kid ----------------------------- */

static void test_token_refused_when_alg_is_none(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
}

static void test_token_refused_when_alg_is_none_without_signature(void **state)
{
    (void)state;
    forge("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k1\"}", session_claims());
    signature_part()[0] = '\0';
    assert_token_status(verify(tok), TA_TOKEN_MALFORMED);
}

static void test_token_refused_when_alg_is_hs512(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
}

static void test_token_refused_when_alg_is_rs256(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
}

static void test_token_refused_when_alg_is_lowercase_hs256(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"hs256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
}

static void test_token_refused_when_alg_has_extra_characters(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"HS256 \",\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
    assert_token_status(verify_header("{\"alg\":\"HS2560\",\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
}

static void test_token_refused_when_alg_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"typ\":\"JWT\",\"kid\":\"k1\"}"), TA_TOKEN_BAD_ALG);
}

static void test_token_refused_when_alg_is_not_a_string(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":256,\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
    assert_token_status(verify_header("{\"alg\":[\"HS256\"],\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
    assert_token_status(verify_header("{\"alg\":null,\"typ\":\"JWT\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_ALG);
}

static void test_token_refused_when_typ_is_not_jwt(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JOSE\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_HEADER);
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_HEADER);
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":1,\"kid\":\"k1\"}"),
                        TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_crit_is_present(void **state)
{
    (void)state;
    assert_token_status(
        verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"crit\":[\"exp\"]}"),
        TA_TOKEN_BAD_HEADER);
    assert_token_status(
        verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"crit\":[]}"),
        TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_kid_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_kid_is_not_a_string(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":1}"),
                        TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_kid_is_unknown(void **state)
{
    (void)state;
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k9\"}"),
                        TA_TOKEN_UNKNOWN_KID);
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k\"}"),
                        TA_TOKEN_UNKNOWN_KID);
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k10\"}"),
                        TA_TOKEN_UNKNOWN_KID);
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"\"}"),
                        TA_TOKEN_UNKNOWN_KID);
}

/* --- the MAC ---------------------------------------------------------------------------- */

static void test_token_refused_when_payload_changed(void **state)
{
    char other[UT_TOKEN_BUF], *sig;

    (void)state;
    forge(HDR, with(session_claims(), "sub", json_string("root")));
    strcpy(other, tok);
    forge(HDR, session_claims());
    /* alice's signature on root's header.payload */
    sig = strdup(signature_part());
    strcpy(strrchr(other, '.') + 1, sig);
    free(sig);
    assert_token_status(verify(other), TA_TOKEN_BAD_MAC);
}

static void test_token_refused_when_header_changed(void **state)
{
    char other[UT_TOKEN_BUF], *sig;

    (void)state;
    forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"x\":1}", session_claims());
    strcpy(other, tok);
    forge(HDR, session_claims());
    sig = strdup(signature_part());
    strcpy(strrchr(other, '.') + 1, sig);
    free(sig);
    assert_token_status(verify(other), TA_TOKEN_BAD_MAC);
}

/* One character changed at the start, the middle and near the end: every MAC byte counts. */
static void test_token_refused_when_signature_changed(void **state)
{
    static const size_t at[] = {0, 10, 21, 30, 40};

    (void)state;
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        char *c;

        forge(HDR, session_claims());
        c = signature_part() + at[i];
        *c = *c == 'A' ? 'B' : 'A';
        assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
    }
}

static void test_token_refused_when_signature_truncated(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    tok[strlen(tok) - 1] = '\0';
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
    tok[strlen(tok) - 2] = '\0'; /* 40 characters: 30 whole bytes */
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
}

static void test_token_refused_when_signature_extended(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    strcat(tok, "AAAA");
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
}

/* Far longer than any MAC (but under 4 KiB in all): refused before it is decoded into a
 * MAC-sized buffer. */
static void test_token_refused_when_signature_is_much_longer_than_a_mac(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    while (strlen(tok) + 4 <= TA_TOKEN_MAX_LEN)
        strcat(tok, "AAAA");
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
}

static void test_token_refused_when_signed_with_another_secret(void **state)
{
    char *p = text_of(session_claims());

    (void)state;
    ut_forge(2, HDR, p, tok, sizeof(tok));
    free(p);
    assert_token_status(verify(tok), TA_TOKEN_BAD_MAC);
}

/* --- JSON: objects without duplicate keys ----------------------------------------------- */

static void test_token_refused_when_header_is_not_json(void **state)
{
    (void)state;
    assert_token_status(verify_header("alg=HS256"), TA_TOKEN_BAD_HEADER);
    assert_token_status(verify_header(HDR "x"), TA_TOKEN_BAD_HEADER);
    assert_token_status(verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\""),
                        TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_header_is_not_an_object(void **state)
{
    (void)state;
    assert_token_status(verify_header("[\"HS256\",\"JWT\",\"k1\"]"), TA_TOKEN_BAD_HEADER);
    assert_token_status(verify_header("\"HS256\""), TA_TOKEN_BAD_HEADER);
    assert_token_status(verify_header("null"), TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_header_has_duplicate_keys(void **state)
{
    (void)state;
    assert_token_status(
        verify_header("{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"),
        TA_TOKEN_BAD_HEADER);
    assert_token_status(
        verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k9\",\"kid\":\"k1\"}"),
        TA_TOKEN_BAD_HEADER);
}

static void test_token_refused_when_payload_is_not_json(void **state)
{
    char *p = text_of(session_claims());

    (void)state;
    assert_token_status(verify_payload_text("sub=alice"), TA_TOKEN_BAD_PAYLOAD);
    p[strlen(p) - 1] = '\0'; /* unterminated object */
    assert_token_status(verify_payload_text(p), TA_TOKEN_BAD_PAYLOAD);
    free(p);
}

static void test_token_refused_when_payload_has_trailing_bytes(void **state)
{
    char *p = text_of(session_claims());
    char buf[1024];

    (void)state;
    snprintf(buf, sizeof(buf), "%s{}", p);
    assert_token_status(verify_payload_text(buf), TA_TOKEN_BAD_PAYLOAD);
    free(p);
}

static void test_token_refused_when_payload_is_not_an_object(void **state)
{
    char *p = text_of(session_claims());
    char buf[1024];

    (void)state;
    snprintf(buf, sizeof(buf), "[%s]", p);
    assert_token_status(verify_payload_text(buf), TA_TOKEN_BAD_PAYLOAD);
    assert_token_status(verify_payload_text("\"alice\""), TA_TOKEN_BAD_PAYLOAD);
    assert_token_status(verify_payload_text("1700000300"), TA_TOKEN_BAD_PAYLOAD);
    free(p);
}

static void test_token_refused_when_payload_has_duplicate_keys(void **state)
{
    (void)state;
    assert_token_status(verify_claims_plus("\"sub\":\"root\""), TA_TOKEN_BAD_PAYLOAD);
    assert_token_status(verify_claims_plus("\"exp\":9999999999"), TA_TOKEN_BAD_PAYLOAD);
}

static void test_token_refused_when_nested_object_has_duplicate_keys(void **state)
{
    (void)state;
    assert_token_status(verify_claims_plus("\"ext\":{\"a\":1,\"a\":2}"), TA_TOKEN_BAD_PAYLOAD);
}

static void test_token_refused_when_claim_string_holds_nul(void **state)
{
    (void)state;
    assert_token_status(verify_claims_plus("\"note\":\"a\\u0000b\""), TA_TOKEN_BAD_PAYLOAD);
}

/* A key spelt with an escape is the same key: the duplicate is seen after decoding. */
static void test_token_refused_when_duplicate_key_is_spelt_with_an_escape(void **state)
{
    (void)state;
    assert_token_status(verify_claims_plus("\"s\\u0075b\":\"root\""), TA_TOKEN_BAD_PAYLOAD);
    assert_token_status(
        verify_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\",\"k\\u0069d\":\"k9\"}"),
        TA_TOKEN_BAD_HEADER);
}

/* Escaped strings decode to the same claims as plain ones. */
static void test_token_claims_with_escapes_decode_like_plain_ones(void **state)
{
    (void)state;
    assert_token_status(verify_claims_raw("sub", "\"al\\u0069ce\""), TA_TOKEN_OK);
    assert_string_equal(claims.sub, "alice");
    assert_token_status(
        verify_header("{\"alg\":\"HS\\u0032\\u00356\",\"typ\":\"JWT\",\"kid\":\"k\\u0031\"}"),
        TA_TOKEN_OK);
    assert_string_equal(claims.kid, "k1");
}

static void test_token_refused_when_number_is_not_plain_json(void **state)
{
    (void)state;
    assert_token_status(verify_claims_raw("exp", "01700000300"), TA_TOKEN_BAD_PAYLOAD);
    assert_token_status(verify_claims_raw("exp", "+1700000300"), TA_TOKEN_BAD_PAYLOAD);
    assert_token_status(verify_claims_raw("exp", "0x6553F2EC"), TA_TOKEN_BAD_PAYLOAD);
    assert_token_status(verify_claims_raw("exp", "1700000300x"), TA_TOKEN_BAD_PAYLOAD);
}

/* 32 members in all are read; more are refused rather than partly read. */
static void test_token_refused_when_claims_have_more_than_32_members(void **state)
{
    json_t *cl = session_claims();
    char key[16];

    (void)state;
    for (int i = 0; json_object_size(cl) < TA_JOBJECT_MAX; i++) {
        snprintf(key, sizeof(key), "x%d", i);
        json_object_set_new(cl, key, json_integer(i));
    }
    assert_token_status(verify_claims(json_deep_copy(cl)), TA_TOKEN_OK);
    json_object_set_new(cl, "one_more", json_integer(1));
    assert_token_status(verify_claims(cl), TA_TOKEN_BAD_PAYLOAD);
}

/* --- iss -------------------------------------------------------------------------------- */

static void test_token_refused_when_iss_is_wrong(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "iss", json_string("other"))),
                        TA_TOKEN_BAD_ISSUER);
    assert_token_status(verify_claims(with(session_claims(), "iss", json_string("tokenauthx"))),
                        TA_TOKEN_BAD_ISSUER);
    assert_token_status(verify_claims(with(session_claims(), "iss", json_string("tokenaut"))),
                        TA_TOKEN_BAD_ISSUER);
    assert_token_status(verify_claims(with(session_claims(), "iss", json_string(""))),
                        TA_TOKEN_BAD_ISSUER);
}

static void test_token_refused_by_a_site_with_another_issuer(void **state)
{
    (void)state;
    forge(HDR, session_claims());
    assert_token_status(ta_token_verify(ks, "site-b", tok, strlen(tok), UT_NOW, &claims),
                        TA_TOKEN_BAD_ISSUER);
}

static void test_token_refused_when_iss_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(session_claims(), "iss")), TA_TOKEN_BAD_ISSUER);
}

static void test_token_refused_when_iss_is_not_a_string(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "iss", json_integer(1))),
                        TA_TOKEN_BAD_ISSUER);
    assert_token_status(verify_claims(with(session_claims(), "iss", json_pack("[s]", UT_ISSUER))),
                        TA_TOKEN_BAD_ISSUER);
}

/* --- sub -------------------------------------------------------------------------------- */

static void test_token_refused_when_sub_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(session_claims(), "sub")), TA_TOKEN_BAD_SUBJECT);
}

static void test_token_refused_when_sub_is_not_a_username(void **state)
{
    static const char *const bad[] = {"",         "a/b",    "../root",      "a:b",     "a b",
                                      "al\tice",  "-alice", "\xc3\xa1lice", "alice\n", "al\x7f",
                                      "o\"brien", "a\\b",   "a+b",          "host$",   "a~b"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ta_token_status st = verify_claims(with(session_claims(), "sub", json_string(bad[i])));
        if (st != TA_TOKEN_BAD_SUBJECT)
            fail_msg("sub \"%s\": %s", bad[i], ta_token_status_name(st));
    }
}

static void test_token_refused_when_sub_is_not_a_string(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "sub", json_integer(1000))),
                        TA_TOKEN_BAD_SUBJECT);
}

/* The login name rule's length: 64 bytes. */
static void test_token_refused_when_sub_is_over_64_bytes(void **state)
{
    char sub[TA_LOGIN_NAME_MAX + 2];

    (void)state;
    memset(sub, 'a', TA_LOGIN_NAME_MAX);
    sub[TA_LOGIN_NAME_MAX] = '\0';
    assert_token_status(verify_claims(with(session_claims(), "sub", json_string(sub))),
                        TA_TOKEN_OK);
    strcat(sub, "a");
    assert_token_status(verify_claims(with(session_claims(), "sub", json_string(sub))),
                        TA_TOKEN_BAD_SUBJECT);
}

/* --- uid -------------------------------------------------------------------------------- */

static void test_token_refused_when_uid_is_negative(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "uid", json_integer(-1))),
                        TA_TOKEN_BAD_UID);
    assert_token_status(verify_claims_raw("uid", "-1000"), TA_TOKEN_BAD_UID);
}

static void test_token_refused_when_uid_is_a_string(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "uid", json_string("1000"))),
                        TA_TOKEN_BAD_UID);
}

static void test_token_refused_when_uid_is_a_float(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "uid", json_real(1000.0))),
                        TA_TOKEN_BAD_UID);
    assert_token_status(verify_claims_raw("uid", "1e3"), TA_TOKEN_BAD_UID);
    assert_token_status(verify_claims_raw("uid", "1000.5"), TA_TOKEN_BAD_UID);
}

static void test_token_refused_when_uid_is_not_a_number(void **state)
{
    (void)state;
    assert_token_status(verify_claims_raw("uid", "true"), TA_TOKEN_BAD_UID);
    assert_token_status(verify_claims_raw("uid", "null"), TA_TOKEN_BAD_UID);
}

static void test_token_refused_when_uid_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(session_claims(), "uid")), TA_TOKEN_BAD_UID);
}

/* (uid_t)-1 = 2^32-1 is the "no change" sentinel of setreuid and chown, never a user. */
static void test_token_refused_when_uid_is_above_2_pow_32_minus_2(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "uid", json_integer(4294967294LL))),
                        TA_TOKEN_OK);
    assert_int_equal(claims.uid, 4294967294UL);
    assert_token_status(verify_claims(with(session_claims(), "uid", json_integer(4294967295LL))),
                        TA_TOKEN_BAD_UID);
    assert_token_status(verify_claims(with(session_claims(), "uid", json_integer(1LL << 40))),
                        TA_TOKEN_BAD_UID);
}

/* --- iat and exp: integers in [0, 2^53] ------------------------------------------------- */

static void assert_time_claim_refused(const char *name, json_t *value)
{
    ta_token_status st = verify_claims(with(session_claims(), name, value));

    if (st != TA_TOKEN_BAD_TIME)
        fail_msg("%s: %s, expected bad_time", name, ta_token_status_name(st));
}

static void test_token_refused_when_iat_is_a_string(void **state)
{
    (void)state;
    assert_time_claim_refused("iat", json_string("1699999990"));
}

static void test_token_refused_when_exp_is_a_string(void **state)
{
    (void)state;
    assert_time_claim_refused("exp", json_string("1700000300"));
}

static void test_token_refused_when_iat_is_a_float(void **state)
{
    (void)state;
    assert_time_claim_refused("iat", json_real((double)(UT_NOW - 10)));
    assert_time_claim_refused("iat", json_real((double)UT_NOW - 9.5));
    assert_token_status(verify_claims_raw("iat", "1699999990.0"), TA_TOKEN_BAD_TIME);
    assert_token_status(verify_claims_raw("iat", "1.69999999e9"), TA_TOKEN_BAD_TIME);
    assert_token_status(verify_claims_raw("iat", "1699999990e0"), TA_TOKEN_BAD_TIME);
}

static void test_token_refused_when_exp_is_a_float(void **state)
{
    (void)state;
    assert_time_claim_refused("exp", json_real((double)(UT_NOW + 300)));
    assert_token_status(verify_claims_raw("exp", "1700000300.0"), TA_TOKEN_BAD_TIME);
    assert_token_status(verify_claims_raw("exp", "1.7000003E9"), TA_TOKEN_BAD_TIME);
}

static void test_token_refused_when_time_is_not_a_number(void **state)
{
    (void)state;
    assert_token_status(verify_claims_raw("exp", "true"), TA_TOKEN_BAD_TIME);
    assert_token_status(verify_claims_raw("exp", "null"), TA_TOKEN_BAD_TIME);
    assert_token_status(verify_claims_raw("exp", "[1700000300]"), TA_TOKEN_BAD_TIME);
    assert_token_status(verify_claims_raw("iat", "{\"t\":1699999990}"), TA_TOKEN_BAD_TIME);
}

/* Long integers are read exactly too (16 digits, up to 2^53, on the short-number path). */
static void test_token_accepted_with_16_digit_exp(void **state)
{
    (void)state;
    assert_token_status(verify_claims_raw("exp", "1000000000000000"), TA_TOKEN_OK);
    assert_int_equal(claims.exp, 1000000000000000LL);
    assert_token_status(verify_claims_raw("exp", "999999999999999"), TA_TOKEN_OK);
    assert_int_equal(claims.exp, 999999999999999LL);
}

static void test_token_refused_when_iat_is_negative(void **state)
{
    (void)state;
    assert_time_claim_refused("iat", json_integer(-1));
}

static void test_token_refused_when_exp_is_negative(void **state)
{
    (void)state;
    assert_time_claim_refused("exp", json_integer(-1));
}

static void test_token_refused_when_iat_is_above_2_pow_53(void **state)
{
    (void)state;
    assert_time_claim_refused("iat", json_integer(TA_TIME_MAX + 1));
}

static void test_token_refused_when_exp_is_above_2_pow_53(void **state)
{
    (void)state;
    assert_time_claim_refused("exp", json_integer(TA_TIME_MAX + 1));
    assert_time_claim_refused("exp", json_integer(INT64_MAX));
}

static void test_token_accepted_with_exp_of_2_pow_53(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "exp", json_integer(TA_TIME_MAX))),
                        TA_TOKEN_OK);
    assert_int_equal(claims.exp, TA_TIME_MAX);
}

static void test_token_refused_when_iat_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(session_claims(), "iat")), TA_TOKEN_BAD_TIME);
}

static void test_token_refused_when_exp_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(session_claims(), "exp")), TA_TOKEN_BAD_TIME);
}

static void test_token_refused_when_exp_is_in_the_past(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "exp", json_integer(UT_NOW - 1))),
                        TA_TOKEN_EXPIRED);
}

static void test_token_refused_when_exp_is_now(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "exp", json_integer(UT_NOW))),
                        TA_TOKEN_EXPIRED);
    assert_token_status(verify_claims(with(session_claims(), "exp", json_integer(UT_NOW + 1))),
                        TA_TOKEN_OK);
}

static void test_token_refused_after_its_lifetime(void **state)
{
    ta_claims in = {.uid = 1, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};

    (void)state;
    strcpy(in.sub, "bob");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify_at(tok, UT_NOW + 299), TA_TOKEN_OK);
    assert_token_status(verify_at(tok, UT_NOW + 300), TA_TOKEN_EXPIRED);
}

/* --- ta_token_verify_any_expiry: every rule but the expiry --------------------------- */

static ta_token_status verify_any_expiry(long long now, int *expired)
{
    *expired = -1;
    return ta_token_verify_any_expiry(ks, UT_ISSUER, tok, strlen(tok), now, &claims, expired);
}

static void test_any_expiry_accepts_an_expired_token_and_says_so(void **state)
{
    int expired;

    (void)state;
    forge(HDR, scoped_claims("share", "/files/a.txt"));
    assert_token_status(verify_any_expiry(UT_NOW + 300, &expired), TA_TOKEN_OK);
    assert_int_equal(expired, 1);
    assert_string_equal(claims.sub, "alice");
    assert_int_equal(claims.uid, 1000);
    assert_string_equal(claims.jti, JTI);
    assert_int_equal(claims.kind, TA_KIND_SHARE);
    assert_string_equal(claims.scope, "/files/a.txt");
    assert_token_status(verify_at(tok, UT_NOW + 300), TA_TOKEN_EXPIRED);
}

static void test_any_expiry_says_not_expired_for_a_live_token(void **state)
{
    int expired;

    (void)state;
    forge(HDR, scoped_claims("url", "/files/"));
    assert_token_status(verify_any_expiry(UT_NOW + 299, &expired), TA_TOKEN_OK);
    assert_int_equal(expired, 0);
    assert_int_equal(claims.exp, UT_NOW + 300);
}

static void test_any_expiry_still_refuses_a_bad_signature(void **state)
{
    int expired;

    (void)state;
    forge(HDR, scoped_claims("share", "/files/a.txt"));
    signature_part()[0] = signature_part()[0] == 'A' ? 'B' : 'A';
    assert_token_status(verify_any_expiry(UT_NOW + 300, &expired), TA_TOKEN_BAD_MAC);
    assert_int_equal(expired, 0);
    assert_string_equal(claims.sub, "");
}

static void test_any_expiry_still_refuses_every_other_rule(void **state)
{
    int expired;

    (void)state;
    forge(HDR, with(scoped_claims("share", "/f"), "iss", json_string("someone-else")));
    assert_token_status(verify_any_expiry(UT_NOW + 300, &expired), TA_TOKEN_BAD_ISSUER);
    forge(HDR, with(scoped_claims("share", "/f"), "iat", json_integer(UT_NOW + 61)));
    assert_token_status(verify_any_expiry(UT_NOW, &expired), TA_TOKEN_FUTURE_IAT);
    forge(HDR, with(scoped_claims("share", "/f"), "exp", json_string("1")));
    assert_token_status(verify_any_expiry(UT_NOW + 300, &expired), TA_TOKEN_BAD_TIME);
    forge(HDR, with(scoped_claims("share", "/f"), "jti", json_string("short")));
    assert_token_status(verify_any_expiry(UT_NOW + 300, &expired), TA_TOKEN_BAD_JTI);
    forge(HDR, without(scoped_claims("share", "/f"), "scope"));
    assert_token_status(verify_any_expiry(UT_NOW + 300, &expired), TA_TOKEN_BAD_SCOPE);
    forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"nope\"}", scoped_claims("share", "/f"));
    assert_token_status(verify_any_expiry(UT_NOW + 300, &expired), TA_TOKEN_UNKNOWN_KID);
    assert_int_equal(expired, 0);
}

static void test_token_refused_when_iat_is_61_seconds_in_the_future(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "iat", json_integer(UT_NOW + 61))),
                        TA_TOKEN_FUTURE_IAT);
}

static void test_token_accepted_when_iat_is_60_seconds_in_the_future(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "iat", json_integer(UT_NOW + 60))),
                        TA_TOKEN_OK);
}

/* nbf gets the same clock leeway as iat. */
static void test_token_refused_when_nbf_is_in_the_future(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "nbf", json_integer(UT_NOW + 61))),
                        TA_TOKEN_FUTURE_IAT);
    assert_token_status(verify_claims(with(session_claims(), "nbf", json_integer(UT_NOW + 3600))),
                        TA_TOKEN_FUTURE_IAT);
    assert_token_status(verify_claims(with(session_claims(), "nbf", json_integer(UT_NOW))),
                        TA_TOKEN_OK);
}

static void test_token_refused_when_nbf_is_not_an_integer(void **state)
{
    (void)state;
    assert_time_claim_refused("nbf", json_string("1700000000"));
    assert_time_claim_refused("nbf", json_real(1700000000.0));
    assert_time_claim_refused("nbf", json_integer(-1));
}

/* --- jti: at least 128 bits -------------------------------------------------------------- */

static void test_token_refused_when_jti_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(session_claims(), "jti")), TA_TOKEN_BAD_JTI);
}

static void test_token_refused_when_jti_is_shorter_than_22(void **state)
{
    (void)state;
    assert_token_status(
        verify_claims(with(session_claims(), "jti", json_string("AbCdEfGhIjKlMnOpQrStU"))),
        TA_TOKEN_BAD_JTI);
    assert_token_status(
        verify_claims(with(session_claims(), "jti", json_string("AbCdEfGhIjKlMnOpQrStUv"))),
        TA_TOKEN_OK);
}

static void test_token_refused_when_jti_is_longer_than_128(void **state)
{
    char jti[TA_JTI_MAX + 2];

    (void)state;
    memset(jti, 'j', TA_JTI_MAX);
    jti[TA_JTI_MAX] = '\0';
    assert_token_status(verify_claims(with(session_claims(), "jti", json_string(jti))),
                        TA_TOKEN_OK);
    strcat(jti, "j");
    assert_token_status(verify_claims(with(session_claims(), "jti", json_string(jti))),
                        TA_TOKEN_BAD_JTI);
}

static void test_token_refused_when_jti_has_bad_characters(void **state)
{
    static const char *const bad[] = {"AbCdEfGhIjKlMnOpQrSt/v",      "AbCdEfGhIjKlMnOpQrSt+v",
                                      "AbCdEfGhIjKlMnOpQrSt=v",      "AbCdEfGhIjKlMnOpQrSt v",
                                      "AbCdEfGhIjKlMnOpQrSt%v",      "AbCdEfGhIjKlMnOpQrSt:v",
                                      "AbCdEfGhIjKlMnOpQrSt\xc3\xa9"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ta_token_status st = verify_claims(with(session_claims(), "jti", json_string(bad[i])));
        if (st != TA_TOKEN_BAD_JTI)
            fail_msg("jti \"%s\": %s", bad[i], ta_token_status_name(st));
    }
}

static void test_token_refused_when_jti_is_not_a_string(void **state)
{
    (void)state;
    assert_token_status(
        verify_claims(with(session_claims(), "jti", json_integer(12345678901234567LL))),
        TA_TOKEN_BAD_JTI);
}

/* --- kind and scope --------------------------------------------------------------------- */

static void test_token_refused_when_kind_is_unknown(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "kind", json_string("admin"))),
                        TA_TOKEN_BAD_KIND);
    assert_token_status(verify_claims(with(session_claims(), "kind", json_string("Session"))),
                        TA_TOKEN_BAD_KIND);
    assert_token_status(verify_claims(with(session_claims(), "kind", json_string(""))),
                        TA_TOKEN_BAD_KIND);
}

static void test_token_refused_when_kind_is_missing(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(session_claims(), "kind")), TA_TOKEN_BAD_KIND);
}

static void test_token_refused_when_kind_is_not_a_string(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "kind", json_integer(1))),
                        TA_TOKEN_BAD_KIND);
}

static void test_token_refused_when_url_token_has_no_scope(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(scoped_claims("url", "/files/"), "scope")),
                        TA_TOKEN_BAD_SCOPE);
}

static void test_token_refused_when_share_token_has_no_scope(void **state)
{
    (void)state;
    assert_token_status(verify_claims(without(scoped_claims("share", "/files/a.jpg"), "scope")),
                        TA_TOKEN_BAD_SCOPE);
}

static void test_token_refused_when_session_token_has_a_scope(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(session_claims(), "scope", json_string("/files/"))),
                        TA_TOKEN_BAD_SCOPE);
    assert_token_status(verify_claims(with(session_claims(), "scope", json_null())),
                        TA_TOKEN_BAD_SCOPE);
}

static void assert_scope_refused(const char *scope)
{
    ta_token_status st = verify_claims(scoped_claims("url", scope));

    if (st != TA_TOKEN_BAD_SCOPE)
        fail_msg("scope \"%s\": %s, expected bad_scope", scope, ta_token_status_name(st));
    st = verify_claims(scoped_claims("share", scope));
    if (st != TA_TOKEN_BAD_SCOPE)
        fail_msg("share scope \"%s\": %s, expected bad_scope", scope, ta_token_status_name(st));
}

static void test_token_refused_when_scope_is_not_absolute(void **state)
{
    (void)state;
    assert_scope_refused("files/a.jpg");
    assert_scope_refused("");
    assert_scope_refused("https://host/files/");
}

static void test_token_refused_when_scope_has_dot_dot(void **state)
{
    (void)state;
    assert_scope_refused("/files/../etc/passwd");
    assert_scope_refused("/files/..");
    assert_scope_refused("/../");
}

static void test_token_refused_when_scope_has_dot_segment(void **state)
{
    (void)state;
    assert_scope_refused("/files/./a.jpg");
    assert_scope_refused("/files/.");
}

static void test_token_refused_when_scope_has_double_slash(void **state)
{
    (void)state;
    assert_scope_refused("/files//a.jpg");
    assert_scope_refused("//evil.example/");
    assert_scope_refused("/files//");
}

static void test_token_refused_when_scope_has_query_or_fragment(void **state)
{
    (void)state;
    assert_scope_refused("/files/a.jpg?x=1");
    assert_scope_refused("/files/?");
    assert_scope_refused("/files/a.jpg#top");
}

static void test_token_refused_when_scope_has_backslash_or_control(void **state)
{
    (void)state;
    assert_scope_refused("/files\\..\\etc");
    assert_scope_refused("/files/a\n.jpg");
    assert_scope_refused("/files/a\x7f");
}

static void test_token_refused_when_scope_is_not_a_string(void **state)
{
    (void)state;
    assert_token_status(verify_claims(with(scoped_claims("url", "/"), "scope", json_integer(1))),
                        TA_TOKEN_BAD_SCOPE);
}

static void test_token_refused_when_scope_is_over_2048_bytes(void **state)
{
    char scope[TA_SCOPE_MAX + 2];

    (void)state;
    scope[0] = '/';
    memset(scope + 1, 'd', TA_SCOPE_MAX - 1);
    scope[TA_SCOPE_MAX] = '\0';
    assert_token_status(verify_claims(scoped_claims("url", scope)), TA_TOKEN_OK);
    strcat(scope, "d");
    assert_token_status(verify_claims(scoped_claims("url", scope)), TA_TOKEN_BAD_SCOPE);
}

static void test_token_accepted_with_clean_scopes(void **state)
{
    static const char *const good[] = {"/", "/files/", "/files/a.jpg", "/files/.hidden/x",
                                       "/files/a..b"};

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ta_token_status st = verify_claims(scoped_claims("share", good[i]));
        if (st != TA_TOKEN_OK)
            fail_msg("scope \"%s\": %s", good[i], ta_token_status_name(st));
        assert_string_equal(claims.scope, good[i]);
    }
}

/* --- rotation: the first key signs, every key verifies ---------------------------------- */

/* "new" (seed 2) first, "old" (seed 1) second. */
static ta_keyset *rotated_keyset(void)
{
    char a[64], b[64], text[200];

    ut_secret_b64(2, UT_SECRET_LEN, a);
    ut_secret_b64(1, UT_SECRET_LEN, b);
    snprintf(text, sizeof(text), "new %s\nold %s\n", a, b);
    return ut_keyset_parse(text);
}

static void test_token_signed_by_second_key_verifies(void **state)
{
    ta_keyset *rot = rotated_keyset();

    (void)state;
    forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"old\"}", session_claims());
    assert_token_status(ta_token_verify(rot, UT_ISSUER, tok, strlen(tok), UT_NOW, &claims),
                        TA_TOKEN_OK);
    assert_string_equal(claims.kid, "old");
    ta_keyset_free(rot);
}

static void test_token_new_tokens_carry_first_key_kid(void **state)
{
    ta_keyset *rot = rotated_keyset();
    ta_claims in = {.uid = 1, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};
    char *header = NULL, *payload = NULL, resigned[UT_TOKEN_BUF], *sig;

    (void)state;
    strcpy(in.sub, "bob");
    assert_token_status(ta_token_issue(rot, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_int_equal(ta_token_decode_unverified(tok, strlen(tok), &header, &payload), 0);
    assert_non_null(strstr(header, "\"kid\":\"new\""));
    assert_token_status(ta_token_verify(rot, UT_ISSUER, tok, strlen(tok), UT_NOW, &claims),
                        TA_TOKEN_OK);
    assert_string_equal(claims.kid, "new");
    /* and the MAC is the first key's: re-sign the same parts with seed 2 */
    sig = signature_part();
    sig[-1] = '\0';
    *strchr(tok, '.') = '\0';
    ut_sign_parts(2, tok, tok + strlen(tok) + 1, resigned, sizeof(resigned));
    assert_string_equal(strrchr(resigned, '.') + 1, sig);
    free(header);
    free(payload);
    ta_keyset_free(rot);
}

static void test_token_refused_once_its_key_left_the_file(void **state)
{
    ta_keyset *only_new = ut_keyset_one("new", 2);

    (void)state;
    forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"old\"}", session_claims());
    assert_token_status(ta_token_verify(only_new, UT_ISSUER, tok, strlen(tok), UT_NOW, &claims),
                        TA_TOKEN_UNKNOWN_KID);
    ta_keyset_free(only_new);
}

/* --- EdDSA: Ed25519 tokens, and no algorithm confusion ------------------------------------ */

#define HDR_ED "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed\"}"
#define HDR_HS "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"hs\"}"

/* "ed" EdDSA (seed 2) first, "hs" HS256 (seed 1) second, loaded in mode. */
static ta_keyset *mixed_keyset(ta_keys_mode mode)
{
    char line[128], b64[64], text[300];

    ut_eddsa_line("ed", 2, line, sizeof(line));
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    snprintf(text, sizeof(text), "%shs %s\n", line, b64);
    return ut_keyset_parse_mode(text, mode);
}

static ta_token_status verify_with(const ta_keyset *set, const char *t)
{
    return ta_token_verify(set, UT_ISSUER, t, strlen(t), UT_NOW, &claims);
}

static ta_claims session_for(const char *sub)
{
    ta_claims c = {.uid = 1001, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};

    strcpy(c.sub, sub);
    return c;
}

/* Issued by the helper's (PRIVATE) key set, verified by Apache's (PUBLIC) one. */
static void test_token_eddsa_issued_token_verifies_with_the_public_key(void **state)
{
    ta_keyset *priv = mixed_keyset(TA_KEYS_PRIVATE), *pub = mixed_keyset(TA_KEYS_PUBLIC);
    ta_claims in = session_for("bob");

    (void)state;
    assert_token_status(ta_token_issue(priv, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify_with(pub, tok), TA_TOKEN_OK);
    assert_string_equal(claims.kid, "ed");
    assert_string_equal(claims.sub, "bob");
    assert_int_equal(claims.uid, 1001);
    assert_token_status(verify_with(priv, tok), TA_TOKEN_OK);
    ta_keyset_free(priv);
    ta_keyset_free(pub);
}

/* Any JWT library verifies it: the standard header, and an Ed25519 signature over
 * "header.payload" that OpenSSL checks with the public key alone. */
static void test_token_eddsa_issued_token_is_standard_eddsa_jws(void **state)
{
    ta_keyset *priv = mixed_keyset(TA_KEYS_PRIVATE);
    ta_claims in = session_for("bob");
    char *header = NULL, *payload = NULL, *sig;
    unsigned char raw[64 + 3], pub[32];
    size_t rawlen = 0;
    EVP_PKEY *k;
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    (void)state;
    assert_token_status(ta_token_issue(priv, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_int_equal(ta_token_decode_unverified(tok, strlen(tok), &header, &payload), 0);
    assert_string_equal(header, HDR_ED);
    sig = signature_part();
    assert_int_equal(strlen(sig), 86);
    assert_int_equal(ta_b64url_decode(sig, strlen(sig), raw, sizeof(raw), &rawlen), 0);
    ut_ed25519_public(2, pub);
    k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, sizeof(pub));
    assert_non_null(k);
    assert_int_equal(EVP_DigestVerifyInit(c, NULL, NULL, NULL, k), 1);
    assert_int_equal(
        EVP_DigestVerify(c, raw, rawlen, (const unsigned char *)tok, (size_t)(sig - 1 - tok)), 1);
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    free(header);
    free(payload);
    ta_keyset_free(priv);
}

/* Apache's key set holds no EdDSA private key: it cannot mint, and leaves nothing behind. */
static void test_token_eddsa_public_keyset_cannot_issue(void **state)
{
    ta_keyset *pub = mixed_keyset(TA_KEYS_PUBLIC);
    ta_claims in = session_for("bob");
    char out[TA_TOKEN_MAX_LEN + 1] = "stale";

    (void)state;
    assert_token_status(ta_token_issue(pub, UT_ISSUER, &in, out, sizeof(out)),
                        TA_TOKEN_NO_SIGNING_KEY);
    assert_string_equal(out, "");
    assert_string_equal(ta_token_status_name(TA_TOKEN_NO_SIGNING_KEY), "no_signing_key");
    ta_keyset_free(pub);
}

/* HS256 signs wherever it verifies: a PUBLIC key set whose first key is HS256 still issues. */
static void test_token_hs256_first_public_keyset_still_issues(void **state)
{
    char line[128], b64[64], text[300];
    ta_keyset *pub;
    ta_claims in = session_for("bob");

    (void)state;
    ut_eddsa_line("ed", 2, line, sizeof(line));
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    snprintf(text, sizeof(text), "hs %s\n%s", b64, line);
    pub = ut_keyset_parse_mode(text, TA_KEYS_PUBLIC);
    assert_token_status(ta_token_issue(pub, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(verify_with(pub, tok), TA_TOKEN_OK);
    assert_string_equal(claims.kid, "hs");
    ta_keyset_free(pub);
}

/* out = header.payload signed with HMAC-SHA256 under key[0..n): the classic confusion attack
 * signs with bytes the verifier knows, such as an EdDSA public key. */
static void forge_hmac_with(const unsigned char *key, size_t n, const char *header,
                            const char *payload)
{
    char h[256], p[1024];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    int len;

    ut_b64url(header, strlen(header), h);
    ut_b64url(payload, strlen(payload), p);
    len = snprintf(tok, sizeof(tok), "%s.%s", h, p);
    assert_non_null(
        HMAC(EVP_sha256(), key, (int)n, (const unsigned char *)tok, (size_t)len, mac, &maclen));
    tok[len] = '.';
    ut_b64url(mac, maclen, tok + len + 1);
}

typedef enum { BY_HMAC, BY_ED25519, BY_HMAC_OF_ED_PUBLIC } sign_how;

/* One row of the matrix: a header, how and with which seed it is signed, what verify says. */
typedef struct {
    const char *header;
    sign_how how;
    int seed;
    ta_token_status want;
} confusion_case;

static void forge_case(const confusion_case *k, const char *payload)
{
    unsigned char pub[32];

    if (k->how == BY_HMAC_OF_ED_PUBLIC) {
        ut_ed25519_public(k->seed, pub);
        forge_hmac_with(pub, sizeof(pub), k->header, payload);
    }
    else
        ut_forge_alg(k->how == BY_ED25519, k->seed, k->header, payload, tok, sizeof(tok));
}

/* The header alg must be exactly the algorithm of the key kid names: never HS256 with an
 * EdDSA key (its public key as an HMAC secret, or its seed), never EdDSA with an HS256 key,
 * never "none" or a spelling we do not issue. Key set: "ed" EdDSA (seed 2), "hs" HS256
 * (seed 1), loaded PUBLIC as Apache loads it. */
static void test_token_alg_confusion_matrix(void **state)
{
    static const confusion_case cases[] = {
        {HDR_ED, BY_ED25519, 2, TA_TOKEN_OK},
        {HDR_HS, BY_HMAC, 1, TA_TOKEN_OK},
        {"{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", BY_ED25519, 2, TA_TOKEN_OK},
        {"{\"kid\":\"ed\",\"typ\":\"JWT\",\"alg\":\"EdDSA\"}", BY_ED25519, 2, TA_TOKEN_OK},
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"ed\"}", BY_HMAC_OF_ED_PUBLIC, 2,
         TA_TOKEN_BAD_ALG},
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"ed\"}", BY_HMAC, 2, TA_TOKEN_BAD_ALG},
        {"{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"hs\"}", BY_ED25519, 1, TA_TOKEN_BAD_ALG},
        {"{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"hs\"}", BY_HMAC, 1, TA_TOKEN_BAD_ALG},
        {"{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"ed\"}", BY_ED25519, 2, TA_TOKEN_BAD_ALG},
        {"{\"alg\":\"Ed25519\",\"typ\":\"JWT\",\"kid\":\"ed\"}", BY_ED25519, 2, TA_TOKEN_BAD_ALG},
        {"{\"alg\":\"eddsa\",\"typ\":\"JWT\",\"kid\":\"ed\"}", BY_ED25519, 2, TA_TOKEN_BAD_ALG},
        {"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ed\"}", BY_ED25519, 2, TA_TOKEN_BAD_ALG},
        {HDR_ED, BY_ED25519, 3, TA_TOKEN_BAD_MAC}, /* another Ed25519 key */
        {HDR_ED, BY_HMAC, 2, TA_TOKEN_BAD_MAC},    /* a 32-byte "signature" */
        {HDR_HS, BY_ED25519, 1, TA_TOKEN_BAD_MAC}, /* a 64-byte "MAC" */
        {"{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"nope\"}", BY_ED25519, 2,
         TA_TOKEN_UNKNOWN_KID},
        {"{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", BY_ED25519, 2, TA_TOKEN_BAD_HEADER},
    };
    ta_keyset *pub = mixed_keyset(TA_KEYS_PUBLIC);
    char *payload = text_of(session_claims());

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ta_token_status got;
        forge_case(&cases[i], payload);
        got = verify_with(pub, tok);
        if (got != cases[i].want)
            fail_msg("case %zu (%s, signer %d/%d): %s, expected %s", i, cases[i].header,
                     (int)cases[i].how, cases[i].seed, ta_token_status_name(got),
                     ta_token_status_name(cases[i].want));
    }
    free(payload);
    ta_keyset_free(pub);
}

static void test_token_eddsa_signature_changed_or_noncanonical_refused(void **state)
{
    ta_keyset *pub = mixed_keyset(TA_KEYS_PUBLIC);
    char *payload = text_of(session_claims()), *sig;

    (void)state;
    ut_forge_eddsa(2, HDR_ED, payload, tok, sizeof(tok));
    assert_token_status(verify_with(pub, tok), TA_TOKEN_OK);
    sig = signature_part();
    sig[5] = sig[5] == 'A' ? 'B' : 'A';
    assert_token_status(verify_with(pub, tok), TA_TOKEN_BAD_MAC);
    ut_forge_eddsa(2, HDR_ED, payload, tok, sizeof(tok));
    set_trailing_bit(signature_part()); /* 86 characters carry 4 unused bits */
    assert_token_status(verify_with(pub, tok), TA_TOKEN_BAD_MAC);
    ut_forge_eddsa(2, HDR_ED, payload, tok, sizeof(tok));
    tok[strlen(tok) - 1] = '\0';
    assert_token_status(verify_with(pub, tok), TA_TOKEN_BAD_MAC);
    free(payload);
    ta_keyset_free(pub);
}

/* Every claim string goes through our own writer: quotes, backslashes, control characters
 * and UTF-8 come back exactly, with either algorithm, and the exact JSON path (the one the
 * helper has without jansson) reads them. (A sub keeps the login name rule, so the issuer and
 * the scope carry what needs escaping.) */
static void test_token_issued_claims_with_escapes_and_utf8_round_trip(void **state)
{
    static const char issuer[] = "site \"A\" \\ \x01\x1f\x7f caf\xc3\xa9";
    ta_keyset *sets[2] = {mixed_keyset(TA_KEYS_PRIVATE), ut_keyset_one("k1", 1)};
    ta_claims in = session_for("o.brien@example.org");
    char *header = NULL, *payload = NULL;
    ta_jobject o;

    (void)state;
    in.kind = TA_KIND_SHARE;
    strcpy(in.scope, "/files/caf\xc3\xa9 \"quoted\" \xf0\x9f\x98\x80/");
    for (int i = 0; i < 2; i++) {
        assert_token_status(ta_token_issue(sets[i], issuer, &in, tok, sizeof(tok)), TA_TOKEN_OK);
        assert_token_status(ta_token_verify(sets[i], issuer, tok, strlen(tok), UT_NOW, &claims),
                            TA_TOKEN_OK);
        assert_string_equal(claims.sub, in.sub);
        assert_string_equal(claims.scope, in.scope);
        assert_int_equal(ta_token_decode_unverified(tok, strlen(tok), &header, &payload), 0);
        assert_int_equal(ta_jobject_parse_fast(payload, strlen(payload), &o), 1);
        free(header);
        free(payload);
    }
    ta_keyset_free(sets[0]);
    ta_keyset_free(sets[1]);
}

/* The claims JSON is compact, in a fixed order, integers as integers. */
static void test_token_issue_writes_exact_claims_json(void **state)
{
    ta_claims in = session_for("bob");
    char *header = NULL, *payload = NULL;

    (void)state;
    in.kind = TA_KIND_URL;
    strcpy(in.scope, "/files/");
    strcpy(in.jti, JTI);
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_int_equal(ta_token_decode_unverified(tok, strlen(tok), &header, &payload), 0);
    assert_string_equal(payload, "{\"iss\":\"tokenauth\",\"sub\":\"bob\",\"uid\":1001,"
                                 "\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"" JTI "\","
                                 "\"kind\":\"url\",\"scope\":\"/files/\"}");
    free(header);
    free(payload);
}

/* Malformed UTF-8 is never signed: in a scope it is a bad scope, in the issuer a bug. */
static void test_token_issue_refuses_malformed_utf8(void **state)
{
    ta_claims in = session_for("bob");

    (void)state;
    in.kind = TA_KIND_URL;
    strcpy(in.scope, "/files/caf\xc3/");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_BAD_SCOPE);
    strcpy(in.scope, "/files/");
    assert_token_status(ta_token_issue(ks, "bad\xff", &in, tok, sizeof(tok)), TA_TOKEN_INTERNAL);
    strcpy(in.scope, "/files/caf\xc3\xa9/");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
}

/* No token is issued for a name outside the login name rule, whoever asks (the helper for a
 * user database that spells an account so, the CLI). */
static void test_token_issue_refuses_a_sub_outside_the_login_name_rule(void **state)
{
    static const char *const bad[] = {
        "j\xc3\xbcrgen", "\xe7\x94\xa8\xe6\x88\xb7", "a b", "a+b", "-alice", ""};
    ta_claims in = session_for("alice@EXAMPLE.ORG");
    char long_name[TA_LOGIN_NAME_MAX + 2];

    (void)state;
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(in.sub, bad[i]);
        if (ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)) == TA_TOKEN_OK)
            fail_msg("issued for \"%s\"", bad[i]);
        assert_string_equal(tok, "");
    }
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    strcpy(in.sub, long_name);
    assert_int_not_equal(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
}

/* --- ta_token_check_request: scope and method ------------------------------------------- */

static ta_claims scoped(ta_kind kind, const char *scope)
{
    ta_claims c = {.uid = 1000, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = kind};

    strcpy(c.sub, "alice");
    strcpy(c.scope, scope);
    return c;
}

static void test_request_url_token_allows_get_and_head_only(void **state)
{
    ta_claims c = scoped(TA_KIND_URL, "/files/");

    (void)state;
    assert_token_status(ta_token_check_request(&c, "/files/a.jpg", 1), TA_TOKEN_OK);
    assert_token_status(ta_token_check_request(&c, "/files/a.jpg", 0), TA_TOKEN_BAD_METHOD);
}

static void test_request_share_token_allows_get_and_head_only(void **state)
{
    ta_claims c = scoped(TA_KIND_SHARE, "/files/a.jpg");

    (void)state;
    assert_token_status(ta_token_check_request(&c, "/files/a.jpg", 1), TA_TOKEN_OK);
    assert_token_status(ta_token_check_request(&c, "/files/a.jpg", 0), TA_TOKEN_BAD_METHOD);
}

static void test_request_session_token_has_no_scope_or_method_limit(void **state)
{
    ta_claims c = scoped(TA_KIND_SESSION, "");

    (void)state;
    assert_token_status(ta_token_check_request(&c, "/anything", 0), TA_TOKEN_OK);
    assert_token_status(ta_token_check_request(&c, "/files/a.jpg", 1), TA_TOKEN_OK);
}

static void test_request_file_scope_covers_exactly_that_path(void **state)
{
    ta_claims c = scoped(TA_KIND_SHARE, "/a.jpg");

    (void)state;
    assert_token_status(ta_token_check_request(&c, "/a.jpg", 1), TA_TOKEN_OK);
    assert_token_status(ta_token_check_request(&c, "/a.jpgx", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/a.jpg.bak", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/a.jpg/", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/a.jp", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/b.jpg", 1), TA_TOKEN_OUT_OF_SCOPE);
}

static void test_request_folder_scope_covers_what_lies_under_it(void **state)
{
    ta_claims c = scoped(TA_KIND_URL, "/dir/");

    (void)state;
    assert_token_status(ta_token_check_request(&c, "/dir/", 1), TA_TOKEN_OK);
    assert_token_status(ta_token_check_request(&c, "/dir/a.jpg", 1), TA_TOKEN_OK);
    assert_token_status(ta_token_check_request(&c, "/dir/sub/b.jpg", 1), TA_TOKEN_OK);
}

static void test_request_folder_scope_never_covers_sibling_prefix(void **state)
{
    ta_claims c = scoped(TA_KIND_URL, "/dir/");

    (void)state;
    assert_token_status(ta_token_check_request(&c, "/dirx/", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/dirx/a.jpg", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/dir", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/other/a.jpg", 1), TA_TOKEN_OUT_OF_SCOPE);
    assert_token_status(ta_token_check_request(&c, "/", 1), TA_TOKEN_OUT_OF_SCOPE);
}

static void test_request_scope_without_slash_is_not_a_folder(void **state)
{
    ta_claims c = scoped(TA_KIND_URL, "/dir");

    (void)state;
    assert_token_status(ta_token_check_request(&c, "/dir", 1), TA_TOKEN_OK);
    assert_token_status(ta_token_check_request(&c, "/dir/a.jpg", 1), TA_TOKEN_OUT_OF_SCOPE);
}

/* --- where a scoped request is resolved ------------------------------------------------- */

/* path split for a request at the home location prefix (path + base below it): want_dir is the
 * scope's directory below the root, want_rest what is resolved beneath it. */
static void assert_split(const char *scope, const char *path, size_t base, const char *want_dir,
                         const char *want_rest)
{
    size_t dir_len = 99, rest_at = 99;

    if (ta_scope_split(scope, path, base, &dir_len, &rest_at) != 0)
        fail_msg("scope %s, path %s: refused", scope, path);
    if (dir_len != strlen(want_dir) || strncmp(path + base, want_dir, dir_len) != 0 ||
        strcmp(path + rest_at, want_rest) != 0)
        fail_msg("scope %s, path %s: \"%.*s\" and \"%s\", expected \"%s\" and \"%s\"", scope, path,
                 (int)dir_len, path + base, path + rest_at, want_dir, want_rest);
}

static void assert_split_refused(const char *scope, const char *path, size_t base)
{
    size_t dir_len = 0, rest_at = 0;

    if (ta_scope_split(scope, path, base, &dir_len, &rest_at) != -1)
        fail_msg("scope %s, path %s, base %zu: split", scope, path, base);
}

static void test_scope_split_folder_scope_is_its_own_directory(void **state)
{
    (void)state;
    /* location /files: the part below it starts at 7 */
    assert_split("/files/shared/", "/files/shared/notes.txt", 7, "shared", "notes.txt");
    assert_split("/files/shared/", "/files/shared/", 7, "shared", "");
    assert_split("/files/shared/", "/files/shared/a/b/", 7, "shared", "a/b/");
    assert_split("/files/a/b/", "/files/a/b/c.txt", 7, "a/b", "c.txt");
}

static void test_scope_split_file_scope_is_the_folder_it_is_in(void **state)
{
    (void)state;
    assert_split("/files/shared/notes.txt", "/files/shared/notes.txt", 7, "shared", "notes.txt");
    assert_split("/files/a/b/c.txt", "/files/a/b/c.txt", 7, "a/b", "c.txt");
    assert_split("/files/notes.txt", "/files/notes.txt", 7, "", "notes.txt");
}

/* A scope at or above the home location: the whole subdirectory. */
static void test_scope_split_scope_at_or_above_the_root(void **state)
{
    (void)state;
    assert_split("/files/", "/files/shared/notes.txt", 7, "", "shared/notes.txt");
    assert_split("/", "/files/x", 7, "", "x");
    assert_split("/files", "/files", 6, "", ""); /* the location itself, without its '/' */
    assert_split("/files/", "/files/", 7, "", "");
    /* a location at "/": everything below it starts at 1 */
    assert_split("/shared/", "/shared/x", 1, "shared", "x");
    assert_split("/x", "/x", 1, "", "x");
}

static void test_scope_split_refuses_what_the_scope_does_not_cover(void **state)
{
    (void)state;
    assert_split_refused("/files/shared/", "/files/other/x", 7);
    assert_split_refused("/files/shared/", "/files/shared", 7);
    assert_split_refused("/files/shared/a.txt", "/files/shared/b.txt", 7);
    assert_split_refused("/files/shared/a.txt", "/files/shared/a.txt/", 7);
    assert_split_refused("/files/shared/", "/files/sharedx/a", 7);
    assert_split_refused("", "/files/x", 7);
    assert_split_refused("files/", "files/x", 6);
    assert_split_refused("/files/", "/files/x", 9);       /* base past the end */
    assert_split_refused("/files//", "/files//x", 7);     /* no name for the directory */
    assert_split_refused("/files//a/", "/files//a/x", 7); /* a name that begins with '/' */
    assert_split_refused("/fa/b", "/fa/b", 0);            /* a base on the path's '/' */
}

/* --- names for logs --------------------------------------------------------------------- */

static void test_token_every_status_has_a_log_name(void **state)
{
    (void)state;
    for (int st = 0; st < TA_TOKEN_STATUS_COUNT; st++)
        assert_string_not_equal(ta_token_status_name((ta_token_status)st), "unknown");
    assert_string_equal(ta_token_status_name(TA_TOKEN_EXPIRED), "expired");
    assert_string_equal(ta_token_status_name(TA_TOKEN_BAD_MAC), "bad_mac");
}

static int setup_keys(void **state)
{
    (void)state;
    ks = ut_keyset_one("k1", 1);
    return ks ? 0 : -1;
}

static int free_keys(void **state)
{
    (void)state;
    ta_keyset_free(ks);
    return 0;
}

/* A refused issue leaves no stale token behind in the caller's buffer, however early it fails. */
static void test_token_issue_refusal_clears_the_output(void **state)
{
    ta_claims in = {.uid = 1, .iat = UT_NOW, .exp = UT_NOW + 300, .kind = TA_KIND_SESSION};
    char out[TA_TOKEN_MAX_LEN + 1] = "stale";

    (void)state;
    strcpy(in.sub, "bob");
    strcpy(in.scope, "/files/");
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, out, sizeof(out)), TA_TOKEN_BAD_SCOPE);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_issue_refusal_clears_the_output),
        cmocka_unit_test(test_token_forged_valid_session_token_accepted),
        cmocka_unit_test(test_token_forged_valid_url_token_accepted),
        cmocka_unit_test(test_token_issued_url_token_carries_its_sid),
        cmocka_unit_test(test_token_sid_refused_on_other_kinds_and_when_malformed),
        cmocka_unit_test(test_token_names_our_key),
        cmocka_unit_test(test_token_issued_session_token_accepted_with_its_claims),
        cmocka_unit_test(test_token_issued_share_token_accepted_with_its_scope),
        cmocka_unit_test(test_token_issued_token_is_standard_hs256_jws),
        cmocka_unit_test(test_token_issue_gives_each_token_a_fresh_jti),
        cmocka_unit_test(test_token_issue_refuses_scope_on_session),
        cmocka_unit_test(test_token_issue_refuses_url_without_clean_scope),
        cmocka_unit_test(test_token_issue_refuses_too_small_buffer),
        cmocka_unit_test(test_token_claims_are_cleared_when_refused),
        cmocka_unit_test(test_token_refused_with_two_parts),
        cmocka_unit_test(test_token_refused_with_four_parts),
        cmocka_unit_test(test_token_refused_with_empty_header_part),
        cmocka_unit_test(test_token_refused_with_empty_payload_part),
        cmocka_unit_test(test_token_refused_with_empty_signature_part),
        cmocka_unit_test(test_token_refused_when_empty_or_only_dots),
        cmocka_unit_test(test_token_of_4095_characters_accepted),
        cmocka_unit_test(test_token_of_4096_characters_refused),
        cmocka_unit_test(test_token_refused_when_header_is_padded),
        cmocka_unit_test(test_token_refused_when_payload_is_padded),
        cmocka_unit_test(test_token_refused_when_signature_is_padded),
        cmocka_unit_test(test_token_refused_when_payload_holds_plus),
        cmocka_unit_test(test_token_refused_when_payload_holds_slash),
        cmocka_unit_test(test_token_refused_when_signature_holds_plus),
        cmocka_unit_test(test_token_refused_when_a_part_holds_whitespace),
        cmocka_unit_test(test_token_refused_when_header_encoding_is_not_canonical),
        cmocka_unit_test(test_token_refused_when_payload_encoding_is_not_canonical),
        cmocka_unit_test(test_token_refused_when_signature_encoding_is_not_canonical),
        cmocka_unit_test(test_token_refused_when_alg_is_none),
        cmocka_unit_test(test_token_refused_when_alg_is_none_without_signature),
        cmocka_unit_test(test_token_refused_when_alg_is_hs512),
        cmocka_unit_test(test_token_refused_when_alg_is_rs256),
        cmocka_unit_test(test_token_refused_when_alg_is_lowercase_hs256),
        cmocka_unit_test(test_token_refused_when_alg_has_extra_characters),
        cmocka_unit_test(test_token_refused_when_alg_is_missing),
        cmocka_unit_test(test_token_refused_when_alg_is_not_a_string),
        cmocka_unit_test(test_token_refused_when_typ_is_not_jwt),
        cmocka_unit_test(test_token_refused_when_crit_is_present),
        cmocka_unit_test(test_token_refused_when_kid_is_missing),
        cmocka_unit_test(test_token_refused_when_kid_is_not_a_string),
        cmocka_unit_test(test_token_refused_when_kid_is_unknown),
        cmocka_unit_test(test_token_refused_when_payload_changed),
        cmocka_unit_test(test_token_refused_when_header_changed),
        cmocka_unit_test(test_token_refused_when_signature_changed),
        cmocka_unit_test(test_token_refused_when_signature_truncated),
        cmocka_unit_test(test_token_refused_when_signature_extended),
        cmocka_unit_test(test_token_refused_when_signature_is_much_longer_than_a_mac),
        cmocka_unit_test(test_token_refused_when_signed_with_another_secret),
        cmocka_unit_test(test_token_refused_when_header_is_not_json),
        cmocka_unit_test(test_token_refused_when_header_is_not_an_object),
        cmocka_unit_test(test_token_refused_when_header_has_duplicate_keys),
        cmocka_unit_test(test_token_refused_when_payload_is_not_json),
        cmocka_unit_test(test_token_refused_when_payload_has_trailing_bytes),
        cmocka_unit_test(test_token_refused_when_payload_is_not_an_object),
        cmocka_unit_test(test_token_refused_when_payload_has_duplicate_keys),
        cmocka_unit_test(test_token_refused_when_nested_object_has_duplicate_keys),
        cmocka_unit_test(test_token_refused_when_claim_string_holds_nul),
        cmocka_unit_test(test_token_refused_when_duplicate_key_is_spelt_with_an_escape),
        cmocka_unit_test(test_token_claims_with_escapes_decode_like_plain_ones),
        cmocka_unit_test(test_token_refused_when_number_is_not_plain_json),
        cmocka_unit_test(test_token_refused_when_claims_have_more_than_32_members),
        cmocka_unit_test(test_token_refused_when_iss_is_wrong),
        cmocka_unit_test(test_token_refused_by_a_site_with_another_issuer),
        cmocka_unit_test(test_token_refused_when_iss_is_missing),
        cmocka_unit_test(test_token_refused_when_iss_is_not_a_string),
        cmocka_unit_test(test_token_refused_when_sub_is_missing),
        cmocka_unit_test(test_token_refused_when_sub_is_not_a_username),
        cmocka_unit_test(test_token_refused_when_sub_is_not_a_string),
        cmocka_unit_test(test_token_refused_when_sub_is_over_64_bytes),
        cmocka_unit_test(test_token_refused_when_uid_is_negative),
        cmocka_unit_test(test_token_refused_when_uid_is_a_string),
        cmocka_unit_test(test_token_refused_when_uid_is_a_float),
        cmocka_unit_test(test_token_refused_when_uid_is_not_a_number),
        cmocka_unit_test(test_token_refused_when_uid_is_missing),
        cmocka_unit_test(test_token_refused_when_uid_is_above_2_pow_32_minus_2),
        cmocka_unit_test(test_token_refused_when_iat_is_a_string),
        cmocka_unit_test(test_token_refused_when_exp_is_a_string),
        cmocka_unit_test(test_token_refused_when_iat_is_a_float),
        cmocka_unit_test(test_token_refused_when_exp_is_a_float),
        cmocka_unit_test(test_token_refused_when_time_is_not_a_number),
        cmocka_unit_test(test_token_accepted_with_16_digit_exp),
        cmocka_unit_test(test_token_refused_when_iat_is_negative),
        cmocka_unit_test(test_token_refused_when_exp_is_negative),
        cmocka_unit_test(test_token_refused_when_iat_is_above_2_pow_53),
        cmocka_unit_test(test_token_refused_when_exp_is_above_2_pow_53),
        cmocka_unit_test(test_token_accepted_with_exp_of_2_pow_53),
        cmocka_unit_test(test_token_refused_when_iat_is_missing),
        cmocka_unit_test(test_token_refused_when_exp_is_missing),
        cmocka_unit_test(test_token_refused_when_exp_is_in_the_past),
        cmocka_unit_test(test_token_refused_when_exp_is_now),
        cmocka_unit_test(test_token_refused_after_its_lifetime),
        cmocka_unit_test(test_token_refused_when_iat_is_61_seconds_in_the_future),
        cmocka_unit_test(test_token_accepted_when_iat_is_60_seconds_in_the_future),
        cmocka_unit_test(test_token_refused_when_nbf_is_in_the_future),
        cmocka_unit_test(test_token_refused_when_nbf_is_not_an_integer),
        cmocka_unit_test(test_token_refused_when_jti_is_missing),
        cmocka_unit_test(test_token_refused_when_jti_is_shorter_than_22),
        cmocka_unit_test(test_token_refused_when_jti_is_longer_than_128),
        cmocka_unit_test(test_token_refused_when_jti_has_bad_characters),
        cmocka_unit_test(test_token_refused_when_jti_is_not_a_string),
        cmocka_unit_test(test_token_refused_when_kind_is_unknown),
        cmocka_unit_test(test_token_refused_when_kind_is_missing),
        cmocka_unit_test(test_token_refused_when_kind_is_not_a_string),
        cmocka_unit_test(test_token_refused_when_url_token_has_no_scope),
        cmocka_unit_test(test_token_refused_when_share_token_has_no_scope),
        cmocka_unit_test(test_token_refused_when_session_token_has_a_scope),
        cmocka_unit_test(test_token_refused_when_scope_is_not_absolute),
        cmocka_unit_test(test_token_refused_when_scope_has_dot_dot),
        cmocka_unit_test(test_token_refused_when_scope_has_dot_segment),
        cmocka_unit_test(test_token_refused_when_scope_has_double_slash),
        cmocka_unit_test(test_token_refused_when_scope_has_query_or_fragment),
        cmocka_unit_test(test_token_refused_when_scope_has_backslash_or_control),
        cmocka_unit_test(test_token_refused_when_scope_is_not_a_string),
        cmocka_unit_test(test_token_refused_when_scope_is_over_2048_bytes),
        cmocka_unit_test(test_token_accepted_with_clean_scopes),
        cmocka_unit_test(test_token_signed_by_second_key_verifies),
        cmocka_unit_test(test_token_new_tokens_carry_first_key_kid),
        cmocka_unit_test(test_token_refused_once_its_key_left_the_file),
        cmocka_unit_test(test_token_eddsa_issued_token_verifies_with_the_public_key),
        cmocka_unit_test(test_token_eddsa_issued_token_is_standard_eddsa_jws),
        cmocka_unit_test(test_token_eddsa_public_keyset_cannot_issue),
        cmocka_unit_test(test_token_hs256_first_public_keyset_still_issues),
        cmocka_unit_test(test_token_alg_confusion_matrix),
        cmocka_unit_test(test_token_eddsa_signature_changed_or_noncanonical_refused),
        cmocka_unit_test(test_token_issued_claims_with_escapes_and_utf8_round_trip),
        cmocka_unit_test(test_token_issue_writes_exact_claims_json),
        cmocka_unit_test(test_token_issue_refuses_malformed_utf8),
        cmocka_unit_test(test_token_issue_refuses_a_sub_outside_the_login_name_rule),
        cmocka_unit_test(test_request_url_token_allows_get_and_head_only),
        cmocka_unit_test(test_request_share_token_allows_get_and_head_only),
        cmocka_unit_test(test_request_session_token_has_no_scope_or_method_limit),
        cmocka_unit_test(test_request_file_scope_covers_exactly_that_path),
        cmocka_unit_test(test_request_folder_scope_covers_what_lies_under_it),
        cmocka_unit_test(test_request_folder_scope_never_covers_sibling_prefix),
        cmocka_unit_test(test_request_scope_without_slash_is_not_a_folder),
        cmocka_unit_test(test_scope_split_folder_scope_is_its_own_directory),
        cmocka_unit_test(test_scope_split_file_scope_is_the_folder_it_is_in),
        cmocka_unit_test(test_scope_split_scope_at_or_above_the_root),
        cmocka_unit_test(test_scope_split_refuses_what_the_scope_does_not_cover),
        cmocka_unit_test(test_any_expiry_accepts_an_expired_token_and_says_so),
        cmocka_unit_test(test_any_expiry_says_not_expired_for_a_live_token),
        cmocka_unit_test(test_any_expiry_still_refuses_a_bad_signature),
        cmocka_unit_test(test_any_expiry_still_refuses_every_other_rule),
        cmocka_unit_test(test_token_every_status_has_a_log_name),
    };

    return cmocka_run_group_tests_name("token", tests, setup_keys, free_keys);
}
