/* Reading a PAM service file for "nodelay" (see ta_pamconf.h). */
#include "ta_pamconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAM_FILE_MAX (64 * 1024) /* a longer service file is not one we judge: delay on */
#define WORD_MAX 64

/* The next blank-separated word of line[*at .. end) into w (cut to WORD_MAX bytes); 0 at the
 * end of the line. */
static int next_word(const char *line, size_t end, size_t *at, char w[WORD_MAX + 1])
{
    size_t n = 0;

    while (*at < end && (line[*at] == ' ' || line[*at] == '\t'))
        (*at)++;
    if (*at >= end)
        return 0;
    while (*at < end && line[*at] != ' ' && line[*at] != '\t') {
        if (n < WORD_MAX)
            w[n++] = line[*at];
        (*at)++;
    }
    w[n] = '\0';
    return 1;
}

/* The control field "[value=action ...]" may hold blanks: step over it whole. */
static void skip_control(const char *line, size_t end, size_t *at)
{
    while (*at < end && (line[*at] == ' ' || line[*at] == '\t'))
        (*at)++;
    if (*at < end && line[*at] == '[') {
        while (*at < end && line[*at] != ']')
            (*at)++;
        if (*at < end)
            (*at)++;
    }
    else {
        char w[WORD_MAX + 1];
        next_word(line, end, at, w);
    }
}

/* One line: *nodelay set for an auth line with the argument nodelay, *faildelay for any line
 * naming pam_faildelay. */
static void judge_line(const char *line, size_t len, int *nodelay, int *faildelay)
{
    char w[WORD_MAX + 1];
    size_t at = 0, hash = 0;

    while (hash < len && line[hash] != '#')
        hash++;
    len = hash; /* a comment runs to the end of the line */
    if (memmem(line, len, "pam_faildelay", 13))
        *faildelay = 1;
    if (!next_word(line, len, &at, w))
        return;
    if (w[0] == '-')
        memmove(w, w + 1, strlen(w)); /* "-auth": a module that may be missing */
    if (strcmp(w, "auth") != 0)
        return;
    skip_control(line, len, &at);
    if (!next_word(line, len, &at, w)) /* the module */
        return;
    while (next_word(line, len, &at, w))
        if (strcmp(w, "nodelay") == 0)
            *nodelay = 1;
}

int ta_pam_text_nodelay(const char *text, size_t len)
{
    int nodelay = 0, faildelay = 0;
    size_t start = 0;

    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;

        judge_line(text + start, end - start, &nodelay, &faildelay);
        start = end + 1;
    }
    return nodelay && !faildelay;
}

int ta_pam_service_nodelay(const char *dir, const char *service)
{
    char path[4096], *buf;
    ssize_t got;
    size_t have = 0;
    int fd, rv;

    if (service[0] == '\0' || service[0] == '.' || strchr(service, '/') ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, service) >= sizeof(path))
        return 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
        return 0;
    if ((buf = malloc(PAM_FILE_MAX + 1)) == NULL) {
        close(fd);
        return 0;
    }
    while (have <= PAM_FILE_MAX && ((got = read(fd, buf + have, PAM_FILE_MAX + 1 - have)) > 0 ||
                                    (got < 0 && errno == EINTR)))
        if (got > 0)
            have += (size_t)got;
    close(fd);
    rv = have <= PAM_FILE_MAX && ta_pam_text_nodelay(buf, have);
    free(buf);
    return rv;
}
