/* The login handler's "return" check (SPEC §4): only a path of this site. */
#include "unit.h"

#include "ta_redirect.h"

static void test_return_plain_local_paths_accepted(void **state)
{
    (void)state;
    assert_true(ta_local_path_valid("/"));
    assert_true(ta_local_path_valid("/files/"));
    assert_true(ta_local_path_valid("/files/a.jpg?x=1&y=2"));
    assert_true(ta_local_path_valid("/a:b"));
}

static void test_return_other_sites_refused(void **state)
{
    (void)state;
    assert_false(ta_local_path_valid("//evil.example/"));
    assert_false(ta_local_path_valid("https://evil.example/"));
    assert_false(ta_local_path_valid("javascript:alert(1)"));
    assert_false(ta_local_path_valid("evil.example"));
    assert_false(ta_local_path_valid(""));
}

static void test_return_backslash_refused(void **state)
{
    (void)state;
    assert_false(ta_local_path_valid("/\\evil.example"));
    assert_false(ta_local_path_valid("/a\\b"));
}

static void test_return_control_characters_and_spaces_refused(void **state)
{
    (void)state;
    assert_false(ta_local_path_valid("/a\r\nSet-Cookie: x=1"));
    assert_false(ta_local_path_valid("/a\tb"));
    assert_false(ta_local_path_valid("/a b"));
    assert_false(ta_local_path_valid("/a\x7f"));
}

static void test_return_leading_dot_segments_refused(void **state)
{
    (void)state;
    assert_false(ta_local_path_valid("/../evil"));
    assert_false(ta_local_path_valid("/./"));
    assert_true(ta_local_path_valid("/files/../x")); /* Apache normalises its own paths */
}

/* "/a/..//evil.example" is "//evil.example" to whoever removes its dot-segments (found by
 * fuzz_redirect); a query may still carry "//" (a URL as a parameter). */
static void test_return_double_slash_in_path_refused(void **state)
{
    (void)state;
    assert_false(ta_local_path_valid("/f/..//evil.example"));
    assert_false(ta_local_path_valid("/a//b"));
    assert_true(ta_local_path_valid("/search?u=https://example.org/"));
    assert_true(ta_local_path_valid("/a#//b"));
}

static void test_return_longer_than_2048_bytes_refused(void **state)
{
    char s[2050];

    (void)state;
    memset(s, 'a', sizeof(s) - 1);
    s[0] = '/';
    s[2048] = '\0';
    assert_true(ta_local_path_valid(s));
    s[2048] = 'a';
    s[2049] = '\0';
    assert_false(ta_local_path_valid(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_return_plain_local_paths_accepted),
        cmocka_unit_test(test_return_other_sites_refused),
        cmocka_unit_test(test_return_backslash_refused),
        cmocka_unit_test(test_return_control_characters_and_spaces_refused),
        cmocka_unit_test(test_return_leading_dot_segments_refused),
        cmocka_unit_test(test_return_double_slash_in_path_refused),
        cmocka_unit_test(test_return_longer_than_2048_bytes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
