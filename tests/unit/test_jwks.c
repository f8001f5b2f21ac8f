/* The JWKS of a key set (SPEC §4, tokenauth-jwks): the public half of every EdDSA key, in file
 * order, as RFC 8037 OKP keys; HS256 keys never appear. */
#include "unit.h"
#include "ta_jwks.h"

#include <jansson.h>

#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

/* The JWKS text of ks; free() it. */
static char *jwks_of(const ta_keyset *ks)
{
    size_t cap = ta_jwks_size(ks), len = 0;
    char *buf = malloc(cap);

    assert_non_null(buf);
    assert_int_equal(ta_jwks_write(ks, buf, cap, &len), 0);
    assert_int_equal(len + 1, cap);
    assert_int_equal(strlen(buf), len);
    return buf;
}

/* The JWK text we expect for the EdDSA key of seed under kid. */
static void expected_jwk(const char *kid, int seed, char *out, size_t outlen)
{
    unsigned char pub[32];
    char x[64];

    ut_ed25519_public(seed, pub);
    ut_b64url(pub, sizeof(pub), x);
    snprintf(out, outlen,
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\",\"alg\":\"EdDSA\","
             "\"use\":\"sig\"}",
             x, kid);
}

/* ed1 (EdDSA, seed 1), hs (HS256, seed 2), ed2 (EdDSA, seed 3), in mode. */
static ta_keyset *mixed(ta_keys_mode mode)
{
    char a[128], b[64], c[128], text[400];

    ut_eddsa_line("ed1", 1, a, sizeof(a));
    ut_secret_b64(2, UT_SECRET_LEN, b);
    ut_eddsa_line("ed2", 3, c, sizeof(c));
    snprintf(text, sizeof(text), "%shs %s\n%s", a, b, c);
    return ut_keyset_parse_mode(text, mode);
}

static void test_jwks_lists_eddsa_keys_exactly_in_file_order(void **state)
{
    char j1[256], j2[256], want[600];
    ta_keyset *ks = mixed(TA_KEYS_PUBLIC);
    char *got = jwks_of(ks);

    (void)state;
    expected_jwk("ed1", 1, j1, sizeof(j1));
    expected_jwk("ed2", 3, j2, sizeof(j2));
    snprintf(want, sizeof(want), "{\"keys\":[%s,%s]}", j1, j2);
    assert_string_equal(got, want);
    free(got);
    ta_keyset_free(ks);
}

static void test_jwks_of_hs256_only_or_no_keys_is_empty(void **state)
{
    ta_keyset *ks = ut_keyset_one("hs", 1);
    char *got = jwks_of(ks);

    (void)state;
    assert_string_equal(got, "{\"keys\":[]}");
    free(got);
    got = jwks_of(NULL);
    assert_string_equal(got, "{\"keys\":[]}");
    free(got);
    ta_keyset_free(ks);
}

/* RFC 8037 A.2: the public key of A.1's seed is x. */
static void test_jwks_x_of_the_rfc8037_key(void **state)
{
    ta_keyset *ks = ut_keyset_parse_mode("rfc EdDSA " RFC8037_D "\n", TA_KEYS_PUBLIC);
    char *got = jwks_of(ks);

    (void)state;
    assert_string_equal(got, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
                             "\",\"kid\":\"rfc\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}");
    free(got);
    ta_keyset_free(ks);
}

/* Neither a seed nor an HS256 secret is published, in either mode. */
static void test_jwks_never_holds_a_secret(void **state)
{
    char s1[64], s2[64], s3[64];
    ta_keys_mode modes[] = {TA_KEYS_PRIVATE, TA_KEYS_PUBLIC};

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, s1);
    ut_secret_b64(2, UT_SECRET_LEN, s2);
    ut_secret_b64(3, UT_SECRET_LEN, s3);
    for (int m = 0; m < 2; m++) {
        ta_keyset *ks = mixed(modes[m]);
        char *got = jwks_of(ks);
        assert_null(strstr(got, s1));
        assert_null(strstr(got, s2));
        assert_null(strstr(got, s3));
        assert_null(strstr(got, "\"hs\""));
        assert_null(strstr(got, "\"d\""));
        free(got);
        ta_keyset_free(ks);
    }
}

static void test_jwks_same_from_private_and_public_key_sets(void **state)
{
    ta_keyset *priv = mixed(TA_KEYS_PRIVATE), *pub = mixed(TA_KEYS_PUBLIC);
    char *a = jwks_of(priv), *b = jwks_of(pub);

    (void)state;
    assert_string_equal(a, b);
    free(a);
    free(b);
    ta_keyset_free(priv);
    ta_keyset_free(pub);
}

/* A standard JSON parser reads it as a JWK Set with the members RFC 7517 and 8037 name. */
static void test_jwks_is_a_jwk_set(void **state)
{
    ta_keyset *ks = mixed(TA_KEYS_PUBLIC);
    char *got = jwks_of(ks);
    json_t *j = json_loads(got, JSON_REJECT_DUPLICATES, NULL), *keys;

    (void)state;
    assert_non_null(j);
    keys = json_object_get(j, "keys");
    assert_true(json_is_array(keys));
    assert_int_equal(json_array_size(keys), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 1), "kid")), "ed2");
    assert_int_equal(json_object_size(json_array_get(keys, 0)), 6);
    json_decref(j);
    free(got);
    ta_keyset_free(ks);
}

static void test_jwks_refuses_a_buffer_one_byte_short(void **state)
{
    ta_keyset *ks = mixed(TA_KEYS_PUBLIC);
    size_t cap = ta_jwks_size(ks), len = 0;
    char *buf = malloc(cap);

    (void)state;
    assert_non_null(buf);
    assert_int_equal(ta_jwks_write(ks, buf, cap - 1, &len), -1);
    assert_int_equal(ta_jwks_write(ks, buf, 0, &len), -1);
    assert_int_equal(ta_jwks_write(ks, buf, cap, &len), 0);
    free(buf);
    ta_keyset_free(ks);
}

/* 256 EdDSA keys of 64-character KIDs: the largest set there is takes exactly what size says
 * (jwks_of checks). */
static void test_jwks_of_the_largest_key_set(void **state)
{
    size_t tsize = TA_KEYS_MAX * 128;
    char *text = calloc(1, tsize), line[160], kid[TA_KID_MAX + 1];
    ta_keyset *ks;
    json_t *j;
    char *got;

    (void)state;
    assert_non_null(text);
    for (int i = 0; i < TA_KEYS_MAX; i++) {
        snprintf(kid, sizeof(kid), "%064d", i);
        ut_eddsa_line(kid, i, line, sizeof(line));
        strcat(text, line);
    }
    ks = ut_keyset_parse_mode(text, TA_KEYS_PUBLIC);
    got = jwks_of(ks);
    j = json_loads(got, JSON_REJECT_DUPLICATES, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "keys")), TA_KEYS_MAX);
    json_decref(j);
    free(got);
    free(text);
    ta_keyset_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwks_lists_eddsa_keys_exactly_in_file_order),
        cmocka_unit_test(test_jwks_of_hs256_only_or_no_keys_is_empty),
        cmocka_unit_test(test_jwks_x_of_the_rfc8037_key),
        cmocka_unit_test(test_jwks_never_holds_a_secret),
        cmocka_unit_test(test_jwks_same_from_private_and_public_key_sets),
        cmocka_unit_test(test_jwks_is_a_jwk_set),
        cmocka_unit_test(test_jwks_refuses_a_buffer_one_byte_short),
        cmocka_unit_test(test_jwks_of_the_largest_key_set),
    };

    return cmocka_run_group_tests_name("jwks", tests, NULL, NULL);
}
