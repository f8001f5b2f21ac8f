/* TokenAuthLoginThrottle's core (SPEC): the record a cache keeps, the counting, the keys. */
#include "unit.h"

#include "ta_throttle.h"

#define LIMIT 5
#define WINDOW 600
#define LOCKOUT 900
#define USER_KEY_LEN 46 /* "tu:" + 43 characters of base64url */

static const ta_throttle_policy policy = {LIMIT, WINDOW, LOCKOUT};

/* A record after n failures one second apart, the first at start. */
static ta_throttle_rec rec_after(unsigned n, long long start)
{
    ta_throttle_rec rec = {0, 0, 0};

    for (unsigned i = 0; i < n; i++)
        ta_throttle_fail(&rec, &policy, start + i);
    return rec;
}

/* A record built from raw bytes: version, failures, window_start, locked_until. */
static void raw_rec(unsigned char out[TA_THROTTLE_REC_LEN], unsigned char version,
                    uint32_t failures, uint64_t window_start, uint64_t locked_until)
{
    out[0] = version;
    for (int i = 0; i < 4; i++)
        out[1 + i] = (unsigned char)(failures >> (24 - 8 * i));
    for (int i = 0; i < 8; i++) {
        out[5 + i] = (unsigned char)(window_start >> (56 - 8 * i));
        out[13 + i] = (unsigned char)(locked_until >> (56 - 8 * i));
    }
}

static void assert_decode_refused(const unsigned char *buf, size_t len)
{
    ta_throttle_rec rec = {7, 7, 7};

    assert_int_equal(ta_throttle_decode(buf, len, &rec), -1);
    assert_int_equal(rec.failures, 0);
    assert_int_equal(rec.window_start, 0);
    assert_int_equal(rec.locked_until, 0);
}

static void test_record_round_trips(void **state)
{
    ta_throttle_rec in = {3, UT_NOW, UT_NOW + LOCKOUT}, out;
    unsigned char buf[TA_THROTTLE_REC_LEN];

    (void)state;
    ta_throttle_encode(&in, buf);
    assert_int_equal(ta_throttle_decode(buf, sizeof(buf), &out), 0);
    assert_int_equal(out.failures, in.failures);
    assert_int_equal(out.window_start, in.window_start);
    assert_int_equal(out.locked_until, in.locked_until);
}

static void test_record_is_version_then_big_endian_fields(void **state)
{
    ta_throttle_rec rec = {0x0102, 0x0011223344556677LL, 0x0010203040506070LL};
    unsigned char buf[TA_THROTTLE_REC_LEN], want[TA_THROTTLE_REC_LEN];

    (void)state;
    raw_rec(want, 1, 0x0102, 0x0011223344556677ULL, 0x0010203040506070ULL);
    ta_throttle_encode(&rec, buf);
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_decode_accepts_bounds(void **state)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];
    ta_throttle_rec rec;

    (void)state;
    raw_rec(buf, 1, TA_THROTTLE_LIMIT_MAX, TA_THROTTLE_TIME_MAX, TA_THROTTLE_TIME_MAX);
    assert_int_equal(ta_throttle_decode(buf, sizeof(buf), &rec), 0);
    assert_int_equal(rec.failures, TA_THROTTLE_LIMIT_MAX);
    assert_int_equal(rec.window_start, TA_THROTTLE_TIME_MAX);
    assert_int_equal(rec.locked_until, TA_THROTTLE_TIME_MAX);
}

static void test_decode_refuses_wrong_length(void **state)
{
    unsigned char buf[TA_THROTTLE_REC_LEN + 1] = {0};

    (void)state;
    raw_rec(buf, 1, 1, UT_NOW, 0);
    assert_decode_refused(buf, TA_THROTTLE_REC_LEN - 1);
    assert_decode_refused(buf, TA_THROTTLE_REC_LEN + 1);
    assert_decode_refused(buf, 0);
    assert_decode_refused(NULL, TA_THROTTLE_REC_LEN);
}

static void test_decode_refuses_wrong_version(void **state)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];

    (void)state;
    raw_rec(buf, 0, 1, UT_NOW, 0);
    assert_decode_refused(buf, sizeof(buf));
    raw_rec(buf, 2, 1, UT_NOW, 0);
    assert_decode_refused(buf, sizeof(buf));
}

static void test_decode_refuses_negative_times(void **state)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];

    (void)state;
    raw_rec(buf, 1, 1, (uint64_t)-1LL, 0);
    assert_decode_refused(buf, sizeof(buf));
    raw_rec(buf, 1, 1, UT_NOW, (uint64_t)INT64_MIN);
    assert_decode_refused(buf, sizeof(buf));
}

static void test_decode_refuses_times_beyond_2_53(void **state)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];

    (void)state;
    raw_rec(buf, 1, 1, TA_THROTTLE_TIME_MAX + 1, 0);
    assert_decode_refused(buf, sizeof(buf));
    raw_rec(buf, 1, 1, UT_NOW, TA_THROTTLE_TIME_MAX + 1);
    assert_decode_refused(buf, sizeof(buf));
    raw_rec(buf, 1, 1, UT_NOW, INT64_MAX);
    assert_decode_refused(buf, sizeof(buf));
}

static void test_decode_refuses_failures_above_cap(void **state)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];

    (void)state;
    raw_rec(buf, 1, TA_THROTTLE_LIMIT_MAX + 1, UT_NOW, 0);
    assert_decode_refused(buf, sizeof(buf));
    raw_rec(buf, 1, UINT32_MAX, UT_NOW, 0);
    assert_decode_refused(buf, sizeof(buf));
}

static void test_encode_clamps_fields_so_the_record_decodes(void **state)
{
    ta_throttle_rec in = {UINT32_MAX, -5, INT64_MAX}, out;
    unsigned char buf[TA_THROTTLE_REC_LEN];

    (void)state;
    ta_throttle_encode(&in, buf);
    assert_int_equal(ta_throttle_decode(buf, sizeof(buf), &out), 0);
    assert_int_equal(out.failures, TA_THROTTLE_LIMIT_MAX);
    assert_int_equal(out.window_start, 0);
    assert_int_equal(out.locked_until, TA_THROTTLE_TIME_MAX);
}

static void test_wait_zero_when_unlocked(void **state)
{
    ta_throttle_rec rec = {LIMIT - 1, UT_NOW, 0};

    (void)state;
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW), 0);
}

static void test_wait_is_locked_until_minus_now(void **state)
{
    ta_throttle_rec rec = {0, UT_NOW, UT_NOW + LOCKOUT};

    (void)state;
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW), LOCKOUT);
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW + 100), LOCKOUT - 100);
}

static void test_wait_one_at_last_second(void **state)
{
    ta_throttle_rec rec = {0, UT_NOW, UT_NOW + LOCKOUT};

    (void)state;
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW + LOCKOUT - 1), 1);
}

static void test_wait_zero_once_lockout_passed(void **state)
{
    ta_throttle_rec rec = {0, UT_NOW, UT_NOW + LOCKOUT};

    (void)state;
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW + LOCKOUT), 0);
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW + LOCKOUT + 1), 0);
}

static void test_wait_survives_extreme_now(void **state)
{
    ta_throttle_rec rec = {0, UT_NOW, TA_THROTTLE_TIME_MAX};

    (void)state;
    assert_int_equal(ta_throttle_wait(&rec, INT64_MIN), TA_THROTTLE_TIME_MAX);
    assert_int_equal(ta_throttle_wait(&rec, INT64_MAX), 0);
}

static void test_fewer_than_limit_failures_do_not_lock(void **state)
{
    ta_throttle_rec rec = rec_after(LIMIT - 1, UT_NOW);

    (void)state;
    assert_int_equal(rec.failures, LIMIT - 1);
    assert_int_equal(rec.window_start, UT_NOW);
    assert_int_equal(rec.locked_until, 0);
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW + LIMIT), 0);
}

static void test_limit_th_failure_locks_and_resets_counter(void **state)
{
    ta_throttle_rec rec = rec_after(LIMIT, UT_NOW);
    long long last = UT_NOW + LIMIT - 1;

    (void)state;
    assert_int_equal(rec.locked_until, last + LOCKOUT);
    assert_int_equal(rec.failures, 0);
    assert_int_equal(ta_throttle_wait(&rec, last), LOCKOUT);
}

static void test_failures_spread_beyond_window_do_not_lock(void **state)
{
    ta_throttle_rec rec = {0, 0, 0};

    (void)state;
    for (long long i = 0; i < 4 * LIMIT; i++) {
        ta_throttle_fail(&rec, &policy, UT_NOW + i * (WINDOW / (LIMIT - 1)));
        assert_int_equal(rec.locked_until, 0);
    }
}

static void test_window_expires_at_exactly_window_seconds(void **state)
{
    ta_throttle_rec rec = rec_after(LIMIT - 1, UT_NOW);

    (void)state;
    ta_throttle_fail(&rec, &policy, UT_NOW + WINDOW);
    assert_int_equal(rec.locked_until, 0);
    assert_int_equal(rec.failures, 1);
    assert_int_equal(rec.window_start, UT_NOW + WINDOW);
}

static void test_counter_starts_afresh_after_lockout(void **state)
{
    ta_throttle_rec rec = rec_after(LIMIT, UT_NOW);
    long long after = rec.locked_until;

    (void)state;
    for (unsigned i = 0; i < LIMIT - 1; i++)
        ta_throttle_fail(&rec, &policy, after + i);
    assert_int_equal(rec.locked_until, 0);
    assert_int_equal(rec.failures, LIMIT - 1);
    assert_int_equal(rec.window_start, after);
    ta_throttle_fail(&rec, &policy, after + LIMIT - 1);
    assert_int_equal(rec.locked_until, after + LIMIT - 1 + LOCKOUT);
}

static void test_failure_while_locked_changes_nothing(void **state)
{
    ta_throttle_rec rec = rec_after(LIMIT, UT_NOW), before = rec;

    (void)state;
    ta_throttle_fail(&rec, &policy, rec.locked_until - 1);
    assert_int_equal(rec.failures, before.failures);
    assert_int_equal(rec.window_start, before.window_start);
    assert_int_equal(rec.locked_until, before.locked_until);
}

static void test_window_begun_in_future_still_counts(void **state)
{
    ta_throttle_rec rec = {LIMIT - 1, UT_NOW + 30, 0};

    (void)state;
    ta_throttle_fail(&rec, &policy, UT_NOW);
    assert_int_equal(rec.locked_until, UT_NOW + LOCKOUT);
}

static void test_huge_lockout_clamped_at_2_53(void **state)
{
    ta_throttle_policy p = {1, WINDOW, INT64_MAX};
    ta_throttle_rec rec = {0, 0, 0}, back;
    unsigned char buf[TA_THROTTLE_REC_LEN];

    (void)state;
    ta_throttle_fail(&rec, &p, UT_NOW);
    assert_int_equal(rec.locked_until, TA_THROTTLE_TIME_MAX);
    ta_throttle_encode(&rec, buf);
    assert_int_equal(ta_throttle_decode(buf, sizeof(buf), &back), 0);
    assert_int_equal(back.locked_until, TA_THROTTLE_TIME_MAX);
}

static void test_zero_limit_locks_at_first_failure(void **state)
{
    ta_throttle_policy p = {0, WINDOW, LOCKOUT};
    ta_throttle_rec rec = {0, 0, 0};

    (void)state;
    ta_throttle_fail(&rec, &p, UT_NOW);
    assert_int_equal(rec.locked_until, UT_NOW + LOCKOUT);
}

static void test_limit_above_cap_locks_at_cap(void **state)
{
    ta_throttle_policy p = {UINT32_MAX, TA_THROTTLE_TIME_MAX, LOCKOUT};
    ta_throttle_rec rec = {TA_THROTTLE_LIMIT_MAX - 1, UT_NOW, 0};

    (void)state;
    ta_throttle_fail(&rec, &p, UT_NOW);
    assert_int_equal(rec.locked_until, UT_NOW + LOCKOUT);
}

static void test_zero_lockout_never_locks(void **state)
{
    ta_throttle_policy p = {1, WINDOW, 0};
    ta_throttle_rec rec = {0, 0, 0};

    (void)state;
    ta_throttle_fail(&rec, &p, UT_NOW);
    assert_int_equal(rec.locked_until, 0);
    assert_int_equal(ta_throttle_wait(&rec, UT_NOW), 0);
}

static void test_expiry_is_window_end_when_unlocked(void **state)
{
    ta_throttle_rec rec = rec_after(1, UT_NOW);

    (void)state;
    assert_int_equal(ta_throttle_expiry(&rec, &policy), UT_NOW + WINDOW);
}

static void test_expiry_is_locked_until_when_later(void **state)
{
    ta_throttle_rec rec = rec_after(LIMIT, UT_NOW);

    (void)state;
    assert_int_equal(ta_throttle_expiry(&rec, &policy), rec.locked_until);
}

static void test_expiry_clamped_at_2_53(void **state)
{
    ta_throttle_policy p = {LIMIT, INT64_MAX, INT64_MAX};
    ta_throttle_rec rec = {1, TA_THROTTLE_TIME_MAX, INT64_MAX};

    (void)state;
    assert_int_equal(ta_throttle_expiry(&rec, &p), TA_THROTTLE_TIME_MAX);
}

/* The user key of n bytes at user; fails the test when it is refused. */
static void user_key(const char *user, size_t n, char out[TA_THROTTLE_KEY_MAX])
{
    assert_int_equal(ta_throttle_user_key(user, n, out, TA_THROTTLE_KEY_MAX), USER_KEY_LEN);
    assert_int_equal(strlen(out), USER_KEY_LEN);
}

static void test_user_key_is_base64url_of_sha256(void **state)
{
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    user_key("", 0, key);
    assert_string_equal(key, "tu:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    user_key("abc", 3, key);
    assert_string_equal(key, "tu:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

static void test_user_key_stable(void **state)
{
    char a[TA_THROTTLE_KEY_MAX], b[TA_THROTTLE_KEY_MAX];

    (void)state;
    user_key("alice", 5, a);
    user_key("alice", 5, b);
    assert_string_equal(a, b);
}

static void test_user_key_differs_for_different_users(void **state)
{
    char a[TA_THROTTLE_KEY_MAX], b[TA_THROTTLE_KEY_MAX], c[TA_THROTTLE_KEY_MAX];

    (void)state;
    user_key("alice", 5, a);
    user_key("Alice", 5, b);
    user_key("alice\0", 6, c);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
}

static void test_user_key_fixed_length_for_empty_long_and_binary_names(void **state)
{
    static char long_name[100000];
    const char binary[] = {'\0', '\n', ':', '\xff', '\x7f', ' '};
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    memset(long_name, 'x', sizeof(long_name));
    user_key(NULL, 0, key);
    assert_string_equal(key, "tu:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    user_key(long_name, sizeof(long_name), key);
    user_key(binary, sizeof(binary), key);
    for (size_t i = 3; i < USER_KEY_LEN; i++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", key[i]));
}

static void test_user_key_buffer_too_small_refused(void **state)
{
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_int_equal(ta_throttle_user_key("alice", 5, key, USER_KEY_LEN + 1), USER_KEY_LEN);
    assert_int_equal(ta_throttle_user_key("alice", 5, key, USER_KEY_LEN), 0);
    assert_string_equal(key, "");
    assert_int_equal(ta_throttle_user_key(NULL, 1, key, sizeof(key)), 0);
}

/* Link revocations count under a key of their own: the same hash, another prefix, so that
 * revoking links never moves a login counter of the same name, nor the other way round. */
static void test_revoker_key_is_the_hash_under_its_own_prefix(void **state)
{
    char login[TA_THROTTLE_KEY_MAX], revoker[TA_THROTTLE_KEY_MAX];

    (void)state;
    user_key("alice", 5, login);
    assert_int_equal(ta_throttle_revoker_key("alice", 5, revoker, sizeof(revoker)), USER_KEY_LEN);
    assert_string_equal(revoker, "tr:K9gGyX8OAK8aH8Myj6djqSaXI8jbj6xPk69x2xhtbpA");
    assert_string_not_equal(login, revoker);
    assert_string_equal(login + 3, revoker + 3);
}

static void test_revoker_key_buffer_too_small_refused(void **state)
{
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_int_equal(ta_throttle_revoker_key("alice", 5, key, USER_KEY_LEN), 0);
    assert_string_equal(key, "");
    assert_int_equal(ta_throttle_revoker_key(NULL, 1, key, sizeof(key)), 0);
    assert_int_equal(ta_throttle_revoker_key("alice", 5, NULL, sizeof(key)), 0);
}

/* The address key of ip; fails the test when it is refused. */
static const char *addr_key(const char *ip, char out[TA_THROTTLE_KEY_MAX])
{
    size_t n = ta_throttle_addr_key(ip, out, TA_THROTTLE_KEY_MAX);

    if (n == 0)
        fail_msg("address %s refused", ip);
    assert_int_equal(n, strlen(out));
    return out;
}

static void test_addr_key_ipv4(void **state)
{
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_string_equal(addr_key("192.0.2.1", key), "ta:192.0.2.1");
    assert_string_equal(addr_key("255.255.255.255", key), "ta:255.255.255.255");
}

static void test_addr_key_ipv4_mapped_ipv6_equals_ipv4(void **state)
{
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_string_equal(addr_key("::ffff:192.0.2.1", key), "ta:192.0.2.1");
    assert_string_equal(addr_key("::FFFF:c000:0201", key), "ta:192.0.2.1");
}

static void test_addr_key_ipv6_same_64_equal(void **state)
{
    char a[TA_THROTTLE_KEY_MAX], b[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_string_equal(addr_key("2001:db8:1:2::1", a), "ta:2001:db8:1:2::/64");
    assert_string_equal(addr_key("2001:db8:1:2:ffff:ffff:ffff:ffff", b), a);
    assert_string_equal(addr_key("2001:0DB8:0001:0002:0:0:0:1", b), a);
}

static void test_addr_key_ipv6_different_64_differ(void **state)
{
    char a[TA_THROTTLE_KEY_MAX], b[TA_THROTTLE_KEY_MAX];

    (void)state;
    addr_key("2001:db8:1:2::1", a);
    addr_key("2001:db8:1:3::1", b);
    assert_string_not_equal(a, b);
}

static void test_addr_key_ipv6_zone_dropped(void **state)
{
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_string_equal(addr_key("fe80::1%eth0", key), "ta:fe80::/64");
    assert_string_equal(addr_key("fe80::2%3", key), "ta:fe80::/64");
}

static void assert_addr_refused(const char *ip)
{
    char key[TA_THROTTLE_KEY_MAX];

    if (ta_throttle_addr_key(ip, key, sizeof(key)) != 0)
        fail_msg("address \"%s\" accepted as %s", ip, key);
    assert_string_equal(key, "");
}

static void test_addr_key_garbage_refused(void **state)
{
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_addr_refused("");
    assert_addr_refused("localhost");
    assert_addr_refused("ta:1.2.3.4");
    /* IPv4: strictly four decimal parts, nothing around them */
    assert_addr_refused("1.2.3");
    assert_addr_refused("1.2.3.4.5");
    assert_addr_refused("256.1.1.1");
    assert_addr_refused("01.2.3.4");
    assert_addr_refused(" 1.2.3.4");
    assert_addr_refused("1.2.3.4 ");
    assert_addr_refused("1.2.3.4\n");
    assert_addr_refused("1.2.3.4:80");
    assert_addr_refused("1.2.3.4%eth0");
    /* IPv6: no brackets, prefix lengths or bad groups; a zone is a short clean name */
    assert_addr_refused("[::1]");
    assert_addr_refused("::1/64");
    assert_addr_refused("2001:db8::g");
    assert_addr_refused("1:2:3:4:5:6:7:8:9");
    assert_addr_refused("fe80::1%");
    assert_addr_refused("fe80::1%eth 0");
    assert_addr_refused("fe80::1%eth0%1");
    assert_addr_refused("fe80::1%a234567890123456");
    assert_int_equal(ta_throttle_addr_key(NULL, key, sizeof(key)), 0);
}

static void test_addr_key_buffer_too_small_refused(void **state)
{
    const char *ip = "2001:db8:1:2::1"; /* "ta:2001:db8:1:2::/64": 20 bytes */
    char key[TA_THROTTLE_KEY_MAX];

    (void)state;
    assert_int_equal(ta_throttle_addr_key(ip, key, 21), 20);
    assert_int_equal(ta_throttle_addr_key(ip, key, 20), 0);
    assert_string_equal(key, "");
    assert_int_equal(ta_throttle_addr_key("192.0.2.1", key, 12), 0);
    assert_int_equal(ta_throttle_addr_key("192.0.2.1", key, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_round_trips),
        cmocka_unit_test(test_record_is_version_then_big_endian_fields),
        cmocka_unit_test(test_decode_accepts_bounds),
        cmocka_unit_test(test_decode_refuses_wrong_length),
        cmocka_unit_test(test_decode_refuses_wrong_version),
        cmocka_unit_test(test_decode_refuses_negative_times),
        cmocka_unit_test(test_decode_refuses_times_beyond_2_53),
        cmocka_unit_test(test_decode_refuses_failures_above_cap),
        cmocka_unit_test(test_encode_clamps_fields_so_the_record_decodes),
        cmocka_unit_test(test_wait_zero_when_unlocked),
        cmocka_unit_test(test_wait_is_locked_until_minus_now),
        cmocka_unit_test(test_wait_one_at_last_second),
        cmocka_unit_test(test_wait_zero_once_lockout_passed),
        cmocka_unit_test(test_wait_survives_extreme_now),
        cmocka_unit_test(test_fewer_than_limit_failures_do_not_lock),
        cmocka_unit_test(test_limit_th_failure_locks_and_resets_counter),
        cmocka_unit_test(test_failures_spread_beyond_window_do_not_lock),
        cmocka_unit_test(test_window_expires_at_exactly_window_seconds),
        cmocka_unit_test(test_counter_starts_afresh_after_lockout),
        cmocka_unit_test(test_failure_while_locked_changes_nothing),
        cmocka_unit_test(test_window_begun_in_future_still_counts),
        cmocka_unit_test(test_huge_lockout_clamped_at_2_53),
        cmocka_unit_test(test_zero_limit_locks_at_first_failure),
        cmocka_unit_test(test_limit_above_cap_locks_at_cap),
        cmocka_unit_test(test_zero_lockout_never_locks),
        cmocka_unit_test(test_expiry_is_window_end_when_unlocked),
        cmocka_unit_test(test_expiry_is_locked_until_when_later),
        cmocka_unit_test(test_expiry_clamped_at_2_53),
        cmocka_unit_test(test_user_key_is_base64url_of_sha256),
        cmocka_unit_test(test_user_key_stable),
        cmocka_unit_test(test_user_key_differs_for_different_users),
        cmocka_unit_test(test_user_key_fixed_length_for_empty_long_and_binary_names),
        cmocka_unit_test(test_user_key_buffer_too_small_refused),
        cmocka_unit_test(test_revoker_key_is_the_hash_under_its_own_prefix),
        cmocka_unit_test(test_revoker_key_buffer_too_small_refused),
        cmocka_unit_test(test_addr_key_ipv4),
        cmocka_unit_test(test_addr_key_ipv4_mapped_ipv6_equals_ipv4),
        cmocka_unit_test(test_addr_key_ipv6_same_64_equal),
        cmocka_unit_test(test_addr_key_ipv6_different_64_differ),
        cmocka_unit_test(test_addr_key_ipv6_zone_dropped),
        cmocka_unit_test(test_addr_key_garbage_refused),
        cmocka_unit_test(test_addr_key_buffer_too_small_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
