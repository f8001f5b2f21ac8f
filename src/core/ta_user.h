/* The system user database (NSS): a token's sub must still exist with the same uid. */
#ifndef TA_USER_H
#define TA_USER_H

#include <limits.h>
#include <stddef.h>

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

/* The login name rule: a name that may log in, and that a token may name as its sub, is
 * 1..TA_LOGIN_NAME_MAX bytes of ASCII letters, digits, '.', '_', '-' and '@', not starting with
 * '-'. Everything else (UTF-8, spaces, control characters, '+', '$', longer names) is refused
 * before PAM is asked, as an unknown user would be, and never reaches a token: the set every
 * user database and every backend reading a token's sub spells alike, and a name PAM modules,
 * logs and HTTP headers carry without escaping. A user database that spells an account in
 * another case ("ALICE" for alice) still logs in: the token names the entry's own pw_name,
 * which must keep the rule too. */
#define TA_LOGIN_NAME_MAX 64
int ta_login_name_valid(const char *s);

/* name (n bytes, any bytes) as a log may show it: in double quotes, printable ASCII as is,
 * every other byte as \xNN, cut with "..." to fit cap (at least 8). For reading, not for
 * parsing back. out is always NUL-terminated; returns its length. */
size_t ta_login_name_escape(const char *name, size_t n, char *out, size_t cap);

/* TokenAuthMinUID's default: UID_MIN of login_defs (NULL: /etc/login.defs), the first uid of
 * ordinary accounts, else TA_UID_MIN_FALLBACK. Accounts below it (root, system accounts) can
 * neither log in nor be served. */
#define TA_UID_MIN_FALLBACK 1000
#define TA_UID_LIMIT 4294967294UL
unsigned long ta_uid_min_default(const char *login_defs);

#endif
