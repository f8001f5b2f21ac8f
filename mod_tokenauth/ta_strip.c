/* Our credentials never reach other code. The session cookie is sent with Path=/, so it comes
 * with every request to this host name: to another user's CGI, a PHP application, a proxied
 * backend. post_read_request, the first hook of every request, takes the module's cookies
 * out of its Cookie headers, and an Authorization header that carries one of our tokens out
 * of r->headers_in, in every virtual host, before any other module looks. The originals stay
 * in the request's note, which only the access checker and our handlers read. */
#include "ta_access.h"
#include "ta_config.h"
#include "ta_credential.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

APLOG_USE_MODULE(tokenauth);

#define HTTPS_COOKIE "__Host-" TA_DEFAULT_COOKIE

/* Every cookie name and query parameter name the configuration uses, and the defaults
 * (config pool). */
static apr_array_header_t *cookie_names, *query_names;

void ta_strip_pre_config(apr_pool_t *pconf)
{
    cookie_names = apr_array_make(pconf, 4, sizeof(const char *));
    APR_ARRAY_PUSH(cookie_names, const char *) = TA_DEFAULT_COOKIE;
    APR_ARRAY_PUSH(cookie_names, const char *) = HTTPS_COOKIE;
    query_names = apr_array_make(pconf, 2, sizeof(const char *));
    APR_ARRAY_PUSH(query_names, const char *) = TA_DEFAULT_QUERY_PARAM;
}

static void add_name(apr_array_header_t *names, const char *name)
{
    if (names == NULL)
        return; /* not before pre_config: the defaults come first */
    for (int i = 0; i < names->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(names, i, const char *), name) == 0)
            return;
    APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(names->pool, name);
}

void ta_strip_add_cookie_name(const char *name)
{
    add_name(cookie_names, name);
}

void ta_strip_add_query_param(const char *name)
{
    add_name(query_names, name);
}

const apr_array_header_t *ta_strip_query_params(void)
{
    return query_names;
}

const char *ta_cookie_name(request_rec *r)
{
    const ta_dir_conf *dc = ta_dir_config(r);

    if (dc->cookie)
        return dc->cookie;
    /* the __Host- prefix: a browser keeps such a cookie only from a secure origin, with
     * Path=/ and no Domain, so no sibling host or plain-HTTP page can plant one */
    return strcmp(ap_http_scheme(r), "https") == 0 ? HTTPS_COOKIE : TA_DEFAULT_COOKIE;
}

typedef struct {
    request_rec *r;
    apr_array_header_t *orig;  /* const char *: the headers as they came */
    apr_array_header_t *clean; /* const char *: the same without our cookies */
    apr_size_t removed;
} cookie_pass;

static int strip_one_cookie_header(void *rec, const char *key, const char *value)
{
    cookie_pass *cp = rec;
    char *out = apr_palloc(cp->r->pool, strlen(value) + 1);

    (void)key;
    cp->removed += ta_cookie_strip(value, (const char *const *)cookie_names->elts,
                                   (size_t)cookie_names->nelts, out);
    APR_ARRAY_PUSH(cp->orig, const char *) = value;
    APR_ARRAY_PUSH(cp->clean, const char *) = out;
    return 1;
}

static void strip_cookies(request_rec *r)
{
    cookie_pass cp = {r, NULL, NULL, 0};

    if (cookie_names == NULL || apr_table_get(r->headers_in, "Cookie") == NULL)
        return;
    cp.orig = apr_array_make(r->pool, 1, sizeof(const char *));
    cp.clean = apr_array_make(r->pool, 1, sizeof(const char *));
    apr_table_do(strip_one_cookie_header, &cp, r->headers_in, "Cookie", NULL);
    if (cp.removed == 0)
        return;
    /* several Cookie headers are one list to the access checker, as they are to ta_cred */
    ta_note(r, 1)->cookie_header = apr_array_pstrcat(r->pool, cp.orig, ',');
    apr_table_unset(r->headers_in, "Cookie");
    for (int i = 0; i < cp.clean->nelts; i++) {
        const char *v = APR_ARRAY_IDX(cp.clean, i, const char *);
        if (*v)
            apr_table_addn(r->headers_in, "Cookie", v);
    }
}

/* 1 when some credential of the Authorization header (several, when repeated headers were
 * merged) is a token that names one of the server's keys. */
static int carries_our_token(request_rec *r, const char *header)
{
    const ta_keyset *ks = ta_server_config(r->server)->keys;
    char *copy = apr_pstrdup(r->pool, header), *last = NULL;

    for (char *w = apr_strtok(copy, ", \t", &last); w; w = apr_strtok(NULL, ", \t", &last))
        if (ta_token_names_our_key(ks, w, strlen(w)))
            return 1;
    return 0;
}

static void strip_bearer(request_rec *r)
{
    const char *h = apr_table_get(r->headers_in, "Authorization");

    if (h == NULL || ap_strcasestr(h, "bearer") == NULL || !carries_our_token(r, h))
        return;
    ta_note(r, 1)->authorization = h;
    apr_table_unset(r->headers_in, "Authorization");
}

typedef struct {
    request_rec *r;
    apr_array_header_t *drop; /* const char *: keys to unset */
} env_pass;

/* REDIRECT_..._HTTP_AUTHORIZATION with a token of ours in it, REDIRECT_..._QUERY_STRING: what
 * an internal redirect copied from the request it came from (rename_original_env). */
static int judge_inherited(void *rec, const char *key, const char *value)
{
    env_pass *ep = rec;
    size_t klen = strlen(key);

    if (strncmp(key, "REDIRECT_", 9) != 0)
        return 1;
    if (klen >= 18 && strcmp(key + klen - 18, "HTTP_AUTHORIZATION") == 0 &&
        carries_our_token(ep->r, value))
        APR_ARRAY_PUSH(ep->drop, const char *) = key;
    else if (klen >= 12 && strcmp(key + klen - 12, "QUERY_STRING") == 0)
        APR_ARRAY_PUSH(ep->drop, const char *) = key; /* scrubbed below, for every name */
    return 1;
}

/* An internal redirect (an ErrorDocument, a script's local Location) starts from what the
 * request before it left: scrub that request if it ended before header_parser could (its
 * query is the script's REDIRECT_QUERY_STRING and REQUEST_URI), and the environment it
 * handed on. */
static void scrub_inherited(request_rec *r)
{
    env_pass ep = {r, apr_array_make(r->pool, 2, sizeof(const char *))};
    int scrubbed = 0;

    for (request_rec *q = r->prev; q; q = q->prev)
        scrubbed |= ta_redact_unparsed(q);
    r->the_request = r->prev->the_request; /* the request line it copied */
    apr_table_do(judge_inherited, &ep, r->subprocess_env, NULL);
    for (int i = 0; i < ep.drop->nelts; i++) {
        const char *key = APR_ARRAY_IDX(ep.drop, i, const char *);
        const char *v = apr_table_get(r->subprocess_env, key);

        if (strstr(key, "QUERY_STRING") == NULL)
            apr_table_unset(r->subprocess_env, key);
        else if (scrubbed && v) /* a query header_parser had scrubbed is left alone */
            apr_table_setn(r->subprocess_env, key, ta_redact_query_all(r->pool, v));
    }
}

int ta_strip_credentials(request_rec *r)
{
    strip_cookies(r);
    strip_bearer(r);
    if (r->prev)
        scrub_inherited(r);
    return DECLINED;
}

int ta_strip_restore(request_rec *r)
{
    const ta_request *st = ta_stash(r);
    const char *h;

    if (st == NULL || st->authorization == NULL)
        return DECLINED;
    if (ta_dir_config(r)->redact) {
        /* a sub-request copied the headers of a TokenAuthRedact Off request that had the
         * token back: it does not go further than that request's own location */
        if (r->main && (h = apr_table_get(r->headers_in, "Authorization")) &&
            carries_our_token(r, h))
            apr_table_unset(r->headers_in, "Authorization");
        return DECLINED;
    }
    /* TokenAuthRedact Off: this location hands the token on (to a backend that verifies it
     * itself); the cookie never goes back */
    apr_table_setn(r->headers_in, "Authorization", st->authorization);
    return DECLINED;
}
