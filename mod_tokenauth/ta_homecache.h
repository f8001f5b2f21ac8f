/* TokenAuthHomeCache: this child's cache of the descriptors the helper opened for home files
 * (src/core/ta_fdcache.h), keyed by everything that decided which file the helper opened. */
#ifndef TA_HOMECACHE_H
#define TA_HOMECACHE_H

#include "httpd.h"

#include "ta_access.h"
#include "ta_config.h"

#include <sys/stat.h>

/* post_config: no cache at all in a threaded MPM whose children run a language module
 * (mod_lua, mod_perl, mod_php...): its code in one thread could read what another holds. */
void ta_homecache_post_config(server_rec *s);

/* child_init: this child's cache and the thread that closes what has expired. */
void ta_homecache_child_init(apr_pool_t *pchild, server_rec *s);

/* The cache key of a home request: NULL when the location does not cache. */
const char *ta_homecache_key(request_rec *r, const ta_dir_conf *dc, unsigned tighten,
                             const ta_request *id);

/* A cached descriptor for key, lent to r until r's pool goes: 1 with *fd and *st, else 0. */
int ta_homecache_take(request_rec *r, const char *key, int *fd, struct stat *st);

/* fd, which the helper just opened for r, belongs to r from now on: kept in the cache under
 * key (when not NULL) for TokenAuthHomeCache seconds after r is done, else closed with r. */
void ta_homecache_keep(request_rec *r, const char *key, int fd, int seconds);

/* Give back (or close) at once every descriptor lent to r's pool: r is done with its file,
 * and what runs next (an ErrorDocument, say) must not find it open. */
void ta_homecache_release(request_rec *r);

/* post_read_request, before any other: an internal redirect (an ErrorDocument for a 412 or
 * 416 of a home file) shares its request's pool and would run with that request's descriptor
 * still open; the earlier requests are done with theirs. */
int ta_homecache_redirected(request_rec *r);

/* Close every cached descriptor not lent out (those lent out are closed when given back):
 * for a request that is not a home request, before code that is not ours may run for it. */
void ta_homecache_flush(void);

/* handler, before any other: a request that our home handler does not serve may run code
 * that is not ours in this process (a PHP script, a CGI launcher); no cached descriptor of
 * anyone's is left open for it. */
int ta_homecache_guard(request_rec *r);

#endif
