/* tokenauth-mint (SPEC §4): a logged-in user (session token) makes a narrow token that can
 * ride in a URL: "url" acts as the user for one path or folder, "share" lets anyone holding
 * it read that one scope as the user's files. GET and HEAD only, minutes of life. */
#include "ta_access.h"
#include "ta_config.h"
#include "ta_handlers.h"
#include "ta_helper_client.h"
#include "ta_http.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include <errno.h>
#include <stdlib.h>

APLOG_USE_MODULE(tokenauth);

/* Well under httpd's LimitRequestLine (8190): a URL that Apache would refuse is no answer. */
#define URL_MAX 8000

/* What a mint request asked for. */
typedef struct {
    const char *path;
    long long ttl; /* 0: the location's default */
    ta_kind kind;
} mint_request;

static int bad_request(request_rec *r, const char *why)
{
    return ta_send_json(
        r, HTTP_BAD_REQUEST,
        json_pack("{s:s, s:s}", "error", "invalid_request", "error_description", why));
}

/* A ttl as given in a form: a positive decimal integer, nothing else. */
static int parse_ttl_text(const char *s, long long *ttl)
{
    char *end;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    *ttl = strtoll(s, &end, 10);
    return errno || *end || *ttl <= 0 ? -1 : 0;
}

/* The fields from a form body; NULL or why it is malformed. */
static const char *from_form(request_rec *r, const char *body, mint_request *m)
{
    int bad = 0;
    const char *kind = ta_form_field(r, body, "kind", &bad);
    const char *ttl = ta_form_field(r, body, "ttl", &bad);

    m->path = ta_form_field(r, body, "path", &bad);
    if (bad)
        return "a field is repeated or badly escaped";
    if (ttl && *ttl && parse_ttl_text(ttl, &m->ttl) != 0)
        return "ttl must be a positive whole number of seconds";
    m->kind = kind && *kind ? ta_kind_parse(kind) : TA_KIND_URL;
    return NULL;
}

/* The fields from a JSON body: "path" a string, "ttl" an integer, "kind" a string. */
static const char *from_json(request_rec *r, const char *body, apr_size_t len, mint_request *m)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *path = json_object_get(j, "path"), *ttl = json_object_get(j, "ttl"),
           *kind = json_object_get(j, "kind");
    const char *why = NULL;

    if (!json_is_object(j))
        why = "the body is not a JSON object (or has duplicate keys)";
    else if (path &&
             (!json_is_string(path) || strlen(json_string_value(path)) != json_string_length(path)))
        why = "path must be a string";
    else if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) <= 0))
        why = "ttl must be a positive whole number of seconds";
    else if (kind && !json_is_string(kind))
        why = "kind must be a string";
    else {
        m->path = path ? apr_pstrdup(r->pool, json_string_value(path)) : NULL;
        m->ttl = ttl ? (long long)json_integer_value(ttl) : 0;
        m->kind = kind ? ta_kind_parse(json_string_value(kind)) : TA_KIND_URL;
    }
    json_decref(j);
    return why;
}

/* A token's claims are JSON text, which must be UTF-8. */
static int utf8_valid(const char *s)
{
    json_t *j = json_string(s);

    json_decref(j);
    return j != NULL;
}

/* The configuration of the location the token is for (its lifetimes, its query parameter),
 * not that of the mint handler's own location. */
static ta_dir_conf target_config(request_rec *r, const char *path)
{
    request_rec *rr = ap_sub_req_lookup_uri(path, r, NULL);
    ta_dir_conf dc = *ta_dir_config(rr ? rr : r);

    if (rr)
        ap_destroy_sub_req(rr);
    return dc;
}

/* Read and check the request, and fill *dc with the target location's configuration; NULL,
 * or why it is refused (400). */
static const char *read_request(request_rec *r, ta_dir_conf *dc, mint_request *m, int *rv)
{
    char *body = NULL;
    apr_size_t len = 0;
    const char *why;
    int json = ta_content_type_is(r, "application/json");

    memset(m, 0, sizeof(*m));
    *rv = OK;
    if (!json && !ta_content_type_is(r, "application/x-www-form-urlencoded")) {
        *rv = HTTP_UNSUPPORTED_MEDIA_TYPE;
        return NULL;
    }
    if ((*rv = ta_read_body(r, &body, &len)) != OK)
        return NULL;
    if ((why = json ? from_json(r, body, len, m) : from_form(r, body, m)) != NULL)
        return why;
    if (m->path == NULL || !ta_scope_valid(m->path))
        return "path must be an absolute URL path (no \"..\", \".\" or empty segments, no "
               "query, no control characters, at most 2048 bytes)";
    if (!utf8_valid(m->path))
        return "path must be UTF-8";
    if (m->kind != TA_KIND_URL && m->kind != TA_KIND_SHARE)
        return "kind must be url or share";
    /* the token carries the path too (base64url of its JSON): a path whose escaped form alone
     * fills half the URL budget cannot make a usable URL; say so before looking it up */
    if (strlen(ap_escape_uri(r->pool, m->path)) > URL_MAX / 2)
        return "path is too long for a token in a URL";
    *dc = target_config(r, m->path);
    if (m->ttl == 0)
        m->ttl = dc->url_ttl;
    if (m->ttl > dc->url_ttl_max)
        return apr_psprintf(r->pool, "ttl must be at most %" APR_INT64_T_FMT,
                            (apr_int64_t)dc->url_ttl_max);
    return NULL;
}

#define MINT_TIMEOUT_MS 5000

/* Ask the helper, the only holder of the signing key, for the token: it verifies the session
 * token itself and holds scope and lifetime to its own copy of the configuration. The token,
 * "" for a request the helper finds bad (the caller answers 400), or NULL (logged: 503). */
static const char *issue(request_rec *r, const ta_request *id, const mint_request *m,
                         long long *exp, int *status)
{
    char *tok = apr_palloc(r->pool, TA_TOKEN_MAX_LEN + 1), err[256] = "";
    int st = ta_helper_mint(MINT_TIMEOUT_MS, ta_server_config(r->server)->index, m->kind, m->ttl,
                            id->token, m->path, tok, TA_TOKEN_MAX_LEN + 1, exp, err, sizeof(err));

    *status = HTTP_SERVICE_UNAVAILABLE;
    switch (st) {
    case TA_MINT_OK:
        return tok;
    case TA_MINT_BAD_REQUEST:
        return "";
    case TA_MINT_REFUSED: /* revoked meanwhile, say: what the access checker would answer */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "TA00052: the helper refused to mint for %s's token", id->claims.sub);
        *status = HTTP_UNAUTHORIZED;
        return NULL;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00051: cannot mint a token for %s: %s",
                      id->claims.sub, err[0] ? err : ta_mint_result_name(st));
        *status = ta_unavailable(r);
        return NULL;
    }
}

int ta_mint_handler(request_rec *r)
{
    ta_dir_conf dc;
    const ta_request *id;
    mint_request m;
    const char *why, *tok, *url;
    long long exp = 0;
    int rv;

    if (r->handler == NULL || strcmp(r->handler, "tokenauth-mint") != 0)
        return DECLINED;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_allow_methods(r, REPLACE_ALLOW, "POST", NULL);
    if (r->method_number != M_POST)
        return HTTP_METHOD_NOT_ALLOWED;
    if ((id = ta_request_identity(r)) == NULL) /* the location lacks AuthType token */
        return HTTP_UNAUTHORIZED;
    if (id->claims.kind != TA_KIND_SESSION) /* a link cannot make links */
        return ta_send_json(r, HTTP_FORBIDDEN, json_pack("{s:s}", "error", "insufficient_scope"));
    if (!ta_origin_allowed(r))
        return HTTP_FORBIDDEN;
    dc = *ta_dir_config(r);
    if ((why = read_request(r, &dc, &m, &rv)) != NULL)
        return bad_request(r, why);
    if (rv != OK)
        return rv;
    if ((tok = issue(r, id, &m, &exp, &rv)) == NULL)
        return rv;
    url = apr_pstrcat(r->pool, ap_escape_uri(r->pool, m.path), "?",
                      dc.query_param ? dc.query_param : TA_DEFAULT_QUERY_PARAM, "=", tok, NULL);
    if (*tok == '\0' || strlen(url) > URL_MAX)
        return bad_request(r, "path is too long for a token in a URL");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "TA00050: %s minted a %s token for %s until %" APR_INT64_T_FMT, id->claims.sub,
                  ta_kind_name(m.kind), m.path, (apr_int64_t)exp);
    return ta_send_json(
        r, HTTP_OK,
        json_pack("{s:s, s:s, s:I}", "token", tok, "url", url, "expires_at", (json_int_t)exp));
}
