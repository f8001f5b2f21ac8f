/* The access checker (SPEC §5): credential collection and query scrubbing, AuthType token,
 * and the headers of token-authenticated responses. */
#ifndef TA_ACCESS_H
#define TA_ACCESS_H

#include "httpd.h"
#include "ta_token.h"

/* Where the token of a request came from. */
typedef enum { TA_FROM_NONE = 0, TA_FROM_BEARER, TA_FROM_QUERY, TA_FROM_COOKIE } ta_source;

/* What the access checker learned about a request; later handlers read it. */
typedef struct {
    const char *token; /* the raw token, NULL when none was found */
    ta_source source;
    ta_token_status refusal; /* TA_TOKEN_REPEATED when a source held several */
    int verified;            /* claims below are valid */
    ta_claims claims;
} ta_request;

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

/* note_auth_failure: the Bearer challenge when a Require line refuses a token's user. */
int ta_auth_failure_challenge(request_rec *r, const char *auth_type);

/* The verified identity of r (or of the request it came from), or NULL. */
const ta_request *ta_request_identity(const request_rec *r);

#endif
