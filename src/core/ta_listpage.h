/* What the listing of a home directory (SPEC §6) takes from a request and shows of an entry:
 * the paging parameters of a JSON listing, the query of its next page, an entry's name as JSON
 * text, its size and time for people. No httpd or APR here, so that unit tests and fuzzers
 * reach every parser; the glue (mod_tokenauth/ta_listing.c) writes the pages. */
#ifndef TA_LISTPAGE_H
#define TA_LISTPAGE_H

#include <stddef.h>
#include <stdint.h>

#define TA_PAGE_LIMIT_MAX 10000       /* limit=1..10000 entries a page */
#define TA_PAGE_LIMIT_DEFAULT 1000    /* a page asked for with an offset alone */
#define TA_PAGE_OFFSET_MAX UINT32_MAX /* offset=0..4294967295 (past the end: an empty page) */

typedef enum {
    TA_PAGE_OK = 0,
    TA_PAGE_BAD_OFFSET, /* not a decimal number (digits only), or over TA_PAGE_OFFSET_MAX */
    TA_PAGE_BAD_LIMIT,  /* not a decimal number, 0, or over TA_PAGE_LIMIT_MAX */
    TA_PAGE_REPEATED,   /* offset or limit given more than once */
} ta_page_status;

/* The window a request asks for. */
typedef struct {
    int paged;       /* offset or limit was given; otherwise the whole listing */
    uint32_t offset; /* 0 unless given */
    uint32_t limit;  /* TA_PAGE_LIMIT_DEFAULT unless given; 0 when not paged */
} ta_page;

/* The paging parameters of a query string (NULL: none): the items named exactly "offset" and
 * "limit" (names and values as they came, not percent-decoded: "1%30" is no number), each at
 * most once, values of 1 to 10 ASCII digits (leading zeros allowed) within their ranges.
 * Other items are not looked at. TA_PAGE_OK with *p set, else why not (*p then unpaged). */
ta_page_status ta_page_parse(const char *args, ta_page *p);

/* A sentence for the JSON error body of a refusal ("offset must be ..."). */
const char *ta_page_status_text(ta_page_status st);

/* The bytes ta_page_next_query may write for args (NULL: none), its terminator included. */
size_t ta_page_next_query_bufsize(const char *args);

/* The query of the page at offset next with limit: args (NULL: none) without its empty items
 * and without every item named "offset", "limit" or drop (exactly so, with or without a
 * value; drop may be NULL), the others in their order and as they came but for the bytes a
 * URI's query may not hold ('<', '>', '"', blanks, controls, non-ASCII...), which are
 * percent-encoded (the result goes into a Link header between '<' and '>'); then
 * "offset=NEXT&limit=LIMIT". out holds ta_page_next_query_bufsize(args) bytes. */
void ta_page_next_query(const char *args, const char *drop, uint64_t next, uint32_t limit,
                        char *out);

/* The most bytes ta_json_name writes for a name of n bytes, its terminator included. */
#define TA_JSON_NAME_MAX(n) (6 * (size_t)(n) + 3)

/* s[0..n) as a JSON string literal, quotes included, NUL-terminated in out (at least
 * TA_JSON_NAME_MAX(n) bytes): '"' and '\\' escaped, control characters and DEL as \u00XX,
 * well-formed UTF-8 as it is, and every byte that starts no well-formed sequence as \ufffd
 * (a file name may be any bytes; JSON text is UTF-8, and a name that cannot be spelt is still
 * listed). Returns the length written. */
size_t ta_json_name(const char *s, size_t n, char *out);

/* A size for people: "0 B" .. "1023 B", then "1.0 KiB" .. "1023.9 KiB", MiB, GiB, TiB, PiB,
 * EiB (one decimal, rounded down). out holds at least TA_HUMAN_SIZE_MAX bytes. */
#define TA_HUMAN_SIZE_MAX 16
void ta_human_size(uint64_t bytes, char *out);

/* A Unix time in UTC: iso "2024-06-10T06:13:20Z" (ISO 8601) and shown "2024-06-10 06:13". 0,
 * or -1 (both "") for a time outside the years 0..9999. */
typedef struct {
    char iso[21];
    char shown[17];
} ta_utc_time;
int ta_utc_time_of(int64_t t, ta_utc_time *out);

#endif
