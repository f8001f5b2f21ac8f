/* The JWKS writer. KIDs and base64url need no JSON escaping, so the text is put together
 * directly. */
#include "ta_jwks.h"
#include "ta_b64.h"

#include <stdio.h>
#include <string.h>

#define JWKS_OPEN "{\"keys\":["
#define JWKS_CLOSE "]}"
/* One entry without its x and kid, and the comma before it. */
#define ENTRY_FIXED                                                                                \
    (sizeof(",{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"\",\"kid\":\"\",\"alg\":\"EdDSA\","     \
            "\"use\":\"sig\"}") -                                                                  \
     1)

size_t ta_jwks_size(const ta_keyset *ks)
{
    size_t n = sizeof(JWKS_OPEN) - 1 + sizeof(JWKS_CLOSE) - 1 + 1, entries = 0;

    for (size_t i = 0; i < ta_keyset_count(ks); i++) {
        const ta_key *k = ta_keyset_at(ks, i);
        if (ta_key_alg(k) != TA_ALG_EDDSA)
            continue;
        n += ENTRY_FIXED + ta_b64url_encoded_len(TA_ED25519_PUB_LEN) + strlen(ta_key_kid(k));
        entries++;
    }
    return entries ? n - 1 : n; /* the first entry has no comma before it */
}

/* Append the JWK of one EdDSA key at buf[*pos..cap). */
static int put_jwk(const ta_key *k, int first, char *buf, size_t cap, size_t *pos)
{
    unsigned char pub[TA_ED25519_PUB_LEN];
    char x[TA_B64URL_BUFSIZE(TA_ED25519_PUB_LEN)];
    int n;

    if (ta_key_public(k, pub) != 0)
        return -1;
    ta_b64url_encode(pub, sizeof(pub), x);
    n = snprintf(buf + *pos, cap - *pos,
                 "%s{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\","
                 "\"alg\":\"EdDSA\",\"use\":\"sig\"}",
                 first ? "" : ",", x, ta_key_kid(k));
    if (n < 0 || (size_t)n >= cap - *pos)
        return -1;
    *pos += (size_t)n;
    return 0;
}

int ta_jwks_write(const ta_keyset *ks, char *buf, size_t cap, size_t *len)
{
    size_t pos = sizeof(JWKS_OPEN) - 1;
    int first = 1;

    if (cap < ta_jwks_size(ks))
        return -1;
    memcpy(buf, JWKS_OPEN, pos);
    for (size_t i = 0; i < ta_keyset_count(ks); i++) {
        const ta_key *k = ta_keyset_at(ks, i);
        if (ta_key_alg(k) != TA_ALG_EDDSA)
            continue;
        if (put_jwk(k, first, buf, cap, &pos) != 0)
            return -1;
        first = 0;
    }
    memcpy(buf + pos, JWKS_CLOSE, sizeof(JWKS_CLOSE)); /* with the terminator */
    *len = pos + sizeof(JWKS_CLOSE) - 1;
    return 0;
}
