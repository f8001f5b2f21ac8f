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

/* A helper being replaced (graceful restart) is back once its predecessor has drained:
 * retry for longer than that rather than answer 503. */
#define CONNECT_TRIES 80
#define CONNECT_PAUSE_MS 100
/* the longest OPEN_REQ or LIST_REQ: flags, three length-prefixed fields */
#define FILE_REQ_MAX                                                                               \
    (TA_PROTO_HEADER_LEN + 1 + 6 + TA_PROTO_USER_MAX + TA_PROTO_SUBDIR_MAX + TA_PROTO_PATH_MAX)

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int helper_connect(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;

    memset(&sa, 0, sizeof(sa));
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path too long");
        return -1;
    }
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    for (int i = 0; i < CONNECT_TRIES; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        close(fd);
        if (errno != ECONNREFUSED && errno != ENOENT && errno != EAGAIN)
            break;
        pause_ms(CONNECT_PAUSE_MS);
    }
    snprintf(err, errlen, "cannot reach the helper at %s: %s", path, strerror(errno));
    return -1;
}

static uint32_t new_id(void)
{
    uint32_t id;

    if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
        id = (uint32_t)getpid();
    return id;
}

/* Send one request and take its answer frame (and the descriptor that came with it, if any,
 * into *fd; -1 otherwise) within timeout_ms. 0, or -1 with err set. */
static int exchange(const char *socket_path, int timeout_ms, const unsigned char *req, size_t rlen,
                    unsigned char *ans, size_t cap, size_t *alen, int *fd, char *err, size_t errlen)
{
    int s = helper_connect(socket_path, err, errlen);

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

/* This thread's kept connection for file requests, and the socket it leads to. */
static __thread int kept_fd = -1;
static __thread char kept_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static __thread int kept_timeout; /* the SO_RCVTIMEO it was given, in ms */

void ta_helper_forget_connection(void)
{
    if (kept_fd >= 0)
        close(kept_fd);
    kept_fd = -1;
}

/* exchange() over this thread's kept connection: 0, or -1 with err set. */
static int exchange_kept(const char *socket_path, int timeout_ms, const unsigned char *req,
                         size_t rlen, unsigned char *ans, size_t cap, size_t *alen, int *fd,
                         char *err, size_t errlen)
{
    int timed_out;

    *fd = -1;
    if (kept_fd >= 0 && (strcmp(kept_path, socket_path) != 0 || kept_timeout != timeout_ms))
        ta_helper_forget_connection();
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = kept_fd < 0;

        if (fresh) {
            if (strlen(socket_path) >= sizeof(kept_path)) {
                snprintf(err, errlen, "socket path too long");
                return -1;
            }
            if ((kept_fd = helper_connect(socket_path, err, errlen)) < 0)
                return -1;
            memcpy(kept_path, socket_path, strlen(socket_path) + 1);
            /* the wait for each answer is bounded by the socket itself: one call, not a
             * poll and a non-blocking read per answer */
            struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
            if (setsockopt(kept_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
                snprintf(err, errlen, "cannot set the helper socket's timeout");
                ta_helper_forget_connection();
                return -1;
            }
            kept_timeout = timeout_ms;
        }
        if (ta_send_all(kept_fd, req, rlen) == 0 &&
            ta_recv_answer_fd(kept_fd, ans, cap, alen, fd) == 0)
            return 0;
        timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
        ta_helper_forget_connection();
        /* a fresh connection that failed, or a helper that was too slow (a huge directory,
         * say), is not asked again: only a kept connection the helper had closed is */
        if (fresh || timed_out)
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

int ta_helper_auth(const char *socket_path, int timeout_ms, const char *service, const char *user,
                   const char *password, const char *rhost, unsigned long *uid, char *err,
                   size_t errlen)
{
    unsigned char req[TA_PROTO_MAX_FRAME], ans[TA_PROTO_HEADER_LEN + 64];
    size_t rlen = 0, alen = 0;
    uint32_t id = new_id();
    ta_msg m;
    int fd = -1, result = TA_AUTH_UNAVAILABLE;

    *uid = 0;
    if (ta_proto_encode_auth_req(id, service, user, strlen(user), password, strlen(password), rhost,
                                 req, sizeof(req), &rlen) != TA_PROTO_OK) {
        OPENSSL_cleanse(req, sizeof(req));
        /* a user name or password that no account can have is a failed login; a service or
         * client address we cannot send is our problem, and must not look like one */
        if (ta_proto_encode_auth_req(id, service, "x", 1, "", 0, rhost, req, sizeof(req), &rlen) !=
            TA_PROTO_OK) {
            snprintf(err, errlen, "service or client address not sendable to the helper");
            return TA_AUTH_UNAVAILABLE;
        }
        snprintf(err, errlen, "user name or password outside the protocol's limits");
        return TA_AUTH_BAD_CREDENTIALS;
    }
    if (exchange(socket_path, timeout_ms, req, rlen, ans, sizeof(ans), &alen, &fd, err, errlen) ==
        0) {
        if (fd >= 0) {
            close(fd); /* no answer to a login carries a descriptor */
            snprintf(err, errlen, "the helper answered something unexpected");
        }
        else if (decode_answer(ans, alen, id, TA_MSG_AUTH_RESP, &m, err, errlen) == 0) {
            result = m.u.auth_resp.result;
            *uid = m.u.auth_resp.uid;
        }
    }
    OPENSSL_cleanse(req, sizeof(req));
    return result;
}

/* Encode an OPEN_REQ or LIST_REQ; when it cannot be sent, the status that answers it. */
static int encode_file_req(int type, uint32_t id, unsigned flags, const char *user,
                           const char *subdir, const char *path, unsigned char *req, size_t *rlen,
                           char *err, size_t errlen)
{
    if (ta_proto_encode_file_req(type, id, flags, user, subdir, path, req, FILE_REQ_MAX, rlen) ==
        TA_PROTO_OK)
        return 0;
    if (ta_proto_encode_file_req(type, id, flags, "x", subdir, "", req, FILE_REQ_MAX, rlen) !=
        TA_PROTO_OK) {
        snprintf(err, errlen, "subdir or flags not sendable to the helper");
        return TA_CONFINE_ERROR;
    }
    if (ta_proto_encode_file_req(type, id, flags, user, subdir, "", req, FILE_REQ_MAX, rlen) !=
        TA_PROTO_OK) {
        snprintf(err, errlen, "user name outside the protocol's limits");
        return TA_CONFINE_BAD_USER;
    }
    snprintf(err, errlen, "path outside the protocol's limits");
    return TA_CONFINE_BAD_PATH;
}

/* The descriptor must be what the answer says it is: a regular file, that inode. */
static int same_file(int fd, const ta_file_info *fi)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_ino == fi->ino &&
           (uint64_t)st.st_dev == fi->dev;
}

int ta_helper_open(const char *socket_path, int timeout_ms, const char *user, const char *subdir,
                   const char *path, unsigned flags, int *fd, ta_file_info *info, char *err,
                   size_t errlen)
{
    unsigned char req[FILE_REQ_MAX], ans[TA_PROTO_HEADER_LEN + TA_PROTO_OPEN_RESP_LEN];
    size_t rlen = 0, alen = 0;
    uint32_t id = new_id();
    int got = -1, st;
    ta_msg m;

    *fd = -1;
    memset(info, 0, sizeof(*info));
    st = encode_file_req(TA_MSG_OPEN_REQ, id, flags, user, subdir, path, req, &rlen, err, errlen);
    if (st != 0)
        return st;
    if (exchange_kept(socket_path, timeout_ms, req, rlen, ans, sizeof(ans), &alen, &got, err,
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

/* The entries of a decoded LIST_RESP in one allocation: the array, then the names. */
static ta_list_entry *copy_entries(const ta_msg *m)
{
    size_t n = m->u.list_resp.count, pos = 0, i = 0;
    /* every entry has ENTRY_FIXED bytes besides its name, and each name gets a NUL */
    size_t names = m->u.list_resp.entries_len - n * (TA_PROTO_LIST_ENTRY_MIN - 1) + n;
    ta_list_entry *e = malloc(n * sizeof(*e) + names + 1);
    char *s = (char *)(e + n);
    ta_proto_dirent d;

    if (e == NULL)
        return NULL;
    while (i < n && ta_proto_list_next(m, &pos, &d)) {
        memcpy(s, d.name, d.name_len);
        s[d.name_len] = '\0';
        e[i].name = s;
        e[i].is_dir = d.is_dir;
        e[i].size = d.size;
        e[i].mtime = d.mtime;
        s += d.name_len + 1;
        i++;
    }
    return e;
}

int ta_helper_list(const char *socket_path, int timeout_ms, const char *user, const char *subdir,
                   const char *path, unsigned flags, ta_list_entry **entries, size_t *n,
                   int *truncated, char *err, size_t errlen)
{
    unsigned char req[FILE_REQ_MAX], *ans;
    size_t rlen = 0, alen = 0;
    uint32_t id = new_id();
    int got = -1, st;
    ta_msg m;

    *entries = NULL;
    *n = 0;
    *truncated = 0;
    st = encode_file_req(TA_MSG_LIST_REQ, id, flags, user, subdir, path, req, &rlen, err, errlen);
    if (st != 0)
        return st;
    ans = malloc(TA_PROTO_MAX_LIST_FRAME);
    if (ans == NULL) {
        snprintf(err, errlen, "out of memory");
        return TA_CONFINE_ERROR;
    }
    st = TA_HELPER_UNAVAILABLE;
    if (exchange_kept(socket_path, timeout_ms, req, rlen, ans, TA_PROTO_MAX_LIST_FRAME, &alen, &got,
                      err, errlen) == 0) {
        if (got >= 0) {
            close(got); /* a listing never comes with a descriptor */
            snprintf(err, errlen, "the helper answered something unexpected");
        }
        else if (decode_answer(ans, alen, id, TA_MSG_LIST_RESP, &m, err, errlen) == 0) {
            st = m.u.list_resp.status;
            if (st == TA_CONFINE_IS_DIR) {
                *entries = copy_entries(&m);
                if (*entries == NULL) {
                    snprintf(err, errlen, "out of memory");
                    st = TA_CONFINE_ERROR;
                }
                else {
                    *n = m.u.list_resp.count;
                    *truncated = m.u.list_resp.truncated;
                }
            }
        }
    }
    if (st == TA_HELPER_UNAVAILABLE)
        ta_helper_forget_connection(); /* out of step, or gone: start afresh */
    free(ans);
    return st;
}

void ta_helper_list_free(ta_list_entry *entries)
{
    free(entries);
}
