/* The store behind TokenAuthCache (SPEC §2, §7): one socache instance for login-failure
 * counters and, when the provider is shared between servers, revocations; and the local
 * revocation ledger (src/core/ta_revstore.c), which every revocation made here goes to first.
 *
 * Why a ledger next to the socache: shmcb, the default, drops its oldest entries when full
 * and is created afresh on every graceful restart, so on its own it would lose revocations
 * without a word. The ledger is a fixed table in a file the parent maps before forking; it
 * survives restarts and answers "full" rather than forgetting. A shared provider (redis,
 * memcache, dbm) carries revocations to the other servers as well. */
#ifndef TA_CACHE_H
#define TA_CACHE_H

#include "httpd.h"
#include "http_config.h"

typedef enum {
    TA_CACHE_OK = 0,
    TA_CACHE_MISSING,     /* no such entry */
    TA_CACHE_FULL,        /* the ledger could not take a revocation */
    TA_CACHE_UNAVAILABLE, /* the store could not be reached or failed */
} ta_cache_status;

/* TokenAuthCache provider[:args], at configuration time: the provider must be loaded, and
 * its own argument check runs now, so that errors stop configtest. NULL or an error. */
const char *ta_cache_configure(cmd_parms *cmd, const char *spec);

/* TokenAuthRevocationSlots N: the ledger's capacity (a power of two). NULL or an error. */
const char *ta_cache_configure_slots(cmd_parms *cmd, const char *arg);

/* 1 when the configured provider carries data between servers (anything but shmcb). */
int ta_cache_is_shared(void);

/* The hooks. */
void ta_cache_pre_config(apr_pool_t *pconf);
int ta_cache_check_config(apr_pool_t *pconf, server_rec *s);
int ta_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
void ta_cache_child_init(apr_pool_t *pchild, server_rec *s);

/* Lock around a read-modify-write of one entry (a no-op for providers that are safe
 * without it). An error is logged and means "unavailable". */
ta_cache_status ta_cache_lock(request_rec *r);
void ta_cache_unlock(request_rec *r);

/* The socache entry id (any bytes), its data and expiry (Unix seconds). get: *len is the
 * buffer size on entry and the data length on return. */
ta_cache_status ta_cache_get(request_rec *r, const unsigned char *id, unsigned idlen,
                             unsigned char *buf, unsigned *len);
ta_cache_status ta_cache_put(request_rec *r, const unsigned char *id, unsigned idlen,
                             long long expires, const unsigned char *data, unsigned len);
ta_cache_status ta_cache_remove(request_rec *r, const unsigned char *id, unsigned idlen);

/* After a miss in a shared store: OK when the store really answered (a canary entry is
 * there, or could be written again), else TA_CACHE_UNAVAILABLE. OK at once for shmcb. Lock
 * held. */
ta_cache_status ta_cache_confirm_miss(request_rec *r);

/* The revocation ledger of this server (NULL before post_config). */
struct ta_revstore *ta_cache_ledger(void);

/* In a process forked from the parent: close this process's copy of the ledger's descriptor
 * (its mapping stays), so that it cannot truncate the file under the helper. */
void ta_cache_forget_ledger_fd(void);

/* The ledger's slot count (0 before post_config). */
unsigned ta_cache_ledger_slots(void);

/* The ledger's file, for messages (the helper inherits its descriptor), or NULL. */
const char *ta_cache_ledger_path(apr_pool_t *p);

const char *ta_cache_status_name(ta_cache_status st);

#endif
