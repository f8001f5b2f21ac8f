/* The key file: one key per line, "KID [ALG] SECRET"; the first key signs, every key verifies.
 * ALG is HS256 (an HMAC secret, the default when ALG is absent) or EdDSA (an Ed25519 seed).
 * Secrets never leave this file's objects: callers ask for a signature, not for key bytes.
 *
 * A key set is loaded in one of two modes. The helper and the CLI load it PRIVATE, to sign.
 * Apache's own processes load it PUBLIC: an EdDSA line keeps only its public key, the seed is
 * wiped as soon as the public key is derived, and such a key set cannot sign with that key.
 * HS256 secrets are kept in both modes, because verifying an HMAC needs the secret (the
 * documented weakness of HS256: whoever verifies can also mint). */
#ifndef TA_KEYS_H
#define TA_KEYS_H

#include <stddef.h>

#define TA_KID_MAX 64      /* a KID is 1..64 of A-Za-z0-9._- */
#define TA_SECRET_MIN 32   /* decoded HS256 secret bytes, at least */
#define TA_SECRET_MAX 1024 /* decoded HS256 secret bytes, at most */
#define TA_KEYFILE_MAX (64 * 1024)
#define TA_KEYS_MAX 256
#define TA_MAC_LEN 32          /* HMAC-SHA256 */
#define TA_ED25519_SEED_LEN 32 /* an EdDSA SECRET decodes to exactly this */
#define TA_ED25519_PUB_LEN 32
#define TA_ED25519_SIG_LEN 64
#define TA_SIG_MAX 64 /* the longest signature of any algorithm */

typedef enum {
    TA_KEYS_OK = 0,
    TA_KEYS_NO_MEMORY,
    TA_KEYS_OPEN_FAILED, /* missing or unreadable */
    TA_KEYS_NOT_REGULAR,
    TA_KEYS_TOO_LARGE,
    TA_KEYS_INSECURE_MODE, /* readable or writable by group or others */
    TA_KEYS_NOT_ROOT_OWNED,
    TA_KEYS_SYNTAX, /* a line that is not "KID [ALG] SECRET" */
    TA_KEYS_BAD_KID,
    TA_KEYS_BAD_SECRET, /* not strict base64url */
    TA_KEYS_SHORT_SECRET,
    TA_KEYS_DUP_KID,
    TA_KEYS_EMPTY, /* no key at all */
    TA_KEYS_TOO_MANY,
    TA_KEYS_CRYPTO_FAILED,
    TA_KEYS_BAD_ALG,  /* a three-field line whose ALG is neither HS256 nor EdDSA */
    TA_KEYS_BAD_SEED, /* an EdDSA SECRET that does not decode to exactly 32 bytes */
} ta_keys_status;

/* How much of each key to keep (see the top of this file). */
typedef enum {
    TA_KEYS_PRIVATE = 1, /* everything needed to sign: the helper, the CLI */
    TA_KEYS_PUBLIC,      /* EdDSA keys keep only their public half: Apache's processes */
} ta_keys_mode;

/* A key's JWS algorithm. */
typedef enum {
    TA_ALG_NONE = 0, /* no key, or an unknown name */
    TA_ALG_HS256,
    TA_ALG_EDDSA,
} ta_alg;

typedef struct ta_key ta_key;
typedef struct ta_keyset ta_keyset;

/* A stable lower-case name for logs ("short_secret"). */
const char *ta_keys_status_name(ta_keys_status st);

/* The JWS name of an algorithm ("HS256", "EdDSA"); NULL for TA_ALG_NONE. */
const char *ta_alg_name(ta_alg a);

/* The algorithm of an exact JWS name s[0..n) (case matters); TA_ALG_NONE otherwise. */
ta_alg ta_alg_parse(const char *s, size_t n);

/* Parse a key file's contents. On failure, err gets one line naming the line number and what
 * is wrong (never any secret material). buf is not changed: wiping it is the caller's job. */
ta_keys_status ta_keys_parse(const char *buf, size_t len, ta_keys_mode mode, ta_keyset **out,
                             char *err, size_t errlen);

/* Read and parse a key file, refusing one that group or others may read or write, and, when
 * require_root_owner, one not owned by root. The file is read with read(2) into one buffer
 * that is wiped before it is freed, so no copy of a secret outlives the call. */
ta_keys_status ta_keys_load(const char *path, int require_root_owner, ta_keys_mode mode,
                            ta_keyset **out, char *err, size_t errlen);

/* Wipe and free; NULL is fine. */
void ta_keyset_free(ta_keyset *ks);

size_t ta_keyset_count(const ta_keyset *ks);

/* The i-th key in file order; key 0 signs. NULL when out of range. */
const ta_key *ta_keyset_at(const ta_keyset *ks, size_t i);

/* The key with this KID (kid need not be terminated), or NULL. */
const ta_key *ta_keyset_find(const ta_keyset *ks, const char *kid, size_t kidlen);

/* The algorithm of the signing (first) key; TA_ALG_NONE for an empty or NULL set. */
ta_alg ta_keyset_signing_alg(const ta_keyset *ks);

const char *ta_key_kid(const ta_key *k);

ta_alg ta_key_alg(const ta_key *k);

/* 1 when the key can sign: always for HS256; for EdDSA only when loaded PRIVATE. */
int ta_key_can_sign(const ta_key *k);

/* The raw Ed25519 public key (the JWK "x") into out. 0, or -1 for an HS256 key. */
int ta_key_public(const ta_key *k, unsigned char out[TA_ED25519_PUB_LEN]);

/* The length of this key's signatures: TA_MAC_LEN for HS256, TA_ED25519_SIG_LEN for EdDSA. */
size_t ta_key_sig_len(const ta_key *k);

/* The base64url of the JWS header we issue with this key,
 * {"alg":"HS256"|"EdDSA","typ":"JWT","kid":KID}: a token whose header is exactly these bytes
 * passes every header rule for this key. */
const char *ta_key_header_b64(const ta_key *k, size_t *len);

/* HMAC-SHA256 of data under an HS256 key into mac[TA_MAC_LEN]. Thread-safe. 0, or -1 (also
 * for an EdDSA key). */
int ta_key_mac(const ta_key *k, const void *data, size_t len, unsigned char *mac);

/* Sign data with the key's algorithm into sig (TA_SIG_MAX bytes); *siglen gets
 * ta_key_sig_len(k). Thread-safe. 0, or -1 (also when the key cannot sign). */
int ta_key_sign(const ta_key *k, const void *data, size_t len, unsigned char *sig, size_t *siglen);

/* Check a signature over data with the key's algorithm (an HMAC is compared in constant
 * time). Thread-safe. 1 when it verifies, 0 when it does not, -1 when the check could not
 * run. */
int ta_key_verify(const ta_key *k, const void *data, size_t len, const unsigned char *sig,
                  size_t siglen);

/* 1 when s[0..n) is a valid KID. */
int ta_kid_valid(const char *s, size_t n);

#endif
