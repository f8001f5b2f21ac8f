/* Flat JSON objects: an exact parser for what we issue, jansson for the rest (unless built
 * with -DTA_NO_JANSSON); and the string writer of the claims we issue. */
#include "ta_jobject.h"

#include <stdio.h>
#include <string.h>

#ifndef TA_NO_JANSSON
#include <jansson.h>
#endif

#define FAST_MAX_DIGITS 16 /* every time up to 2^53 (16 digits), far below LLONG_MAX */

size_t ta_utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c < 0xc2 || c > 0xf4) /* a continuation byte, an overlong lead, or beyond U+10FFFF */
        return 0;
    n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (c == 0xe0)
        lo = 0xa0; /* overlong three-byte forms */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong four-byte forms */
    else if (c == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

int ta_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0, k; i < n; i += k)
        if ((k = ta_utf8_seq(p + i, n - i)) == 0)
            return 0;
    return 1;
}

/* --- writing ---------------------------------------------------------------------------- */

/* The escaped form of byte c into esc (7 bytes); its length, or 0 when c goes as it is. */
static size_t escape_of(unsigned char c, char *esc)
{
    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        return 2;
    }
    if (c < 0x20)
        return (size_t)snprintf(esc, 7, "\\u%04x", c);
    return 0;
}

int ta_json_put_string(char *out, size_t cap, size_t *pos, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = *pos;
    char esc[7];

    if (o >= cap || cap - o < 2)
        return -1;
    out[o++] = '"';
    for (size_t i = 0, k; i < n; i += k) {
        size_t e = escape_of(p[i], esc);
        k = ta_utf8_seq(p + i, n - i);
        if (k == 0 || p[i] == '\0' || (e ? e : k) > cap - o - 1) /* room for the closing '"' */
            return -1;
        memcpy(out + o, e ? esc : s + i, e ? e : k);
        o += e ? e : k;
    }
    out[o++] = '"';
    *pos = o;
    return 0;
}

/* --- the exact parser ------------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The first '"' or '\\' of a string from p on, past printable ASCII, DEL and well-formed
 * UTF-8; NULL at a control character, a malformed sequence or the end (jansson decides). */
static const char *plain_run(const char *p, const char *end)
{
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        size_t k;
        if (c == '"' || c == '\\')
            return p;
        if (c < 0x20 || (k = ta_utf8_seq((const unsigned char *)p, (size_t)(end - p))) == 0)
            return NULL;
        p += k;
    }
    return NULL;
}

/* Four hex digits at p (both cases, as JSON allows), or -1. */
static int hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int text_append(ta_jobject *o, const char *s, size_t n)
{
    if (n > TA_JOBJECT_TEXT_MAX - o->textlen)
        return -1;
    memcpy(o->text + o->textlen, s, n);
    o->textlen += n;
    return 0;
}

/* One escape at p (after the backslash), decoded onto o->text; the position after it, or
 * NULL if unsure: \u0000 (which jansson refuses), and \u escapes beyond ASCII (surrogate
 * pairs and the UTF-8 they stand for are jansson's to judge). */
static const char *fast_escape(const char *p, const char *end, ta_jobject *o)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    int v;
    char c;

    if (p == end)
        return NULL;
    if (*p != 'u') {
        hit = memchr(from, *p, sizeof(from) - 1);
        c = hit ? to[hit - from] : 0;
        return hit && text_append(o, &c, 1) == 0 ? p + 1 : NULL;
    }
    if (end - p < 5 || (v = hex4(p + 1)) < 1 || v > 0x7f)
        return NULL;
    c = (char)v;
    return text_append(o, &c, 1) == 0 ? p + 5 : NULL;
}

/* A string at p (after the opening quote): its view is the input itself when it holds no
 * escape, else its decoded copy in o->text. The position after the closing quote, or NULL if
 * unsure. */
static const char *fast_string(const char *p, const char *end, ta_jobject *o, const char **s,
                               size_t *n)
{
    const char *q = plain_run(p, end);
    size_t start = o->textlen;

    if (q && *q == '"') {
        *s = p;
        *n = (size_t)(q - p);
        return q + 1;
    }
    while (q && *q == '\\') {
        if (text_append(o, p, (size_t)(q - p)) != 0 || (p = fast_escape(q + 1, end, o)) == NULL)
            return NULL;
        q = plain_run(p, end);
    }
    if (q == NULL || text_append(o, p, (size_t)(q - p)) != 0)
        return NULL;
    *s = o->text + start;
    *n = o->textlen - start;
    return q + 1;
}

/* A non-negative integer without leading zeros, followed by a delimiter. NULL if unsure. */
static const char *fast_int(const char *p, const char *end, long long *v)
{
    const char *q = p;
    long long x = 0;

    while (q < end && *q >= '0' && *q <= '9' && q - p < FAST_MAX_DIGITS + 1)
        x = x * 10 + (*q++ - '0');
    if (q == p || q - p > FAST_MAX_DIGITS || (*p == '0' && q - p > 1))
        return NULL;
    if (q < end && !(*q == ',' || *q == '}' || *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
        return NULL; /* a fraction, an exponent, or garbage: jansson decides */
    *v = x;
    return q;
}

/* 1 when the key of field i was already seen (keys compare as decoded). */
static int duplicate(const ta_jobject *o, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (o->f[k].klen == o->f[i].klen && memcmp(o->f[k].key, o->f[i].key, o->f[i].klen) == 0)
            return 1;
    return 0;
}

/* One "key": value member at p; NULL if unsure. */
static const char *fast_member(const char *p, const char *end, ta_jobject *o)
{
    ta_jfield *f = &o->f[o->n];

    memset(f, 0, sizeof(*f));
    if (p == end || *p != '"' || (p = fast_string(p + 1, end, o, &f->key, &f->klen)) == NULL)
        return NULL;
    p = skip_ws(p, end);
    if (p == end || *p != ':')
        return NULL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '"') {
        f->type = TA_JV_STRING;
        p = fast_string(p + 1, end, o, &f->str, &f->slen);
    }
    else {
        f->type = TA_JV_INT;
        p = fast_int(p, end, &f->num);
    }
    if (p == NULL || duplicate(o, o->n))
        return NULL;
    o->n++;
    return skip_ws(p, end);
}

int ta_jobject_parse_fast(const char *buf, size_t len, ta_jobject *o)
{
    const char *p = buf, *end = buf + len;

    o->n = 0;
    o->owner = NULL;
    o->textlen = 0;
    p = skip_ws(p, end);
    if (p == end || *p++ != '{')
        return 0;
    p = skip_ws(p, end);
    if (p < end && *p == '}')
        return skip_ws(p + 1, end) == end;
    for (;;) {
        if (o->n == TA_JOBJECT_MAX || (p = fast_member(p, end, o)) == NULL || p == end)
            return 0;
        if (*p == '}')
            return skip_ws(p + 1, end) == end;
        if (*p != ',')
            return 0;
        p = skip_ws(p + 1, end);
    }
}

/* --- jansson, for the rest -------------------------------------------------------------- */

#ifndef TA_NO_JANSSON
/* The view of a jansson object; -1 when it has too many members. */
static int from_jansson(json_t *obj, ta_jobject *o)
{
    const char *key;
    json_t *v;

    o->n = 0;
    json_object_foreach(obj, key, v)
    {
        ta_jfield *f;
        if (o->n == TA_JOBJECT_MAX)
            return -1;
        f = &o->f[o->n++];
        memset(f, 0, sizeof(*f));
        f->key = key;
        f->klen = strlen(key);
        if (json_is_string(v)) {
            f->type = TA_JV_STRING;
            f->str = json_string_value(v);
            f->slen = json_string_length(v);
        }
        else if (json_is_integer(v)) {
            f->type = TA_JV_INT;
            f->num = (long long)json_integer_value(v);
        }
        else
            f->type = TA_JV_OTHER;
    }
    return 0;
}

static int parse_by_jansson(const char *buf, size_t len, ta_jobject *o)
{
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);

    if (j == NULL)
        return -1;
    if (!json_is_object(j) || from_jansson(j, o) != 0) {
        json_decref(j);
        o->n = 0;
        return -1;
    }
    o->owner = j;
    return 0;
}
#endif

int ta_jobject_parse(const char *buf, size_t len, ta_jobject *o)
{
    if (ta_jobject_parse_fast(buf, len, o))
        return 0;
    o->n = 0;
    o->owner = NULL;
#ifdef TA_NO_JANSSON
    return -1; /* no second opinion: what the exact parser is unsure of is refused */
#else
    return parse_by_jansson(buf, len, o);
#endif
}

void ta_jobject_release(ta_jobject *o)
{
#ifndef TA_NO_JANSSON
    if (o->owner)
        json_decref((json_t *)o->owner);
#endif
    o->owner = NULL;
    o->n = 0;
}

const ta_jfield *ta_jobject_get(const ta_jobject *o, const char *key)
{
    size_t klen = strlen(key);

    for (size_t i = 0; i < o->n; i++)
        if (o->f[i].klen == klen && memcmp(o->f[i].key, key, klen) == 0)
            return &o->f[i];
    return NULL;
}
