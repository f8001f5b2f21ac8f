/* Token sources: query, cookie, bearer. */
#include "ta_credential.h"

#include <string.h>
#include <strings.h>

#define REDACTED "REDACTED"

/* One "name=value" item of a separated list, with surrounding blanks trimmed. */
typedef struct {
    const char *name, *val;
    size_t nlen, vlen;
} item;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split s[0..n) at the first '=' into an item, trimming blanks when trim is set. */
static void split_item(const char *s, size_t n, int trim, item *it)
{
    const char *eq = memchr(s, '=', n);
    const char *e = s + n;

    if (trim) {
        while (s < e && is_blank(*s))
            s++;
        while (e > s && is_blank(e[-1]))
            e--;
        eq = memchr(s, '=', (size_t)(e - s));
    }
    it->name = s;
    it->nlen = eq ? (size_t)(eq - s) : (size_t)(e - s);
    it->val = eq ? eq + 1 : e;
    it->vlen = eq ? (size_t)(e - eq - 1) : 0;
    if (trim) {
        while (it->nlen && is_blank(it->name[it->nlen - 1]))
            it->nlen--;
        while (it->vlen && is_blank(*it->val)) {
            it->val++;
            it->vlen--;
        }
    }
}

/* Count the items named name in a list separated by any of seps. */
static ta_cred_result find_in_list(const char *list, const char *seps, int trim, const char *name,
                                   const char **val, size_t *vlen)
{
    size_t want = strlen(name);
    int found = 0;
    const char *p = list;

    if (list == NULL || want == 0)
        return TA_CRED_NONE;
    for (;;) {
        size_t n = strcspn(p, seps);
        item it;

        split_item(p, n, trim, &it);
        if (it.nlen == want && memcmp(it.name, name, want) == 0) {
            if (found++)
                return TA_CRED_REPEATED;
            *val = it.val;
            *vlen = it.vlen;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    return found ? TA_CRED_ONE : TA_CRED_NONE;
}

ta_cred_result ta_cred_query(const char *query, const char *name, const char **val, size_t *vlen)
{
    return find_in_list(query, "&", 0, name, val, vlen);
}

ta_cred_result ta_cred_cookie(const char *header, const char *name, const char **val, size_t *vlen)
{
    return find_in_list(header, ";,", 1, name, val, vlen);
}

ta_cred_result ta_cred_bearer(const char *header, const char **val, size_t *vlen)
{
    const char *p, *e;

    if (header == NULL)
        return TA_CRED_NONE;
    while (is_blank(*header))
        header++;
    /* Repeated Authorization headers arrive merged with ", ". A list that holds a Bearer
     * credential anywhere is refused as repeated, whichever scheme comes first. */
    if (strchr(header, ',') && strcasestr(header, "bearer"))
        return TA_CRED_REPEATED;
    if (strncasecmp(header, "Bearer", 6) != 0 || !is_blank(header[6]))
        return TA_CRED_NONE;
    p = header + 6;
    while (is_blank(*p))
        p++;
    e = p + strlen(p);
    while (e > p && is_blank(e[-1]))
        e--;
    if (memchr(p, ' ', (size_t)(e - p)) || memchr(p, '\t', (size_t)(e - p)))
        return TA_CRED_REPEATED; /* more than one credential in one header */
    *val = p;
    *vlen = (size_t)(e - p);
    return TA_CRED_ONE;
}

size_t ta_query_redact_bufsize(const char *query)
{
    size_t n = strlen(query), items = 1;

    for (const char *p = query; *p; p++)
        items += *p == '&';
    return n + items * (sizeof(REDACTED) - 1) + 1;
}

size_t ta_query_redact(const char *query, const char *name, char *out)
{
    size_t want = strlen(name), count = 0;
    const char *p = query;
    char *o = out;

    for (;;) {
        size_t n = strcspn(p, "&");
        item it;

        split_item(p, n, 0, &it);
        if (want && it.nlen == want && memcmp(it.name, name, want) == 0 &&
            it.name + it.nlen < p + n) {
            memcpy(o, p, want + 1); /* "name=" */
            o += want + 1;
            memcpy(o, REDACTED, sizeof(REDACTED) - 1);
            o += sizeof(REDACTED) - 1;
            count++;
        }
        else {
            memcpy(o, p, n);
            o += n;
        }
        if (p[n] == '\0')
            break;
        *o++ = '&';
        p += n + 1;
    }
    *o = '\0';
    return count;
}

/* 1 when the item's name is one of names. */
static int named_any(const item *it, const char *const *names, size_t nnames)
{
    for (size_t i = 0; i < nnames; i++) {
        size_t want = strlen(names[i]);
        if (want && it->nlen == want && memcmp(it->name, names[i], want) == 0)
            return 1;
    }
    return 0;
}

size_t ta_cookie_strip(const char *header, const char *const *names, size_t nnames, char *out)
{
    size_t removed = 0;
    const char *p = header;
    char *o = out;

    for (;;) {
        size_t n = strcspn(p, ";,");
        item it;

        split_item(p, n, 1, &it);
        if (named_any(&it, names, nnames))
            removed++; /* the item and the separator after it */
        else {
            memcpy(o, p, n + (p[n] != '\0'));
            o += n + (p[n] != '\0');
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    if (removed) {
        /* what a removed first or last item leaves: blanks before, a separator after */
        char *s = out;
        while (s < o && is_blank(*s))
            s++;
        while (o > s && (is_blank(o[-1]) || o[-1] == ';' || o[-1] == ','))
            o--;
        memmove(out, s, (size_t)(o - s));
        o = out + (o - s);
    }
    *o = '\0';
    return removed;
}
