/* The client side of the helper protocol. A login gets a connection of its own (rare, and a
 * fresh connection never carries a half-read answer of an earlier request). File requests
 * come on every hit, so each worker thread keeps one connection to the helper open between
 * them: connect() and a new helper thread per request cost more than the open itself. A kept
 * connection is dropped whenever anything about an exchange on it goes wrong, and a request
 * that failed on a kept connection is tried once more on a fresh one (the helper closes idle
 * connections after a few seconds, and is replaced at a graceful restart); file requests are
 * idempotent, so the retry is safe. */
#include "ta_helper_client.h"
#include "ta_filestatus.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* A helper takes a connection at once; one that has not within this long is not there (it
 * died, or is being replaced): the request answers 503 rather than wait. */
#define TA_HELPER_ACCEPT_MS 1000
/* A kept connection waits for its answer this long at a time; then the helper has as long
 * again to take a probe connection (so a stopped one costs a request about a second). */
#define TA_KEPT_SLICE_MS 500

static int hub_fd = -1;

void ta_helper_client_init(int hub)
{
    hub_fd = hub;
}

static int helper_connect(char *err, size_t errlen)
{
    int fd = hub_fd >= 0 ? ta_hub_connect(hub_fd, TA_HELPER_ACCEPT_MS) : -1;

    if (fd < 0)
        snprintf(err, errlen, "cannot reach the helper: %s",
                 hub_fd < 0 ? "no hub in this process" : strerror(errno));
    return fd;
}

static uint32_t new_id(void)
{
    uint32_t id;

    if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
        id = (uint32_t)getpid();
    return id;
}

/* Send one request on a fresh connection and take its answer frame (and the descriptor that
 * came with it, if any, into *fd; -1 otherwise) within timeout_ms. 0, or -1 with err set. */
static int exchange(int timeout_ms, const unsigned char *req, size_t rlen, unsigned char *ans,
                    size_t cap, size_t *alen, int *fd, char *err, size_t errlen)
{
    int s = helper_connect(err, errlen);

    *fd = -1;
    if (s < 0)
        return -1;
    if (ta_send_all(s, req, rlen) != 0 || ta_recv_frame_fd(s, timeout_ms, ans, cap, alen, fd)) {
        snprintf(err, errlen, "no answer from the helper");
        close(s);
        return -1;
    }
    close(s);
    return 0;
}

/* This thread's kept connection for file requests. */
static __thread int kept_fd = -1;

void ta_helper_forget_connection(void)
{
    if (kept_fd >= 0)
        close(kept_fd);
    kept_fd = -1;
}

/* A fresh kept connection whose answers are awaited a slice at a time: the wait is bounded by
 * the socket itself, one call rather than a poll and a non-blocking read per answer. */
static int open_kept(char *err, size_t errlen)
{
    struct timeval tv = {TA_KEPT_SLICE_MS / 1000, (TA_KEPT_SLICE_MS % 1000) * 1000};

    if ((kept_fd = helper_connect(err, errlen)) < 0)
        return -1;
    if (setsockopt(kept_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
        snprintf(err, errlen, "cannot set the helper socket's timeout");
        ta_helper_forget_connection();
        return -1;
    }
    return 0;
}

static long long monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when the helper takes a new connection at once: it is there, and only slow with ours (a
 * large directory, a slow file system). A stopped or dead helper does not. */
static int helper_is_there(void)
{
    int probe = hub_fd >= 0 ? ta_hub_connect(hub_fd, TA_KEPT_SLICE_MS) : -1;

    if (probe < 0)
        return 0;
    close(probe);
    return 1;
}

/* The answer on the kept connection within timeout_ms; after each slice without one, the
 * helper must show it is still there, else the request gives up (503) at once. */
static int await_kept_answer(int timeout_ms, unsigned char *ans, size_t cap, size_t *alen, int *fd)
{
    long long deadline = monotonic_ms() + timeout_ms;

    for (;;) {
        if (ta_recv_answer_fd(kept_fd, ans, cap, alen, fd) == 0)
            return 0;
        if (!(errno == EAGAIN || errno == EWOULDBLOCK))
            return -1;
        if (monotonic_ms() >= deadline || !helper_is_there()) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

/* One frame of an answer of several on the kept connection, read exactly: its header, then
 * its body, and never a byte of the frame after it. Awaited as await_kept_answer awaits one. */
static int await_kept_frame(int timeout_ms, unsigned char *ans, size_t cap, size_t *alen, int *fd)
{
    long long deadline = monotonic_ms() + timeout_ms;

    for (;;) {
        struct pollfd pfd = {.fd = kept_fd, .events = POLLIN};
        int n = poll(&pfd, 1, TA_KEPT_SLICE_MS);
        long long left = deadline - monotonic_ms();

        if (n > 0) {
            if (ta_recv_frame_fd(kept_fd, left > 0 ? (int)left : 0, ans, cap, alen, fd) == 0)
                return 0;
            errno = ECONNRESET; /* a kept connection the helper closed, or out of step */
            return -1;
        }
        if (n < 0 && errno != EINTR)
            return -1;
        if (left <= 0 || !helper_is_there()) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

/* How an answer is read off the kept connection (await_kept_answer, await_kept_frame). */
typedef int (*kept_reader)(int timeout_ms, unsigned char *ans, size_t cap, size_t *alen, int *fd);

/* exchange() over this thread's kept connection, the (first) answer frame read by read: 0, or
 * -1 with err set. */
static int exchange_kept(int timeout_ms, const unsigned char *req, size_t rlen, unsigned char *ans,
                         size_t cap, size_t *alen, int *fd, kept_reader read, char *err,
                         size_t errlen)
{
    *fd = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = kept_fd < 0;

        if (fresh && open_kept(err, errlen) != 0)
            return -1;
        if (ta_send_all(kept_fd, req, rlen) == 0 && read(timeout_ms, ans, cap, alen, fd) == 0)
            return 0;
        ta_helper_forget_connection();
        /* a fresh connection that failed, or a helper that was too slow or is stopped, is not
         * asked again: only a kept connection the helper had closed is */
        if (fresh || errno == ETIMEDOUT)
            break;
    }
    snprintf(err, errlen, "no answer from the helper");
    return -1;
}

/* Decode the answer to request id, which must be of type want. 0, or -1 with err set (an
 * ERROR_RESP says its code). */
static int decode_answer(const unsigned char *ans, size_t alen, uint32_t id, int want, ta_msg *m,
                         char *err, size_t errlen)
{
    size_t used = 0;

    if (ta_proto_decode(ans, alen, m, &used) == TA_PROTO_OK && m->id == id && m->type == want)
        return 0;
    if (m->type == TA_MSG_ERROR)
        snprintf(err, errlen, "the helper refused the request: %s",
                 ta_proto_error_name(m->u.error.code));
    else
        snprintf(err, errlen, "the helper answered something unexpected");
    return -1;
}

/* A login request, or -1 when user or password cannot be sent (no account has them). */
static int encode_auth(uint32_t id, unsigned server, const char *path, const char *user,
                       size_t user_len, const char *password, size_t password_len,
                       const char *rhost, unsigned char *req, size_t cap, size_t *rlen)
{
    ta_msg *m = calloc(1, sizeof(*m));
    int rv = -1;

    if (m == NULL)
        return -1;
    m->type = TA_MSG_AUTH_REQ;
    m->id = id;
    m->u.auth_req.server = (uint16_t)server;
    if (server < TA_PROTO_SERVERS_MAX &&
        ta_proto_set_string(m->u.auth_req.path, sizeof(m->u.auth_req.path), path, strlen(path)) ==
            0 &&
        ta_proto_set_string(m->u.auth_req.user, sizeof(m->u.auth_req.user), user, user_len) == 0 &&
        ta_proto_set_string(m->u.auth_req.password, sizeof(m->u.auth_req.password), password,
                            password_len) == 0 &&
        ta_proto_set_string(m->u.auth_req.rhost, sizeof(m->u.auth_req.rhost), rhost,
                            strlen(rhost)) == 0 &&
        ta_proto_encode(m, req, cap, rlen) == TA_PROTO_OK)
        rv = 0;
    ta_msg_wipe(m);
    free(m);
    return rv;
}

void ta_helper_auth(int timeout_ms, unsigned server, const char *path, const char *user,
                    size_t user_len, const char *password, size_t password_len, const char *rhost,
                    ta_auth_answer *out, char *err, size_t errlen)
{
    unsigned char req[TA_PROTO_MAX_FRAME], ans[TA_PROTO_MAX_FRAME];
    size_t rlen = 0, alen = 0;
    uint32_t id = new_id();
    ta_msg *m = calloc(1, sizeof(*m));
    int fd = -1;

    memset(out, 0, sizeof(*out));
    out->result = TA_AUTH_UNAVAILABLE;
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        return;
    }
    /* A password (or path) the protocol cannot carry is no password of anyone's: the helper
     * is asked with an empty one instead, so that the refusal comes at the failure delay like
     * every other (answered here at once, it would be told from them by its speed). */
    if (encode_auth(id, server, path, user, user_len, password, password_len, rhost, req,
                    sizeof(req), &rlen) != 0 &&
        encode_auth(id, server, "/", user, user_len, "", 0, rhost, req, sizeof(req), &rlen) != 0) {
        snprintf(err, errlen, "user name outside the protocol's limits");
        out->result = TA_AUTH_BAD_CREDENTIALS;
    }
    else if (exchange(timeout_ms, req, rlen, ans, sizeof(ans), &alen, &fd, err, errlen) == 0) {
        if (fd >= 0) {
            close(fd); /* no answer to a login carries a descriptor */
            snprintf(err, errlen, "the helper answered something unexpected");
        }
        else if (decode_answer(ans, alen, id, TA_MSG_AUTH_RESP, m, err, errlen) == 0) {
            out->result = m->u.auth_resp.result;
            out->uid = m->u.auth_resp.uid;
            out->expires_at = (long long)m->u.auth_resp.expires_at;
            out->retry_after = m->u.auth_resp.retry_after;
            memcpy(out->token, m->u.auth_resp.token, sizeof(out->token));
        }
    }
    OPENSSL_cleanse(req, sizeof(req));
    OPENSSL_cleanse(ans, sizeof(ans));
    ta_msg_wipe(m);
    free(m);
}

/* A mint request, or -1 when it cannot be sent. */
static int encode_mint(uint32_t id, unsigned server, int kind, long long ttl, const char *token,
                       const char *scope, unsigned char *req, size_t cap, size_t *rlen)
{
    ta_msg *m = calloc(1, sizeof(*m));
    int rv = -1;

    if (m == NULL)
        return -1;
    m->type = TA_MSG_MINT_REQ;
    m->id = id;
    m->u.mint_req.server = (uint16_t)server;
    m->u.mint_req.kind = (uint8_t)kind;
    m->u.mint_req.ttl = ttl < 0 ? 0 : (uint64_t)ttl;
    if (server < TA_PROTO_SERVERS_MAX && kind >= 0 && kind <= 255 &&
        ta_proto_set_string(m->u.mint_req.token, sizeof(m->u.mint_req.token), token,
                            strlen(token)) == 0 &&
        ta_proto_set_string(m->u.mint_req.scope, sizeof(m->u.mint_req.scope), scope,
                            strlen(scope)) == 0 &&
        ta_proto_encode(m, req, cap, rlen) == TA_PROTO_OK)
        rv = 0;
    ta_msg_wipe(m);
    free(m);
    return rv;
}

int ta_helper_mint(int timeout_ms, unsigned server, int kind, long long ttl,
                   const char *session_token, const char *scope, char *token, size_t cap,
                   long long *expires_at, char *err, size_t errlen)
{
    unsigned char req[TA_PROTO_MAX_FRAME], ans[TA_PROTO_MAX_FRAME];
    size_t rlen = 0, alen = 0;
    uint32_t id = new_id();
    ta_msg *m = calloc(1, sizeof(*m));
    int fd = -1, rv = TA_HELPER_UNAVAILABLE;

    *expires_at = 0;
    if (cap > 0)
        token[0] = '\0';
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        return rv;
    }
    if (encode_mint(id, server, kind, ttl, session_token, scope, req, sizeof(req), &rlen) != 0)
        rv = TA_MINT_BAD_REQUEST;
    else if (exchange(timeout_ms, req, rlen, ans, sizeof(ans), &alen, &fd, err, errlen) == 0) {
        if (fd >= 0) {
            close(fd);
            snprintf(err, errlen, "the helper answered something unexpected");
        }
        else if (decode_answer(ans, alen, id, TA_MSG_MINT_RESP, m, err, errlen) == 0 &&
                 strlen(m->u.mint_resp.token) < cap) {
            rv = m->u.mint_resp.status;
            *expires_at = (long long)m->u.mint_resp.expires_at;
            memcpy(token, m->u.mint_resp.token, strlen(m->u.mint_resp.token) + 1);
        }
    }
    OPENSSL_cleanse(req, sizeof(req));
    OPENSSL_cleanse(ans, sizeof(ans));
    ta_msg_wipe(m);
    free(m);
    return rv;
}

/* An OPEN_REQ or LIST_REQ (with the window offset, limit, which an OPEN_REQ does not carry);
 * -1 when the token, path or window cannot be sent. */
static int encode_file_req(int type, uint32_t id, unsigned server, unsigned tighten,
                           const char *token, const char *path, uint32_t offset, uint32_t limit,
                           unsigned char *req, size_t cap, size_t *rlen)
{
    ta_msg *m = calloc(1, sizeof(*m));
    int rv = -1;

    if (m == NULL)
        return -1;
    m->type = (uint8_t)type;
    m->id = id;
    m->u.file_req.server = (uint16_t)server;
    m->u.file_req.tighten = (uint8_t)(tighten & TA_PROTO_TIGHTEN_ALL);
    m->u.file_req.offset = offset;
    m->u.file_req.limit = limit;
    if (server < TA_PROTO_SERVERS_MAX &&
        ta_proto_set_string(m->u.file_req.token, sizeof(m->u.file_req.token), token,
                            strlen(token)) == 0 &&
        ta_proto_set_string(m->u.file_req.path, sizeof(m->u.file_req.path), path, strlen(path)) ==
            0 &&
        ta_proto_encode(m, req, cap, rlen) == TA_PROTO_OK)
        rv = 0;
    ta_msg_wipe(m);
    free(m);
    return rv;
}

/* The descriptor must be what the answer says it is: a regular file, that inode. */
static int same_file(int fd, const ta_file_info *fi)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_ino == fi->ino &&
           (uint64_t)st.st_dev == fi->dev;
}

int ta_helper_open(int timeout_ms, unsigned server, unsigned tighten, const char *token,
                   const char *path, int *fd, ta_file_info *info, char *err, size_t errlen)
{
    unsigned char req[TA_PROTO_MAX_FRAME], ans[TA_PROTO_HEADER_LEN + TA_PROTO_OPEN_RESP_LEN];
    size_t rlen = 0, alen = 0;
    uint32_t id = new_id();
    int got = -1;
    ta_msg m;

    *fd = -1;
    memset(info, 0, sizeof(*info));
    if (encode_file_req(TA_MSG_OPEN_REQ, id, server, tighten, token, path, 0, 0, req, sizeof(req),
                        &rlen) != 0) {
        snprintf(err, errlen, "token or path outside the protocol's limits");
        return TA_CONFINE_BAD_PATH;
    }
    if (exchange_kept(timeout_ms, req, rlen, ans, sizeof(ans), &alen, &got, await_kept_answer, err,
                      errlen))
        return TA_HELPER_UNAVAILABLE;
    if (decode_answer(ans, alen, id, TA_MSG_OPEN_RESP, &m, err, errlen) == 0 &&
        ((m.u.open_resp.status == TA_CONFINE_OK) != (got >= 0) ||
         (got >= 0 && !same_file(got, &m.u.open_resp.info)))) {
        snprintf(err, errlen, "the helper's descriptor does not match its answer");
        m.type = 0;
    }
    if (m.type != TA_MSG_OPEN_RESP) {
        if (got >= 0)
            close(got);                /* came with an answer we do not take */
        ta_helper_forget_connection(); /* out of step: start afresh */
        return TA_HELPER_UNAVAILABLE;
    }
    *fd = got;
    *info = m.u.open_resp.info;
    return m.u.open_resp.status;
}

/* --- listings ------------------------------------------------------------------------------ */

/* The entries of one frame, in a copy of the frame. */
typedef struct {
    unsigned char *frame;
    const unsigned char *entries;
    size_t entries_len;
} list_part;

struct ta_listing {
    list_part *parts;
    size_t nparts, cap;
    uint32_t total;
    size_t count;
    size_t part, pos; /* the reader's place: a part, and an offset in its entries */
    ta_msg view;      /* a part as ta_proto_list_next reads a decoded frame's entries */
    ta_list_entry entry;
    char name[TA_PROTO_NAME_MAX + 1];
};

/* How many entries the window [offset, offset + limit) of a listing of total holds. */
static uint64_t window_count(uint32_t total, uint32_t offset, uint32_t limit)
{
    uint64_t rest = offset < total ? (uint64_t)total - offset : 0;

    return limit == 0 || limit > rest ? rest : limit;
}

/* Keep the entries of the decoded frame ans[0..alen) (a copy: ans is reused). 0 or -1. */
static int keep_part(ta_listing *l, const unsigned char *ans, size_t alen, const ta_msg *m)
{
    list_part *p;

    if (l->nparts == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        list_part *v = realloc(l->parts, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        l->parts = v;
        l->cap = cap;
    }
    p = &l->parts[l->nparts];
    if ((p->frame = malloc(alen)) == NULL)
        return -1;
    memcpy(p->frame, ans, alen);
    p->entries = p->frame + (m->u.list_resp.entries - ans);
    p->entries_len = m->u.list_resp.entries_len;
    l->nparts++;
    l->count += m->u.list_resp.count;
    return 0;
}

/* The frames after the first, until the one that says no more follows: each for request id,
 * a listing with the first one's total, and no more entries in all than want. 0, or -1 with
 * err set. */
static int take_more(ta_listing *l, int timeout_ms, uint32_t id, uint64_t want, ta_msg *m,
                     unsigned char *ans, size_t cap, char *err, size_t errlen)
{
    while (m->u.list_resp.more) {
        size_t alen = 0;
        int got = -1;

        if (await_kept_frame(timeout_ms, ans, cap, &alen, &got) != 0) {
            snprintf(err, errlen, "the helper's listing ended before its last frame");
            return -1;
        }
        if (got >= 0) {
            close(got); /* a listing never comes with a descriptor */
            snprintf(err, errlen, "the helper answered something unexpected");
            return -1;
        }
        if (decode_answer(ans, alen, id, TA_MSG_LIST_RESP, m, err, errlen) != 0)
            return -1;
        if (m->u.list_resp.status != TA_CONFINE_IS_DIR || m->u.list_resp.total != l->total ||
            m->u.list_resp.count > want - l->count) {
            snprintf(err, errlen, "the helper's listing does not add up");
            return -1;
        }
        if (keep_part(l, ans, alen, m) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* The answer whose first frame is ans[0..alen) (got: a descriptor that came with it): the
 * helper's verdict, with the whole listing in l for TA_CONFINE_IS_DIR; TA_HELPER_UNAVAILABLE
 * with err set when it is no sound answer to request id for this window. */
static int take_listing(ta_listing *l, int timeout_ms, uint32_t id, uint32_t offset, uint32_t limit,
                        unsigned char *ans, size_t cap, size_t alen, int got, char *err,
                        size_t errlen)
{
    ta_msg m;
    uint64_t want;

    if (got >= 0) {
        close(got);
        snprintf(err, errlen, "the helper answered something unexpected");
        return TA_HELPER_UNAVAILABLE;
    }
    if (decode_answer(ans, alen, id, TA_MSG_LIST_RESP, &m, err, errlen) != 0)
        return TA_HELPER_UNAVAILABLE;
    if (m.u.list_resp.status != TA_CONFINE_IS_DIR)
        return m.u.list_resp.status; /* the decoder saw to it: no entries, no more frames */
    l->total = m.u.list_resp.total;
    want = window_count(l->total, offset, limit);
    if (m.u.list_resp.count > want || keep_part(l, ans, alen, &m) != 0 ||
        take_more(l, timeout_ms, id, want, &m, ans, cap, err, errlen) != 0 || l->count != want) {
        if (errlen > 0 && err[0] == '\0')
            snprintf(err, errlen, "the helper's listing does not add up");
        return TA_HELPER_UNAVAILABLE;
    }
    return TA_CONFINE_IS_DIR;
}

int ta_helper_list(int timeout_ms, unsigned server, unsigned tighten, const char *token,
                   const char *path, uint32_t offset, uint32_t limit, ta_listing **out, char *err,
                   size_t errlen)
{
    unsigned char req[TA_PROTO_MAX_FRAME], *ans;
    size_t rlen = 0, alen = 0;
    uint32_t id = new_id();
    ta_listing *l;
    int got = -1, st = TA_HELPER_UNAVAILABLE;

    *out = NULL;
    if (errlen > 0)
        err[0] = '\0';
    if (encode_file_req(TA_MSG_LIST_REQ, id, server, tighten, token, path, offset, limit, req,
                        sizeof(req), &rlen) != 0) {
        snprintf(err, errlen, "token, path or window outside the protocol's limits");
        return TA_CONFINE_BAD_PATH;
    }
    ans = malloc(TA_PROTO_MAX_LIST_FRAME);
    l = calloc(1, sizeof(*l));
    if (ans == NULL || l == NULL) {
        free(ans);
        free(l);
        snprintf(err, errlen, "out of memory");
        return TA_CONFINE_ERROR;
    }
    if (exchange_kept(timeout_ms, req, rlen, ans, TA_PROTO_MAX_LIST_FRAME, &alen, &got,
                      await_kept_frame, err, errlen) == 0)
        st = take_listing(l, timeout_ms, id, offset, limit, ans, TA_PROTO_MAX_LIST_FRAME, alen, got,
                          err, errlen);
    if (st == TA_HELPER_UNAVAILABLE)
        ta_helper_forget_connection(); /* out of step, or gone: never read its rest later */
    free(ans);
    if (st == TA_CONFINE_IS_DIR)
        *out = l;
    else
        ta_listing_free(l);
    return st;
}

unsigned long ta_listing_total(const ta_listing *l)
{
    return l->total;
}

size_t ta_listing_count(const ta_listing *l)
{
    return l->count;
}

const ta_list_entry *ta_listing_next(ta_listing *l)
{
    while (l->part < l->nparts) {
        const list_part *p = &l->parts[l->part];
        ta_proto_dirent d;

        l->view.type = TA_MSG_LIST_RESP;
        l->view.u.list_resp.entries = p->entries;
        l->view.u.list_resp.entries_len = p->entries_len;
        if (ta_proto_list_next(&l->view, &l->pos, &d)) {
            memcpy(l->name, d.name, d.name_len);
            l->name[d.name_len] = '\0';
            l->entry.name = l->name;
            l->entry.is_dir = d.is_dir;
            l->entry.size = d.size;
            l->entry.mtime = d.mtime;
            return &l->entry;
        }
        l->part++;
        l->pos = 0;
    }
    return NULL;
}

void ta_listing_free(ta_listing *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->nparts; i++)
        free(l->parts[i].frame);
    free(l->parts);
    free(l);
}
