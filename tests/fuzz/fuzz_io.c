/* libFuzzer target: the socket readers of src/wire/ta_io.c, where bytes and descriptors from
 * another process are first taken in: ta_hub_accept (the root helper, from any Apache child),
 * ta_recv_frame_fd (the helper's PAM process and the workers' one-shot requests) and
 * ta_recv_answer_fd (a worker's kept connection).
 *
 * Input: a flags byte (which reader; how many descriptors ride with the message, up to more than
 * the readers make room for; whether the reading socket asks for credentials, SO_PASSCRED;
 * whether the sender hangs up after sending), for the frame readers a byte that sets their
 * buffer's size and one that splits the bytes into two sends, then the bytes sent. The
 * descriptors go with the first send.
 *
 * Invariants. ta_hub_accept takes a connection exactly when the message is the one byte 'C' with
 * exactly one descriptor and no other ancillary data; then it is the descriptor sent, close-on-
 * exec; anything else is refused (0) and the next call finds nothing (0), or, once the sender
 * has hung up, says so (-1). ta_recv_frame_fd succeeds exactly when the bytes start with a sound
 * header (ta_proto_frame_len) of a frame that fits the buffer and is all there, with at most one
 * descriptor and no credentials; it then returns that frame byte for byte, with the descriptor
 * sent, and leaves every byte after the frame in the socket. ta_recv_answer_fd succeeds when the
 * bytes are exactly one such frame, never when the header is bad, the frame is cut short or does
 * not fit, more than one descriptor or credentials came; when it succeeds, it returns the frame
 * and consumed nothing after it; its errno is EAGAIN exactly when no byte was there to read and
 * the sender is still connected (the caller may wait again). (An empty hub message from a sender
 * that has hung up may read as the hang-up itself.) Every reader reads only into its
 * buffer (a heap block of exactly its size), and no descriptor is left open behind a refusal. */
#include "fuzz.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define FDS_MAX 12 /* more than ta_io's room (8): the kernel cuts the rest (MSG_CTRUNC) */

typedef struct {
    int reader;   /* 0 hub, 1 frame, 2 answer */
    size_t nfds;  /* descriptors sent with the first bytes */
    int passcred; /* the reading socket asks for credentials */
    int hang_up;  /* the sender closes its end after sending */
    size_t cap;   /* the frame readers' buffer */
    size_t split; /* bytes in the first send */
    const uint8_t *bytes;
    size_t len;
} plan;

/* The lowest free descriptor: a leaked one would take it. */
static int lowest_free_fd(void)
{
    int fd = dup(2);

    CHECK(fd >= 0);
    close(fd);
    return fd;
}

static int same_file(int a, const struct stat *b)
{
    struct stat st;

    return fstat(a, &st) == 0 && st.st_dev == b->st_dev && st.st_ino == b->st_ino;
}

/* Send p[0..n) on sock with fds (the sender's copies are closed after). The first descriptor
 * is one end of a fresh stream pair (a connection, as a worker sends), the others /dev/null. */
static void send_with(int sock, const uint8_t *p, size_t n, size_t nfds, struct stat *first)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
    } ctl;
    int fds[FDS_MAX], pair[2] = {-1, -1};
    struct iovec iov = {.iov_base = (void *)p, .iov_len = n};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

    for (size_t i = 0; i < nfds; i++) {
        if (i == 0) {
            CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
            fds[0] = pair[0];
            CHECK(fstat(fds[0], first) == 0);
        }
        else {
            fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
            CHECK(fds[i] >= 0);
        }
    }
    if (nfds) {
        struct cmsghdr *cm;

        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
    }
    CHECK(sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    if (pair[1] >= 0)
        close(pair[1]);
}

static void make_pair(int type, const plan *pl, int sv[2])
{
    int on = 1;

    CHECK(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == 0);
    if (pl->passcred)
        CHECK(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0);
}

/* --- the hub ------------------------------------------------------------------------------- */

static void fuzz_hub(const plan *pl)
{
    int sv[2], conn = 7, r, want;
    struct stat first;

    make_pair(SOCK_SEQPACKET, pl, sv);
    send_with(sv[1], pl->bytes, pl->len, pl->nfds, &first);
    if (pl->hang_up)
        close(sv[1]);
    want = pl->len == 1 && pl->bytes[0] == TA_HUB_CONNECT && pl->nfds == 1 && !pl->passcred;
    r = ta_hub_accept(sv[0], &conn);
    if (r == -1 && pl->len == 0 && pl->nfds == 0 && !pl->passcred && pl->hang_up) {
        /* an empty message from a sender that has hung up reads as the hang-up itself */
        CHECK(conn == -1);
        close(sv[0]);
        return;
    }
    CHECK(r == want);
    if (want) {
        CHECK(conn >= 0 && same_file(conn, &first));
        CHECK(fcntl(conn, F_GETFD) & FD_CLOEXEC);
        close(conn);
    }
    else {
        CHECK(conn == -1);
    }
    /* nothing is left: the next call waits for nothing, or sees that every sender is gone */
    CHECK(ta_hub_accept(sv[0], &conn) == (pl->hang_up ? -1 : 0) && conn == -1);
    close(sv[0]);
    if (!pl->hang_up)
        close(sv[1]);
}

/* --- frames -------------------------------------------------------------------------------- */

/* The frame the bytes start with: its length, or 0 when the header is not sound or the frame
 * does not fit cap. */
static size_t frame_at_start(const plan *pl)
{
    size_t flen = 0;

    if (pl->len < TA_PROTO_HEADER_LEN ||
        ta_proto_frame_len(pl->bytes, pl->len, &flen) != TA_PROTO_OK || flen > pl->cap)
        return 0;
    return flen;
}

/* The bytes still in the socket after a read are exactly those after the frame. */
static void check_rest(int sock, const plan *pl, size_t flen)
{
    uint8_t *rest = malloc(pl->len + 1);
    size_t got = 0;
    ssize_t r;

    CHECK(rest != NULL);
    while ((r = recv(sock, rest + got, pl->len + 1 - got, MSG_DONTWAIT)) > 0)
        got += (size_t)r;
    CHECK(got == pl->len - flen);
    CHECK(memcmp(rest, pl->bytes + flen, got) == 0);
    free(rest);
}

static void fuzz_frame(const plan *pl)
{
    int sv[2], fd = 7, r, e;
    size_t flen = 99, want = frame_at_start(pl);
    unsigned char *buf = malloc(pl->cap ? pl->cap : 1);
    struct stat first;
    int sound = want > 0 && pl->len >= want && pl->nfds <= 1 && !pl->passcred;

    CHECK(buf != NULL);
    make_pair(SOCK_STREAM, pl, sv);
    CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0); /* the answer reader must never wait */
    send_with(sv[1], pl->bytes, pl->split, pl->nfds, &first);
    send_with(sv[1], pl->bytes + pl->split, pl->len - pl->split, 0, &first);
    if (pl->hang_up)
        close(sv[1]);
    errno = 0;
    if (pl->reader == 1)
        r = ta_recv_frame_fd(sv[0], 0, buf, pl->cap, &flen, &fd);
    else
        r = ta_recv_answer_fd(sv[0], buf, pl->cap, &flen, &fd);
    e = errno;
    CHECK(r == 0 || r == -1);
    if (pl->reader == 1 || pl->len == want)
        CHECK(r == (sound ? 0 : -1));
    else if (!sound)
        CHECK(r == -1);
    if (pl->reader == 2 && r == -1 && pl->cap >= TA_PROTO_HEADER_LEN)
        CHECK((e == EAGAIN) == (pl->len == 0 && !pl->hang_up));
    if (r == 0) {
        CHECK(flen == want && memcmp(buf, pl->bytes, flen) == 0);
        if (pl->nfds == 1) {
            CHECK(fd >= 0 && same_file(fd, &first));
            CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
            close(fd);
        }
        else {
            CHECK(fd == -1);
        }
        check_rest(sv[0], pl, flen);
    }
    else {
        CHECK(fd == -1 && flen == 0);
    }
    close(sv[0]);
    if (!pl->hang_up)
        close(sv[1]);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plan pl;
    unsigned flags;
    int before = lowest_free_fd();

    if (size < 3)
        return 0;
    flags = data[0];
    memset(&pl, 0, sizeof(pl));
    pl.reader = (int)(flags & 3) % 3;
    pl.nfds = (flags >> 2) & 7;
    if (flags & 0x20)
        pl.nfds += 4; /* 4..11: past the readers' room */
    pl.passcred = (flags >> 6) & 1;
    pl.hang_up = (flags >> 7) & 1;
    pl.cap = data[1] == 0xff ? TA_PROTO_MAX_FRAME : (size_t)data[1] * 4;
    pl.bytes = data + 3;
    pl.len = size - 3;
    pl.split = data[2] == 0xff || pl.len == 0 ? pl.len : data[2] % (pl.len + 1);
    if (pl.split == 0 && pl.reader != 0)
        pl.nfds = 0; /* no descriptor without a byte on a stream socket */
    if (pl.reader == 0)
        fuzz_hub(&pl);
    else
        fuzz_frame(&pl);
    CHECK(lowest_free_fd() == before);
    return 0;
}
