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

#endif
