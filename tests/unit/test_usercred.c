/* The helper's user-credential cache: what it answers (through NSS for real, for root and an
 * unknown name), and how long, how much and how safely it remembers (through a counting fake
 * look-up and a fake clock). */
#include "unit.h"

#include "ta_user.h"
#include "ta_usercred.h"

#include <pthread.h>
#include <stdatomic.h>

#define UT_USERS 300 /* more than the cache holds */
#define UT_THREADS 8
#define UT_ROUNDS 3000

static atomic_ulong ut_calls;    /* look-ups that reached the fake "NSS" */
static atomic_llong ut_clock_ms; /* the fake monotonic clock */

static long long ut_clock(void)
{
    return atomic_load(&ut_clock_ms);
}

/* The fake user database: "uN" (N < UT_USERS) is uid 1000+N, gid 100+N, home /home/uN, groups
 * {100+N, 5000+N}; "many" has one group more than the cache keeps; "err" fails like a broken NSS;
 * "clearing" clears the cache while it is being looked up; anything else is unknown. */
static ta_usercred_status ut_lookup(const char *user, ta_usercred *out)
{
    unsigned n;
    char rest;

    atomic_fetch_add(&ut_calls, 1);
    if (strcmp(user, "err") == 0)
        return TA_USERCRED_ERROR;
    if (strcmp(user, "many") == 0 || strcmp(user, "clearing") == 0) {
        if (strcmp(user, "clearing") == 0)
            ta_usercred_clear();
        out->ngroups = strcmp(user, "many") == 0 ? TA_USERCRED_CACHED_GROUPS_MAX + 1 : 1;
        out->groups = calloc(out->ngroups, sizeof(*out->groups));
        if (out->groups == NULL)
            return TA_USERCRED_ERROR;
        out->uid = 2000;
        out->gid = 2000;
        strcpy(out->home, "/home/special");
        return TA_USERCRED_OK;
    }
    if (sscanf(user, "u%u%c", &n, &rest) != 1 || n >= UT_USERS)
        return TA_USERCRED_UNKNOWN;
    out->groups = malloc(2 * sizeof(*out->groups));
    if (out->groups == NULL)
        return TA_USERCRED_ERROR;
    out->uid = 1000 + n;
    out->gid = 100 + n;
    out->groups[0] = 100 + n;
    out->groups[1] = 5000 + n;
    out->ngroups = 2;
    snprintf(out->home, sizeof(out->home), "/home/u%u", n);
    return TA_USERCRED_OK;
}

static int ut_fake_setup(void **state)
{
    (void)state;
    atomic_store(&ut_calls, 0);
    atomic_store(&ut_clock_ms, 1000000);
    ta_usercred_set_lookup_for_tests(ut_lookup);
    ta_usercred_set_clock_for_tests(ut_clock);
    return 0;
}

static int ut_nss_setup(void **state)
{
    (void)state;
    ta_usercred_set_lookup_for_tests(NULL);
    ta_usercred_set_clock_for_tests(NULL);
    return 0;
}

static int ut_teardown(void **state)
{
    (void)state;
    ta_usercred_set_lookup_for_tests(NULL);
    ta_usercred_set_clock_for_tests(NULL); /* and cleared: nothing left for valgrind */
    return 0;
}

/* 1 when c is what the fake database says of "uN". */
static int ut_is_user(const ta_usercred *c, unsigned n)
{
    char home[32];

    snprintf(home, sizeof(home), "/home/u%u", n);
    return c->uid == 1000 + n && c->gid == 100 + n && strcmp(c->home, home) == 0 &&
           c->ngroups == 2 && c->groups != NULL && c->groups[0] == 100 + n &&
           c->groups[1] == 5000 + n;
}

/* Get "uN" and check it; the number of look-ups that reached the fake NSS meanwhile. */
static unsigned long ut_get_user(unsigned n)
{
    char name[16];
    ta_usercred c;
    unsigned long before = atomic_load(&ut_calls);

    snprintf(name, sizeof(name), "u%u", n);
    assert_int_equal(ta_usercred_get(name, &c), TA_USERCRED_OK);
    assert_true(ut_is_user(&c, n));
    ta_usercred_free(&c);
    return atomic_load(&ut_calls) - before;
}

static unsigned long ut_get_status(const char *name, ta_usercred_status want)
{
    ta_usercred c;
    unsigned long before = atomic_load(&ut_calls);

    assert_int_equal(ta_usercred_get(name, &c), want);
    ta_usercred_free(&c);
    return atomic_load(&ut_calls) - before;
}

static void test_usercred_root_exists_with_uid_0_and_home_root(void **state)
{
    ta_usercred c;
    int has_gid0 = 0;

    (void)state;
    assert_int_equal(ta_usercred_get("root", &c), TA_USERCRED_OK);
    assert_int_equal(c.uid, 0);
    assert_int_equal(c.gid, 0);
    assert_string_equal(c.home, "/root");
    assert_true(c.ngroups >= 1);
    for (size_t i = 0; i < c.ngroups; i++)
        has_gid0 |= c.groups[i] == 0;
    assert_true(has_gid0); /* getgrouplist includes the primary group */
    ta_usercred_free(&c);
    assert_null(c.groups);
    assert_int_equal(c.ngroups, 0);
}

static void test_usercred_unknown_name_is_unknown(void **state)
{
    ta_usercred c;

    (void)state;
    assert_int_equal(ta_usercred_get("ta-no-such-user-q7z", &c), TA_USERCRED_UNKNOWN);
    assert_null(c.groups);
    assert_int_equal(c.ngroups, 0);
    assert_string_equal(c.home, "");
    ta_usercred_free(&c);
}

static void test_usercred_second_lookup_within_ttl_does_not_ask_nss(void **state)
{
    (void)state;
    assert_int_equal(ut_get_user(7), 1);
    atomic_fetch_add(&ut_clock_ms, TA_USERCRED_TTL_MS - 1);
    assert_int_equal(ut_get_user(7), 0);
}

static void test_usercred_unknown_name_is_remembered_for_the_ttl_too(void **state)
{
    (void)state;
    assert_int_equal(ut_get_status("nobody-here", TA_USERCRED_UNKNOWN), 1);
    assert_int_equal(ut_get_status("nobody-here", TA_USERCRED_UNKNOWN), 0);
    atomic_fetch_add(&ut_clock_ms, TA_USERCRED_TTL_MS);
    assert_int_equal(ut_get_status("nobody-here", TA_USERCRED_UNKNOWN), 1);
}

static void test_usercred_looked_up_again_once_the_ttl_is_over(void **state)
{
    (void)state;
    assert_int_equal(ut_get_user(7), 1);
    atomic_fetch_add(&ut_clock_ms, TA_USERCRED_TTL_MS);
    assert_int_equal(ut_get_user(7), 1);
    assert_int_equal(ut_get_user(7), 0); /* and remembered afresh */
}

static void test_usercred_nss_failure_is_not_remembered(void **state)
{
    (void)state;
    assert_int_equal(ut_get_status("err", TA_USERCRED_ERROR), 1);
    assert_int_equal(ut_get_status("err", TA_USERCRED_ERROR), 1);
}

static void test_usercred_names_are_compared_byte_for_byte(void **state)
{
    (void)state;
    assert_int_equal(ut_get_user(7), 1);
    assert_int_equal(ut_get_status("U7", TA_USERCRED_UNKNOWN), 1);
    assert_int_equal(ut_get_status("u7 ", TA_USERCRED_UNKNOWN), 1);
    assert_int_equal(ut_get_status("u", TA_USERCRED_UNKNOWN), 1);
    assert_int_equal(ut_get_user(7), 0);
}

static void test_usercred_callers_get_copies(void **state)
{
    ta_usercred c;

    (void)state;
    assert_int_equal(ta_usercred_get("u3", &c), TA_USERCRED_OK);
    c.groups[0] = 0; /* scribbling on a copy changes nothing in the cache */
    strcpy(c.home, "/");
    ta_usercred_free(&c);
    assert_int_equal(ut_get_user(3), 0);
}

static void test_usercred_least_recently_used_entry_makes_room(void **state)
{
    (void)state;
    for (unsigned n = 0; n < TA_USERCRED_CACHE_MAX; n++)
        assert_int_equal(ut_get_user(n), 1);
    for (unsigned n = 0; n < TA_USERCRED_CACHE_MAX; n++)
        assert_int_equal(ut_get_user(n), 0); /* all held */
    assert_int_equal(ut_get_user(0), 0);     /* u1 is now the least recently used */
    assert_int_equal(ut_get_user(TA_USERCRED_CACHE_MAX), 1);
    assert_int_equal(ut_get_user(0), 0);
    assert_int_equal(ut_get_user(2), 0);
    assert_int_equal(ut_get_user(1), 1); /* evicted */
    assert_int_equal(ut_get_user(TA_USERCRED_CACHE_MAX), 0);
}

static void test_usercred_user_of_very_many_groups_is_answered_not_remembered(void **state)
{
    ta_usercred c;

    (void)state;
    for (int i = 0; i < 2; i++) {
        unsigned long before = atomic_load(&ut_calls);

        assert_int_equal(ta_usercred_get("many", &c), TA_USERCRED_OK);
        assert_int_equal(c.ngroups, TA_USERCRED_CACHED_GROUPS_MAX + 1);
        assert_int_equal(atomic_load(&ut_calls) - before, 1);
        ta_usercred_free(&c);
    }
}

static void test_usercred_name_longer_than_a_user_name_is_never_remembered(void **state)
{
    char name[TA_USER_NAME_MAX + 2];

    (void)state;
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(ut_get_status(name, TA_USERCRED_UNKNOWN), 1);
    assert_int_equal(ut_get_status(name, TA_USERCRED_UNKNOWN), 1);
}

static void test_usercred_clear_forgets_even_an_answer_in_flight(void **state)
{
    (void)state;
    assert_int_equal(ut_get_user(5), 1);
    assert_int_equal(ut_get_status("clearing", TA_USERCRED_OK), 1); /* clears as it looks up */
    assert_int_equal(ut_get_status("clearing", TA_USERCRED_OK), 1); /* its answer was dropped */
    assert_int_equal(ut_get_user(5), 1);
    ta_usercred_clear();
    assert_int_equal(ut_get_user(5), 1);
}

/* One thread of the concurrency test: names spread over more than the cache holds (so it evicts all
 * along), the clock moving (so entries expire), now and then a clear. Returns the number of wrong
 * answers (cmocka's asserts are for the main thread only). */
static void *ut_worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg, wrong = 0;

    for (unsigned i = 0; i < UT_ROUNDS; i++) {
        unsigned n = (i * 7 + id * 31) % UT_USERS;
        char name[16];
        ta_usercred c;

        snprintf(name, sizeof(name), "u%u", n);
        if (ta_usercred_get(name, &c) != TA_USERCRED_OK || !ut_is_user(&c, n))
            wrong++;
        ta_usercred_free(&c);
        if (ta_usercred_get("ghost", &c) != TA_USERCRED_UNKNOWN || c.groups != NULL)
            wrong++;
        if (id == 0)
            atomic_fetch_add(&ut_clock_ms, 1);
        if (id == 1 && i % 500 == 0)
            ta_usercred_clear();
    }
    return (void *)(uintptr_t)wrong;
}

static void test_usercred_concurrent_use_is_safe(void **state)
{
    pthread_t t[UT_THREADS];

    (void)state;
    for (unsigned i = 0; i < UT_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, ut_worker, (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < UT_THREADS; i++) {
        void *wrong = NULL;

        assert_int_equal(pthread_join(t[i], &wrong), 0);
        assert_int_equal((uintptr_t)wrong, 0);
    }
    /* the cache did its work: far fewer look-ups than requests */
    assert_true(atomic_load(&ut_calls) < UT_THREADS * UT_ROUNDS);
}

static void test_usercred_every_status_has_a_log_name(void **state)
{
    (void)state;
    assert_string_equal(ta_usercred_status_name(TA_USERCRED_OK), "ok");
    assert_string_equal(ta_usercred_status_name(TA_USERCRED_UNKNOWN), "unknown");
    assert_string_equal(ta_usercred_status_name(TA_USERCRED_ERROR), "error");
}

#define UT_NSS(t) cmocka_unit_test_setup_teardown(t, ut_nss_setup, ut_teardown)
#define UT_FAKE(t) cmocka_unit_test_setup_teardown(t, ut_fake_setup, ut_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        UT_NSS(test_usercred_root_exists_with_uid_0_and_home_root),
        UT_NSS(test_usercred_unknown_name_is_unknown),
        UT_FAKE(test_usercred_second_lookup_within_ttl_does_not_ask_nss),
        UT_FAKE(test_usercred_unknown_name_is_remembered_for_the_ttl_too),
        UT_FAKE(test_usercred_looked_up_again_once_the_ttl_is_over),
        UT_FAKE(test_usercred_nss_failure_is_not_remembered),
        UT_FAKE(test_usercred_names_are_compared_byte_for_byte),
        UT_FAKE(test_usercred_callers_get_copies),
        UT_FAKE(test_usercred_least_recently_used_entry_makes_room),
        UT_FAKE(test_usercred_user_of_very_many_groups_is_answered_not_remembered),
        UT_FAKE(test_usercred_name_longer_than_a_user_name_is_never_remembered),
        UT_FAKE(test_usercred_clear_forgets_even_an_answer_in_flight),
        UT_FAKE(test_usercred_concurrent_use_is_safe),
        UT_FAKE(test_usercred_every_status_has_a_log_name),
    };

    return cmocka_run_group_tests_name("usercred", tests, NULL, NULL);
}
