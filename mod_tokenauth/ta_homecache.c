/* TokenAuthHomeCache (ta_homecache.h). A hot file costs the helper one round trip per
 * TokenAuthHomeCache seconds in each child instead of one per request.
 *
 * What makes reuse safe:
 * - The key holds everything the helper's answer depended on: the virtual host (the helper's
 *   copy of its configuration), the location (subdir, policy bits), the user the access
 *   checker verified (name and uid), the token's scope for url and share tokens (they resolve
 *   beneath it, so a link of one scope never gets a file resolved for another), and the path.
 *   Only a request whose token the access checker accepted reaches the handler, which checks
 *   revocations and the scope against the path on every request, hit or not.
 * - An entry is lent to one request at a time, and dropped as soon as its file's status
 *   changed (ta_fdcache.h); what it cannot see waits at most TokenAuthHomeCache seconds.
 * - Cached descriptors never outlive a request into code that is not ours: any other request
 *   closes them before its .htaccess files are read (ta_home_map_to_storage) and before its
 *   handler (ta_homecache_guard); a home request gives its own back before an internal
 *   redirect starts (ta_homecache_redirected); sub-requests, whose maker runs on when they
 *   end, do not use the cache. A prefork child running mod_php finds none of anyone's files
 *   open. What this cannot guard (code hooked into every request by the administrator, code in
 *   another thread of a threaded child, which finds every descriptor kept at that moment) is
 *   in docs/handlers.md. */
#include "ta_homecache.h"
#include "ta_fdcache.h"

#include "apr_strings.h"
#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"
#include "http_log.h"
#include "ap_mpm.h"

#include <time.h>
#include <unistd.h>

APLOG_USE_MODULE(tokenauth);

#define HOME_HANDLER "tokenauth-home"
/* Descriptors one child may hold: enough for every thread's request and a few hot files of
 * each, and far below the open-file limit Apache's children run with. */
#define CACHE_CAPACITY 128
/* How often the sweeper closes expired descriptors while the cache holds any. */
#define SWEEP_INTERVAL_MS 500

static ta_fdcache *cache;
static apr_thread_t *sweeper;
static apr_thread_mutex_t *sweep_lock;
static apr_thread_cond_t *sweep_wake;
static int sweeper_stopping;

/* A descriptor a request holds until its pool goes (or ta_homecache_release). The ones of a
 * pool are listed in its user data: an internal redirect shares its request's pool. */
typedef struct lent_fd {
    int fd;
    int slot; /* in the cache, or -1: the request's own descriptor */
    struct lent_fd *next;
} lent_fd;

#define LENT_KEY "tokenauth-homecache-lent"

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Closes expired descriptors: an idle child must not keep a deleted file's blocks, or a file
 * system busy, for longer than the cache time. Sleeps without a timeout while nothing is
 * cached. */
static void *APR_THREAD_FUNC sweep(apr_thread_t *t, void *unused)
{
    (void)unused;
    apr_thread_mutex_lock(sweep_lock);
    while (!sweeper_stopping) {
        if (ta_fdcache_count(cache) == 0)
            apr_thread_cond_wait(sweep_wake, sweep_lock);
        else
            apr_thread_cond_timedwait(sweep_wake, sweep_lock,
                                      apr_time_from_msec(SWEEP_INTERVAL_MS));
        ta_fdcache_sweep(cache, now_ms());
    }
    apr_thread_mutex_unlock(sweep_lock);
    /* a plain return, not apr_thread_exit: pthread_exit unwinds the stack under the
     * sanitizers' feet (ASan then reports its own thread clean-up), and apr_thread_join
     * needs no exit status here */
    (void)t;
    return NULL;
}

static void wake_sweeper(void)
{
    apr_thread_mutex_lock(sweep_lock);
    apr_thread_cond_signal(sweep_wake);
    apr_thread_mutex_unlock(sweep_lock);
}

/* A pre-cleanup of the child's pool: the sweeper stops before its pool goes. */
static apr_status_t stop_cache(void *unused)
{
    apr_status_t rv;

    (void)unused;
    apr_thread_mutex_lock(sweep_lock);
    sweeper_stopping = 1;
    apr_thread_cond_signal(sweep_wake);
    apr_thread_mutex_unlock(sweep_lock);
    apr_thread_join(&rv, sweeper);
    ta_fdcache_destroy(cache);
    cache = NULL;
    return APR_SUCCESS;
}

/* Modules that run code of their own language inside Apache's children, where it could be a
 * user's (a script, an .htaccess handler), by the name their module record gives. */
static const char *const in_process_languages[] = {
    "mod_lua.c",  "mod_perl.c", "mod_python.c", "mod_wsgi.c", "mod_php.c",
    "mod_php5.c", "mod_php7.c", "mod_php8.c",   NULL,
};

/* The name of a loaded module of in_process_languages, or NULL. */
static const char *loaded_language(void)
{
    for (module *m = ap_top_module; m; m = m->next) {
        const char *base = strrchr(m->name, '/') ? strrchr(m->name, '/') + 1 : m->name;
        for (size_t i = 0; in_process_languages[i]; i++)
            if (strcmp(base, in_process_languages[i]) == 0)
                return in_process_languages[i];
    }
    return NULL;
}

/* Set in the parent at post_config, inherited by the children: no cache in this server. */
static int cache_refused;

void ta_homecache_post_config(server_rec *s)
{
    int threaded = AP_MPMQ_NOT_SUPPORTED;
    const char *lang = loaded_language();

    /* In a threaded child, code of another thread sees every descriptor the process holds;
     * the cache would keep users' files open there for seconds after their requests. Prefork
     * runs one request at a time, and the cache is closed before code not ours runs. */
    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS)
        threaded = AP_MPMQ_STATIC;
    cache_refused = lang != NULL && threaded != AP_MPMQ_NOT_SUPPORTED;
    if (cache_refused)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "TA00103: %s runs code inside this server's threaded children, where it "
                     "could read the files other threads have open: TokenAuthHomeCache is off "
                     "(every home file goes to the helper). Run such code in processes of its "
                     "own (PHP-FPM, mod_cgid) or use the prefork MPM to have the cache",
                     lang);
}

void ta_homecache_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (cache_refused)
        return;
    if ((cache = ta_fdcache_create(CACHE_CAPACITY)) == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "TA00101: cannot create the home descriptor cache; every home file goes "
                     "to the helper");
        return;
    }
    if ((rv = apr_thread_mutex_create(&sweep_lock, APR_THREAD_MUTEX_DEFAULT, pchild)) ||
        (rv = apr_thread_cond_create(&sweep_wake, pchild)) ||
        (rv = apr_thread_create(&sweeper, NULL, sweep, NULL, pchild))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "TA00102: cannot start the home descriptor cache's sweeper; every home "
                     "file goes to the helper");
        ta_fdcache_destroy(cache);
        cache = NULL;
        return;
    }
    apr_pool_pre_cleanup_register(pchild, NULL, stop_cache);
}

const char *ta_homecache_key(request_rec *r, const ta_dir_conf *dc, unsigned tighten,
                             const ta_request *id)
{
    const char *scope = id->claims.kind == TA_KIND_SESSION ? "" : id->claims.scope;

    /* a sub-request (PHP's virtual(), say) ends while the request that made it, code not ours,
     * goes on: a descriptor it gave back to the cache would be open for that code */
    if (cache == NULL || dc->home_cache <= 0 || r->main)
        return NULL;
    /* every field that may hold any character is preceded by its length, so that no two
     * different requests make the same key; the path, last, needs none */
    return apr_psprintf(r->pool,
                        "%u %u %lu %" APR_SIZE_T_FMT ":%s %" APR_SIZE_T_FMT ":%s %" APR_SIZE_T_FMT
                        ":%s %" APR_SIZE_T_FMT ":%s %s",
                        ta_server_config(r->server)->index, tighten, id->claims.uid,
                        strlen(id->claims.sub), id->claims.sub, strlen(dc->home), dc->home,
                        strlen(dc->home_prefix), dc->home_prefix, strlen(scope), scope, r->uri);
}

static apr_status_t give_back(void *data)
{
    const lent_fd *l = data;

    if (l->slot < 0)
        close(l->fd);
    else if (cache)
        ta_fdcache_give_back(cache, l->slot, now_ms());
    /* else the child is exiting and its cache, gone, closed every descriptor it had */
    return APR_SUCCESS;
}

static void lend(request_rec *r, int fd, int slot)
{
    lent_fd *l = apr_palloc(r->pool, sizeof(*l));
    void *lent = NULL;

    apr_pool_userdata_get(&lent, LENT_KEY, r->pool);
    l->fd = fd;
    l->slot = slot;
    l->next = lent;
    apr_pool_userdata_setn(l, LENT_KEY, NULL, r->pool);
    apr_pool_cleanup_register(r->pool, l, give_back, apr_pool_cleanup_null);
}

void ta_homecache_release(request_rec *r)
{
    void *lent = NULL;

    apr_pool_userdata_get(&lent, LENT_KEY, r->pool);
    for (lent_fd *l = lent; l; l = l->next)
        apr_pool_cleanup_run(r->pool, l, give_back);
    apr_pool_userdata_setn(NULL, LENT_KEY, NULL, r->pool);
}

int ta_homecache_redirected(request_rec *r)
{
    if (r->prev)
        ta_homecache_release(r);
    return DECLINED;
}

int ta_homecache_take(request_rec *r, const char *key, int *fd, struct stat *st)
{
    int slot;

    if (key == NULL || cache == NULL || (slot = ta_fdcache_take(cache, key, now_ms(), fd, st)) < 0)
        return 0;
    lend(r, *fd, slot);
    return 1;
}

void ta_homecache_keep(request_rec *r, const char *key, int fd, int seconds)
{
    int slot = -1;

    if (key && cache &&
        (slot = ta_fdcache_add(cache, key, fd, now_ms(), (long long)seconds * 1000)) >= 0)
        wake_sweeper();
    lend(r, fd, slot);
}

void ta_homecache_flush(void)
{
    if (cache)
        ta_fdcache_flush(cache);
}

int ta_homecache_guard(request_rec *r)
{
    if (r->handler == NULL || strcmp(r->handler, HOME_HANDLER) != 0)
        ta_homecache_flush();
    return DECLINED;
}
