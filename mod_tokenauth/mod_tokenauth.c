/* mod_tokenauth: signed, expiring tokens for Apache httpd 2.4 (see SPEC.md).
 * This file is the module record and its table of contents; the work is done in
 * ta_config.c (directives), ta_access.c (AuthType token) and ta_usercache.c. */
#include "httpd.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_core.h"
#include "http_request.h"
#include "mod_auth.h"

#include "ta_access.h"
#include "ta_cache.h"
#include "ta_config.h"
#include "ta_handlers.h"
#include "ta_helperctl.h"
#include "ta_homecache.h"
#include "ta_usercache.h"

/* Refuse to start without keys: every part of the module needs them, and finding out at the
 * first request (as a 500) is too late. check_config runs for "apachectl configtest" too. */
static int ta_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    ta_cache_pre_config(pconf);
    ta_strip_pre_config(pconf);
    ta_helper_pre_config();
    return OK;
}

static int ta_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    for (server_rec *v = s; v; v = v->next) {
        if (ta_server_config(v)->keys == NULL) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v,
                         "TA00007: mod_tokenauth is loaded but no TokenAuthKeyFile is set%s%s%s",
                         v->defn_name ? " for the virtual host at " : " (server-wide)",
                         v->defn_name ? v->defn_name : "",
                         v->defn_name ? apr_psprintf(ptemp, ":%d", v->defn_line_number) : "");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return ta_cache_check_config(pconf, s);
}

/* Start the privileged helper, and say once per start which key signs, so that rotations
 * can be followed in the log. */
static int ta_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    /* the ledger first: the helper inherits its descriptor */
    if (ta_cache_post_config(pconf, ptemp, s) != OK || ta_helper_start(pconf, s) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    ta_homecache_post_config(s);
    if (ap_find_linked_module("mod_userdir.c"))
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "TA00100: mod_userdir is loaded: users' own pages and scripts (~user/) then "
                     "share a host name with the file service. They never see the module's cookie "
                     "or tokens, but a script of theirs runs in the same origin as your pages; "
                     "serve the files from a host name of their own (README: \"A host name of "
                     "its own\")");
    for (server_rec *v = s; v; v = v->next) {
        const ta_server_conf *sc = ta_server_config(v);
        if (v == s || sc->keys != ta_server_config(s)->keys)
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, v,
                         "TA00001: %" APR_SIZE_T_FMT " key(s) loaded from %s; signing with kid %s",
                         ta_keyset_count(sc->keys), sc->key_file,
                         ta_key_kid(ta_keyset_at(sc->keys, 0)));
        if ((v == s || sc->keys != ta_server_config(s)->keys) &&
            ta_keyset_signing_alg(sc->keys) == TA_ALG_HS256)
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, v,
                         "TA00074: the signing key of %s is HS256, a shared secret that every "
                         "Apache child holds: code running in a child can mint tokens for any "
                         "user. Sign with an EdDSA key (tokenauth keygen) so that only the helper "
                         "can.",
                         sc->key_file);
    }
    return OK;
}

static void ta_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv = ta_usercache_init(pchild);

    ta_helper_child_init(s);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TA00006: cannot create the user cache");
    ta_cache_child_init(pchild, s);
    ta_homecache_child_init(pchild, s);
}

static void ta_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(ta_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(ta_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ta_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ta_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    /* our cookie and bearer token leave the headers before any other module sees them */
    ap_hook_post_read_request(ta_strip_credentials, NULL, NULL, APR_HOOK_REALLY_FIRST);
    /* an internal redirect does not inherit the home descriptors of the request before it */
    ap_hook_post_read_request(ta_homecache_redirected, NULL, NULL, APR_HOOK_REALLY_FIRST - 10);
    ap_hook_fixups(ta_strip_restore, NULL, NULL, APR_HOOK_REALLY_FIRST);
    /* TokenAuthHome locations: no document-root walk for their URLs (Alias, Redirect and
     * RewriteRule translate first); any other URL closes the home descriptor cache before its
     * walk, whose .htaccess files may hook other modules' code into the request */
    ap_hook_translate_name(ta_home_translate, NULL, NULL, APR_HOOK_LAST);
    ap_hook_map_to_storage(ta_home_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    /* TokenAuthHome locations: their requests are ours, typed by their own names */
    ap_hook_fixups(ta_home_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    /* take the token out of the query early, before authentication and before any logger */
    ap_hook_header_parser(ta_collect_credentials, NULL, NULL, APR_HOOK_REALLY_FIRST);
    /* AuthType token */
    ap_hook_check_authn(ta_check_token, NULL, NULL, APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_CONF);
    /* a Bearer challenge when Require refuses the token's user */
    ap_hook_note_auth_failure(ta_auth_failure_challenge, NULL, NULL, APR_HOOK_MIDDLE);
    /* private, no-referrer answers for token-authenticated requests */
    ap_hook_fixups(ta_secure_response, NULL, NULL, APR_HOOK_LAST);
    /* the handlers of SPEC §4 */
    ap_hook_handler(ta_login_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ta_logout_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ta_mint_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ta_whoami_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ta_jwks_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ta_home_handler, NULL, NULL, APR_HOOK_FIRST);
    /* before any handler: no cached descriptor of a user's is open while code not ours runs */
    ap_hook_handler(ta_homecache_guard, NULL, NULL, APR_HOOK_REALLY_FIRST - 10);
    /* scrub requests that failed before header_parser, before mod_log_config writes them */
    ap_hook_log_transaction(ta_redact_for_log, NULL, NULL, APR_HOOK_REALLY_FIRST);
}

AP_DECLARE_MODULE(tokenauth) = {STANDARD20_MODULE_STUFF, ta_create_dir_conf,   ta_merge_dir_conf,
                                ta_create_server_conf,   ta_merge_server_conf, ta_directives,
                                ta_register_hooks,       AP_MODULE_FLAG_NONE};
