/* Key file loading and the per-key HMAC. */
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
#include <openssl/evp.h>
#include <openssl/params.h>

/* {"alg":"HS256","typ":"JWT","kid":""} is 36 bytes; with the KID, base64url and NUL: */
#define HEADER_B64_MAX TA_B64URL_BUFSIZE(36 + TA_KID_MAX)

/* Keyed HMAC contexts kept for reuse: duplicating a context costs about twice the MAC of a
 * token, re-initialising one with its own key costs little. */
#define MAC_POOL 16

struct ta_key {
    char kid[TA_KID_MAX + 1];
    char header_b64[HEADER_B64_MAX];
    size_t header_b64_len;
    EVP_MAC_CTX *mac;            /* keyed once; the template of every context below */
    pthread_mutex_t pool_lock;   /* MACs run on many threads at once */
    EVP_MAC_CTX *pool[MAC_POOL]; /* ready (initialised) contexts */
    size_t pooled;
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
};

const char *ta_keys_status_name(ta_keys_status st)
{
    if ((size_t)st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st])
        return status_names[st];
    return "unknown";
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

void ta_keyset_free(ta_keyset *ks)
{
    if (ks == NULL)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        ta_key *k = &ks->keys[i];
        /* the HMAC provider cleanses its key copies */
        for (size_t j = 0; j < k->pooled; j++)
            EVP_MAC_CTX_free(k->pool[j]);
        EVP_MAC_CTX_free(k->mac);
        pthread_mutex_destroy(&k->pool_lock);
    }
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

const char *ta_key_kid(const ta_key *k)
{
    return k->kid;
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
    int n =
        snprintf(json, sizeof(json), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->kid);

    k->header_b64_len = ta_b64url_encode((const unsigned char *)json, (size_t)n, k->header_b64);
}

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
    EVP_MAC_CTX *c = take_ctx(k);
    size_t outl = 0;
    int ok;

    if (c == NULL)
        return -1;
    ok = EVP_MAC_update(c, data, len) && EVP_MAC_final(c, mac, &outl, TA_MAC_LEN);
    if (ok)
        give_ctx(k, c);
    else
        EVP_MAC_CTX_free(c);
    return ok && outl == TA_MAC_LEN ? 0 : -1;
}

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

/* Split one line into its two fields; returns the number of fields found (up to 3). */
static int split_fields(const char *p, const char *end, const char **f, size_t *flen)
{
    int nf = 0;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end)
            break;
        if (nf == 3)
            return 3;
        f[nf] = p;
        while (p < end && *p != ' ' && *p != '\t')
            p++;
        flen[nf] = (size_t)(p - f[nf]);
        nf++;
    }
    return nf;
}

/* Add one "KID SECRET" line to ks. */
static ta_keys_status add_line(ta_keyset *ks, const char *p, const char *end, unsigned lineno,
                               char *err, size_t errlen)
{
    const char *f[3];
    size_t flen[3];
    unsigned char secret[TA_SECRET_MAX + 4];
    size_t slen = 0;
    ta_key *k;

    if (split_fields(p, end, f, flen) != 2)
        return fail(TA_KEYS_SYNTAX, err, errlen, "line %u: expected \"KID SECRET\"", lineno);
    if (!ta_kid_valid(f[0], flen[0]))
        return fail(TA_KEYS_BAD_KID, err, errlen,
                    "line %u: KID must be 1-64 characters of A-Za-z0-9._-", lineno);
    if (ta_keyset_find(ks, f[0], flen[0]))
        return fail(TA_KEYS_DUP_KID, err, errlen, "line %u: duplicate KID \"%.*s\"", lineno,
                    (int)flen[0], f[0]);
    if (ks->n == TA_KEYS_MAX)
        return fail(TA_KEYS_TOO_MANY, err, errlen, "line %u: more than %d keys", lineno,
                    TA_KEYS_MAX);
    if (ta_b64url_decode(f[1], flen[1], secret, sizeof(secret), &slen) != 0 ||
        slen > TA_SECRET_MAX) {
        OPENSSL_cleanse(secret, sizeof(secret));
        return fail(TA_KEYS_BAD_SECRET, err, errlen,
                    "line %u: SECRET must be unpadded base64url of at most %d bytes", lineno,
                    TA_SECRET_MAX);
    }
    if (slen < TA_SECRET_MIN) {
        OPENSSL_cleanse(secret, sizeof(secret));
        return fail(TA_KEYS_SHORT_SECRET, err, errlen,
                    "line %u: SECRET decodes to %zu bytes, at least %d are required", lineno, slen,
                    TA_SECRET_MIN);
    }
    k = &ks->keys[ks->n];
    memcpy(k->kid, f[0], flen[0]);
    k->kid[flen[0]] = '\0';
    make_header(k);
    k->mac = keyed_hmac(secret, slen);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (k->mac == NULL)
        return fail(TA_KEYS_CRYPTO_FAILED, err, errlen, "line %u: cannot set up HMAC", lineno);
    if (pthread_mutex_init(&k->pool_lock, NULL) != 0) {
        EVP_MAC_CTX_free(k->mac);
        k->mac = NULL;
        return fail(TA_KEYS_NO_MEMORY, err, errlen, "line %u: cannot create a lock", lineno);
    }
    ks->n++;
    return TA_KEYS_OK;
}

ta_keys_status ta_keys_parse(const char *buf, size_t len, ta_keyset **out, char *err, size_t errlen)
{
    ta_keyset *ks;
    const char *p = buf, *end = buf + len;
    unsigned lineno = 0;

    *out = NULL;
    if (len > TA_KEYFILE_MAX)
        return fail(TA_KEYS_TOO_LARGE, err, errlen, "larger than %d bytes", TA_KEYFILE_MAX);
    if (memchr(buf, '\0', len))
        return fail(TA_KEYS_SYNTAX, err, errlen, "contains a NUL byte");
    ks = OPENSSL_zalloc(sizeof(*ks));
    if (ks == NULL)
        return fail(TA_KEYS_NO_MEMORY, err, errlen, "out of memory");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p, *e = le;
        ta_keys_status st;

        lineno++;
        if (e > s && e[-1] == '\r')
            e--;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s < e && *s != '#') {
            st = add_line(ks, s, e, lineno, err, errlen);
            if (st != TA_KEYS_OK) {
                ta_keyset_free(ks);
                return st;
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (ks->n == 0) {
        ta_keyset_free(ks);
        return fail(TA_KEYS_EMPTY, err, errlen, "no key found");
    }
    *out = ks;
    return TA_KEYS_OK;
}

ta_keys_status ta_keys_load(const char *path, int require_root_owner, ta_keyset **out, char *err,
                            size_t errlen)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    ta_keys_status rc;
    int fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail(TA_KEYS_OPEN_FAILED, err, errlen, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(TA_KEYS_NOT_REGULAR, err, errlen, "not a regular file");
    }
    if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
        close(fd);
        return fail(TA_KEYS_INSECURE_MODE, err, errlen,
                    "mode %04o lets group or others read or write it (use 0600 or 0400)",
                    (unsigned)(st.st_mode & 07777));
    }
    if (require_root_owner && st.st_uid != 0) {
        close(fd);
        return fail(TA_KEYS_NOT_ROOT_OWNED, err, errlen, "owned by uid %u, not by root",
                    (unsigned)st.st_uid);
    }
    if (st.st_size > TA_KEYFILE_MAX) {
        close(fd);
        return fail(TA_KEYS_TOO_LARGE, err, errlen, "larger than %d bytes", TA_KEYFILE_MAX);
    }
    buf = OPENSSL_malloc(TA_KEYFILE_MAX + 1);
    if (buf == NULL) {
        close(fd);
        return fail(TA_KEYS_NO_MEMORY, err, errlen, "out of memory");
    }
    for (;;) {
        ssize_t r = read(fd, buf + got, TA_KEYFILE_MAX + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = fail(TA_KEYS_OPEN_FAILED, err, errlen, "cannot read: %s", strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got > TA_KEYFILE_MAX) {
            rc = fail(TA_KEYS_TOO_LARGE, err, errlen, "larger than %d bytes", TA_KEYFILE_MAX);
            goto done;
        }
    }
    rc = ta_keys_parse(buf, got, out, err, errlen);
done:
    close(fd);
    OPENSSL_clear_free(buf, TA_KEYFILE_MAX + 1);
    return rc;
}
