/* The access checker (SPEC §5): credential collection and query scrubbing, AuthType token,
 * and the headers of token-authenticated responses. */
#ifndef TA_ACCESS_H
#define TA_ACCESS_H

#include "httpd.h"
#include "ta_token.h"

/* Where the token of a request came from. */
typedef enum { TA_FROM_NONE = 0, TA_FROM_BEARER, TA_FROM_QUERY, TA_FROM_COOKIE } ta_source;

/* What the module learned about a request; later handlers read it. */
typedef struct {
    /* taken out of the request's headers (ta_strip.c), for the access checker alone */
    const char *cookie_header;  /* every Cookie header as it came, merged; NULL: none of ours */
    const char *authorization;  /* the Authorization header when it held one of our tokens */
    const char *args;           /* the query before TokenAuthRedact scrubbed it, or NULL */
    unsigned int parsed : 1;    /* header_parser ran for this request */
    unsigned int collected : 1; /* the fields below were filled */
    const char *token;          /* the raw token, NULL when none was found */
    ta_source source;
    ta_token_status refusal; /* TA_TOKEN_REPEATED when a source held several */
    int verified;            /* claims below are valid */
    ta_claims claims;
} ta_request;

/* The note of r, created (zeroed) when create is set and there is none. */
ta_request *ta_note(request_rec *r, int create);

/* The note of the request r came from that holds what ta_strip took out of the headers: r's
 * own, or that of its main request or of the request it was redirected from; NULL if none. */
const ta_request *ta_stash(const request_rec *r);

/* post_read_request: take the module's cookies, and an Authorization header that carries one
 * of our tokens, out of r->headers_in before any other module sees them (ta_strip.c). */
int ta_strip_credentials(request_rec *r);

/* fixups: give a location with TokenAuthRedact Off its Authorization header back. */
int ta_strip_restore(request_rec *r);

/* pre_config: the list of cookie names to strip starts with the defaults. */
void ta_strip_pre_config(apr_pool_t *pconf);

/* A cookie name some TokenAuthCookie set: stripped from every request too. */
void ta_strip_add_cookie_name(const char *name);

/* The session cookie's name for r: TokenAuthCookie, else "__Host-tokenauth" over HTTPS and
 * "tokenauth" otherwise. */
const char *ta_cookie_name(request_rec *r);

/* header_parser: find the request's token and scrub the query before anything logs it. */
int ta_collect_credentials(request_rec *r);

/* check_authn for AuthType token. */
int ta_check_token(request_rec *r);

/* For handlers whose location need not use AuthType token (logout): the request's identity,
 * from AuthType token when it ran, else from the bearer header or the cookie (never the
 * query), held to every rule of the access checker. OK with *id set, or the answer to give:
 * DONE when a refusal was already sent, else an HTTP status. quiet: a missing or refused
 * token is only logged and HTTP_UNAUTHORIZED returned, for the caller to answer. */
int ta_authenticate_header_or_cookie(request_rec *r, const ta_request **id, int quiet);

/* fixups: Referrer-Policy and Cache-Control on token-authenticated responses. */
int ta_secure_response(request_rec *r);

/* log_transaction, before the loggers: scrub requests that failed before header_parser. */
int ta_redact_for_log(request_rec *r);

/* Scrub a request that ended before header_parser (its location unknown) of every query
 * parameter name the configuration uses: 1 when it did, 0 when header_parser had run or the
 * server-level TokenAuthRedact is Off. */
int ta_redact_unparsed(request_rec *r);

/* A copy of a query string with the value of every configured parameter name scrubbed. */
char *ta_redact_query_all(apr_pool_t *p, const char *query);

/* A TokenAuthQueryParam name, scrubbed from requests that end early; and all of them. */
void ta_strip_add_query_param(const char *name);
const apr_array_header_t *ta_strip_query_params(void);

/* WWW-Authenticate: Bearer realm="<AuthName, else tokenauth>"[, error="<error>"] (RFC 6750
 * §3) on a response that no cache may keep: every 401 of ours carries it. */
void ta_bearer_challenge(request_rec *r, const char *error);

/* The same, with error_description="<description>" after the error (only with an error);
 * description must hold no '"' or backslash. */
void ta_bearer_challenge_described(request_rec *r, const char *error, const char *description);

/* note_auth_failure: the Bearer challenge when a Require line refuses a token's user. */
int ta_auth_failure_challenge(request_rec *r, const char *auth_type);

/* The verified identity of r (or of the request it came from), or NULL. */
const ta_request *ta_request_identity(const request_rec *r);

#endif
