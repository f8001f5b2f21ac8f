/* Unit tests for descriptor passing (src/wire/ta_io.c, SPEC §6: the helper hands the open file to
 * the worker, and a worker hands the helper a connection over the hub). Each test talks over a
 * socketpair; frames are built by hand. Every descriptor that arrives where it should not must be
 * closed: the tests count the process's open descriptors. */
#include "unit.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How many descriptors this process has open. */
static int ut_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the one opendir holds */
}

static void ut_pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* An ERROR frame (13 bytes) with the given id: small and valid. */
static void ut_error_frame(unsigned char f[13], uint32_t id)
{
    size_t len = 0;

    assert_int_equal(ta_proto_encode_error(id, TA_PROTO_ERR_INTERNAL, f, 13, &len), TA_PROTO_OK);
}

/* A file to pass: its descriptor, open read-only. */
static int ut_tmpfile(void)
{
    FILE *f = tmpfile();
    int fd;

    assert_non_null(f);
    fd = dup(fileno(f));
    fclose(f);
    assert_true(fd >= 0);
    return fd;
}

/* sendmsg with n descriptors (all fd) on the first bytes of p. */
static void ut_send_fds(int sock, const unsigned char *p, size_t len, int fd, int n)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *cm;

    memset(&ctl, 0, sizeof(ctl));
    msg.msg_control = ctl.buf;
    msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++)
        memcpy(CMSG_DATA(cm) + (size_t)i * sizeof(int), &fd, sizeof(int));
    assert_int_equal(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)len);
}

static void test_io_frame_and_its_descriptor_arrive_together(void **state)
{
    unsigned char f[13], got[64];
    struct stat a, b;
    size_t flen = 0;
    int sv[2], fd = ut_tmpfile(), rfd = -7;

    (void)state;
    ut_pair(sv);
    ut_error_frame(f, 77);
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), fd), 0);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), 0);
    assert_int_equal(flen, sizeof(f));
    assert_memory_equal(got, f, sizeof(f));
    assert_true(rfd >= 0 && rfd != fd);
    assert_int_equal(fstat(fd, &a), 0);
    assert_int_equal(fstat(rfd, &b), 0);
    assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev); /* the very same file */
    assert_true(fcntl(rfd, F_GETFD) & FD_CLOEXEC);             /* no CGI inherits it */
    close(rfd);
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

static void test_io_frame_without_descriptor(void **state)
{
    unsigned char f[13], got[64];
    size_t flen = 0;
    int sv[2], rfd = -7;

    (void)state;
    ut_pair(sv);
    ut_error_frame(f, 1);
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), -1), 0);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), 0);
    assert_int_equal(rfd, -1);
    assert_int_equal(flen, 13);
    close(sv[0]);
    close(sv[1]);
}

/* Two answers in the stream, each with its own descriptor: each is read with its frame and not
 * a byte further, so the second descriptor never comes with the first frame. */
static void test_io_pipelined_frames_keep_their_descriptors_apart(void **state)
{
    unsigned char f1[13], f2[13], got[64];
    int sv[2], fd1 = ut_tmpfile(), fd2 = ut_tmpfile(), r1 = -1, r2 = -1;
    struct stat a, b;
    size_t flen = 0;

    (void)state;
    ut_pair(sv);
    ut_error_frame(f1, 1);
    ut_error_frame(f2, 2);
    assert_int_equal(ta_send_frame_fd(sv[0], f1, sizeof(f1), fd1), 0);
    assert_int_equal(ta_send_frame_fd(sv[0], f2, sizeof(f2), fd2), 0);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &r1), 0);
    assert_int_equal(ta_proto_request_id(got, flen), 1);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &r2), 0);
    assert_int_equal(ta_proto_request_id(got, flen), 2);
    fstat(fd1, &a);
    fstat(r1, &b);
    assert_true(a.st_ino == b.st_ino);
    fstat(fd2, &a);
    fstat(r2, &b);
    assert_true(a.st_ino == b.st_ino);
    close(r1);
    close(r2);
    close(fd1);
    close(fd2);
    close(sv[0]);
    close(sv[1]);
}

/* More than one descriptor with a frame: refused, and every one of them closed. */
static void test_io_refuses_two_descriptors_and_closes_both(void **state)
{
    unsigned char f[13], got[64];
    int sv[2], fd = ut_tmpfile(), rfd = -7, before;
    size_t flen = 9;

    (void)state;
    ut_pair(sv);
    ut_error_frame(f, 1);
    before = ut_open_fds();
    ut_send_fds(sv[0], f, sizeof(f), fd, 2);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    assert_int_equal(flen, 0);
    assert_int_equal(ut_open_fds(), before);
    /* and one on the header, another on the body (on a new stream: a refusal leaves the old
     * one out of step, and the caller closes it) */
    close(sv[0]);
    close(sv[1]);
    ut_pair(sv);
    ut_send_fds(sv[0], f, 12, fd, 1);
    ut_send_fds(sv[0], f + 12, 1, fd, 1);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    assert_int_equal(ut_open_fds(), before);
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

/* More descriptors than the receiver has room for: the kernel drops the rest (MSG_CTRUNC);
 * refused, and the ones that came closed. */
static void test_io_refuses_truncated_control_data(void **state)
{
    unsigned char f[13], got[64];
    int sv[2], fd = ut_tmpfile(), rfd = -7, before, many[12];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(many))];
    } ctl;
    struct iovec iov = {.iov_base = f, .iov_len = sizeof(f)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *cm;
    size_t flen;

    (void)state;
    ut_pair(sv);
    ut_error_frame(f, 1);
    before = ut_open_fds();
    for (size_t i = 0; i < 12; i++)
        many[i] = fd;
    memset(&ctl, 0, sizeof(ctl));
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof(ctl.buf);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(many));
    memcpy(CMSG_DATA(cm), many, sizeof(many));
    assert_int_equal(sendmsg(sv[0], &msg, 0), (ssize_t)sizeof(f));
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    assert_int_equal(ut_open_fds(), before);
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

/* Credentials (or anything but SCM_RIGHTS) are nothing we asked for. */
static void test_io_refuses_other_ancillary_data(void **state)
{
    unsigned char f[13], got[64];
    int sv[2], on = 1, rfd = -7;
    size_t flen;

    (void)state;
    ut_pair(sv);
    assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
    ut_error_frame(f, 1);
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), -1), 0);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    close(sv[0]);
    close(sv[1]);
}

/* A descriptor on a frame that never completes is closed. */
static void test_io_closes_descriptor_of_frame_cut_short(void **state)
{
    unsigned char f[13], got[64];
    int sv[2], fd = ut_tmpfile(), rfd = -7, before;
    size_t flen;

    (void)state;
    ut_pair(sv);
    ut_error_frame(f, 1);
    before = ut_open_fds();
    assert_int_equal(ta_send_frame_fd(sv[0], f, 12, fd), 0); /* the header only */
    shutdown(sv[0], SHUT_WR);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    assert_int_equal(ut_open_fds(), before);
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

/* A frame longer than the caller's buffer, or a header that is not ours, is refused at the
 * header, and its descriptor closed. */
static void test_io_refuses_frame_larger_than_buffer_or_bad_header(void **state)
{
    unsigned char f[13], got[64];
    int sv[2], fd = ut_tmpfile(), rfd = -7, before;
    size_t flen;

    (void)state;
    ut_pair(sv);
    ut_error_frame(f, 1);
    before = ut_open_fds();
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), fd), 0);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, 12, &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    assert_int_equal(ut_open_fds(), before);
    close(sv[0]);
    close(sv[1]);
    ut_pair(sv);
    f[0] = 'X';
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), fd), 0);
    assert_int_equal(ta_recv_frame_fd(sv[1], 1000, got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    assert_int_equal(ut_open_fds(), before);
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

/* Nothing comes: -1 once the time is up, not before, not much after. */
static void test_io_times_out(void **state)
{
    unsigned char got[64];
    struct timespec t0, t1;
    int sv[2], rfd = -7;
    size_t flen;
    long ms;

    (void)state;
    ut_pair(sv);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ta_recv_frame_fd(sv[1], 100, got, sizeof(got), &flen, &rfd), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 95 && ms < 1000);
    assert_int_equal(rfd, -1);
    close(sv[0]);
    close(sv[1]);
}

/* A peer that reads a little, steadily, as fast as each blocking send needs to go on. */
typedef struct {
    int fd, stop;
    size_t got;
} slow_reader;

static void *read_slowly(void *arg)
{
    slow_reader *r = arg;
    unsigned char buf[4096];

    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
        ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n == 0)
            break;
        if (n > 0)
            r->got += (size_t)n;
        usleep(20000);
    }
    return NULL;
}

/* ta_send_all_until: a reader that keeps each send going (4 KiB every 20 ms) cannot stretch
 * the whole send past its deadline; one that reads at once gets every byte. */
static void *read_at_once(void *arg)
{
    slow_reader *r = arg;
    unsigned char buf[65536];
    ssize_t n;

    while ((n = recv(r->fd, buf, sizeof(buf), 0)) > 0)
        r->got += (size_t)n;
    return NULL;
}

static void test_io_send_until_holds_its_deadline_against_a_slow_reader(void **state)
{
    size_t len = 8 << 20;
    unsigned char *big = calloc(1, len);
    slow_reader r = {0, 0, 0};
    struct timespec t0, t1;
    pthread_t t;
    int sv[2];
    long ms;

    (void)state;
    assert_non_null(big);
    ut_pair(sv);
    r.fd = sv[1];
    assert_int_equal(pthread_create(&t, NULL, read_slowly, &r), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ta_send_all_until(sv[0], big, len, ta_io_now_ms() + 300), -1);
    assert_int_equal(errno, ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 295 && ms < 2000);
    __atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(r.got > 0 && r.got < len);
    close(sv[0]);
    close(sv[1]);

    /* the legitimate path: read at once, the same send completes */
    ut_pair(sv);
    r = (slow_reader){sv[1], 0, 0};
    assert_int_equal(pthread_create(&t, NULL, read_at_once, &r), 0);
    assert_int_equal(ta_send_all_until(sv[0], big, len, ta_io_now_ms() + 10000), 0);
    close(sv[0]);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.got, len);
    close(sv[1]);
    free(big);
}

static void test_io_send_with_descriptor_needs_a_byte(void **state)
{
    int sv[2], fd = ut_tmpfile();

    (void)state;
    ut_pair(sv);
    assert_int_equal(ta_send_frame_fd(sv[0], (const unsigned char *)"", 0, fd), -1);
    close(sv[1]);
    assert_int_equal(ta_send_frame_fd(sv[0], (const unsigned char *)"x", 1, fd), -1); /* EPIPE */
    close(fd);
    close(sv[0]);
}

/* --- ta_recv_answer_fd: the one answer to the one request outstanding ------------------------ */

static void ut_timeout(int sock, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    assert_int_equal(setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void test_io_answer_and_its_descriptor_arrive_together(void **state)
{
    unsigned char f[13], got[64];
    struct stat a, b;
    size_t flen = 0;
    int sv[2], fd = ut_tmpfile(), rfd = -7;

    (void)state;
    ut_pair(sv);
    ut_timeout(sv[1], 1000);
    ut_error_frame(f, 5);
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), fd), 0);
    assert_int_equal(ta_recv_answer_fd(sv[1], got, sizeof(got), &flen, &rfd), 0);
    assert_int_equal(flen, sizeof(f));
    assert_memory_equal(got, f, sizeof(f));
    assert_true(rfd >= 0);
    assert_true(fcntl(rfd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(fstat(fd, &a), 0);
    assert_int_equal(fstat(rfd, &b), 0);
    assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    close(rfd);
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

/* Bytes beyond the one frame asked for: the stream is out of step. Refused, and the descriptor
 * that came closed. */
static void test_io_answer_refuses_bytes_beyond_its_frame(void **state)
{
    unsigned char f[26], got[64];
    size_t flen = 9;
    int sv[2], fd = ut_tmpfile(), rfd = -7, before;

    (void)state;
    ut_pair(sv);
    ut_timeout(sv[1], 1000);
    ut_error_frame(f, 1);
    ut_error_frame(f + 13, 2);
    before = ut_open_fds();
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), fd), 0);
    assert_int_equal(ta_recv_answer_fd(sv[1], got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    assert_int_equal(flen, 0);
    assert_int_equal(ut_open_fds(), before);
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

/* A bad header, a frame longer than the buffer, the end of the stream, or no answer in time:
 * -1 and no descriptor. */
static void test_io_answer_refuses_bad_header_long_frame_end_and_timeout(void **state)
{
    unsigned char f[13], got[64];
    size_t flen;
    int sv[2], fd = ut_tmpfile(), rfd = -7, before = ut_open_fds();

    (void)state;
    ut_pair(sv);
    ut_timeout(sv[1], 100);
    ut_error_frame(f, 1);
    f[2] = 1; /* version 1 */
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), fd), 0);
    assert_int_equal(ta_recv_answer_fd(sv[1], got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    close(sv[0]);
    close(sv[1]);

    ut_pair(sv);
    ut_timeout(sv[1], 100);
    ut_error_frame(f, 1);
    assert_int_equal(ta_send_frame_fd(sv[0], f, sizeof(f), fd), 0);
    assert_int_equal(ta_recv_answer_fd(sv[1], got, 12, &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    close(sv[0]);
    close(sv[1]);

    ut_pair(sv);
    ut_timeout(sv[1], 100);
    assert_int_equal(ta_send_frame_fd(sv[0], f, 12, fd), 0); /* the header, then the end */
    shutdown(sv[0], SHUT_WR);
    assert_int_equal(ta_recv_answer_fd(sv[1], got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    close(sv[0]);
    close(sv[1]);

    ut_pair(sv);
    ut_timeout(sv[1], 100);
    assert_int_equal(ta_recv_answer_fd(sv[1], got, sizeof(got), &flen, &rfd), -1);
    assert_int_equal(rfd, -1);
    close(sv[0]);
    close(sv[1]);
    close(fd);
    assert_int_equal(ut_open_fds(), before - 1);
}

/* --- the hub: connections passed to the helper ----------------------------------------------- */

static void ut_hub(int hub[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, hub), 0);
}

/* One message on the hub: the bytes, and n descriptors (copies of fd) with them. */
static void ut_hub_send(int hub, const void *p, size_t len, int fd, int n)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *cm;

    if (n > 0) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        for (int i = 0; i < n; i++)
            memcpy(CMSG_DATA(cm) + (size_t)i * sizeof(int), &fd, sizeof(int));
    }
    assert_int_equal(sendmsg(hub, &msg, MSG_NOSIGNAL), (ssize_t)len);
}

/* The helper's side of one connection, on a thread of its own (ta_hub_connect waits for the
 * acknowledgement): wait for a message, take it, and acknowledge it unless told to refuse. */
typedef struct {
    int hub, refuse, result, conn, acked;
} ut_acceptor;

static void *ut_accept_one(void *arg)
{
    ut_acceptor *a = arg;
    struct pollfd pfd = {.fd = a->hub, .events = POLLIN};

    a->conn = -1;
    a->result = poll(&pfd, 1, 5000) == 1 ? ta_hub_accept(a->hub, &a->conn) : -2;
    if (a->result == 1 && a->refuse) {
        close(a->conn);
        a->conn = -1;
    }
    else if (a->result == 1)
        a->acked = ta_hub_ack(a->conn) == 0; /* no cmocka assertion off the main thread */
    return NULL;
}

/* Connect through hub[0] while a thread accepts on hub[1]; the client's end, or -1. *conn gets
 * the helper's end (or -1). */
static int ut_connect(int hub[2], int refuse, int *conn, int *err)
{
    ut_acceptor a = {hub[1], refuse, 0, -1, 0};
    pthread_t t;
    int c;

    assert_int_equal(pthread_create(&t, NULL, ut_accept_one, &a), 0);
    c = ta_hub_connect(hub[0], 2000);
    *err = errno;
    pthread_join(t, NULL);
    assert_int_equal(a.result, 1);
    assert_int_equal(a.acked, !refuse);
    *conn = a.conn;
    return c;
}

/* A connection made through the hub arrives at the other end as a connected stream socket whose
 * peer is this process; both ends are close-on-exec, and the acknowledgement is not left in the
 * stream for the first answer to trip over. */
static void test_io_hub_connection_arrives(void **state)
{
    struct ucred cred;
    socklen_t clen = sizeof(cred), tlen = sizeof(int);
    char buf[8] = "";
    int hub[2], c, conn = -7, type = 0, err;

    (void)state;
    ut_hub(hub);
    c = ut_connect(hub, 0, &conn, &err);
    assert_true(c >= 0 && conn >= 0);
    assert_int_equal(getsockopt(conn, SOL_SOCKET, SO_TYPE, &type, &tlen), 0);
    assert_int_equal(type, SOCK_STREAM);
    assert_int_equal(write(c, "ping", 4), 4);
    assert_int_equal(read(conn, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(write(conn, "pong", 4), 4);
    assert_int_equal(read(c, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "pong", 4);
    assert_int_equal(getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen), 0);
    assert_int_equal(cred.pid, getpid());
    assert_int_equal(cred.uid, geteuid());
    assert_true(fcntl(c, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(conn, F_GETFD) & FD_CLOEXEC);
    close(conn);
    assert_int_equal(read(c, buf, sizeof(buf)), 0); /* the helper's end is the only other one */
    close(c);
    close(hub[0]);
    close(hub[1]);
}

/* The peer the helper sees is whoever made the pair: a child that connects is that child. */
static void test_io_hub_peer_is_the_process_that_connected(void **state)
{
    struct ucred cred;
    socklen_t clen = sizeof(cred);
    int hub[2], conn = -1, st = 0;
    ut_acceptor a;
    pthread_t t;
    pid_t pid;

    (void)state;
    ut_hub(hub);
    memset(&a, 0, sizeof(a));
    a.hub = hub[1];
    assert_int_equal(pthread_create(&t, NULL, ut_accept_one, &a), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(ta_hub_connect(hub[0], 2000) >= 0 ? 0 : 1);
    pthread_join(t, NULL);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(a.result, 1);
    conn = a.conn;
    assert_int_equal(getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen), 0);
    assert_int_equal(cred.pid, pid);
    close(conn);
    close(hub[0]);
    close(hub[1]);
}

/* A connection the helper closes without a word was refused: ECONNREFUSED at once, no
 * descriptor left behind. */
static void test_io_hub_connection_closed_unacknowledged_is_refused(void **state)
{
    int hub[2], conn = -7, err = 0, before, c;

    (void)state;
    ut_hub(hub);
    before = ut_open_fds();
    c = ut_connect(hub, 1, &conn, &err);
    assert_int_equal(c, -1);
    assert_int_equal(err, ECONNREFUSED);
    assert_int_equal(ut_open_fds(), before);
    close(hub[0]);
    close(hub[1]);
}

/* No helper reads the hub (one is being restarted): the client gives up after its wait, with
 * ETIMEDOUT, instead of holding the request for the whole answer timeout. */
static void test_io_hub_connect_without_a_helper_times_out(void **state)
{
    struct timespec t0, t1;
    int hub[2], before, c;
    long ms;

    (void)state;
    ut_hub(hub);
    before = ut_open_fds();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c = ta_hub_connect(hub[0], 100);
    assert_int_equal(errno, ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(c, -1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 95 && ms < 1000);
    assert_int_equal(ut_open_fds(), before);
    close(hub[0]);
    close(hub[1]);
}

/* A hub whose queue is full: connect fails at once instead of waiting, and leaves no
 * descriptor behind; so does a hub that is no socket. */
static void test_io_hub_connect_never_waits_on_a_full_hub(void **state)
{
    struct timespec t0, t1;
    int hub[2], fd = ut_tmpfile(), before, queued = 0;

    (void)state;
    ut_hub(hub);
    before = ut_open_fds();
    for (;;) { /* fill the queue as a stalled helper would leave it */
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        struct iovec iov = {.iov_base = "C", .iov_len = 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        struct cmsghdr *cm;

        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        if (sendmsg(hub[0], &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
            break;
        assert_true(++queued < 1000000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ta_hub_connect(hub[0], 5000), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    assert_int_equal(ut_open_fds(), before);
    assert_int_equal(ta_hub_connect(-1, 100), -1);
    assert_int_equal(ta_hub_connect(fd, 100), -1);
    assert_int_equal(ut_open_fds(), before);
    close(fd);
    close(hub[0]);
    close(hub[1]);
}

/* Nothing on the hub: 0 at once, no wait. */
static void test_io_hub_accept_without_a_message_is_0(void **state)
{
    struct timespec t0, t1;
    int hub[2], conn = -7;

    (void)state;
    ut_hub(hub);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ta_hub_accept(hub[1], &conn), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(conn, -1);
    assert_true(t1.tv_sec - t0.tv_sec < 1);
    close(hub[0]);
    close(hub[1]);
}

/* Garbage on the hub is refused message by message, every descriptor that came with it closed,
 * and the next sound connection is still taken. */
static void assert_hub_refuses(const void *p, size_t len, int nfds)
{
    int hub[2], fd = ut_tmpfile(), conn = -7, before, c, err;

    ut_hub(hub);
    before = ut_open_fds();
    ut_hub_send(hub[0], p, len, fd, nfds);
    close(fd);
    assert_int_equal(ta_hub_accept(hub[1], &conn), 0);
    assert_int_equal(conn, -1);
    assert_int_equal(ut_open_fds(), before - 1); /* fd closed here, and no copy kept there */
    c = ut_connect(hub, 0, &conn, &err);
    assert_true(c >= 0 && conn >= 0);
    close(conn);
    close(c);
    close(hub[0]);
    close(hub[1]);
}

static void test_io_hub_refuses_a_message_without_a_descriptor(void **state)
{
    (void)state;
    assert_hub_refuses("C", 1, 0);
}

static void test_io_hub_refuses_two_descriptors_and_closes_both(void **state)
{
    (void)state;
    assert_hub_refuses("C", 1, 2);
    assert_hub_refuses("C", 1, 4);
}

static void test_io_hub_refuses_a_wrong_byte_and_closes_its_descriptor(void **state)
{
    (void)state;
    assert_hub_refuses("X", 1, 1);
    assert_hub_refuses("\0", 1, 1);
    assert_hub_refuses("A", 1, 1); /* the acknowledgement byte is no request */
}

/* One message is one byte: 'C' and more is not a connection request (a seqpacket read of one
 * byte would drop the rest without a word). */
static void test_io_hub_refuses_a_longer_message(void **state)
{
    (void)state;
    assert_hub_refuses("CC", 2, 1);
    assert_hub_refuses("C and then some", 15, 1);
}

static void test_io_hub_refuses_an_empty_message_with_a_descriptor(void **state)
{
    (void)state;
    assert_hub_refuses("", 0, 1);
}

/* An empty message is not the end of the hub: whoever holds the hub (any Apache child) must not
 * be able to stop the helper's loop with a zero-length send. */
static void test_io_hub_empty_message_is_not_the_end(void **state)
{
    int hub[2], conn = -7, c, err;

    (void)state;
    ut_hub(hub);
    assert_int_equal(send(hub[0], "", 0, 0), 0);
    assert_int_equal(ta_hub_accept(hub[1], &conn), 0);
    assert_int_equal(conn, -1);
    c = ut_connect(hub, 0, &conn, &err);
    assert_true(c >= 0 && conn >= 0);
    close(conn);
    close(c);
    close(hub[0]);
    close(hub[1]);
}

/* When every sender has gone, the hub has ended: -1, so that the helper stops; what was sent
 * before is still taken. */
static void test_io_hub_accept_after_every_sender_is_gone(void **state)
{
    int hub[2], sv[2], conn = -7;

    (void)state;
    ut_hub(hub);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ut_hub_send(hub[0], "C", 1, sv[1], 1);
    close(sv[1]);
    close(hub[0]);
    assert_int_equal(ta_hub_accept(hub[1], &conn), 1);
    close(conn);
    assert_int_equal(ta_hub_accept(hub[1], &conn), -1);
    assert_int_equal(conn, -1);
    close(sv[0]);
    close(hub[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_frame_and_its_descriptor_arrive_together),
        cmocka_unit_test(test_io_frame_without_descriptor),
        cmocka_unit_test(test_io_pipelined_frames_keep_their_descriptors_apart),
        cmocka_unit_test(test_io_refuses_two_descriptors_and_closes_both),
        cmocka_unit_test(test_io_refuses_truncated_control_data),
        cmocka_unit_test(test_io_refuses_other_ancillary_data),
        cmocka_unit_test(test_io_closes_descriptor_of_frame_cut_short),
        cmocka_unit_test(test_io_refuses_frame_larger_than_buffer_or_bad_header),
        cmocka_unit_test(test_io_times_out),
        cmocka_unit_test(test_io_send_until_holds_its_deadline_against_a_slow_reader),
        cmocka_unit_test(test_io_send_with_descriptor_needs_a_byte),
        cmocka_unit_test(test_io_answer_and_its_descriptor_arrive_together),
        cmocka_unit_test(test_io_answer_refuses_bytes_beyond_its_frame),
        cmocka_unit_test(test_io_answer_refuses_bad_header_long_frame_end_and_timeout),
        cmocka_unit_test(test_io_hub_connection_arrives),
        cmocka_unit_test(test_io_hub_peer_is_the_process_that_connected),
        cmocka_unit_test(test_io_hub_connection_closed_unacknowledged_is_refused),
        cmocka_unit_test(test_io_hub_connect_without_a_helper_times_out),
        cmocka_unit_test(test_io_hub_accept_without_a_message_is_0),
        cmocka_unit_test(test_io_hub_refuses_a_message_without_a_descriptor),
        cmocka_unit_test(test_io_hub_refuses_two_descriptors_and_closes_both),
        cmocka_unit_test(test_io_hub_refuses_a_wrong_byte_and_closes_its_descriptor),
        cmocka_unit_test(test_io_hub_refuses_a_longer_message),
        cmocka_unit_test(test_io_hub_refuses_an_empty_message_with_a_descriptor),
        cmocka_unit_test(test_io_hub_empty_message_is_not_the_end),
        cmocka_unit_test(test_io_hub_accept_after_every_sender_is_gone),
        cmocka_unit_test(test_io_hub_connect_never_waits_on_a_full_hub),
    };

    return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
