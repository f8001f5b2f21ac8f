/* Strict base64url (RFC 4648 §5, no padding): the encoding of every JWS part and key secret. */
#include "unit.h"

/* Decode s (its strlen) and expect a refusal. */
static void assert_decode_refused(const char *s)
{
    unsigned char out[256];
    size_t outlen = 12345;

    if (ta_b64url_decode(s, strlen(s), out, sizeof(out), &outlen) != -1)
        fail_msg("\"%s\" was accepted", s);
}

/* Decode s and expect exactly the bytes want[0..n). */
static void assert_decodes_to(const char *s, const void *want, size_t n)
{
    unsigned char out[256];
    size_t outlen = 12345;

    assert_int_equal(ta_b64url_decode(s, strlen(s), out, sizeof(out), &outlen), 0);
    assert_int_equal(outlen, n);
    if (n)
        assert_memory_equal(out, want, n);
}

static void test_b64_encodes_rfc4648_vectors_without_padding(void **state)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[32];

    (void)state;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        size_t n = ta_b64url_encode((const unsigned char *)plain[i], strlen(plain[i]), out);
        assert_string_equal(out, enc[i]);
        assert_int_equal(n, strlen(enc[i]));
    }
}

static void test_b64_decodes_rfc4648_vectors(void **state)
{
    (void)state;
    assert_decodes_to("", "", 0);
    assert_decodes_to("Zg", "f", 1);
    assert_decodes_to("Zm8", "fo", 2);
    assert_decodes_to("Zm9v", "foo", 3);
    assert_decodes_to("Zm9vYg", "foob", 4);
    assert_decodes_to("Zm9vYmE", "fooba", 5);
    assert_decodes_to("Zm9vYmFy", "foobar", 6);
}

static void test_b64_uses_url_alphabet_dash_and_underscore(void **state)
{
    static const unsigned char bytes[] = {0xfb, 0xff};
    char out[8];

    (void)state;
    ta_b64url_encode(bytes, sizeof(bytes), out);
    assert_string_equal(out, "-_8");
    assert_decodes_to("-_8", bytes, sizeof(bytes));
}

/* Every length 0..40 and three byte patterns survive a round trip, with the announced
 * length, inside the announced buffer sizes (exact mallocs, so valgrind sees an overrun). */
static void test_b64_round_trips_lengths_0_to_40(void **state)
{
    (void)state;
    for (int pattern = 0; pattern < 3; pattern++) {
        for (size_t n = 0; n <= 40; n++) {
            unsigned char *in = malloc(n + 1);
            char *enc = malloc(TA_B64URL_BUFSIZE(n));
            unsigned char *dec = malloc(ta_b64url_decoded_max(ta_b64url_encoded_len(n)));
            size_t elen, dlen = 0;

            assert_non_null(in);
            assert_non_null(enc);
            assert_non_null(dec);
            for (size_t i = 0; i < n; i++)
                in[i] = pattern == 0 ? (unsigned char)(i * 53 + 7) : pattern == 1 ? 0xff : 0;
            elen = ta_b64url_encode(in, n, enc);
            assert_int_equal(elen, ta_b64url_encoded_len(n));
            assert_int_equal(strlen(enc), elen);
            assert_null(strpbrk(enc, "=+/"));
            assert_int_equal(ta_b64url_decode(enc, elen, dec, ta_b64url_decoded_max(elen), &dlen),
                             0);
            assert_int_equal(dlen, n);
            if (n)
                assert_memory_equal(dec, in, n);
            free(in);
            free(enc);
            free(dec);
        }
    }
}

/* Long inputs take the heap path of the decoder. */
static void test_b64_round_trips_5000_bytes(void **state)
{
    enum { N = 5000 };
    unsigned char *in = malloc(N), *dec;
    char *enc = malloc(TA_B64URL_BUFSIZE(N));
    size_t elen, dlen = 0;

    (void)state;
    assert_non_null(in);
    assert_non_null(enc);
    for (size_t i = 0; i < N; i++)
        in[i] = (unsigned char)(i * 131 + 17);
    elen = ta_b64url_encode(in, N, enc);
    dec = malloc(ta_b64url_decoded_max(elen));
    assert_non_null(dec);
    assert_int_equal(ta_b64url_decode(enc, elen, dec, ta_b64url_decoded_max(elen), &dlen), 0);
    assert_int_equal(dlen, N);
    assert_memory_equal(dec, in, N);
    free(in);
    free(enc);
    free(dec);
}

static void test_b64_refuses_padding(void **state)
{
    (void)state;
    assert_decode_refused("Zg==");
    assert_decode_refused("Zg=");
    assert_decode_refused("Zm8=");
    assert_decode_refused("Zm9vYmE=");
    assert_decode_refused("====");
}

static void test_b64_refuses_plus(void **state)
{
    (void)state;
    assert_decode_refused("+_8");
    assert_decode_refused("ab+d");
}

static void test_b64_refuses_slash(void **state)
{
    (void)state;
    assert_decode_refused("-/8");
    assert_decode_refused("ab/d");
}

static void test_b64_refuses_whitespace(void **state)
{
    (void)state;
    assert_decode_refused(" Zm9v");
    assert_decode_refused("Zm9v ");
    assert_decode_refused("Zm 9v");
    assert_decode_refused("Zm9v\n");
    assert_decode_refused("Zm\r\n9v");
    assert_decode_refused("Zm9v\t");
}

static void test_b64_refuses_other_characters(void **state)
{
    (void)state;
    assert_decode_refused("Zm9.");
    assert_decode_refused("Zm9v!A");
    assert_decode_refused("Zm\xc3\xa9"); /* four bytes, one a non-ASCII letter */
}

static void test_b64_refuses_embedded_nul(void **state)
{
    unsigned char out[16];
    size_t outlen;

    (void)state;
    assert_int_equal(ta_b64url_decode("Zm\0v", 4, out, sizeof(out), &outlen), -1);
}

static void test_b64_refuses_length_of_one_mod_four(void **state)
{
    (void)state;
    assert_decode_refused("Z");
    assert_decode_refused("Zm9vY");
    assert_decode_refused("Zm9vYmFyZ");
}

/* "Zg" is the only encoding of "f": "Zh" has a nonzero bit that no byte uses. */
static void test_b64_refuses_nonzero_trailing_bits_after_one_byte(void **state)
{
    (void)state;
    assert_decodes_to("Zg", "f", 1);
    assert_decode_refused("Zh");
    assert_decode_refused("Zo");
    assert_decode_refused("Zv");
}

/* "Zm8" is the only encoding of "fo": "Zm9" differs in the two unused low bits. */
static void test_b64_refuses_nonzero_trailing_bits_after_two_bytes(void **state)
{
    (void)state;
    assert_decodes_to("Zm8", "fo", 2);
    assert_decode_refused("Zm9");
    assert_decode_refused("Zm-");
    assert_decode_refused("Zm_");
}

/* The decoder never writes past the capacity it is given, whatever the input length. */
static void test_b64_decode_refused_when_output_too_small(void **state)
{
    unsigned char out[8];
    size_t outlen = 0;

    (void)state;
    /* "Zm9vYmFy" decodes to 6 bytes, but decoding may need up to 9 bytes of room */
    assert_int_equal(ta_b64url_decode("Zm9vYmFy", 8, out, 5, &outlen), -1);
    assert_int_equal(ta_b64url_decode("Zm9vYmFyZm9vYmFyZm9v", 20, out, sizeof(out), &outlen), -1);
    assert_int_equal(ta_b64url_decode("Zm9v", 4, out, sizeof(out), &outlen), 0);
    assert_int_equal(outlen, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_decode_refused_when_output_too_small),
        cmocka_unit_test(test_b64_encodes_rfc4648_vectors_without_padding),
        cmocka_unit_test(test_b64_decodes_rfc4648_vectors),
        cmocka_unit_test(test_b64_uses_url_alphabet_dash_and_underscore),
        cmocka_unit_test(test_b64_round_trips_lengths_0_to_40),
        cmocka_unit_test(test_b64_round_trips_5000_bytes),
        cmocka_unit_test(test_b64_refuses_padding),
        cmocka_unit_test(test_b64_refuses_plus),
        cmocka_unit_test(test_b64_refuses_slash),
        cmocka_unit_test(test_b64_refuses_whitespace),
        cmocka_unit_test(test_b64_refuses_other_characters),
        cmocka_unit_test(test_b64_refuses_embedded_nul),
        cmocka_unit_test(test_b64_refuses_length_of_one_mod_four),
        cmocka_unit_test(test_b64_refuses_nonzero_trailing_bits_after_one_byte),
        cmocka_unit_test(test_b64_refuses_nonzero_trailing_bits_after_two_bytes),
    };

    return cmocka_run_group_tests_name("b64", tests, NULL, NULL);
}
