/* Unit tests for the login name rule (src/core/ta_user.c): which names may log in and be named
 * by a token, and how a refused name is shown in a log. */
#include "unit.h"
#include "ta_user.h"

static void test_login_name_portable_names_are_valid(void **state)
{
    static const char *const good[] = {
        "alice", "ALICE",  "j.doe", "jdoe_2", "a-b",   "alice@EXAMPLE.ORG",
        "x",     "9lives", "_svc",  ".dot",   "a@b@c", "Z-_.@0"};

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!ta_login_name_valid(good[i]))
            fail_msg("\"%s\" refused", good[i]);
}

static void test_login_name_other_names_are_refused(void **state)
{
    static const char *const bad[] = {
        "",      "-alice",  "j\xc3\xbcrgen", "\xe7\x94\xa8\xe6\x88\xb7",
        "a b",   "a\tb",    "alice\n",       "a+b",
        "host$", "a/b",     "a:b",           "o\"brien",
        "a\\b",  "a~b",     "a\x7f",         "a,b",
        "a'b",   "a*b",     "%61lice",       "a;b",
        "-",     "\xc3\xa1"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ta_login_name_valid(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);
    assert_false(ta_login_name_valid(NULL));
}

/* 64 bytes at most. */
static void test_login_name_is_at_most_64_bytes(void **state)
{
    char name[TA_LOGIN_NAME_MAX + 2];

    (void)state;
    memset(name, 'a', TA_LOGIN_NAME_MAX);
    name[TA_LOGIN_NAME_MAX] = '\0';
    assert_true(ta_login_name_valid(name));
    name[TA_LOGIN_NAME_MAX] = 'a';
    name[TA_LOGIN_NAME_MAX + 1] = '\0';
    assert_false(ta_login_name_valid(name));
}

/* A name that the rule refused is shown quoted, printable ASCII as it is and every other byte
 * as \xNN: a newline cannot start a line of its own, UTF-8 is readable. */
static void test_login_name_escape_shows_every_byte(void **state)
{
    char out[128];

    (void)state;
    assert_int_equal(ta_login_name_escape("j\xc3\xbcrgen", 7, out, sizeof(out)), 15);
    assert_string_equal(out, "\"j\\xc3\\xbcrgen\"");
    ta_login_name_escape("a\nb\x7f", 4, out, sizeof(out));
    assert_string_equal(out, "\"a\\x0ab\\x7f\"");
    ta_login_name_escape("", 0, out, sizeof(out));
    assert_string_equal(out, "\"\"");
    ta_login_name_escape("a\0b", 3, out, sizeof(out)); /* bytes, not a C string */
    assert_string_equal(out, "\"a\\x00b\"");
}

/* Cut to fit, with "..." and the closing quote; never an escape cut in half. */
static void test_login_name_escape_cuts_long_names(void **state)
{
    char name[300], out[24];
    size_t n;

    (void)state;
    memset(name, 'x', sizeof(name));
    n = ta_login_name_escape(name, sizeof(name), out, sizeof(out));
    assert_int_equal(n, strlen(out));
    assert_true(n < sizeof(out));
    assert_string_equal(out + n - 4, "...\"");
    memset(name, 0xff, sizeof(name));
    n = ta_login_name_escape(name, sizeof(name), out, sizeof(out));
    assert_true(n < sizeof(out));
    assert_string_equal(out, "\"\\xff\\xff\\xff\\xff...\"");
    assert_int_equal(ta_login_name_escape("abc", 3, out, 7), 0); /* too small to say anything */
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_name_portable_names_are_valid),
        cmocka_unit_test(test_login_name_other_names_are_refused),
        cmocka_unit_test(test_login_name_is_at_most_64_bytes),
        cmocka_unit_test(test_login_name_escape_shows_every_byte),
        cmocka_unit_test(test_login_name_escape_cuts_long_names),
    };

    return cmocka_run_group_tests_name("user", tests, NULL, NULL);
}
