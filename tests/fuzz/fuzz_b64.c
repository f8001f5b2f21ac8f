/* libFuzzer target: strict base64url (src/core/ta_b64.c), which every token part, signature and
 * key secret goes through before anything else looks at it. Every input is used twice.
 *
 * As text: decoded into a heap buffer of exactly ta_b64url_decoded_max bytes (one byte less is
 * refused). Invariants: the decoder accepts exactly the canonical encodings, as a reference
 * decoder restated here judges them (only A-Z a-z 0-9 - _, a length that is not 1 mod 4, zero
 * unused bits in the last character), and then yields the reference's bytes; so every accepted
 * text is exactly the encoding of what it decoded to (one accepted spelling per byte string).
 *
 * As bytes: encoded into a heap buffer of exactly TA_B64URL_BUFSIZE bytes. Invariants: the text
 * is ta_b64url_encoded_len long, terminated, of the alphabet alone, and decodes back to the
 * bytes. Inputs are read from heap copies of exactly their length, so any over-read is caught. */
#include "fuzz.h"
#include "ta_b64.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int value_of(unsigned char c)
{
    const char *p = c ? strchr(ALPHABET, c) : NULL;

    return p ? (int)(p - ALPHABET) : -1;
}

/* The reference: decode s[0..n) bit by bit into out; the decoded length, or -1 when s is not a
 * canonical encoding. */
static long ref_decode(const char *s, size_t n, unsigned char *out)
{
    unsigned acc = 0, bits = 0;
    size_t o = 0;

    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = value_of((unsigned char)s[i]);

        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return acc == 0 ? (long)o : -1; /* the bits left over must be zero */
}

static void fuzz_text(const uint8_t *data, size_t size)
{
    size_t max = ta_b64url_decoded_max(size), got = 12345;
    char *s = malloc(size ? size : 1);
    unsigned char *out = malloc(max), *ref = malloc(max), *small = malloc(max - 1);
    char *again = malloc(TA_B64URL_BUFSIZE(max));
    long want;
    int rc;

    CHECK(s != NULL && out != NULL && ref != NULL && small != NULL && again != NULL);
    memcpy(s, data, size);
    want = ref_decode(s, size, ref);
    rc = ta_b64url_decode(s, size, out, max, &got);
    CHECK(rc == 0 || rc == -1);
    CHECK((rc == 0) == (want >= 0));
    if (rc == 0) {
        CHECK(got == (size_t)want && got == size * 3 / 4);
        CHECK(memcmp(out, ref, got) == 0);
        CHECK(ta_b64url_encode(out, got, again) == size);
        CHECK(memcmp(again, s, size) == 0 && again[size] == '\0');
    }
    /* a buffer one byte short of the bound is refused before anything is written */
    CHECK(ta_b64url_decode(s, size, small, max - 1, &got) == -1);
    free(again);
    free(small);
    free(ref);
    free(out);
    free(s);
}

static void fuzz_bytes(const uint8_t *data, size_t size)
{
    size_t len = ta_b64url_encoded_len(size), got = 0;
    unsigned char *in = malloc(size ? size : 1), *back = malloc(ta_b64url_decoded_max(len));
    char *text = malloc(TA_B64URL_BUFSIZE(size));

    CHECK(in != NULL && back != NULL && text != NULL);
    memcpy(in, data, size);
    CHECK(ta_b64url_encode(in, size, text) == len);
    CHECK(text[len] == '\0' && strspn(text, ALPHABET) == len);
    CHECK(len % 4 != 1);
    CHECK(ta_b64url_decode(text, len, back, ta_b64url_decoded_max(len), &got) == 0);
    CHECK(got == size && memcmp(back, in, size) == 0);
    free(text);
    free(back);
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_text(data, size);
    fuzz_bytes(data, size);
    return 0;
}
