/* Key file loading, and signing and verifying with one key: HMAC-SHA256 for HS256 keys,
 * Ed25519 for EdDSA keys. */
#include "ta_keys.h"
#include "ta_b64.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* {"alg":"HS256","typ":"JWT","kid":""} is 36 bytes (EdDSA is as long); with the KID,
 * base64url and NUL: */
#define HEADER_B64_MAX TA_B64URL_BUFSIZE(36 + TA_KID_MAX)

/* Keyed HMAC contexts kept for reuse: duplicating a context costs about twice the MAC of a
 * token, re-initialising one with its own key costs little. */
#define MAC_POOL 16

struct ta_key {
    char kid[TA_KID_MAX + 1];
    ta_alg alg;
    char header_b64[HEADER_B64_MAX];
    size_t header_b64_len;
    /* HS256 */
    EVP_MAC_CTX *mac;            /* keyed once; the template of every context below */
    pthread_mutex_t pool_lock;   /* MACs run on many threads at once */
    EVP_MAC_CTX *pool[MAC_POOL]; /* ready (initialised) contexts */
    size_t pooled;
    /* EdDSA: an EVP_PKEY may be shared by threads that each use their own EVP_MD_CTX */
    EVP_PKEY *pkey;                        /* private and public, or public only */
    int can_sign;                          /* loaded TA_KEYS_PRIVATE */
    unsigned char pub[TA_ED25519_PUB_LEN]; /* the JWK "x" */
};

struct ta_keyset {
    size_t n;
    ta_key keys[TA_KEYS_MAX];
};

static const char *const status_names[] = {
    [TA_KEYS_OK] = "ok",
    [TA_KEYS_NO_MEMORY] = "no_memory",
    [TA_KEYS_OPEN_FAILED] = "open_failed",
    [TA_KEYS_NOT_REGULAR] = "not_regular",
    [TA_KEYS_TOO_LARGE] = "too_large",
    [TA_KEYS_INSECURE_MODE] = "insecure_mode",
    [TA_KEYS_NOT_ROOT_OWNED] = "not_root_owned",
    [TA_KEYS_SYNTAX] = "syntax",
    [TA_KEYS_BAD_KID] = "bad_kid",
    [TA_KEYS_BAD_SECRET] = "bad_secret",
    [TA_KEYS_SHORT_SECRET] = "short_secret",
    [TA_KEYS_DUP_KID] = "duplicate_kid",
    [TA_KEYS_EMPTY] = "empty",
    [TA_KEYS_TOO_MANY] = "too_many_keys",
    [TA_KEYS_CRYPTO_FAILED] = "crypto_failed",
    [TA_KEYS_BAD_ALG] = "bad_alg",
    [TA_KEYS_BAD_SEED] = "bad_seed",
};

const char *ta_keys_status_name(ta_keys_status st)
{
    if ((size_t)st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st])
        return status_names[st];
    return "unknown";
}

const char *ta_alg_name(ta_alg a)
{
    switch (a) {
    case TA_ALG_HS256:
        return "HS256";
    case TA_ALG_EDDSA:
        return "EdDSA";
    default:
        return NULL;
    }
}

ta_alg ta_alg_parse(const char *s, size_t n)
{
    if (n == 5 && memcmp(s, "HS256", 5) == 0)
        return TA_ALG_HS256;
    if (n == 5 && memcmp(s, "EdDSA", 5) == 0)
        return TA_ALG_EDDSA;
    return TA_ALG_NONE;
}

static ta_keys_status fail(ta_keys_status st, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

int ta_kid_valid(const char *s, size_t n)
{
    if (n == 0 || n > TA_KID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Free what one key holds. The HMAC provider cleanses its key copies, and freeing an Ed25519
 * EVP_PKEY wipes its private part. */
static void key_release(ta_key *k)
{
    for (size_t j = 0; j < k->pooled; j++)
        EVP_MAC_CTX_free(k->pool[j]);
    EVP_MAC_CTX_free(k->mac);
    if (k->alg == TA_ALG_HS256)
        pthread_mutex_destroy(&k->pool_lock);
    EVP_PKEY_free(k->pkey);
}

void ta_keyset_free(ta_keyset *ks)
{
    if (ks == NULL)
        return;
    for (size_t i = 0; i < ks->n; i++)
        key_release(&ks->keys[i]);
    OPENSSL_clear_free(ks, sizeof(*ks));
}

size_t ta_keyset_count(const ta_keyset *ks)
{
    return ks ? ks->n : 0;
}

const ta_key *ta_keyset_at(const ta_keyset *ks, size_t i)
{
    return ks && i < ks->n ? &ks->keys[i] : NULL;
}

const ta_key *ta_keyset_find(const ta_keyset *ks, const char *kid, size_t kidlen)
{
    if (ks == NULL || kidlen > TA_KID_MAX)
        return NULL;
    for (size_t i = 0; i < ks->n; i++)
        if (strlen(ks->keys[i].kid) == kidlen && memcmp(ks->keys[i].kid, kid, kidlen) == 0)
            return &ks->keys[i];
    return NULL;
}

ta_alg ta_keyset_signing_alg(const ta_keyset *ks)
{
    const ta_key *k = ta_keyset_at(ks, 0);

    return k ? k->alg : TA_ALG_NONE;
}

const char *ta_key_kid(const ta_key *k)
{
    return k->kid;
}

ta_alg ta_key_alg(const ta_key *k)
{
    return k->alg;
}

int ta_key_can_sign(const ta_key *k)
{
    return k->alg == TA_ALG_HS256 || (k->alg == TA_ALG_EDDSA && k->can_sign);
}

int ta_key_public(const ta_key *k, unsigned char out[TA_ED25519_PUB_LEN])
{
    if (k->alg != TA_ALG_EDDSA)
        return -1;
    memcpy(out, k->pub, TA_ED25519_PUB_LEN);
    return 0;
}

size_t ta_key_sig_len(const ta_key *k)
{
    return k->alg == TA_ALG_EDDSA ? TA_ED25519_SIG_LEN : TA_MAC_LEN;
}

const char *ta_key_header_b64(const ta_key *k, size_t *len)
{
    *len = k->header_b64_len;
    return k->header_b64;
}

/* Encode the header we issue for k (KIDs need no JSON escaping). */
static void make_header(ta_key *k)
{
    char json[36 + TA_KID_MAX + 1];
    int n = snprintf(json, sizeof(json), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                     ta_alg_name(k->alg), k->kid);

    k->header_b64_len = ta_b64url_encode((const unsigned char *)json, (size_t)n, k->header_b64);
}

/* --- HS256 ------------------------------------------------------------------------------ */

/* A ready context for k: from the pool, or a fresh duplicate of the template. */
static EVP_MAC_CTX *take_ctx(ta_key *k)
{
    EVP_MAC_CTX *c = NULL;

    if (pthread_mutex_lock(&k->pool_lock) == 0) {
        if (k->pooled)
            c = k->pool[--k->pooled];
        pthread_mutex_unlock(&k->pool_lock);
    }
    return c ? c : EVP_MAC_CTX_dup(k->mac);
}

/* Re-initialise c with its own key and keep it for the next MAC, or free it. */
static void give_ctx(ta_key *k, EVP_MAC_CTX *c)
{
    if (EVP_MAC_init(c, NULL, 0, NULL) && pthread_mutex_lock(&k->pool_lock) == 0) {
        if (k->pooled < MAC_POOL) {
            k->pool[k->pooled++] = c;
            c = NULL;
        }
        pthread_mutex_unlock(&k->pool_lock);
    }
    EVP_MAC_CTX_free(c);
}

int ta_key_mac(const ta_key *kc, const void *data, size_t len, unsigned char *mac)
{
    ta_key *k = (ta_key *)kc; /* the pool changes; the key does not */
    EVP_MAC_CTX *c;
    size_t outl = 0;
    int ok;

    if (kc->alg != TA_ALG_HS256 || (c = take_ctx(k)) == NULL)
        return -1;
    ok = EVP_MAC_update(c, data, len) && EVP_MAC_final(c, mac, &outl, TA_MAC_LEN);
    if (ok)
        give_ctx(k, c);
    else
        EVP_MAC_CTX_free(c);
    return ok && outl == TA_MAC_LEN ? 0 : -1;
}

/* An HMAC is checked by computing it; the comparison takes the same time wherever the first
 * difference lies. */
static int hmac_verify(const ta_key *k, const void *data, size_t len, const unsigned char *sig,
                       size_t siglen)
{
    unsigned char want[TA_MAC_LEN];
    int rc;

    if (siglen != TA_MAC_LEN)
        return 0;
    if (ta_key_mac(k, data, len, want) != 0)
        return -1;
    rc = CRYPTO_memcmp(want, sig, TA_MAC_LEN) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    return rc;
}

/* --- EdDSA ------------------------------------------------------------------------------ */

/* Ed25519 is "pure" EdDSA: one-shot EVP_DigestSign with no digest of our choosing. */
static int ed25519_sign(const ta_key *k, const void *data, size_t len, unsigned char *sig,
                        size_t *siglen)
{
    EVP_MD_CTX *c;
    size_t n = TA_ED25519_SIG_LEN;
    int ok;

    if (!k->can_sign || (c = EVP_MD_CTX_new()) == NULL)
        return -1;
    ok = EVP_DigestSignInit_ex(c, NULL, NULL, NULL, NULL, k->pkey, NULL) == 1 &&
         EVP_DigestSign(c, sig, &n, data, len) == 1 && n == TA_ED25519_SIG_LEN;
    EVP_MD_CTX_free(c);
    if (!ok)
        return -1;
    *siglen = n;
    return 0;
}

/* A refused signature leaves OpenSSL's per-thread error queue as it found it: anyone can send
 * one, and the queue is shared with whatever else runs on the thread (mod_ssl). */
static int ed25519_verify(const ta_key *k, const void *data, size_t len, const unsigned char *sig,
                          size_t siglen)
{
    EVP_MD_CTX *c;
    int r = -1;

    if (siglen != TA_ED25519_SIG_LEN)
        return 0;
    if ((c = EVP_MD_CTX_new()) == NULL)
        return -1;
    if (EVP_DigestVerifyInit_ex(c, NULL, NULL, NULL, NULL, k->pkey, NULL) == 1)
        r = EVP_DigestVerify(c, sig, siglen, data, len);
    EVP_MD_CTX_free(c);
    if (r == 1)
        return 1;
    ERR_clear_error();
    return r == 0 ? 0 : -1;
}

int ta_key_sign(const ta_key *k, const void *data, size_t len, unsigned char *sig, size_t *siglen)
{
    if (k->alg == TA_ALG_EDDSA)
        return ed25519_sign(k, data, len, sig, siglen);
    if (ta_key_mac(k, data, len, sig) != 0)
        return -1;
    *siglen = TA_MAC_LEN;
    return 0;
}

int ta_key_verify(const ta_key *k, const void *data, size_t len, const unsigned char *sig,
                  size_t siglen)
{
    if (k->alg == TA_ALG_EDDSA)
        return ed25519_verify(k, data, len, sig, siglen);
    return hmac_verify(k, data, len, sig, siglen);
}

/* --- loading ---------------------------------------------------------------------------- */

/* Key the HMAC context for one secret. */
static EVP_MAC_CTX *keyed_hmac(const unsigned char *secret, size_t n)
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[2];

    EVP_MAC_free(m); /* the context keeps its own reference */
    if (c == NULL)
        return NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(c, secret, n, params)) {
        EVP_MAC_CTX_free(c);
        return NULL;
    }
    return c;
}

/* The Ed25519 key of a seed, and its public half into pub. In PUBLIC mode the key returned is
 * made from pub alone and the private key is freed at once (OpenSSL wipes its copy of the
 * seed then), so the key set keeps nothing from which a signature could be made. */
static EVP_PKEY *ed25519_key(const unsigned char *seed, ta_keys_mode mode, unsigned char *pub)
{
    EVP_PKEY *priv =
        EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, seed, TA_ED25519_SEED_LEN);
    size_t plen = TA_ED25519_PUB_LEN;

    if (priv == NULL)
        return NULL;
    if (EVP_PKEY_get_raw_public_key(priv, pub, &plen) != 1 || plen != TA_ED25519_PUB_LEN) {
        EVP_PKEY_free(priv);
        return NULL;
    }
    if (mode == TA_KEYS_PRIVATE)
        return priv;
    EVP_PKEY_free(priv);
    return EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pub, TA_ED25519_PUB_LEN);
}

/* Set up k as an HS256 key from the base64url text of its secret. */
static ta_keys_status set_hs256(ta_key *k, const char *b64, size_t n, unsigned lineno, char *err,
                                size_t errlen)
{
    unsigned char secret[TA_SECRET_MAX + 4];
    size_t slen = 0;
    ta_keys_status st = TA_KEYS_OK;

    if (ta_b64url_decode(b64, n, secret, sizeof(secret), &slen) != 0 || slen > TA_SECRET_MAX)
        st = fail(TA_KEYS_BAD_SECRET, err, errlen,
                  "line %u: SECRET must be unpadded base64url of at most %d bytes", lineno,
                  TA_SECRET_MAX);
    else if (slen < TA_SECRET_MIN)
        st = fail(TA_KEYS_SHORT_SECRET, err, errlen,
                  "line %u: SECRET decodes to %zu bytes, at least %d are required", lineno, slen,
                  TA_SECRET_MIN);
    else if ((k->mac = keyed_hmac(secret, slen)) == NULL)
        st = fail(TA_KEYS_CRYPTO_FAILED, err, errlen, "line %u: cannot set up HMAC", lineno);
    else if (pthread_mutex_init(&k->pool_lock, NULL) != 0) {
        EVP_MAC_CTX_free(k->mac);
        k->mac = NULL;
        st = fail(TA_KEYS_NO_MEMORY, err, errlen, "line %u: cannot create a lock", lineno);
    }
    OPENSSL_cleanse(secret, sizeof(secret));
    return st;
}

/* Set up k as an EdDSA key from the base64url text of its seed. */
static ta_keys_status set_eddsa(ta_key *k, const char *b64, size_t n, ta_keys_mode mode,
                                unsigned lineno, char *err, size_t errlen)
{
    unsigned char seed[TA_SECRET_MAX + 4];
    size_t slen = 0;
    ta_keys_status st = TA_KEYS_OK;

    if (ta_b64url_decode(b64, n, seed, sizeof(seed), &slen) != 0)
        st = fail(TA_KEYS_BAD_SECRET, err, errlen,
                  "line %u: SECRET must be unpadded base64url of the %d-byte Ed25519 seed", lineno,
                  TA_ED25519_SEED_LEN);
    else if (slen != TA_ED25519_SEED_LEN)
        st = fail(TA_KEYS_BAD_SEED, err, errlen,
                  "line %u: an EdDSA SECRET must decode to exactly %d bytes (the Ed25519 seed), "
                  "not %zu",
                  lineno, TA_ED25519_SEED_LEN, slen);
    else if ((k->pkey = ed25519_key(seed, mode, k->pub)) == NULL)
        st = fail(TA_KEYS_CRYPTO_FAILED, err, errlen, "line %u: cannot set up the Ed25519 key",
                  lineno);
    else
        k->can_sign = mode == TA_KEYS_PRIVATE;
    OPENSSL_cleanse(seed, sizeof(seed));
    ERR_clear_error();
    return st;
}

/* Split one line into its fields; returns the number found (up to 4: more than any line may
 * have). */
static int split_fields(const char *p, const char *end, const char **f, size_t *flen)
{
    int nf = 0;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end)
            break;
        if (nf == 4)
            return 4;
        f[nf] = p;
        while (p < end && *p != ' ' && *p != '\t')
            p++;
        flen[nf] = (size_t)(p - f[nf]);
        nf++;
    }
    return nf;
}

/* Add one "KID [ALG] SECRET" line to ks. The ALG field is never echoed in a message: in a
 * line such as "KID SECRET junk" it is the secret. */
static ta_keys_status add_line(ta_keyset *ks, const char *p, const char *end, ta_keys_mode mode,
                               unsigned lineno, char *err, size_t errlen)
{
    const char *f[4];
    size_t flen[4];
    int nf = split_fields(p, end, f, flen);
    ta_alg alg = nf == 3 ? ta_alg_parse(f[1], flen[1]) : TA_ALG_HS256;
    ta_key *k = &ks->keys[ks->n];
    ta_keys_status st;

    if (nf != 2 && nf != 3)
        return fail(TA_KEYS_SYNTAX, err, errlen, "line %u: expected \"KID [ALG] SECRET\"", lineno);
    if (!ta_kid_valid(f[0], flen[0]))
        return fail(TA_KEYS_BAD_KID, err, errlen,
                    "line %u: KID must be 1-64 characters of A-Za-z0-9._-", lineno);
    if (alg == TA_ALG_NONE)
        return fail(TA_KEYS_BAD_ALG, err, errlen, "line %u: ALG must be EdDSA or HS256", lineno);
    if (ta_keyset_find(ks, f[0], flen[0]))
        return fail(TA_KEYS_DUP_KID, err, errlen, "line %u: duplicate KID \"%.*s\"", lineno,
                    (int)flen[0], f[0]);
    if (ks->n == TA_KEYS_MAX)
        return fail(TA_KEYS_TOO_MANY, err, errlen, "line %u: more than %d keys", lineno,
                    TA_KEYS_MAX);
    st = alg == TA_ALG_EDDSA ? set_eddsa(k, f[nf - 1], flen[nf - 1], mode, lineno, err, errlen)
                             : set_hs256(k, f[nf - 1], flen[nf - 1], lineno, err, errlen);
    if (st != TA_KEYS_OK)
        return st;
    memcpy(k->kid, f[0], flen[0]);
    k->kid[flen[0]] = '\0';
    k->alg = alg;
    make_header(k);
    ks->n++;
    return TA_KEYS_OK;
}

/* Every line of buf in turn, comments and blank lines skipped. */
static ta_keys_status add_lines(ta_keyset *ks, const char *buf, size_t len, ta_keys_mode mode,
                                char *err, size_t errlen)
{
    const char *p = buf, *end = buf + len;
    unsigned lineno = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        ta_keys_status st;

        lineno++;
        if (e > s && e[-1] == '\r')
            e--;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s < e && *s != '#' &&
            (st = add_line(ks, s, e, mode, lineno, err, errlen)) != TA_KEYS_OK)
            return st;
        p = nl ? nl + 1 : end;
    }
    return TA_KEYS_OK;
}

ta_keys_status ta_keys_parse(const char *buf, size_t len, ta_keys_mode mode, ta_keyset **out,
                             char *err, size_t errlen)
{
    ta_keyset *ks;
    ta_keys_status st;

    *out = NULL;
    if (len > TA_KEYFILE_MAX)
        return fail(TA_KEYS_TOO_LARGE, err, errlen, "larger than %d bytes", TA_KEYFILE_MAX);
    if (memchr(buf, '\0', len))
        return fail(TA_KEYS_SYNTAX, err, errlen, "contains a NUL byte");
    if (mode != TA_KEYS_PRIVATE)
        mode = TA_KEYS_PUBLIC; /* never keep more than was asked for */
    ks = OPENSSL_zalloc(sizeof(*ks));
    if (ks == NULL)
        return fail(TA_KEYS_NO_MEMORY, err, errlen, "out of memory");
    st = add_lines(ks, buf, len, mode, err, errlen);
    if (st == TA_KEYS_OK && ks->n == 0)
        st = fail(TA_KEYS_EMPTY, err, errlen, "no key found");
    if (st != TA_KEYS_OK) {
        ta_keyset_free(ks);
        return st;
    }
    *out = ks;
    return TA_KEYS_OK;
}

/* Open path and check what it is, its mode and its owner; the descriptor, or -1 with *st. */
static int open_checked(const char *path, int require_root_owner, ta_keys_status *st, char *err,
                        size_t errlen)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        *st = fail(TA_KEYS_OPEN_FAILED, err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        *st = fail(TA_KEYS_NOT_REGULAR, err, errlen, "not a regular file");
    else if (sb.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH))
        *st = fail(TA_KEYS_INSECURE_MODE, err, errlen,
                   "mode %04o lets group or others read or write it (use 0600 or 0400)",
                   (unsigned)(sb.st_mode & 07777));
    else if (require_root_owner && sb.st_uid != 0)
        *st = fail(TA_KEYS_NOT_ROOT_OWNED, err, errlen, "owned by uid %u, not by root",
                   (unsigned)sb.st_uid);
    else if (sb.st_size > TA_KEYFILE_MAX)
        *st = fail(TA_KEYS_TOO_LARGE, err, errlen, "larger than %d bytes", TA_KEYFILE_MAX);
    else
        return fd;
    close(fd);
    return -1;
}

/* Read the whole file into buf (TA_KEYFILE_MAX + 1 bytes) with read(2): no stdio buffer that
 * would keep a copy of the secrets after we wipe ours. */
static ta_keys_status read_all(int fd, char *buf, size_t *got, char *err, size_t errlen)
{
    *got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + *got, TA_KEYFILE_MAX + 1 - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fail(TA_KEYS_OPEN_FAILED, err, errlen, "cannot read: %s", strerror(errno));
        if (r == 0)
            return TA_KEYS_OK;
        *got += (size_t)r;
        if (*got > TA_KEYFILE_MAX)
            return fail(TA_KEYS_TOO_LARGE, err, errlen, "larger than %d bytes", TA_KEYFILE_MAX);
    }
}

ta_keys_status ta_keys_load(const char *path, int require_root_owner, ta_keys_mode mode,
                            ta_keyset **out, char *err, size_t errlen)
{
    char *buf;
    size_t got = 0;
    ta_keys_status rc = TA_KEYS_OK;
    int fd;

    *out = NULL;
    if ((fd = open_checked(path, require_root_owner, &rc, err, errlen)) < 0)
        return rc;
    buf = OPENSSL_malloc(TA_KEYFILE_MAX + 1);
    if (buf == NULL)
        rc = fail(TA_KEYS_NO_MEMORY, err, errlen, "out of memory");
    else if ((rc = read_all(fd, buf, &got, err, errlen)) == TA_KEYS_OK)
        rc = ta_keys_parse(buf, got, mode, out, err, errlen);
    close(fd);
    /* the file's text, seeds and secrets included, goes as soon as the keys are made */
    OPENSSL_clear_free(buf, TA_KEYFILE_MAX + 1);
    return rc;
}
