/* A JSON object of scalar members, as the token checks see it: the header and the claims.
 * The flat objects we issue ourselves are read by a small exact parser (printable ASCII and
 * well-formed UTF-8, the escapes \" \\ \/ \b \f \n \r \t and \u0001..\u007f, non-negative
 * integers); anything it is not sure of (other \u escapes, floats, negatives, nesting,
 * true/false/null, duplicates) goes to jansson, which then decides. Both paths fill the same
 * view, so every rule is written once.
 *
 * Built with -DTA_NO_JANSSON (the privileged helper, which links no jansson), whatever the
 * exact parser is unsure of is refused: a smaller language, never a different answer. Every
 * object ta_token_issue writes is within it.
 *
 * The writing half: ta_json_put_string writes the strings of the claims we issue. */
#ifndef TA_JOBJECT_H
#define TA_JOBJECT_H

#include <stddef.h>

#define TA_JOBJECT_MAX 32        /* members; an object with more is refused */
#define TA_JOBJECT_TEXT_MAX 4096 /* decoded bytes of the strings that held escapes */

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

/* The view points into the parsed buffer, into text (strings the exact parser unescaped), or
 * into owner; it must not be copied by value (text is pointed into). */
typedef struct {
    size_t n;
    ta_jfield f[TA_JOBJECT_MAX];
    void *owner;    /* the jansson value that owns the strings, when jansson parsed */
    size_t textlen; /* bytes of text in use */
    char text[TA_JOBJECT_TEXT_MAX];
} ta_jobject;

/* Parse buf[0..len) as a JSON object with unique keys and at most TA_JOBJECT_MAX members.
 * 0 on success (then ta_jobject_release), -1 otherwise. The view may point into buf. */
int ta_jobject_parse(const char *buf, size_t len, ta_jobject *o);

/* The exact parser alone: 1 when it parsed buf exactly, 0 when it is unsure (exposed so that
 * tests and the fuzzer can hold it to jansson's answer). Owns nothing: no release needed. */
int ta_jobject_parse_fast(const char *buf, size_t len, ta_jobject *o);

void ta_jobject_release(ta_jobject *o);

/* The member named key, or NULL. */
const ta_jfield *ta_jobject_get(const ta_jobject *o, const char *key);

/* The length of the UTF-8 sequence at p[0..left) (left > 0): 1 to 4 for a well-formed one
 * (no overlong form, no surrogate, nothing above U+10FFFF), 0 otherwise. JSON text must be
 * well-formed UTF-8, and jansson holds it to exactly these rules. */
size_t ta_utf8_seq(const unsigned char *p, size_t left);

/* 1 when s[0..n) is well-formed UTF-8. */
int ta_utf8_valid(const char *s, size_t n);

/* Append s[0..n) as a JSON string literal, quotes included, at out[*pos..cap), advancing *pos:
 * '"' and '\\' are escaped, control characters written as \u00XX, every other byte as it
 * is. -1 when s is not well-formed UTF-8, holds a NUL (\u0000, which neither reader of ours
 * accepts), or out has no room; then *pos is left as it was. */
int ta_json_put_string(char *out, size_t cap, size_t *pos, const char *s, size_t n);

#endif
