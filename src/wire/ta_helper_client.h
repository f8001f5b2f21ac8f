/* The client side of the helper protocol, used by Apache's children. */
#ifndef TA_HELPER_CLIENT_H
#define TA_HELPER_CLIENT_H

#include <stddef.h>

#include "ta_proto.h"

/* Ask the helper at socket_path whether user/password pass PAM service. Returns a
 * ta_auth_result (TA_AUTH_OK and *uid, or why not); TA_AUTH_UNAVAILABLE also when the helper
 * cannot be reached or answers nonsense, with err saying which. Waits at most timeout_ms for
 * the answer (PAM may be slow); a helper that is restarting is retried briefly. */
int ta_helper_auth(const char *socket_path, int timeout_ms, const char *service, const char *user,
                   const char *password, const char *rhost, unsigned long *uid, char *err,
                   size_t errlen);

/* The file requests return a ta_confine_status (0..TA_PROTO_FILE_STATUS_MAX), the helper's
 * verdict, or TA_HELPER_UNAVAILABLE when there is none: the helper cannot be reached, does not
 * answer within timeout_ms, or answers something that is not a sound answer to this request
 * (err says which). The caller answers 503 for that, and for TA_CONFINE_ERROR 500. A request
 * that cannot be sent is answered here: a user name outside the protocol's rules is
 * TA_CONFINE_BAD_USER, a path TA_CONFINE_BAD_PATH, a subdir or flags TA_CONFINE_ERROR. */
#define TA_HELPER_UNAVAILABLE (-1)

/* flags for both requests */
#define TA_HELPER_OWNER_ONLY TA_PROTO_FILE_OWNER_ONLY     /* TokenAuthOwnerOnly On */
#define TA_HELPER_ALLOW_HIDDEN TA_PROTO_FILE_ALLOW_HIDDEN /* TokenAuthHidden allow */

/* Open ~user/subdir/path with the user's credentials. TA_CONFINE_OK: a regular file, open
 * read-only and close-on-exec in *fd (the caller's to close), and its fstat in *info;
 * TA_CONFINE_IS_DIR: a directory, *info and no descriptor; otherwise *fd is -1 and *info 0.
 * The descriptor is the very file the helper checked: never resolve the path again. */
int ta_helper_open(const char *socket_path, int timeout_ms, const char *user, const char *subdir,
                   const char *path, unsigned flags, int *fd, ta_file_info *info, char *err,
                   size_t errlen);

/* One entry of a listing. */
typedef struct {
    char *name; /* NUL-terminated, one path component: no '/', not "." or ".." */
    int is_dir;
    unsigned long long size;
    long long mtime;
} ta_list_entry;

/* List the directory ~user/subdir/path. TA_CONFINE_IS_DIR: *entries (*n of them, in the
 * helper's order, all in one allocation: free with ta_helper_list_free) and *truncated 1 when
 * the directory holds more than one answer carries (TA_PROTO_MAX_LIST_BODY). TA_CONFINE_OK:
 * path is a regular file, nothing listed. Otherwise, or on TA_HELPER_UNAVAILABLE, *entries is
 * NULL and *n 0. */
int ta_helper_list(const char *socket_path, int timeout_ms, const char *user, const char *subdir,
                   const char *path, unsigned flags, ta_list_entry **entries, size_t *n,
                   int *truncated, char *err, size_t errlen);
void ta_helper_list_free(ta_list_entry *entries);

/* Close this thread's kept file-request connection (it is reopened on the next request). */
void ta_helper_forget_connection(void);

#endif
