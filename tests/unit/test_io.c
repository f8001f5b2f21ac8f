/* Unit tests for descriptor passing (src/wire/ta_io.c, SPEC §6: the helper hands the open file to
 * the worker). Each test talks over a socketpair; frames are built by hand. Every descriptor that
 * arrives where it should not must be closed: the tests count the process's open descriptors. */
#include "unit.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
        cmocka_unit_test(test_io_send_with_descriptor_needs_a_byte),
    };

    return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
