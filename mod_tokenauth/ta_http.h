/* Small HTTP pieces shared by the handlers: bounded bodies, JSON answers, the Origin check,
 * the session cookie. */
#ifndef TA_HTTP_H
#define TA_HTTP_H

#include "httpd.h"

#include <jansson.h>

#define TA_BODY_MAX 8192 /* SPEC §4: a larger body is 413 */

/* Read the whole request body, at most TA_BODY_MAX bytes, NUL-terminated. OK, or the HTTP
 * status to answer (413, 400). */
int ta_read_body(request_rec *r, char **body, apr_size_t *len);

/* 1 when the request has no Origin header, one equal to this server's own origin, or
 * "null" with Sec-Fetch-Site: same-origin (a form of our own no-referrer pages); else 0, and
 * the refusal is logged at info (TA00104). */
int ta_origin_allowed(request_rec *r);

/* 1 when the request's media type (without parameters) is type. */
int ta_content_type_is(request_rec *r, const char *type);

/* Send a JSON object (consumed) with status and Cache-Control: no-store; returns OK. */
int ta_send_json(request_rec *r, int status, json_t *obj);

/* Set-Cookie for a session token (HttpOnly, SameSite=Lax, Path=/, Max-Age, Secure on
 * HTTPS); max_age 0 clears it. */
void ta_set_cookie(request_rec *r, const char *name, const char *value, long long max_age);

/* A field of an application/x-www-form-urlencoded body, decoded, or NULL; *bad is set when
 * the field appears twice or is badly escaped. Every copy but the one returned is wiped, as
 * the field may be a password. */
char *ta_form_field(request_rec *r, const char *body, const char *name, int *bad);

/* 1 when the client asks for JSON (Accept names application/json). */
int ta_wants_json(request_rec *r);

/* OPTIONS on one of our handlers: 200 with the Allow header the handler declared. */
int ta_answer_options(request_rec *r);

/* 503 with Retry-After: the helper or the shared cache is away for the moment. */
#define TA_RETRY_AFTER "2"
int ta_unavailable(request_rec *r);

#endif
