/* A JSON object of scalar members, as the token checks see it: the header and the claims.
 * The flat objects we issue ourselves are read by a small exact parser; anything it is not
 * sure of (escapes, non-ASCII, floats, nesting, true/false/null, duplicates) goes to jansson,
 * which then decides. Both paths fill the same view, so every rule is written once. */
#ifndef TA_JOBJECT_H
#define TA_JOBJECT_H

#include <stddef.h>

#define TA_JOBJECT_MAX 32 /* members; an object with more is refused */

typedef enum {
    TA_JV_STRING = 1,
    TA_JV_INT,   /* an integer (a larger one than a long long holds is refused as a whole) */
    TA_JV_OTHER, /* anything else: real, true, false, null, array, object */
} ta_jv_type;

typedef struct {
    const char *key;
    size_t klen;
    ta_jv_type type;
    const char *str; /* TA_JV_STRING: the decoded bytes, not terminated */
    size_t slen;
    long long num; /* TA_JV_INT */
} ta_jfield;

typedef struct {
    size_t n;
    ta_jfield f[TA_JOBJECT_MAX];
    void *owner; /* the jansson value that owns the strings, when jansson parsed */
} ta_jobject;

/* Parse buf[0..len) as a JSON object with unique keys and at most TA_JOBJECT_MAX members.
 * 0 on success (then ta_jobject_release), -1 otherwise. The view may point into buf. */
int ta_jobject_parse(const char *buf, size_t len, ta_jobject *o);

/* The fast path alone: 1 when it parsed buf exactly, 0 when it is unsure (exposed so that
 * tests and the fuzzer can hold it to jansson's answer). */
int ta_jobject_parse_fast(const char *buf, size_t len, ta_jobject *o);

void ta_jobject_release(ta_jobject *o);

/* The member named key, or NULL. */
const ta_jfield *ta_jobject_get(const ta_jobject *o, const char *key);

#endif
