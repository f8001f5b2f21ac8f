/* TokenAuthLoginThrottle (SPEC): after N failed logins for one user name, or from one client
 * address, within a window, refuse further attempts for a lockout with 429. This is the pure
 * core: the glue keeps one record per key in a socache (shared memory or Redis) and decides
 * with these functions (for the per-user limit on link revocations of tokenauth-logout too,
 * under keys of their own). Records read back from a cache are untrusted (another server or
 * version may have written them, or garbage): they are decoded strictly, and every time is
 * kept within [0, 2^53] so that no sum of two of them can overflow. */
#ifndef TA_THROTTLE_H
#define TA_THROTTLE_H

#include <stddef.h>

#define TA_THROTTLE_VERSION 1
#define TA_THROTTLE_REC_LEN 21        /* version, failures (4 bytes), two times (8 bytes each) */
#define TA_THROTTLE_KEY_MAX 64        /* keys fit in this many bytes incl. NUL */
#define TA_THROTTLE_LIMIT_MAX 1000000 /* larger limits are clamped; records above it refused */
#define TA_THROTTLE_TIME_MAX 9007199254740992LL /* 2^53, as for token times */

typedef struct {
    unsigned int failures;  /* failures counted in the current window */
    long long window_start; /* unix seconds when the current window began */
    long long locked_until; /* unix seconds; 0 when not locked */
} ta_throttle_rec;

typedef struct {
    unsigned int limit; /* failures that lock; 0 counts as 1, above LIMIT_MAX as LIMIT_MAX */
    long long window;   /* seconds a window lasts; clamped to [0, 2^53] */
    long long lockout;  /* seconds a lock lasts; clamped to [0, 2^53], 0 never locks */
} ta_throttle_policy;

/* Write rec as TA_THROTTLE_REC_LEN bytes: the version byte, then failures, window_start and
 * locked_until big-endian. Fields out of range are clamped into it, so whatever is written
 * decodes again (a record that did not would read back as absent: a fresh counter). */
void ta_throttle_encode(const ta_throttle_rec *rec, unsigned char out[TA_THROTTLE_REC_LEN]);

/* 0 and *rec filled when buf[0..len) is exactly one valid record: the right length and
 * version, failures <= TA_THROTTLE_LIMIT_MAX, both times within [0, 2^53]. -1 and *rec zeroed
 * otherwise; the caller treats the record as absent. */
int ta_throttle_decode(const unsigned char *buf, size_t len, ta_throttle_rec *rec);

/* Seconds the caller must still wait at now: locked_until - now while locked (so >= 1, and
 * Retry-After is never 0), otherwise 0. */
long long ta_throttle_wait(const ta_throttle_rec *rec, long long now);

/* Count one failure at now. A window that is empty or older than p->window starts afresh at
 * now; when failures reach p->limit, locked_until = now + p->lockout (at most 2^53) and the
 * counter starts afresh. A failure while locked changes nothing (the attempt was refused
 * unchecked), and one after the lock has passed first clears it. */
void ta_throttle_fail(ta_throttle_rec *rec, const ta_throttle_policy *p, long long now);

/* When the cache may drop the record (unix seconds): the later of the window's end and
 * locked_until, at most 2^53. */
long long ta_throttle_expiry(const ta_throttle_rec *rec, const ta_throttle_policy *p);

/* Cache key for a user name: "tu:" + base64url (no padding) of SHA-256(user[0..len)), so that
 * any name (any bytes, any length) gives a short key of fixed length. Writes it NUL-terminated
 * into out[0..outlen) and returns its length, or 0 (and out "" when outlen > 0) on error. */
size_t ta_throttle_user_key(const char *user, size_t len, char *out, size_t outlen);

/* Cache key for the link revocations of a user name (tokenauth-logout's token field): as
 * ta_throttle_user_key, under the prefix "tr:" instead, so that these counters and the login
 * counters of one name never meet. */
size_t ta_throttle_revoker_key(const char *user, size_t len, char *out, size_t outlen);

/* Cache key for a client address as Apache gives it (r->useragent_ip): "ta:" + a canonical
 * form. IPv4 as inet_ntop writes it; IPv4-mapped IPv6 ("::ffff:1.2.3.4") as that IPv4 address,
 * so one client is counted once whichever way it connects; any other IPv6 address per /64,
 * written as inet_ntop of the masked address + "/64". A "%zone" suffix (APR writes one for
 * link-local peers) is dropped. Returns the key's length as above, or 0 for anything else. */
size_t ta_throttle_addr_key(const char *ip, char *out, size_t outlen);

#endif
