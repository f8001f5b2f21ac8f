/* The helper's server loop. Kept small and boring on purpose: connections only from the hub,
 * a peer check and limits on every one, strict framing (ta_proto), a fixed table saying which
 * requests a worker may make, bounded buffers wiped after each request (they carry passwords
 * and tokens). */
#include "ta_helper.h"
#include "ta_hlog.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define IO_TIMEOUT_SECONDS 5 /* a client that stalls mid-frame loses its connection */
#define ACCEPT_POLL_MS 1000  /* how often the loop looks at SIGTERM and the parent */
#define PEERS_MAX 4096       /* processes tracked at once (their connections counted) */
#define ACCEPT_BATCH 64      /* connections taken off the hub per wake-up */

/* The requests a worker may make, and their handlers. Everything else a worker sends (the
 * answers, the PAM messages that only the helper and its PAM process exchange) is refused as
 * forbidden and ends the connection: a worker that sends it is not one of ours. */
static const struct {
    uint8_t type;
    ta_request_fn answer;
} requests[] = {
    {TA_MSG_AUTH_REQ, ta_answer_auth},
    {TA_MSG_OPEN_REQ, ta_answer_file},
    {TA_MSG_LIST_REQ, ta_answer_file},
    {TA_MSG_MINT_REQ, ta_answer_mint},
};

static volatile sig_atomic_t stopping;

typedef struct {
    long pid;
    unsigned n;
} peer_count;

typedef struct {
    const ta_helper_conf *conf;
    pthread_mutex_t lock;
    pthread_cond_t gone; /* a connection ended (drain waits for them) */
    unsigned active;
    peer_count peers[PEERS_MAX];
    time_t warned_at[2]; /* refusals are logged at most once a second, per kind */
    unsigned unlogged[2];
} server;

enum { WARN_CONNECTION, WARN_REQUEST };

typedef struct {
    server *srv;
    int fd;
    long pid;
    ta_conn_scratch scratch;
} connection;

/* One warning of a kind a second at most: a flood of refusals must not become a flood of log
 * lines. 1 when this one may be logged (and then whether some were left out since). Lock held. */
static int may_warn(server *srv, int kind, int *skipped)
{
    time_t now = time(NULL);

    if (now == srv->warned_at[kind]) {
        srv->unlogged[kind]++;
        return 0;
    }
    *skipped = srv->unlogged[kind] > 0;
    srv->warned_at[kind] = now;
    srv->unlogged[kind] = 0;
    return 1;
}

static void warn_refusal(server *srv, const char *what, long pid)
{
    int skipped = 0;

    if (may_warn(srv, WARN_CONNECTION, &skipped))
        ta_hlog(TA_LOG_WARNING, "TA00068: helper: refused a connection (%s, pid %ld)%s", what, pid,
                skipped ? "; more refusals since the last line" : "");
}

/* A refused request: the connection ends, one line a second at most. */
static void warn_request(server *srv, const char *what, const char *detail, long pid)
{
    int skipped = 0, ok;

    pthread_mutex_lock(&srv->lock);
    ok = may_warn(srv, WARN_REQUEST, &skipped);
    pthread_mutex_unlock(&srv->lock);
    if (ok)
        ta_hlog(TA_LOG_WARNING, "TA00069: helper: refused %s from pid %ld: %s%s", what, pid, detail,
                skipped ? "; more refusals since the last line" : "");
}

static peer_count *peer_slot(server *srv, long pid)
{
    peer_count *free_slot = NULL;

    for (size_t i = 0; i < PEERS_MAX; i++) {
        if (srv->peers[i].n > 0 && srv->peers[i].pid == pid)
            return &srv->peers[i];
        if (srv->peers[i].n == 0 && free_slot == NULL)
            free_slot = &srv->peers[i];
    }
    if (free_slot)
        free_slot->pid = pid;
    return free_slot;
}

/* What came over the hub must be one end of a Unix stream socket pair, as ta_hub_connect
 * makes: anything else (a file, a listening socket, a datagram socket) is not a connection. */
static int is_unix_stream(int fd)
{
    int type = 0, domain = 0;
    socklen_t tl = sizeof(type), dl = sizeof(domain);

    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM &&
           getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dl) == 0 && domain == AF_UNIX;
}

/* Admit a connection: the peer is Apache's user (whoever made the socket pair), and neither it
 * nor the whole server is over its limit. Lock held. */
static int admit(server *srv, connection *cn)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    peer_count *pc;

    if (!is_unix_stream(cn->fd) || getsockopt(cn->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        len != sizeof(cred) || cred.pid <= 0) {
        warn_refusal(srv, "not a connected Unix stream socket", 0);
        return 0;
    }
    cn->pid = (long)cred.pid;
    if ((unsigned long)cred.uid != srv->conf->client_uid) {
        warn_refusal(srv, "not Apache's user", cn->pid);
        return 0;
    }
    if (srv->active >= srv->conf->max_clients) {
        warn_refusal(srv, "all connections in use", cn->pid);
        return 0;
    }
    if ((pc = peer_slot(srv, cn->pid)) == NULL || pc->n >= srv->conf->per_peer) {
        warn_refusal(srv, "too many connections from one process", cn->pid);
        return 0;
    }
    pc->n++;
    srv->active++;
    return 1;
}

static void release(server *srv, long pid)
{
    peer_count *pc;

    pthread_mutex_lock(&srv->lock);
    if ((pc = peer_slot(srv, pid)) != NULL && pc->n > 0)
        pc->n--;
    srv->active--;
    pthread_cond_signal(&srv->gone);
    pthread_mutex_unlock(&srv->lock);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is readable, at most until deadline (monotonic ms). 0, or -1. */
static int readable_by(int fd, long long deadline)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    long long left;
    int n;

    do {
        left = deadline - now_ms();
        n = left > 0 ? poll(&pfd, 1, (int)left) : 0;
    } while (n < 0 && errno == EINTR);
    return n > 0 ? 0 : -1;
}

/* Read until buf holds one whole frame at its start; its length in *flen. *have counts the
 * bytes in buf and may include the start of the next request (a client may send several
 * before it reads an answer). The whole frame must come within IO_TIMEOUT_SECONDS of the call:
 * a client that trickles a byte now and then must not hold its slot for ever. 0 on success,
 * -1 on EOF, error or the deadline, 1 when the frame header itself is bad (the answer is an
 * ERROR). */
static int read_frame(int fd, unsigned char *buf, size_t cap, size_t *have, size_t *flen,
                      ta_proto_status *why)
{
    long long deadline = now_ms() + IO_TIMEOUT_SECONDS * 1000LL;

    for (;;) {
        ta_proto_status st = ta_proto_frame_len(buf, *have, flen);
        ssize_t r;

        if (st == TA_PROTO_OK && *flen > cap)
            st = TA_PROTO_TOO_LARGE; /* a LIST_RESP's length: no request is that long */
        if (st == TA_PROTO_OK && *have >= *flen)
            return 0;
        if (st != TA_PROTO_OK && st != TA_PROTO_NEED_MORE) {
            *why = st;
            return 1;
        }
        if (*have == cap || readable_by(fd, deadline) != 0)
            return -1;
        r = read(fd, buf + *have, cap - *have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        *have += (size_t)r;
    }
}

/* Drop the frame of flen bytes at the start of buf and keep what follows. Past *have the
 * buffer holds nothing read (never written, or wiped here before), so only the flen bytes the
 * move left behind need wiping, not the whole buffer on every request. */
static void consume(unsigned char *buf, size_t *have, size_t flen)
{
    memmove(buf, buf + flen, *have - flen);
    *have -= flen;
    OPENSSL_cleanse(buf + *have, flen);
}

static void error_answer(uint32_t id, int code, unsigned char *out, size_t cap, ta_answer *a)
{
    if (ta_proto_encode_error(id, code, out, cap, &a->len) != TA_PROTO_OK)
        a->len = 0;
}

/* One request: decode strictly, answer from the table. *keep 0 ends the connection after the
 * answer. */
static void answer(connection *cn, const unsigned char *in, size_t inlen, unsigned char *out,
                   size_t cap, int *keep, ta_answer *a)
{
    ta_msg *m = malloc(sizeof(*m)); /* ~10 KiB: not on a thread's stack twice */
    size_t used = 0;
    ta_proto_status st;
    int handled = 0;

    *keep = 0;
    if (m == NULL) {
        error_answer(ta_proto_request_id(in, inlen), TA_PROTO_ERR_INTERNAL, out, cap, a);
        return;
    }
    if ((st = ta_proto_decode(in, inlen, m, &used)) != TA_PROTO_OK) {
        warn_request(cn->srv, "a malformed request", ta_proto_status_name(st), cn->pid);
        error_answer(ta_proto_request_id(in, inlen), ta_proto_error_for(st), out, cap, a);
        free(m);
        return;
    }
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]) && !handled; i++)
        if (requests[i].type == m->type) {
            requests[i].answer(&cn->srv->conf->ctx, m, &cn->scratch, out, cap, a);
            handled = 1;
        }
    if (!handled) {
        warn_request(cn->srv, ta_msg_type_name(m->type), "not a request", cn->pid);
        error_answer(m->id, TA_PROTO_ERR_FORBIDDEN, out, cap, a);
    }
    else if (a->len == 0 && !a->broken)
        error_answer(m->id, TA_PROTO_ERR_INTERNAL, out, cap, a);
    else
        *keep = 1;
    ta_msg_wipe(m);
    free(m);
}

static void serve_frames(connection *cn)
{
    unsigned char in[TA_PROTO_MAX_FRAME], out[TA_PROTO_MAX_FRAME];
    size_t have = 0;
    int keep = 1;

    while (keep) {
        size_t flen = 0;
        ta_proto_status why = TA_PROTO_OK;
        ta_answer a = {out, 0, -1, 0};
        int r = read_frame(cn->fd, in, sizeof(in), &have, &flen, &why), sent;

        if (r < 0)
            break;
        if (r == 1) {
            warn_request(cn->srv, "a malformed frame", ta_proto_status_name(why), cn->pid);
            error_answer(ta_proto_request_id(in, have), ta_proto_error_for(why), out, sizeof(out),
                         &a);
            keep = 0;
        }
        else {
            answer(cn, in, flen, out, sizeof(out), &keep, &a);
            consume(in, &have, flen);
        }
        sent = a.len > 0 && ta_send_frame_fd(cn->fd, a.frame, a.len, a.fd) == 0;
        if (a.fd >= 0)
            close(a.fd); /* the worker has its own copy now (or never will) */
        if (!sent)
            break;
    }
    OPENSSL_cleanse(in, sizeof(in));
    OPENSSL_cleanse(out, sizeof(out));
}

static void *serve_connection(void *arg)
{
    connection *cn = arg;
    server *srv = cn->srv;
    long pid = cn->pid;
    struct timeval tv = {IO_TIMEOUT_SECONDS, 0};

    /* without the timeouts a stalled client would hold its slot for ever: serve none then */
    if (setsockopt(cn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
        setsockopt(cn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0)
        serve_frames(cn);
    close(cn->fd);
    free(cn->scratch.list_out);
    free(cn);
    /* this thread's OpenSSL state (its random generators) goes now, not in a destructor after
     * release: once the last connection is released the helper may exit, and must leave
     * nothing behind */
    OPENSSL_thread_stop();
    release(srv, pid);
    return NULL;
}

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Signals: SIGTERM stops the loop; SIGPIPE must not kill us when a client goes away. */
static void set_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL); /* Apache's graceful signal goes to the process group */
    sigaction(SIGWINCH, &sa, NULL);
}

static void start_thread(server *srv, connection *cn)
{
    pthread_attr_t attr;
    pthread_t t;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, serve_connection, cn) != 0) {
        close(cn->fd);
        release(srv, cn->pid);
        free(cn);
    }
    pthread_attr_destroy(&attr);
}

/* Take one connection off the hub, if one is there: 1 when one was taken (admitted or not), 0
 * when none was waiting, -1 when the hub is gone. */
static int accept_one(server *srv)
{
    connection *cn;
    int fd = -1, r = ta_hub_accept(srv->conf->hub, &fd), ok;

    if (r <= 0)
        return r;
    r = 1;
    if ((cn = calloc(1, sizeof(*cn))) == NULL) {
        close(fd);
        return 0;
    }
    cn->srv = srv;
    cn->fd = fd;
    cn->scratch.sock = fd; /* a listing sends the frames before its last one itself */
    pthread_mutex_lock(&srv->lock);
    ok = admit(srv, cn);
    pthread_mutex_unlock(&srv->lock);
    if (ok && ta_hub_ack(fd) != 0) {
        release(srv, cn->pid);
        ok = 0;
    }
    if (!ok) {
        close(fd); /* the worker sees the connection end, and answers 503 */
        free(cn);
        return r;
    }
    start_thread(srv, cn);
    return r;
}

/* On SIGTERM: stop taking connections (the next helper takes them from the hub), and let
 * requests in progress finish (a PAM failure delay alone takes seconds), within
 * TA_HELPER_DRAIN_SECONDS. */
static int drain(server *srv)
{
    struct timespec until;
    int drained;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += TA_HELPER_DRAIN_SECONDS;
    pthread_mutex_lock(&srv->lock);
    while (srv->active > 0)
        if (pthread_cond_timedwait(&srv->gone, &srv->lock, &until) == ETIMEDOUT)
            break;
    drained = srv->active == 0;
    pthread_mutex_unlock(&srv->lock);
    return drained;
}

/* Has the PAM process ended? Looked at without reaping it: main reaps it on the way out. */
static int broker_gone(pid_t pid)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == pid;
}

int ta_helper_serve(const ta_helper_conf *c)
{
    static server the_server; /* one per process; threads may outlive a drain that timed out */
    server *srv = &the_server;
    struct pollfd pfd = {.fd = c->hub, .events = POLLIN};

    if (pthread_mutex_init(&srv->lock, NULL) != 0 || pthread_cond_init(&srv->gone, NULL) != 0) {
        ta_hlog(TA_LOG_ERR, "TA00059: helper: cannot set up its server");
        return 1;
    }
    srv->conf = c;
    set_signals();
#ifdef __GLIBC__
    /* blocks of 128 KiB and more (a listing's entries, its frames) get mappings of their own,
     * returned whole when freed: glibc would raise this bound after the first such free and
     * keep the next ones in the connection threads' arenas (see LIST_TRIM_ENTRIES) */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    while (!stopping) {
        int r = 1;

        /* take what waits on the hub in one go: a worker waits only briefly for its turn */
        if (poll(&pfd, 1, ACCEPT_POLL_MS) > 0)
            for (int i = 0; i < ACCEPT_BATCH && r > 0; i++)
                r = accept_one(srv);
        if (r < 0 || (c->parent_pid > 0 && getppid() != (pid_t)c->parent_pid))
            break;
        if (!stopping && c->broker_pid > 0 && broker_gone((pid_t)c->broker_pid)) {
            /* logins cannot work without it: exit, and Apache starts us both afresh */
            ta_hlog(TA_LOG_ERR, "TA00070: helper: its PAM process %ld ended; restarting",
                    (long)c->broker_pid);
            return 1;
        }
    }
    return drain(srv) ? 0 : TA_HELPER_STILL_BUSY;
}
