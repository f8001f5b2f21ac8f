/* The per-child cache of verified tokens (mod_tokenauth/ta_tokencache.c): a hit gives back
 * exactly the claims that were stored, only for the same key set, issuer and token bytes, only
 * from the time of the verify until exp; the cache holds at most TA_TOKENCACHE_SLOTS entries
 * and evicts an expired entry, else the least recently used one of a set; many threads may use
 * it at once. The cache does not look inside tokens, so any bytes serve as one here. */
#include "unit.h"
#include "ta_tokencache.h"

#include <pthread.h>

#define TOK "header.payload.signature"

/* A stand-in key set: the cache only uses its address. */
static ta_keyset *ks_a = (ta_keyset *)0x1000, *ks_b = (ta_keyset *)0x2000;

static ta_claims claims_of(const char *sub, long long exp)
{
    ta_claims c = {.uid = 1000, .iat = UT_NOW - 5, .exp = exp, .kind = TA_KIND_URL};

    strcpy(c.kid, "k1");
    strcpy(c.sub, sub);
    strcpy(c.jti, "AbCdEfGhIjKlMnOpQrSt-_");
    strcpy(c.scope, "/files/caf\xc3\xa9/");
    return c;
}

static int get(const ta_keyset *ks, const char *issuer, const char *tok, long long now,
               ta_claims *out)
{
    return ta_tokencache_get(ks, issuer, tok, strlen(tok), now, out);
}

static void put(const char *tok, long long now, const ta_claims *c)
{
    ta_tokencache_put(ks_a, UT_ISSUER, tok, strlen(tok), now, c);
}

static int clear(void **state)
{
    (void)state;
    ta_tokencache_clear();
    return 0;
}

static void test_tokencache_miss_then_hit_with_the_same_claims(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), out;

    (void)state;
    assert_false(get(ks_a, UT_ISSUER, TOK, UT_NOW, &out));
    put(TOK, UT_NOW, &c);
    memset(&out, 0x55, sizeof(out));
    assert_true(get(ks_a, UT_ISSUER, TOK, UT_NOW, &out));
    assert_memory_equal(&out, &c, sizeof(c)); /* every byte: strings, padding, the rest zero */
    assert_int_equal(ta_tokencache_count(UT_NOW), 1);
}

/* Another token, one byte longer or shorter or different, is another entry. */
static void test_tokencache_other_token_bytes_miss(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), out;

    (void)state;
    put(TOK, UT_NOW, &c);
    assert_false(get(ks_a, UT_ISSUER, "header.payload.signaturE", UT_NOW, &out));
    assert_false(get(ks_a, UT_ISSUER, "header.payload.signatur", UT_NOW, &out));
    assert_false(get(ks_a, UT_ISSUER, TOK "x", UT_NOW, &out));
    assert_false(ta_tokencache_get(ks_a, UT_ISSUER, TOK, strlen(TOK) - 1, UT_NOW, &out));
}

/* A token verified for one site is not a hit for a site with other keys or another issuer. */
static void test_tokencache_other_key_set_or_issuer_miss(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), out;

    (void)state;
    put(TOK, UT_NOW, &c);
    assert_false(get(ks_b, UT_ISSUER, TOK, UT_NOW, &out));
    assert_false(get(ks_a, "other-site", TOK, UT_NOW, &out));
    assert_false(get(ks_a, "tokenauthx", TOK, UT_NOW, &out));
    assert_true(get(ks_a, UT_ISSUER, TOK, UT_NOW, &out));
}

/* exp > now still holds for a hit: the entry dies with its token. */
static void test_tokencache_entry_dies_at_exp(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 10), out;

    (void)state;
    put(TOK, UT_NOW, &c);
    assert_true(get(ks_a, UT_ISSUER, TOK, UT_NOW + 9, &out));
    assert_false(get(ks_a, UT_ISSUER, TOK, UT_NOW + 10, &out));
    assert_false(get(ks_a, UT_ISSUER, TOK, UT_NOW + 9, &out)); /* and it is gone */
    assert_int_equal(ta_tokencache_count(UT_NOW), 0);
}

/* A request older than the verify (a slower thread's request time) verifies afresh: the iat
 * and nbf rules were only checked for times from the verify on. */
static void test_tokencache_miss_before_the_time_of_the_verify(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), out;

    (void)state;
    put(TOK, UT_NOW, &c);
    assert_false(get(ks_a, UT_ISSUER, TOK, UT_NOW - 1, &out));
    assert_true(get(ks_a, UT_ISSUER, TOK, UT_NOW, &out));
}

static void test_tokencache_expired_claims_are_not_stored(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW), out;

    (void)state;
    put(TOK, UT_NOW, &c);
    assert_false(get(ks_a, UT_ISSUER, TOK, UT_NOW - 1, &out));
    assert_int_equal(ta_tokencache_count(0), 0);
}

/* Claims whose strings do not fit an entry are simply verified every time. */
static void test_tokencache_long_claims_are_not_stored(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), out;

    (void)state;
    memset(c.scope, 'a', TA_TOKENCACHE_TEXT_MAX);
    c.scope[0] = '/';
    c.scope[TA_TOKENCACHE_TEXT_MAX] = '\0';
    put(TOK, UT_NOW, &c);
    assert_false(get(ks_a, UT_ISSUER, TOK, UT_NOW, &out));
}

/* A second store of the same token replaces its entry instead of adding one. */
static void test_tokencache_store_again_replaces(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), d = claims_of("alice", UT_NOW + 600), out;

    (void)state;
    put(TOK, UT_NOW, &c);
    put(TOK, UT_NOW + 1, &d);
    assert_int_equal(ta_tokencache_count(UT_NOW), 1);
    assert_true(get(ks_a, UT_ISSUER, TOK, UT_NOW + 400, &out));
    assert_int_equal(out.exp, UT_NOW + 600);
}

/* The token text of number i. */
static void token_of(size_t i, char *out, size_t n)
{
    snprintf(out, n, "tok-%zu.payload.sig", i);
}

/* Bounded: after many more stores than slots, at most TA_TOKENCACHE_SLOTS entries live, and a
 * token used after every store (the most recently used of its set) is never evicted. */
static void test_tokencache_is_bounded_and_keeps_what_is_used(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), hot = claims_of("hot", UT_NOW + 300), out;
    char tok[64];

    (void)state;
    put("hot.token.sig", UT_NOW, &hot);
    for (size_t i = 0; i < 16 * TA_TOKENCACHE_SLOTS; i++) {
        token_of(i, tok, sizeof(tok));
        put(tok, UT_NOW, &c);
        if (!get(ks_a, UT_ISSUER, "hot.token.sig", UT_NOW, &out))
            fail_msg("the hot token was evicted after %zu stores", i + 1);
    }
    assert_int_equal(ta_tokencache_count(UT_NOW), TA_TOKENCACHE_SLOTS);
    assert_string_equal(out.sub, "hot");
}

/* Expired entries are the first to go: once every old entry has expired, a full load of new
 * tokens all find room (none evicts another new one). */
static void test_tokencache_expired_entries_are_evicted_first(void **state)
{
    ta_claims old = claims_of("old", UT_NOW + 10), c = claims_of("new", UT_NOW + 300), out;
    char tok[64];
    size_t kept = 0, n = TA_TOKENCACHE_SLOTS / 2;

    (void)state;
    for (size_t i = 0; i < 16 * TA_TOKENCACHE_SLOTS; i++) {
        token_of(i, tok, sizeof(tok));
        put(tok, UT_NOW, &old);
    }
    assert_int_equal(ta_tokencache_count(UT_NOW), TA_TOKENCACHE_SLOTS);
    for (size_t i = 0; i < n; i++) {
        snprintf(tok, sizeof(tok), "new-%zu", i);
        put(tok, UT_NOW + 20, &c);
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(tok, sizeof(tok), "new-%zu", i);
        kept += get(ks_a, UT_ISSUER, tok, UT_NOW + 20, &out);
    }
    /* no new entry displaced another unless its set got more than 4 of the new ones */
    assert_true(kept >= n * 9 / 10);
    assert_int_equal(ta_tokencache_count(UT_NOW + 20), kept);
}

static void test_tokencache_clear_forgets_everything(void **state)
{
    ta_claims c = claims_of("alice", UT_NOW + 300), out;

    (void)state;
    put(TOK, UT_NOW, &c);
    ta_tokencache_clear();
    assert_false(get(ks_a, UT_ISSUER, TOK, UT_NOW, &out));
    assert_int_equal(ta_tokencache_count(UT_NOW), 0);
}

/* Threads storing and looking up overlapping tokens: every hit is the claims of its own
 * token (sub names it), never another's or a torn copy. */
static void *hammer(void *arg)
{
    size_t base = (size_t)arg, bad = 0;
    char tok[64], sub[32];
    ta_claims c, out;

    for (size_t i = 0; i < 20000; i++) {
        size_t n = (base * 7919 + i) % 6000;
        token_of(n, tok, sizeof(tok));
        snprintf(sub, sizeof(sub), "user%zu", n);
        c = claims_of(sub, UT_NOW + 300);
        if (i % 3 == 0)
            put(tok, UT_NOW, &c);
        else if (get(ks_a, UT_ISSUER, tok, UT_NOW, &out))
            bad += memcmp(&out, &c, sizeof(c)) != 0;
    }
    return (void *)bad;
}

static void test_tokencache_is_thread_safe(void **state)
{
    pthread_t t[4];
    void *bad;

    (void)state;
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_null(bad);
    }
    assert_true(ta_tokencache_count(UT_NOW) <= TA_TOKENCACHE_SLOTS);
}

/* Real tokens: a verified token, cached, hits with what ta_token_verify gave. */
static void test_tokencache_holds_what_verify_gave(void **state)
{
    ta_keyset *ks = ut_keyset_one("k1", 1);
    ta_claims in = claims_of("bob", UT_NOW + 300), verified, out;
    char tok[TA_TOKEN_MAX_LEN + 1];

    (void)state;
    in.jti[0] = '\0';
    assert_token_status(ta_token_issue(ks, UT_ISSUER, &in, tok, sizeof(tok)), TA_TOKEN_OK);
    assert_token_status(ta_token_verify(ks, UT_ISSUER, tok, strlen(tok), UT_NOW, &verified),
                        TA_TOKEN_OK);
    ta_tokencache_put(ks, UT_ISSUER, tok, strlen(tok), UT_NOW, &verified);
    assert_true(ta_tokencache_get(ks, UT_ISSUER, tok, strlen(tok), UT_NOW + 1, &out));
    assert_memory_equal(&out, &verified, sizeof(out));
    ta_keyset_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_tokencache_miss_then_hit_with_the_same_claims, clear),
        cmocka_unit_test_setup(test_tokencache_other_token_bytes_miss, clear),
        cmocka_unit_test_setup(test_tokencache_other_key_set_or_issuer_miss, clear),
        cmocka_unit_test_setup(test_tokencache_entry_dies_at_exp, clear),
        cmocka_unit_test_setup(test_tokencache_miss_before_the_time_of_the_verify, clear),
        cmocka_unit_test_setup(test_tokencache_expired_claims_are_not_stored, clear),
        cmocka_unit_test_setup(test_tokencache_long_claims_are_not_stored, clear),
        cmocka_unit_test_setup(test_tokencache_store_again_replaces, clear),
        cmocka_unit_test_setup(test_tokencache_is_bounded_and_keeps_what_is_used, clear),
        cmocka_unit_test_setup(test_tokencache_expired_entries_are_evicted_first, clear),
        cmocka_unit_test_setup(test_tokencache_clear_forgets_everything, clear),
        cmocka_unit_test_setup(test_tokencache_is_thread_safe, clear),
        cmocka_unit_test_setup(test_tokencache_holds_what_verify_gave, clear),
    };

    return cmocka_run_group_tests_name("tokencache", tests, NULL, NULL);
}
