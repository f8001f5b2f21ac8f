/* libFuzzer target: ta_keys_parse, the key file parser (SPEC §2, TokenAuthKeyFile).
 *
 * Invariants: a parse either fails with a status the parser may return and a one-line
 * message, leaving *out NULL, or succeeds with 1..TA_KEYS_MAX keys whose KIDs are valid,
 * distinct and found again by ta_keyset_find, and whose MACs work and are deterministic.
 * (MACs of different keys are not compared: two KIDs may share a secret.) */
#include "fuzz.h"
#include "ta_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 128

static void check_keyset(const ta_keyset *ks)
{
    size_t n = ta_keyset_count(ks);
    static const char msg[] = "header.payload";

    CHECK(n > 0 && n <= TA_KEYS_MAX);
    CHECK(ta_keyset_at(ks, n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const ta_key *k = ta_keyset_at(ks, i);
        const char *kid;
        unsigned char m1[TA_MAC_LEN], m2[TA_MAC_LEN];

        CHECK(k != NULL);
        kid = ta_key_kid(k);
        CHECK(ta_kid_valid(kid, strlen(kid)));
        CHECK(ta_keyset_find(ks, kid, strlen(kid)) == k); /* also: KIDs are distinct */
        CHECK(ta_key_mac(k, msg, sizeof(msg) - 1, m1) == 0);
        CHECK(ta_key_mac(k, msg, sizeof(msg) - 1, m2) == 0);
        CHECK(memcmp(m1, m2, TA_MAC_LEN) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly size bytes on the heap, unterminated: the parser must respect len. */
    char *buf = malloc(size ? size : 1);
    char *err = malloc(ERRLEN);
    ta_keyset *ks = (ta_keyset *)1;
    ta_keys_status st;

    CHECK(buf != NULL && err != NULL);
    memcpy(buf, data, size);
    err[0] = '\0';
    st = ta_keys_parse(buf, size, &ks, err, ERRLEN);
    CHECK(strcmp(ta_keys_status_name(st), "unknown") != 0);
    if (st == TA_KEYS_OK) {
        CHECK(ks != NULL);
        check_keyset(ks);
    }
    else {
        CHECK(ks == NULL);
        CHECK(st != TA_KEYS_OPEN_FAILED && st != TA_KEYS_NOT_REGULAR &&
              st != TA_KEYS_INSECURE_MODE && st != TA_KEYS_NOT_ROOT_OWNED);
        CHECK(err[0] != '\0' && memchr(err, '\0', ERRLEN) != NULL);
        CHECK(strchr(err, '\n') == NULL); /* one line */
    }
    ta_keyset_free(ks);
    free(err);
    free(buf);
    return 0;
}
