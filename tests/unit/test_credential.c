/* Finding the token (SPEC §3: a source holding more than one token is refused) and scrubbing it
 * from the query string (SPEC §5, TokenAuthRedact: other parameters stay as they were). */
#include "unit.h"

/* The one value found, as a string for comparison. */
static char found[256];

static void keep(const char *val, size_t vlen)
{
    assert_true(vlen < sizeof(found));
    memcpy(found, val, vlen);
    found[vlen] = '\0';
}

static ta_cred_result query(const char *q, const char *name)
{
    const char *val = NULL;
    size_t vlen = 0;
    ta_cred_result r = ta_cred_query(q, name, &val, &vlen);

    found[0] = '\0';
    if (r == TA_CRED_ONE) {
        assert_true(val >= q && val + vlen <= q + strlen(q)); /* points into the input */
        keep(val, vlen);
    }
    return r;
}

static ta_cred_result cookie(const char *h)
{
    const char *val = NULL;
    size_t vlen = 0;
    ta_cred_result r = ta_cred_cookie(h, "tokenauth", &val, &vlen);

    found[0] = '\0';
    if (r == TA_CRED_ONE) {
        assert_true(val >= h && val + vlen <= h + strlen(h));
        keep(val, vlen);
    }
    return r;
}

static ta_cred_result bearer(const char *h)
{
    const char *val = NULL;
    size_t vlen = 0;
    ta_cred_result r = ta_cred_bearer(h, &val, &vlen);

    found[0] = '\0';
    if (r == TA_CRED_ONE) {
        assert_true(val >= h && val + vlen <= h + strlen(h));
        keep(val, vlen);
    }
    return r;
}

/* ta_query_redact into a buffer of exactly ta_query_redact_bufsize bytes (valgrind sees any
 * overrun); returns the count and leaves the text in found. */
static size_t redact(const char *q, const char *name)
{
    size_t size = ta_query_redact_bufsize(q);
    char *out = malloc(size);
    size_t n;

    assert_non_null(out);
    n = ta_query_redact(q, name, out);
    assert_true(strlen(out) < size);
    keep(out, strlen(out));
    free(out);
    return n;
}

/* --- query ------------------------------------------------------------------------------ */

static void test_query_token_found_among_other_parameters(void **state)
{
    (void)state;
    assert_int_equal(query("a=1&token=abc.def.ghi&b=2", "token"), TA_CRED_ONE);
    assert_string_equal(found, "abc.def.ghi");
}

static void test_query_token_found_first_and_last(void **state)
{
    (void)state;
    assert_int_equal(query("token=first&a=1", "token"), TA_CRED_ONE);
    assert_string_equal(found, "first");
    assert_int_equal(query("a=1&token=last", "token"), TA_CRED_ONE);
    assert_string_equal(found, "last");
}

static void test_query_without_token_is_none(void **state)
{
    (void)state;
    assert_int_equal(query("a=1&b=2", "token"), TA_CRED_NONE);
    assert_int_equal(query("", "token"), TA_CRED_NONE);
    assert_int_equal(query("a=token&b=token=x", "token"), TA_CRED_NONE);
}

static void test_query_absent_is_none(void **state)
{
    const char *val = NULL;
    size_t vlen = 0;

    (void)state;
    assert_int_equal(ta_cred_query(NULL, "token", &val, &vlen), TA_CRED_NONE);
}

static void test_query_repeated_token_refused(void **state)
{
    (void)state;
    assert_int_equal(query("token=a&token=b", "token"), TA_CRED_REPEATED);
    assert_int_equal(query("token=a&x=1&token=a", "token"), TA_CRED_REPEATED);
    assert_int_equal(query("token=a&token=", "token"), TA_CRED_REPEATED);
}

static void test_query_name_prefix_or_suffix_does_not_match(void **state)
{
    (void)state;
    assert_int_equal(query("xtoken=a", "token"), TA_CRED_NONE);
    assert_int_equal(query("token2=a", "token"), TA_CRED_NONE);
    assert_int_equal(query("tokens=a&atoken=b&Token=c", "token"), TA_CRED_NONE);
    assert_int_equal(query("xtoken=a&token=b&token2=c", "token"), TA_CRED_ONE);
    assert_string_equal(found, "b");
}

/* An empty value is a token that was sent (and will fail verification), not an absent one. */
static void test_query_empty_value_is_one_empty_token(void **state)
{
    (void)state;
    assert_int_equal(query("a=1&token=&b=2", "token"), TA_CRED_ONE);
    assert_string_equal(found, "");
}

static void test_query_value_keeps_everything_after_first_equals(void **state)
{
    (void)state;
    assert_int_equal(query("token=a=b", "token"), TA_CRED_ONE);
    assert_string_equal(found, "a=b");
}

static void test_query_uses_configured_name(void **state)
{
    (void)state;
    assert_int_equal(query("token=a&t=b", "t"), TA_CRED_ONE);
    assert_string_equal(found, "b");
}

/* --- cookie ----------------------------------------------------------------------------- */

static void test_cookie_found_among_others(void **state)
{
    (void)state;
    assert_int_equal(cookie("a=1; tokenauth=abc.def.ghi; b=2"), TA_CRED_ONE);
    assert_string_equal(found, "abc.def.ghi");
    assert_int_equal(cookie("tokenauth=only"), TA_CRED_ONE);
    assert_string_equal(found, "only");
}

static void test_cookie_spaces_around_items_are_trimmed(void **state)
{
    (void)state;
    assert_int_equal(cookie("a=1;tokenauth=x;b=2"), TA_CRED_ONE);
    assert_string_equal(found, "x");
    assert_int_equal(cookie("  a=1 ;   tokenauth=x   ; b=2"), TA_CRED_ONE);
    assert_string_equal(found, "x");
    assert_int_equal(cookie("a=1;\ttokenauth = x\t"), TA_CRED_ONE);
    assert_string_equal(found, "x");
}

static void test_cookie_absent_is_none(void **state)
{
    const char *val;
    size_t vlen;

    (void)state;
    assert_int_equal(cookie("a=1; b=2"), TA_CRED_NONE);
    assert_int_equal(cookie(""), TA_CRED_NONE);
    assert_int_equal(ta_cred_cookie(NULL, "tokenauth", &val, &vlen), TA_CRED_NONE);
}

static void test_cookie_name_prefix_or_suffix_does_not_match(void **state)
{
    (void)state;
    assert_int_equal(cookie("xtokenauth=a; tokenauth2=b; tokenauthx=c"), TA_CRED_NONE);
}

static void test_cookie_repeated_refused(void **state)
{
    (void)state;
    assert_int_equal(cookie("tokenauth=a; tokenauth=b"), TA_CRED_REPEATED);
    assert_int_equal(cookie("tokenauth=a; x=1; tokenauth=a"), TA_CRED_REPEATED);
}

/* Two Cookie headers reach us merged by ", ": still one list. */
static void test_cookie_repeated_across_merged_headers_refused(void **state)
{
    (void)state;
    assert_int_equal(cookie("a=1; tokenauth=a, b=2; tokenauth=b"), TA_CRED_REPEATED);
    assert_int_equal(cookie("tokenauth=a, tokenauth=b"), TA_CRED_REPEATED);
}

static void test_cookie_in_second_merged_header_found(void **state)
{
    (void)state;
    assert_int_equal(cookie("a=1, tokenauth=x"), TA_CRED_ONE);
    assert_string_equal(found, "x");
}

static void test_cookie_empty_value_is_one_empty_token(void **state)
{
    (void)state;
    assert_int_equal(cookie("a=1; tokenauth=; b=2"), TA_CRED_ONE);
    assert_string_equal(found, "");
}

/* --- stripping our cookies from a Cookie header ------------------------------------------ */

static const char *const our_names[] = {"tokenauth", "__Host-tokenauth"};

/* Strip our_names from h; the result in a buffer exactly as large as the contract allows. */
static char stripped[256];
static size_t strip(const char *h)
{
    char *out = malloc(strlen(h) + 1);
    size_t n;

    assert_non_null(out);
    n = ta_cookie_strip(h, our_names, 2, out);
    snprintf(stripped, sizeof(stripped), "%s", out);
    free(out);
    return n;
}

static void test_strip_removes_our_cookie_and_keeps_others_byte_for_byte(void **state)
{
    (void)state;
    assert_int_equal(strip("a=1; tokenauth=abc.def.ghi; b=\"x y\""), 1);
    assert_string_equal(stripped, "a=1; b=\"x y\"");
    assert_int_equal(strip("tokenauth=abc; b=2"), 1);
    assert_string_equal(stripped, "b=2");
    assert_int_equal(strip("a=1;tokenauth=abc"), 1);
    assert_string_equal(stripped, "a=1");
    assert_int_equal(strip("  tokenauth = abc  "), 1);
    assert_string_equal(stripped, "");
}

static void test_strip_removes_every_copy_and_every_name(void **state)
{
    (void)state;
    assert_int_equal(strip("tokenauth=a; x=1; __Host-tokenauth=b, tokenauth=c; y=2"), 3);
    assert_string_equal(stripped, "x=1; y=2");
    assert_int_equal(strip("tokenauth=a;tokenauth=b"), 2);
    assert_string_equal(stripped, "");
}

static void test_strip_leaves_other_headers_untouched(void **state)
{
    (void)state;
    assert_int_equal(strip("a=1; xtokenauth=2; tokenauth2=3;"), 0);
    assert_string_equal(stripped, "a=1; xtokenauth=2; tokenauth2=3;");
    assert_int_equal(strip(""), 0);
    assert_string_equal(stripped, "");
}

/* What is left is never read as our cookie again. */
static void test_strip_result_holds_no_token(void **state)
{
    const char *val;
    size_t vlen;

    (void)state;
    strip("a=1, tokenauth=z; b=2");
    assert_string_equal(stripped, "a=1, b=2");
    assert_int_equal(ta_cred_cookie(stripped, "tokenauth", &val, &vlen), TA_CRED_NONE);
}

/* --- bearer ----------------------------------------------------------------------------- */

static void test_bearer_token_found(void **state)
{
    (void)state;
    assert_int_equal(bearer("Bearer abc.def.ghi"), TA_CRED_ONE);
    assert_string_equal(found, "abc.def.ghi");
}

static void test_bearer_scheme_is_case_insensitive(void **state)
{
    (void)state;
    assert_int_equal(bearer("bearer x"), TA_CRED_ONE);
    assert_string_equal(found, "x");
    assert_int_equal(bearer("BEARER x"), TA_CRED_ONE);
    assert_int_equal(bearer("bEaReR x"), TA_CRED_ONE);
}

static void test_bearer_extra_blanks_are_trimmed(void **state)
{
    (void)state;
    assert_int_equal(bearer("  Bearer    x  "), TA_CRED_ONE);
    assert_string_equal(found, "x");
    assert_int_equal(bearer("Bearer\tx"), TA_CRED_ONE);
    assert_string_equal(found, "x");
}

static void test_bearer_other_scheme_is_none(void **state)
{
    (void)state;
    assert_int_equal(bearer("Basic YWxpY2U6c2VjcmV0"), TA_CRED_NONE);
    assert_int_equal(bearer("Digest username=\"a\""), TA_CRED_NONE);
    assert_int_equal(bearer("Bearerx y"), TA_CRED_NONE);
    assert_int_equal(bearer("Bearer"), TA_CRED_NONE);
    assert_int_equal(bearer(""), TA_CRED_NONE);
}

static void test_bearer_absent_is_none(void **state)
{
    const char *val;
    size_t vlen;

    (void)state;
    assert_int_equal(ta_cred_bearer(NULL, &val, &vlen), TA_CRED_NONE);
}

/* Two Authorization headers merged: "Bearer a, Bearer b". */
static void test_bearer_repeated_header_refused(void **state)
{
    (void)state;
    assert_int_equal(bearer("Bearer a, Bearer b"), TA_CRED_REPEATED);
    assert_int_equal(bearer("Bearer a, Bearer a"), TA_CRED_REPEATED);
    assert_int_equal(bearer("Bearer a,b"), TA_CRED_REPEATED);
}

static void test_bearer_two_credentials_in_one_header_refused(void **state)
{
    (void)state;
    assert_int_equal(bearer("Bearer a b"), TA_CRED_REPEATED);
    assert_int_equal(bearer("Bearer a\tb"), TA_CRED_REPEATED);
}

/* --- redaction -------------------------------------------------------------------------- */

static void test_redact_replaces_token_value(void **state)
{
    (void)state;
    assert_int_equal(redact("token=abc.def.ghi", "token"), 1);
    assert_string_equal(found, "token=REDACTED");
}

static void test_redact_keeps_other_parameters_byte_for_byte(void **state)
{
    (void)state;
    assert_int_equal(redact("a=1&token=abc&b=%20x+y&&c&d==e&xtoken=1&token2=2&", "token"), 1);
    assert_string_equal(found, "a=1&token=REDACTED&b=%20x+y&&c&d==e&xtoken=1&token2=2&");
}

static void test_redact_replaces_every_occurrence(void **state)
{
    (void)state;
    assert_int_equal(redact("token=a&x=1&token=b&token=", "token"), 3);
    assert_string_equal(found, "token=REDACTED&x=1&token=REDACTED&token=REDACTED");
}

static void test_redact_leaves_token_without_equals_alone(void **state)
{
    (void)state;
    assert_int_equal(redact("token", "token"), 0);
    assert_string_equal(found, "token");
    assert_int_equal(redact("a=1&token&token=x", "token"), 1);
    assert_string_equal(found, "a=1&token&token=REDACTED");
}

static void test_redact_empty_query_stays_empty(void **state)
{
    (void)state;
    assert_int_equal(redact("", "token"), 0);
    assert_string_equal(found, "");
}

static void test_redact_query_without_token_unchanged(void **state)
{
    (void)state;
    assert_int_equal(redact("a=1&b=2", "token"), 0);
    assert_string_equal(found, "a=1&b=2");
}

/* The worst case for the buffer: many empty token values, each growing by "REDACTED". */
static void test_redact_fits_announced_buffer_for_many_empty_tokens(void **state)
{
    (void)state;
    assert_int_equal(redact("token=&token=&token=&token=", "token"), 4);
    assert_string_equal(found, "token=REDACTED&token=REDACTED&token=REDACTED&token=REDACTED");
}

/* Repeated Authorization headers arrive merged; a Bearer in the list refuses the request
 * whichever credential comes first. */
static void test_bearer_after_another_scheme_in_merged_headers_is_repeated(void **state)
{
    (void)state;
    assert_int_equal(bearer("Basic dXNlcjpwdw==, Bearer abc.def.ghi"), TA_CRED_REPEATED);
    assert_int_equal(bearer("Bearer abc.def.ghi, Basic dXNlcjpwdw=="), TA_CRED_REPEATED);
}

static void test_other_scheme_list_without_bearer_is_none(void **state)
{
    (void)state;
    assert_int_equal(bearer("Basic dXNlcjpwdw==, Basic eDp5"), TA_CRED_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearer_after_another_scheme_in_merged_headers_is_repeated),
        cmocka_unit_test(test_other_scheme_list_without_bearer_is_none),
        cmocka_unit_test(test_strip_removes_our_cookie_and_keeps_others_byte_for_byte),
        cmocka_unit_test(test_strip_removes_every_copy_and_every_name),
        cmocka_unit_test(test_strip_leaves_other_headers_untouched),
        cmocka_unit_test(test_strip_result_holds_no_token),
        cmocka_unit_test(test_query_token_found_among_other_parameters),
        cmocka_unit_test(test_query_token_found_first_and_last),
        cmocka_unit_test(test_query_without_token_is_none),
        cmocka_unit_test(test_query_absent_is_none),
        cmocka_unit_test(test_query_repeated_token_refused),
        cmocka_unit_test(test_query_name_prefix_or_suffix_does_not_match),
        cmocka_unit_test(test_query_empty_value_is_one_empty_token),
        cmocka_unit_test(test_query_value_keeps_everything_after_first_equals),
        cmocka_unit_test(test_query_uses_configured_name),
        cmocka_unit_test(test_cookie_found_among_others),
        cmocka_unit_test(test_cookie_spaces_around_items_are_trimmed),
        cmocka_unit_test(test_cookie_absent_is_none),
        cmocka_unit_test(test_cookie_name_prefix_or_suffix_does_not_match),
        cmocka_unit_test(test_cookie_repeated_refused),
        cmocka_unit_test(test_cookie_repeated_across_merged_headers_refused),
        cmocka_unit_test(test_cookie_in_second_merged_header_found),
        cmocka_unit_test(test_cookie_empty_value_is_one_empty_token),
        cmocka_unit_test(test_bearer_token_found),
        cmocka_unit_test(test_bearer_scheme_is_case_insensitive),
        cmocka_unit_test(test_bearer_extra_blanks_are_trimmed),
        cmocka_unit_test(test_bearer_other_scheme_is_none),
        cmocka_unit_test(test_bearer_absent_is_none),
        cmocka_unit_test(test_bearer_repeated_header_refused),
        cmocka_unit_test(test_bearer_two_credentials_in_one_header_refused),
        cmocka_unit_test(test_redact_replaces_token_value),
        cmocka_unit_test(test_redact_keeps_other_parameters_byte_for_byte),
        cmocka_unit_test(test_redact_replaces_every_occurrence),
        cmocka_unit_test(test_redact_leaves_token_without_equals_alone),
        cmocka_unit_test(test_redact_empty_query_stays_empty),
        cmocka_unit_test(test_redact_query_without_token_unchanged),
        cmocka_unit_test(test_redact_fits_announced_buffer_for_many_empty_tokens),
    };

    return cmocka_run_group_tests_name("credential", tests, NULL, NULL);
}
