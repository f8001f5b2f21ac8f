/* TokenAuthCache: the socache provider and its instance, the lock that providers which are
 * not multi-process safe need, and the revocation ledger's life cycle. */
#include "ta_cache.h"
#include "ta_revstore.h"

#include "ap_provider.h"
#include "ap_socache.h"
#include "apr_global_mutex.h"
#include "apr_strings.h"
#include "http_log.h"
#include "util_mutex.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>

APLOG_USE_MODULE(tokenauth);

#define MUTEX_TYPE "tokenauth-cache"
#define CACHE_NAMESPACE "tokenauth"
#define LEDGER_FILE "tokenauth/revocations" /* below DefaultRuntimeDir */
#define LEDGER_RETAINED "mod_tokenauth-ledger"
#define CANARY_ID "TA-canary"
#define CANARY_LIFETIME (10LL * 366 * 86400)
/* memcached reads a lifetime over 30 days as an absolute time (long past): keep below */
#define MEMCACHE_MAX_LIFETIME (29LL * 86400)

static struct {
    const char *spec; /* as configured, for messages */
    const char *name; /* the provider's name */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *inst;
    /* every read-modify-write of this server's children goes under it: providers flagged
     * not multi-process safe need it for every access, and for the others it keeps the
     * counter updates of one server whole */
    apr_global_mutex_t *mutex;
    unsigned ledger_slots; /* TokenAuthRevocationSlots; 0: the default */
    int initialised;
} cache;

/* The ledger outlives configuration generations: the parent maps it once, and every
 * generation of children inherits the same mapping. */
typedef struct {
    ta_revstore *rs;
    unsigned slots;
} retained_ledger;
static retained_ledger *ledger;

const char *ta_cache_status_name(ta_cache_status st)
{
    switch (st) {
    case TA_CACHE_OK:
        return "ok";
    case TA_CACHE_MISSING:
        return "missing";
    case TA_CACHE_FULL:
        return "full";
    case TA_CACHE_UNAVAILABLE:
        return "unavailable";
    }
    return "?";
}

int ta_cache_is_shared(void)
{
    return cache.name && strcmp(cache.name, "shmcb") != 0;
}

ta_revstore *ta_cache_ledger(void)
{
    return ledger ? ledger->rs : NULL;
}

unsigned ta_cache_ledger_slots(void)
{
    return ledger ? ledger->slots : 0;
}

void ta_cache_forget_ledger_fd(void)
{
    ta_revstore_forget_fd(ledger ? ledger->rs : NULL);
}

const char *ta_cache_ledger_path(apr_pool_t *p)
{
    return ledger && ledger->rs ? ap_runtime_dir_relative(p, LEDGER_FILE) : NULL;
}

/* Look the provider up and let it check its own argument. */
static const char *create(apr_pool_t *p, apr_pool_t *ptemp, const char *spec)
{
    const char *colon = strchr(spec, ':');
    const char *name = colon ? apr_pstrmemdup(p, spec, (apr_size_t)(colon - spec)) : spec;
    const ap_socache_provider_t *prov;
    ap_socache_instance_t *inst = NULL;
    const char *err;

    if (*name == '\0')
        return "takes provider[:args], such as shmcb or redis:127.0.0.1:6379";
    prov = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION);
    if (prov == NULL) {
        apr_array_header_t *loaded =
            ap_list_provider_names(ptemp, AP_SOCACHE_PROVIDER_GROUP, AP_SOCACHE_PROVIDER_VERSION);
        return apr_psprintf(ptemp,
                            "unknown socache provider \"%s\" (load mod_socache_%s first; "
                            "loaded: %s)",
                            name, name, loaded ? apr_array_pstrcat(ptemp, loaded, ',') : "none");
    }
    if ((err = prov->create(&inst, colon ? colon + 1 : NULL, ptemp, p)) != NULL)
        return apr_psprintf(ptemp, "socache %s: %s", name, err);
    cache.spec = apr_pstrdup(p, spec);
    cache.name = name;
    cache.provider = prov;
    cache.inst = inst;
    return NULL;
}

const char *ta_cache_configure(cmd_parms *cmd, const char *spec)
{
    if (cmd->server->is_virtual)
        return "belongs in the main server configuration: one store serves every virtual host";
    if (cache.provider)
        return "may be given only once";
    return create(cmd->pool, cmd->temp_pool, spec);
}

const char *ta_cache_configure_slots(cmd_parms *cmd, const char *arg)
{
    char *end;
    unsigned long v;

    if (cmd->server->is_virtual)
        return "belongs in the main server configuration: one ledger serves every virtual host";
    errno = 0;
    v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || v < TA_REVSTORE_SLOTS_MIN || v > TA_REVSTORE_SLOTS_MAX ||
        (v & (v - 1)) != 0)
        return apr_psprintf(cmd->temp_pool, "\"%s\" is not a power of two from %u to %u", arg,
                            TA_REVSTORE_SLOTS_MIN, TA_REVSTORE_SLOTS_MAX);
    cache.ledger_slots = (unsigned)v;
    return NULL;
}

void ta_cache_pre_config(apr_pool_t *pconf)
{
    /* the previous generation's instance went with its pool */
    memset(&cache, 0, sizeof(cache));
    ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

int ta_cache_check_config(apr_pool_t *pconf, server_rec *s)
{
    const char *err;

    if (cache.provider)
        return OK;
    if ((err = create(pconf, pconf, "shmcb")) == NULL)
        return OK;
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 "TA00009: TokenAuthCache defaults to shmcb, which is not available (%s); "
                 "enable mod_socache_shmcb (a2enmod socache_shmcb) or set TokenAuthCache",
                 err);
    return HTTP_INTERNAL_SERVER_ERROR;
}

static apr_status_t destroy_instance(void *data)
{
    server_rec *s = data;

    if (cache.initialised && cache.provider && cache.inst)
        cache.provider->destroy(cache.inst, s);
    cache.initialised = 0;
    return APR_SUCCESS;
}

/* The ledger's directory: made when missing, and it must be ours and writable by nobody else,
 * so that nobody can put another file in the ledger's place. NULL or why not. */
static const char *ledger_dir_unsafe(apr_pool_t *p, const char *path)
{
    char *dir = apr_pstrdup(p, path), *slash = strrchr(dir, '/');
    struct stat st;

    if (slash == NULL || slash == dir)
        return "not an absolute path";
    *slash = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return apr_psprintf(p, "cannot create %s: %s", dir, strerror(errno));
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022))
        return apr_psprintf(p, "%s must be a directory owned by uid %lu, not group/other writable",
                            dir, (unsigned long)geteuid());
    return NULL;
}

/* Map the ledger once per parent: a graceful restart keeps the mapping the running children
 * use, and ta_revstore_open may only be called while no other process uses the file. */
static int open_ledger(apr_pool_t *pconf, server_rec *s)
{
    const char *path, *why;
    char err[512];

    unsigned slots = cache.ledger_slots ? cache.ledger_slots : TA_REVSTORE_SLOTS;

    ledger = ap_retained_data_get(LEDGER_RETAINED);
    if (ledger == NULL)
        ledger = ap_retained_data_create(LEDGER_RETAINED, sizeof(*ledger));
    if (ledger->rs) {
        if (ledger->slots != slots)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "TA00019: TokenAuthRevocationSlots %u takes effect at the next full "
                         "restart (the running ledger has %u)",
                         slots, ledger->slots);
        return OK;
    }
    path = ap_runtime_dir_relative(pconf, LEDGER_FILE);
    if (path && (why = ledger_dir_unsafe(pconf, path)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TA00015: revocation ledger: %s", why);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ledger->rs = path ? ta_revstore_open(path, slots, err, sizeof(err)) : NULL;
    ledger->slots = slots;
    if (ledger->rs == NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TA00015: revocation ledger: %s",
                     path ? err : "no runtime directory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* no cleanup: the mapping lasts as long as the parent, and a cleanup on the process pool
     * would run after httpd has unloaded this module */
    return OK;
}

int ta_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    struct ap_socache_hints hints = {40, 32, 60};
    apr_status_t rv;

    (void)ptemp;
    if (open_ledger(pconf, s) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    rv = ap_global_mutex_create(&cache.mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     "TA00014: cannot create the lock of TokenAuthCache %s", cache.spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = cache.provider->init(cache.inst, CACHE_NAMESPACE, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "TA00014: cannot set up TokenAuthCache %s",
                     cache.spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    cache.initialised = 1;
    apr_pool_cleanup_register(pconf, s, destroy_instance, apr_pool_cleanup_null);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "TA00017: TokenAuthCache %s (%s), revocation ledger with %u slots", cache.spec,
                 ta_cache_is_shared() ? "shared with other servers" : "this server only",
                 ledger->slots);
    return OK;
}

void ta_cache_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (cache.mutex == NULL)
        return;
    rv = apr_global_mutex_child_init(&cache.mutex, apr_global_mutex_lockfile(cache.mutex), pchild);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "TA00014: cannot attach to the lock of TokenAuthCache");
}

ta_cache_status ta_cache_lock(request_rec *r)
{
    apr_status_t rv;

    if (cache.mutex == NULL)
        return TA_CACHE_OK;
    if ((rv = apr_global_mutex_lock(cache.mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "TA00016: TokenAuthCache: cannot lock");
        return TA_CACHE_UNAVAILABLE;
    }
    return TA_CACHE_OK;
}

void ta_cache_unlock(request_rec *r)
{
    apr_status_t rv;

    if (cache.mutex && (rv = apr_global_mutex_unlock(cache.mutex)) != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "TA00016: TokenAuthCache: cannot unlock");
}

/* One line per failed operation: the store is down or refused, and the request fails closed. */
static ta_cache_status failed(request_rec *r, apr_status_t rv, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "TA00016: TokenAuthCache %s: %s failed", cache.spec,
                  what);
    return TA_CACHE_UNAVAILABLE;
}

ta_cache_status ta_cache_get(request_rec *r, const unsigned char *id, unsigned idlen,
                             unsigned char *buf, unsigned *len)
{
    apr_status_t rv;

    if (!cache.initialised)
        return failed(r, APR_EGENERAL, "look-up before start-up");
    rv = cache.provider->retrieve(cache.inst, r->server, id, idlen, buf, len, r->pool);
    if (rv == APR_SUCCESS)
        return TA_CACHE_OK;
    if (APR_STATUS_IS_NOTFOUND(rv))
        return TA_CACHE_MISSING;
    return failed(r, rv, "look-up");
}

ta_cache_status ta_cache_put(request_rec *r, const unsigned char *id, unsigned idlen,
                             long long expires, const unsigned char *data, unsigned len)
{
    long long now = (long long)apr_time_sec(apr_time_now());
    apr_status_t rv;

    if (!cache.initialised)
        return failed(r, APR_EGENERAL, "store before start-up");
    if (expires < now + 2)
        expires = now + 2; /* some providers refuse a lifetime under a second */
    if (strcmp(cache.name, "memcache") == 0 && expires > now + MEMCACHE_MAX_LIFETIME)
        expires = now + MEMCACHE_MAX_LIFETIME;
    rv = cache.provider->store(cache.inst, r->server, id, idlen, apr_time_from_sec(expires),
                               (unsigned char *)data, len, r->pool);
    return rv == APR_SUCCESS ? TA_CACHE_OK : failed(r, rv, "store");
}

ta_cache_status ta_cache_remove(request_rec *r, const unsigned char *id, unsigned idlen)
{
    apr_status_t rv;

    if (!cache.initialised)
        return failed(r, APR_EGENERAL, "removal before start-up");
    rv = cache.provider->remove(cache.inst, r->server, id, idlen, r->pool);
    if (rv == APR_SUCCESS || APR_STATUS_IS_NOTFOUND(rv))
        return TA_CACHE_OK;
    return failed(r, rv, "removal");
}

/* With a shared provider a miss proves nothing on its own: APR's redis and memcache clients
 * answer "not found" for every key while they hold the server for dead, and a store
 * restarted without its data has forgotten our entries. A canary entry tells a real miss
 * from these: present, the store answered and still holds what we wrote; missing, it is
 * written again, and when that fails the store is unavailable. Lock held. */
ta_cache_status ta_cache_confirm_miss(request_rec *r)
{
    unsigned char buf[8];
    unsigned len = sizeof(buf);
    ta_cache_status st;

    if (!ta_cache_is_shared())
        return TA_CACHE_OK;
    st = ta_cache_get(r, (const unsigned char *)CANARY_ID, sizeof(CANARY_ID) - 1, buf, &len);
    if (st != TA_CACHE_MISSING)
        return st;
    st = ta_cache_put(r, (const unsigned char *)CANARY_ID, sizeof(CANARY_ID) - 1,
                      (long long)apr_time_sec(apr_time_now()) + CANARY_LIFETIME,
                      (const unsigned char *)"1", 1);
    if (st != TA_CACHE_OK)
        return TA_CACHE_UNAVAILABLE;
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "TA00018: TokenAuthCache %s had lost its marker entry (new, flushed, or "
                  "restarted without its data): revocations made before on other servers "
                  "may be lost",
                  cache.spec);
    return TA_CACHE_OK;
}
