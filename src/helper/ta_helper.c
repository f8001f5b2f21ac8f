/* The helper's server loop. Kept small and boring on purpose: strict framing (ta_proto), a
 * peer-credential check on every connection, a fixed dispatch table, bounded buffers that
 * are wiped after each request (they carry passwords). */
#include "ta_helper.h"
#include "ta_confine.h"
#include "ta_io.h"
#include "ta_pam.h"
#include "ta_proto.h"
#include "ta_user.h"
#include "ta_usercred.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define IO_TIMEOUT_SECONDS 5 /* a client that stalls mid-frame loses its connection */
/* pam_unix delays a wrong password by 1-3 s; a refused account with the right one must not
 * answer faster (the timing would tell that the password was right) */
#define REFUSED_DELAY_MIN_MS 1000
#define REFUSED_DELAY_SPAN_MS 2000
#define ACCEPT_POLL_MS 1000 /* how often the loop looks at SIGTERM and the parent */
/* Entries a listing collects before it is encoded: ta_confine_list holds them all in memory
 * (up to ~300 bytes each), in a root process serving 64 clients at once, so fewer than the
 * TA_PROTO_LIST_MAX_ENTRIES that could fit a LIST_RESP of one-byte names. 8192 names of
 * ordinary length still fit; long ones stop earlier, at the body limit. Either way the
 * answer says truncated. */
#define LIST_MAX_ENTRIES 8192

static volatile sig_atomic_t stopping;

typedef struct {
    const ta_helper_conf *conf;
    pthread_mutex_t lock;
    pthread_cond_t gone; /* a connection ended (drain waits for them) */
    unsigned active;
} server;

typedef struct {
    server *srv;
    int fd;
    unsigned char *list_out; /* TA_PROTO_MAX_LIST_FRAME, made on the first LIST_REQ */
    int peer_is_worker;      /* the peer is a child of our own parent: an Apache child */
} connection;

/* One answer: a frame in out (or in the connection's list buffer), perhaps a descriptor to
 * pass with it, which the helper closes once sent. */
typedef struct {
    const unsigned char *frame;
    size_t len;
    int fd;
} answer_t;

static void say(const ta_helper_conf *c, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (c->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->log(c->log_ctx, level, msg);
}

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return -1;
}

/* The socket's directory: ours, and writable by nobody else, so nobody can swap the socket. */
static int prepare_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;

    if (mkdir(dir, 0711) != 0 && errno != EEXIST)
        return fail(err, errlen, "cannot create", dir);
    if (lstat(dir, &st) != 0)
        return fail(err, errlen, "cannot stat", dir);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
        snprintf(err, errlen, "%s must be a directory owned by uid %lu, not group/other writable",
                 dir, (unsigned long)geteuid());
        return -1;
    }
    return 0;
}

int ta_helper_listen(const char *path, unsigned long client_uid, unsigned long client_gid,
                     char *err, size_t errlen)
{
    struct sockaddr_un sa;
    char dir[sizeof(sa.sun_path)];
    const char *slash = strrchr(path, '/');
    mode_t old;
    int fd;

    memset(&sa, 0, sizeof(sa));
    if (slash == NULL || slash == path || strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path %s must be absolute and shorter than %zu bytes", path,
                 sizeof(sa.sun_path));
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (prepare_dir(dir, err, errlen) != 0)
        return -1;
    if (unlink(path) != 0 && errno != ENOENT)
        return fail(err, errlen, "cannot remove the old socket", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(err, errlen, "cannot create a socket for", path);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    old = umask(077); /* no moment in which others could connect */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        umask(old);
        close(fd);
        return fail(err, errlen, "cannot bind", path);
    }
    umask(old);
    if ((geteuid() == 0 && chown(path, (uid_t)client_uid, (gid_t)client_gid) != 0) ||
        chmod(path, 0600) != 0 || listen(fd, 128) != 0) {
        close(fd);
        return fail(err, errlen, "cannot set up", path);
    }
    return fd;
}

/* Read until buf holds one whole frame at its start; its length in *flen. *have counts the
 * bytes in buf and may include the start of the next request (a client may send several
 * before it reads an answer). 0 on success, -1 on EOF or error, 1 when the frame header itself
 * is bad (the answer is an ERROR_RESP). */
static int read_frame(int fd, unsigned char *buf, size_t cap, size_t *have, size_t *flen,
                      ta_proto_status *why)
{
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
        if (*have == cap)
            return -1;
        r = read(fd, buf + *have, cap - *have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        *have += (size_t)r;
    }
}

/* Drop the frame of flen bytes at the start of buf, keep what follows, wipe the rest. */
static void consume(unsigned char *buf, size_t cap, size_t *have, size_t flen)
{
    memmove(buf, buf + flen, *have - flen);
    *have -= flen;
    OPENSSL_cleanse(buf + *have, cap - *have);
}

/* 1 when the configuration names this PAM service. */
static int service_allowed(const ta_helper_conf *c, const char *service)
{
    for (const char *const *s = c->services; s && *s; s++)
        if (strcmp(*s, service) == 0)
            return 1;
    return 0;
}

/* Wait as long as pam_unix's failure delay would. */
static void refused_delay(void)
{
    unsigned short r = 0;
    long ms;
    struct timespec ts;

    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = 0;
    ms = REFUSED_DELAY_MIN_MS + r % REFUSED_DELAY_SPAN_MS;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* AUTH: PAM (for a configured service only), then the uid of the account PAM accepted. */
static size_t answer_auth(const ta_helper_conf *c, const ta_msg *m, unsigned char *out, size_t cap)
{
    char why[256] = "";
    ta_user u;
    uint8_t result;
    unsigned long uid = 0;
    size_t len = 0;
    ta_pam_status st = TA_PAM_UNAVAILABLE;

    if (service_allowed(c, m->u.auth_req.service))
        st = ta_pam_check(m->u.auth_req.service, m->u.auth_req.user, m->u.auth_req.password,
                          m->u.auth_req.rhost, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "PAM service %s is not configured", m->u.auth_req.service);

    switch (st) {
    case TA_PAM_OK:
        if (ta_user_lookup(m->u.auth_req.user, &u) == TA_USER_OK) {
            result = TA_AUTH_OK;
            uid = u.uid;
        }
        else
            result = TA_AUTH_UNAVAILABLE;
        break;
    case TA_PAM_BAD_CREDENTIALS:
        result = TA_AUTH_BAD_CREDENTIALS;
        break;
    case TA_PAM_ACCOUNT_REFUSED:
        result = TA_AUTH_ACCOUNT_REFUSED;
        refused_delay();
        break;
    default:
        result = TA_AUTH_UNAVAILABLE;
        say(c, TA_LOG_ERR, "PAM unavailable for service %s: %s", m->u.auth_req.service, why);
        break;
    }
    say(c, TA_LOG_DEBUG, "auth %s (service %s): %s (%s)", m->u.auth_req.user, m->u.auth_req.service,
        ta_pam_status_name(st), why);
    if (ta_proto_encode_auth_resp(m->id, result, (uint32_t)uid, out, cap, &len) != TA_PROTO_OK)
        return 0;
    return len;
}

/* Whose credentials a file request runs with. Root's never: a root helper that opened files as
 * root would give the workers the whole disk. A helper that is not root (Apache not started
 * as root) can take no one's credentials but its own, so it serves that one account only.
 * The user and groups come from ta_usercred's short-lived cache, not from NSS on every
 * request (getgrouplist alone costs far more than the open); the caller frees *uc. */
static ta_confine_status file_user(const char *name, ta_usercred *uc, ta_creds *cr)
{
    ta_usercred_status us = ta_usercred_get(name, uc);

    if (us == TA_USERCRED_UNKNOWN)
        return TA_CONFINE_NOT_FOUND;
    if (us != TA_USERCRED_OK)
        return TA_CONFINE_ERROR;
    if (uc->uid == 0 || (geteuid() != 0 && uc->uid != (unsigned long)geteuid()))
        return TA_CONFINE_BAD_USER;
    cr->uid = uc->uid;
    cr->gid = uc->gid;
    cr->groups = uc->groups;
    cr->ngroups = uc->ngroups;
    return TA_CONFINE_OK;
}

static void stat_info(const struct stat *st, ta_file_info *fi)
{
    fi->mode = (uint32_t)st->st_mode;
    fi->size = (uint64_t)st->st_size;
    fi->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    fi->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    fi->ino = (uint64_t)st->st_ino;
    fi->dev = (uint64_t)st->st_dev;
}

/* The listing of the open directory dirfd into out (TA_PROTO_MAX_LIST_FRAME bytes), as much
 * of it as fits one LIST_RESP: what does not fit is left out and the answer says truncated.
 * Returns the frame's length, or 0 with *st saying why. */
static size_t write_listing(const ta_helper_conf *c, const ta_msg *m, int dirfd, const ta_creds *cr,
                            const ta_confine_policy *pol, unsigned char *out, ta_confine_status *st)
{
    ta_proto_list_writer w;
    ta_dirent *e = NULL;
    size_t n = 0, len = 0, i;
    int truncated = 0;

    *st = ta_confine_list(dirfd, cr, pol, LIST_MAX_ENTRIES, &e, &n, &truncated);
    if (*st != TA_CONFINE_OK) {
        ta_dirent_free(e, n);
        return 0;
    }
    *st = TA_CONFINE_IS_DIR;
    if (ta_proto_list_begin(&w, m->id, TA_CONFINE_IS_DIR, out, TA_PROTO_MAX_LIST_FRAME) !=
        TA_PROTO_OK) {
        ta_dirent_free(e, n);
        *st = TA_CONFINE_ERROR;
        return 0;
    }
    for (i = 0; i < n; i++) {
        ta_proto_status ps = ta_proto_list_add(&w, e[i].is_dir, (uint64_t)e[i].size, e[i].mtime,
                                               e[i].name, strlen(e[i].name));
        if (ps == TA_PROTO_NO_ROOM)
            break;
        if (ps != TA_PROTO_OK) /* "." or "..": nothing a listing shows */
            say(c, TA_LOG_DEBUG, "list: left out an entry the protocol cannot carry");
    }
    truncated = truncated || i < n;
    ta_dirent_free(e, n);
    if (ta_proto_list_end(&w, truncated, &len) != TA_PROTO_OK) {
        *st = TA_CONFINE_ERROR;
        return 0;
    }
    return len;
}

/* The answer to OPEN_REQ or LIST_REQ that carries the status alone. */
static size_t status_only(const ta_msg *m, ta_confine_status st, unsigned char *out, size_t cap)
{
    ta_proto_list_writer w;
    size_t len = 0;

    if (m->type == TA_MSG_OPEN_REQ) {
        if (ta_proto_encode_open_resp(m->id, st, NULL, out, cap, &len) != TA_PROTO_OK)
            return 0;
    }
    else if (ta_proto_list_begin(&w, m->id, st, out, cap) != TA_PROTO_OK ||
             ta_proto_list_end(&w, 0, &len) != TA_PROTO_OK)
        return 0;
    return len;
}

/* OPEN and LIST: the file below ~user/subdir, opened with the user's own credentials by
 * ta_confine. OPEN answers a regular file with its descriptor, a directory with its fstat
 * alone (that descriptor stays here); LIST answers a directory with its listing, a regular
 * file with TA_CONFINE_OK and nothing. Logs names and verdicts, never what a file holds. */
static void answer_file(const ta_helper_conf *c, connection *cn, const ta_msg *m,
                        unsigned char *out, size_t cap, answer_t *a)
{
    const ta_confine_policy pol = {
        .owner_only = (m->u.file_req.flags & TA_PROTO_FILE_OWNER_ONLY) != 0,
        .allow_hidden = (m->u.file_req.flags & TA_PROTO_FILE_ALLOW_HIDDEN) != 0,
        .force_fallback = 0};
    ta_usercred u;
    ta_creds cr = {0};
    struct stat sb;
    ta_file_info fi;
    int fd = -1;
    ta_confine_status st;

    if (!cn->peer_is_worker) {
        say(c, TA_LOG_WARNING,
            "refused a file request from a process that is not an Apache "
            "child");
        st = TA_CONFINE_FORBIDDEN;
        memset(&u, 0, sizeof(u));
    }
    else
        st = file_user(m->u.file_req.user, &u, &cr);
    if (st == TA_CONFINE_OK)
        st = ta_confine_open(u.home, m->u.file_req.subdir, m->u.file_req.path, &cr, &pol, &fd, &sb);
    if (st != TA_CONFINE_OK && st != TA_CONFINE_IS_DIR && fd >= 0) {
        close(fd); /* ta_confine leaves none open on a refusal; be sure */
        fd = -1;
    }
    if (m->type == TA_MSG_OPEN_REQ && (st == TA_CONFINE_OK || st == TA_CONFINE_IS_DIR)) {
        stat_info(&sb, &fi);
        if (ta_proto_encode_open_resp(m->id, st, &fi, out, cap, &a->len) != TA_PROTO_OK)
            st = TA_CONFINE_ERROR;
        else if (st == TA_CONFINE_OK) {
            a->fd = fd; /* sent with the answer, closed after */
            fd = -1;
        }
    }
    else if (m->type == TA_MSG_LIST_REQ && st == TA_CONFINE_IS_DIR) {
        if (cn->list_out == NULL)
            cn->list_out = malloc(TA_PROTO_MAX_LIST_FRAME);
        if (cn->list_out == NULL)
            st = TA_CONFINE_ERROR;
        else if ((a->len = write_listing(c, m, fd, &cr, &pol, cn->list_out, &st)) > 0)
            a->frame = cn->list_out;
    }
    if (fd >= 0)
        close(fd);
    if (a->len == 0) /* a refusal, a file to list, or a failure above: the status alone */
        a->len = status_only(m, st, out, cap);
    ta_usercred_free(&u);
    say(c, TA_LOG_DEBUG, "%s %s: %s/%s: %s", m->type == TA_MSG_OPEN_REQ ? "open" : "list",
        m->u.file_req.user, m->u.file_req.subdir, m->u.file_req.path, ta_confine_status_name(st));
}

/* One request: decode strictly, answer from the fixed table. No answer (a->len 0) closes the
 * connection, and so does an answer with *keep 0. */
static void answer(const ta_helper_conf *c, connection *cn, const unsigned char *in, size_t inlen,
                   unsigned char *out, size_t cap, int *keep, answer_t *a)
{
    ta_msg m;
    size_t used = 0;
    ta_proto_status st = ta_proto_decode(in, inlen, &m, &used);

    *keep = 0;
    if (st != TA_PROTO_OK) {
        say(c, TA_LOG_WARNING, "refused a malformed request: %s", ta_proto_status_name(st));
        if (ta_proto_encode_error(ta_proto_request_id(in, inlen), ta_proto_error_for(st), out, cap,
                                  &a->len) != TA_PROTO_OK)
            a->len = 0;
        return;
    }
    switch (m.type) {
    case TA_MSG_AUTH_REQ:
        a->len = answer_auth(c, &m, out, cap);
        break;
    case TA_MSG_OPEN_REQ:
    case TA_MSG_LIST_REQ:
        answer_file(c, cn, &m, out, cap, a);
        break;
    default: /* an answer, or ERROR: nothing a client asks */
        if (ta_proto_encode_error(m.id, TA_PROTO_ERR_BAD_TYPE, out, cap, &a->len) != TA_PROTO_OK)
            a->len = 0;
        ta_msg_wipe(&m);
        return;
    }
    *keep = a->len > 0;
    ta_msg_wipe(&m);
}

/* Is the peer the one uid we serve? */
/* The parent of process pid (from /proc/PID/stat: the field after the state that follows the
 * last ')' of the command name), or -1. */
static long parent_of(long pid)
{
    char path[64], buf[512];
    const char *close_paren;
    ssize_t n;
    int fd;
    long ppid = -1;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if ((close_paren = strrchr(buf, ')')) == NULL ||
        sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
        return -1;
    return ppid;
}

/* Only Apache's user may connect at all. File requests are further kept to Apache's own
 * children (the peer's parent is our parent, or the peer is our parent): a CGI script or any other
 * program that runs as www-data is not a child of the Apache parent, and must not be able to open
 * users' files without a token. Code loaded into the children themselves (mod_php, say) can read
 * the token keys anyway, so it gains nothing here. */
static int peer_allowed(const ta_helper_conf *c, connection *cn)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(cn->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
        return 0;
    if ((unsigned long)cred.uid != c->client_uid) {
        say(c, TA_LOG_WARNING, "refused a connection from uid %lu (pid %ld)",
            (unsigned long)cred.uid, (long)cred.pid);
        return 0;
    }
    cn->peer_is_worker = cred.pid > 0 && ((long)cred.pid == (long)getppid() ||
                                          parent_of((long)cred.pid) == (long)getppid());
    return 1;
}

static void *serve_connection(void *arg)
{
    connection *cn = arg;
    server *srv = cn->srv;
    const ta_helper_conf *c = srv->conf;
    unsigned char in[TA_PROTO_MAX_FRAME], out[TA_PROTO_MAX_FRAME];
    struct timeval tv = {IO_TIMEOUT_SECONDS, 0};
    size_t have = 0;
    int keep = 1;

    /* without the timeouts a stalled client would hold its slot for ever: serve none then */
    if (setsockopt(cn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
        setsockopt(cn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 && peer_allowed(c, cn)) {
        while (keep) {
            size_t flen = 0;
            ta_proto_status why = TA_PROTO_OK;
            answer_t a = {out, 0, -1};
            int r = read_frame(cn->fd, in, sizeof(in), &have, &flen, &why), sent;

            if (r < 0)
                break;
            if (r == 1) {
                say(c, TA_LOG_WARNING, "refused a malformed frame: %s", ta_proto_status_name(why));
                if (ta_proto_encode_error(ta_proto_request_id(in, have), ta_proto_error_for(why),
                                          out, sizeof(out), &a.len) != TA_PROTO_OK)
                    a.len = 0;
                keep = 0;
            }
            else {
                answer(c, cn, in, flen, out, sizeof(out), &keep, &a);
                consume(in, sizeof(in), &have, flen);
            }
            sent = a.len > 0 && ta_send_frame_fd(cn->fd, a.frame, a.len, a.fd) == 0;
            if (a.fd >= 0)
                close(a.fd); /* the worker has its own copy now (or never will) */
            if (!sent)
                break;
        }
    }
    OPENSSL_cleanse(in, sizeof(in));
    close(cn->fd);
    free(cn->list_out);
    free(cn);
    pthread_mutex_lock(&srv->lock);
    srv->active--;
    pthread_cond_signal(&srv->gone);
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

/* httpd's crash handlers (inherited) would chdir to CoreDumpDirectory and dump a core */
static const int crash[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};

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
    sa.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof(crash) / sizeof(crash[0]); i++)
        sigaction(crash[i], &sa, NULL);
}

/* Accept one client and hand it to a thread, or close it when all slots are taken. */
static void accept_one(server *srv)
{
    const ta_helper_conf *c = srv->conf;
    pthread_attr_t attr;
    pthread_t t;
    connection *cn;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0)
        return;
    cn = malloc(sizeof(*cn));
    if (cn == NULL) {
        close(fd);
        return;
    }
    cn->srv = srv;
    cn->fd = fd;
    cn->list_out = NULL;
    pthread_mutex_lock(&srv->lock);
    if (srv->active >= c->max_clients) {
        /* full: close at once (the client answers 503) rather than let idle or stalled
         * connections queue up every login behind them */
        pthread_mutex_unlock(&srv->lock);
        say(c, TA_LOG_WARNING, "%u connections in progress: refusing one more", c->max_clients);
        close(fd);
        free(cn);
        return;
    }
    srv->active++;
    pthread_mutex_unlock(&srv->lock);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, serve_connection, cn) != 0) {
        close(fd);
        free(cn);
        pthread_mutex_lock(&srv->lock);
        srv->active--;
        pthread_mutex_unlock(&srv->lock);
    }
    pthread_attr_destroy(&attr);
}

/* On SIGTERM: take what already waits in the backlog, stop listening, and let requests in
 * progress finish (a PAM failure delay alone takes seconds), within TA_HELPER_DRAIN_SECONDS.
 * Clients that come meanwhile are refused and retry: the next helper is about to listen. */
static void drain(server *srv)
{
    const ta_helper_conf *c = srv->conf;
    struct pollfd pfd = {.fd = c->listen_fd, .events = POLLIN};
    struct timespec until;

    while (poll(&pfd, 1, 0) > 0)
        accept_one(srv);
    close(c->listen_fd);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += TA_HELPER_DRAIN_SECONDS;
    pthread_mutex_lock(&srv->lock);
    while (srv->active > 0)
        if (pthread_cond_timedwait(&srv->gone, &srv->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&srv->lock);
}

int ta_helper_serve(const ta_helper_conf *c, long parent_pid)
{
    server srv = {.conf = c, .active = 0};
    struct pollfd pfd = {.fd = c->listen_fd, .events = POLLIN};

    set_signals();
    prctl(PR_SET_NAME, "ta-helper"); /* how administrators and tests tell it from workers */
    /* no core file (or ptrace) of a process holding passwords: without that, do not serve */
    if (prctl(PR_SET_DUMPABLE, 0) != 0 || pthread_mutex_init(&srv.lock, NULL) != 0 ||
        pthread_cond_init(&srv.gone, NULL) != 0) {
        say(c, TA_LOG_ERR, "cannot set up the helper (not-dumpable flag, lock)");
        return 1;
    }
    if (parent_pid > 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != (pid_t)parent_pid)
            return 0; /* the parent is already gone */
    }
    say(c, TA_LOG_INFO, "helper %ld serving uid %lu (confined opens by %s)", (long)getpid(),
        c->client_uid, ta_confine_have_openat2() ? "openat2" : "component walk");
    while (!stopping) {
        if (poll(&pfd, 1, ACCEPT_POLL_MS) > 0)
            accept_one(&srv);
        if (parent_pid > 0 && getppid() != (pid_t)parent_pid)
            break;
    }
    drain(&srv);
    return 0;
}
