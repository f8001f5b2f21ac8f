/* libFuzzer target: ta_jobject_parse_fast and ta_jobject_parse, held to jansson's answer; and
 * ta_json_put_string, whose every output the fast path must read back exactly.
 *
 * The fast path may say "unsure" (0) as often as it likes, but when it says 1 it speaks for
 * jansson: the same bytes, loaded with JSON_REJECT_DUPLICATES, must be an object with exactly
 * the same members (same keys, STRING for a json string with the same bytes, INT for a json
 * integer with the same value, the same count). Jansson's iteration order need not be the input
 * order, so members are matched by key.
 *
 * Invariants checked on every input:
 *   - the fast path returns 0 or 1, and on 1 its view is sane (types, n, unique keys that
 *     ta_jobject_get finds, strings pointing into the input or, unescaped, into the object's
 *     own text, no owner) and equals jansson's;
 *   - ta_jobject_parse returns 0 exactly when the fast path said 1 or jansson loads an object
 *     of at most TA_JOBJECT_MAX members; on 0 the view is sane and equals jansson's (so the
 *     fallback maps real/true/false/null/array/object to OTHER and keeps every key);
 *     on -1 nothing is owned; ta_jobject_release leaves an empty view;
 *   - the input as a string value: ta_json_put_string writes it exactly when it is well-formed
 *     UTF-8 (as jansson judges it), and the fast path reads back the same bytes.
 * The input is parsed from a heap copy of exactly its length, so any over-read is caught. */
#include "fuzz.h"
#include "ta_jobject.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* 1 when p[0..n) lies within buf[0..len). */
static int within(const char *p, size_t n, const char *buf, size_t len)
{
    return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

/* 1 when p[0..n) lies within buf[0..len) or within the object's own unescaped text. */
static int owned(const ta_jobject *o, const char *p, size_t n, const char *buf, size_t len)
{
    return within(p, n, buf, len) || within(p, n, o->text, o->textlen);
}

/* Every member has a known type and a key that ta_jobject_get finds as that very member
 * (which also means the keys are unique). With buf, every key and string points into it or
 * into the object's text. */
static void check_view(const ta_jobject *o, const char *buf, size_t len)
{
    CHECK(o->n <= TA_JOBJECT_MAX);
    for (size_t i = 0; i < o->n; i++) {
        const ta_jfield *f = &o->f[i];
        char *key;

        CHECK(f->type == TA_JV_STRING || f->type == TA_JV_INT || f->type == TA_JV_OTHER);
        CHECK(f->key != NULL);
        CHECK(memchr(f->key, '\0', f->klen) == NULL); /* else no C string can name it */
        if (f->type == TA_JV_STRING)
            CHECK(f->str != NULL);
        if (buf) {
            CHECK(owned(o, f->key, f->klen, buf, len));
            if (f->type == TA_JV_STRING)
                CHECK(owned(o, f->str, f->slen, buf, len));
        }
        key = malloc(f->klen + 1);
        CHECK(key != NULL);
        memcpy(key, f->key, f->klen);
        key[f->klen] = '\0';
        CHECK(ta_jobject_get(o, key) == f);
        free(key);
    }
}

/* The view has exactly the members of the jansson object j. */
static void check_same_members(const ta_jobject *o, const json_t *j)
{
    CHECK(j != NULL && json_is_object(j));
    CHECK(json_object_size(j) == o->n);
    for (size_t i = 0; i < o->n; i++) {
        const ta_jfield *f = &o->f[i];
        json_t *v = json_object_getn(j, f->key, f->klen);

        CHECK(v != NULL);
        switch (f->type) {
        case TA_JV_STRING:
            CHECK(json_is_string(v));
            CHECK(json_string_length(v) == f->slen);
            CHECK(f->slen == 0 || memcmp(json_string_value(v), f->str, f->slen) == 0);
            break;
        case TA_JV_INT:
            CHECK(json_is_integer(v));
            CHECK((long long)json_integer_value(v) == f->num);
            break;
        default:
            CHECK(f->type == TA_JV_OTHER);
            CHECK(!json_is_string(v) && !json_is_integer(v));
            break;
        }
    }
}

/* The input as a string: written when (and only when) jansson would take it as a string and
 * it holds no NUL (which nothing of ours reads back), and read back exactly by the fast path
 * (unless it needed escapes and is longer than the object's text). */
static void check_writer(const char *s, size_t n)
{
    static char out[6 * 8192 + 16];
    json_t *j;
    size_t pos = 5;
    ta_jobject o;
    int w, nul = memchr(s, '\0', n) != NULL;

    if (n > 8192)
        return;
    j = json_stringn(s, n);
    memcpy(out, "{\"v\":", 5);
    w = ta_json_put_string(out, sizeof(out) - 1, &pos, s, n);
    CHECK((w == 0) == (j != NULL && !nul));
    CHECK((w == 0) == (ta_utf8_valid(s, n) && !nul));
    json_decref(j);
    if (w != 0)
        return;
    out[pos++] = '}';
    if (ta_jobject_parse_fast(out, pos, &o) != 1) {
        CHECK(n > TA_JOBJECT_TEXT_MAX);
        return;
    }
    CHECK(o.n == 1 && o.f[0].type == TA_JV_STRING);
    CHECK(o.f[0].slen == n && memcmp(o.f[0].str, s, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    ta_jobject fast, full;
    json_t *j;
    int r, rc, loadable;

    CHECK(copy != NULL);
    memcpy(copy, data, size);
    j = json_loadb(copy, size, JSON_REJECT_DUPLICATES, NULL);
    loadable = j != NULL && json_is_object(j) && json_object_size(j) <= TA_JOBJECT_MAX;

    r = ta_jobject_parse_fast(copy, size, &fast);
    CHECK(r == 0 || r == 1);
    if (r == 1) {
        CHECK(fast.owner == NULL);
        check_view(&fast, copy, size);
        check_same_members(&fast, j);
    }

    rc = ta_jobject_parse(copy, size, &full);
    CHECK(rc == 0 || rc == -1);
    CHECK((rc == 0) == (r == 1 || loadable));
    if (rc == 0) {
        check_view(&full, r == 1 ? copy : NULL, size);
        check_same_members(&full, j);
    }
    else {
        CHECK(full.owner == NULL);
    }
    ta_jobject_release(&full);
    CHECK(full.owner == NULL && full.n == 0);

    json_decref(j);
    check_writer(copy, size);
    free(copy);
    return 0;
}
