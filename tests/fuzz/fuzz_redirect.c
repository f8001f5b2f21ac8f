/* libFuzzer target: ta_local_path_valid, the rule for the login handler's "return" (SPEC §4:
 * a local path, one leading '/', no "//", no '\\', no scheme, no control characters). The
 * input, cut at its first NUL, is the candidate, read from a heap copy of exactly its length.
 *
 * Invariants. An accepted value obeys every rule of the SPEC, restated here: it starts with one
 * '/', is at most 2048 bytes, holds no byte below 0x21, no DEL, no '\\', no "%2e" in any case,
 * and no "//" in its path (the part before '?' or '#'). It stays on this site whoever
 * normalises it: its path with every "%2e" read as a dot and its dot-segments removed (RFC 3986
 * §5.2.4, as a browser, a proxy or a framework may do before parsing it again) still starts
 * with exactly one '/', so no normaliser can turn it into "//host". And the legitimate path
 * works: a value made only of unreserved characters, '/', and a query of them with '=' and '&',
 * without "//" or a dot-segment, of at most 2048 bytes, is accepted. */
#include "fuzz.h"
#include "ta_redirect.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETURN_MAX 2048

/* The length of the path part: up to the first '?' or '#'. */
static size_t path_len(const char *s)
{
    return strcspn(s, "?#");
}

/* 1 when s holds "%2e" or "%2E". */
static int has_encoded_dot(const char *s)
{
    for (; (s = strchr(s, '%')) != NULL; s++)
        if (s[1] == '2' && (s[2] == 'e' || s[2] == 'E'))
            return 1;
    return 0;
}

/* The path part of s with "%2e"/"%2E" decoded to '.', into out (room for n + 1 bytes). */
static void decode_dots(const char *s, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E')) {
            out[o++] = '.';
            i += 2;
        }
        else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
}

/* Drop the last segment (and its '/') of out[0..*o). */
static void drop_last_segment(const char *out, size_t *o)
{
    while (*o > 0 && out[*o - 1] != '/')
        (*o)--;
    if (*o > 0)
        (*o)--;
}

/* RFC 3986 §5.2.4 remove_dot_segments, for an absolute path in (terminated); out has room for
 * strlen(in) + 1 bytes. */
static void remove_dot_segments(const char *in, char *out)
{
    size_t o = 0;

    while (*in) {
        if (strncmp(in, "../", 3) == 0)
            in += 3;
        else if (strncmp(in, "./", 2) == 0)
            in += 2;
        else if (strncmp(in, "/./", 3) == 0)
            in += 2;
        else if (strcmp(in, "/.") == 0)
            in = "/";
        else if (strncmp(in, "/../", 4) == 0) {
            in += 3;
            drop_last_segment(out, &o);
        }
        else if (strcmp(in, "/..") == 0) {
            in = "/";
            drop_last_segment(out, &o);
        }
        else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0)
            in += strlen(in);
        else {
            size_t seg = 1 + strcspn(in + 1, "/");

            if (*in != '/')
                seg = strcspn(in, "/");
            memcpy(out + o, in, seg);
            o += seg;
            in += seg;
        }
    }
    out[o] = '\0';
}

/* Every rule of SPEC §4 holds for s (n bytes). */
static void check_rules(const char *s, size_t n)
{
    size_t pl = path_len(s);
    char *slashes;

    CHECK(n >= 1 && n <= RETURN_MAX);
    CHECK(s[0] == '/' && s[1] != '/');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        CHECK(c > 0x20 && c != 0x7f && c != '\\');
    }
    CHECK(!has_encoded_dot(s));
    slashes = memmem(s, pl, "//", 2);
    CHECK(slashes == NULL);
}

/* Normalised as a browser or proxy may, the path still starts with exactly one '/'. */
static void check_stays_local(const char *s)
{
    size_t pl = path_len(s);
    char *dec = malloc(pl + 1), *norm = malloc(pl + 1);

    CHECK(dec != NULL && norm != NULL);
    decode_dots(s, pl, dec);
    remove_dot_segments(dec, norm);
    CHECK(norm[0] == '/' && norm[1] != '/');
    free(norm);
    free(dec);
}

/* 1 when c may appear in a plain local path or its query. */
static int plain_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}

/* 1 when s is a plain local path: '/' first, unreserved characters and '/' (a query of them
 * with '=' and '&'), no "//", no "." or ".." segment. */
static int plain_path(const char *s, size_t n)
{
    size_t pl = strcspn(s, "?");

    if (n == 0 || n > RETURN_MAX || s[0] != '/' || memmem(s, pl, "//", 2))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == pl) /* the '?' */
            continue;
        if (!plain_char(c) && !(i > pl && (c == '=' || c == '&')))
            return 0;
    }
    for (size_t i = 0; i < pl; i++) {
        size_t seg;

        if (s[i] != '/')
            continue;
        seg = strcspn(s + i + 1, "/?");
        if ((seg == 1 && s[i + 1] == '.') || (seg == 2 && s[i + 1] == '.' && s[i + 2] == '.'))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *s = malloc(n + 1);
    int r;

    CHECK(s != NULL);
    memcpy(s, data, n);
    s[n] = '\0';
    r = ta_local_path_valid(s);
    CHECK(r == 0 || r == 1);
    if (r) {
        check_rules(s, n);
        check_stays_local(s);
    }
    if (plain_path(s, n))
        CHECK(r == 1);
    free(s);
    return 0;
}
