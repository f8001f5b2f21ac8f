/* Flat JSON objects (the JWS header and claims): the exact fast path for the objects we issue,
 * and jansson deciding whatever the fast path is unsure of; the string writer of our claims,
 * whose every output the fast path reads back. Every input is parsed from a heap
 * copy of exactly its bytes, without a terminator, so that valgrind sees any over-read. */
#include "unit.h"
#include "ta_jobject.h"

/* Our own shapes, as ta_token_issue writes them. */
#define CLAIMS_SESSION                                                                             \
    "{\"iss\":\"tokenauth\",\"sub\":\"alice\",\"uid\":23001,\"iat\":1795790000,"                   \
    "\"exp\":1795876400,\"jti\":\"c07OuyWmph9sekLuoYWBwA\",\"kind\":\"session\"}"
#define CLAIMS_URL                                                                                 \
    "{\"iss\":\"tokenauth\",\"sub\":\"bob\",\"uid\":0,\"iat\":1795790000,\"exp\":1795876400,"      \
    "\"jti\":\"AbCdEfGhIjKlMnOpQrSt-_\",\"kind\":\"url\",\"scope\":\"/files/a b.pdf\"}"
#define HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"

/* --- helpers ---------------------------------------------------------------------------- */

/* A heap copy of s[0..n) without a terminator; free() it after the view is done with. */
static char *exact_copy(const char *s, size_t n)
{
    char *buf = malloc(n ? n : 1);

    assert_non_null(buf);
    memcpy(buf, s, n);
    return buf;
}

/* The fast path must parse s exactly; the view points into the returned copy (free() it). */
static char *fast_ok(const char *s, ta_jobject *o)
{
    char *buf = exact_copy(s, strlen(s));

    if (ta_jobject_parse_fast(buf, strlen(s), o) != 1)
        fail_msg("fast path unsure of %s", s);
    assert_null(o->owner);
    return buf;
}

/* The fast path must be unsure of s[0..n). */
static void assert_fast_unsure_n(const char *s, size_t n)
{
    char *buf = exact_copy(s, n);
    ta_jobject o;

    if (ta_jobject_parse_fast(buf, n, &o) != 0)
        fail_msg("fast path claimed %.*s", (int)n, s);
    free(buf);
}

static void assert_fast_unsure(const char *s)
{
    assert_fast_unsure_n(s, strlen(s));
}

/* ta_jobject_parse must accept s through jansson (the fast path being unsure); release the
 * view and free() the returned copy. */
static char *parse_by_jansson(const char *s, ta_jobject *o)
{
    char *buf = exact_copy(s, strlen(s));

    if (ta_jobject_parse(buf, strlen(s), o) != 0)
        fail_msg("refused %s", s);
    assert_non_null(o->owner);
    return buf;
}

/* ta_jobject_parse must refuse s[0..n) and leave an empty view that owns nothing. */
static void assert_parse_refused_n(const char *s, size_t n)
{
    char *buf = exact_copy(s, n);
    ta_jobject o;

    if (ta_jobject_parse(buf, n, &o) != -1)
        fail_msg("accepted %.*s", (int)n, s);
    assert_int_equal(o.n, 0);
    assert_null(o.owner);
    free(buf);
}

static void assert_parse_refused(const char *s)
{
    assert_parse_refused_n(s, strlen(s));
}

/* Member i is key, a string of exactly want[0..wlen). */
static void assert_string_at(const ta_jobject *o, size_t i, const char *key, const char *want,
                             size_t wlen)
{
    const ta_jfield *f = &o->f[i];

    assert_true(i < o->n);
    assert_int_equal(f->klen, strlen(key));
    assert_memory_equal(f->key, key, f->klen);
    assert_int_equal(f->type, TA_JV_STRING);
    assert_int_equal(f->slen, wlen);
    if (wlen)
        assert_memory_equal(f->str, want, wlen);
    assert_ptr_equal(ta_jobject_get(o, key), f);
}

static void assert_string_member(const ta_jobject *o, size_t i, const char *key, const char *want)
{
    assert_string_at(o, i, key, want, strlen(want));
}

/* Member i is key, an integer of value want. */
static void assert_int_member(const ta_jobject *o, size_t i, const char *key, long long want)
{
    const ta_jfield *f = &o->f[i];

    assert_true(i < o->n);
    assert_int_equal(f->klen, strlen(key));
    assert_memory_equal(f->key, key, f->klen);
    assert_int_equal(f->type, TA_JV_INT);
    if (f->num != want)
        fail_msg("%s is %lld, expected %lld", key, f->num, want);
    assert_ptr_equal(ta_jobject_get(o, key), f);
}

/* The member named key (jansson's order is not the input's) is a string of want[0..wlen). */
static void assert_string_named(const ta_jobject *o, const char *key, const char *want, size_t wlen)
{
    const ta_jfield *f = ta_jobject_get(o, key);

    if (f == NULL)
        fail_msg("no member %s", key);
    assert_int_equal(f->klen, strlen(key));
    assert_int_equal(f->type, TA_JV_STRING);
    assert_int_equal(f->slen, wlen);
    if (wlen)
        assert_memory_equal(f->str, want, wlen);
}

/* The member named key (jansson's order is not the input's) is of type TA_JV_OTHER. */
static void assert_other(const ta_jobject *o, const char *key)
{
    const ta_jfield *f = ta_jobject_get(o, key);

    if (f == NULL)
        fail_msg("no member %s", key);
    assert_int_equal(f->type, TA_JV_OTHER);
}

/* The text of an object of n members "k0":0, "k1":1, ...; free() it. */
static char *object_of(size_t n, const char *extra)
{
    size_t cap = 16 * n + strlen(extra) + 8, len = 0;
    char *s = malloc(cap);

    assert_non_null(s);
    s[len++] = '{';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s\"k%zu\":%zu", i ? "," : "", i, i);
    len += (size_t)snprintf(s + len, cap - len, "%s}", extra);
    assert_true(len < cap);
    return s;
}

/* --- the fast path accepts what we issue -------------------------------------------------- */

static void test_jobject_fast_accepts_issued_session_claims(void **state)
{
    ta_jobject o;
    char *buf = fast_ok(CLAIMS_SESSION, &o);

    (void)state;
    assert_int_equal(o.n, 7);
    assert_string_member(&o, 0, "iss", "tokenauth");
    assert_string_member(&o, 1, "sub", "alice");
    assert_int_member(&o, 2, "uid", 23001);
    assert_int_member(&o, 3, "iat", 1795790000);
    assert_int_member(&o, 4, "exp", 1795876400);
    assert_string_member(&o, 5, "jti", "c07OuyWmph9sekLuoYWBwA");
    assert_string_member(&o, 6, "kind", "session");
    assert_null(ta_jobject_get(&o, "scope"));
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_fast_accepts_issued_scoped_claims(void **state)
{
    ta_jobject o;
    char *buf = fast_ok(CLAIMS_URL, &o);

    (void)state;
    assert_int_equal(o.n, 8);
    assert_string_member(&o, 0, "iss", "tokenauth");
    assert_string_member(&o, 1, "sub", "bob");
    assert_int_member(&o, 2, "uid", 0);
    assert_int_member(&o, 3, "iat", 1795790000);
    assert_int_member(&o, 4, "exp", 1795876400);
    assert_string_member(&o, 5, "jti", "AbCdEfGhIjKlMnOpQrSt-_");
    assert_string_member(&o, 6, "kind", "url");
    assert_string_member(&o, 7, "scope", "/files/a b.pdf");
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_fast_accepts_issued_header(void **state)
{
    ta_jobject o;
    char *buf = fast_ok(HEADER, &o);

    (void)state;
    assert_int_equal(o.n, 3);
    assert_string_member(&o, 0, "alg", "HS256");
    assert_string_member(&o, 1, "typ", "JWT");
    assert_string_member(&o, 2, "kid", "k1");
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_fast_view_points_into_input(void **state)
{
    ta_jobject o;
    char *buf = fast_ok(HEADER, &o);

    (void)state;
    assert_ptr_equal(o.f[0].key, buf + 2);
    assert_ptr_equal(o.f[0].str, buf + 8);
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_fast_accepts_json_whitespace_around_tokens(void **state)
{
    ta_jobject o;
    char *buf = fast_ok(" \t\r\n{ \"sub\" :\t\"alice\" ,\n\"uid\"\r:\n1 }\n\r\t ", &o);

    (void)state;
    assert_int_equal(o.n, 2);
    assert_string_member(&o, 0, "sub", "alice");
    assert_int_member(&o, 1, "uid", 1);
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_fast_accepts_empty_object(void **state)
{
    ta_jobject o;
    char *buf = fast_ok("{}", &o);

    (void)state;
    assert_int_equal(o.n, 0);
    assert_null(ta_jobject_get(&o, "sub"));
    free(buf);
    buf = fast_ok(" { } ", &o);
    assert_int_equal(o.n, 0);
    free(buf);
}

static void test_jobject_fast_accepts_empty_key_and_empty_string(void **state)
{
    ta_jobject o;
    char *buf = fast_ok("{\"\":\"\",\"e\":\"\"}", &o);

    (void)state;
    assert_int_equal(o.n, 2);
    assert_string_member(&o, 0, "", "");
    assert_string_member(&o, 1, "e", "");
    free(buf);
}

/* 16 digits: every token time up to 2^53, which ta_token_issue may write (found by fuzz_token:
 * the helper's build, which has no jansson, refused a token with a 16-digit exp). */
static void test_jobject_fast_accepts_zero_and_16_digit_integers(void **state)
{
    ta_jobject o;
    char *buf = fast_ok("{\"a\":0,\"b\":9999999999999999,\"c\":9007199254740992}", &o);

    (void)state;
    assert_int_equal(o.n, 3);
    assert_int_member(&o, 0, "a", 0);
    assert_int_member(&o, 1, "b", 9999999999999999LL);
    assert_int_member(&o, 2, "c", 9007199254740992LL);
    free(buf);
}

static void test_jobject_fast_accepts_printable_ascii_in_strings(void **state)
{
    static const char want[] = " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
                               "abcdefghijklmnopqrstuvwxyz{|}~";
    char text[256];
    ta_jobject o;
    char *buf;

    (void)state;
    snprintf(text, sizeof(text), "{\"s\":\"%s\"}", want);
    buf = fast_ok(text, &o);
    assert_int_equal(o.n, 1);
    assert_string_member(&o, 0, "s", want);
    free(buf);
}

static void test_jobject_fast_accepts_32_members(void **state)
{
    char *text = object_of(TA_JOBJECT_MAX, ""), *buf;
    ta_jobject o;

    (void)state;
    buf = fast_ok(text, &o);
    assert_int_equal(o.n, TA_JOBJECT_MAX);
    assert_int_member(&o, 0, "k0", 0);
    assert_int_member(&o, 31, "k31", 31);
    free(buf);
    free(text);
}

static void test_jobject_parse_uses_fast_path_for_issued_claims(void **state)
{
    char *buf = exact_copy(CLAIMS_SESSION, strlen(CLAIMS_SESSION));
    ta_jobject o;

    (void)state;
    assert_int_equal(ta_jobject_parse(buf, strlen(CLAIMS_SESSION), &o), 0);
    assert_null(o.owner);
    assert_int_equal(o.n, 7);
    assert_string_member(&o, 1, "sub", "alice");
    assert_int_member(&o, 2, "uid", 23001);
    ta_jobject_release(&o);
    assert_int_equal(o.n, 0);
    free(buf);
}

static void test_jobject_get_matches_whole_key_only(void **state)
{
    ta_jobject o;
    char *buf = fast_ok("{\"kind\":\"url\",\"k\":1}", &o);

    (void)state;
    assert_ptr_equal(ta_jobject_get(&o, "kind"), &o.f[0]);
    assert_ptr_equal(ta_jobject_get(&o, "k"), &o.f[1]);
    assert_null(ta_jobject_get(&o, "kin"));
    assert_null(ta_jobject_get(&o, "kinds"));
    assert_null(ta_jobject_get(&o, "Kind"));
    assert_null(ta_jobject_get(&o, ""));
    free(buf);
}

/* --- the fast path is unsure of anything else --------------------------------------------- */

/* The escapes our own writer uses, and the other short ones, are decoded exactly: the view of
 * such a string is its decoded copy inside the object. */
static void test_jobject_fast_decodes_short_and_ascii_escapes(void **state)
{
    ta_jobject o;
    char *buf = fast_ok("{\"sub\":\"al\\\"i\\\\ce\",\"s\":\"\\/\\b\\f\\n\\r\\t\","
                        "\"u\":\"\\u0041\\u007f\\u0001\\u001F\\u005c\\u0022\",\"k\\u0065y\":1}",
                        &o);

    (void)state;
    assert_int_equal(o.n, 4);
    assert_string_member(&o, 0, "sub", "al\"i\\ce");
    assert_string_member(&o, 1, "s", "/\b\f\n\r\t");
    assert_string_member(&o, 2, "u", "A\x7f\x01\x1f\\\"");
    assert_int_member(&o, 3, "key", 1);
    assert_true(o.f[0].str >= o.text && o.f[0].str < o.text + TA_JOBJECT_TEXT_MAX);
    free(buf);
}

/* \u escapes beyond ASCII (and \u0000, which jansson refuses) are jansson's to judge, as
 * are escapes JSON does not have. */
static void test_jobject_fast_unsure_of_other_escapes(void **state)
{
    (void)state;
    assert_fast_unsure("{\"sub\":\"al\\u00e9\"}");
    assert_fast_unsure("{\"sub\":\"\\u0080\"}");
    assert_fast_unsure("{\"sub\":\"\\ud83d\\ude00\"}");
    assert_fast_unsure("{\"sub\":\"a\\u0000b\"}");
    assert_fast_unsure("{\"s\\u0000\":1}");
    assert_fast_unsure("{\"sub\":\"\\x41\"}");
    assert_fast_unsure("{\"sub\":\"\\U0041\"}");
    assert_fast_unsure("{\"sub\":\"\\u004\"}");
    assert_fast_unsure("{\"sub\":\"\\u00g1\"}");
    assert_fast_unsure("{\"sub\":\"\\'\"}");
    assert_fast_unsure_n("{\"sub\":\"a\\", 10);
    assert_fast_unsure_n("{\"sub\":\"\\u00", 13);
}

/* Decoded text beyond TA_JOBJECT_TEXT_MAX bytes: unsure (no token part is that long). */
static void test_jobject_fast_unsure_when_escaped_text_overflows(void **state)
{
    size_t n = TA_JOBJECT_TEXT_MAX / 2 + 1;
    char *text = malloc(2 * (2 * n + 16));
    size_t len = 0;

    (void)state;
    assert_non_null(text);
    for (int m = 0; m < 2; m++) {
        len += (size_t)sprintf(text + len, "%s\"%c\":\"", m ? "," : "{", 'a' + m);
        for (size_t i = 0; i < n; i++, len += 2)
            memcpy(text + len, "\\n", 2);
        text[len++] = '"';
    }
    memcpy(text + len, "}", 2);
    assert_fast_unsure(text);
    free(text);
}
/* Well-formed UTF-8 (and DEL) is taken as it is, in strings and keys: our scopes may hold it. */
static void test_jobject_fast_accepts_valid_utf8_and_del(void **state)
{
    ta_jobject o;
    char *buf = fast_ok("{\"caf\xc3\xa9\":\"\xe2\x82\xac\xf0\x9f\x98\x80\",\"d\":\"\x7f\","
                        "\"e\":\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\xc2\x80\"}",
                        &o);

    (void)state;
    assert_int_equal(o.n, 3);
    assert_string_member(&o, 0, "caf\xc3\xa9", "\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_string_member(&o, 1, "d", "\x7f");
    assert_string_member(&o, 2, "e", "\xef\xbf\xbf\xf4\x8f\xbf\xbf\xc2\x80");
    assert_ptr_equal(o.f[0].str, buf + 10); /* no escape: the view is the input */
    free(buf);
}

/* Malformed UTF-8: unsure (and jansson refuses it, see below). */
static void test_jobject_fast_unsure_of_malformed_utf8(void **state)
{
    (void)state;
    assert_fast_unsure("{\"sub\":\"\x80\"}");
    assert_fast_unsure("{\"sub\":\"\xff\"}");
    assert_fast_unsure("{\"sub\":\"caf\xc3\"}");
    assert_fast_unsure("{\"sub\":\"\xc0\xaf\"}");
    assert_fast_unsure("{\"sub\":\"\xe0\x80\xaf\"}");
    assert_fast_unsure("{\"sub\":\"\xed\xa0\x80\"}");
    assert_fast_unsure("{\"sub\":\"\xf0\x80\x80\xaf\"}");
    assert_fast_unsure("{\"sub\":\"\xf4\x90\x80\x80\"}");
    assert_fast_unsure("{\"caf\xc3\":\"x\"}");
    assert_fast_unsure_n("{\"sub\":\"\xe2\x82", 11);
}
static void test_jobject_fast_unsure_of_control_characters(void **state)
{
    (void)state;
    assert_fast_unsure("{\"sub\":\"a\tb\"}");
    assert_fast_unsure("{\"sub\":\"a\x01"
                       "b\"}");
    assert_fast_unsure_n("{\"sub\":\"a\0b\"}", 13);
}

static void test_jobject_fast_unsure_of_floats(void **state)
{
    (void)state;
    assert_fast_unsure("{\"uid\":1.0}");
    assert_fast_unsure("{\"uid\":0.5}");
    assert_fast_unsure("{\"uid\":1.}");
}

static void test_jobject_fast_unsure_of_exponents(void **state)
{
    (void)state;
    assert_fast_unsure("{\"exp\":1e3}");
    assert_fast_unsure("{\"exp\":1E3}");
    assert_fast_unsure("{\"exp\":1e+3}");
    assert_fast_unsure("{\"exp\":0e0}");
}

static void test_jobject_fast_unsure_of_negative_numbers(void **state)
{
    (void)state;
    assert_fast_unsure("{\"uid\":-5}");
    assert_fast_unsure("{\"uid\":-0}");
    assert_fast_unsure("{\"uid\":-}");
}

static void test_jobject_fast_unsure_of_leading_zeros(void **state)
{
    (void)state;
    assert_fast_unsure("{\"uid\":01}");
    assert_fast_unsure("{\"uid\":00}");
    assert_fast_unsure("{\"uid\":0123456789}");
}

static void test_jobject_fast_unsure_of_17_digit_numbers(void **state)
{
    (void)state;
    assert_fast_unsure("{\"exp\":10000000000000000}");
    assert_fast_unsure("{\"exp\":99999999999999999}");
    assert_fast_unsure("{\"exp\":99999999999999999999}");
}

static void test_jobject_fast_unsure_of_true_false_null(void **state)
{
    (void)state;
    assert_fast_unsure("{\"a\":true}");
    assert_fast_unsure("{\"a\":false}");
    assert_fast_unsure("{\"a\":null}");
}

static void test_jobject_fast_unsure_of_nested_objects_and_arrays(void **state)
{
    (void)state;
    assert_fast_unsure("{\"a\":{}}");
    assert_fast_unsure("{\"a\":{\"b\":1}}");
    assert_fast_unsure("{\"a\":[]}");
    assert_fast_unsure("{\"crit\":[\"exp\"]}");
}

static void test_jobject_fast_unsure_of_duplicate_keys(void **state)
{
    (void)state;
    assert_fast_unsure("{\"sub\":\"alice\",\"sub\":\"mallory\"}");
    assert_fast_unsure("{\"sub\":\"alice\",\"uid\":1,\"sub\":\"alice\"}");
    assert_fast_unsure("{\"uid\":1,\"uid\":1}");
    assert_fast_unsure("{\"\":1,\"\":2}");
}

static void test_jobject_fast_unsure_of_trailing_garbage(void **state)
{
    (void)state;
    assert_fast_unsure("{\"sub\":\"alice\"}x");
    assert_fast_unsure("{\"sub\":\"alice\"} }");
    assert_fast_unsure("{\"sub\":\"alice\"}{}");
    assert_fast_unsure("{}x");
    assert_fast_unsure_n("{\"sub\":\"alice\"}\0", 16);
    assert_fast_unsure("{\"uid\":1x}");
}

static void test_jobject_fast_unsure_of_trailing_comma(void **state)
{
    (void)state;
    assert_fast_unsure("{\"sub\":\"alice\",}");
    assert_fast_unsure("{\"uid\":1,}");
    assert_fast_unsure("{,}");
}

static void test_jobject_fast_unsure_of_missing_colon(void **state)
{
    (void)state;
    assert_fast_unsure("{\"sub\" \"alice\"}");
    assert_fast_unsure("{\"sub\"}");
    assert_fast_unsure("{\"sub\":}");
    assert_fast_unsure("{\"sub\"::\"alice\"}");
}

static void test_jobject_fast_unsure_of_truncated_objects(void **state)
{
    (void)state;
    assert_fast_unsure("");
    assert_fast_unsure("{");
    assert_fast_unsure("{\"sub");
    assert_fast_unsure("{\"sub\":\"alice");
    assert_fast_unsure("{\"sub\":\"alice\"");
    assert_fast_unsure("{\"uid\":1");
    assert_fast_unsure("{\"uid\":1,");
}

static void test_jobject_fast_unsure_of_non_objects(void **state)
{
    (void)state;
    assert_fast_unsure("[]");
    assert_fast_unsure("\"sub\"");
    assert_fast_unsure("1");
    assert_fast_unsure("\xef\xbb\xbf{}");
}

static void test_jobject_fast_unsure_of_more_than_max_members(void **state)
{
    char *text = object_of(TA_JOBJECT_MAX + 1, "");

    (void)state;
    assert_fast_unsure(text);
    free(text);
}

/* --- ta_jobject_parse: jansson decides what the fast path is unsure of ------------------ */

static void test_jobject_parse_decodes_escapes(void **state)
{
    ta_jobject o;
    char *buf = parse_by_jansson("{\"sub\":\"al\\\"i\\\\ce\\/\",\"n\\u0061me\":\"a\\nb\\tc\","
                                 "\"e\":\"caf\\u00e9\",\"g\":\"\\ud83d\\ude00\"}",
                                 &o);

    (void)state;
    assert_int_equal(o.n, 4);
    assert_string_named(&o, "sub", "al\"i\\ce/", 8);
    assert_string_named(&o, "name", "a\nb\tc", 5);
    assert_string_named(&o, "e", "caf\xc3\xa9", 5);
    assert_string_named(&o, "g", "\xf0\x9f\x98\x80", 4);
    ta_jobject_release(&o);
    assert_null(o.owner);
    assert_int_equal(o.n, 0);
    free(buf);
}

static void test_jobject_parse_accepts_valid_utf8(void **state)
{
    static const char text[] = "{\"caf\xc3\xa9\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}";
    char *buf = exact_copy(text, strlen(text));
    ta_jobject o;

    (void)state;
    assert_int_equal(ta_jobject_parse(buf, strlen(text), &o), 0);
    assert_null(o.owner); /* the exact path took it */
    assert_int_equal(o.n, 1);
    assert_string_named(&o, "caf\xc3\xa9", "\xe2\x82\xac\xf0\x9f\x98\x80", 7);
    ta_jobject_release(&o);
    free(buf);
}
static void test_jobject_parse_maps_floats_to_other(void **state)
{
    ta_jobject o;
    char *buf = parse_by_jansson("{\"a\":1.0,\"b\":0.5,\"c\":1e3,\"d\":-2.5E-1,\"e\":1}", &o);

    (void)state;
    assert_int_equal(o.n, 5);
    assert_other(&o, "a");
    assert_other(&o, "b");
    assert_other(&o, "c");
    assert_other(&o, "d");
    assert_int_equal(ta_jobject_get(&o, "e")->type, TA_JV_INT);
    assert_int_equal(ta_jobject_get(&o, "e")->num, 1);
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_parse_maps_true_false_null_to_other(void **state)
{
    ta_jobject o;
    char *buf = parse_by_jansson("{\"t\":true,\"f\":false,\"n\":null}", &o);

    (void)state;
    assert_int_equal(o.n, 3);
    assert_other(&o, "t");
    assert_other(&o, "f");
    assert_other(&o, "n");
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_parse_maps_arrays_and_objects_to_other(void **state)
{
    ta_jobject o;
    char *buf =
        parse_by_jansson("{\"crit\":[\"exp\"],\"a\":[],\"o\":{\"sub\":\"x\"},\"e\":{}}", &o);

    (void)state;
    assert_int_equal(o.n, 4);
    assert_other(&o, "crit");
    assert_other(&o, "a");
    assert_other(&o, "o");
    assert_other(&o, "e");
    assert_null(ta_jobject_get(&o, "sub")); /* nested members are not members */
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_parse_maps_negative_integers_to_int(void **state)
{
    ta_jobject o;
    char *buf = parse_by_jansson("{\"uid\":-5,\"z\":-0,\"min\":-9223372036854775808}", &o);
    const ta_jfield *f;

    (void)state;
    assert_int_equal(o.n, 3);
    assert_non_null(f = ta_jobject_get(&o, "uid"));
    assert_int_equal(f->type, TA_JV_INT);
    assert_true(f->num == -5);
    assert_non_null(f = ta_jobject_get(&o, "z"));
    assert_int_equal(f->type, TA_JV_INT);
    assert_true(f->num == 0);
    assert_non_null(f = ta_jobject_get(&o, "min"));
    assert_int_equal(f->type, TA_JV_INT);
    assert_true(f->num == -9223372036854775807LL - 1);
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_parse_maps_16_digit_integers_to_int(void **state)
{
    ta_jobject o;
    char *buf = parse_by_jansson("{\"exp\":1000000000000000,\"max\":9223372036854775807}", &o);
    const ta_jfield *f;

    (void)state;
    assert_non_null(f = ta_jobject_get(&o, "exp"));
    assert_int_equal(f->type, TA_JV_INT);
    assert_true(f->num == 1000000000000000LL);
    assert_non_null(f = ta_jobject_get(&o, "max"));
    assert_int_equal(f->type, TA_JV_INT);
    assert_true(f->num == 9223372036854775807LL);
    ta_jobject_release(&o);
    free(buf);
}

static void test_jobject_parse_accepts_32_members_through_jansson(void **state)
{
    char *text = object_of(TA_JOBJECT_MAX - 1, ",\"\\u0041\":true"), *buf;
    ta_jobject o;

    (void)state;
    buf = parse_by_jansson(text, &o);
    assert_int_equal(o.n, TA_JOBJECT_MAX);
    assert_other(&o, "A");
    assert_int_equal(ta_jobject_get(&o, "k30")->num, 30);
    ta_jobject_release(&o);
    free(buf);
    free(text);
}

static void test_jobject_parse_refuses_duplicate_keys(void **state)
{
    (void)state;
    assert_parse_refused("{\"sub\":\"alice\",\"sub\":\"mallory\"}");
    assert_parse_refused("{\"sub\":\"alice\",\"uid\":1,\"sub\":\"alice\"}");
    assert_parse_refused("{\"uid\":1,\"uid\":1.0}");
}

static void test_jobject_parse_refuses_duplicates_spelled_with_escapes(void **state)
{
    (void)state;
    assert_parse_refused("{\"sub\":\"alice\",\"s\\u0075b\":\"mallory\"}");
    assert_parse_refused("{\"\\u0073ub\":\"mallory\",\"sub\":\"alice\"}");
}

static void test_jobject_parse_refuses_trailing_garbage(void **state)
{
    (void)state;
    assert_parse_refused("{\"sub\":\"alice\"}x");
    assert_parse_refused("{\"sub\":\"alice\"}{}");
    assert_parse_refused("{\"sub\":\"alice\"}]");
    assert_parse_refused("{\"sub\":\"alice\"} \x0b");
    assert_parse_refused_n("{\"sub\":\"alice\"}\0", 16);
}

static void test_jobject_parse_refuses_trailing_comma_and_missing_colon(void **state)
{
    (void)state;
    assert_parse_refused("{\"sub\":\"alice\",}");
    assert_parse_refused("{\"sub\" \"alice\"}");
    assert_parse_refused("{\"sub\":}");
}

static void test_jobject_parse_refuses_non_objects(void **state)
{
    (void)state;
    assert_parse_refused("[]");
    assert_parse_refused("[{\"sub\":\"alice\"}]");
    assert_parse_refused("\"sub\"");
    assert_parse_refused("1");
    assert_parse_refused("-1.5");
    assert_parse_refused("true");
    assert_parse_refused("null");
    assert_parse_refused("");
    assert_parse_refused(" \n");
}

static void test_jobject_parse_refuses_more_than_32_members(void **state)
{
    char *plain = object_of(TA_JOBJECT_MAX + 1, "");
    char *escaped = object_of(TA_JOBJECT_MAX, ",\"\\u0041\":1");
    char *many = object_of(100, "");

    (void)state;
    assert_parse_refused(plain);
    assert_parse_refused(escaped);
    assert_parse_refused(many);
    free(plain);
    free(escaped);
    free(many);
}

static void test_jobject_parse_refuses_invalid_utf8(void **state)
{
    (void)state;
    assert_parse_refused("{\"sub\":\"caf\xc3\"}");          /* truncated sequence */
    assert_parse_refused("{\"sub\":\"\xc3\xa9\xa9\"}");     /* stray continuation */
    assert_parse_refused("{\"sub\":\"\xc0\xaf\"}");         /* overlong '/' */
    assert_parse_refused("{\"sub\":\"\xed\xa0\x80\"}");     /* UTF-16 surrogate */
    assert_parse_refused("{\"sub\":\"\xf4\x90\x80\x80\"}"); /* beyond U+10FFFF */
    assert_parse_refused("{\"sub\":\"\xff\"}");             /* never valid */
    assert_parse_refused("{\"caf\xc3\":\"x\"}");            /* in a key */
    assert_parse_refused("{\"sub\":\"\\ud800\"}");          /* lone surrogate escape */
}

static void test_jobject_parse_refuses_nul_in_strings_and_keys(void **state)
{
    (void)state;
    assert_parse_refused("{\"sub\":\"a\\u0000b\"}");
    assert_parse_refused("{\"s\\u0000ub\":\"alice\"}");
    assert_parse_refused_n("{\"sub\":\"a\0b\"}", 13);
}

static void test_jobject_parse_refuses_leading_zeros_and_bad_numbers(void **state)
{
    (void)state;
    assert_parse_refused("{\"uid\":01}");
    assert_parse_refused("{\"uid\":-01}");
    assert_parse_refused("{\"uid\":1.}");
    assert_parse_refused("{\"uid\":.5}");
    assert_parse_refused("{\"uid\":+1}");
    assert_parse_refused("{\"uid\":0x10}");
}

static void test_jobject_parse_refuses_integers_beyond_long_long(void **state)
{
    (void)state;
    assert_parse_refused("{\"exp\":9223372036854775808}");
    assert_parse_refused("{\"exp\":99999999999999999999}");
    assert_parse_refused("{\"exp\":-9223372036854775809}");
}

/* --- the writer: what ta_token_issue writes, the exact path reads back ------------------- */

/* s[0..n) written by ta_json_put_string as the value of "v", then read back by the exact path
 * alone: the same bytes. */
static void assert_round_trip(const char *s, size_t n)
{
    char out[2048];
    size_t pos = 5;
    ta_jobject o;
    char *buf;

    memcpy(out, "{\"v\":", 5);
    if (ta_json_put_string(out, sizeof(out) - 1, &pos, s, n) != 0)
        fail_msg("writer refused %.*s", (int)n, s);
    out[pos++] = '}';
    buf = exact_copy(out, pos);
    if (ta_jobject_parse_fast(buf, pos, &o) != 1)
        fail_msg("exact path unsure of what the writer wrote: %.*s", (int)pos, out);
    assert_string_at(&o, 0, "v", s, n);
    free(buf);
}

static void test_json_writer_escapes_quote_backslash_and_controls(void **state)
{
    static const char in[] = "a\"b\\c\x01\x1f\n\x7f/\xc3\xa9";
    static const char want[] = "\"a\\\"b\\\\c\\u0001\\u001f\\u000a\x7f/\xc3\xa9\"";
    char out[64];
    size_t pos = 0;

    (void)state;
    assert_int_equal(ta_json_put_string(out, sizeof(out), &pos, in, strlen(in)), 0);
    assert_int_equal(pos, strlen(want));
    assert_memory_equal(out, want, pos);
}

static void test_json_writer_round_trips_every_ascii_byte_and_utf8(void **state)
{
    static const char *const samples[] = {
        "",
        "alice",
        "o\"brien",
        "back\\slash",
        "\"\\\"\\",
        "/files/a b",
        "caf\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "\x7f",
        "\xef\xbf\xbf",
        "\xf4\x8f\xbf\xbf",
    };
    char all[128];

    (void)state;
    for (int c = 1; c < 128; c++) {
        char one = (char)c;
        assert_round_trip(&one, 1);
        all[c - 1] = one;
    }
    assert_round_trip(all, 127);
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
        assert_round_trip(samples[i], strlen(samples[i]));
}

/* Malformed UTF-8, and NUL (no reader of ours takes \u0000), are refused, never written:
 * *pos stays where it was. */
static void test_json_writer_refuses_malformed_utf8(void **state)
{
    static const char *const bad[] = {"caf\xc3",          "\x80",  "\xc0\xaf", "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80", "ok\xff"};
    char out[64];
    size_t pos = 3;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ta_json_put_string(out, sizeof(out), &pos, bad[i], strlen(bad[i])), -1);
        assert_int_equal(pos, 3);
    }
    assert_int_equal(ta_json_put_string(out, sizeof(out), &pos, "a\0b", 3), -1); /* NUL */
    assert_int_equal(pos, 3);
}

/* Exactly enough room is enough; one byte less is refused. */
static void test_json_writer_refuses_when_out_is_full(void **state)
{
    char out[16];
    size_t pos = 0;

    (void)state;
    assert_int_equal(ta_json_put_string(out, 8, &pos, "a\"\x01", 3), -1); /* needs 11 */
    assert_int_equal(pos, 0);
    assert_int_equal(ta_json_put_string(out, 10, &pos, "a\"\x01", 3), -1);
    assert_int_equal(ta_json_put_string(out, 11, &pos, "a\"\x01", 3), 0);
    assert_int_equal(pos, 11);
    pos = 0;
    assert_int_equal(ta_json_put_string(out, 1, &pos, "", 0), -1);
    assert_int_equal(ta_json_put_string(out, 2, &pos, "", 0), 0);
    assert_int_equal(pos, 2);
}

/* The limits of well-formed UTF-8 (Unicode Table 3-7), one side of each edge and the other. */
static void test_utf8_sequences_at_their_limits(void **state)
{
    static const struct {
        const char *s;
        size_t len, want;
    } cases[] = {
        {"\x7f", 1, 1},
        {"\xc2\x80", 2, 2},
        {"\xc1\xbf", 2, 0},
        {"\xdf\xbf", 2, 2},
        {"\xe0\xa0\x80", 3, 3},
        {"\xe0\x9f\xbf", 3, 0},
        {"\xed\x9f\xbf", 3, 3},
        {"\xed\xa0\x80", 3, 0},
        {"\xee\x80\x80", 3, 3},
        {"\xf0\x90\x80\x80", 4, 4},
        {"\xf0\x8f\xbf\xbf", 4, 0},
        {"\xf4\x8f\xbf\xbf", 4, 4},
        {"\xf4\x90\x80\x80", 4, 0},
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xc3", 1, 0},
        {"\xc3\x41", 2, 0},
        {"\xe2\x82", 2, 0},
        {"\x80", 1, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t got = ta_utf8_seq((const unsigned char *)cases[i].s, cases[i].len);
        if (got != cases[i].want)
            fail_msg("case %zu: %zu, expected %zu", i, got, cases[i].want);
    }
    assert_true(ta_utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
    assert_false(ta_utf8_valid("caf\xc3", 4));
    assert_true(ta_utf8_valid("", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobject_fast_accepts_issued_session_claims),
        cmocka_unit_test(test_jobject_fast_accepts_issued_scoped_claims),
        cmocka_unit_test(test_jobject_fast_accepts_issued_header),
        cmocka_unit_test(test_jobject_fast_view_points_into_input),
        cmocka_unit_test(test_jobject_fast_accepts_json_whitespace_around_tokens),
        cmocka_unit_test(test_jobject_fast_accepts_empty_object),
        cmocka_unit_test(test_jobject_fast_accepts_empty_key_and_empty_string),
        cmocka_unit_test(test_jobject_fast_accepts_zero_and_16_digit_integers),
        cmocka_unit_test(test_jobject_fast_accepts_printable_ascii_in_strings),
        cmocka_unit_test(test_jobject_fast_accepts_32_members),
        cmocka_unit_test(test_jobject_parse_uses_fast_path_for_issued_claims),
        cmocka_unit_test(test_jobject_get_matches_whole_key_only),
        cmocka_unit_test(test_jobject_fast_decodes_short_and_ascii_escapes),
        cmocka_unit_test(test_jobject_fast_unsure_of_other_escapes),
        cmocka_unit_test(test_jobject_fast_unsure_when_escaped_text_overflows),
        cmocka_unit_test(test_jobject_fast_accepts_valid_utf8_and_del),
        cmocka_unit_test(test_jobject_fast_unsure_of_malformed_utf8),
        cmocka_unit_test(test_jobject_fast_unsure_of_control_characters),
        cmocka_unit_test(test_jobject_fast_unsure_of_floats),
        cmocka_unit_test(test_jobject_fast_unsure_of_exponents),
        cmocka_unit_test(test_jobject_fast_unsure_of_negative_numbers),
        cmocka_unit_test(test_jobject_fast_unsure_of_leading_zeros),
        cmocka_unit_test(test_jobject_fast_unsure_of_17_digit_numbers),
        cmocka_unit_test(test_jobject_fast_unsure_of_true_false_null),
        cmocka_unit_test(test_jobject_fast_unsure_of_nested_objects_and_arrays),
        cmocka_unit_test(test_jobject_fast_unsure_of_duplicate_keys),
        cmocka_unit_test(test_jobject_fast_unsure_of_trailing_garbage),
        cmocka_unit_test(test_jobject_fast_unsure_of_trailing_comma),
        cmocka_unit_test(test_jobject_fast_unsure_of_missing_colon),
        cmocka_unit_test(test_jobject_fast_unsure_of_truncated_objects),
        cmocka_unit_test(test_jobject_fast_unsure_of_non_objects),
        cmocka_unit_test(test_jobject_fast_unsure_of_more_than_max_members),
        cmocka_unit_test(test_jobject_parse_decodes_escapes),
        cmocka_unit_test(test_jobject_parse_accepts_valid_utf8),
        cmocka_unit_test(test_jobject_parse_maps_floats_to_other),
        cmocka_unit_test(test_jobject_parse_maps_true_false_null_to_other),
        cmocka_unit_test(test_jobject_parse_maps_arrays_and_objects_to_other),
        cmocka_unit_test(test_jobject_parse_maps_negative_integers_to_int),
        cmocka_unit_test(test_jobject_parse_maps_16_digit_integers_to_int),
        cmocka_unit_test(test_jobject_parse_accepts_32_members_through_jansson),
        cmocka_unit_test(test_jobject_parse_refuses_duplicate_keys),
        cmocka_unit_test(test_jobject_parse_refuses_duplicates_spelled_with_escapes),
        cmocka_unit_test(test_jobject_parse_refuses_trailing_garbage),
        cmocka_unit_test(test_jobject_parse_refuses_trailing_comma_and_missing_colon),
        cmocka_unit_test(test_jobject_parse_refuses_non_objects),
        cmocka_unit_test(test_jobject_parse_refuses_more_than_32_members),
        cmocka_unit_test(test_jobject_parse_refuses_invalid_utf8),
        cmocka_unit_test(test_jobject_parse_refuses_nul_in_strings_and_keys),
        cmocka_unit_test(test_jobject_parse_refuses_leading_zeros_and_bad_numbers),
        cmocka_unit_test(test_jobject_parse_refuses_integers_beyond_long_long),
        cmocka_unit_test(test_json_writer_escapes_quote_backslash_and_controls),
        cmocka_unit_test(test_json_writer_round_trips_every_ascii_byte_and_utf8),
        cmocka_unit_test(test_json_writer_refuses_malformed_utf8),
        cmocka_unit_test(test_json_writer_refuses_when_out_is_full),
        cmocka_unit_test(test_utf8_sequences_at_their_limits),
    };

    return cmocka_run_group_tests_name("jobject", tests, NULL, NULL);
}
