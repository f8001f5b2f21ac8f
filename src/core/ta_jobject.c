/* Flat JSON objects: an exact fast path for what we issue, jansson for the rest. */
#include "ta_jobject.h"

#include <string.h>

#include <jansson.h>

#define FAST_MAX_DIGITS 15 /* below 2^53 and far below LLONG_MAX */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A string of printable ASCII without escapes; p is after the opening quote. NULL if unsure. */
static const char *fast_string(const char *p, const char *end, const char **s, size_t *n)
{
    const char *q = p;

    while (q < end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return NULL;
        q++;
    }
    if (q == end)
        return NULL;
    *s = p;
    *n = (size_t)(q - p);
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

/* 1 when the key of field i was already seen. */
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
    if (p == end || *p != '"' || (p = fast_string(p + 1, end, &f->key, &f->klen)) == NULL)
        return NULL;
    p = skip_ws(p, end);
    if (p == end || *p != ':')
        return NULL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '"') {
        f->type = TA_JV_STRING;
        p = fast_string(p + 1, end, &f->str, &f->slen);
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

int ta_jobject_parse(const char *buf, size_t len, ta_jobject *o)
{
    json_t *j;

    if (ta_jobject_parse_fast(buf, len, o))
        return 0;
    o->n = 0;
    o->owner = NULL;
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
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

void ta_jobject_release(ta_jobject *o)
{
    if (o->owner)
        json_decref((json_t *)o->owner);
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
