/* The file half of the helper, end to end in one process tree: the real server
 * (ta_helper_serve) in a forked child, the real client (ta_helper_open, ta_helper_list) here,
 * over a socket in a temporary directory.
 *
 * The child takes its own mount namespace and binds copies of /etc/passwd and /etc/group with
 * one more account, taunit (uid 4242), whose home is a temporary directory, and one more group
 * (4343) that has taunit as a member: so the helper looks the user and the groups up through
 * NSS as always, and nothing of the host changes. That needs root (or
 * CAP_SYS_ADMIN); without it every test is skipped. */
#include "unit.h"
#include "ta_confine.h"
#include "ta_helper.h"
#include "ta_helper_client.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UT_UID 4242
#define UT_GID2 4343 /* a supplementary group of taunit */
#define UT_USER "taunit"
#define UT_SUBDIR "www"
#define UT_TIMEOUT_MS 5000
#define UT_MANY 4000 /* files of 255-byte names: more than one listing holds */

static char ut_dir[64], ut_sock[128];
static pid_t ut_helper = -1;
static int ut_skip;

static void ut_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchown(fd, UT_UID, UT_UID), 0);
    close(fd);
}

static void ut_mkdir(const char *path, mode_t mode)
{
    assert_int_equal(mkdir(path, mode), 0);
    assert_int_equal(chown(path, UT_UID, UT_UID), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* A file of someone else's (root), mode and group given. */
static void ut_write_foreign(const char *name, gid_t gid, mode_t mode)
{
    char p[512];

    snprintf(p, sizeof(p), "%s/home/www/%s", ut_dir, name);
    ut_write(p, "not yours");
    assert_int_equal(chown(p, 0, gid), 0);
    assert_int_equal(chmod(p, mode), 0);
}

/* The home: www/hello.txt, www/.hidden, www/secret.txt (root's, 0600), www/group.txt (root's,
 * group 4343, 0640), www/sub/, www/many/ (UT_MANY long names). */
static void ut_make_home(void)
{
    char p[512], name[256];

    snprintf(p, sizeof(p), "%s/home", ut_dir);
    ut_mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/home/www", ut_dir);
    ut_mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/home/www/hello.txt", ut_dir);
    ut_write(p, "hello");
    snprintf(p, sizeof(p), "%s/home/www/.hidden", ut_dir);
    ut_write(p, "dot");
    ut_write_foreign("secret.txt", 0, 0600);
    ut_write_foreign("group.txt", UT_GID2, 0640);
    snprintf(p, sizeof(p), "%s/home/www/sub", ut_dir);
    ut_mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/home/www/many", ut_dir);
    ut_mkdir(p, 0755);
    memset(name, 'n', 255);
    name[255] = '\0';
    for (int i = 0; i < UT_MANY; i++) {
        int n = snprintf(p, sizeof(p), "%s/home/www/many/%05d", ut_dir, i);

        memcpy(p + n, name, 250);
        p[n + 250] = '\0';
        ut_write(p, "x");
    }
}

/* A copy of /etc/name with one more line, in ut_dir. */
static void ut_copy_etc(const char *name, const char *line)
{
    char p[512];
    FILE *in, *out;
    int c;

    snprintf(p, sizeof(p), "/etc/%s", name);
    in = fopen(p, "r");
    snprintf(p, sizeof(p), "%s/%s", ut_dir, name);
    out = fopen(p, "w");
    assert_non_null(in);
    assert_non_null(out);
    while ((c = fgetc(in)) != EOF)
        fputc(c, out);
    fputs(line, out);
    fclose(in);
    fclose(out);
    chmod(p, 0644);
}

static void ut_make_etc(void)
{
    char line[256];

    snprintf(line, sizeof(line), "%s:x:%d:%d::%s/home:/usr/sbin/nologin\n", UT_USER, UT_UID, UT_UID,
             ut_dir);
    ut_copy_etc("passwd", line);
    snprintf(line, sizeof(line), "taunit-extra:x:%d:%s\n", UT_GID2, UT_USER);
    ut_copy_etc("group", line);
}

/* In the child: our own view of /etc/passwd, the socket, and serve. Reports 'R' (ready) or
 * 'S' (cannot: skip) on the pipe. */
static void ut_run_helper(int report)
{
    static const char *const services[] = {NULL};
    char err[256], passwd[512], group[512];
    ta_helper_conf hc = {-1, (unsigned long)getuid(), 8, services, NULL, NULL};

    snprintf(passwd, sizeof(passwd), "%s/passwd", ut_dir);
    snprintf(group, sizeof(group), "%s/group", ut_dir);
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount(passwd, "/etc/passwd", NULL, MS_BIND, NULL) != 0 ||
        mount(group, "/etc/group", NULL, MS_BIND, NULL) != 0) {
        (void)!write(report, "S", 1);
        _exit(0);
    }
    hc.listen_fd = ta_helper_listen(ut_sock, getuid(), getgid(), err, sizeof(err));
    if (hc.listen_fd < 0) {
        fprintf(stderr, "helper: %s\n", err);
        _exit(1);
    }
    (void)!write(report, "R", 1);
    close(report);
    _exit(ta_helper_serve(&hc, (long)getppid()));
}

static void ut_rm_rf(const char *path)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    (void)!system(cmd);
}

static int ut_setup(void **state)
{
    int p[2];
    char got = 0;

    (void)state;
    if (geteuid() != 0) {
        ut_skip = 1;
        return 0;
    }
    snprintf(ut_dir, sizeof(ut_dir), "/tmp/ta-unit-XXXXXX");
    assert_non_null(mkdtemp(ut_dir));
    chmod(ut_dir, 0755);
    snprintf(ut_sock, sizeof(ut_sock), "%s/run/helper.sock", ut_dir);
    ut_make_home();
    ut_make_etc();
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    ut_helper = fork();
    assert_true(ut_helper >= 0);
    if (ut_helper == 0) {
        close(p[0]);
        ut_run_helper(p[1]);
    }
    close(p[1]);
    if (read(p[0], &got, 1) != 1 || got != 'R')
        ut_skip = 1;
    close(p[0]);
    return 0;
}

static int ut_teardown(void **state)
{
    (void)state;
    if (ut_helper > 0) {
        kill(ut_helper, SIGTERM);
        waitpid(ut_helper, NULL, 0);
    }
    if (ut_dir[0])
        ut_rm_rf(ut_dir);
    return 0;
}

#define UT_NEED_HELPER()                                                                           \
    do {                                                                                           \
        if (ut_skip)                                                                               \
            skip();                                                                                \
    } while (0)

/* How many descriptors this process has open. */
static int ut_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3;
}

static const ta_list_entry *ut_find(const ta_list_entry *e, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            return &e[i];
    return NULL;
}

static int ut_open(const char *user, const char *subdir, const char *path, unsigned flags, int *fd,
                   ta_file_info *fi)
{
    char err[256] = "";
    int st =
        ta_helper_open(ut_sock, UT_TIMEOUT_MS, user, subdir, path, flags, fd, fi, err, sizeof(err));

    if (st == TA_HELPER_UNAVAILABLE)
        print_message("unavailable: %s\n", err);
    return st;
}

static void test_helper_open_passes_the_descriptor_of_a_regular_file(void **state)
{
    ta_file_info fi;
    struct stat sb;
    char buf[16] = "";
    int fd = -7;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "hello.txt", TA_HELPER_OWNER_ONLY, &fd, &fi),
                     TA_CONFINE_OK);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(fstat(fd, &sb), 0);
    assert_true(S_ISREG(fi.mode) && fi.size == 5);
    assert_true(fi.ino == (uint64_t)sb.st_ino && fi.dev == (uint64_t)sb.st_dev);
    assert_true(fi.mtime_sec == (int64_t)sb.st_mtim.tv_sec &&
                fi.mtime_nsec == (uint32_t)sb.st_mtim.tv_nsec);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    close(fd);
}

static void test_helper_open_of_a_directory_gives_its_stat_and_no_descriptor(void **state)
{
    ta_file_info fi;
    int fd = -7;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "sub", 0, &fd, &fi), TA_CONFINE_IS_DIR);
    assert_int_equal(fd, -1);
    assert_true(S_ISDIR(fi.mode));
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "", 0, &fd, &fi), TA_CONFINE_IS_DIR);
    assert_int_equal(fd, -1);
}

static void test_helper_open_refusals_carry_no_descriptor(void **state)
{
    ta_file_info fi;
    int fd = -7, st, before;

    (void)state;
    UT_NEED_HELPER();
    before = ut_open_fds();
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "missing.txt", 0, &fd, &fi), TA_CONFINE_NOT_FOUND);
    assert_int_equal(fd, -1);
    assert_int_equal(fi.mode, 0);
    assert_int_equal(ut_open("no-such-user-here", UT_SUBDIR, "hello.txt", 0, &fd, &fi),
                     TA_CONFINE_NOT_FOUND);
    assert_int_equal(ut_open("root", UT_SUBDIR, "hello.txt", 0, &fd, &fi), TA_CONFINE_BAD_USER);
    assert_int_equal(fd, -1);
    st = ut_open(UT_USER, UT_SUBDIR, "../../../../etc/passwd", 0, &fd, &fi);
    assert_true(st == TA_CONFINE_BAD_PATH || st == TA_CONFINE_FORBIDDEN);
    assert_int_equal(fd, -1);
    assert_int_equal(ut_open_fds(), before);
}

/* The open runs as the user: root's 0600 file is refused, root's file readable by a
 * supplementary group of the user's is served (unless only the owner's files are). */
static void test_helper_open_uses_the_users_credentials_and_groups(void **state)
{
    ta_file_info fi;
    char buf[16] = "";
    int fd = -7;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "secret.txt", 0, &fd, &fi), TA_CONFINE_FORBIDDEN);
    assert_int_equal(fd, -1);
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "group.txt", 0, &fd, &fi), TA_CONFINE_OK);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), 9);
    close(fd);
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "group.txt", TA_HELPER_OWNER_ONLY, &fd, &fi),
                     TA_CONFINE_FORBIDDEN);
    assert_int_equal(fd, -1);
}

/* Each flag bit reaches the policy it names. */
static void test_helper_flags_reach_the_policy(void **state)
{
    char err[256] = "";
    ta_list_entry *e = NULL;
    ta_file_info fi;
    size_t n = 0;
    int fd = -7, truncated;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, ".hidden", 0, &fd, &fi), TA_CONFINE_FORBIDDEN);
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, ".hidden", TA_HELPER_OWNER_ONLY, &fd, &fi),
                     TA_CONFINE_FORBIDDEN);
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, ".hidden", TA_HELPER_ALLOW_HIDDEN, &fd, &fi),
                     TA_CONFINE_OK);
    close(fd);
    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, UT_USER, UT_SUBDIR, "",
                                    TA_HELPER_ALLOW_HIDDEN, &e, &n, &truncated, err, sizeof(err)),
                     TA_CONFINE_IS_DIR);
    assert_non_null(ut_find(e, n, ".hidden"));
    assert_non_null(ut_find(e, n, "secret.txt"));
    ta_helper_list_free(e);
    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, UT_USER, UT_SUBDIR, "",
                                    TA_HELPER_OWNER_ONLY, &e, &n, &truncated, err, sizeof(err)),
                     TA_CONFINE_IS_DIR);
    assert_null(ut_find(e, n, ".hidden"));
    assert_null(ut_find(e, n, "secret.txt")); /* root's: not listed to the owner-only */
    assert_non_null(ut_find(e, n, "hello.txt"));
    ta_helper_list_free(e);
}

/* What cannot be sent is answered here, without the helper, by what is wrong with it. */
static void test_helper_open_unsendable_request_is_answered_locally(void **state)
{
    static char long_path[4100];
    ta_file_info fi;
    int fd = -7;

    (void)state;
    UT_NEED_HELPER();
    memset(long_path, 'a', 4097);
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "a\nb", 0, &fd, &fi), TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, long_path, 0, &fd, &fi), TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_open("ali\tce", UT_SUBDIR, "a", 0, &fd, &fi), TA_CONFINE_BAD_USER);
    assert_int_equal(ut_open("", UT_SUBDIR, "a", 0, &fd, &fi), TA_CONFINE_BAD_USER);
    assert_int_equal(ut_open(UT_USER, "", "a", 0, &fd, &fi), TA_CONFINE_ERROR);
    assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "a", 0x80, &fd, &fi), TA_CONFINE_ERROR);
    assert_int_equal(fd, -1);
}

/* No helper there: TA_HELPER_UNAVAILABLE (503), not a status of the file. */
static void test_helper_open_unreachable_helper_is_unavailable(void **state)
{
    char err[256] = "";
    ta_file_info fi;
    int fd = -7;

    (void)state;
    assert_int_equal(ta_helper_open("/etc/passwd/not-a-socket", 100, UT_USER, UT_SUBDIR, "a", 0,
                                    &fd, &fi, err, sizeof(err)),
                     TA_HELPER_UNAVAILABLE);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(err, "cannot reach"));
}

static void test_helper_list_of_a_directory(void **state)
{
    char err[256] = "";
    ta_list_entry *e = NULL;
    const ta_list_entry *x;
    size_t n = 9;
    int truncated = 9;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, UT_USER, UT_SUBDIR, "", 0, &e, &n,
                                    &truncated, err, sizeof(err)),
                     TA_CONFINE_IS_DIR);
    assert_int_equal(n, 5); /* hello.txt, group.txt, secret.txt, sub, many; no .hidden */
    assert_int_equal(truncated, 0);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(e[i - 1].name, e[i].name) < 0); /* in the helper's (sorted) order */
    x = ut_find(e, n, "hello.txt");
    assert_non_null(x);
    assert_true(!x->is_dir && x->size == 5 && x->mtime > 0);
    x = ut_find(e, n, "sub");
    assert_non_null(x);
    assert_true(x->is_dir);
    assert_non_null(ut_find(e, n, "many"));
    ta_helper_list_free(e);

    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, UT_USER, UT_SUBDIR, "sub", 0, &e, &n,
                                    &truncated, err, sizeof(err)),
                     TA_CONFINE_IS_DIR);
    assert_int_equal(n, 0);
    ta_helper_list_free(e);
}

/* A regular file has nothing to list: OK says so; a missing one is NOT_FOUND. */
static void test_helper_list_of_a_file_or_nothing(void **state)
{
    char err[256] = "";
    ta_list_entry *e = (ta_list_entry *)1;
    size_t n = 9;
    int truncated = 9;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, UT_USER, UT_SUBDIR, "hello.txt", 0, &e,
                                    &n, &truncated, err, sizeof(err)),
                     TA_CONFINE_OK);
    assert_null(e);
    assert_int_equal(n, 0);
    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, UT_USER, UT_SUBDIR, "gone", 0, &e, &n,
                                    &truncated, err, sizeof(err)),
                     TA_CONFINE_NOT_FOUND);
    assert_null(e);
    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, "root", UT_SUBDIR, "", 0, &e, &n,
                                    &truncated, err, sizeof(err)),
                     TA_CONFINE_BAD_USER);
}

/* More than one answer holds: as many as fit, and truncated says the rest is missing. */
static void test_helper_list_of_a_huge_directory_is_truncated(void **state)
{
    char err[256] = "";
    ta_list_entry *e = NULL;
    size_t n = 0;
    int truncated = 0;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ta_helper_list(ut_sock, UT_TIMEOUT_MS, UT_USER, UT_SUBDIR, "many", 0, &e, &n,
                                    &truncated, err, sizeof(err)),
                     TA_CONFINE_IS_DIR);
    assert_int_equal(truncated, 1);
    assert_int_equal(n, (TA_PROTO_MAX_LIST_BODY - TA_PROTO_LIST_HEAD_LEN) / (19 + 255));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(strlen(e[i].name), 255);
    ta_helper_list_free(e);
}

/* A raw connection: two requests at once get two answers in order, each descriptor with its
 * own answer. */
static void test_helper_pipelined_opens_get_their_own_descriptors(void **state)
{
    unsigned char req[2][256], ans[128];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len[2], flen, used;
    int s, fd;
    ta_msg m;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ta_proto_encode_file_req(TA_MSG_OPEN_REQ, 1, 0, UT_USER, UT_SUBDIR,
                                              "hello.txt", req[0], sizeof(req[0]), &len[0]),
                     TA_PROTO_OK);
    assert_int_equal(ta_proto_encode_file_req(TA_MSG_OPEN_REQ, 2, 0, UT_USER, UT_SUBDIR, "sub",
                                              req[1], sizeof(req[1]), &len[1]),
                     TA_PROTO_OK);
    memcpy(sa.sun_path, ut_sock, strlen(ut_sock) + 1);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    memcpy(req[0] + len[0], req[1], len[1]);
    assert_int_equal(ta_send_all(s, req[0], len[0] + len[1]), 0);
    assert_int_equal(ta_recv_frame_fd(s, UT_TIMEOUT_MS, ans, sizeof(ans), &flen, &fd), 0);
    assert_int_equal(ta_proto_decode(ans, flen, &m, &used), TA_PROTO_OK);
    assert_int_equal(m.id, 1);
    assert_int_equal(m.u.open_resp.status, TA_CONFINE_OK);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ta_recv_frame_fd(s, UT_TIMEOUT_MS, ans, sizeof(ans), &flen, &fd), 0);
    assert_int_equal(ta_proto_decode(ans, flen, &m, &used), TA_PROTO_OK);
    assert_int_equal(m.id, 2);
    assert_int_equal(m.u.open_resp.status, TA_CONFINE_IS_DIR);
    assert_int_equal(fd, -1);
    close(s);
}

/* A request header claiming a listing's length is refused from the header (too_large), before
 * the helper waits for a megabyte. */
static void test_helper_refuses_a_request_of_listing_length(void **state)
{
    unsigned char hdr[12] = {'T', 'A', 1, TA_MSG_LIST_RESP, 0, 0, 0, 9, 0, 0x10, 0, 0}, ans[64];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t flen, used;
    int s, fd;
    ta_msg m;

    (void)state;
    UT_NEED_HELPER();
    memcpy(sa.sun_path, ut_sock, strlen(ut_sock) + 1);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(ta_send_all(s, hdr, sizeof(hdr)), 0);
    assert_int_equal(ta_recv_frame_fd(s, UT_TIMEOUT_MS, ans, sizeof(ans), &flen, &fd), 0);
    assert_int_equal(ta_proto_decode(ans, flen, &m, &used), TA_PROTO_OK);
    assert_int_equal(m.type, TA_MSG_ERROR);
    assert_int_equal(m.id, 9);
    assert_int_equal(m.u.error.code, TA_PROTO_ERR_TOO_LARGE);
    close(s);
}

/* Many opens leave no descriptor behind here; and how long one takes (connection per
 * request), for the record. */
static void test_helper_open_round_trip_leaks_nothing(void **state)
{
    struct timespec t0, t1;
    ta_file_info fi;
    int fd, before, rounds = 500;
    double us;

    (void)state;
    UT_NEED_HELPER();
    before = ut_open_fds();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < rounds; i++) {
        assert_int_equal(ut_open(UT_USER, UT_SUBDIR, "hello.txt", 0, &fd, &fi), TA_CONFINE_OK);
        close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
    print_message("ta_helper_open: %.1f us per round trip (%d rounds)\n", us / rounds, rounds);
    assert_int_equal(ut_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helper_open_passes_the_descriptor_of_a_regular_file),
        cmocka_unit_test(test_helper_open_of_a_directory_gives_its_stat_and_no_descriptor),
        cmocka_unit_test(test_helper_open_refusals_carry_no_descriptor),
        cmocka_unit_test(test_helper_open_uses_the_users_credentials_and_groups),
        cmocka_unit_test(test_helper_flags_reach_the_policy),
        cmocka_unit_test(test_helper_open_unsendable_request_is_answered_locally),
        cmocka_unit_test(test_helper_open_unreachable_helper_is_unavailable),
        cmocka_unit_test(test_helper_list_of_a_directory),
        cmocka_unit_test(test_helper_list_of_a_file_or_nothing),
        cmocka_unit_test(test_helper_list_of_a_huge_directory_is_truncated),
        cmocka_unit_test(test_helper_pipelined_opens_get_their_own_descriptors),
        cmocka_unit_test(test_helper_refuses_a_request_of_listing_length),
        cmocka_unit_test(test_helper_open_round_trip_leaks_nothing),
    };

    return cmocka_run_group_tests_name("helper_files", tests, ut_setup, ut_teardown);
}
