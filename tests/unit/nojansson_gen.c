/* Writes the C header test_token_nojansson compiles in: tokens issued (and a few forged) by the
 * normal build, which links jansson, for the helper's build without it to verify. Each entry
 * says what the normal build answered and what the helper's build must answer: the same for
 * everything we issue; a refusal for what only jansson reads (a real, true, \u00e9, ...).
 *
 *   nojansson_gen > nojansson_tokens.h */
#include "ta_b64.h"
#include "ta_keys.h"
#include "ta_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000LL

/* Test keys only: "ed" EdDSA (the RFC 8037 Appendix A seed) and "hs" HS256; each signs in the
 * key set where it comes first. */
static const char ED_LINE[] = "ed EdDSA nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n";
static const char HS_LINE[] = "hs HS256 vyS0vUaRitfmvQIQ651HSi2g7R3GzoM6d6XLtNz5VsM\n";

static const char *const ISSUERS[] = {"tokenauth", "site \"A\" \\ \x01\x1f\x7f caf\xc3\xa9"};
static const char *const SUBS[] = {"alice", "o.brien@example.org"};
static const char *const SCOPES[] = {"/files/",
                                     "/files/a b/caf\xc3\xa9 \"q\" \xf0\x9f\x98\x80.jpg"};

static void die(const char *what)
{
    fprintf(stderr, "nojansson_gen: %s\n", what);
    exit(1);
}

/* s as a C string literal: octal escapes (never more than three digits) for all but a few
 * plain characters. */
static void put_c_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr(" ./_-", *p))
            putchar(*p);
        else
            printf("\\%03o", *p);
    }
    putchar('"');
}

static ta_keyset *keys(const char *first, const char *second)
{
    char text[256], err[256];
    ta_keyset *ks = NULL;

    snprintf(text, sizeof(text), "%s%s", first, second);
    if (ta_keys_parse(text, strlen(text), TA_KEYS_PRIVATE, &ks, err, sizeof(err)) != TA_KEYS_OK)
        die(err);
    return ks;
}

/* One entry: {what, token, issuer, normal status, claims the normal build decoded}. */
static void put_entry(const char *what, const char *tok, const char *issuer, ta_token_status st,
                      const ta_claims *c)
{
    printf("    {");
    put_c_string(what);
    printf(",\n     ");
    put_c_string(tok);
    printf(",\n     ");
    put_c_string(issuer);
    printf(", %d, ", (int)st);
    put_c_string(c->kid);
    printf(", ");
    put_c_string(c->sub);
    printf(", %luUL, %lldLL, %lldLL, ", c->uid, c->iat, c->exp);
    put_c_string(c->jti);
    printf(", %d, ", (int)c->kind);
    put_c_string(c->scope);
    printf("},\n");
}

/* Issue one token with ks and write its entry, as the normal build verifies it. */
static void issued(const ta_keyset *ks, const char *issuer, const char *sub, ta_kind kind,
                   const char *scope)
{
    ta_claims in = {.uid = 23001, .iat = NOW - 5, .exp = NOW + 600, .kind = kind}, out;
    char tok[TA_TOKEN_MAX_LEN + 1], what[128];

    snprintf(in.sub, sizeof(in.sub), "%s", sub);
    snprintf(in.scope, sizeof(in.scope), "%s", scope ? scope : "");
    if (ta_token_issue(ks, issuer, &in, tok, sizeof(tok)) != TA_TOKEN_OK)
        die("issue");
    if (ta_token_verify(ks, issuer, tok, strlen(tok), NOW, &out) != TA_TOKEN_OK)
        die("the normal build refuses its own token");
    snprintf(what, sizeof(what), "issued %s %s", ta_alg_name(ta_keyset_signing_alg(ks)),
             ta_kind_name(kind));
    put_entry(what, tok, issuer, TA_TOKEN_OK, &out);
}

/* A token of header and payload texts signed by the first key of ks, as the normal build
 * verifies it. */
static void forged(const ta_keyset *ks, const char *what, const char *header, const char *payload)
{
    const ta_key *k = ta_keyset_at(ks, 0);
    char tok[TA_TOKEN_MAX_LEN + 1];
    unsigned char sig[TA_SIG_MAX];
    size_t pos, siglen = 0;
    ta_claims out;
    ta_token_status st;

    pos = ta_b64url_encode((const unsigned char *)header, strlen(header), tok);
    tok[pos++] = '.';
    pos += ta_b64url_encode((const unsigned char *)payload, strlen(payload), tok + pos);
    if (ta_key_sign(k, tok, pos, sig, &siglen) != 0)
        die("sign");
    tok[pos++] = '.';
    ta_b64url_encode(sig, siglen, tok + pos);
    st = ta_token_verify(ks, "tokenauth", tok, strlen(tok), NOW, &out);
    put_entry(what, tok, "tokenauth", st, &out);
}

#define CLAIMS(extra)                                                                              \
    "{\"iss\":\"tokenauth\",\"sub\":\"alice\",\"uid\":23001,\"iat\":1699999995,"                   \
    "\"exp\":1700000600,\"jti\":\"AbCdEfGhIjKlMnOpQrSt-_\",\"kind\":\"session\"" extra "}"

/* Forged tokens only jansson reads (the helper must refuse them), and a few the exact path
 * reads too (the helper must accept them). */
static void forged_entries(const ta_keyset *ed)
{
    static const char h[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed\"}";

    forged(ed, "jansson only: header member true",
           "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed\",\"x\":true}", CLAIMS(""));
    forged(ed, "jansson only: a real claim", h, CLAIMS(",\"x\":1.5"));
    forged(ed, "jansson only: a nested claim", h, CLAIMS(",\"x\":{\"y\":[1,2]}"));
    forged(ed, "jansson only: a negative claim", h, CLAIMS(",\"x\":-1"));
    forged(ed, "jansson only: \\u00e9 in a claim", h, CLAIMS(",\"x\":\"caf\\u00e9\""));
    forged(ed, "both: \\u0061 and \\/ escapes", h,
           "{\"iss\":\"tokenauth\",\"sub\":\"\\u0061lice\",\"uid\":23001,\"iat\":1699999995,"
           "\"exp\":1700000600,\"jti\":\"AbCdEfGhIjKlMnOpQrSt-_\",\"kind\":\"url\","
           "\"scope\":\"\\/files\\/\"}");
    forged(ed, "both: another member order and blanks",
           " { \"kid\" : \"ed\" , \"alg\" : \"EdDSA\" } ",
           "{\"kind\":\"session\",\"jti\":\"AbCdEfGhIjKlMnOpQrSt-_\",\"exp\":1700000600,"
           "\"iat\":1699999995,\"uid\":23001,\"sub\":\"alice\",\"iss\":\"tokenauth\"}");
}

int main(void)
{
    ta_keyset *ed = keys(ED_LINE, HS_LINE), *hs = keys(HS_LINE, ED_LINE);
    ta_keyset *sets[] = {ed, hs};

    printf("/* Generated by tests/unit/nojansson_gen.c: do not edit. */\n");
    printf("#define NJ_NOW %lldLL\n", NOW);
    printf("static const char NJ_KEYS[] = ");
    put_c_string(ED_LINE);
    printf(" ");
    put_c_string(HS_LINE);
    printf(";\nstatic const nj_entry NJ_TOKENS[] = {\n");
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < 2; i++)
            for (size_t u = 0; u < 2; u++) {
                issued(sets[s], ISSUERS[i], SUBS[u], TA_KIND_SESSION, NULL);
                issued(sets[s], ISSUERS[i], SUBS[u], TA_KIND_URL, SCOPES[0]);
                issued(sets[s], ISSUERS[i], SUBS[u], TA_KIND_SHARE, SCOPES[1]);
            }
    forged_entries(ed);
    printf("};\n");
    ta_keyset_free(ed);
    ta_keyset_free(hs);
    return 0;
}
