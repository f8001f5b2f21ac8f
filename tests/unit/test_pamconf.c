/* Whether a PAM service asks for no failure delay (ta_pamconf.h): only an explicit nodelay on
 * an auth line of the service's own file, and no pam_faildelay, turn the delay off; anything
 * unsure leaves it on. */
#include "unit.h"
#include "ta_pamconf.h"

#include <sys/stat.h>

static int text(const char *t)
{
    return ta_pam_text_nodelay(t, strlen(t));
}

static void test_pamconf_nodelay_on_an_auth_line(void **state)
{
    (void)state;
    assert_true(text("auth required pam_unix.so nodelay\naccount required pam_unix.so\n"));
    assert_true(text("-auth\t[success=1 default=ignore]\tpam_unix.so nullok nodelay"));
    assert_true(text("auth requisite pam_succeed_if.so uid >= 1000\n"
                     "auth required pam_unix.so nodelay\n"));
}

/* The stacks that delay: stock pam_unix, pam_faildelay, nodelay elsewhere than an argument. */
static void test_pamconf_delay_stays_on(void **state)
{
    (void)state;
    assert_false(text("auth required pam_unix.so\naccount required pam_unix.so\n"));
    assert_false(text("auth required pam_unix.so nodelay\nauth optional pam_faildelay.so\n"));
    assert_false(text("account required pam_unix.so nodelay\n")); /* not an auth line */
    assert_false(text("# auth required pam_unix.so nodelay\n"));
    assert_false(text("auth required pam_unix.so # nodelay\n"));
    assert_false(text("auth required pam_nodelay.so\n")); /* the module, not an argument */
    assert_false(text("@include common-auth\n"));         /* not followed: delay on */
    assert_false(text("auth [default=die nodelay] pam_unix.so\n"));
    assert_false(text(""));
}

static void test_pamconf_reads_the_service_file(void **state)
{
    char dir[] = "/tmp/ta-pamconf-XXXXXX", path[256];
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/fast", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("auth required pam_unix.so nodelay\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/stock", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("auth required pam_unix.so\n", f);
    fclose(f);
    assert_true(ta_pam_service_nodelay(dir, "fast"));
    assert_false(ta_pam_service_nodelay(dir, "stock"));
    assert_false(ta_pam_service_nodelay(dir, "missing"));
    assert_false(ta_pam_service_nodelay(dir, "../fast"));
    assert_false(ta_pam_service_nodelay(dir, ""));
    snprintf(path, sizeof(path), "%s/fast", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/stock", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pamconf_nodelay_on_an_auth_line),
        cmocka_unit_test(test_pamconf_delay_stays_on),
        cmocka_unit_test(test_pamconf_reads_the_service_file),
    };

    return cmocka_run_group_tests_name("pamconf", tests, NULL, NULL);
}
