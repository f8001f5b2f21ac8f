/* Shared fixtures for the unit tests: cmocka, the core headers, known secrets, a fixed clock,
 * and a token forger that signs any header and payload text with HMAC-SHA256 or Ed25519 through
 * OpenSSL directly, so that token tests can build exactly the malformed input a rule is about.
 * The base64url coder here is our own, independent of src/core/ta_b64.c, so that the token tests
 * do not lean on the code they check. */
#ifndef TA_UNIT_H
#define TA_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ta_b64.h"
#include "ta_credential.h"
#include "ta_keys.h"
#include "ta_token.h"

/* A fixed "now" (2023-11-14T22:13:20Z): every time in the tests is relative to it. */
#define UT_NOW 1700000000LL
#define UT_ISSUER "tokenauth"
#define UT_SECRET_LEN 32
#define UT_TOKEN_BUF 8192
#define UT_ERR_BUF 512

/* Fail with both status names when a token status is not the expected one. */
#define assert_token_status(got, want)                                                             \
    do {                                                                                           \
        ta_token_status got_ = (got), want_ = (want);                                              \
        if (got_ != want_)                                                                         \
            fail_msg("token status %s, expected %s", ta_token_status_name(got_),                   \
                     ta_token_status_name(want_));                                                 \
    } while (0)

#define assert_keys_status(got, want)                                                              \
    do {                                                                                           \
        ta_keys_status got_ = (got), want_ = (want);                                               \
        if (got_ != want_)                                                                         \
            fail_msg("keys status %s, expected %s", ta_keys_status_name(got_),                     \
                     ta_keys_status_name(want_));                                                  \
    } while (0)

/* A known secret: n bytes that differ per seed. */
static inline void ut_secret(int seed, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(i * 37u + (unsigned)seed * 101u + 11u);
}

/* Our own unpadded base64url encoder; out needs 4 * ceil(n / 3) + 1 bytes. */
static inline size_t ut_b64url(const void *data, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *in = data;
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        size_t left = n - i;

        if (left > 1)
            v |= (unsigned)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (left > 1)
            out[o++] = abc[(v >> 6) & 63];
        if (left > 2)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
    return o;
}

/* The base64url text of a known secret, as it is written in a key file. */
static inline void ut_secret_b64(int seed, size_t n, char *out)
{
    unsigned char *raw = malloc(n ? n : 1);

    assert_non_null(raw);
    ut_secret(seed, raw, n);
    ut_b64url(raw, n, out);
    free(raw);
}

/* A key set parsed from text in mode; fails the test when the text is refused. */
static inline ta_keyset *ut_keyset_parse_mode(const char *text, ta_keys_mode mode)
{
    char err[UT_ERR_BUF] = "";
    ta_keyset *ks = NULL;
    ta_keys_status st = ta_keys_parse(text, strlen(text), mode, &ks, err, sizeof(err));

    if (st != TA_KEYS_OK)
        fail_msg("key text refused: %s: %s", ta_keys_status_name(st), err);
    return ks;
}

/* A key set parsed from text with everything needed to sign. */
static inline ta_keyset *ut_keyset_parse(const char *text)
{
    return ut_keyset_parse_mode(text, TA_KEYS_PRIVATE);
}

/* A key set of one key, kid, holding the 32-byte secret of seed. */
static inline ta_keyset *ut_keyset_one(const char *kid, int seed)
{
    char b64[64], text[160];

    ut_secret_b64(seed, UT_SECRET_LEN, b64);
    snprintf(text, sizeof(text), "%s %s\n", kid, b64);
    return ut_keyset_parse(text);
}

/* The key line "KID EdDSA SEED" of an Ed25519 key whose seed is the known secret of seed. */
static inline void ut_eddsa_line(const char *kid, int seed, char *out, size_t outlen)
{
    char b64[64];

    ut_secret_b64(seed, UT_SECRET_LEN, b64);
    snprintf(out, outlen, "%s EdDSA %s\n", kid, b64);
}

/* The Ed25519 key (through OpenSSL directly) whose seed is the known secret of seed. */
static inline EVP_PKEY *ut_ed25519(int seed)
{
    unsigned char raw[UT_SECRET_LEN];
    EVP_PKEY *k;

    ut_secret(seed, raw, sizeof(raw));
    k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
    assert_non_null(k);
    return k;
}

/* The raw public key of the Ed25519 key of seed. */
static inline void ut_ed25519_public(int seed, unsigned char out[32])
{
    EVP_PKEY *k = ut_ed25519(seed);
    size_t n = 32;

    assert_int_equal(EVP_PKEY_get_raw_public_key(k, out, &n), 1);
    assert_int_equal(n, 32);
    EVP_PKEY_free(k);
}

/* Like ut_sign_parts, but the signature is Ed25519 under the key of seed. */
static inline void ut_sign_parts_eddsa(int seed, const char *hpart, const char *ppart, char *out,
                                       size_t outlen)
{
    unsigned char sig[64];
    size_t siglen = sizeof(sig);
    EVP_PKEY *k = ut_ed25519(seed);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int n = snprintf(out, outlen, "%s.%s", hpart, ppart);

    assert_true(n > 0 && (size_t)n + 90 < outlen);
    assert_non_null(c);
    assert_int_equal(EVP_DigestSignInit(c, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(c, sig, &siglen, (const unsigned char *)out, (size_t)n), 1);
    assert_int_equal(siglen, 64);
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    out[n] = '.';
    ut_b64url(sig, siglen, out + n + 1);
}

/* Sign already encoded parts: out = hpart "." ppart "." base64url(HMAC-SHA256(secret of seed,
 * hpart "." ppart)). Lets a test sign padded or non-canonical encodings as they are. */
static inline void ut_sign_parts(int seed, const char *hpart, const char *ppart, char *out,
                                 size_t outlen)
{
    unsigned char key[UT_SECRET_LEN], mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    int n = snprintf(out, outlen, "%s.%s", hpart, ppart);

    assert_true(n > 0 && (size_t)n + 45 < outlen);
    ut_secret(seed, key, sizeof(key));
    assert_non_null(
        HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)out, (size_t)n, mac, &maclen));
    assert_int_equal(maclen, 32);
    out[n] = '.';
    ut_b64url(mac, maclen, out + n + 1);
}

/* A compact JWS of header and payload texts (any bytes, JSON or not), signed with HMAC-SHA256
 * under the secret of seed, or (eddsa) with Ed25519 under the key of seed. */
static inline void ut_forge_alg(int eddsa, int seed, const char *header, const char *payload,
                                char *out, size_t outlen)
{
    size_t hn = strlen(header), pn = strlen(payload);
    char *h = malloc(hn / 3 * 4 + 5), *p = malloc(pn / 3 * 4 + 5);

    assert_non_null(h);
    assert_non_null(p);
    ut_b64url(header, hn, h);
    ut_b64url(payload, pn, p);
    if (eddsa)
        ut_sign_parts_eddsa(seed, h, p, out, outlen);
    else
        ut_sign_parts(seed, h, p, out, outlen);
    free(h);
    free(p);
}

static inline void ut_forge(int seed, const char *header, const char *payload, char *out,
                            size_t outlen)
{
    ut_forge_alg(0, seed, header, payload, out, outlen);
}

static inline void ut_forge_eddsa(int seed, const char *header, const char *payload, char *out,
                                  size_t outlen)
{
    ut_forge_alg(1, seed, header, payload, out, outlen);
}

/* A fresh scratch directory /tmp/ta-unit-NAME-XXXXXX in dir (a buffer of n bytes). 0 or -1. */
static inline int ut_make_tmpdir(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/ta-unit-%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Remove dir with whatever the tests left directly in it (files, links, FIFOs, empty
 * directories). 0 or -1. */
static inline int ut_remove_tmpdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            rmdir(path);
    }
    closedir(d);
    return rmdir(dir);
}

#endif
