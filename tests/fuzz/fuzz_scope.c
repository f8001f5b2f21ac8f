/* libFuzzer target: where a url or share token's request is resolved (ta_scope_split,
 * src/core/ta_token.c) and the hidden rule on a resolved path (ta_confine_visible_below,
 * src/helper/ta_confine.c). The scope comes from a token, the path from the worker, and the
 * resolved path from names a user chose; the helper is root.
 *
 * Input: one byte (the base: where the part below the home location begins), then up to four
 * strings separated by NUL bytes: scope, path, root, resolved (missing ones are "").
 *
 * Invariants. A split holds only for an absolute scope that covers the path, with the base
 * inside the path; the scope's directory then ends at the scope's last '/', either at or above
 * the base (nothing below the root: the rest is the whole part below it) or past it, naming a
 * directory that does not start with '/' (else no split), followed by the rest. The name check says
 * 1 only when a rule restated here by index says so (beneath the root, every component below it
 * non-empty and not starting with '.', nothing ending " (deleted)"); it is asked for scope and
 * path as well. */
#include "fuzz.h"
#include "ta_confine.h"
#include "ta_token.h"

#include <stdint.h>
#include <string.h>

#define DELETED " (deleted)"

static int ends_deleted(const char *s)
{
    size_t n = strlen(s), m = strlen(DELETED);

    return n >= m && strcmp(s + n - m, DELETED) == 0;
}

/* The name rule, restated by index. */
static int visible_ref(const char *root, const char *res)
{
    size_t rn = strlen(root), n = strlen(res), i;

    if (rn == 0 || root[0] != '/' || n == 0 || res[0] != '/' || ends_deleted(root) ||
        ends_deleted(res))
        return 0;
    if (rn > 1 && root[rn - 1] == '/')
        return 0;
    if (n < rn || memcmp(res, root, rn) != 0)
        return 0;
    if (n == rn)
        return 1;
    i = rn == 1 ? 1 : rn + 1; /* the first byte of the first component below the root */
    if (rn > 1 && res[rn] != '/')
        return 0;
    for (;;) { /* i: the start of a component */
        if (i >= n || res[i] == '/' || res[i] == '.')
            return 0;
        while (i < n && res[i] != '/')
            i++;
        if (i == n)
            return 1;
        i++;
    }
}

static void check_split(const char *scope, const char *path, size_t base)
{
    size_t dir_len = 7, rest_at = 7, n = strlen(path), end;
    const char *slash;
    int r = ta_scope_split(scope, path, base, &dir_len, &rest_at);

    if (scope[0] != '/' || !ta_scope_covers(scope, path) || base > n) {
        CHECK(r == -1);
        return;
    }
    slash = strrchr(scope, '/');
    end = (size_t)(slash - scope) + 1;
    CHECK(strncmp(path, scope, end) == 0); /* the path begins with the scope's directory */
    if (r != 0) {
        CHECK(end > base && path[base] == '/');
        return;
    }
    CHECK(rest_at <= n);
    if (dir_len == 0) {
        CHECK(end <= base && rest_at == base);
        return;
    }
    CHECK(rest_at == end && rest_at == base + dir_len + 1);
    CHECK(path[base] != '/' && path[rest_at - 1] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s[4] = {"", "", "", ""};
    char *buf;
    size_t base, k = 0;

    if (size < 1)
        return 0;
    base = data[0];
    buf = malloc(size); /* the rest, NUL-terminated */
    if (buf == NULL)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    for (size_t i = 0, start = 0; i < size && k < 4; i++)
        if (buf[i] == '\0') {
            s[k++] = buf + start;
            start = i + 1;
        }
    check_split(s[0], s[1], base);
    CHECK(ta_confine_visible_below(s[2], s[3]) == visible_ref(s[2], s[3]));
    CHECK(ta_confine_visible_below(s[0], s[1]) == visible_ref(s[0], s[1]));
    free(buf);
    return 0;
}
