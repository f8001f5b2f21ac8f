/* getpwnam_r with a buffer that grows on ERANGE. */
#include "ta_user.h"

#include <errno.h>
#include <pwd.h>
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
