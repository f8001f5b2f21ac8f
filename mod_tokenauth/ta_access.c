/* AuthType token. Credentials are collected (and scrubbed from the query) in header_parser,
 * before authentication and before any logger sees the request; check_authn then verifies
 * what was collected. */
#include "ta_access.h"
#include "ta_config.h"
#include "ta_http.h"
#include "ta_page.h"
#include "ta_revoke.h"
#include "ta_credential.h"
#include "ta_tokencache.h"
#include "ta_usercache.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

APLOG_USE_MODULE(tokenauth);
extern module AP_MODULE_DECLARE_DATA tokenauth_module;

static int is_token_auth(request_rec *r)
{
    const char *t = ap_auth_type(r);

    return t && strcasecmp(t, "token") == 0;
}

static const char *query_param(const ta_dir_conf *dc)
{
    return dc->query_param ? dc->query_param : TA_DEFAULT_QUERY_PARAM;
}

ta_request *ta_note(request_rec *r, int create)
{
    ta_request *n = ap_get_module_config(r->request_config, &tokenauth_module);

    if (n == NULL && create) {
        n = apr_pcalloc(r->pool, sizeof(*n));
        ap_set_module_config(r->request_config, &tokenauth_module, n);
    }
    return n;
}

static ta_request *note_of(request_rec *r, int create)
{
    return ta_note(r, create);
}

/* The note that holds this request's credentials: its own, or that of the main request or
 * of the request it was redirected from (sub-requests skip header_parser). */
static ta_request *find_note(const request_rec *r)
{
    for (const request_rec *q = r; q; q = q->main ? q->main : q->prev) {
        ta_request *n = ap_get_module_config(q->request_config, &tokenauth_module);
        if (n && n->collected)
            return n;
    }
    return NULL;
}

const ta_request *ta_stash(const request_rec *r)
{
    for (const request_rec *q = r; q; q = q->main ? q->main : q->prev) {
        const ta_request *n = ap_get_module_config(q->request_config, &tokenauth_module);
        if (n && (n->cookie_header || n->authorization))
            return n;
    }
    return NULL;
}

/* The request's Authorization and Cookie headers as they came, before ta_strip took our
 * credentials out of them. */
static const char *original_header(const request_rec *r, int cookie)
{
    const ta_request *st = ta_stash(r);
    const char *kept = cookie ? (st ? st->cookie_header : NULL) : (st ? st->authorization : NULL);

    return kept ? kept : apr_table_get(r->headers_in, cookie ? "Cookie" : "Authorization");
}

const ta_request *ta_request_identity(const request_rec *r)
{
    const ta_request *n = ap_get_module_config(r->request_config, &tokenauth_module);

    return n && n->verified ? n : NULL;
}

/* Look for a token in one source; 1 when the source held any (then the search stops). A
 * repeated token refuses the whole request. */
static int search_source(request_rec *r, const ta_dir_conf *dc, ta_request *n, ta_source src)
{
    const char *v = NULL;
    size_t vlen = 0;
    ta_cred_result res;

    switch (src) {
    case TA_FROM_BEARER:
        res = ta_cred_bearer(original_header(r, 0), &v, &vlen);
        break;
    case TA_FROM_QUERY:
        res = r->args ? ta_cred_query(r->args, query_param(dc), &v, &vlen) : TA_CRED_NONE;
        break;
    case TA_FROM_COOKIE:
        res = ta_cred_cookie(original_header(r, 1), ta_cookie_name(r), &v, &vlen);
        break;
    default:
        return 0;
    }
    if (res == TA_CRED_NONE)
        return 0;
    n->source = src;
    if (res == TA_CRED_REPEATED)
        n->refusal = TA_TOKEN_REPEATED;
    else
        n->token = apr_pstrmemdup(r->pool, v, vlen);
    return 1;
}

/* The query of s (after its first '?', up to end) with every param value replaced by REDACTED;
 * s itself when there is nothing to redact. */
static char *redact_span(apr_pool_t *p, char *s, const char *end, const char *param)
{
    const char *q = s ? strchr(s, '?') : NULL;
    char *query, *clean;

    if (q == NULL || q >= end)
        return s;
    query = apr_pstrmemdup(p, q + 1, (apr_size_t)(end - q - 1));
    clean = apr_palloc(p, ta_query_redact_bufsize(query));
    if (ta_query_redact(query, param, clean) == 0)
        return s;
    return apr_pstrcat(p, apr_pstrmemdup(p, s, (apr_size_t)(q + 1 - s)), clean, end, NULL);
}

/* Scrub the token from every place the request keeps its query: the request line (%r), the
 * unparsed URI and r->args (%q, QUERY_STRING). Each is scrubbed on its own, so that a query
 * rewritten by an earlier module cannot leave the original in the request line. */
static void redact_query(request_rec *r, const char *param)
{
    const char *line_end = r->the_request ? strrchr(r->the_request, ' ') : NULL;
    const char *uri_end;

    if (r->the_request) {
        if (line_end == NULL || line_end < strchr(r->the_request, ' ') + 1 ||
            strncmp(line_end + 1, "HTTP/", 5) != 0)
            line_end = r->the_request + strlen(r->the_request); /* no protocol part */
        r->the_request = redact_span(r->pool, r->the_request, line_end, param);
    }
    if (r->unparsed_uri) {
        uri_end = strchr(r->unparsed_uri, '#');
        if (uri_end == NULL)
            uri_end = r->unparsed_uri + strlen(r->unparsed_uri);
        r->unparsed_uri = redact_span(r->pool, r->unparsed_uri, uri_end, param);
    }
    if (r->args) {
        char *clean = apr_palloc(r->pool, ta_query_redact_bufsize(r->args));
        if (ta_query_redact(r->args, param, clean) > 0)
            r->args = r->parsed_uri.query = clean;
    }
}

int ta_collect_credentials(request_rec *r)
{
    const ta_dir_conf *dc;
    ta_request *n;

    n = note_of(r, 1);
    n->parsed = 1; /* for ta_redact_for_log: this request got this far */
    if (!is_token_auth(r))
        return DECLINED;
    dc = ta_dir_config(r);
    n->collected = 1;
    /* Precedence across sources: bearer, then query, then cookie; the rest are ignored. */
    if (!((dc->sources & TA_SRC_BEARER) && search_source(r, dc, n, TA_FROM_BEARER)) &&
        !((dc->sources & TA_SRC_QUERY) && search_source(r, dc, n, TA_FROM_QUERY)) &&
        (dc->sources & TA_SRC_COOKIE))
        search_source(r, dc, n, TA_FROM_COOKIE);
    if (n->token == NULL && !n->refusal && r->prev) {
        /* An internal redirect (an ErrorDocument, say) carries the scrubbed query: keep the
         * credential of the request it came from. */
        const ta_request *from = find_note(r->prev);
        if (from) {
            n->token = from->token;
            n->source = from->source;
            n->refusal = from->refusal;
        }
    }
    if (dc->redact) {
        n->args = r->args; /* a redirect to the directory keeps the query as it came */
        redact_query(r, query_param(dc));
    }
    return DECLINED;
}

/* The names of every TokenAuthQueryParam and the default. */
static const char *const *all_params(int *count)
{
    const apr_array_header_t *names = ta_strip_query_params();
    static const char *const fallback[] = {TA_DEFAULT_QUERY_PARAM};

    if (names == NULL) {
        *count = 1;
        return fallback;
    }
    *count = names->nelts;
    return (const char *const *)names->elts;
}

char *ta_redact_query_all(apr_pool_t *p, const char *query)
{
    int count;
    const char *const *names = all_params(&count);
    char *q = apr_pstrdup(p, query);

    for (int i = 0; i < count; i++) {
        char *clean = apr_palloc(p, ta_query_redact_bufsize(q));
        if (ta_query_redact(q, names[i], clean) > 0)
            q = clean;
    }
    return q;
}

/* A request that ended before header_parser (a 403 while Apache mapped the URL to the file
 * system, a Redirect or RewriteRule [R] of the server's own, whatever its status) was never
 * scrubbed, and its location may not even be known: every parameter name the configuration
 * uses is scrubbed. A request that got further was scrubbed where its location asked for it;
 * elsewhere its "token" parameter is some other application's and stays. */
int ta_redact_unparsed(request_rec *r)
{
    const ta_request *n = note_of(r, 0);
    int count;
    const char *const *names;

    if ((n && n->parsed) || !ta_dir_config(r)->redact)
        return 0;
    names = all_params(&count);
    for (int i = 0; i < count; i++)
        redact_query(r, names[i]);
    return 1;
}

int ta_redact_for_log(request_rec *r)
{
    ta_redact_unparsed(r);
    return DECLINED;
}

void ta_bearer_challenge_described(request_rec *r, const char *error, const char *description)
{
    const char *realm = ap_auth_name(r) ? ap_auth_name(r) : TA_DEFAULT_ISSUER;
    const char *v = apr_psprintf(r->pool, "Bearer realm=\"%s\"", ap_escape_quotes(r->pool, realm));

    if (error)
        v = apr_pstrcat(r->pool, v, ", error=\"", error, "\"", NULL);
    if (error && description) /* our own texts: no quote or backslash in them (RFC 6750 §3) */
        v = apr_pstrcat(r->pool, v, ", error_description=\"", description, "\"", NULL);
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", v);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
}

void ta_bearer_challenge(request_rec *r, const char *error)
{
    ta_bearer_challenge_described(r, error, NULL);
}

int ta_auth_failure_challenge(request_rec *r, const char *auth_type)
{
    if (auth_type == NULL || strcasecmp(auth_type, "token") != 0)
        return DECLINED;
    ta_bearer_challenge(r, "insufficient_scope"); /* a valid token that a Require line refused */
    return OK;
}

/* A browser asks for HTML; it is better served by the login page than by a bare 401. */
static int wants_html(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");

    return accept && ap_strcasestr(accept, "text/html") != NULL;
}

/* TA00002 at info: why a token was refused, and where it came from; never the token. */
static void log_refusal(request_rec *r, const ta_request *n, ta_token_status why)
{
    int sent = n && (n->token || n->refusal);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TA00002: token refused: %s (source %s)",
                  sent ? ta_token_status_name(why) : "no_token",
                  !n                            ? "none"
                  : n->source == TA_FROM_BEARER ? "bearer"
                  : n->source == TA_FROM_QUERY  ? "query"
                  : n->source == TA_FROM_COOKIE ? "cookie"
                                                : "none");
}

/* Answer a request without a valid token: 302 to the login page for browsers where there is
 * one; else 401 with a Bearer challenge and, for a browser, a page saying what happened and
 * what to do, for anyone else a small JSON body whose error_description tells an expired token
 * from one out of its scope, a revoked one and a malformed one. */
static int refuse(request_rec *r, const ta_request *n, ta_token_status why)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    int sent = n && (n->token || n->refusal);
    ta_refusal reason = ta_refusal_of(why, sent);
    const char *desc = ta_refusal_description(reason);

    log_refusal(r, n, why);
    if (dc->login_url && wants_html(r)) {
        apr_table_setn(r->headers_out, "Location",
                       apr_pstrcat(r->pool, dc->login_url, strchr(dc->login_url, '?') ? "&" : "?",
                                   "return=", ap_escape_urlencoded(r->pool, r->uri), NULL));
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        return HTTP_MOVED_TEMPORARILY;
    }
    ta_bearer_challenge_described(r, sent ? "invalid_token" : NULL, desc);
    if (r->main)
        return HTTP_UNAUTHORIZED;
    if (ta_page_wanted(r))
        return ta_page_refused(r, reason, n && n->source == TA_FROM_QUERY);
    ap_discard_request_body(r);
    r->status = HTTP_UNAUTHORIZED;
    ap_set_content_type(r, "application/json");
    if (!sent)
        ap_rputs("{\"error\":\"unauthorized\"}\n", r);
    else
        ap_rvputs(r, "{\"error\":\"invalid_token\",\"error_description\":\"", desc, "\"}\n", NULL);
    return DONE;
}

/* The user must still exist with the uid the token was issued for, and be no system account
 * (below TokenAuthMinUID: a token for root is refused whoever signed it). */
static ta_token_status check_user(request_rec *r, const ta_claims *c)
{
    unsigned long uid;
    ta_user_status st;

    if (c->uid < ta_min_uid(ta_server_config(r->server)))
        return TA_TOKEN_SYSTEM_ACCOUNT;
    st = ta_usercache_uid(c->sub, &uid);

    if (st == TA_USER_ERROR) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00004: user database look-up failed");
        return TA_TOKEN_INTERNAL;
    }
    if (st == TA_USER_UNKNOWN)
        return TA_TOKEN_UNKNOWN_USER;
    return uid == c->uid ? TA_TOKEN_OK : TA_TOKEN_UID_MISMATCH;
}

/* Every rule of SPEC §3 for the collected token, in order; fills *c. */
static ta_token_status verify(request_rec *r, const ta_server_conf *sc, const ta_dir_conf *dc,
                              ta_request *n, ta_claims *c)
{
    const char *issuer = sc->issuer ? sc->issuer : TA_DEFAULT_ISSUER;
    long long now = (long long)apr_time_sec(r->request_time);
    size_t len;
    ta_token_status st;

    if (n->refusal)
        return n->refusal;
    /* a token this child verified before skips the signature check (not the checks below) */
    len = strlen(n->token);
    if (!ta_tokencache_get(sc->keys, issuer, n->token, len, now, c)) {
        st = ta_token_verify(sc->keys, issuer, n->token, len, now, c);
        if (st != TA_TOKEN_OK)
            return st;
        ta_tokencache_put(sc->keys, issuer, n->token, len, now, c);
    }
    if (c->kind == TA_KIND_SESSION && n->source == TA_FROM_QUERY && !dc->query_sessions)
        return TA_TOKEN_QUERY_SESSION;
    st = ta_token_check_request(c, r->uri, r->method_number == M_GET);
    if (st != TA_TOKEN_OK)
        return st;
    return check_user(r, c);
}

/* Publish the identity: r->user, AUTH_TYPE and the TOKENAUTH_* environment. */
static void accept_identity(request_rec *r, const ta_request *n, const ta_claims *c)
{
    ta_request *own = note_of(r, 1);

    /* A sub-request keeps its own copy, so that its own sub-requests find the token too. */
    own->collected = 1;
    own->token = n->token;
    own->source = n->source;
    r->user = apr_pstrdup(r->pool, c->sub);
    r->ap_auth_type = "token";
    apr_table_setn(r->subprocess_env, "TOKENAUTH_UID", apr_psprintf(r->pool, "%lu", c->uid));
    apr_table_setn(r->subprocess_env, "TOKENAUTH_KIND", ta_kind_name(c->kind));
    apr_table_setn(r->subprocess_env, "TOKENAUTH_EXPIRES",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)c->exp));
    own->claims = *c;
    own->verified = 1;
}

/* Verify the collected token, revocations included, and publish the identity: OK, or the
 * answer to give (a refusal, 500, or 503 when revocations cannot be checked). */
static int authenticate(request_rec *r, const ta_server_conf *sc, ta_request *n, int quiet)
{
    ta_claims c;
    ta_token_status st;
    ta_cache_status cs;
    int revoked = 0;

    if (n->token == NULL && !n->refusal)
        st = TA_TOKEN_MALFORMED;
    else
        st = verify(r, sc, ta_dir_config(r), n, &c);
    if (st == TA_TOKEN_OK) {
        /* after the MAC and the scope: only signed, applicable tokens cost a look-up */
        cs = ta_revoked(r, &c, &revoked);
        if (cs != TA_CACHE_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "TA00034: cannot check revocations (%s): refusing with 503",
                          ta_cache_status_name(cs));
            return ta_unavailable(r);
        }
        if (revoked)
            st = TA_TOKEN_REVOKED;
    }
    if (st == TA_TOKEN_INTERNAL || st == TA_TOKEN_NO_MEMORY) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00008: token check failed: %s",
                      ta_token_status_name(st));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (st != TA_TOKEN_OK && quiet) {
        log_refusal(r, n, st);
        return HTTP_UNAUTHORIZED;
    }
    if (st != TA_TOKEN_OK)
        return refuse(r, n, st);
    accept_identity(r, n, &c);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TA00005: %s token of %s accepted (kid %s)",
                  ta_kind_name(c.kind), c.sub, c.kid);
    return OK;
}

/* The server configuration, or NULL (logged) when no key file is set. */
static const ta_server_conf *keyed_config(request_rec *r)
{
    const ta_server_conf *sc = ta_server_config(r->server);

    if (sc->keys == NULL)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00003: AuthType token is used but no TokenAuthKeyFile is set");
    return sc->keys ? sc : NULL;
}

int ta_check_token(request_rec *r)
{
    const ta_server_conf *sc;
    ta_request *n;

    if (!is_token_auth(r))
        return DECLINED;
    if ((sc = keyed_config(r)) == NULL)
        return HTTP_INTERNAL_SERVER_ERROR;
    n = find_note(r);
    if (n == NULL) { /* no header_parser ran for this request: collect now */
        ta_collect_credentials(r);
        n = note_of(r, 1);
    }
    return authenticate(r, sc, n, 0);
}

int ta_authenticate_header_or_cookie(request_rec *r, const ta_request **id, int quiet)
{
    const ta_server_conf *sc;
    const ta_dir_conf *dc = ta_dir_config(r);
    ta_request *n;
    int rv;

    if ((*id = ta_request_identity(r)) != NULL) /* AuthType token already ran here */
        return OK;
    if ((sc = keyed_config(r)) == NULL)
        return HTTP_INTERNAL_SERVER_ERROR;
    n = note_of(r, 1);
    n->collected = 1;
    if (!((dc->sources & TA_SRC_BEARER) && search_source(r, dc, n, TA_FROM_BEARER)) &&
        (dc->sources & TA_SRC_COOKIE))
        search_source(r, dc, n, TA_FROM_COOKIE);
    if ((rv = authenticate(r, sc, n, quiet)) == OK)
        *id = ta_request_identity(r);
    return rv;
}

/* Add "private" to a Cache-Control value that does not already forbid shared caching. */
static const char *privatise(apr_pool_t *p, const char *cc)
{
    if (cc == NULL || *cc == '\0')
        return "private";
    if (ap_strcasestr(cc, "private") || ap_strcasestr(cc, "no-store"))
        return cc;
    return apr_pstrcat(p, "private, ", cc, NULL);
}

int ta_secure_response(request_rec *r)
{
    const ta_request *n = ta_request_identity(r);

    if (n == NULL && r->main)
        n = ta_request_identity(r->main);
    if (n == NULL)
        return DECLINED;
    /* err_headers_out: kept on error responses too (a 404 under a token is private as well). */
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->err_headers_out, "Cache-Control",
                   privatise(r->pool, apr_table_get(r->headers_out, "Cache-Control")));
    apr_table_unset(r->headers_out, "Cache-Control");
    return DECLINED;
}
