/* getpwnam_r with a buffer that grows on ERANGE. */
#include "ta_user.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PW_BUF_START 4096
#define PW_BUF_MAX (1024 * 1024)

ta_user_status ta_user_lookup(const char *name, ta_user *u)
{
    size_t size = PW_BUF_START;

    for (;;) {
        struct passwd pw, *res = NULL;
        char *buf = malloc(size);
        int rc;

        if (buf == NULL)
            return TA_USER_ERROR;
        rc = getpwnam_r(name, &pw, buf, size, &res);
        if (rc == ERANGE && size < PW_BUF_MAX) {
            free(buf);
            size *= 2;
            continue;
        }
        if (rc != 0 && rc != ENOENT && rc != ESRCH) {
            free(buf);
            return TA_USER_ERROR;
        }
        if (res == NULL || strlen(pw.pw_dir) >= sizeof(u->home) ||
            strlen(pw.pw_name) >= sizeof(u->name)) {
            free(buf);
            return res == NULL ? TA_USER_UNKNOWN : TA_USER_ERROR;
        }
        u->uid = pw.pw_uid;
        u->gid = pw.pw_gid;
        memcpy(u->home, pw.pw_dir, strlen(pw.pw_dir) + 1);
        memcpy(u->name, pw.pw_name, strlen(pw.pw_name) + 1);
        free(buf);
        return TA_USER_OK;
    }
}

static int login_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '@';
}

int ta_login_name_valid(const char *s)
{
    size_t n = 0;

    if (s == NULL || s[0] == '-')
        return 0;
    while (s[n] != '\0' && n <= TA_LOGIN_NAME_MAX && login_name_char((unsigned char)s[n]))
        n++;
    return s[n] == '\0' && n >= 1 && n <= TA_LOGIN_NAME_MAX;
}

size_t ta_login_name_escape(const char *name, size_t n, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;

    if (out == NULL || cap < 8) {
        if (out != NULL && cap > 0)
            out[0] = '\0';
        return 0;
    }
    out[len++] = '"';
    for (size_t i = 0; i < n && name != NULL; i++) {
        unsigned char c = (unsigned char)name[i];
        int plain = c >= 0x20 && c < 0x7f;

        if (len + (plain ? 1 : 4) > cap - 5) { /* room for "...", the quote and the NUL */
            memcpy(out + len, "...", 3);
            len += 3;
            break;
        }
        if (plain)
            out[len++] = (char)c;
        else {
            out[len++] = '\\';
            out[len++] = 'x';
            out[len++] = hex[c >> 4];
            out[len++] = hex[c & 0xf];
        }
    }
    out[len++] = '"';
    out[len] = '\0';
    return len;
}

/* "UID_MIN <digits>" on a line of its own (leading blanks allowed), as shadow's login.defs
 * writes it; the last such line wins, as for the tools that read the file. */
static int uid_min_line(const char *line, unsigned long *out)
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
        (*end != '\0' && *end != '\n' && *end != ' ' && *end != '\t' && *end != '#'))
        return 0;
    *out = v;
    return 1;
}

unsigned long ta_uid_min_default(const char *login_defs)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned long v = TA_UID_MIN_FALLBACK;
    FILE *f = fopen(login_defs ? login_defs : "/etc/login.defs", "re");

    if (f == NULL)
        return v;
    /* whole lines, however long: the tail of a long comment must not read as a line of its own */
    while (getline(&line, &cap, f) != -1)
        uid_min_line(line, &v);
    free(line);
    fclose(f);
    return v;
}
