/* Micro-benchmark of the token core: ta_token_verify and ta_token_issue in ns per token, HS256
 * against EdDSA, the per-child token cache (mod_tokenauth/ta_tokencache.c) that spares a
 * repeated token its signature check, and where verify spends its time (base64url, the two
 * JSON parses, the HMAC), with a few alternatives measured beside the current code so a change
 * to src/ can be judged by numbers.
 *
 *   build/bench/bench_verify [N]     N operations per run (default 20000), median of RUNS runs
 *
 * The access checker verifies a token on every request, so the target is a verify median
 * under 2 µs on the reference machine (2 cores). The program reports, it does not fail. */
#include "ta_b64.h"
#include "ta_jobject.h"
#include "ta_keys.h"
#include "ta_token.h"
#include "ta_tokencache.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define RUNS 9
#define DEFAULT_N 20000
#define TARGET_NS 2000.0
#define ISSUER "tokenauth"

/* Benchmark keys only. */
static const char KEY_FILE[] = "bench-2 EIwD25eDB7f5CNCt1A7y7yrlc3qMmWWSGk1AoY2hTXQ\n"
                               "bench-1 vyS0vUaRitfmvQIQ651HSi2g7R3GzoM6d6XLtNz5VsM\n";

/* An EdDSA key (the RFC 8037 Appendix A seed), loaded as the helper (to sign) and as Apache
 * (public key only) load it. */
static const char ED_KEY_FILE[] = "bench-ed EdDSA nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n";

static ta_keyset *keys, *ed_keys, *ed_public;
static long long now;
static char ed_tok[TA_TOKEN_MAX_LEN + 1];
static size_t n_ops = DEFAULT_N;
static volatile size_t sink; /* keeps results alive so nothing is optimised away */

static char session_tok[TA_TOKEN_MAX_LEN + 1], url_tok[TA_TOKEN_MAX_LEN + 1];
static ta_claims session_claims, url_claims;

/* The session token cut into its parts, for the split measurements. */
static struct {
    const char *h, *p, *s;
    size_t hlen, plen, slen;
    unsigned char hjson[512], pjson[1024];
    size_t hjlen, pjlen;
} parts;

/* Raw key bytes for the alternative HMAC implementations (not used by the core paths). */
static unsigned char secret[64];
static size_t secret_len;

static double clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Wall-clock (CLOCK_MONOTONIC) statistics, and the median of this thread's CPU time, which
 * shows how much a busy machine inflated the wall-clock numbers. */
typedef struct {
    double median, min, max, cpu;
} result;

/* Run fn n_ops times per run, RUNS runs after a warm-up; ns per operation. */
static result measure(void (*fn)(void))
{
    double t[RUNS], c[RUNS];
    result r;

    for (size_t i = 0; i < n_ops / 4 + 1; i++)
        fn();
    for (int run = 0; run < RUNS; run++) {
        double t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < n_ops; i++)
            fn();
        c[run] = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)n_ops;
        t[run] = (clock_ns(CLOCK_MONOTONIC) - t0) / (double)n_ops;
    }
    qsort(t, RUNS, sizeof(t[0]), cmp_double);
    qsort(c, RUNS, sizeof(c[0]), cmp_double);
    r.median = t[RUNS / 2];
    r.min = t[0];
    r.max = t[RUNS - 1];
    r.cpu = c[RUNS / 2];
    return r;
}

static void row(const char *what, result r)
{
    printf("  %-52s %8.0f %8.0f %8.0f %8.0f\n", what, r.median, r.min, r.max, r.cpu);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_verify: %s\n", what);
    exit(1);
}

/* --- the operations ------------------------------------------------------------------- */

static void op_verify_session(void)
{
    ta_claims c;

    if (ta_token_verify(keys, ISSUER, session_tok, strlen(session_tok), now, &c) != TA_TOKEN_OK)
        die("session token refused");
    sink += c.uid;
}

static void op_verify_url(void)
{
    ta_claims c;

    if (ta_token_verify(keys, ISSUER, url_tok, strlen(url_tok), now, &c) != TA_TOKEN_OK)
        die("url token refused");
    sink += c.uid;
}

static void op_issue_session(void)
{
    char tok[TA_TOKEN_MAX_LEN + 1];

    if (ta_token_issue(keys, ISSUER, &session_claims, tok, sizeof(tok)) != TA_TOKEN_OK)
        die("issue failed");
    sink += (unsigned char)tok[100];
}

static void op_issue_url(void)
{
    char tok[TA_TOKEN_MAX_LEN + 1];

    if (ta_token_issue(keys, ISSUER, &url_claims, tok, sizeof(tok)) != TA_TOKEN_OK)
        die("issue failed");
    sink += (unsigned char)tok[100];
}

static void op_b64_header(void)
{
    unsigned char buf[512];
    size_t n;

    if (ta_b64url_decode(parts.h, parts.hlen, buf, sizeof(buf), &n) != 0)
        die("decode");
    sink += n;
}

static void op_b64_payload(void)
{
    unsigned char buf[1024];
    size_t n;

    if (ta_b64url_decode(parts.p, parts.plen, buf, sizeof(buf), &n) != 0)
        die("decode");
    sink += n;
}

static void op_b64_signature(void)
{
    unsigned char buf[64];
    size_t n;

    if (ta_b64url_decode(parts.s, parts.slen, buf, sizeof(buf), &n) != 0)
        die("decode");
    sink += n;
}

static void parse_json(const unsigned char *buf, size_t n)
{
    json_t *o = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);

    if (o == NULL)
        die("json");
    sink += json_object_size(o);
    json_decref(o);
}

static void op_json_header(void)
{
    parse_json(parts.hjson, parts.hjlen);
}

static void op_json_payload(void)
{
    parse_json(parts.pjson, parts.pjlen);
}

/* What verify does with the claims of our own tokens: the exact JSON path (ta_jobject), with
 * no jansson and no header parse (our header is recognised byte for byte). */
static void op_exact_payload(void)
{
    ta_jobject o;

    if (ta_jobject_parse((const char *)parts.pjson, parts.pjlen, &o) != 0 || o.owner != NULL)
        die("exact path");
    sink += o.n;
    ta_jobject_release(&o);
}

static void op_exact_lookups(void)
{
    static const char *const pk[] = {"iss", "sub", "uid",  "iat",  "exp",
                                     "nbf", "jti", "kind", "scope"};
    static ta_jobject o;
    static int parsed;

    if (!parsed &&
        (parsed = ta_jobject_parse_fast((const char *)parts.pjson, parts.pjlen, &o)) != 1)
        die("exact path");
    for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++)
        sink += ta_jobject_get(&o, pk[i]) != NULL;
}

/* What verify asked of jansson's objects before the exact path: 4 header and 9 claim
 * lookups. */
static json_t *hdr_obj, *pay_obj;
static void op_json_lookups(void)
{
    static const char *const hk[] = {"alg", "typ", "crit", "kid"};
    static const char *const pk[] = {"iss", "sub", "uid",  "iat",  "exp",
                                     "nbf", "jti", "kind", "scope"};

    for (size_t i = 0; i < sizeof(hk) / sizeof(hk[0]); i++)
        sink += json_object_get(hdr_obj, hk[i]) != NULL;
    for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++)
        sink += json_object_get(pay_obj, pk[i]) != NULL;
}

static void op_mac(void)
{
    unsigned char mac[TA_MAC_LEN];

    if (ta_key_mac(ta_keyset_at(keys, 0), session_tok, parts.hlen + 1 + parts.plen, mac) != 0)
        die("mac");
    sink += mac[0];
}

/* --- EdDSA and the token cache ---------------------------------------------------------- */

static void op_verify_eddsa_session(void)
{
    ta_claims c;

    if (ta_token_verify(ed_public, ISSUER, ed_tok, strlen(ed_tok), now, &c) != TA_TOKEN_OK)
        die("EdDSA token refused");
    sink += c.uid;
}

static void op_issue_eddsa_session(void)
{
    char tok[TA_TOKEN_MAX_LEN + 1];

    if (ta_token_issue(ed_keys, ISSUER, &session_claims, tok, sizeof(tok)) != TA_TOKEN_OK)
        die("EdDSA issue failed");
    sink += (unsigned char)tok[100];
}

/* The Ed25519 check alone (ta_key_verify), without base64url or JSON. */
static unsigned char ed_sig[TA_SIG_MAX + 3];
static size_t ed_siglen, ed_input_len;
static void op_ed25519_verify(void)
{
    if (ta_key_verify(ta_keyset_at(ed_public, 0), ed_tok, ed_input_len, ed_sig, ed_siglen) != 1)
        die("Ed25519 verify");
    sink += ed_siglen;
}

/* What the access checker does per request: a cache lookup, and on a miss verify and store. */
static void cached_verify(const ta_keyset *ks, const char *tok)
{
    ta_claims c;
    size_t len = strlen(tok);

    if (!ta_tokencache_get(ks, ISSUER, tok, len, now, &c)) {
        if (ta_token_verify(ks, ISSUER, tok, len, now, &c) != TA_TOKEN_OK)
            die("cached verify");
        ta_tokencache_put(ks, ISSUER, tok, len, now, &c);
    }
    sink += c.uid;
}

static void op_cache_hit_hs256(void)
{
    cached_verify(keys, session_tok);
}

static void op_cache_hit_eddsa(void)
{
    cached_verify(ed_public, ed_tok);
}

/* A lookup that misses (a token never stored): the SHA-256 and the set search alone. */
static void op_cache_miss(void)
{
    ta_claims c;

    if (ta_tokencache_get(keys, ISSUER, url_tok, strlen(url_tok), now, &c))
        die("unexpected hit");
    sink += 1;
}

/* --- alternatives, to size what a change in src/ would buy ----------------------------- */

/* One keyed EVP_MAC_CTX re-initialised with a NULL key (OpenSSL keeps the key) instead of
 * duplicating the template context for every MAC. Would need one context per thread. */
static EVP_MAC_CTX *reuse_ctx;
static void op_mac_reuse(void)
{
    unsigned char mac[TA_MAC_LEN];
    size_t outl;

    if (!EVP_MAC_init(reuse_ctx, NULL, 0, NULL) ||
        !EVP_MAC_update(reuse_ctx, (const unsigned char *)session_tok,
                        parts.hlen + 1 + parts.plen) ||
        !EVP_MAC_final(reuse_ctx, mac, &outl, sizeof(mac)))
        die("mac reuse");
    sink += mac[0];
}

/* HMAC from precomputed inner and outer SHA-256 states (RFC 2104: the key only enters
 * through the first block of each hash), copied per MAC with EVP_MD_CTX_copy_ex. */
static EVP_MD_CTX *inner0, *outer0, *work;
static void hmac_pads_setup(void)
{
    unsigned char k[64] = {0}, pad[64];
    const EVP_MD *md = EVP_sha256();

    if (secret_len > 64)
        die("bench secret longer than a block");
    memcpy(k, secret, secret_len);
    inner0 = EVP_MD_CTX_new();
    outer0 = EVP_MD_CTX_new();
    work = EVP_MD_CTX_new();
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    if (!EVP_DigestInit_ex(inner0, md, NULL) || !EVP_DigestUpdate(inner0, pad, 64))
        die("pads");
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    if (!EVP_DigestInit_ex(outer0, md, NULL) || !EVP_DigestUpdate(outer0, pad, 64))
        die("pads");
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
}

static void mac_pads(const void *data, size_t len, unsigned char *mac)
{
    unsigned char ih[32];
    unsigned int n;

    if (!EVP_MD_CTX_copy_ex(work, inner0) || !EVP_DigestUpdate(work, data, len) ||
        !EVP_DigestFinal_ex(work, ih, &n) || !EVP_MD_CTX_copy_ex(work, outer0) ||
        !EVP_DigestUpdate(work, ih, sizeof(ih)) || !EVP_DigestFinal_ex(work, mac, &n))
        die("mac pads");
}

static void op_mac_pads(void)
{
    unsigned char mac[TA_MAC_LEN];

    mac_pads(session_tok, parts.hlen + 1 + parts.plen, mac);
    sink += mac[0];
}

/* A table-driven strict base64url decoder (no copy into a padded buffer, no EVP call). */
static signed char b64val[256];
static void b64_table_setup(void)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    memset(b64val, -1, sizeof(b64val));
    for (int i = 0; i < 64; i++)
        b64val[(unsigned char)alpha[i]] = (signed char)i;
}

static int b64_table_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
    size_t o = 0, i = 0;
    unsigned acc = 0;
    int bits = 0;

    if (n % 4 == 1)
        return -1;
    for (; i < n; i++) {
        int v = b64val[(unsigned char)in[i]];
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1))
        return -1; /* unused tail bits must be zero */
    *outlen = o;
    return 0;
}

static void op_b64_table_payload(void)
{
    unsigned char buf[1024];
    size_t n;

    if (b64_table_decode(parts.p, parts.plen, buf, &n) != 0)
        die("table decode");
    sink += n;
}

/* --- set-up --------------------------------------------------------------------------- */

static void split_token(void)
{
    const char *d1 = strchr(session_tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;

    if (d2 == NULL)
        die("token shape");
    parts.h = session_tok;
    parts.hlen = (size_t)(d1 - session_tok);
    parts.p = d1 + 1;
    parts.plen = (size_t)(d2 - parts.p);
    parts.s = d2 + 1;
    parts.slen = strlen(parts.s);
    if (ta_b64url_decode(parts.h, parts.hlen, parts.hjson, sizeof(parts.hjson), &parts.hjlen) !=
            0 ||
        ta_b64url_decode(parts.p, parts.plen, parts.pjson, sizeof(parts.pjson), &parts.pjlen) != 0)
        die("token parts");
    hdr_obj = json_loadb((const char *)parts.hjson, parts.hjlen, 0, NULL);
    pay_obj = json_loadb((const char *)parts.pjson, parts.pjlen, 0, NULL);
    if (hdr_obj == NULL || pay_obj == NULL)
        die("token json");
}

/* An EdDSA session token, and its signing input and raw signature for the split measure. */
static void setup_eddsa(void)
{
    const char *dot;

    if (ta_token_issue(ed_keys, ISSUER, &session_claims, ed_tok, sizeof(ed_tok)) != TA_TOKEN_OK)
        die("EdDSA issue");
    dot = strrchr(ed_tok, '.');
    ed_input_len = (size_t)(dot - ed_tok);
    if (ta_b64url_decode(dot + 1, strlen(dot + 1), ed_sig, sizeof(ed_sig), &ed_siglen) != 0)
        die("EdDSA signature");
}

static void setup(void)
{
    char err[256];
    const char *sp = strchr(KEY_FILE, ' ') + 1;
    unsigned char mac_a[TA_MAC_LEN], mac_b[TA_MAC_LEN], mac_c[TA_MAC_LEN];
    OSSL_PARAM params[2];
    EVP_MAC *m;

    if (ta_keys_parse(KEY_FILE, strlen(KEY_FILE), TA_KEYS_PUBLIC, &keys, err, sizeof(err)) !=
            TA_KEYS_OK ||
        ta_keys_parse(ED_KEY_FILE, strlen(ED_KEY_FILE), TA_KEYS_PRIVATE, &ed_keys, err,
                      sizeof(err)) != TA_KEYS_OK ||
        ta_keys_parse(ED_KEY_FILE, strlen(ED_KEY_FILE), TA_KEYS_PUBLIC, &ed_public, err,
                      sizeof(err)) != TA_KEYS_OK)
        die(err);
    if (ta_b64url_decode(sp, strcspn(sp, "\n"), secret, sizeof(secret), &secret_len) != 0)
        die("bench secret");
    now = (long long)time(NULL);

    /* A login token and a minted url token as the module issues them. */
    strcpy(session_claims.sub, "alice.smith");
    session_claims.uid = 1000;
    session_claims.iat = now;
    session_claims.exp = now + 86400;
    session_claims.kind = TA_KIND_SESSION;
    if (ta_token_new_jti(session_claims.jti) != 0)
        die("jti");
    url_claims = session_claims;
    url_claims.exp = now + 300;
    url_claims.kind = TA_KIND_URL;
    strcpy(url_claims.scope, "/files/photos/2024/");
    if (ta_token_new_jti(url_claims.jti) != 0)
        die("jti");
    if (ta_token_issue(keys, ISSUER, &session_claims, session_tok, sizeof(session_tok)) !=
            TA_TOKEN_OK ||
        ta_token_issue(keys, ISSUER, &url_claims, url_tok, sizeof(url_tok)) != TA_TOKEN_OK)
        die("issue");
    split_token();
    setup_eddsa();

    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    reuse_ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    EVP_MAC_free(m);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (reuse_ctx == NULL || !EVP_MAC_init(reuse_ctx, secret, secret_len, params))
        die("hmac ctx");
    hmac_pads_setup();
    b64_table_setup();

    /* The alternatives must compute the same MAC as the core, or their numbers mean nothing. */
    ta_key_mac(ta_keyset_at(keys, 0), session_tok, parts.hlen + 1 + parts.plen, mac_a);
    op_mac_reuse(); /* twice: the second run proves the re-init keeps the key */
    {
        size_t outl;
        if (!EVP_MAC_init(reuse_ctx, NULL, 0, NULL) ||
            !EVP_MAC_update(reuse_ctx, (const unsigned char *)session_tok,
                            parts.hlen + 1 + parts.plen) ||
            !EVP_MAC_final(reuse_ctx, mac_b, &outl, sizeof(mac_b)))
            die("mac reuse");
    }
    mac_pads(session_tok, parts.hlen + 1 + parts.plen, mac_c);
    if (memcmp(mac_a, mac_b, TA_MAC_LEN) != 0 || memcmp(mac_a, mac_c, TA_MAC_LEN) != 0)
        die("alternative HMACs disagree with ta_key_mac");
    {
        unsigned char x[1024], y[1024];
        size_t xn, yn;
        if (b64_table_decode(parts.p, parts.plen, x, &xn) != 0 ||
            ta_b64url_decode(parts.p, parts.plen, y, sizeof(y), &yn) != 0 || xn != yn ||
            memcmp(x, y, xn) != 0)
            die("table decoder disagrees with ta_b64url_decode");
    }
}

static void pin_cpu(void)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(0, &set);
    (void)sched_setaffinity(0, sizeof(set), &set); /* less noise; fine if refused */
}

int main(int argc, char **argv)
{
    result vs, vu, ve, ch, ce, parts_r[7];
    double sum = 0;

    if (argc > 1 && (n_ops = strtoul(argv[1], NULL, 10)) == 0)
        die("usage: bench_verify [N]");
    pin_cpu();
    setup();

    printf("token core micro-benchmark: %s, N=%zu per run, median of %d runs\n",
           OpenSSL_version(OPENSSL_VERSION), n_ops, RUNS);
    printf("session token %zu bytes (header %zu, payload %zu, sig %zu); url token %zu bytes\n\n",
           strlen(session_tok), parts.hlen, parts.plen, parts.slen, strlen(url_tok));
    printf("  %-52s %8s %8s %8s %8s\n", "operation (ns per op)", "median", "min", "max", "cpu");

    vs = measure(op_verify_session);
    row("ta_token_verify, session token", vs);
    vu = measure(op_verify_url);
    row("ta_token_verify, url token (scope /files/photos/2024/)", vu);
    row("ta_token_issue, session token", measure(op_issue_session));
    row("ta_token_issue, url token", measure(op_issue_url));

    printf("\n  HS256 against EdDSA, and the per-child token cache (access checker path):\n");
    ve = measure(op_verify_eddsa_session);
    row("ta_token_verify, session token, HS256", vs);
    row("ta_token_verify, session token, EdDSA (public key)", ve);
    row("  of which the Ed25519 check (ta_key_verify)", measure(op_ed25519_verify));
    row("ta_token_issue, session token, EdDSA", measure(op_issue_eddsa_session));
    row("cache miss (SHA-256 + set lookup)", measure(op_cache_miss));
    ch = measure(op_cache_hit_hs256);
    row("cache hit, HS256 token (lookup + claims copy)", ch);
    ce = measure(op_cache_hit_eddsa);
    row("cache hit, EdDSA token (lookup + claims copy)", ce);

    printf("\n  where verify (session, HS256) spends its time:\n");
    parts_r[0] = measure(op_b64_signature);
    parts_r[1] = measure(op_mac);
    parts_r[2] = measure(op_b64_payload);
    parts_r[3] = measure(op_exact_payload);
    parts_r[4] = measure(op_exact_lookups);
    row("base64url decode signature", parts_r[0]);
    row("HMAC-SHA256 of header.payload (ta_key_mac)", parts_r[1]);
    row("base64url decode payload", parts_r[2]);
    row("payload parse, exact path (ta_jobject_parse)", parts_r[3]);
    row("ta_jobject_get x9 (claim lookups)", parts_r[4]);
    for (int i = 0; i < 5; i++)
        sum += parts_r[i].median;
    printf("  %-52s %8.0f  (%.0f%% of verify)\n", "sum of the parts", sum, 100.0 * sum / vs.median);
    printf("  %-52s %8.0f\n", "verify minus the parts (shape, header match, claim checks)",
           vs.median - sum);

    printf("\n  alternatives (not in src/; for sizing a change):\n");
    row("HMAC: current, EVP_MAC_CTX_dup + update + final", parts_r[1]);
    row("HMAC: one keyed EVP_MAC_CTX, EVP_MAC_init(NULL key)", measure(op_mac_reuse));
    row("HMAC: cached ipad/opad SHA-256 states (EVP_MD_CTX)", measure(op_mac_pads));
    row("base64url payload: current (EVP_DecodeBlock + copy)", parts_r[2]);
    row("base64url payload: table decoder", measure(op_b64_table_payload));
    row("header: base64url decode (spared for our own header)", measure(op_b64_header));
    row("header JSON parse + free with jansson (spared)", measure(op_json_header));
    row("payload JSON parse + free with jansson (spared)", measure(op_json_payload));
    row("json_object_get x13 with jansson (spared)", measure(op_json_lookups));

    if (vs.median > 1.15 * vs.cpu)
        printf("\nnote: wall time exceeds CPU time by %.0f%%: the machine was busy, the cpu "
               "column is the better estimate\n",
               100.0 * (vs.median / vs.cpu - 1));
    printf("\nverify median: %.0f ns (target < %.0f ns)%s  [cpu %.0f ns; url token %.0f ns]\n",
           vs.median, TARGET_NS, vs.median < TARGET_NS ? "" : "  ABOVE TARGET", vs.cpu, vu.median);
    printf("EdDSA verify median: %.0f ns (%.0fx HS256); cache hit: %.0f ns HS256, %.0f ns EdDSA "
           "(the target applies to a hit)\n",
           ve.median, ve.median / vs.median, ch.median, ce.median);
    json_decref(hdr_obj);
    json_decref(pay_obj);
    EVP_MAC_CTX_free(reuse_ctx);
    EVP_MD_CTX_free(inner0);
    EVP_MD_CTX_free(outer0);
    EVP_MD_CTX_free(work);
    ta_keyset_free(keys);
    ta_keyset_free(ed_keys);
    ta_keyset_free(ed_public);
    ta_tokencache_clear();
    return 0;
}
