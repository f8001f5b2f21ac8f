/* Least privilege for the helper's file side (issue 9): once its start-up is done, the process
 * that serves Apache's children keeps only CAP_SETUID and CAP_SETGID (to take on each user's
 * file-system credentials for one open), cannot gain any privilege back through exec
 * (PR_SET_NO_NEW_PRIVS), and cannot be traced or dumped (PR_SET_DUMPABLE 0). */
#ifndef TA_PRIVS_H
#define TA_PRIVS_H

#include <stddef.h>

/* Not dumpable, no new privileges. 0, or -1 with err set. */
int ta_privs_lock_process(char *err, size_t errlen);

/* Drop every capability but CAP_SETUID and CAP_SETGID from the bounding, permitted, effective
 * and inheritable sets, and check that it took. A helper that is not root has none to drop
 * and is left as it is. 0, or -1 with err set. */
int ta_privs_drop_caps(char *err, size_t errlen);

#endif
