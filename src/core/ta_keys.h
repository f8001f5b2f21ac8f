/* The key file: one HMAC key per line, "KID SECRET"; the first key signs, every key verifies.
 * Secrets never leave this file's objects: callers ask for a MAC, not for key bytes. */
#ifndef TA_KEYS_H
#define TA_KEYS_H

#include <stddef.h>

#define TA_KID_MAX 64      /* a KID is 1..64 of A-Za-z0-9._- */
#define TA_SECRET_MIN 32   /* decoded secret bytes, at least */
#define TA_SECRET_MAX 1024 /* decoded secret bytes, at most */
#define TA_KEYFILE_MAX (64 * 1024)
#define TA_KEYS_MAX 256
#define TA_MAC_LEN 32 /* HMAC-SHA256 */

typedef enum {
    TA_KEYS_OK = 0,
    TA_KEYS_NO_MEMORY,
    TA_KEYS_OPEN_FAILED, /* missing or unreadable */
    TA_KEYS_NOT_REGULAR,
    TA_KEYS_TOO_LARGE,
    TA_KEYS_INSECURE_MODE, /* readable or writable by group or others */
    TA_KEYS_NOT_ROOT_OWNED,
    TA_KEYS_SYNTAX, /* a line that is not "KID SECRET" */
    TA_KEYS_BAD_KID,
    TA_KEYS_BAD_SECRET, /* not strict base64url */
    TA_KEYS_SHORT_SECRET,
    TA_KEYS_DUP_KID,
    TA_KEYS_EMPTY, /* no key at all */
    TA_KEYS_TOO_MANY,
    TA_KEYS_CRYPTO_FAILED,
} ta_keys_status;

typedef struct ta_key ta_key;
typedef struct ta_keyset ta_keyset;

/* A stable lower-case name for logs ("short_secret"). */
const char *ta_keys_status_name(ta_keys_status st);

/* Parse a key file's contents. On failure, err gets one line naming the line number and what
 * is wrong (never any secret material). */
ta_keys_status ta_keys_parse(const char *buf, size_t len, ta_keyset **out, char *err,
                             size_t errlen);

/* Read and parse a key file, refusing one that group or others may read or write, and, when
 * require_root_owner, one not owned by root. */
ta_keys_status ta_keys_load(const char *path, int require_root_owner, ta_keyset **out, char *err,
                            size_t errlen);

/* Wipe and free; NULL is fine. */
void ta_keyset_free(ta_keyset *ks);

size_t ta_keyset_count(const ta_keyset *ks);

/* The i-th key in file order; key 0 signs. NULL when out of range. */
const ta_key *ta_keyset_at(const ta_keyset *ks, size_t i);

/* The key with this KID (kid need not be terminated), or NULL. */
const ta_key *ta_keyset_find(const ta_keyset *ks, const char *kid, size_t kidlen);

const char *ta_key_kid(const ta_key *k);

/* The base64url of the JWS header we issue with this key, {"alg":"HS256","typ":"JWT","kid":KID}:
 * a token whose header is exactly these bytes passes every header rule for this key. */
const char *ta_key_header_b64(const ta_key *k, size_t *len);

/* HMAC-SHA256 of data under the key into mac[TA_MAC_LEN]. Thread-safe. 0 or -1. */
int ta_key_mac(const ta_key *k, const void *data, size_t len, unsigned char *mac);

/* 1 when s[0..n) is a valid KID. */
int ta_kid_valid(const char *s, size_t n);

#endif
