/* Who a user is, for the helper's file requests: uid, gid, home and supplementary groups from NSS
 * (getpwnam_r, getgrouplist), kept for a short while. getgrouplist through nss_systemd costs about
 * 240 us, far more than the confined open it prepares, so the helper asks this small cache instead
 * of NSS on every OPEN_REQ and LIST_REQ. Thread-safe (one mutex); callers get copies, never
 * pointers into the cache. */
#ifndef TA_USERCRED_H
#define TA_USERCRED_H

#include <limits.h>
#include <stddef.h>

typedef enum {
    TA_USERCRED_OK = 0,  /* *out filled */
    TA_USERCRED_UNKNOWN, /* no such user; cached like an answer, for the same time */
    TA_USERCRED_ERROR,   /* NSS failed, out of memory, more groups than TA_CONFINE_NGROUPS_MAX:
                          * never cached, the next call asks again */
} ta_usercred_status;

/* Milliseconds an answer (positive or negative) is trusted, on the monotonic clock. The same window
 * the Apache children's user cache has (TA_USERCACHE_SECONDS): a removed account or a removed group
 * membership keeps working at most this long. */
#define TA_USERCRED_TTL_MS 2000

/* Users remembered at once; the least recently used makes room for a new one. */
#define TA_USERCRED_CACHE_MAX 256

/* A user with more supplementary groups than this is answered but not remembered: it keeps the
 * cache's memory bounded (entries * groups * 8 bytes, 2 MiB) however the groups are set up. */
#define TA_USERCRED_CACHED_GROUPS_MAX 1024

typedef struct {
    unsigned long uid, gid;
    char home[PATH_MAX];
    unsigned long *groups; /* supplementary groups (getgrouplist, so gid among them), malloc'd;
                            * NULL when ngroups is 0; free with ta_usercred_free */
    size_t ngroups;        /* at most TA_CONFINE_NGROUPS_MAX */
} ta_usercred;

/* The credentials of user (a name, compared byte for byte; not the canonical spelling NSS may
 * return). *out is always initialised, so ta_usercred_free(out) is right whatever the status; on
 * anything but TA_USERCRED_OK it holds no groups and an empty home. NSS is asked outside the lock,
 * so a slow look-up holds up no other user. */
ta_usercred_status ta_usercred_get(const char *user, ta_usercred *out);

/* Free the groups of *c (and set them to none); NULL is fine. */
void ta_usercred_free(ta_usercred *c);

/* A stable lower-case name for logs ("ok", "unknown", "error"). */
const char *ta_usercred_status_name(ta_usercred_status st);

/* Forget every entry (tests; a reload could use it too). */
void ta_usercred_clear(void);

/* Tests only. The look-up behind the cache (NULL: NSS); it fills *out like ta_usercred_get does,
 * groups malloc'd. Setting it clears the cache. */
typedef ta_usercred_status (*ta_usercred_lookup_fn)(const char *user, ta_usercred *out);
void ta_usercred_set_lookup_for_tests(ta_usercred_lookup_fn fn);

/* Tests only. The clock, monotonic milliseconds (NULL: CLOCK_MONOTONIC). Clears the cache. */
typedef long long (*ta_usercred_clock_fn)(void);
void ta_usercred_set_clock_for_tests(ta_usercred_clock_fn fn);

#endif
