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

/* Every cookie name the configuration uses, and the defaults (config pool). */
static apr_array_header_t *cookie_names;

void ta_strip_pre_config(apr_pool_t *pconf)
{
    cookie_names = apr_array_make(pconf, 4, sizeof(const char *));
    APR_ARRAY_PUSH(cookie_names, const char *) = TA_DEFAULT_COOKIE;
    APR_ARRAY_PUSH(cookie_names, const char *) = HTTPS_COOKIE;
}

void ta_strip_add_cookie_name(const char *name)
{
    if (cookie_names == NULL)
        return; /* not before pre_config: the defaults come first */
    for (int i = 0; i < cookie_names->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(cookie_names, i, const char *), name) == 0)
            return;
    APR_ARRAY_PUSH(cookie_names, const char *) = apr_pstrdup(cookie_names->pool, name);
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

int ta_strip_credentials(request_rec *r)
{
    strip_cookies(r);
    strip_bearer(r);
    return DECLINED;
}

int ta_strip_restore(request_rec *r)
{
    const ta_request *st;

    if (ta_dir_config(r)->redact || (st = ta_stash(r)) == NULL || st->authorization == NULL)
        return DECLINED;
    /* TokenAuthRedact Off: this location hands the token on (to a backend that verifies it
     * itself); the cookie never goes back */
    apr_table_setn(r->headers_in, "Authorization", st->authorization);
    return DECLINED;
}
