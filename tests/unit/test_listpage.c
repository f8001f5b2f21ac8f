/* Unit tests for what a home-directory listing takes from its query and shows of an entry
 * (src/core/ta_listpage.c): the paging parameters (their exact rules, each refusal), the
 * query of the next page (the token's parameter never in it), names as JSON text whatever
 * their bytes, sizes and times for people. */
#include "unit.h"
#include "ta_listpage.h"

static void assert_page(const char *args, int paged, uint32_t offset, uint32_t limit)
{
    ta_page p = {9, 9, 9};

    if (ta_page_parse(args, &p) != TA_PAGE_OK)
        fail_msg("\"%s\" refused", args ? args : "(null)");
    assert_int_equal(p.paged, paged);
    assert_int_equal(p.offset, offset);
    assert_int_equal(p.limit, limit);
}

static void assert_page_refused(const char *args, ta_page_status want)
{
    ta_page p = {9, 9, 9};
    ta_page_status st = ta_page_parse(args, &p);

    if (st != want)
        fail_msg("\"%s\": %d, expected %d", args, st, want);
    assert_true(p.paged == 0 && p.offset == 0 && p.limit == 0);
}

/* No paging parameter: the whole listing; either one makes a page (offset 0, limit 1000 by
 * default); other items, empty ones and names that only look alike are not looked at. */
static void test_page_parse_takes_offset_and_limit(void **state)
{
    (void)state;
    assert_page(NULL, 0, 0, 0);
    assert_page("", 0, 0, 0);
    assert_page("sort=name&token=REDACTED", 0, 0, 0);
    assert_page("offset=5&limit=20", 1, 5, 20);
    assert_page("limit=20&offset=5", 1, 5, 20);
    assert_page("offset=5", 1, 5, TA_PAGE_LIMIT_DEFAULT);
    assert_page("limit=7", 1, 0, 7);
    assert_page("a=1&&offset=0&b&limit=10000&c=", 1, 0, 10000);
    assert_page("offset=4294967295&limit=1", 1, UINT32_MAX, 1);
    assert_page("offset=0000000007&limit=0000000001", 1, 7, 1);
    assert_page("Offset=x&limit2=x&xoffset=x&%6Fffset=x", 0, 0, 0);
    assert_page("offset=1&", 1, 1, TA_PAGE_LIMIT_DEFAULT);
}

/* Each rule broken on its own: not digits (signs, blanks, encodings, hex, empty, no '='),
 * beyond the range (an overflow, 11 digits even of zeros), a limit of 0 or over the most, a
 * parameter given twice (even with the same value). */
static void test_page_parse_refuses_bad_values(void **state)
{
    static const char *const bad_offset[] = {
        "offset=-1",
        "offset=+1",
        "offset= 1",
        "offset=1 ",
        "offset=1%30",
        "offset=0x10",
        "offset=",
        "offset",
        "offset=1.5",
        "offset=4294967296",
        "offset=99999999999",
        "offset=00000000000",
        "offset=18446744073709551617",
        "offset=1e3",
        "offset=\xd9\xa1",
        "limit=5&offset=a",
    };
    static const char *const bad_limit[] = {
        "limit=0",
        "limit=10001",
        "limit=-5",
        "limit=",
        "limit",
        "limit=abc",
        "limit=1;2",
        "limit=4294967297",
        "offset=1&limit=00000000000",
        "limit=+10",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad_offset) / sizeof(bad_offset[0]); i++)
        assert_page_refused(bad_offset[i], TA_PAGE_BAD_OFFSET);
    for (size_t i = 0; i < sizeof(bad_limit) / sizeof(bad_limit[0]); i++)
        assert_page_refused(bad_limit[i], TA_PAGE_BAD_LIMIT);
    assert_page_refused("offset=1&offset=1", TA_PAGE_REPEATED);
    assert_page_refused("offset=1&limit=5&offset=2", TA_PAGE_REPEATED);
    assert_page_refused("limit=5&limit=5", TA_PAGE_REPEATED);
    assert_page_refused("limit=5&limit", TA_PAGE_REPEATED);
    assert_string_equal(ta_page_status_text(TA_PAGE_BAD_LIMIT),
                        "limit must be a whole number from 1 to 10000");
    assert_string_equal(ta_page_status_text((ta_page_status)99), "unknown");
}

static void assert_next(const char *args, const char *drop, uint64_t next, uint32_t limit,
                        const char *want)
{
    size_t cap = ta_page_next_query_bufsize(args);
    char *out = malloc(cap + 1);

    assert_non_null(out);
    memset(out, 0x5a, cap + 1);
    ta_page_next_query(args, drop, next, limit, out);
    assert_string_equal(out, want);
    assert_true(strlen(out) < cap);
    assert_int_equal((unsigned char)out[cap], 0x5a);
    free(out);
}

/* The next page keeps the other parameters in their order, and never the token's, the old
 * offset and limit, or empty items; what a URI's query may not hold is percent-encoded. */
static void test_page_next_query_keeps_the_rest_but_the_token(void **state)
{
    (void)state;
    assert_next(NULL, "token", 1000, 1000, "offset=1000&limit=1000");
    assert_next("", NULL, 5, 5, "offset=5&limit=5");
    assert_next("sort=name&offset=0&limit=2&token=REDACTED&view=grid", "token", 2, 2,
                "sort=name&view=grid&offset=2&limit=2");
    assert_next("token=abc.def.ghi&offset=10&limit=10", "token", 20, 10, "offset=20&limit=10");
    assert_next("t=1&token&tokenx=2&&limit=3", "t", 3, 3, "token&tokenx=2&offset=3&limit=3");
    assert_next("q=%3Cb%3E&x=<b>\"&y=a b\x01\xc3\xa9", "token", 4294967295ULL + 10000, 10000,
                "q=%3Cb%3E&x=%3Cb%3E%22&y=a%20b%01%C3%A9&offset=4294977295&limit=10000");
    assert_next("a=1;b=2&c=:@/?!$'()*+,~", NULL, 1, 1, "a=1;b=2&c=:@/?!$'()*+,~&offset=1&limit=1");
    assert_next("<<<<<<<<", NULL, 18446744073709551615ULL, 4294967295U,
                "%3C%3C%3C%3C%3C%3C%3C%3C&offset=18446744073709551615&limit=4294967295");
}

static void assert_json_name(const char *name, size_t n, const char *want)
{
    char *out = malloc(TA_JSON_NAME_MAX(n) + 1);

    assert_non_null(out);
    memset(out, 0x5a, TA_JSON_NAME_MAX(n) + 1);
    assert_int_equal(ta_json_name(name, n, out), strlen(want));
    assert_string_equal(out, want);
    assert_int_equal((unsigned char)out[TA_JSON_NAME_MAX(n)], 0x5a);
    free(out);
}

/* Names are any bytes but '/' and NUL: quotes, backslashes and controls escaped, UTF-8 kept,
 * and a byte that starts no well-formed sequence written as U+FFFD, one for one. */
static void test_json_name_escapes_any_bytes(void **state)
{
    static char worst[255];

    (void)state;
    assert_json_name("a.txt", 5, "\"a.txt\"");
    assert_json_name("say \"hi\"\\", 9, "\"say \\\"hi\\\"\\\\\"");
    assert_json_name("tab\there\nnl\x7f", 12, "\"tab\\u0009here\\u000anl\\u007f\"");
    assert_json_name("caf\xc3\xa9 \xf0\x9f\x90\x88", 10, "\"caf\xc3\xa9 \xf0\x9f\x90\x88\"");
    assert_json_name("caf\xe9-\xff.txt", 10, "\"caf\\ufffd-\\ufffd.txt\"");
    assert_json_name("\xc3", 1, "\"\\ufffd\"");                       /* a sequence cut short */
    assert_json_name("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
    assert_json_name("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");            /* an overlong '/' */
    memset(worst, 0x01, sizeof(worst));
    {
        char *out = malloc(TA_JSON_NAME_MAX(sizeof(worst)));

        assert_non_null(out);
        assert_int_equal(ta_json_name(worst, sizeof(worst), out), 2 + 6 * sizeof(worst));
        free(out);
    }
}

static void assert_size(uint64_t bytes, const char *want)
{
    char out[TA_HUMAN_SIZE_MAX];

    ta_human_size(bytes, out);
    assert_string_equal(out, want);
}

static void test_human_size_in_binary_units(void **state)
{
    (void)state;
    assert_size(0, "0 B");
    assert_size(1023, "1023 B");
    assert_size(1024, "1.0 KiB");
    assert_size(1536, "1.5 KiB");
    assert_size(1048575, "1023.9 KiB");
    assert_size(1048576, "1.0 MiB");
    assert_size(5 * 1048576 + 943718, "5.8 MiB"); /* 5.8999990 */
    assert_size(5 * 1048576 + 943719, "5.9 MiB"); /* 5.9000000 */
    assert_size((uint64_t)3 << 30, "3.0 GiB");
    assert_size((uint64_t)1 << 40, "1.0 TiB");
    assert_size((uint64_t)1 << 50, "1.0 PiB");
    assert_size((uint64_t)1 << 60, "1.0 EiB");
    assert_size(UINT64_MAX, "15.9 EiB");
}

static void test_utc_time_iso_and_shown(void **state)
{
    ta_utc_time t;

    (void)state;
    assert_int_equal(ta_utc_time_of(0, &t), 0);
    assert_string_equal(t.iso, "1970-01-01T00:00:00Z");
    assert_string_equal(t.shown, "1970-01-01 00:00");
    assert_int_equal(ta_utc_time_of(1718000000, &t), 0);
    assert_string_equal(t.iso, "2024-06-10T06:13:20Z");
    assert_string_equal(t.shown, "2024-06-10 06:13");
    assert_int_equal(ta_utc_time_of(-1, &t), 0);
    assert_string_equal(t.iso, "1969-12-31T23:59:59Z");
    assert_int_equal(ta_utc_time_of(253402300799LL, &t), 0); /* the last second of 9999 */
    assert_string_equal(t.iso, "9999-12-31T23:59:59Z");
    assert_int_equal(ta_utc_time_of(253402300800LL, &t), -1);
    assert_true(t.iso[0] == '\0' && t.shown[0] == '\0');
    assert_int_equal(ta_utc_time_of(INT64_MAX, &t), -1);
    assert_int_equal(ta_utc_time_of(INT64_MIN, &t), -1);
    assert_int_equal(ta_utc_time_of(-62167219201LL, &t), -1); /* a second before year 0 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_parse_takes_offset_and_limit),
        cmocka_unit_test(test_page_parse_refuses_bad_values),
        cmocka_unit_test(test_page_next_query_keeps_the_rest_but_the_token),
        cmocka_unit_test(test_json_name_escapes_any_bytes),
        cmocka_unit_test(test_human_size_in_binary_units),
        cmocka_unit_test(test_utc_time_iso_and_shown),
    };

    return cmocka_run_group_tests_name("listpage", tests, NULL, NULL);
}
