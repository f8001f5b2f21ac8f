/* libFuzzer target: ta_keys_parse, the key file parser (SPEC §2, TokenAuthKeyFile), in both
 * modes.
 *
 * Invariants: a parse either fails with a status the parser may return and a one-line
 * message, leaving *out NULL, or succeeds with 1..TA_KEYS_MAX keys whose KIDs are valid,
 * distinct and found again by ta_keyset_find. PRIVATE and PUBLIC parses agree on the status,
 * the message, the KIDs and each key's algorithm and public key. Every key verifies what it
 * signs, deterministically (HMAC and Ed25519 both are); a PUBLIC EdDSA key cannot sign, and
 * verifies what its PRIVATE twin signed. The JWKS of either set is the same, fits ta_jwks_size
 * exactly (one byte less is refused), and is, as jansson reads it, {"keys":[...]} with one entry
 * per EdDSA key in file order and nothing else: exactly kty OKP, crv Ed25519, x the key's public
 * key in base64url, its kid, alg EdDSA and use sig; an HS256 key, whose secret is all there is to
 * it, never appears. (Signatures of different keys are not compared: two KIDs may share a
 * secret.) */
#include "fuzz.h"
#include "ta_b64.h"
#include "ta_jwks.h"
#include "ta_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define ERRLEN 128

static const char MSG[] = "header.payload";

/* k signs MSG, deterministically, and verifies it; a changed message does not verify. */
static void check_signs(const ta_key *k, unsigned char *sig)
{
    unsigned char again[TA_SIG_MAX];
    size_t n = 0, m = 0;

    CHECK(ta_key_sign(k, MSG, sizeof(MSG) - 1, sig, &n) == 0);
    CHECK(n == ta_key_sig_len(k));
    CHECK(ta_key_sign(k, MSG, sizeof(MSG) - 1, again, &m) == 0);
    CHECK(m == n && memcmp(sig, again, n) == 0);
    CHECK(ta_key_verify(k, MSG, sizeof(MSG) - 1, sig, n) == 1);
    CHECK(ta_key_verify(k, MSG, sizeof(MSG) - 2, sig, n) == 0);
}

/* The same key as loaded PRIVATE (k) and PUBLIC (p). */
static void check_key_pair(const ta_key *k, const ta_key *p)
{
    unsigned char sig[TA_SIG_MAX], a[TA_ED25519_PUB_LEN], b[TA_ED25519_PUB_LEN];
    size_t n = 0;

    CHECK(ta_key_alg(k) == TA_ALG_HS256 || ta_key_alg(k) == TA_ALG_EDDSA);
    CHECK(ta_key_alg(p) == ta_key_alg(k));
    CHECK(strcmp(ta_key_kid(k), ta_key_kid(p)) == 0);
    CHECK(ta_key_can_sign(k));
    check_signs(k, sig);
    CHECK(ta_key_verify(p, MSG, sizeof(MSG) - 1, sig, ta_key_sig_len(k)) == 1);
    if (ta_key_alg(k) == TA_ALG_HS256) {
        CHECK(ta_key_public(k, a) == -1);
        return;
    }
    CHECK(!ta_key_can_sign(p));
    CHECK(ta_key_sign(p, MSG, sizeof(MSG) - 1, sig, &n) == -1);
    CHECK(ta_key_public(k, a) == 0 && ta_key_public(p, b) == 0);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
}

/* The JWKS text of ks; free() it. */
static char *jwks_of(const ta_keyset *ks)
{
    size_t cap = ta_jwks_size(ks), len = 0;
    char *buf = malloc(cap);

    CHECK(buf != NULL);
    CHECK(ta_jwks_write(ks, buf, cap - 1, &len) == -1);
    CHECK(ta_jwks_write(ks, buf, cap, &len) == 0);
    CHECK(len + 1 == cap && strlen(buf) == len);
    return buf;
}

/* 1 when member key of o is the string want. */
static int member_is(json_t *o, const char *key, const char *want)
{
    json_t *v = json_object_get(o, key);

    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* The JWKS holds exactly the EdDSA keys of ks, in order, and nothing more. */
static void check_jwks_content(const ta_keyset *ks, const char *text)
{
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *arr;
    size_t e = 0;

    CHECK(json_is_object(doc) && json_object_size(doc) == 1);
    arr = json_object_get(doc, "keys");
    CHECK(json_is_array(arr));
    for (size_t i = 0; i < ta_keyset_count(ks); i++) {
        const ta_key *k = ta_keyset_at(ks, i);
        unsigned char pub[TA_ED25519_PUB_LEN];
        char x[TA_B64URL_BUFSIZE(TA_ED25519_PUB_LEN)];
        json_t *jwk;

        if (ta_key_alg(k) != TA_ALG_EDDSA)
            continue;
        CHECK(ta_key_public(k, pub) == 0);
        ta_b64url_encode(pub, sizeof(pub), x);
        jwk = json_array_get(arr, e++);
        CHECK(json_is_object(jwk) && json_object_size(jwk) == 6);
        CHECK(member_is(jwk, "kty", "OKP") && member_is(jwk, "crv", "Ed25519"));
        CHECK(member_is(jwk, "x", x) && member_is(jwk, "kid", ta_key_kid(k)));
        CHECK(member_is(jwk, "alg", "EdDSA") && member_is(jwk, "use", "sig"));
    }
    CHECK(json_array_size(arr) == e);
    json_decref(doc);
}

static void check_keysets(const ta_keyset *ks, const ta_keyset *pub)
{
    size_t n = ta_keyset_count(ks);
    char *a, *b;

    CHECK(n > 0 && n <= TA_KEYS_MAX);
    CHECK(ta_keyset_count(pub) == n);
    CHECK(ta_keyset_at(ks, n) == NULL);
    CHECK(ta_keyset_signing_alg(ks) == ta_key_alg(ta_keyset_at(ks, 0)));
    for (size_t i = 0; i < n; i++) {
        const ta_key *k = ta_keyset_at(ks, i);
        const char *kid;

        CHECK(k != NULL);
        kid = ta_key_kid(k);
        CHECK(ta_kid_valid(kid, strlen(kid)));
        CHECK(ta_keyset_find(ks, kid, strlen(kid)) == k); /* also: KIDs are distinct */
        check_key_pair(k, ta_keyset_at(pub, i));
    }
    a = jwks_of(ks);
    b = jwks_of(pub);
    CHECK(strcmp(a, b) == 0);
    check_jwks_content(ks, a);
    free(a);
    free(b);
}

static ta_keys_status parse(const char *buf, size_t size, ta_keys_mode mode, ta_keyset **ks,
                            char *err)
{
    ta_keys_status st;

    *ks = (ta_keyset *)1;
    err[0] = '\0';
    st = ta_keys_parse(buf, size, mode, ks, err, ERRLEN);
    CHECK(strcmp(ta_keys_status_name(st), "unknown") != 0);
    if (st == TA_KEYS_OK) {
        CHECK(*ks != NULL);
        return st;
    }
    CHECK(*ks == NULL);
    CHECK(st != TA_KEYS_OPEN_FAILED && st != TA_KEYS_NOT_REGULAR && st != TA_KEYS_INSECURE_MODE &&
          st != TA_KEYS_NOT_ROOT_OWNED);
    CHECK(err[0] != '\0' && memchr(err, '\0', ERRLEN) != NULL);
    CHECK(strchr(err, '\n') == NULL); /* one line */
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly size bytes on the heap, unterminated: the parser must respect len. */
    char *buf = malloc(size ? size : 1);
    char *err = malloc(ERRLEN), *perr = malloc(ERRLEN);
    ta_keyset *ks, *pub;
    ta_keys_status st;

    CHECK(buf != NULL && err != NULL && perr != NULL);
    memcpy(buf, data, size);
    st = parse(buf, size, TA_KEYS_PRIVATE, &ks, err);
    CHECK(parse(buf, size, TA_KEYS_PUBLIC, &pub, perr) == st);
    if (st == TA_KEYS_OK)
        check_keysets(ks, pub);
    else
        CHECK(strcmp(err, perr) == 0);
    ta_keyset_free(ks);
    ta_keyset_free(pub);
    free(perr);
    free(err);
    free(buf);
    return 0;
}
