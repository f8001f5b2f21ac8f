/* libFuzzer target: ta_uid_min_default (src/core/ta_user.c), which reads UID_MIN from
 * login.defs to set TokenAuthMinUID's default: accounts below it can neither log in nor be
 * served, so a value read from the wrong place opens system accounts. The input is the file's
 * contents, in a memory file read through its /proc/self/fd path.
 *
 * Invariants: the result is the value of the last line (the bytes between two newlines, however
 * long) that reads "UID_MIN <number>" after leading blanks, the number ending the line or
 * followed by a blank or '#', at most TA_UID_LIMIT; TA_UID_MIN_FALLBACK when there is no such
 * line. Bytes of a line are never read as the start of another, so no comment or value can smuggle
 * a UID_MIN in. The number is read with strtoul, as the parser reads it: what is checked is which
 * line the value comes from. A missing file gives the fallback. */
#include "fuzz.h"
#include "ta_user.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memfd = memfd_create("fuzz-login-defs", MFD_CLOEXEC);
    CHECK(memfd >= 0);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    CHECK(ta_uid_min_default("/nonexistent/login.defs") == TA_UID_MIN_FALLBACK);
    return 0;
}

/* The rule for one whole line (terminated, without its newline): 1 and *out when it sets
 * UID_MIN. */
static int line_sets(const char *line, unsigned long *out)
{
    char *end;
    unsigned long v;

    line += strspn(line, " \t");
    if (strncmp(line, "UID_MIN", 7) != 0 || (line[7] != ' ' && line[7] != '\t'))
        return 0;
    line += 7 + strspn(line + 7, " \t");
    errno = 0;
    v = strtoul(line, &end, 10);
    if (errno != 0 || end == line || v > TA_UID_LIMIT ||
        (*end != '\0' && *end != ' ' && *end != '\t' && *end != '#'))
        return 0;
    *out = v;
    return 1;
}

/* What the file says: the last UID_MIN line of text[0..n), split at every '\n'. */
static unsigned long expected(const char *text, size_t n)
{
    unsigned long v = TA_UID_MIN_FALLBACK;
    size_t i = 0;

    while (i < n) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - text - i) : n - i;
        char *line = malloc(len + 1);

        CHECK(line != NULL);
        memcpy(line, text + i, len);
        line[len] = '\0'; /* a NUL inside the line ends it, as for any C reader */
        line_sets(line, &v);
        free(line);
        i += len + 1;
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned long got;

    CHECK(ftruncate(memfd, 0) == 0);
    CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
    got = ta_uid_min_default(path);
    CHECK(got <= TA_UID_LIMIT);
    CHECK(got == expected((const char *)data, size));
    return 0;
}
