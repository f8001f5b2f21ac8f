/* Shared HTTP pieces of the handlers. */
#include "ta_http.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mod_core.h"

#include <stdlib.h>

#include <openssl/crypto.h>

APLOG_USE_MODULE(tokenauth);

int ta_read_body(request_rec *r, char **body, apr_size_t *len)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    char *buf;
    apr_size_t have = 0;
    int rv;

    if (cl && (apr_atoi64(cl) > TA_BODY_MAX || apr_atoi64(cl) < 0))
        return HTTP_REQUEST_ENTITY_TOO_LARGE; /* refuse before reading a byte */
    if ((rv = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
        return rv;
    buf = apr_palloc(r->pool, TA_BODY_MAX + 2);
    if (ap_should_client_block(r)) {
        long got;
        while ((got = ap_get_client_block(r, buf + have, TA_BODY_MAX + 1 - have)) > 0) {
            have += (apr_size_t)got;
            if (have > TA_BODY_MAX)
                break;
        }
        if (got < 0 || have > TA_BODY_MAX) {
            OPENSSL_cleanse(buf, have); /* it may hold a password */
            return got < 0 ? HTTP_BAD_REQUEST : HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    buf[have] = '\0';
    *body = buf;
    *len = have;
    return OK;
}

/* This server's origin as a browser writes it ("https://host", "http://host:8080"); NULL when
 * the request named no host. */
static const char *own_origin(request_rec *r)
{
    const char *scheme = ap_http_scheme(r);
    apr_port_t port = ap_get_server_port(r);
    const char *host;

    if (r->hostname == NULL)
        return NULL;
    host = strchr(r->hostname, ':') ? apr_pstrcat(r->pool, "[", r->hostname, "]", NULL)
                                    : r->hostname; /* an IPv6 literal, bracketed as in URLs */
    return ap_is_default_port(port, r)
               ? apr_pstrcat(r->pool, scheme, "://", host, NULL)
               : apr_psprintf(r->pool, "%s://%s:%u", scheme, host, (unsigned)port);
}

int ta_origin_allowed(request_rec *r)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *own;

    if (origin == NULL)
        return 1;
    own = own_origin(r);
    if (own && strcasecmp(origin, own) == 0)
        return 1;
    /* A form posted from one of our own pages, which carry Referrer-Policy: no-referrer, has
     * Origin: null; the browser's own Sec-Fetch-Site, which no script can set, says where the
     * post came from. A sandboxed or data: page of anyone's also sends null, as cross-site. */
    if (strcmp(origin, "null") == 0 && site && strcmp(site, "same-origin") == 0)
        return 1;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "TA00104: %s refused: Origin %s is not this server's own (%s; Sec-Fetch-Site %s)",
                  r->uri, origin, own ? own : "no host", site ? site : "absent");
    return 0;
}

int ta_content_type_is(request_rec *r, const char *type)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    size_t n = strlen(type);

    return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

int ta_send_json(request_rec *r, int status, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

    json_decref(obj);
    r->status = status;
    /* err_headers_out: it replaces the "private" of token-authenticated answers */
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "application/json");
    if (text) {
        ap_rputs(text, r);
        ap_rputs("\n", r);
        free(text);
    }
    return OK;
}

void ta_set_cookie(request_rec *r, const char *name, const char *value, long long max_age)
{
    int https = strcmp(ap_http_scheme(r), "https") == 0;

    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   apr_psprintf(r->pool,
                                "%s=%s; HttpOnly; SameSite=Lax; Path=/; Max-Age=%" APR_INT64_T_FMT
                                "%s",
                                name, value, (apr_int64_t)max_age, https ? "; Secure" : ""));
}

/* A form field's value, or NULL; "bad" when the field appears twice or is badly escaped.
 * Every copy but the one returned is wiped (this is also how passwords are read). */
char *ta_form_field(request_rec *r, const char *body, const char *name, int *bad)
{
    char *found = NULL;
    size_t n = strlen(name);

    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            char *v = apr_pstrmemdup(r->pool, p + n + 1,
                                     amp ? (apr_size_t)(amp - p - n - 1) : strlen(p + n + 1));
            if (found || ap_unescape_urlencoded(v) != OK)
                *bad = 1;
            if (found)
                OPENSSL_cleanse(found, strlen(found));
            found = v;
        }
        p = amp ? amp + 1 : NULL;
    }
    return found;
}

int ta_wants_json(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");

    return accept && ap_strcasestr(accept, "application/json") != NULL;
}

int ta_answer_options(request_rec *r)
{
    ap_discard_request_body(r);
    return ap_send_http_options(r); /* 200, the Allow of ap_allow_methods, no body */
}

int ta_unavailable(request_rec *r)
{
    /* a helper is restarted, and a cache reconnected, within a second or two */
    apr_table_setn(r->err_headers_out, "Retry-After", TA_RETRY_AFTER);
    return HTTP_SERVICE_UNAVAILABLE;
}
