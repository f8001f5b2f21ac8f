/* tokenauth-logout (SPEC §4): revoke the request's session token until it expires, or with
 * all=1 every token of its user issued up to now; clear the cookie. */
#include "ta_access.h"
#include "ta_config.h"
#include "ta_handlers.h"
#include "ta_http.h"
#include "ta_revoke.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

APLOG_USE_MODULE(tokenauth);

/* A form value of "all": 1, 0, or -1 when it is neither. */
static int form_flag(const char *v)
{
    if (v == NULL || *v == '\0' || !strcmp(v, "0") || !strcasecmp(v, "false") ||
        !strcasecmp(v, "off"))
        return 0;
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "on"))
        return 1;
    return -1;
}

/* {"all":true|false}: an object without duplicate keys; "all" optional but boolean. */
static int parse_json(const char *body, apr_size_t len, int *all)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *a = json_object_get(j, "all");
    int ok = json_is_object(j) && (a == NULL || json_is_boolean(a));

    *all = ok && json_is_true(a);
    json_decref(j);
    return ok ? OK : HTTP_BAD_REQUEST;
}

/* The body: empty, a form, or JSON; *all when it asks to log out everywhere. */
static int read_options(request_rec *r, int *json, int *all)
{
    char *body = NULL;
    apr_size_t len = 0;
    int rv, bad = 0;

    *json = ta_content_type_is(r, "application/json");
    if ((rv = ta_read_body(r, &body, &len)) != OK)
        return rv;
    if (len == 0)
        return OK;
    if (*json)
        return parse_json(body, len, all);
    if (!ta_content_type_is(r, "application/x-www-form-urlencoded"))
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    *all = form_flag(ta_form_field(r, body, "all", &bad));
    return bad || *all < 0 ? HTTP_BAD_REQUEST : OK;
}

static int refuse_kind(request_rec *r, const char *error)
{
    return ta_send_json(r, HTTP_FORBIDDEN, json_pack("{s:s}", "error", error));
}

/* Record the revocation; the answer's status. */
static int record_revocation(request_rec *r, const ta_claims *c, int all)
{
    long long now = (long long)apr_time_sec(r->request_time);
    /* the token itself too: its iat may be up to 60 s ahead of this server's clock */
    ta_cache_status st = ta_revoke_token(r, c);

    if (st == TA_CACHE_OK && all)
        st = ta_revoke_user(r, c->sub, now);
    if (st != TA_CACHE_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00031: logout of %s from %s could not be recorded (%s)", c->sub,
                      r->useragent_ip, ta_cache_status_name(st));
        return ta_unavailable(r);
    }
    if (all)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "TA00030: logout of %s from %s: every token issued up to %" APR_INT64_T_FMT
                      " revoked",
                      c->sub, r->useragent_ip, (apr_int64_t)now);
    else
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "TA00030: logout of %s from %s: token %s revoked until %" APR_INT64_T_FMT,
                      c->sub, r->useragent_ip, c->jti, (apr_int64_t)c->exp);
    return OK;
}

/* Clear the cookie; a browser is sent to the login page (or /), an app gets JSON. */
static int logged_out(request_rec *r, const ta_dir_conf *dc, int json, json_t *answer)
{
    ta_set_cookie(r, ta_cookie_name(r), "", 0);
    if (json)
        return ta_send_json(r, HTTP_OK, answer);
    json_decref(answer);
    apr_table_setn(r->headers_out, "Location", dc->login_url ? dc->login_url : "/");
    return HTTP_SEE_OTHER;
}

int ta_logout_handler(request_rec *r)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    const ta_request *id = NULL;
    int json, body_json = 0, all = 0, rv;

    if (r->handler == NULL || strcmp(r->handler, "tokenauth-logout") != 0)
        return DECLINED;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_allow_methods(r, REPLACE_ALLOW, "POST", "OPTIONS", NULL);
    if (r->method_number == M_OPTIONS)
        return ta_answer_options(r);
    if (r->method_number != M_POST)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!ta_origin_allowed(r))
        return HTTP_FORBIDDEN;
    json = ta_content_type_is(r, "application/json") || ta_wants_json(r);
    rv = ta_authenticate_header_or_cookie(r, &id, !json);
    if (rv == HTTP_UNAUTHORIZED && !json) {
        /* a browser whose session is already gone: nothing to revoke, and it belongs on the
         * login page (not on one that would return it to this POST-only URL) */
        ap_discard_request_body(r);
        return logged_out(r, dc, 0, NULL);
    }
    if (rv != OK)
        return rv;
    if (id->source == TA_FROM_QUERY)
        return refuse_kind(r, "token_in_query"); /* a link must not log anyone out */
    if (id->claims.kind != TA_KIND_SESSION)
        return refuse_kind(r, "insufficient_scope");
    if ((rv = read_options(r, &body_json, &all)) != OK)
        return rv;
    if ((rv = record_revocation(r, &id->claims, all)) != OK)
        return rv;
    return logged_out(
        r, dc, json,
        json_pack("{s:s, s:s}", "revoked", all ? "all" : "token", "user", id->claims.sub));
}
