/* Directives, and the create/merge functions of both configuration scopes. */
#include "ta_config.h"
#include "ta_access.h"
#include "ta_cache.h"
#include "ta_homeauth.h"
#include "ta_proto.h"
#include "ta_user.h"

#include "apr_lib.h"
#include "apr_file_io.h"
#include "apr_strings.h"
#include "http_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

APLOG_USE_MODULE(tokenauth);
extern module AP_MODULE_DECLARE_DATA tokenauth_module;

const ta_dir_conf *ta_dir_config(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &tokenauth_module);
}

const ta_server_conf *ta_server_config(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &tokenauth_module);
}

void *ta_create_server_conf(apr_pool_t *p, server_rec *s)
{
    ta_server_conf *c = apr_pcalloc(p, sizeof(ta_server_conf));

    (void)s;
    /* zero (apr_pcalloc): key_file, keys, issuer, pam_service, login_page, throttle_set,
     * min_uid, min_uid_set, index */
    c->throttle_limit = TA_DEFAULT_THROTTLE_LIMIT;
    c->throttle_window = TA_DEFAULT_THROTTLE_WINDOW;
    c->throttle_lockout = TA_DEFAULT_THROTTLE_LOCKOUT;
    return c;
}

void *ta_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const ta_server_conf *base = basev, *add = addv;
    ta_server_conf *c = apr_pcalloc(p, sizeof(*c));

    c->key_file = add->key_file ? add->key_file : base->key_file;
    c->keys = add->keys ? add->keys : base->keys;
    c->issuer = add->issuer ? add->issuer : base->issuer;
    c->pam_service = add->pam_service ? add->pam_service : base->pam_service;
    c->login_page = add->login_page ? add->login_page : base->login_page;
    c->throttle_set = add->throttle_set || base->throttle_set;
    c->min_uid = add->min_uid_set ? add->min_uid : base->min_uid;
    c->min_uid_set = add->min_uid_set || base->min_uid_set;
    c->throttle_limit = add->throttle_set ? add->throttle_limit : base->throttle_limit;
    c->throttle_window = add->throttle_set ? add->throttle_window : base->throttle_window;
    c->throttle_lockout = add->throttle_set ? add->throttle_lockout : base->throttle_lockout;
    /* not merged: index (each server's own, numbered by post_config) */
    return c;
}

void *ta_create_dir_conf(apr_pool_t *p, char *dir)
{
    ta_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    /* zero (apr_pcalloc): sources_set, query_sessions, query_sessions_set, query_param, cookie,
     * session_ttl_set, url_ttl_set, login_url, logout_url, redact_set, home, home_prefix,
     * owner_only_set, allow_hidden, hidden_set, home_cache_set */
    c->sources = TA_SRC_ALL;
    c->session_ttl = TA_DEFAULT_SESSION_TTL;
    c->url_ttl = TA_DEFAULT_URL_TTL;
    c->url_ttl_max = TA_DEFAULT_URL_TTL_MAX;
    c->redact = 1;
    c->owner_only = 1;
    c->home_cache = TA_DEFAULT_HOME_CACHE;
    return c;
}

void *ta_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const ta_dir_conf *base = basev, *add = addv;
    ta_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->sources = add->sources_set ? add->sources : base->sources;
    c->sources_set = add->sources_set || base->sources_set;
    c->query_sessions = add->query_sessions_set ? add->query_sessions : base->query_sessions;
    c->query_sessions_set = add->query_sessions_set || base->query_sessions_set;
    c->query_param = add->query_param ? add->query_param : base->query_param;
    c->cookie = add->cookie ? add->cookie : base->cookie;
    c->session_ttl = add->session_ttl_set ? add->session_ttl : base->session_ttl;
    c->session_ttl_set = add->session_ttl_set || base->session_ttl_set;
    c->url_ttl = add->url_ttl_set ? add->url_ttl : base->url_ttl;
    c->url_ttl_max = add->url_ttl_set ? add->url_ttl_max : base->url_ttl_max;
    c->url_ttl_set = add->url_ttl_set || base->url_ttl_set;
    c->login_url = add->login_url ? add->login_url : base->login_url;
    c->logout_url = add->logout_url ? add->logout_url : base->logout_url;
    c->redact = add->redact_set ? add->redact : base->redact;
    c->redact_set = add->redact_set || base->redact_set;
    c->home = add->home ? add->home : base->home;
    c->home_prefix = add->home ? add->home_prefix : base->home_prefix;
    c->owner_only = add->owner_only_set ? add->owner_only : base->owner_only;
    c->owner_only_set = add->owner_only_set || base->owner_only_set;
    c->allow_hidden = add->hidden_set ? add->allow_hidden : base->allow_hidden;
    c->hidden_set = add->hidden_set || base->hidden_set;
    c->home_cache = add->home_cache_set ? add->home_cache : base->home_cache;
    c->home_cache_set = add->home_cache_set || base->home_cache_set;
    return c;
}

/* A configuration error as one self-contained line: "Directive (file:line): what is wrong".
 * httpd prints its own "Syntax error on line N" above it; ours must stand alone in a log. */
static const char *cfg_error(cmd_parms *cmd, const char *fmt, ...)
{
    va_list ap;
    const char *what;

    va_start(ap, fmt);
    what = apr_pvsprintf(cmd->pool, fmt, ap);
    va_end(ap);
    if (cmd->directive == NULL)
        return what;
    return apr_psprintf(cmd->pool, "%s (%s:%d): %s", cmd->directive->directive,
                        cmd->directive->filename ? cmd->directive->filename : "?",
                        cmd->directive->line_num, what);
}

static ta_server_conf *server_conf_of(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &tokenauth_module);
}

/* Set in a process whose keys were wiped: the pool cleanups below must not free them again. */
static int keys_forgotten;

void ta_config_forget_keys(server_rec *s)
{
    if (keys_forgotten)
        return;
    keys_forgotten = 1;
    for (server_rec *v = s; v; v = v->next) {
        ta_server_conf *sc = ap_get_module_config(v->module_config, &tokenauth_module);
        ta_keyset *ks = sc ? sc->keys : NULL;

        if (ks == NULL)
            continue;
        /* virtual hosts share their main server's set: free each once, forget it in all */
        for (server_rec *w = v; w; w = w->next) {
            ta_server_conf *wc = ap_get_module_config(w->module_config, &tokenauth_module);
            if (wc && wc->keys == ks)
                wc->keys = NULL;
        }
        ta_keyset_free(ks);
    }
}

/* Wipe the keys with the configuration pool that holds them. */
static apr_status_t free_keys(void *ks)
{
    if (!keys_forgotten)
        ta_keyset_free(ks);
    return APR_SUCCESS;
}

/* The command that mends a key file the loader refused, as "; ..." to end its message; "" when
 * the file itself must be edited. A new file is created under umask 077: made 0644 and then
 * chmod-ed, it could be opened by anyone in between and read once the key is in it. */
static const char *key_file_fix(apr_pool_t *p, const char *path, ta_keys_status st)
{
    struct stat sb;

    if (st == TA_KEYS_OPEN_FAILED && lstat(path, &sb) != 0 && errno == ENOENT)
        return apr_psprintf(p, "; create one with \"(umask 077; tokenauth keygen > %s)\"", path);
    if (st == TA_KEYS_INSECURE_MODE)
        return apr_psprintf(p, "; fix with \"chmod 600 %s\"", path);
    if (st == TA_KEYS_NOT_ROOT_OWNED)
        return apr_psprintf(p, "; fix with \"chown root:root %s\"", path);
    return "";
}

/* TokenAuthKeyFile: read and check the keys now, so that a bad file stops configtest with
 * the directive's file and line. */
static const char *set_key_file(cmd_parms *cmd, void *dummy, const char *arg)
{
    ta_server_conf *sc = server_conf_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    char err[256];
    ta_keyset *ks = NULL;
    ta_keys_status st;

    (void)dummy;
    if (path == NULL)
        return cfg_error(cmd, "invalid path %s", arg);
    st = ta_keys_load(path, geteuid() == 0, TA_KEYS_PUBLIC, &ks, err, sizeof(err));
    if (st != TA_KEYS_OK)
        return cfg_error(cmd, "%s: %s%s", path, err, key_file_fix(cmd->temp_pool, path, st));
    apr_pool_cleanup_register(cmd->pool, ks, free_keys, apr_pool_cleanup_null);
    sc->key_file = path;
    sc->keys = ks;
    return NULL;
}

static const char *set_issuer(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (*arg == '\0' || strlen(arg) > 256)
        return cfg_error(cmd, "takes a non-empty string of at most 256 bytes");
    server_conf_of(cmd)->issuer = arg;
    return NULL;
}

/* A page used when no TokenAuthLoginTemplate is set: accessible, no script, sized for phones,
 * light and dark (the style of conf/login.html, in short). */
#define LOGIN_STYLE                                                                                \
    ":root{color-scheme:light dark;--bg:#f5f6f8;--fg:#1d2025;--card:#fff;--line:#d9dde3;"          \
    "--accent:#1b5fb0;--err:#b3261e}"                                                              \
    "@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e6e8eb;--card:#1f2226;"           \
    "--line:#363b42;--accent:#7fb2f0;--err:#f2b8b5}}"                                              \
    "*{box-sizing:border-box}"                                                                     \
    "body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,sans-serif}"       \
    "main{max-width:24rem;margin:10vh auto 2rem;padding:1.5rem;background:var(--card);"            \
    "border:1px solid var(--line);border-radius:.75rem}"                                           \
    "h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin-top:1rem;font-weight:600}"     \
    "input{width:100%;margin-top:.3rem;padding:.6rem;font:inherit;color:inherit;"                  \
    "background:var(--bg);border:1px solid var(--line);border-radius:.4rem}"                       \
    "button{width:100%;margin-top:1.5rem;padding:.7rem;font:inherit;font-weight:600;"              \
    "color:var(--card);background:var(--accent);border:0;border-radius:.4rem;cursor:pointer}"      \
    ".message{color:var(--err);margin:0}.message:empty{display:none}"                              \
    "@media (max-width:30rem){main{margin:0;border:0;border-radius:0;min-height:100vh}}"

static const char builtin_login_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Sign in</title>\n<style>" LOGIN_STYLE "</style></head>\n"
    "<body><main><h1>Sign in</h1><p class=\"message\" role=\"alert\">{{message}}</p>\n"
    "<form method=\"post\" action=\"{{action}}\">"
    "<input type=\"hidden\" name=\"return\" value=\"{{return}}\">\n"
    "<label for=\"u\">User name</label><input id=\"u\" name=\"username\" "
    "autocomplete=\"username\" autocapitalize=\"none\" required autofocus>\n"
    "<label for=\"p\">Password</label><input id=\"p\" name=\"password\" "
    "type=\"password\" autocomplete=\"current-password\" required>\n"
    "<button type=\"submit\">Sign in</button></form></main></body></html>\n";

const char *ta_login_template(const server_rec *s)
{
    const ta_server_conf *sc = ta_server_config(s);

    return sc->login_page ? sc->login_page : builtin_login_page;
}

/* TokenAuthLoginTemplate: read now, so a missing file stops configtest. */
static const char *set_login_template(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    (void)dummy;
    if (path == NULL || apr_file_open(&f, path, APR_READ, 0, cmd->pool) != APR_SUCCESS ||
        apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS)
        return cfg_error(cmd, "cannot read %s", arg);
    if (fi.size > 65536) {
        apr_file_close(f);
        return cfg_error(cmd, "%s is larger than 64 KiB", path);
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(cmd->pool, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return cfg_error(cmd, "cannot read %s", path);
    }
    apr_file_close(f);
    buf[n] = '\0';
    server_conf_of(cmd)->login_page = buf;
    return NULL;
}

static const char *set_pam_service(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (!ta_pam_service_valid(arg))
        return cfg_error(cmd,
                         "\"%s\" is not a PAM service name (1-64 of A-Za-z0-9._-, no "
                         "leading dot)",
                         arg);
    server_conf_of(cmd)->pam_service = arg;
    return NULL;
}

/* Parse a lifetime in seconds: a positive decimal integer of at most ten years. */
static const char *parse_ttl(cmd_parms *cmd, const char *arg, long long *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || v <= 0 || v > TA_TTL_LIMIT)
        return cfg_error(cmd, "\"%s\" is not a number of seconds between 1 and %" APR_INT64_T_FMT,
                         arg, (apr_int64_t)TA_TTL_LIMIT);
    *out = v;
    return NULL;
}

static const char *set_session_ttl(cmd_parms *cmd, void *dcv, const char *arg)
{
    ta_dir_conf *dc = dcv;
    const char *err = parse_ttl(cmd, arg, &dc->session_ttl);

    dc->session_ttl_set = 1;
    return err;
}

static const char *set_url_ttl(cmd_parms *cmd, void *dcv, const char *def, const char *max)
{
    ta_dir_conf *dc = dcv;
    const char *err;

    if ((err = parse_ttl(cmd, def, &dc->url_ttl)) || (err = parse_ttl(cmd, max, &dc->url_ttl_max)))
        return err;
    if (dc->url_ttl > dc->url_ttl_max)
        return cfg_error(cmd, "the default must not exceed the max");
    dc->url_ttl_set = 1;
    return NULL;
}

/* TokenAuthSources query cookie bearer: one or more, each once. */
static const char *set_sources(cmd_parms *cmd, void *dcv, const char *args)
{
    ta_dir_conf *dc = dcv;
    int mask = 0;

    while (*args) {
        const char *w = ap_getword_conf(cmd->temp_pool, &args);
        int bit = !strcasecmp(w, "query")    ? TA_SRC_QUERY
                  : !strcasecmp(w, "cookie") ? TA_SRC_COOKIE
                  : !strcasecmp(w, "bearer") ? TA_SRC_BEARER
                                             : 0;
        if (*w == '\0')
            break;
        if (bit == 0)
            return cfg_error(cmd, "unknown source \"%s\" (query, cookie, bearer)", w);
        if (mask & bit)
            return cfg_error(cmd, "\"%s\" given twice", w);
        mask |= bit;
    }
    if (mask == 0)
        return cfg_error(cmd, "needs at least one of query, cookie, bearer");
    dc->sources = mask;
    dc->sources_set = 1;
    return NULL;
}

/* On or Off, in any case, for every switch of ours: *on is 1 or 0, else a one-line error. */
static const char *parse_on_off(cmd_parms *cmd, const char *arg, int *on)
{
    if (!strcasecmp(arg, "on"))
        *on = 1;
    else if (!strcasecmp(arg, "off"))
        *on = 0;
    else
        return cfg_error(cmd, "\"%s\" is not On or Off", arg);
    return NULL;
}

static const char *set_query_sessions(cmd_parms *cmd, void *dcv, const char *arg)
{
    ta_dir_conf *dc = dcv;
    const char *err = parse_on_off(cmd, arg, &dc->query_sessions);

    if (err == NULL)
        dc->query_sessions_set = 1;
    return err;
}

static const char *set_redact(cmd_parms *cmd, void *dcv, const char *arg)
{
    ta_dir_conf *dc = dcv;
    const char *err = parse_on_off(cmd, arg, &dc->redact);

    if (err == NULL)
        dc->redact_set = 1;
    return err;
}

/* A query parameter or cookie name: a token of RFC 7230 tchar, at most 64 bytes. */
static const char *check_name(cmd_parms *cmd, const char *arg)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";

    if (*arg == '\0' || strlen(arg) > 64)
        return cfg_error(cmd, "a name of 1 to 64 characters is required");
    for (const char *p = arg; *p; p++)
        if (!apr_isalnum(*p) && !strchr(tchar, *p))
            return cfg_error(cmd, "\"%s\" is not a valid name", arg);
    return NULL;
}

static const char *set_query_param(cmd_parms *cmd, void *dcv, const char *arg)
{
    const char *err = check_name(cmd, arg);

    if (err == NULL && (strchr(arg, '&') || strchr(arg, '=')))
        err = cfg_error(cmd, "the name must not contain '&' or '='");
    if (err == NULL) {
        ((ta_dir_conf *)dcv)->query_param = arg;
        ta_strip_add_query_param(arg); /* scrubbed from requests that end before their location */
    }
    return err;
}

static const char *set_cookie(cmd_parms *cmd, void *dcv, const char *arg)
{
    const char *err = check_name(cmd, arg);

    if (err == NULL) {
        ((ta_dir_conf *)dcv)->cookie = arg;
        ta_strip_add_cookie_name(arg); /* taken out of every request, wherever it is used */
    }
    return err;
}

/* A local path or an absolute http(s) URL, without spaces or control characters. */
static const char *check_url(cmd_parms *cmd, const char *arg)
{
    for (const char *p = arg; *p; p++)
        if (apr_iscntrl(*p) || *p == ' ')
            return cfg_error(cmd, "must not contain spaces or control characters");
    if (arg[0] != '/' && strncasecmp(arg, "https://", 8) && strncasecmp(arg, "http://", 7))
        return cfg_error(cmd, "takes a local path or an http(s) URL");
    return NULL;
}

static const char *set_login_url(cmd_parms *cmd, void *dcv, const char *arg)
{
    const char *err = check_url(cmd, arg);

    if (err == NULL)
        ((ta_dir_conf *)dcv)->login_url = arg;
    return err;
}

/* TokenAuthLogoutURL: the tokenauth-logout location the sign-out buttons of HTML pages post
 * to (a form post there needs the session cookie; see ta_page.c). */
static const char *set_logout_url(cmd_parms *cmd, void *dcv, const char *arg)
{
    const char *err = check_url(cmd, arg);

    if (err == NULL)
        ((ta_dir_conf *)dcv)->logout_url = arg;
    return err;
}

static const char *set_cache(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ta_cache_configure(cmd, arg);

    (void)dummy;
    return err ? cfg_error(cmd, "%s", err) : NULL;
}

static const char *set_revocation_slots(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ta_cache_configure_slots(cmd, arg);

    (void)dummy;
    return err ? cfg_error(cmd, "%s", err) : NULL;
}

/* TokenAuthMinUID uid: a whole number; below it, no login and no service. */
static const char *set_min_uid(cmd_parms *cmd, void *dummy, const char *arg)
{
    ta_server_conf *sc = server_conf_of(cmd);
    char *end;
    unsigned long long v;

    (void)dummy;
    errno = 0;
    v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v > TA_UID_LIMIT)
        return cfg_error(cmd, "\"%s\" is not a uid (a whole number up to %lu)", arg, TA_UID_LIMIT);
    sc->min_uid = (unsigned long)v;
    sc->min_uid_set = 1;
    return NULL;
}

unsigned long ta_min_uid(const ta_server_conf *sc)
{
    static unsigned long from_login_defs; /* read once per process */

    if (sc->min_uid_set) /* 0 would admit root: at least 1, whatever was written */
        return sc->min_uid ? sc->min_uid : 1;
    if (from_login_defs == 0)
        from_login_defs = ta_uid_min_default(NULL) + 1; /* stored plus one: 0 means unread */
    return from_login_defs > 1 ? from_login_defs - 1 : 1;
}

/* TokenAuthLoginThrottle N window lockout: three positive whole numbers. */
static const char *set_throttle(cmd_parms *cmd, void *dummy, const char *args)
{
    ta_server_conf *sc = server_conf_of(cmd);
    long long v[3];
    int n = 0;

    (void)dummy;
    while (*args) {
        const char *w = ap_getword_conf(cmd->temp_pool, &args);
        char *end;

        if (*w == '\0')
            break;
        if (n == 3)
            return cfg_error(cmd, "takes three numbers: N window lockout");
        errno = 0;
        v[n] = strtoll(w, &end, 10);
        if (errno || end == w || *end || v[n] <= 0 || v[n] > (n ? TA_TTL_LIMIT : 1000000))
            return cfg_error(cmd, "\"%s\" is not a whole number between 1 and %" APR_INT64_T_FMT, w,
                             (apr_int64_t)(n ? TA_TTL_LIMIT : 1000000));
        n++;
    }
    if (n != 3)
        return cfg_error(cmd, "takes three numbers: N window lockout");
    sc->throttle_limit = (unsigned int)v[0];
    sc->throttle_window = v[1];
    sc->throttle_lockout = v[2];
    sc->throttle_set = 1;
    return NULL;
}

/* A relative path of clean components: no empty, "." or ".." component, no control
 * characters, no backslash; at most 255 bytes. */
static int clean_relative_path(const char *p)
{
    const char *comp = p;

    if (*p == '\0' || *p == '/' || strlen(p) > 255)
        return 0;
    for (const char *q = p;; q++) {
        if (*q == '/' || *q == '\0') {
            size_t n = (size_t)(q - comp);
            if (n == 0 || (n == 1 && comp[0] == '.') || (n == 2 && !strncmp(comp, "..", 2)))
                return 0;
            if (*q == '\0')
                return 1;
            comp = q + 1;
        }
        else if (apr_iscntrl(*q) || *q == '\\')
            return 0;
    }
}

/* TokenAuthHome subdir|Off: in a <Location> (its path is the URL prefix that maps to
 * ~user/subdir) that "AuthType token" authenticates; "." serves the whole home. */
static const char *set_home(cmd_parms *cmd, void *dcv, const char *arg)
{
    ta_dir_conf *dc = dcv;
    const char *problem;

    if (!strcasecmp(arg, "off")) {
        dc->home = "";
        dc->home_prefix = NULL;
        return NULL;
    }
    if (cmd->path == NULL || cmd->path[0] != '/' || cmd->directive == NULL ||
        cmd->directive->parent == NULL ||
        strcasecmp(cmd->directive->parent->directive, "<Location") != 0)
        return cfg_error(cmd, "belongs in a <Location /path> section (not a regex, not "
                              "<Directory>, not the server level)");
    if (strcmp(arg, ".") != 0 && !clean_relative_path(arg))
        return cfg_error(cmd,
                         "\"%s\" is not \".\" or a relative path below the home (no "
                         "leading /, no . or .. components)",
                         arg);
    if ((problem = ta_home_auth_problem(cmd)) != NULL)
        return cfg_error(cmd, "%s", problem);
    dc->home = arg;
    dc->home_prefix = cmd->path;
    return NULL;
}

static const char *set_owner_only(cmd_parms *cmd, void *dcv, const char *arg)
{
    ta_dir_conf *dc = dcv;
    const char *err = parse_on_off(cmd, arg, &dc->owner_only);

    if (err == NULL)
        dc->owner_only_set = 1;
    return err;
}

static const char *set_hidden(cmd_parms *cmd, void *dcv, const char *arg)
{
    ta_dir_conf *dc = dcv;

    if (strcasecmp(arg, "deny") && strcasecmp(arg, "allow"))
        return cfg_error(cmd, "takes deny or allow, not \"%s\"", arg);
    dc->allow_hidden = !strcasecmp(arg, "allow");
    dc->hidden_set = 1;
    return NULL;
}

/* TokenAuthHomeCache seconds: 0 (off) to a minute; a permission change waits at most this. */
static const char *set_home_cache(cmd_parms *cmd, void *dcv, const char *arg)
{
    ta_dir_conf *dc = dcv;
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 0 || v > TA_HOME_CACHE_LIMIT)
        return cfg_error(cmd, "\"%s\" is not a number of seconds between 0 (off) and %d", arg,
                         TA_HOME_CACHE_LIMIT);
    dc->home_cache = (int)v;
    dc->home_cache_set = 1;
    return NULL;
}

#define DIR_SCOPE (RSRC_CONF | ACCESS_CONF)

const command_rec ta_directives[] = {
    AP_INIT_TAKE1("TokenAuthKeyFile", set_key_file, NULL, RSRC_CONF,
                  "key file: one 'KID [ALG] SECRET' per line; the first key signs"),
    AP_INIT_TAKE1("TokenAuthIssuer", set_issuer, NULL, RSRC_CONF,
                  "iss claim written and required (default tokenauth)"),
    AP_INIT_TAKE1("TokenAuthPAMService", set_pam_service, NULL, RSRC_CONF,
                  "PAM service of the login handler (default tokenauth)"),
    AP_INIT_TAKE1("TokenAuthLoginTemplate", set_login_template, NULL, RSRC_CONF,
                  "HTML template of the login page ({{message}}, {{action}}, {{return}})"),
    AP_INIT_TAKE1("TokenAuthCache", set_cache, NULL, RSRC_CONF,
                  "socache provider[:args] for revocations and login throttling (default shmcb)"),
    AP_INIT_TAKE1("TokenAuthRevocationSlots", set_revocation_slots, NULL, RSRC_CONF,
                  "capacity of the revocation ledger, a power of two (default 131072)"),
    AP_INIT_TAKE1("TokenAuthMinUID", set_min_uid, NULL, RSRC_CONF,
                  "accounts below this uid (root, system accounts) can neither log in nor be "
                  "served (default UID_MIN of /etc/login.defs, else 1000)"),
    AP_INIT_RAW_ARGS("TokenAuthLoginThrottle", set_throttle, NULL, RSRC_CONF,
                     "N window lockout: after N failed logins per user or address within "
                     "window seconds, refuse for lockout seconds (default 5 300 300)"),
    AP_INIT_RAW_ARGS("TokenAuthSources", set_sources, NULL, DIR_SCOPE,
                     "where to look for a token: query cookie bearer"),
    AP_INIT_TAKE1("TokenAuthQuerySessions", set_query_sessions, NULL, DIR_SCOPE,
                  "also accept session tokens from the query string (default Off)"),
    AP_INIT_TAKE1("TokenAuthQueryParam", set_query_param, NULL, DIR_SCOPE,
                  "query parameter that carries a token (default token)"),
    AP_INIT_TAKE1("TokenAuthCookie", set_cookie, NULL, DIR_SCOPE,
                  "cookie that carries a token (default tokenauth, __Host-tokenauth over HTTPS)"),
    AP_INIT_TAKE1("TokenAuthSessionTTL", set_session_ttl, NULL, DIR_SCOPE,
                  "lifetime of login tokens in seconds (default 86400)"),
    AP_INIT_TAKE2("TokenAuthURLTokenTTL", set_url_ttl, NULL, DIR_SCOPE,
                  "default and max lifetime of minted tokens in seconds (default 300 604800)"),
    AP_INIT_TAKE1("TokenAuthLoginURL", set_login_url, NULL, DIR_SCOPE,
                  "where browsers without a valid token are sent"),
    AP_INIT_TAKE1("TokenAuthLogoutURL", set_logout_url, NULL, DIR_SCOPE,
                  "the tokenauth-logout location that sign-out buttons of HTML pages post to"),
    AP_INIT_TAKE1("TokenAuthRedact", set_redact, NULL, DIR_SCOPE,
                  "remove query tokens before anything logs them (default On)"),
    AP_INIT_TAKE1("TokenAuthHome", set_home, NULL, ACCESS_CONF,
                  "serve the token user's ~/subdir at this location (\".\" = the home), or Off"),
    AP_INIT_TAKE1("TokenAuthOwnerOnly", set_owner_only, NULL, DIR_SCOPE,
                  "serve only files the token's user owns (default On)"),
    AP_INIT_TAKE1("TokenAuthHidden", set_hidden, NULL, DIR_SCOPE,
                  "deny (default) or allow dot-files and dot-directories"),
    AP_INIT_TAKE1("TokenAuthHomeCache", set_home_cache, NULL, DIR_SCOPE,
                  "seconds a child may reuse a descriptor the helper opened for the same user "
                  "and path (default 1, 0 = never)"),
    {NULL, {NULL}, NULL, 0, 0, NULL},
};
