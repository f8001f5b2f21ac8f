/* Pages for people (issue 12): the small styled HTML pages a browser gets instead of JSON or
 * Apache's bare error pages, and the pieces HTML listings share with them (the style, who is
 * signed in, the sign-out buttons of TokenAuthLogoutURL). Every page is pure ASCII: whatever
 * is not ASCII is written as a character reference, so a page reads the same whatever charset
 * its Content-Type names (httpd sends a custom error text as iso-8859-1). Nothing on a page
 * is fetched from elsewhere. */
#ifndef TA_PAGE_H
#define TA_PAGE_H

#include "httpd.h"

#include "ta_access.h"

/* The Content-Security-Policy of our own pages (listings, error pages): no script, nothing
 * loaded from anywhere, no framing; the inline style, and forms (sign out) posting to this
 * site, allowed. */
#define TA_PAGE_CSP                                                                                \
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "         \
    "frame-ancestors 'none'"

/* Why the access checker refused a request, as people and API clients are told. */
typedef enum {
    TA_REFUSED_NO_TOKEN = 0,
    TA_REFUSED_EXPIRED,
    TA_REFUSED_OUT_OF_SCOPE, /* another path, or a method other than GET/HEAD */
    TA_REFUSED_REVOKED,
    TA_REFUSED_INVALID, /* malformed, bad signature, unknown account, ...: nothing more said */
} ta_refusal;

/* The refusal a token status stands for; sent: a token (or a repeated one) was sent. */
ta_refusal ta_refusal_of(ta_token_status st, int sent);

/* The error_description of a refusal (RFC 6750 §3: ASCII without '"' and '\'); NULL for
 * TA_REFUSED_NO_TOKEN, which has no error. */
const char *ta_refusal_description(ta_refusal why);

/* 1 when the request wants a page: Accept names text/html and not application/json. */
int ta_page_wanted(request_rec *r);

/* s HTML-escaped for text and for attributes in either quotes, in ASCII: every character
 * outside printable ASCII a numeric character reference (a byte that starts no valid UTF-8
 * sequence, and a control character, as U+FFFD). */
const char *ta_page_escape(apr_pool_t *p, const char *s);

/* The start of a page, up to and including the opening <main>: doctype, viewport, title
 * (escaped here), the style (light and dark), and the account bar for id when it is not NULL:
 * "Signed in as USER" and, where TokenAuthLogoutURL is set, the "Sign out" and "Sign out
 * everywhere" buttons (a session token from the cookie, which is what their post carries);
 * "Shared by USER" for a url or share token. */
const char *ta_page_head(request_rec *r, const char *title, const ta_request *id);

/* The end of a page opened by ta_page_head. */
const char *ta_page_foot(void);

/* The 401 page of the access checker for a browser, written at once (text/html, utf-8; the
 * WWW-Authenticate header is the caller's): DONE; or HTTP_UNAUTHORIZED, unwritten, when the
 * administrator set an ErrorDocument 401 for the location. from_link: the token came from
 * the query string (a link), else from the cookie or a header (a session). */
int ta_page_refused(request_rec *r, ta_refusal why, int from_link);

/* For a request of a TokenAuthHome location that ends with status (401 when the helper
 * refused the token, 403, 404, 405, 503, 507): a browser's main request gets our page as
 * the response text of that status (ap_custom_response), unless the administrator set an
 * ErrorDocument for it. Returns status, for the handler to return. */
int ta_page_answer(request_rec *r, int status);

#endif
