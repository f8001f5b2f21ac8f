/* The core as the privileged helper links it: built with -DTA_NO_JANSSON, linked with
 * libcrypto alone. It must verify every token the normal build issues (both algorithms, every
 * kind, claims that need escapes or UTF-8), with the same claims; and what only jansson can
 * read it must refuse, never misread. The tokens were written at build time by nojansson_gen,
 * which links the normal build. */
#include "unit.h"
#include "ta_jobject.h"

#ifndef TA_NO_JANSSON
#error "test_token_nojansson is built with -DTA_NO_JANSSON"
#endif

typedef struct {
    const char *what, *token, *issuer;
    int normal; /* what the normal build answered */
    const char *kid, *sub;
    unsigned long uid;
    long long iat, exp;
    const char *jti;
    int kind;
    const char *scope;
} nj_entry;

#include "nojansson_tokens.h"

#define N_ENTRIES (sizeof(NJ_TOKENS) / sizeof(NJ_TOKENS[0]))

static ta_keyset *pub, *priv;

static int jansson_only(const nj_entry *e)
{
    return strncmp(e->what, "jansson only", 12) == 0;
}

static ta_token_status verify_entry(const ta_keyset *ks, const nj_entry *e, ta_claims *c)
{
    return ta_token_verify(ks, e->issuer, e->token, strlen(e->token), NJ_NOW, c);
}

static void assert_same_claims(const nj_entry *e, const ta_claims *c)
{
    assert_string_equal(c->kid, e->kid);
    assert_string_equal(c->sub, e->sub);
    assert_int_equal(c->uid, e->uid);
    assert_int_equal(c->iat, e->iat);
    assert_int_equal(c->exp, e->exp);
    assert_string_equal(c->jti, e->jti);
    assert_int_equal(c->kind, e->kind);
    assert_string_equal(c->scope, e->scope);
}

/* Both algorithms and every kind were issued, and some tokens only jansson reads. */
static void test_nojansson_entries_cover_every_kind(void **state)
{
    size_t issued = 0, only = 0;

    (void)state;
    for (size_t i = 0; i < N_ENTRIES; i++) {
        issued += strncmp(NJ_TOKENS[i].what, "issued ", 7) == 0;
        only += jansson_only(&NJ_TOKENS[i]);
    }
    assert_int_equal(issued, 24);
    assert_true(only >= 5);
}

static void test_nojansson_verifies_every_token_we_issue(void **state)
{
    ta_claims c;

    (void)state;
    for (size_t i = 0; i < N_ENTRIES; i++) {
        const nj_entry *e = &NJ_TOKENS[i];
        ta_token_status st;
        if (jansson_only(e))
            continue;
        assert_int_equal(e->normal, TA_TOKEN_OK);
        st = verify_entry(pub, e, &c);
        if (st != TA_TOKEN_OK)
            fail_msg("%s: %s", e->what, ta_token_status_name(st));
        assert_same_claims(e, &c);
        assert_token_status(verify_entry(priv, e, &c), TA_TOKEN_OK);
    }
}

/* The normal build accepted these through jansson; without it they are refused as a whole. */
static void test_nojansson_refuses_what_only_jansson_reads(void **state)
{
    ta_claims c;

    (void)state;
    for (size_t i = 0; i < N_ENTRIES; i++) {
        const nj_entry *e = &NJ_TOKENS[i];
        ta_token_status st;
        if (!jansson_only(e))
            continue;
        assert_int_equal(e->normal, TA_TOKEN_OK);
        st = verify_entry(pub, e, &c);
        if (st != TA_TOKEN_BAD_HEADER && st != TA_TOKEN_BAD_PAYLOAD)
            fail_msg("%s: %s", e->what, ta_token_status_name(st));
        assert_string_equal(c.sub, "");
    }
}

static void test_nojansson_parse_refuses_instead_of_asking_jansson(void **state)
{
    static const char *const only_jansson[] = {"{\"x\":1.5}", "{\"x\":true}", "{\"x\":-1}",
                                               "{\"x\":\"\\u00e9\"}", "{\"x\":[1]}"};
    static const char exact[] = "{\"x\":\"\\u0041\\\"\"}";
    const ta_jfield *x;
    ta_jobject o;

    (void)state;
    for (size_t i = 0; i < sizeof(only_jansson) / sizeof(only_jansson[0]); i++) {
        assert_int_equal(ta_jobject_parse(only_jansson[i], strlen(only_jansson[i]), &o), -1);
        assert_null(o.owner);
        assert_int_equal(o.n, 0);
    }
    assert_int_equal(ta_jobject_parse(exact, strlen(exact), &o), 0);
    x = ta_jobject_get(&o, "x");
    assert_non_null(x);
    assert_int_equal(x->slen, 2);
    assert_memory_equal(x->str, "A\"", 2);
    ta_jobject_release(&o);
}

/* The helper signs with its own build: what it issues, it (and so Apache) verifies. */
static void test_nojansson_issues_what_it_verifies(void **state)
{
    ta_claims in = {.uid = 7, .iat = NJ_NOW, .exp = NJ_NOW + 60, .kind = TA_KIND_SHARE}, out;
    char tok[TA_TOKEN_MAX_LEN + 1];

    (void)state;
    strcpy(in.sub, "o.brien@example.org");
    strcpy(in.scope, "/files/caf\xc3\xa9 \"q\".jpg");
    assert_token_status(ta_token_issue(priv, "iss \x01 \xc3\xa9", &in, tok, sizeof(tok)),
                        TA_TOKEN_OK);
    assert_token_status(ta_token_verify(pub, "iss \x01 \xc3\xa9", tok, strlen(tok), NJ_NOW, &out),
                        TA_TOKEN_OK);
    assert_string_equal(out.kid, "ed");
    assert_string_equal(out.scope, in.scope);
    assert_token_status(ta_token_issue(pub, "tokenauth", &in, tok, sizeof(tok)),
                        TA_TOKEN_NO_SIGNING_KEY);
}

static int setup(void **state)
{
    (void)state;
    pub = ut_keyset_parse_mode(NJ_KEYS, TA_KEYS_PUBLIC);
    priv = ut_keyset_parse_mode(NJ_KEYS, TA_KEYS_PRIVATE);
    return pub && priv ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ta_keyset_free(pub);
    ta_keyset_free(priv);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nojansson_entries_cover_every_kind),
        cmocka_unit_test(test_nojansson_verifies_every_token_we_issue),
        cmocka_unit_test(test_nojansson_refuses_what_only_jansson_reads),
        cmocka_unit_test(test_nojansson_parse_refuses_instead_of_asking_jansson),
        cmocka_unit_test(test_nojansson_issues_what_it_verifies),
    };

    return cmocka_run_group_tests_name("token without jansson", tests, setup, teardown);
}
