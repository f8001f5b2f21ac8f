/* Writing the helper's configuration text. */
#include "ta_helperconf.h"
#include "ta_config.h"
#include "ta_hconf.h"

#include "apr_strings.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

APLOG_USE_MODULE(tokenauth);

/* One value, percent-encoded as ta_hconf decodes it ("-" for NULL). */
static const char *enc(apr_pool_t *p, const char *s)
{
    size_t cap;
    char *out;

    if (s == NULL)
        return "-";
    cap = strlen(s) * 3 + 2;
    out = apr_palloc(p, cap);
    return ta_hconf_encode(s, out, cap) == 0 ? out : "-";
}

static const char *num_or_unset(apr_pool_t *p, int set, long long v)
{
    return set ? apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v) : "-";
}

/* HOME OWNER HIDDEN SESSION URL URLMAX of a section (all set: the server's defaults). */
static const char *settings(apr_pool_t *p, const ta_dir_conf *dc, int all)
{
    const char *home = dc->home == NULL      ? (all ? "off" : "-")
                       : dc->home[0] == '\0' ? "off"
                                             : apr_pstrcat(p, ":", dc->home, NULL);

    return apr_pstrcat(p, home[0] == ':' ? enc(p, home) : home, " ",
                       num_or_unset(p, all || dc->owner_only_set, dc->owner_only), " ",
                       num_or_unset(p, all || dc->hidden_set, dc->allow_hidden), " ",
                       num_or_unset(p, all || dc->session_ttl_set, dc->session_ttl), " ",
                       num_or_unset(p, all || dc->url_ttl_set, dc->url_ttl), " ",
                       num_or_unset(p, all || dc->url_ttl_set, dc->url_ttl_max), NULL);
}

static const char *server_line(apr_pool_t *p, server_rec *v)
{
    const ta_server_conf *sc = ta_server_config(v);
    const ta_dir_conf *dc = ap_get_module_config(v->lookup_defaults, &tokenauth_module);

    return apr_psprintf(p, "server %s %s %s %u %" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %lu %s\n",
                        enc(p, sc->issuer ? sc->issuer : TA_DEFAULT_ISSUER), enc(p, sc->key_file),
                        enc(p, sc->pam_service ? sc->pam_service : TA_DEFAULT_PAM_SERVICE),
                        sc->throttle_limit ? sc->throttle_limit : 1,
                        (apr_int64_t)sc->throttle_window, (apr_int64_t)sc->throttle_lockout,
                        ta_min_uid(sc), settings(p, dc, 1));
}

/* Every plain <Location> of v, in order. Regular-expression and wildcard sections cannot be
 * told apart by a path prefix: a TokenAuthHome in one is refused at start-up instead. */
static const char *loc_lines(apr_pool_t *p, server_rec *v, unsigned index, int *bad)
{
    core_server_config *core = ap_get_core_module_config(v->module_config);
    ap_conf_vector_t **sec = (ap_conf_vector_t **)core->sec_url->elts;
    const char *out = "";

    for (int i = 0; i < core->sec_url->nelts; i++) {
        core_dir_config *cd = ap_get_core_module_config(sec[i]);
        const ta_dir_conf *dc = ap_get_module_config(sec[i], &tokenauth_module);

        if (dc == NULL || cd->d == NULL)
            continue;
        if (cd->r != NULL || cd->d_is_fnmatch) {
            if (dc->home && dc->home[0]) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v,
                             "TA00071: TokenAuthHome in <LocationMatch %s> or a wildcard "
                             "<Location>: use a plain <Location> path",
                             cd->d);
                *bad = 1;
            }
            continue;
        }
        out = apr_pstrcat(p, out, "loc ", apr_psprintf(p, "%u ", index), enc(p, cd->d), " ",
                          settings(p, dc, 0), "\n", NULL);
    }
    return out;
}

const char *ta_helperconf_text(apr_pool_t *p, server_rec *s, unsigned long client_uid,
                               unsigned long client_gid, unsigned max_clients, unsigned per_peer,
                               const char *ledger, unsigned ledger_slots)
{
    const char *servers = "", *locs = "";
    unsigned index = 0;
    int bad = 0;
    int level = s->log.module_levels && s->log.module_levels[APLOG_MODULE_INDEX] >= 0
                    ? s->log.module_levels[APLOG_MODULE_INDEX]
                    : s->log.level;

    for (server_rec *v = s; v; v = v->next, index++) {
        ((ta_server_conf *)ta_server_config(v))->index = index;
        servers = apr_pstrcat(p, servers, server_line(p, v), NULL);
        locs = apr_pstrcat(p, locs, loc_lines(p, v, index, &bad), NULL);
    }
    if (bad || index > 65535)
        return NULL;
    return apr_pstrcat(
        p, "tokenauth-helper-config 1\n",
        apr_psprintf(p, "client %lu %lu %u %u %d %s\n", client_uid, client_gid, max_clients,
                     per_peer, level > APLOG_DEBUG ? APLOG_DEBUG : level,
                     s->error_log ? "file" : "syslog"),
        "ledger ", enc(p, ledger), ledger ? apr_psprintf(p, " %u\n", ledger_slots) : " -\n",
        servers, locs, NULL);
}
