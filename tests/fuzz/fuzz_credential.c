/* libFuzzer target: token sources (ta_cred_query, ta_cred_cookie, ta_cred_bearer) and the
 * query redaction that keeps tokens out of logs (SPEC §5, TokenAuthRedact).
 *
 * Input: bit 0 of the first byte set means the parameter/cookie name is taken from the input
 * (up to the first '\n', at most 64 bytes); otherwise the default names "token" and
 * "tokenauth" are used. The rest, as a NUL-terminated string, is the query string, the Cookie
 * header and the Authorization header.
 *
 * Invariants: a found value lies inside the input and belongs to an item of that name; the
 * redacted query fits ta_query_redact_bufsize exactly as allocated, equals the input when
 * nothing was redacted, keeps every separator, no longer yields the original value, and
 * redacting it again changes nothing; a Cookie header stripped of our cookies names none of
 * them and strips to itself. */
#include "fuzz.h"
#include "ta_credential.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 64

static int inside(const char *s, const char *val, size_t vlen)
{
    size_t n = strlen(s);

    return val >= s && val <= s + n && vlen <= (size_t)(s + n - val);
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == c;
    return n;
}

/* The raw query items called name. */
static size_t count_named(const char *q, const char *name)
{
    size_t want = strlen(name), n = 0;

    for (const char *p = q;;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;

        n += want && nlen == want && memcmp(p, name, want) == 0;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return n;
}

/* Redact q into a heap buffer of exactly ta_query_redact_bufsize bytes (ASan sees any
 * overflow). */
static char *redact(const char *q, const char *name, size_t *count)
{
    size_t bufsize = ta_query_redact_bufsize(q);
    char *out = malloc(bufsize);

    CHECK(out != NULL);
    *count = ta_query_redact(q, name, out);
    CHECK(strlen(out) < bufsize);
    return out;
}

static void fuzz_query(const char *q, const char *name)
{
    const char *val = NULL, *v2 = NULL;
    size_t vlen = 0, v2len = 0, count, count2, named = count_named(q, name);
    ta_cred_result r = ta_cred_query(q, name, &val, &vlen), r2;
    int had_eq = 0;
    char *out, *out2;

    CHECK(r == (named == 0 ? TA_CRED_NONE : named == 1 ? TA_CRED_ONE : TA_CRED_REPEATED));
    if (r == TA_CRED_ONE) {
        size_t nlen = strlen(name);

        CHECK(inside(q, val, vlen));
        CHECK(memchr(val, '&', vlen) == NULL);
        CHECK(val[vlen] == '\0' || val[vlen] == '&');
        had_eq = val > q && val[-1] == '=';
        if (had_eq) {
            const char *item = val - 1 - nlen;
            CHECK(item >= q && memcmp(item, name, nlen) == 0);
            CHECK(item == q || item[-1] == '&');
        }
        else {
            CHECK(vlen == 0);
        }
    }

    out = redact(q, name, &count);
    CHECK(count <= named);
    if (count == 0)
        CHECK(strcmp(out, q) == 0);
    else
        CHECK(strlen(out) <= strlen(q) + count * 8);
    CHECK(count_char(out, '&') == count_char(q, '&'));
    if (r == TA_CRED_ONE)
        CHECK(count == (size_t)had_eq);

    /* The redacted query holds the same items; a redacted value reads "REDACTED". */
    r2 = ta_cred_query(out, name, &v2, &v2len);
    CHECK(r2 == r);
    if (r == TA_CRED_ONE && had_eq)
        CHECK(v2len == 8 && memcmp(v2, "REDACTED", 8) == 0);

    /* Idempotent: a second pass finds the same parameters and changes nothing. */
    out2 = redact(out, name, &count2);
    CHECK(count2 == count);
    CHECK(strcmp(out2, out) == 0);
    free(out2);
    free(out);
}

/* Stripping: what is left names none of the stripped cookies, equals the input when nothing
 * was removed, never grows, and stripping it again changes nothing. */
static void fuzz_strip(const char *h, const char *name)
{
    const char *names[2] = {name, "__Host-tokenauth"};
    const char *val;
    size_t vlen, removed, again;
    char *out = malloc(strlen(h) + 1), *out2;

    CHECK(out != NULL);
    removed = ta_cookie_strip(h, names, 2, out);
    CHECK(strlen(out) <= strlen(h));
    if (removed == 0)
        CHECK(strcmp(out, h) == 0);
    for (size_t i = 0; i < 2; i++)
        if (*names[i])
            CHECK(ta_cred_cookie(out, names[i], &val, &vlen) == TA_CRED_NONE);
    out2 = malloc(strlen(out) + 1);
    CHECK(out2 != NULL);
    again = ta_cookie_strip(out, names, 2, out2);
    CHECK(again == 0 && strcmp(out, out2) == 0);
    free(out2);
    free(out);
}

static void fuzz_cookie(const char *h, const char *name)
{
    const char *val = NULL;
    size_t vlen = 0;
    ta_cred_result r = ta_cred_cookie(h, name, &val, &vlen);

    CHECK(r == TA_CRED_NONE || r == TA_CRED_ONE || r == TA_CRED_REPEATED);
    if (r != TA_CRED_ONE)
        return;
    CHECK(inside(h, val, vlen));
    CHECK(memchr(val, ';', vlen) == NULL && memchr(val, ',', vlen) == NULL);
    if (vlen)
        CHECK(val[0] != ' ' && val[0] != '\t' && val[vlen - 1] != ' ' && val[vlen - 1] != '\t');
}

static void fuzz_bearer(const char *h)
{
    const char *val = NULL, *p = h;
    size_t vlen = 0;
    ta_cred_result r = ta_cred_bearer(h, &val, &vlen);

    while (*p == ' ' || *p == '\t')
        p++;
    /* A merged list (a comma) that names Bearer anywhere is refused as repeated. */
    if (strchr(h, ',') && strcasestr(h, "bearer"))
        CHECK(r == TA_CRED_REPEATED);
    else if (strncasecmp(p, "bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        CHECK(r == TA_CRED_NONE);
    if (r != TA_CRED_ONE)
        return;
    CHECK(inside(h, val, vlen));
    CHECK(val >= p + 7);
    for (size_t i = 0; i < vlen; i++)
        CHECK(val[i] != ' ' && val[i] != '\t' && val[i] != ',');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[NAME_MAX_LEN + 1] = "";
    const uint8_t *rest;
    size_t rlen;
    char *s;

    if (size == 0)
        return 0;
    rest = data + 1;
    rlen = size - 1;
    if (data[0] & 1) {
        const uint8_t *nl = memchr(rest, '\n', rlen < NAME_MAX_LEN ? rlen : NAME_MAX_LEN);
        size_t nlen = nl ? (size_t)(nl - rest) : 0;

        memcpy(name, rest, nlen);
        name[nlen] = '\0'; /* an embedded NUL just shortens the name */
        if (nl) {
            rlen -= nlen + 1;
            rest = nl + 1;
        }
    }
    s = malloc(rlen + 1);
    CHECK(s != NULL);
    memcpy(s, rest, rlen);
    s[rlen] = '\0';

    fuzz_query(s, (data[0] & 1) ? name : "token");
    fuzz_cookie(s, (data[0] & 1) ? name : "tokenauth");
    fuzz_strip(s, (data[0] & 1) ? name : "tokenauth");
    fuzz_bearer(s);
    free(s);
    return 0;
}
