/* libFuzzer target: what a home-directory listing takes from its query and shows of an entry
 * (src/core/ta_listpage.c). The input is a query string (to its first NUL) and, as a name, the
 * same bytes. Invariants: a parsed page is within its ranges, and the page written back as
 * "offset=N&limit=M" parses to the same; the next page's query fits its buffer (an exact heap
 * allocation, so ASan sees a byte past it), holds only what a URI's query may, has no item
 * named offset, limit or the token's parameter but the two it adds, and parses to the window
 * it names; a name as JSON text is well-formed UTF-8 that jansson reads back as one string,
 * the very name when it was UTF-8; a size and a time always fit their buffers. */
#include "fuzz.h"
#include "ta_jobject.h"
#include "ta_listpage.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

static void check_parse(const char *q)
{
    ta_page p, again;
    char canon[64];

    if (ta_page_parse(q, &p) != TA_PAGE_OK) {
        CHECK(p.paged == 0 && p.offset == 0 && p.limit == 0);
        return;
    }
    if (!p.paged) {
        CHECK(p.offset == 0 && p.limit == 0);
        return;
    }
    CHECK(p.limit >= 1 && p.limit <= TA_PAGE_LIMIT_MAX);
    snprintf(canon, sizeof(canon), "offset=%lu&limit=%lu", (unsigned long)p.offset,
             (unsigned long)p.limit);
    CHECK(ta_page_parse(canon, &again) == TA_PAGE_OK);
    CHECK(again.paged && again.offset == p.offset && again.limit == p.limit);
}

/* Every item of the query; the two of the page are last, and nothing else is so named. */
static void check_items(const char *out, const char *drop, uint64_t next, uint32_t limit)
{
    char tail[64];
    size_t n = strlen(out), tn;

    snprintf(tail, sizeof(tail), "offset=%llu&limit=%lu", (unsigned long long)next,
             (unsigned long)limit);
    tn = strlen(tail);
    CHECK(n >= tn && strcmp(out + n - tn, tail) == 0);
    for (const char *s = out; s < out + n - tn;) {
        size_t k = strcspn(s, "&"), nl = strcspn(s, "=&");

        CHECK(k > 0); /* no empty item */
        CHECK(!(nl == 6 && memcmp(s, "offset", 6) == 0));
        CHECK(!(nl == 5 && memcmp(s, "limit", 5) == 0));
        CHECK(!(nl == strlen(drop) && memcmp(s, drop, nl) == 0));
        s += k + 1;
    }
}

static void check_next(const char *q, uint64_t next, uint32_t limit)
{
    size_t cap = ta_page_next_query_bufsize(q);
    char *out = malloc(cap);
    ta_page p;

    CHECK(out != NULL);
    ta_page_next_query(q, "token", next, limit, out);
    CHECK(strlen(out) < cap);
    for (const unsigned char *c = (const unsigned char *)out; *c; c++)
        CHECK(*c > 0x20 && *c < 0x7f && !strchr("<>\"\\^`{|}#[] ", *c));
    check_items(out, "token", next, limit);
    if (next <= TA_PAGE_OFFSET_MAX && limit >= 1 && limit <= TA_PAGE_LIMIT_MAX) {
        CHECK(ta_page_parse(out, &p) == TA_PAGE_OK);
        CHECK(p.paged && p.offset == next && p.limit == limit);
    }
    free(out);
}

static void check_name(const uint8_t *data, size_t size)
{
    char *out = malloc(TA_JSON_NAME_MAX(size));
    size_t n = 0;
    json_error_t err;
    json_t *j;

    CHECK(out != NULL);
    n = ta_json_name((const char *)data, size, out);
    CHECK(n + 1 <= TA_JSON_NAME_MAX(size) && strlen(out) == n);
    CHECK(n >= 2 && out[0] == '"' && out[n - 1] == '"');
    CHECK(ta_utf8_valid(out, n));
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
    j = json_loadb(out, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    CHECK(j != NULL && json_is_string(j));
    if (ta_utf8_valid((const char *)data, size))
        CHECK(json_string_length(j) == size && memcmp(json_string_value(j), data, size) == 0);
    json_decref(j);
    free(out);
}

static uint64_t first_u64(const uint8_t *data, size_t size)
{
    uint64_t v = 0;

    for (size_t i = 0; i < 8 && i < size; i++)
        v = v << 8 | data[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1);
    uint64_t v = first_u64(data, size);
    char human[TA_HUMAN_SIZE_MAX];
    ta_utc_time t;

    CHECK(q != NULL);
    memcpy(q, data, size);
    q[size] = '\0'; /* the query ends at its first NUL, as a C string does */
    check_parse(q);
    check_next(q, v >> 20, (uint32_t)(v & 0xfffff) % 10002);
    check_next(q, v, (uint32_t)v);
    check_name(data, size);
    ta_human_size(v, human);
    CHECK(strlen(human) > 0 && strlen(human) < TA_HUMAN_SIZE_MAX);
    if (ta_utc_time_of((int64_t)v, &t) == 0)
        CHECK(strlen(t.iso) == 20 && strlen(t.shown) == 16);
    else
        CHECK(t.iso[0] == '\0' && t.shown[0] == '\0');
    free(q);
    return 0;
}
