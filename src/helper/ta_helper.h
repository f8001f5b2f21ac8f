/* The privileged helper's server (SPEC §6): it takes connections from the hub that only Apache's
 * children hold, checks each peer, and answers a fixed table of requests, one thread per
 * connection so that a slow PAM conversation holds up only its own client. It never runs
 * anything a request names. */
#ifndef TA_HELPER_H
#define TA_HELPER_H

#include "ta_requests.h"

#define TA_HELPER_DRAIN_SECONDS 5 /* requests in progress get this long after SIGTERM */

typedef struct {
    ta_helper_ctx ctx;
    int hub;                  /* the helper's end of the hub */
    unsigned long client_uid; /* Apache's User: the one uid whose connections are served */
    unsigned max_clients;     /* connections served at once; more are closed at once */
    unsigned per_peer;        /* connections one process may hold at once */
    long parent_pid;          /* the Apache parent: when it is gone, so are we */
    long broker_pid;          /* the PAM process: when it is gone, we exit to be restarted */
} ta_helper_conf;

/* Serve until SIGTERM or the parent's death, then let the requests in progress finish, within
 * TA_HELPER_DRAIN_SECONDS. Returns the exit status: 0 when every connection ended,
 * TA_HELPER_STILL_BUSY when some were still served (their threads still use the
 * configuration: do not free it then). */
#define TA_HELPER_STILL_BUSY 3
int ta_helper_serve(const ta_helper_conf *c);

#endif
