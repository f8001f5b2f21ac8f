/* A short-lived per-process cache of "user NAME has uid UID", so that the user check of every
 * token-authenticated request does not read the user database each time. */
#ifndef TA_USERCACHE_H
#define TA_USERCACHE_H

#include "httpd.h"
#include "ta_user.h"

/* Seconds a positive answer is trusted. A deleted or re-created account stops working
 * within this time. */
#define TA_USERCACHE_SECONDS 2

/* Create the cache for this child process. */
apr_status_t ta_usercache_init(apr_pool_t *pchild);

/* The uid of name, from the cache or the user database. */
ta_user_status ta_usercache_uid(const char *name, unsigned long *uid);

#endif
