/* libFuzzer target: TokenAuthLoginThrottle's record codec and cache keys (src/core/ta_throttle.c).
 * Every input is used four ways.
 *
 * As a cache record: decoded from a heap buffer of exactly its length. A refused record leaves
 * only zeros; an accepted one holds times within [0, 2^53] and re-encodes to exactly the bytes
 * it came from (one encoding per record).
 *
 * As a record followed by a policy and a clock: when the first TA_THROTTLE_REC_LEN bytes decode,
 * the next bytes give limit, window, lockout and now (any values, negative and huge included).
 * One failure is counted; UBSan watches the arithmetic, and the result must still be a record
 * that encodes and decodes unchanged, whose wait is within [0, 2^53] and whose expiry is no
 * earlier than its lock.
 *
 * As an address (NUL-terminated): a key, when there is one, is NUL-terminated, shorter than
 * TA_THROTTLE_KEY_MAX, starts "ta:", and is a fixed point (the address it names gives the same
 * key again); a refusal leaves "".
 *
 * As a user name: the key always has the same length. */
#include "fuzz.h"
#include "ta_throttle.h"

#include <stdint.h>
#include <string.h>

#define USER_KEY_LEN 46

static uint64_t take_be(const uint8_t **p, size_t *left, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        v <<= 8;
        if (*left > 0) {
            v |= **p;
            (*p)++;
            (*left)--;
        }
    }
    return v;
}

static void check_valid(const ta_throttle_rec *rec)
{
    CHECK(rec->failures <= TA_THROTTLE_LIMIT_MAX);
    CHECK(rec->window_start >= 0 && rec->window_start <= TA_THROTTLE_TIME_MAX);
    CHECK(rec->locked_until >= 0 && rec->locked_until <= TA_THROTTLE_TIME_MAX);
}

/* Field by field: the struct has padding. */
static int same_rec(const ta_throttle_rec *a, const ta_throttle_rec *b)
{
    return a->failures == b->failures && a->window_start == b->window_start &&
           a->locked_until == b->locked_until;
}

/* rec encodes, and the encoding decodes back to rec. */
static void check_round_trip(const ta_throttle_rec *rec)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];
    ta_throttle_rec back;

    ta_throttle_encode(rec, buf);
    CHECK(ta_throttle_decode(buf, sizeof(buf), &back) == 0);
    CHECK(same_rec(&back, rec));
}

static void fuzz_record(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1), out[TA_THROTTLE_REC_LEN];
    ta_throttle_rec rec;

    CHECK(buf != NULL);
    memcpy(buf, data, size);
    memset(&rec, 0xa5, sizeof(rec));
    if (ta_throttle_decode(buf, size, &rec) != 0) {
        CHECK(all_zero(&rec, sizeof(rec)));
    }
    else {
        CHECK(size == TA_THROTTLE_REC_LEN);
        check_valid(&rec);
        ta_throttle_encode(&rec, out);
        CHECK(memcmp(out, buf, size) == 0);
    }
    free(buf);
}

static void fuzz_counting(const uint8_t *data, size_t size)
{
    ta_throttle_rec rec, before;
    ta_throttle_policy p;
    long long now, wait;

    if (size < TA_THROTTLE_REC_LEN || ta_throttle_decode(data, TA_THROTTLE_REC_LEN, &rec) != 0)
        return;
    data += TA_THROTTLE_REC_LEN;
    size -= TA_THROTTLE_REC_LEN;
    p.limit = (unsigned int)take_be(&data, &size, 4);
    p.window = (long long)take_be(&data, &size, 8);
    p.lockout = (long long)take_be(&data, &size, 8);
    now = (long long)take_be(&data, &size, 8);
    before = rec;
    wait = ta_throttle_wait(&rec, now);
    CHECK(wait >= 0 && wait <= TA_THROTTLE_TIME_MAX);
    ta_throttle_fail(&rec, &p, now);
    check_valid(&rec);
    check_round_trip(&rec);
    if (wait > 0)
        CHECK(same_rec(&rec, &before));
    wait = ta_throttle_wait(&rec, now);
    CHECK(wait >= 0 && wait <= TA_THROTTLE_TIME_MAX);
    CHECK(ta_throttle_expiry(&rec, &p) >= rec.locked_until);
    CHECK(ta_throttle_expiry(&rec, &p) <= TA_THROTTLE_TIME_MAX);
}

/* The address a key names: the key without "ta:" and without "/64". */
static void check_fixed_point(const char *key, size_t n)
{
    char addr[TA_THROTTLE_KEY_MAX], again[TA_THROTTLE_KEY_MAX];
    size_t alen = n - 3;

    memcpy(addr, key + 3, alen + 1);
    if (alen > 3 && strcmp(addr + alen - 3, "/64") == 0)
        addr[alen - 3] = '\0';
    CHECK(ta_throttle_addr_key(addr, again, sizeof(again)) == n);
    CHECK(strcmp(again, key) == 0);
}

static void fuzz_keys(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), key[TA_THROTTLE_KEY_MAX], revoker[TA_THROTTLE_KEY_MAX];
    size_t n;

    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    memset(key, 'x', sizeof(key));
    n = ta_throttle_addr_key(s, key, sizeof(key));
    CHECK(memchr(key, '\0', sizeof(key)) != NULL);
    if (n == 0) {
        CHECK(key[0] == '\0');
    }
    else {
        CHECK(n < TA_THROTTLE_KEY_MAX && strlen(key) == n);
        CHECK(strncmp(key, "ta:", 3) == 0);
        check_fixed_point(key, n);
    }
    CHECK(ta_throttle_user_key(s, size, key, sizeof(key)) == USER_KEY_LEN);
    CHECK(strlen(key) == USER_KEY_LEN && strncmp(key, "tu:", 3) == 0);
    CHECK(ta_throttle_revoker_key(s, size, revoker, sizeof(revoker)) == USER_KEY_LEN);
    CHECK(strncmp(revoker, "tr:", 3) == 0 && strcmp(revoker + 3, key + 3) == 0);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_record(data, size);
    fuzz_counting(data, size);
    fuzz_keys(data, size);
    return 0;
}
