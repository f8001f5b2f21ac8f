/* Socket I/O shared by the helper and its client, and descriptor passing (SCM_RIGHTS) in one
 * small, careful place, as OpenSSH keeps it. */
#include "ta_io.h"
#include "ta_proto.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Room for more descriptors than we accept, so that extra ones arrive and can be closed
 * (whatever does not fit, the kernel drops and reports as MSG_CTRUNC). */
#define FD_ROOM 8

int ta_send_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_with_fd(int sock, const unsigned char *p, size_t n, int fd, int flags)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = (void *)p, .iov_len = n};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *cm;
    ssize_t w;

    if (fd < 0)
        return ta_send_all(sock, p, n);
    if (n == 0)
        return -1; /* a descriptor needs at least one byte to travel with */
    memset(&ctl, 0, sizeof(ctl));
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof(ctl.buf);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    do
        w = sendmsg(sock, &msg, MSG_NOSIGNAL | flags);
    while (w < 0 && errno == EINTR); /* nothing was sent, the descriptor neither */
    if (w <= 0)
        return -1;
    return ta_send_all(sock, p + w, n - (size_t)w);
}

int ta_send_frame_fd(int sock, const unsigned char *p, size_t n, int fd)
{
    return send_with_fd(sock, p, n, fd, 0);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long ta_io_now_ms(void)
{
    return now_ms();
}

int ta_send_all_until(int fd, const unsigned char *p, size_t n, long long deadline)
{
    while (n) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        long long left;

        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            return -1;
        left = deadline - now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (poll(&pfd, 1, (int)(left > 60000 ? 60000 : left)) < 0 && errno != EINTR)
            return -1;
    }
    return 0;
}

/* Take the descriptors of one recvmsg. Every one that came is either kept (the first of the
 * frame) or closed; 0, or -1 when anything but that one descriptor came. */
static int take_fds(struct msghdr *msg, int *fd)
{
    int bad = (msg->msg_flags & MSG_CTRUNC) != 0;

    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        size_t nfd;

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
            bad = 1; /* credentials or anything else: nothing we asked for */
            continue;
        }
        nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int got;

            memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (*fd < 0 && !bad)
                *fd = got;
            else {
                close(got);
                bad = 1;
            }
        }
    }
    return bad ? -1 : 0;
}

/* One recvmsg of up to want bytes with flags, taking any descriptors that came (EINTR is
 * retried). */
static ssize_t recv_once(int sock, unsigned char *p, size_t want, int flags, int *fd, int *bad)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(FD_ROOM * sizeof(int))];
    } ctl;

    for (;;) {
        struct iovec iov = {.iov_base = p, .iov_len = want};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl)};
        ssize_t r = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);

        if (r < 0 && errno == EINTR)
            continue;
        if (r >= 0 && take_fds(&msg, fd) != 0)
            *bad = 1;
        return r;
    }
}

/* One recvmsg of up to want bytes, waiting at most until deadline. */
static ssize_t recv_some(int sock, unsigned char *p, size_t want, long long deadline, int *fd,
                         int *bad)
{
    for (;;) {
        struct pollfd pfd = {.fd = sock, .events = POLLIN};
        long long left;
        ssize_t r = recv_once(sock, p, want, MSG_DONTWAIT, fd, bad);

        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return r;
        /* the answer usually is there already: poll only when it is not */
        left = deadline - now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)(left > 60000 ? 60000 : left)) < 0) {
            if (left > 0 && errno == EINTR)
                continue;
            return -1;
        }
    }
}

int ta_recv_frame_fd(int sock, int timeout_ms, unsigned char *buf, size_t cap, size_t *flen,
                     int *fd)
{
    long long deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    size_t have = 0, need = TA_PROTO_HEADER_LEN;
    int bad = 0;

    *fd = -1;
    *flen = 0;
    if (cap < TA_PROTO_HEADER_LEN)
        return -1;
    while (have < need) {
        ssize_t r = recv_some(sock, buf + have, need - have, deadline, fd, &bad);

        if (r <= 0 || bad)
            break;
        have += (size_t)r;
        if (have == TA_PROTO_HEADER_LEN) {
            /* the header says how much more belongs to this frame, and not a byte beyond */
            size_t flen_hdr = 0;

            if (ta_proto_frame_len(buf, have, &flen_hdr) != TA_PROTO_OK || flen_hdr > cap) {
                bad = 1;
                break;
            }
            need = flen_hdr;
        }
    }
    if (have < need || bad) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return -1;
    }
    *flen = need;
    return 0;
}

int ta_recv_answer_fd(int sock, unsigned char *buf, size_t cap, size_t *flen, int *fd)
{
    size_t have = 0, need = 0;
    int bad = 0;

    *fd = -1;
    *flen = 0;
    if (cap < TA_PROTO_HEADER_LEN)
        return -1;
    /* One request is outstanding and the helper sends one frame for it: whatever arrives is
     * that frame, so read as much as fits at once (usually the whole answer in one call). */
    while (!bad && (need == 0 || have < need)) {
        ssize_t r = recv_once(sock, buf + have, (need ? need : cap) - have, 0, fd, &bad);

        if (r <= 0) {
            /* only a wait that saw nothing at all may go on (ta_recv_answer_fd again) */
            if (!(r < 0 && have == 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
                errno = r == 0 ? ECONNRESET : EPROTO;
            break;
        }
        have += (size_t)r;
        if (need == 0 && have >= TA_PROTO_HEADER_LEN &&
            (ta_proto_frame_len(buf, have, &need) != TA_PROTO_OK || need > cap || have > need))
            bad = 1; /* a bad header, or bytes beyond the one frame we asked for */
    }
    if (bad || need == 0 || have != need) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        if (bad)
            errno = EPROTO;
        return -1;
    }
    *flen = need;
    return 0;
}

/* --- connections through a hub ----------------------------------------------------------
 * The helper has no socket in the file system: Apache's children inherit one end of a
 * SOCK_SEQPACKET pair (the hub), and a connection is a fresh stream pair whose one end they
 * send over it. Whoever does not hold the hub cannot even ask. */

/* The helper's word that it took the connection: one byte, or nothing within the wait. */
static int await_ack(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    unsigned char c = 0;
    ssize_t r;
    int n;

    do
        n = poll(&pfd, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        errno = n == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    do
        r = recv(fd, &c, 1, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r != 1 || c != TA_HUB_ACCEPTED) {
        errno = ECONNREFUSED;
        return -1;
    }
    return 0;
}

#define HUB_TRIES 20
#define HUB_PAUSE_NS 5000000L /* 5 ms: 100 ms in all */

static int send_hub(int hub, unsigned char *c, int fd)
{
    for (int i = 0;; i++) {
        struct timespec ts = {0, HUB_PAUSE_NS};

        if (send_with_fd(hub, c, 1, fd, MSG_DONTWAIT) == 0)
            return 0;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || i + 1 == HUB_TRIES)
            return -1;
        nanosleep(&ts, NULL);
    }
}

int ta_hub_connect(int hub, int timeout_ms)
{
    int sv[2];
    unsigned char c = TA_HUB_CONNECT;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    /* never block on the hub: while no helper reads it (one is being restarted) its queue may
     * fill, and a worker must then answer 503 rather than hang; a queue that is only busy
     * gets a few short tries */
    if (send_hub(hub, &c, sv[1]) != 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    close(sv[1]); /* the helper has its own copy now */
    if (await_ack(sv[0], timeout_ms) != 0) {
        int e = errno;
        close(sv[0]);
        errno = e;
        return -1;
    }
    return sv[0];
}

int ta_hub_ack(int conn)
{
    unsigned char c = TA_HUB_ACCEPTED;

    return send(conn, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* The hub's other end is closed (a 0 from recv means that, or an empty message). */
static int hub_hung_up(int hub)
{
    struct pollfd pfd = {.fd = hub, .events = POLLIN};

    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

int ta_hub_accept(int hub, int *conn)
{
    unsigned char c[2] = {0, 0};
    int bad = 0;
    ssize_t r;

    *conn = -1;
    /* two bytes of room: a SEQPACKET message is read whole or cut, and a longer one must be
     * seen as such, not taken for its first byte */
    r = recv_once(hub, c, sizeof(c), MSG_DONTWAIT, conn, &bad);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    if (r == 0 && *conn < 0 && !bad && hub_hung_up(hub))
        return -1; /* every sender is gone (an empty message from one is not that) */
    if (r != 1 || c[0] != TA_HUB_CONNECT || bad || *conn < 0) {
        if (*conn >= 0)
            close(*conn);
        *conn = -1;
        return 0; /* one bad message: refuse it, keep serving the others */
    }
    return 1;
}
