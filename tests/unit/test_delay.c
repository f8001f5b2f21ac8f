/* Unit tests for the failure delay of a login (src/helper/ta_delay.c): one draw from libpam's
 * distribution for a 2 s request, the mean of three uniform variates scaled to 1..3 s, whatever
 * refused the login. The distribution is checked over many draws from a deterministic source,
 * so these numbers are the same on every run: its range, its mean and spread, and its shape
 * (a bell, not the flat 1-3 s the helper used to draw for refused accounts, whose fastest
 * tenth answered measurably sooner than a wrong password's). */
#include "unit.h"
#include "ta_delay.h"

#include <time.h>

#define UT_DRAWS 200000
#define UT_BASE TA_DELAY_BASE_US

/* A deterministic source of 32-bit words (splitmix64), seeded by the test. */
static int ut_rand(void *arg, uint32_t *out)
{
    uint64_t *s = arg, z;

    z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    *out = (uint32_t)((z ^ (z >> 31)) >> 32);
    return 0;
}

static double ut_abs(double x)
{
    return x < 0 ? -x : x;
}

/* A source that always gives the same word. */
static int ut_constant(void *arg, uint32_t *out)
{
    *out = *(const uint32_t *)arg;
    return 0;
}

/* A source with nothing to give after *arg words. */
static int ut_failing(void *arg, uint32_t *out)
{
    unsigned *left = arg;

    if (*left == 0)
        return -1;
    (*left)--;
    *out = 0;
    return 0;
}

typedef struct {
    double mean, var, min, max;
    double middle_third; /* share of draws within base * [5/6, 7/6) */
    double below[10];    /* share of draws below base * (1/2 + i/10), i = 0..9 */
} ut_stats;

static ut_stats ut_sample(uint64_t seed, uint64_t base)
{
    ut_stats st = {0, 0, 1e30, 0, 0, {0}};
    double sum = 0, sq = 0;

    for (int i = 0; i < UT_DRAWS; i++) {
        double d = (double)ta_delay_draw_us(base, ut_rand, &seed);

        sum += d;
        sq += d * d;
        st.min = d < st.min ? d : st.min;
        st.max = d > st.max ? d : st.max;
        st.middle_third += d >= base * 5.0 / 6 && d < base * 7.0 / 6;
        for (int k = 0; k < 10; k++)
            st.below[k] += d < base * (0.5 + k / 10.0);
    }
    st.mean = sum / UT_DRAWS;
    st.var = sq / UT_DRAWS - st.mean * st.mean;
    st.middle_third /= UT_DRAWS;
    for (int k = 0; k < 10; k++)
        st.below[k] /= UT_DRAWS;
    return st;
}

/* Every draw lies in [base/2, 3*base/2): 1 s to 3 s for pam_unix's 2 s. */
static void test_delay_draws_lie_between_half_and_one_and_a_half_base(void **state)
{
    ut_stats st = ut_sample(1, UT_BASE);

    (void)state;
    assert_true(st.min >= UT_BASE / 2);
    assert_true(st.max < UT_BASE * 3 / 2);
    /* and the range is used: over this many draws, both ends are approached */
    assert_true(st.min < UT_BASE / 2 + UT_BASE / 20);
    assert_true(st.max > UT_BASE * 3 / 2 - UT_BASE / 20);
}

/* The extremes of the source give the extremes of the range, exactly. */
static void test_delay_extreme_sources_give_the_ends_of_the_range(void **state)
{
    uint32_t zero = 0, ones = UINT32_MAX;

    (void)state;
    assert_int_equal(ta_delay_draw_us(UT_BASE, ut_constant, &zero), UT_BASE / 2);
    assert_true(ta_delay_draw_us(UT_BASE, ut_constant, &ones) < UT_BASE * 3 / 2);
    assert_true(ta_delay_draw_us(UT_BASE, ut_constant, &ones) >= UT_BASE * 3 / 2 - 1);
}

/* Mean base and standard deviation base/6 (variance base^2/36), as for the mean of three
 * uniform variates; the same for other seeds. */
static void test_delay_mean_is_the_base_and_spread_a_sixth_of_it(void **state)
{
    static const uint64_t seeds[] = {1, 42, 0xdeadbeef};
    const double var = (double)UT_BASE * UT_BASE / 36;

    (void)state;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        ut_stats st = ut_sample(seeds[i], UT_BASE);

        if (ut_abs(st.mean - UT_BASE) > UT_BASE * 0.005 || ut_abs(st.var - var) > var * 0.04)
            fail_msg("seed %llu: mean %.0f us, variance %.0f us^2 (expected %.0f)",
                     (unsigned long long)seeds[i], st.mean, st.var, var);
    }
}

/* A bell, not a flat line: two thirds of the draws lie in the middle third of the range (a
 * flat draw puts one third there), and the tails are thin, as the Irwin-Hall distribution
 * says (P(S < t) = t^3/6 for the sum S of three uniform variates and t <= 1). */
static void test_delay_is_bell_shaped_like_libpams(void **state)
{
    ut_stats st = ut_sample(7, UT_BASE);

    (void)state;
    assert_true(ut_abs(st.middle_third - 2.0 / 3) < 0.01);
    for (int k = 1; k <= 3; k++) {
        double t = 3.0 * k / 10, want = t * t * t / 6;

        if (ut_abs(st.below[k] - want) > 0.005)
            fail_msg("below base*(0.5+%d/10): %.4f, expected %.4f", k, st.below[k], want);
    }
    /* the flat 1-3 s draw put a tenth of its draws under 1.2 s; this one about 0.45 % */
    assert_true(st.below[1] < 0.01);
}

/* Other bases scale the same way; a base above the maximum is clamped to it; none is none. */
static void test_delay_scales_with_the_base_and_clamps_it(void **state)
{
    uint32_t ones = UINT32_MAX;
    ut_stats st = ut_sample(3, 3000000);

    (void)state;
    assert_true(st.min >= 1500000 && st.max < 4500000);
    assert_true(ut_abs(st.mean - 3000000) < 3000000 * 0.005);
    assert_true(ta_delay_draw_us(UINT64_MAX, ut_constant, &ones) < TA_DELAY_BASE_MAX_US * 3 / 2);
    assert_true(ta_delay_draw_us(UINT64_MAX, ut_constant, &ones) >
                TA_DELAY_BASE_MAX_US * 3 / 2 - 2);
    assert_int_equal(ta_delay_draw_us(0, ut_constant, &ones), 0);
}

/* A source that fails (at the first, second or third word), or none at all, gives the longest
 * delay: a broken random source must never make a refusal quicker. */
static void test_delay_failing_source_gives_the_longest_delay(void **state)
{
    (void)state;
    for (unsigned n = 0; n < 3; n++) {
        unsigned left = n;

        assert_int_equal(ta_delay_draw_us(UT_BASE, ut_failing, &left), UT_BASE * 3 / 2);
    }
    assert_int_equal(ta_delay_draw_us(UT_BASE, NULL, NULL), UT_BASE * 3 / 2);
}

/* The helper's own source works and stays in range. */
static void test_delay_openssl_source_draws_in_range(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        uint64_t d = ta_delay_draw_us(UT_BASE, ta_delay_rand_openssl, NULL);

        assert_true(d >= UT_BASE / 2 && d < UT_BASE * 3 / 2);
    }
}

static double ut_seconds_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The wait ends at start + delay, counted from the start of the attempt: time already spent
 * (here 50 ms) is not waited again, and a delay already over is not waited at all. */
static void test_delay_waits_until_start_plus_delay(void **state)
{
    struct timespec t0, spent = {0, 50000000L};
    double s;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nanosleep(&spent, NULL);
    ta_delay_until(&t0, 120000);
    s = ut_seconds_since(&t0);
    assert_true(s >= 0.120 && s < 0.120 + 0.1);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ta_delay_until(&t0, 1999999); /* carries into the seconds */
    s = ut_seconds_since(&t0);
    assert_true(s >= 1.999 && s < 2.1);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    t0.tv_sec -= 10;
    ta_delay_until(&t0, 2000000);
    assert_true(ut_seconds_since(&t0) < 10.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_draws_lie_between_half_and_one_and_a_half_base),
        cmocka_unit_test(test_delay_extreme_sources_give_the_ends_of_the_range),
        cmocka_unit_test(test_delay_mean_is_the_base_and_spread_a_sixth_of_it),
        cmocka_unit_test(test_delay_is_bell_shaped_like_libpams),
        cmocka_unit_test(test_delay_scales_with_the_base_and_clamps_it),
        cmocka_unit_test(test_delay_failing_source_gives_the_longest_delay),
        cmocka_unit_test(test_delay_openssl_source_draws_in_range),
        cmocka_unit_test(test_delay_waits_until_start_plus_delay),
    };

    return cmocka_run_group_tests_name("delay", tests, NULL, NULL);
}
