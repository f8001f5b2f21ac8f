/* The privileged helper (SPEC §6, issue 3): a small server that Apache's children reach over a
 * Unix socket. It answers a fixed table of requests (AUTH, a PAM check; OPEN, a file below
 * ~user/subdir opened with the user's credentials and passed back as a descriptor; LIST, such
 * a directory's entries) and nothing else; it never runs anything a request names. One thread
 * per connection, so a slow PAM conversation holds up only its own client. */
#ifndef TA_HELPER_H
#define TA_HELPER_H

#include <stddef.h>

/* Log levels of the callback, as syslog's. */
#define TA_LOG_ERR 3
#define TA_LOG_WARNING 4
#define TA_LOG_INFO 6
#define TA_LOG_DEBUG 7

typedef void (*ta_log_fn)(void *ctx, int level, const char *msg);

typedef struct {
    int listen_fd;               /* from ta_helper_listen */
    unsigned long client_uid;    /* the one uid (Apache's children) allowed to talk to us */
    unsigned max_clients;        /* connections served at once; more are closed at once */
    const char *const *services; /* the PAM services the configuration names, NULL-ended:
                                  * a caller must not pick another (su's pam_rootok!) */
    ta_log_fn log;
    void *log_ctx;
} ta_helper_conf;

/* Create the socket at path, reachable by client_uid only: its directory is made (or must
 * be) owned by the caller and not writable by others, the socket is chowned to client_uid
 * and mode 0600. Returns a listening, close-on-exec descriptor, or -1 with err set. */
int ta_helper_listen(const char *path, unsigned long client_uid, unsigned long client_gid,
                     char *err, size_t errlen);

/* Serve until SIGTERM (or until the parent dies, when parent_pid is not 0), then let the
 * requests in progress finish, within TA_HELPER_DRAIN_SECONDS. Returns the exit status. */
#define TA_HELPER_DRAIN_SECONDS 5
int ta_helper_serve(const ta_helper_conf *c, long parent_pid);

#endif
