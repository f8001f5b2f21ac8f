/* What the helper answers (SPEC §6): one handler per request type, each deciding from the
 * request's token and the helper's own configuration alone. The worker is an untrusted
 * client: nothing it says besides the token, the virtual host and the URL path is believed,
 * and the token is verified here, whatever the worker already checked. */
#ifndef TA_REQUESTS_H
#define TA_REQUESTS_H

#include <stddef.h>

#include "ta_hconf.h"
#include "ta_proto.h"
#include "ta_revstore.h"

/* What the handlers share: read-only once serving starts. */
typedef struct {
    const ta_hconf *conf;
    int broker;          /* link to the PAM process */
    ta_revstore *ledger; /* NULL when the configuration names none */
} ta_helper_ctx;

/* One answer: a frame (in out, or in a buffer of the connection's), and perhaps a descriptor
 * passed with it, which the server closes once sent. len 0: no answer (the server answers an
 * ERROR), or with broken: an answer of several frames that went out in part, after which
 * nothing can be sent (a frame may have been cut): the connection ends. */
typedef struct {
    const unsigned char *frame;
    size_t len;
    int fd;
    int broken;
} ta_answer;

/* Per-connection scratch that outlives one request. */
typedef struct {
    unsigned char *list_out; /* TA_PROTO_MAX_LIST_FRAME, made on the first LIST_REQ */
    int sock; /* the connection: an answer of several frames (a listing) sends every frame but
               * its last here, and leaves the last to the server loop as any answer */
} ta_conn_scratch;

typedef void (*ta_request_fn)(const ta_helper_ctx *ctx, const ta_msg *m, ta_conn_scratch *cs,
                              unsigned char *out, size_t cap, ta_answer *a);

void ta_answer_auth(const ta_helper_ctx *ctx, const ta_msg *m, ta_conn_scratch *cs,
                    unsigned char *out, size_t cap, ta_answer *a);
void ta_answer_file(const ta_helper_ctx *ctx, const ta_msg *m, ta_conn_scratch *cs,
                    unsigned char *out, size_t cap, ta_answer *a);
void ta_answer_mint(const ta_helper_ctx *ctx, const ta_msg *m, ta_conn_scratch *cs,
                    unsigned char *out, size_t cap, ta_answer *a);

#endif
