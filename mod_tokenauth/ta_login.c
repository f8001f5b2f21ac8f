/* tokenauth-login (SPEC §4): the form, and password logins by form or JSON through the
 * privileged helper. Everything that can be refused is refused before PAM is asked. */
#include "ta_access.h"
#include "ta_config.h"
#include "ta_handlers.h"
#include "ta_helper_client.h"
#include "ta_helperctl.h"
#include "ta_http.h"
#include "ta_loginlimit.h"
#include "ta_proto.h"
#include "ta_redirect.h"
#include "ta_user.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"

#include <openssl/crypto.h>

APLOG_USE_MODULE(tokenauth);

#define HELPER_TIMEOUT_MS 20000 /* longer than the helper gives one PAM conversation */
#define FAILURE_MESSAGE "The user name or password is not right."

/* What a login request carried. */
typedef struct {
    const char *user;
    char *password;
    const char *ret; /* form only */
} credentials;

/* HTML-escaped for text and for attributes in either kind of quotes (ap_escape_html2 leaves
 * the single quote alone). */
static const char *escape(apr_pool_t *p, const char *s)
{
    const char *e = ap_escape_html2(p, s, 0);
    size_t quotes = 0, n = 0;
    char *out;

    for (const char *q = e; *q; q++)
        quotes += *q == '\'';
    if (quotes == 0)
        return e;
    out = apr_palloc(p, strlen(e) + quotes * 4 + 1);
    for (const char *q = e; *q; q++) {
        if (*q == '\'') {
            memcpy(out + n, "&#39;", 5);
            n += 5;
        }
        else
            out[n++] = *q;
    }
    out[n] = '\0';
    return out;
}

/* The login page with message, action and return filled in, HTML-escaped. One forward pass
 * over the template: a value is written out, never searched again, so a value that itself
 * spells a placeholder ("/{{return}}") stays text. */
static int send_form(request_rec *r, int status, const char *message, const char *ret)
{
    const char *names[] = {"{{message}}", "{{action}}", "{{return}}"};
    const char *values[] = {escape(r->pool, message), escape(r->pool, r->uri),
                            escape(r->pool, ret && ta_local_path_valid(ret) ? ret : "")};
    const char *tpl = ta_login_template(r->server), *at;

    r->status = status;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/html; charset=utf-8");
    while ((at = strstr(tpl, "{{")) != NULL) {
        size_t i = 0;

        while (i < 3 && strncmp(at, names[i], strlen(names[i])) != 0)
            i++;
        if (i == 3) { /* not one of ours: keep the braces as they are */
            ap_rwrite(tpl, (int)(at - tpl) + 2, r);
            tpl = at + 2;
            continue;
        }
        ap_rwrite(tpl, (int)(at - tpl), r);
        ap_rputs(values[i], r);
        tpl = at + strlen(names[i]);
    }
    ap_rputs(tpl, r);
    return OK;
}

/* The return parameter of the query string of a GET, or NULL. */
static const char *query_return(request_rec *r)
{
    apr_table_t *args = NULL;

    ap_args_to_table(r, &args);
    return args ? apr_table_get(args, "return") : NULL;
}

/* username, password (and return) of a form body; 400 when malformed. */
static int parse_form(request_rec *r, char *body, credentials *c)
{
    int bad = 0;

    c->user = ta_form_field(r, body, "username", &bad);
    c->password = ta_form_field(r, body, "password", &bad);
    c->ret = ta_form_field(r, body, "return", &bad);
    if (bad && c->password)
        OPENSSL_cleanse(c->password, strlen(c->password));
    return bad || !c->user || !c->password ? HTTP_BAD_REQUEST : OK;
}

/* {"username":…,"password":…}: strings, no duplicate keys; 400 otherwise. */
static int parse_json(request_rec *r, const char *body, apr_size_t len, credentials *c)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *u = json_object_get(j, "username"), *p = json_object_get(j, "password");
    int rv = HTTP_BAD_REQUEST;

    if (json_is_object(j) && json_is_string(u) && json_is_string(p) &&
        strlen(json_string_value(u)) == json_string_length(u) &&
        strlen(json_string_value(p)) == json_string_length(p)) {
        c->user = apr_pstrdup(r->pool, json_string_value(u));
        c->password = apr_pstrdup(r->pool, json_string_value(p));
        rv = OK;
    }
    if (json_is_string(p)) /* jansson keeps its own copy of the password: wipe it */
        OPENSSL_cleanse((char *)json_string_value(p), json_string_length(p));
    json_decref(j);
    return rv;
}

/* The answer to a successful login: JSON with the token the helper signed, or 303 to the
 * return path. The token's sub is the account's own spelling of the name (the helper reads it
 * from the user database), so the answer names that too. */
static int login_succeeded(request_rec *r, int json, credentials *c, const ta_auth_answer *a)
{
    const ta_server_conf *sc = ta_server_config(r->server);
    const char *tok = apr_pstrdup(r->pool, a->token), *user;
    ta_claims claims;
    ta_token_status st =
        ta_token_verify(sc->keys, sc->issuer ? sc->issuer : TA_DEFAULT_ISSUER, tok, strlen(tok),
                        (long long)apr_time_sec(r->request_time), &claims);

    /* what the helper signed must pass our own check, or the session would not work anyway */
    if (st != TA_TOKEN_OK || claims.kind != TA_KIND_SESSION) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00023: the helper's token for %s does not verify here: %s (do Apache "
                      "and the helper read the same key file?)",
                      c->user, ta_token_status_name(st));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    user = apr_pstrdup(r->pool, claims.sub);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TA00020: login of %s from %s succeeded", user,
                  r->useragent_ip);
    /* the token's own lifetime (SPEC: Max-Age=TTL); expiry minus our clock was off by one
     * whenever the helper signed in a later second than the request began */
    ta_set_cookie(r, ta_cookie_name(r), tok, claims.exp - claims.iat);
    if (json)
        return ta_send_json(r, HTTP_OK,
                            json_pack("{s:s, s:s, s:I, s:s, s:I}", "token", tok, "token_type",
                                      "Bearer", "expires_at", (json_int_t)a->expires_at, "user",
                                      user, "uid", (json_int_t)a->uid));
    apr_table_setn(r->headers_out, "Location",
                   c->ret && ta_local_path_valid(c->ret) ? c->ret : "/");
    return HTTP_SEE_OTHER;
}

/* One generic failure, whatever the reason (unknown user, wrong password, refused account, a
 * name outside the rule); the attempt was counted before PAM was asked. The error log escapes
 * the name as it writes the line. */
static int login_failed(request_rec *r, int json, const credentials *c, const char *reason)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TA00021: login of %s from %s failed: %s", c->user,
                  r->useragent_ip, reason);
    ta_bearer_challenge(r, NULL); /* a 401 names its scheme (RFC 9110 §15.5.2) */
    if (json)
        return ta_send_json(r, HTTP_UNAUTHORIZED,
                            json_pack("{s:s}", "error", "invalid_credentials"));
    return send_form(r, HTTP_UNAUTHORIZED, FAILURE_MESSAGE, c->ret);
}

/* What a person is told while locked out: the wait in whole minutes, rounded up. */
static const char *throttled_message(apr_pool_t *p, long long wait)
{
    long long minutes = wait > 0 ? (wait + 59) / 60 : 1;

    return apr_psprintf(p, "Too many attempts. Try again in %" APR_INT64_T_FMT " minute%s.",
                        (apr_int64_t)minutes, minutes == 1 ? "" : "s");
}

/* 429 with Retry-After: wait seconds. DONE (answered). */
static int throttled(request_rec *r, int json, const credentials *c, long long wait)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "TA00021: login of %s from %s failed: throttled (%" APR_INT64_T_FMT " s left)",
                  c->user, r->useragent_ip, (apr_int64_t)wait);
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)wait));
    if (json)
        ta_send_json(r, HTTP_TOO_MANY_REQUESTS, json_pack("{s:s}", "error", "throttled"));
    else
        send_form(r, HTTP_TOO_MANY_REQUESTS, throttled_message(r->pool, wait), c->ret);
    return DONE;
}

/* 429 with Retry-After while the user name or the address is locked out; 503 when the
 * counters cannot be read (fail closed); OK to go on, DONE when the 429 was sent. Decided before
 * PAM is asked, so that a locked-out guesser costs no hashing and learns nothing. */
static int throttle(request_rec *r, int json, const credentials *c)
{
    long long wait = 0;
    ta_cache_status st = ta_login_attempt(r, c->user, &wait);

    if (st != TA_CACHE_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00022: login of %s from %s: login counters unavailable (%s)", c->user,
                      r->useragent_ip, ta_cache_status_name(st));
        return ta_unavailable(r);
    }
    return wait == 0 ? OK : throttled(r, json, c, wait);
}

/* The helper's verdict on c. A name outside the login name rule (ta_user.h) is not sent, nor is
 * its password: the helper gets a stand-in that breaks the rule as well (the name escaped and
 * quoted, which the protocol always carries), and refuses it as it would the name itself, at
 * the same failure delay as any other refusal, without asking PAM. */
static void ask_helper(request_rec *r, const credentials *c, ta_auth_answer *answer, char *err,
                       size_t errlen)
{
    const ta_server_conf *sc = ta_server_config(r->server);
    const char *rhost = r->useragent_ip ? r->useragent_ip : "";
    char stand_in[TA_PROTO_USER_MAX + 1];

    if (ta_login_name_valid(c->user)) {
        ta_helper_auth(HELPER_TIMEOUT_MS, sc->index, r->uri, c->user, strlen(c->user), c->password,
                       strlen(c->password), rhost, answer, err, errlen);
        return;
    }
    ta_login_name_escape(c->user, strlen(c->user), stand_in, sizeof(stand_in));
    ta_helper_auth(HELPER_TIMEOUT_MS, sc->index, r->uri, stand_in, strlen(stand_in), "", 0, rhost,
                   answer, err, errlen);
}

/* The checks that come before PAM: method, Origin, media type, size, syntax. */
static int read_login(request_rec *r, int *json, credentials *c)
{
    char *body = NULL;
    apr_size_t len = 0;
    int rv;

    if (!ta_origin_allowed(r))
        return HTTP_FORBIDDEN;
    *json = ta_content_type_is(r, "application/json");
    if (!*json && !ta_content_type_is(r, "application/x-www-form-urlencoded"))
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    if ((rv = ta_read_body(r, &body, &len)) != OK)
        return rv;
    rv = *json ? parse_json(r, body, len, c) : parse_form(r, body, c);
    OPENSSL_cleanse(body, len);
    return rv;
}

int ta_login_handler(request_rec *r)
{
    credentials c = {NULL, NULL, NULL};
    char err[256] = "";
    ta_auth_answer answer;
    int json = 0, rv, result;

    if (r->handler == NULL || strcmp(r->handler, "tokenauth-login") != 0)
        return DECLINED;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_allow_methods(r, REPLACE_ALLOW, "GET", "POST", "OPTIONS", NULL);
    if (r->method_number == M_OPTIONS)
        return ta_answer_options(r);
    if (r->method_number == M_GET)
        return send_form(r, HTTP_OK, "", query_return(r));
    if (r->method_number != M_POST)
        return HTTP_METHOD_NOT_ALLOWED;
    if ((rv = read_login(r, &json, &c)) != OK)
        return rv;
    if ((rv = throttle(r, json, &c)) != OK) {
        OPENSSL_cleanse(c.password, strlen(c.password));
        return rv;
    }
    ask_helper(r, &c, &answer, err, sizeof(err));
    result = answer.result;
    OPENSSL_cleanse(c.password, strlen(c.password));
    if ((result == TA_AUTH_OK || result == TA_AUTH_UNAVAILABLE) &&
        ta_login_give_back(r, c.user, result == TA_AUTH_OK) != TA_CACHE_OK)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "TA00025: the login counters of %s from %s could not be updated", c.user,
                      r->useragent_ip);
    if (result == TA_AUTH_OK) {
        rv = login_succeeded(r, json, &c, &answer);
        OPENSSL_cleanse(&answer, sizeof(answer));
        return rv;
    }
    if (result == TA_AUTH_THROTTLED)
        return throttled(r, json, &c, answer.retry_after);
    if (result == TA_AUTH_UNAVAILABLE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00022: login of %s from %s: %s", c.user,
                      r->useragent_ip, err[0] ? err : "PAM unavailable");
        return ta_unavailable(r);
    }
    if (!ta_login_name_valid(c.user))
        return login_failed(r, json, &c, "user name outside the login name rule");
    return login_failed(r, json, &c,
                        result == TA_AUTH_ACCOUNT_REFUSED ? "account refused" : "bad credentials");
}
