/* Per-process user cache: a bounded hash under a mutex (event and worker MPMs are threaded).
 * Only positive answers are kept; an unknown name costs a look-up each time, and only a
 * validly signed token can ask for one. */
#include "ta_usercache.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_time.h"

#define CACHE_MAX_ENTRIES 4096

typedef struct {
    unsigned long uid;
    apr_time_t expires;
} entry;

static apr_pool_t *cache_pool; /* holds the table; cleared when it fills up */
static apr_hash_t *cache;
static apr_thread_mutex_t *cache_lock;

apr_status_t ta_usercache_init(apr_pool_t *pchild)
{
    apr_status_t rv = apr_thread_mutex_create(&cache_lock, APR_THREAD_MUTEX_DEFAULT, pchild);

    if (rv != APR_SUCCESS)
        return rv;
    rv = apr_pool_create(&cache_pool, pchild);
    if (rv == APR_SUCCESS)
        cache = apr_hash_make(cache_pool);
    return rv;
}

/* Look name up under the lock; 1 and *uid when a fresh entry exists. */
static int cached(const char *name, apr_time_t now, unsigned long *uid)
{
    entry *e = apr_hash_get(cache, name, APR_HASH_KEY_STRING);

    if (e && e->expires > now) {
        *uid = e->uid;
        return 1;
    }
    return 0;
}

/* Remember name -> uid under the lock, starting afresh when the table is full. */
static void remember(const char *name, unsigned long uid, apr_time_t now)
{
    entry *e;

    if (apr_hash_count(cache) >= CACHE_MAX_ENTRIES) {
        apr_pool_clear(cache_pool);
        cache = apr_hash_make(cache_pool);
    }
    e = apr_hash_get(cache, name, APR_HASH_KEY_STRING);
    if (e == NULL) {
        e = apr_palloc(cache_pool, sizeof(*e));
        apr_hash_set(cache, apr_pstrdup(cache_pool, name), APR_HASH_KEY_STRING, e);
    }
    e->uid = uid;
    e->expires = now + apr_time_from_sec(TA_USERCACHE_SECONDS);
}

ta_user_status ta_usercache_uid(const char *name, unsigned long *uid)
{
    apr_time_t now = apr_time_now();
    ta_user u;
    ta_user_status st;
    int hit;

    if (cache_lock == NULL || apr_thread_mutex_lock(cache_lock) != APR_SUCCESS)
        return TA_USER_ERROR;
    hit = cached(name, now, uid);
    apr_thread_mutex_unlock(cache_lock);
    if (hit)
        return TA_USER_OK;
    st = ta_user_lookup(name, &u); /* outside the lock: NSS may be slow */
    if (st != TA_USER_OK)
        return st;
    *uid = u.uid;
    if (apr_thread_mutex_lock(cache_lock) == APR_SUCCESS) {
        remember(name, u.uid, now);
        apr_thread_mutex_unlock(cache_lock);
    }
    return TA_USER_OK;
}
