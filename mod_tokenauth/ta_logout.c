/* tokenauth-logout (SPEC §4): revoke the request's session token until it expires, or with
 * all=1 every token of its user issued up to now; clear the cookie. With a token field it
 * revokes that one url or share token of the caller's instead, and the session stays. */
#include "ta_access.h"
#include "ta_config.h"
#include "ta_handlers.h"
#include "ta_http.h"
#include "ta_loginlimit.h"
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

/* What the body asked for. */
typedef struct {
    int all;           /* log out everywhere */
    int all_given;     /* the body named "all", whatever its value */
    const char *token; /* a link (url or share token) to revoke instead, or NULL */
} logout_options;

/* {"all":true|false, "token":"..."}: an object without duplicate keys; "all" optional but
 * boolean, "token" optional but a string without NULs. */
static int parse_json(request_rec *r, const char *body, apr_size_t len, logout_options *o)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *a = json_object_get(j, "all"), *t = json_object_get(j, "token");
    int ok =
        json_is_object(j) && (a == NULL || json_is_boolean(a)) &&
        (t == NULL || (json_is_string(t) && strlen(json_string_value(t)) == json_string_length(t)));

    if (ok) {
        o->all = json_is_true(a);
        o->all_given = a != NULL;
        o->token = t ? apr_pstrdup(r->pool, json_string_value(t)) : NULL;
    }
    json_decref(j);
    return ok ? OK : HTTP_BAD_REQUEST;
}

/* The fields of a form body. */
static int parse_form(request_rec *r, const char *body, logout_options *o)
{
    int bad = 0;
    const char *all = ta_form_field(r, body, "all", &bad);

    o->token = ta_form_field(r, body, "token", &bad);
    o->all = form_flag(all);
    o->all_given = all != NULL;
    return bad || o->all < 0 ? HTTP_BAD_REQUEST : OK;
}

/* The body: empty, a form, or JSON. */
static int read_options(request_rec *r, logout_options *o)
{
    char *body = NULL;
    apr_size_t len = 0;
    int rv;

    memset(o, 0, sizeof(*o));
    if ((rv = ta_read_body(r, &body, &len)) != OK)
        return rv;
    if (len == 0)
        return OK;
    if (ta_content_type_is(r, "application/json"))
        return parse_json(r, body, len, o);
    if (!ta_content_type_is(r, "application/x-www-form-urlencoded"))
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    return parse_form(r, body, o);
}

static int refuse_kind(request_rec *r, const char *error)
{
    return ta_send_json(r, HTTP_FORBIDDEN, json_pack("{s:s}", "error", error));
}

/* Count one single revocation of user (ta_loginlimit.h): 0 with *wait (0, or the seconds
 * the limit still holds); -1 when the count cannot be had, logged (TA00136) as what. */
static int counted(request_rec *r, const char *user, const char *what, long long *wait)
{
    ta_cache_status st = ta_single_revoke_attempt(r, user, wait);

    if (st == TA_CACHE_OK)
        return 0;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00136: %s from %s: %s cannot be counted (%s)",
                  user, r->useragent_ip, what, ta_cache_status_name(st));
    return -1;
}

/* Whether a logout of one token may take a slot of the ledger: it counts against the user's
 * single revocations (ta_loginlimit.h, shared with revoking links). Past the limit the logout
 * is widened to every token of the user issued up to now, which updates the user's one cutoff
 * entry in place: so one account's login and logout loop cannot fill the ledger and leave
 * other users' logouts without room. 1 when widened, 0 when not; -1 when the count cannot be
 * had (the caller answers 503, as for any logout that cannot be recorded). */
static int widened_logout(request_rec *r, const ta_claims *c)
{
    long long wait = 0;

    if (counted(r, c->sub, "single revocations", &wait) != 0)
        return -1;
    if (wait == 0)
        return 0;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "TA00138: logout of %s from %s: more than %d single revocations within %d s: "
                  "every token of the user issued up to now is revoked instead",
                  c->sub, r->useragent_ip, TA_SINGLE_REVOKE_LIMIT, TA_SINGLE_REVOKE_WINDOW);
    return 1;
}

/* Record the revocation (*all may be widened, see widened_logout); the answer's status. */
static int record_revocation(request_rec *r, const ta_claims *c, int *all)
{
    long long now = (long long)apr_time_sec(r->request_time);
    ta_cache_status st = TA_CACHE_OK;
    int widened = *all ? 0 : widened_logout(r, c);

    if (widened < 0)
        return ta_unavailable(r);
    if (widened) {
        *all = 1;
        /* the cutoff must cover this token, whose iat may be up to 60 s ahead of our clock */
        st = ta_revoke_user(r, c->sub, c->iat > now ? c->iat : now);
    }
    else {
        /* the token itself too: its iat may be up to 60 s ahead of this server's clock */
        st = ta_revoke_token(r, c);
        if (st == TA_CACHE_OK && *all)
            st = ta_revoke_user(r, c->sub, now);
    }
    if (st != TA_CACHE_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00031: logout of %s from %s could not be recorded (%s)", c->sub,
                      r->useragent_ip, ta_cache_status_name(st));
        return ta_unavailable(r);
    }
    if (*all)
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

/* The answer: JSON for an app; a browser is sent to the login page (or /). */
static int answer(request_rec *r, const ta_dir_conf *dc, int json, json_t *body)
{
    if (json)
        return ta_send_json(r, HTTP_OK, body);
    json_decref(body);
    apr_table_setn(r->headers_out, "Location", dc->login_url ? dc->login_url : "/");
    return HTTP_SEE_OTHER;
}

/* Clear the cookie, and answer. */
static int logged_out(request_rec *r, const ta_dir_conf *dc, int json, json_t *body)
{
    ta_set_cookie(r, ta_cookie_name(r), "", 0);
    return answer(r, dc, json, body);
}

/* --- revoking one link ------------------------------------------------------------------ */

/* Refuse to revoke a link (logged at info with the reason, never the token): 0, with *rv
 * the handler's answer (ta_send_json's). */
static int refuse_link(request_rec *r, const ta_request *id, int *rv, int status, const char *error,
                       const char *reason, const char *description)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TA00132: %s from %s: link not revoked: %s",
                  id->claims.sub, r->useragent_ip, reason);
    *rv = ta_send_json(r, status,
                       json_pack("{s:s, s:s}", "error", error, "error_description", description));
    return 0;
}

/* Count this request against the caller's link revocations (ta_loginlimit.h), before the
 * link is even looked at: a refusal counts too, so that guessing is bounded as well as the
 * ledger's filling. 1 to go on; else 0 with *rv the handler's answer: 429 with Retry-After
 * (sent), or 503 when the counter cannot be had (fail closed, as a logout does). */
static int within_link_limit(request_rec *r, const ta_request *id, int *rv)
{
    long long wait = 0;

    if (counted(r, id->claims.sub, "link revocations", &wait) != 0) {
        *rv = ta_unavailable(r);
        return 0;
    }
    if (wait == 0)
        return 1;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "TA00135: %s from %s: link not revoked: throttled after %d link revocations "
                  "within %d s (%" APR_INT64_T_FMT " s left)",
                  id->claims.sub, r->useragent_ip, TA_SINGLE_REVOKE_LIMIT, TA_SINGLE_REVOKE_WINDOW,
                  (apr_int64_t)wait);
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)wait));
    *rv = ta_send_json(r, HTTP_TOO_MANY_REQUESTS,
                       json_pack("{s:s, s:s}", "error", "too_many_revocations", "error_description",
                                 "too many links revoked for now: try again after Retry-After "
                                 "seconds, or log out everywhere"));
    return 0;
}

/* Whether token is a link the caller may revoke: a url or share token that we signed, for
 * the caller's own name and uid. Every rule of SPEC §3 holds but two: its expiry (*expired
 * says; an expired link needs nothing) and its revocation (revoking twice does no harm).
 * So nobody can put a jti into the ledger that was not minted for them. 1 with *link
 * filled; else 0 with *rv the handler's answer (the refusal was sent, or an error status). */
static int check_link(request_rec *r, const ta_request *id, const char *token, ta_claims *link,
                      int *expired, int *rv)
{
    const ta_server_conf *sc = ta_server_config(r->server);
    const char *issuer = sc->issuer ? sc->issuer : TA_DEFAULT_ISSUER;
    ta_token_status st = TA_TOKEN_INTERNAL;

    if (sc->keys) /* the caller's session verified: the keys are there */
        st = ta_token_verify_any_expiry(sc->keys, issuer, token, strlen(token),
                                        (long long)apr_time_sec(r->request_time), link, expired);
    if (st == TA_TOKEN_INTERNAL || st == TA_TOKEN_NO_MEMORY) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00134: cannot check a link to revoke: %s",
                      ta_token_status_name(st));
        *rv = HTTP_INTERNAL_SERVER_ERROR;
        return 0;
    }
    if (st != TA_TOKEN_OK)
        return refuse_link(r, id, rv, HTTP_BAD_REQUEST, "invalid_token", ta_token_status_name(st),
                           "the token is not a link of this server");
    if (link->kind == TA_KIND_SESSION)
        return refuse_link(r, id, rv, HTTP_BAD_REQUEST, "invalid_request", "session token",
                           "this is a session token: log out to end it");
    /* the name alone is not enough: a user deleted and made anew under it is someone else */
    if (strcmp(link->sub, id->claims.sub) != 0 || link->uid != id->claims.uid)
        return refuse_link(r, id, rv, HTTP_FORBIDDEN, "not_yours",
                           apr_psprintf(r->pool, "a link of %s (uid %lu)", link->sub, link->uid),
                           "the link belongs to another user");
    return 1;
}

/* Record the link's revocation, through the same path as a logout's (ledger and shared
 * store; 503 when it cannot be recorded). */
static int record_link(request_rec *r, const ta_request *id, const ta_claims *link)
{
    ta_cache_status st = ta_revoke_token(r, link);

    if (st != TA_CACHE_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00131: revocation of %s's link %s from %s could not be recorded (%s)",
                      id->claims.sub, link->jti, r->useragent_ip, ta_cache_status_name(st));
        return ta_unavailable(r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "TA00130: %s from %s revoked %s token %s until %" APR_INT64_T_FMT, id->claims.sub,
                  r->useragent_ip, ta_kind_name(link->kind), link->jti, (apr_int64_t)link->exp);
    return OK;
}

/* Whether the caller's session outlived the link's revocation. It does, unless the ledger had
 * no room for the link's own entry: ta_revoke_token then moved the user's cutoff instead,
 * which ends every token of the user, this session too, and the answer must say so. A
 * revocation check that cannot be made counts as alive: the next request fails closed. */
static int session_survived(request_rec *r, const ta_request *id)
{
    int revoked = 0;

    return ta_revoked(r, &id->claims, &revoked) != TA_CACHE_OK || !revoked;
}

/* Revoke the link the body named; the caller's session and cookie stay as they are. */
static int revoke_link(request_rec *r, const ta_dir_conf *dc, int json, const ta_request *id,
                       const logout_options *o)
{
    ta_claims link;
    int expired = 0, rv;

    if (o->all_given)
        return ta_send_json(r, HTTP_BAD_REQUEST,
                            json_pack("{s:s, s:s}", "error", "invalid_request", "error_description",
                                      "token and all cannot be asked for together"));
    if (!within_link_limit(r, id, &rv) || !check_link(r, id, o->token, &link, &expired, &rv))
        return rv;
    if (expired) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "TA00133: %s from %s: %s token %s had expired already", id->claims.sub,
                      r->useragent_ip, ta_kind_name(link.kind), link.jti);
        return answer(r, dc, json, json_pack("{s:s}", "revoked", "expired"));
    }
    if ((rv = record_link(r, id, &link)) != OK)
        return rv;
    if (!session_survived(r, id))
        return logged_out(r, dc, json,
                          json_pack("{s:s, s:s}", "revoked", "all", "user", id->claims.sub));
    return answer(r, dc, json,
                  json_pack("{s:s, s:s, s:I}", "revoked", "link", "jti", link.jti, "expires_at",
                            (json_int_t)link.exp));
}

/* --- the handler ------------------------------------------------------------------------ */

/* A browser whose session is already gone: nothing to revoke, and it belongs on the login
 * page (not on one that would return it to this POST-only URL). Unless it asked to revoke a
 * link: that cannot be done, and it must not look done. */
static int session_gone(request_rec *r, const ta_dir_conf *dc)
{
    logout_options o;

    if (read_options(r, &o) == OK && o.token) {
        ta_bearer_challenge(r, NULL);
        return ta_send_json(r, HTTP_UNAUTHORIZED, json_pack("{s:s}", "error", "unauthorized"));
    }
    ap_discard_request_body(r);
    return logged_out(r, dc, 0, NULL);
}

int ta_logout_handler(request_rec *r)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    const ta_request *id = NULL;
    logout_options o;
    int json, rv;

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
    if (rv == HTTP_UNAUTHORIZED && !json)
        return session_gone(r, dc);
    if (rv != OK)
        return rv;
    /* only a session logs out or revokes links: never a link, nor a token from a URL */
    if (id->source == TA_FROM_QUERY)
        return refuse_kind(r, "token_in_query"); /* a link must not log anyone out */
    if (id->claims.kind != TA_KIND_SESSION)
        return refuse_kind(r, "insufficient_scope");
    if ((rv = read_options(r, &o)) != OK)
        return rv;
    if (o.token)
        return revoke_link(r, dc, json, id, &o);
    if ((rv = record_revocation(r, &id->claims, &o.all)) != OK)
        return rv;
    return logged_out(
        r, dc, json,
        json_pack("{s:s, s:s}", "revoked", o.all ? "all" : "token", "user", id->claims.sub));
}
