/* Unit tests for the helper's own failed-login count (src/helper/ta_hthrottle.c, issue 9): the
 * TokenAuthLoginThrottle numbers, kept per PAM service and account in the helper's memory, so
 * that a process that reaches the helper without going through HTTP cannot guess faster than an
 * HTTP client.
 *
 * The table is one per process and cannot be emptied, so every test runs in an epoch of its
 * own (UT_EPOCH apart, far longer than any window or lockout used here): whatever an earlier
 * test left has expired by then, as it would have in a real helper. */
#include "unit.h"
#include "ta_hthrottle.h"
#include "ta_proto.h"

#include <pthread.h>

#define UT_EPOCH 100000000LL
#define UT_FLOOD (3 * TA_HTHROTTLE_SLOTS) /* more names than the table holds */

static long long ut_epoch(int n)
{
    return UT_NOW + (long long)n * UT_EPOCH;
}

static void ut_fail_times(const char *service, const char *user, const ta_throttle_policy *p,
                          long long now, int times)
{
    for (int i = 0; i < times; i++)
        ta_hthrottle_fail(service, user, p, now);
}

static void test_hthrottle_unknown_name_waits_nothing(void **state)
{
    long long t = ut_epoch(1);

    (void)state;
    assert_int_equal(ta_hthrottle_wait("svc", "nobody-failed", t), 0);
    assert_int_equal(ta_hthrottle_wait("tokenauth", "", t), 0);
}

/* limit failures within the window lock the name for lockout seconds; one fewer does not. */
static void test_hthrottle_locks_at_the_limit_for_the_lockout(void **state)
{
    const ta_throttle_policy p = {3, 300, 600};
    long long t = ut_epoch(2);

    (void)state;
    ta_hthrottle_fail("svc", "alice", &p, t);
    ta_hthrottle_fail("svc", "alice", &p, t + 1);
    assert_int_equal(ta_hthrottle_wait("svc", "alice", t + 1), 0);
    ta_hthrottle_fail("svc", "alice", &p, t + 2);
    assert_int_equal(ta_hthrottle_wait("svc", "alice", t + 2), 600);
    assert_int_equal(ta_hthrottle_wait("svc", "alice", t + 601), 1);
    assert_int_equal(ta_hthrottle_wait("svc", "alice", t + 602), 0); /* the lock is over */
}

/* Failures further apart than the window do not add up. */
static void test_hthrottle_window_starts_afresh(void **state)
{
    const ta_throttle_policy p = {3, 10, 600};
    long long t = ut_epoch(3);

    (void)state;
    ta_hthrottle_fail("svc", "bob", &p, t);
    ta_hthrottle_fail("svc", "bob", &p, t + 5);
    ta_hthrottle_fail("svc", "bob", &p,
                      t + 10); /* the window of t is over: this one counts alone */
    assert_int_equal(ta_hthrottle_wait("svc", "bob", t + 10), 0);
    ta_hthrottle_fail("svc", "bob", &p, t + 11);
    assert_int_equal(ta_hthrottle_wait("svc", "bob", t + 11), 0);
    ta_hthrottle_fail("svc", "bob", &p, t + 12);
    assert_int_equal(ta_hthrottle_wait("svc", "bob", t + 12), 600);
}

/* While locked, another failure neither extends the lock nor counts towards the next one; after
 * the lock the count starts from zero. */
static void test_hthrottle_failure_while_locked_changes_nothing(void **state)
{
    const ta_throttle_policy p = {2, 1000, 100};
    long long t = ut_epoch(4);

    (void)state;
    ut_fail_times("svc", "carol", &p, t, 2);
    assert_int_equal(ta_hthrottle_wait("svc", "carol", t), 100);
    ut_fail_times("svc", "carol", &p, t + 50, 5);
    assert_int_equal(ta_hthrottle_wait("svc", "carol", t + 50), 50);
    ta_hthrottle_fail("svc", "carol", &p, t + 100); /* the first failure after the lock */
    assert_int_equal(ta_hthrottle_wait("svc", "carol", t + 100), 0);
    ta_hthrottle_fail("svc", "carol", &p, t + 101);
    assert_int_equal(ta_hthrottle_wait("svc", "carol", t + 101), 100);
}

/* One account's failures are counted for the PAM service that saw them, and for that name only:
 * not per virtual host, which a worker names (it could spread its guesses over all of them). */
static void test_hthrottle_keys_are_per_service_and_name(void **state)
{
    const ta_throttle_policy p = {2, 300, 600};
    long long t = ut_epoch(5);

    (void)state;
    ut_fail_times("other", "dave", &p, t, 2);
    assert_true(ta_hthrottle_wait("other", "dave", t) > 0);
    assert_int_equal(ta_hthrottle_wait("svc", "dave", t), 0);
    assert_int_equal(ta_hthrottle_wait("svc2", "dave", t), 0);
    assert_int_equal(ta_hthrottle_wait("tokenauth", "dave", t), 0);
    assert_int_equal(ta_hthrottle_wait("other", "Dave", t), 0);
    assert_int_equal(ta_hthrottle_wait("other", "dave ", t), 0);
    assert_int_equal(ta_hthrottle_wait("other", "dav", t), 0);
    ut_fail_times("tokenauth", "dave", &p, t, 2);
    assert_true(ta_hthrottle_wait("tokenauth", "dave", t) > 0);
}

/* Any name is a key: long ones, UTF-8, control characters, the empty name. */
static void test_hthrottle_any_name_is_counted(void **state)
{
    static char longest[TA_PROTO_USER_MAX + 1];
    const char *names[] = {"j\xc3\xbcrgen", "a\nb", "", longest, "x:y", "%00"};
    const ta_throttle_policy p = {1, 300, 60};
    long long t = ut_epoch(6);

    (void)state;
    memset(longest, 'n', sizeof(longest) - 1);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(ta_hthrottle_wait("svc", names[i], t), 0);
        ta_hthrottle_fail("svc", names[i], &p, t);
        assert_int_equal(ta_hthrottle_wait("svc", names[i], t), 60);
    }
}

/* A limit of 0 cannot mean "never lock": it counts as 1 (fail closed), as the HTTP side does. */
static void test_hthrottle_limit_zero_locks_at_once(void **state)
{
    const ta_throttle_policy p = {0, 300, 30};
    long long t = ut_epoch(7);

    (void)state;
    ta_hthrottle_fail("svc", "erin", &p, t);
    assert_int_equal(ta_hthrottle_wait("svc", "erin", t), 30);
}

typedef struct {
    const ta_throttle_policy *p;
    long long now;
    int times;
} ut_worker;

static void *ut_fail_thread(void *arg)
{
    const ut_worker *w = arg;

    ut_fail_times("threads", "frank", w->p, w->now, w->times);
    return NULL;
}

/* The helper serves each connection on a thread of its own: failures counted at once from many
 * threads are all counted (with one lost, the limit would not be reached). */
static void test_hthrottle_counts_every_failure_from_many_threads(void **state)
{
    const ta_throttle_policy p = {800, 10000, 60};
    ut_worker w = {&p, ut_epoch(8), 100};
    pthread_t th[8];

    (void)state;
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, ut_fail_thread, &w), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(ta_hthrottle_wait("threads", "frank", w.now), 60);
}

/* A login that succeeds starts the count afresh, as on the HTTP side. */
static void test_hthrottle_success_clears_the_count(void **state)
{
    const ta_throttle_policy p = {3, 300, 600};
    long long t = ut_epoch(12);

    (void)state;
    ut_fail_times("svc", "judy", &p, t, 2);
    ta_hthrottle_clear("svc", "judy", t + 1);
    ut_fail_times("svc", "judy", &p, t + 2, 2);
    assert_int_equal(ta_hthrottle_wait("svc", "judy", t + 2), 0);
    ta_hthrottle_fail("svc", "judy", &p, t + 3);
    assert_int_equal(ta_hthrottle_wait("svc", "judy", t + 3), 600);
    ta_hthrottle_clear("other", "unknown", t); /* a name never counted: nothing to clear */
}

/* ... also the lock that the successful attempt itself set: an attempt is counted before PAM is
 * asked (ta_hthrottle_attempt), so the one that reaches the limit is let through, and when its
 * password was right the account is free again, as on the HTTP side. Clearing one name or
 * service leaves the others. */
static void test_hthrottle_success_lifts_the_lock_its_own_attempt_set(void **state)
{
    const ta_throttle_policy p = {2, 300, 600};
    long long t = ut_epoch(13);

    (void)state;
    ut_fail_times("svc", "ken", &p, t, 2);
    ut_fail_times("other", "ken", &p, t, 1);
    ut_fail_times("svc", "leo", &p, t, 1);
    assert_int_equal(ta_hthrottle_wait("svc", "ken", t + 1), 599);
    ta_hthrottle_clear("svc", "ken", t + 1);
    assert_int_equal(ta_hthrottle_wait("svc", "ken", t + 1), 0);
    ta_hthrottle_clear("svc", "leo", t + 1);
    ta_hthrottle_fail("other", "ken", &p, t + 2); /* the other service's count stays */
    assert_int_equal(ta_hthrottle_wait("other", "ken", t + 2), 600);
}

/* Fail once for UT_FLOOD other names, each its own key. */
static void ut_flood(const char *tag, const ta_throttle_policy *p, long long now)
{
    char name[64];

    for (int i = 0; i < UT_FLOOD; i++) {
        snprintf(name, sizeof(name), "flood-%s-%d", tag, i);
        ta_hthrottle_fail("svc", name, p, now);
    }
}

/* The table is bounded: when it is full, the entry that would have expired first makes room.
 * A lock outlives a flood of names that each failed once (their entries expire sooner). */
static void test_hthrottle_lock_survives_a_flood_of_other_names(void **state)
{
    const ta_throttle_policy lock = {1, 100, 100000}, once = {5, 100, 100};
    long long t = ut_epoch(9);

    (void)state;
    ta_hthrottle_fail("svc", "grace", &lock, t);
    ut_flood("a", &once, t);
    assert_int_equal(ta_hthrottle_wait("svc", "grace", t + 1), 99999);
}

/* ... and a single failure, the entry that expires first, is what a full table gives up: the
 * count of that name starts afresh. New names are still counted in a full table. */
static void test_hthrottle_full_table_evicts_what_expires_first(void **state)
{
    const ta_throttle_policy p = {2, 100, 500}, later = {5, 1000, 100};
    long long t = ut_epoch(10);

    (void)state;
    ta_hthrottle_fail("svc", "heidi", &p, t);
    ut_flood("b", &later, t);
    ta_hthrottle_fail("svc", "heidi", &p, t); /* would be the second: the first was given up */
    assert_int_equal(ta_hthrottle_wait("svc", "heidi", t), 0);
    ta_hthrottle_fail("svc", "heidi", &p, t);
    assert_int_equal(ta_hthrottle_wait("svc", "heidi", t), 500);
}

/* A lock is never pushed out: when every slot a new name could take holds a lock in force, the
 * new name is refused as throttled rather than let a lock be forgotten. */
static void test_hthrottle_table_of_locks_refuses_new_names(void **state)
{
    const ta_throttle_policy lock = {1, 100, 100000};
    long long t = ut_epoch(14);
    char name[64];

    (void)state;
    for (int i = 0; i < UT_FLOOD; i++) {
        snprintf(name, sizeof(name), "lock-%d", i);
        ta_hthrottle_fail("svc", name, &lock, t);
    }
    assert_int_equal(ta_hthrottle_wait("svc", "lock-0", t + 1), 99999); /* the first stays */
    assert_true(ta_hthrottle_wait("svc", "a-new-name", t + 1) > 0);
    assert_true(ta_hthrottle_wait("svc", "lock-24000", t + 1) > 0);
    assert_int_equal(ta_hthrottle_wait("svc", "a-new-name", t + 100001), 0); /* locks end */
}

/* A name that cannot be counted (a service name longer than any PAM service) is not checked
 * either: refused, failing closed. */
static void test_hthrottle_name_that_cannot_be_counted_is_refused(void **state)
{
    char service[300];

    (void)state;
    memset(service, 's', sizeof(service) - 1);
    service[sizeof(service) - 1] = '\0';
    assert_true(ta_hthrottle_wait(service, "alice", ut_epoch(15)) > 0);
}

static int ut_setup(void **state)
{
    (void)state;
    return ta_hthrottle_init(); /* the helper draws its hash key before it serves */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hthrottle_unknown_name_waits_nothing),
        cmocka_unit_test(test_hthrottle_locks_at_the_limit_for_the_lockout),
        cmocka_unit_test(test_hthrottle_window_starts_afresh),
        cmocka_unit_test(test_hthrottle_failure_while_locked_changes_nothing),
        cmocka_unit_test(test_hthrottle_keys_are_per_service_and_name),
        cmocka_unit_test(test_hthrottle_any_name_is_counted),
        cmocka_unit_test(test_hthrottle_limit_zero_locks_at_once),
        cmocka_unit_test(test_hthrottle_counts_every_failure_from_many_threads),
        cmocka_unit_test(test_hthrottle_success_clears_the_count),
        cmocka_unit_test(test_hthrottle_success_lifts_the_lock_its_own_attempt_set),
        cmocka_unit_test(test_hthrottle_lock_survives_a_flood_of_other_names),
        cmocka_unit_test(test_hthrottle_full_table_evicts_what_expires_first),
        cmocka_unit_test(test_hthrottle_table_of_locks_refuses_new_names),
        cmocka_unit_test(test_hthrottle_name_that_cannot_be_counted_is_refused),
    };

    return cmocka_run_group_tests_name("hthrottle", tests, ut_setup, NULL);
}
