/* Finding a token in the three places a request may carry it, and scrubbing it from a query
 * string. Pure string code on raw header and query values, so it is unit-tested and fuzzed. */
#ifndef TA_CREDENTIAL_H
#define TA_CREDENTIAL_H

#include <stddef.h>

/* Result of a search in one source. */
typedef enum {
    TA_CRED_NONE = 0, /* the source holds no token */
    TA_CRED_ONE,      /* exactly one: *val, *vlen point into the input */
    TA_CRED_REPEATED, /* more than one: refused as a whole */
} ta_cred_result;

/* Raw query string "a=1&token=X&b": the parameter whose raw name is name. */
ta_cred_result ta_cred_query(const char *query, const char *name, const char **val, size_t *vlen);

/* A Cookie header value "a=1; tokenauth=X" (several Cookie headers merged by ", " count as
 * one list). */
ta_cred_result ta_cred_cookie(const char *header, const char *name, const char **val, size_t *vlen);

/* An Authorization header value "Bearer X" (scheme case-insensitive). Another scheme is
 * TA_CRED_NONE; a list of credentials (merged repeated headers) that names Bearer anywhere
 * is TA_CRED_REPEATED. */
ta_cred_result ta_cred_bearer(const char *header, const char **val, size_t *vlen);

/* Bytes that ta_query_redact may write for query, terminator included. */
size_t ta_query_redact_bufsize(const char *query);

/* Copy query to out with the value of every name parameter replaced by "REDACTED"; other
 * parameters stay byte for byte. Returns the number of parameters redacted. */
size_t ta_query_redact(const char *query, const char *name, char *out);

/* Copy a Cookie header value to out (at least strlen(header) + 1 bytes) without the items
 * whose name is one of names[0..nnames): every other item keeps its bytes and the separator
 * before it. Returns how many items were removed (out is then the header with them cut out,
 * without leading blanks or trailing separators; "" when nothing else was there). */
size_t ta_cookie_strip(const char *header, const char *const *names, size_t nnames, char *out);

#endif
