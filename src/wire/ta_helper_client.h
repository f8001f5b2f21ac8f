/* The client side of the helper protocol, used by Apache's children. They reach the helper
 * only through the hub they inherited from the Apache parent (ta_io.h); every request names
 * the virtual host and the URL path it is for, and carries the token it acts with. */
#ifndef TA_HELPER_CLIENT_H
#define TA_HELPER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ta_filestatus.h"
#include "ta_proto.h"

/* The hub this process talks to the helper through (-1: none; every request is then
 * TA_HELPER_UNAVAILABLE). Set once per child, before any request. */
void ta_helper_client_init(int hub);

/* What a login got from the helper. */
typedef struct {
    int result; /* ta_auth_result, or TA_AUTH_UNAVAILABLE when no sound answer came */
    unsigned long uid;
    long long expires_at;
    long long retry_after; /* TA_AUTH_THROTTLED only */
    char token[TA_PROTO_TOKEN_MAX + 1];
} ta_auth_answer;

/* Check user/password (lengths given: a body may hide a NUL) for the login location path of
 * virtual host server; on TA_AUTH_OK the helper has signed a session token. A user name or
 * password no account can have is TA_AUTH_BAD_CREDENTIALS without asking. Waits at most
 * timeout_ms. err says why when the answer is TA_AUTH_UNAVAILABLE. The answer holds a token:
 * the caller wipes it. */
void ta_helper_auth(int timeout_ms, unsigned server, const char *path, const char *user,
                    size_t user_len, const char *password, size_t password_len, const char *rhost,
                    ta_auth_answer *out, char *err, size_t errlen);

/* Ask the helper to sign a url (kind 2) or share (kind 3) token for scope, with the session
 * token it verifies itself; ttl 0 means the default of the location the scope lies in. A
 * ta_mint_result, with the token (cap bytes) and *expires_at on TA_MINT_OK; or
 * TA_HELPER_UNAVAILABLE with err set. */
int ta_helper_mint(int timeout_ms, unsigned server, int kind, long long ttl,
                   const char *session_token, const char *scope, char *token, size_t cap,
                   long long *expires_at, char *err, size_t errlen);

/* The file requests return a ta_confine_status (0..TA_PROTO_FILE_STATUS_MAX), the helper's
 * verdict, or TA_HELPER_UNAVAILABLE when there is none: the helper cannot be reached, does not
 * answer within timeout_ms, or answers something that is not a sound answer to this request
 * (err says which). The caller answers 503 for that, and for TA_CONFINE_ERROR 500. A request
 * that cannot be sent (a path outside the protocol's rules) is TA_CONFINE_BAD_PATH. */
#define TA_HELPER_UNAVAILABLE (-1)

/* Open the file at the URL path path of virtual host server, as the token allows. tighten:
 * TA_PROTO_TIGHTEN_* from this location's own configuration, which the helper adds to its own.
 * TA_CONFINE_OK: a regular file, open read-only and close-on-exec in *fd (the caller's to
 * close), and its fstat in *info; TA_CONFINE_IS_DIR: a directory, *info and no descriptor;
 * otherwise *fd is -1 and *info 0. The descriptor is the very file the helper checked: never
 * resolve the path again. */
int ta_helper_open(int timeout_ms, unsigned server, unsigned tighten, const char *token,
                   const char *path, int *fd, ta_file_info *info, char *err, size_t errlen);

/* One entry of a listing. */
typedef struct {
    const char *name; /* NUL-terminated, one path component: no '/', not "." or ".." */
    int is_dir;
    unsigned long long size;
    long long mtime;
} ta_list_entry;

/* A listing as the helper sent it, read to its end. */
typedef struct ta_listing ta_listing;

/* List the directory at path (a directory's URL: it ends in '/'): the entries of its listing,
 * sorted by name (bytewise), from offset on, limit of them at most (0: all the rest; at most
 * TA_PROTO_LIST_TOTAL_MAX). TA_CONFINE_IS_DIR with *out (free with ta_listing_free); the
 * helper's other verdicts (TA_CONFINE_TOO_LARGE: a directory larger than the helper lists),
 * or TA_HELPER_UNAVAILABLE, with *out NULL. The whole answer (one frame or several) is read
 * before this returns, so that no HTTP client's pace holds the helper: one that cannot be read
 * to its end, or does not add up (each frame the same total; exactly the entries the window
 * holds), is TA_HELPER_UNAVAILABLE and the kept connection is dropped, never left with frames
 * of it for the next request. */
int ta_helper_list(int timeout_ms, unsigned server, unsigned tighten, const char *token,
                   const char *path, uint32_t offset, uint32_t limit, ta_listing **out, char *err,
                   size_t errlen);

/* The number of entries of the whole listing (every page), and of this answer's window. */
unsigned long ta_listing_total(const ta_listing *l);
size_t ta_listing_count(const ta_listing *l);

/* The window's entries in order: the next one, or NULL after the last. The entry (and its
 * name) is valid until the next call. */
const ta_list_entry *ta_listing_next(ta_listing *l);

/* NULL is fine. */
void ta_listing_free(ta_listing *l);

/* Close this thread's kept file-request connection (it is reopened on the next request). */
void ta_helper_forget_connection(void);

#endif
