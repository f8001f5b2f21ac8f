/* The paging parameters and the entry formats of home-directory listings; see ta_listpage.h. */
#include "ta_listpage.h"
#include "ta_jobject.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define DIGITS_MAX 10 /* UINT32_MAX has 10 digits; more, even zeros, is refused */

/* One item of a query: the name (up to '=' or the end) and, after '=', the value. */
typedef struct {
    const char *name, *value;
    size_t nlen, vlen;
    int has_value;
} query_item;

static void split_item(const char *p, size_t n, query_item *it)
{
    const char *eq = memchr(p, '=', n);

    it->name = p;
    it->nlen = eq ? (size_t)(eq - p) : n;
    it->has_value = eq != NULL;
    it->value = eq ? eq + 1 : p + n;
    it->vlen = eq ? n - it->nlen - 1 : 0;
}

static int item_is(const query_item *it, const char *name)
{
    return name && it->nlen == strlen(name) && memcmp(it->name, name, it->nlen) == 0;
}

/* A value of 1..DIGITS_MAX ASCII digits, at most max. 0 with *v, or -1. */
static int parse_number(const query_item *it, uint64_t max, uint64_t *v)
{
    uint64_t x = 0;

    if (!it->has_value || it->vlen == 0 || it->vlen > DIGITS_MAX)
        return -1;
    for (size_t i = 0; i < it->vlen; i++) {
        if (it->value[i] < '0' || it->value[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(it->value[i] - '0'); /* 10 digits: no overflow in 64 bits */
    }
    if (x > max)
        return -1;
    *v = x;
    return 0;
}

/* One offset or limit item into *v, counted in *seen. */
static ta_page_status take_param(const query_item *it, uint64_t lo, uint64_t max, int *seen,
                                 uint64_t *v, ta_page_status bad)
{
    if ((*seen)++)
        return TA_PAGE_REPEATED;
    return parse_number(it, max, v) == 0 && *v >= lo ? TA_PAGE_OK : bad;
}

ta_page_status ta_page_parse(const char *args, ta_page *p)
{
    uint64_t offset = 0, limit = TA_PAGE_LIMIT_DEFAULT;
    int seen_offset = 0, seen_limit = 0;
    const char *s = args;

    memset(p, 0, sizeof(*p));
    while (s && *s) {
        size_t n = strcspn(s, "&");
        ta_page_status st = TA_PAGE_OK;
        query_item it;

        split_item(s, n, &it);
        if (item_is(&it, "offset"))
            st = take_param(&it, 0, TA_PAGE_OFFSET_MAX, &seen_offset, &offset, TA_PAGE_BAD_OFFSET);
        else if (item_is(&it, "limit"))
            st = take_param(&it, 1, TA_PAGE_LIMIT_MAX, &seen_limit, &limit, TA_PAGE_BAD_LIMIT);
        if (st != TA_PAGE_OK)
            return st;
        s += n + (s[n] == '&');
    }
    if (seen_offset || seen_limit) {
        p->paged = 1;
        p->offset = (uint32_t)offset;
        p->limit = (uint32_t)limit;
    }
    return TA_PAGE_OK;
}

const char *ta_page_status_text(ta_page_status st)
{
    switch (st) {
    case TA_PAGE_OK:
        return "ok";
    case TA_PAGE_BAD_OFFSET:
        return "offset must be a whole number from 0 to 4294967295";
    case TA_PAGE_BAD_LIMIT:
        return "limit must be a whole number from 1 to 10000";
    case TA_PAGE_REPEATED:
        return "offset and limit may each be given once";
    default:
        return "unknown";
    }
}

/* "offset=" and "limit=" with the largest numbers, the '&' between, the one before them and
 * the terminator. */
#define NEXT_PARAMS_MAX (sizeof("&offset=18446744073709551615&limit=4294967295"))

size_t ta_page_next_query_bufsize(const char *args)
{
    return (args ? 3 * strlen(args) : 0) + NEXT_PARAMS_MAX;
}

/* 1 when c may stand in a URI's query as it is (RFC 3986: unreserved, sub-delims, ':', '@',
 * '/', '?', and '%' of a percent-encoding, which the query already holds). */
static int query_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~!$&'()*+,;=:@/?%", c) != NULL);
}

/* s[0..n) with the bytes a query may not hold percent-encoded, at o; the end. */
static char *put_query(char *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (query_char(c))
            *o++ = (char)c;
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    return o;
}

void ta_page_next_query(const char *args, const char *drop, uint64_t next, uint32_t limit,
                        char *out)
{
    const char *s = args;
    char *o = out;

    while (s && *s) {
        size_t n = strcspn(s, "&");
        query_item it;

        split_item(s, n, &it);
        if (n > 0 && !item_is(&it, "offset") && !item_is(&it, "limit") && !item_is(&it, drop)) {
            o = put_query(o, s, n);
            *o++ = '&';
        }
        s += n + (s[n] == '&');
    }
    sprintf(o, "offset=%llu&limit=%lu", (unsigned long long)next, (unsigned long)limit);
}

/* The escaped form of byte c (7 bytes of room); its length, or 0 when c goes as it is. */
static size_t escape_of(unsigned char c, char *esc)
{
    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        return 2;
    }
    if (c < 0x20 || c == 0x7f)
        return (size_t)snprintf(esc, 7, "\\u%04x", c);
    return 0;
}

size_t ta_json_name(const char *s, size_t n, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    out[o++] = '"';
    for (size_t i = 0, k; i < n; i += k) {
        char esc[7];
        size_t e = escape_of(p[i], esc);

        k = ta_utf8_seq(p + i, n - i);
        if (k == 0) { /* no sequence starts here: this one byte stands for what it was */
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
            k = 1;
            continue;
        }
        memcpy(out + o, e ? esc : s + i, e ? e : k);
        o += e ? e : k;
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

void ta_human_size(uint64_t bytes, char *out)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    uint64_t whole = bytes, tenths = 0;
    size_t u = 0;

    if (bytes < 1024) {
        snprintf(out, TA_HUMAN_SIZE_MAX, "%u B", (unsigned)bytes);
        return;
    }
    /* the largest unit that leaves a whole part of at least 1 */
    while (u + 1 < sizeof(units) / sizeof(units[0]) && (bytes >> (10 * (u + 2))) > 0)
        u++;
    whole = bytes >> (10 * (u + 1));
    /* the first decimal, rounded down: tenths of the unit in the remainder (under 2^60, so
     * ten times it fits 64 bits) */
    tenths = ((bytes & (((uint64_t)1 << (10 * (u + 1))) - 1)) * 10) >> (10 * (u + 1));
    /* whole < 1024 and tenths < 10 by construction; the modulos say so to the compiler */
    snprintf(out, TA_HUMAN_SIZE_MAX, "%u.%u %s", (unsigned)(whole % 1024), (unsigned)(tenths % 10),
             units[u]);
}

int ta_utc_time_of(int64_t t, ta_utc_time *out)
{
    time_t tt = (time_t)t;
    struct tm tm;

    out->iso[0] = out->shown[0] = '\0';
    if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL || tm.tm_year < -1900 ||
        tm.tm_year > 9999 - 1900)
        return -1;
    /* gmtime_r's fields are within these ranges; the modulos say so to the compiler */
    snprintf(out->iso, sizeof(out->iso), "%04u-%02u-%02uT%02u:%02u:%02uZ",
             (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100,
             (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100,
             (unsigned)tm.tm_sec % 100);
    memcpy(out->shown, out->iso, 16); /* "2024-06-10T06:13" */
    out->shown[10] = ' ';
    out->shown[16] = '\0';
    return 0;
}
