/* The system user database (NSS): a token's sub must still exist with the same uid. */
#ifndef TA_USER_H
#define TA_USER_H

#include <limits.h>

typedef enum {
    TA_USER_OK = 0,
    TA_USER_UNKNOWN,
    TA_USER_ERROR, /* NSS failed: not the same as "no such user" */
} ta_user_status;

#define TA_USER_NAME_MAX 256

typedef struct {
    char name[TA_USER_NAME_MAX + 1]; /* the entry's own pw_name: the canonical spelling */
    unsigned long uid;
    unsigned long gid;
    char home[PATH_MAX];
} ta_user;

/* Look a user up by name (getpwnam_r). */
ta_user_status ta_user_lookup(const char *name, ta_user *u);

/* TokenAuthMinUID's default: UID_MIN of login_defs (NULL: /etc/login.defs), the first uid of
 * ordinary accounts, else TA_UID_MIN_FALLBACK. Accounts below it (root, system accounts) can
 * neither log in nor be served. */
#define TA_UID_MIN_FALLBACK 1000
#define TA_UID_LIMIT 4294967294UL
unsigned long ta_uid_min_default(const char *login_defs);

#endif
