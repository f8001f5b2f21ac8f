/* Confined opens (SPEC §6): a user's file is opened with the user's own credentials, below the
 * user's published directory, and nothing else is: not a path that climbs out, not a symlink
 * pointing out, not another user's file, not a FIFO, socket or device, not a hidden name while
 * hidden names are denied. The tests run as root (as the helper does) on a scratch tree owned
 * by two made-up users, alice and bob, known by number only. Each test runs twice where the
 * answer may depend on it: once with openat2, once with the component walk of older kernels.
 * After every test no descriptor is left open and the test thread is root again. */
#include "unit.h"
#include "ta_confine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/securebits.h>

#define ALICE 61001ul
#define BOB 61002ul
#define STAFF 61100ul /* a supplementary group of alice's in some tests */
#define OTHER_GID 61003ul
#define THREAD_ROUNDS 1000
#define SKIP_EXIT 77 /* a forked check that cannot run here */

/* Which resolution a test uses: its cmocka state. */
typedef enum { VIA_OPENAT2, VIA_WALK } via;
static via via_openat2 = VIA_OPENAT2, via_walk = VIA_WALK;

static char root_dir[64];      /* mkdtemp, 0711 */
static char alice_home[96];    /* root_dir/alice, 0700 alice */
static char bob_home[96];      /* root_dir/bob, 0700 bob */
static int have_mknod;         /* the device node could be made (CAP_MKNOD) */
static gid_t root_groups[256]; /* the test process's groups, which every call must restore */
static int root_ngroups;
static int fds_before; /* open descriptors when the current test started */

/* --- the scratch tree ------------------------------------------------------------------- */

/* root_dir/rel, in one of a few rotating static buffers. */
static const char *at(const char *rel)
{
    static char buf[4][PATH_MAX];
    static unsigned next;
    char *p = buf[next++ % 4];

    snprintf(p, PATH_MAX, "%s/%s", root_dir, rel);
    return p;
}

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "fixture: %s failed: %s\n", #expr, strerror(errno));                   \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static int mkdir_as(const char *rel, mode_t mode, unsigned long uid, unsigned long gid)
{
    TRY(mkdir(at(rel), mode) == 0);
    TRY(chmod(at(rel), mode) == 0); /* past the umask */
    TRY(chown(at(rel), (uid_t)uid, (gid_t)gid) == 0);
    return 0;
}

static int file_as(const char *rel, const char *text, mode_t mode, unsigned long uid,
                   unsigned long gid)
{
    int fd = open(at(rel), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t n = strlen(text);

    TRY(fd >= 0);
    TRY(write(fd, text, n) == (ssize_t)n);
    TRY(close(fd) == 0);
    TRY(chmod(at(rel), mode) == 0);
    TRY(chown(at(rel), (uid_t)uid, (gid_t)gid) == 0);
    return 0;
}

static int symlink_as(const char *target, const char *rel, unsigned long uid)
{
    TRY(symlink(target, at(rel)) == 0);
    TRY(lchown(at(rel), (uid_t)uid, (gid_t)uid) == 0);
    return 0;
}

static int set_mtime(const char *rel, long long t)
{
    struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};

    TRY(utimensat(AT_FDCWD, at(rel), ts, AT_SYMLINK_NOFOLLOW) == 0);
    return 0;
}

static int make_socket(const char *rel)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    TRY(s >= 0);
    TRY(strlen(at(rel)) < sizeof(sa.sun_path));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at(rel));
    TRY(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    TRY(close(s) == 0);
    TRY(chown(at(rel), (uid_t)ALICE, (gid_t)ALICE) == 0);
    return 0;
}

/*  root_dir/                 0711 root
 *    open/x.txt              readable by all: a target that only confinement keeps out
 *    alice/                  0700 alice; outside.txt (alice's, but outside pub)
 *      evil_abs, evil_rel, evil_open, evil_open_rel -> out of alice's home; pub_link -> pub
 *      pub/                  the published directory: see below
 *    bob/                    0700 bob; pub/b.txt (0600), pub/b_public.txt (0644) */
static int make_tree(void)
{
    char target[PATH_MAX];

    TRY(mkdir_as("open", 0755, 0, 0) == 0 && file_as("open/x.txt", "open\n", 0644, 0, 0) == 0);

    TRY(mkdir_as("bob", 0700, BOB, BOB) == 0 && mkdir_as("bob/pub", 0755, BOB, BOB) == 0);
    TRY(file_as("bob/pub/b.txt", "bob's file\n", 0600, BOB, BOB) == 0);
    TRY(file_as("bob/pub/b_public.txt", "bob's public file\n", 0644, BOB, BOB) == 0);

    TRY(mkdir_as("alice", 0700, ALICE, ALICE) == 0);
    TRY(file_as("alice/outside.txt", "outside\n", 0644, ALICE, ALICE) == 0);
    TRY(symlink_as(at("bob/pub"), "alice/evil_abs", ALICE) == 0);
    TRY(symlink_as("../bob/pub", "alice/evil_rel", ALICE) == 0);
    TRY(symlink_as(at("open"), "alice/evil_open", ALICE) == 0);
    TRY(symlink_as("../open", "alice/evil_open_rel", ALICE) == 0);
    TRY(symlink_as("pub", "alice/pub_link", ALICE) == 0);

    TRY(mkdir_as("alice/pub", 0755, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/a.txt", "alice's file\n", 0644, ALICE, ALICE) == 0);
    TRY(mkdir_as("alice/pub/dir", 0755, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/dir/inner.txt", "inner\n", 0644, ALICE, ALICE) == 0);
    TRY(mkdir_as("alice/pub/dir/deep", 0755, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/dir/deep/d.txt", "deep\n", 0644, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/.hidden.txt", "hidden\n", 0644, ALICE, ALICE) == 0);
    TRY(mkdir_as("alice/pub/.git", 0755, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/.git/config", "config\n", 0644, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/\xff\xfe.txt", "bytes\n", 0644, ALICE, ALICE) == 0);
    /* links that leave pub, to files alice could read: only confinement refuses them */
    TRY(symlink_as(at("alice/outside.txt"), "alice/pub/abs_out", ALICE) == 0);
    TRY(symlink_as("../outside.txt", "alice/pub/rel_out", ALICE) == 0);
    TRY(symlink_as(at("open/x.txt"), "alice/pub/abs_open", ALICE) == 0);
    TRY(symlink_as(at("bob/pub/b_public.txt"), "alice/pub/abs_bob", ALICE) == 0);
    TRY(symlink_as("../../bob/pub/b_public.txt", "alice/pub/rel_bob", ALICE) == 0);
    TRY(symlink_as("..", "alice/pub/dir_up", ALICE) == 0);
    TRY(symlink_as("/proc/self/root", "alice/pub/magic", ALICE) == 0);
    /* links that stay inside pub */
    TRY(symlink_as("dir/inner.txt", "alice/pub/in_link", ALICE) == 0);
    TRY(symlink_as("dir", "alice/pub/in_dirlink", ALICE) == 0);
    TRY(symlink_as("dir/deep/../inner.txt", "alice/pub/in_updown", ALICE) == 0);
    /* files whose permissions decide */
    TRY(file_as("alice/pub/root_only.txt", "root only\n", 0600, 0, 0) == 0);
    TRY(file_as("alice/pub/staff.txt", "staff\n", 0640, 0, STAFF) == 0);
    TRY(file_as("alice/pub/gid.txt", "gid\n", 0640, 0, ALICE) == 0);
    TRY(mkdir_as("alice/pub/rootdir", 0755, 0, 0) == 0);
    TRY(mkdir_as("alice/pub/private", 0700, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/private/p.txt", "private\n", 0644, ALICE, ALICE) == 0);
    snprintf(target, sizeof(target), "%s", at("bob/pub/b_public.txt"));
    TRY(link(target, at("alice/pub/bob_hard")) == 0); /* root may link another's file */
    /* not regular files */
    TRY(mkfifo(at("alice/pub/fifo"), 0666) == 0 && chown(at("alice/pub/fifo"), ALICE, ALICE) == 0);
    TRY(make_socket("alice/pub/sock") == 0);
    have_mknod = mknod(at("alice/pub/null"), S_IFCHR | 0666, makedev(1, 3)) == 0;
    if (have_mknod)
        TRY(chmod(at("alice/pub/null"), 0666) == 0 &&
            chown(at("alice/pub/null"), ALICE, ALICE) == 0);
    TRY(mkdir_as("alice/pub/mnt", 0755, ALICE, ALICE) == 0);

    /* a directory to list */
    TRY(mkdir_as("alice/pub/list", 0755, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/list/b.txt", "abc", 0644, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/list/B.txt", "0123456789", 0644, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/list/zz.txt", "", 0644, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/list/.dot", "dot", 0644, ALICE, ALICE) == 0);
    TRY(file_as("alice/pub/list/root.txt", "root!", 0644, 0, 0) == 0);
    TRY(mkdir_as("alice/pub/list/rootdir", 0755, 0, 0) == 0);
    TRY(symlink_as("b.txt", "alice/pub/list/link", ALICE) == 0);
    TRY(mkfifo(at("alice/pub/list/fifo"), 0644) == 0);
    TRY(mkdir_as("alice/pub/list/a_dir", 0755, ALICE, ALICE) == 0);
    TRY(set_mtime("alice/pub/list/b.txt", 1000) == 0 &&
        set_mtime("alice/pub/list/B.txt", 2000) == 0);
    TRY(set_mtime("alice/pub/list/a_dir", 3000) == 0 &&
        set_mtime("alice/pub/list/zz.txt", 4000) == 0);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path) == 0 ? 0 : -1;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static int group_teardown(void **state)
{
    (void)state;
    if (root_dir[0] == '\0' || strchr(root_dir, 'X') != NULL)
        return 0;
    return nftw(root_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(root_dir, sizeof(root_dir), "/tmp/ta_confine.XXXXXX");
    if (geteuid() != 0) {
        fprintf(stderr, "test_confine must run as root (it switches to made-up users)\n");
        return -1;
    }
    TRY(mkdtemp(root_dir) != NULL);
    TRY(chmod(root_dir, 0711) == 0); /* alice and bob must be able to pass through */
    snprintf(alice_home, sizeof(alice_home), "%s/alice", root_dir);
    snprintf(bob_home, sizeof(bob_home), "%s/bob", root_dir);
    root_ngroups = getgroups(256, root_groups);
    TRY(root_ngroups >= 0);
    if (make_tree() != 0) {
        group_teardown(state); /* cmocka runs no group teardown after a failed setup */
        return -1;
    }
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    fds_before = count_fds();
    return fds_before < 0 ? -1 : 0;
}

/* After every test: nothing left open, and the thread is root with its own groups and its
 * file system capabilities again (it can read into alice's 0700 home). */
static int test_teardown(void **state)
{
    gid_t groups[256];
    int n = getgroups(256, groups), fd, fds = count_fds();

    (void)state;
    if (fds != fds_before) {
        fprintf(stderr, "descriptors leaked: %d before, %d after\n", fds_before, fds);
        return -1;
    }
    if (setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0) {
        fprintf(stderr, "fsuid/fsgid not restored\n");
        return -1;
    }
    if (n != root_ngroups || memcmp(groups, root_groups, (size_t)n * sizeof(gid_t)) != 0) {
        fprintf(stderr, "groups not restored\n");
        return -1;
    }
    fd = open(at("alice/pub/root_only.txt"), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "root cannot read alice's files any more: %s\n", strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

/* --- calling ---------------------------------------------------------------------------- */

/* The resolution the test runs with; skips an openat2 test where the kernel (or valgrind,
 * which does not know the system call) has none: the walk is then what production uses. */
static via via_of(void **state)
{
    via v = *(via *)*state;

    static int said;

    if (v == VIA_OPENAT2 && !ta_confine_have_openat2()) {
        if (!said++)
            print_message("openat2 unavailable (old kernel, seccomp, valgrind): the openat2 "
                          "variants are skipped, the walk variants cover what runs here\n");
        skip();
    }
    return v;
}

static ta_confine_policy policy(void **state, int owner_only, int allow_hidden)
{
    ta_confine_policy p = {.owner_only = owner_only, .allow_hidden = allow_hidden};

    p.force_fallback = via_of(state) == VIA_WALK;
    return p;
}

#define assert_confine(got, want)                                                                  \
    do {                                                                                           \
        ta_confine_status got_ = (got), want_ = (want);                                            \
        if (got_ != want_)                                                                         \
            fail_msg("status %s, expected %s", ta_confine_status_name(got_),                       \
                     ta_confine_status_name(want_));                                               \
    } while (0)

/* ta_confine_open as uid (gid the same, no supplementary groups), checking the contract that
 * holds whatever the answer: the thread is root again, and *fd is -1 unless something opened. */
static ta_confine_status open_full(const char *home, const char *subdir, const char *rel,
                                   const ta_creds *c, const ta_confine_policy *p, int *fd,
                                   struct stat *st)
{
    ta_confine_status r;

    *fd = -2;
    r = ta_confine_open(home, subdir, rel, c, p, fd, st);
    assert_int_equal(setfsuid((uid_t)-1), 0);
    assert_int_equal(setfsgid((gid_t)-1), 0);
    if (r == TA_CONFINE_OK || r == TA_CONFINE_IS_DIR)
        assert_true(*fd >= 0);
    else
        assert_int_equal(*fd, -1);
    return r;
}

static ta_confine_status open_as(unsigned long uid, const char *home, const char *subdir,
                                 const char *rel, const ta_confine_policy *p, int *fd,
                                 struct stat *st)
{
    ta_creds c = {.uid = uid, .gid = uid};

    return open_full(home, subdir, rel, &c, p, fd, st);
}

/* Open rel below alice's pub as alice and expect want; close what opened. */
static void expect(const ta_confine_policy *p, const char *rel, ta_confine_status want)
{
    struct stat st;
    int fd;
    ta_confine_status r = open_as(ALICE, alice_home, "pub", rel, p, &fd, &st);

    if (r != want)
        fail_msg("\"%s\": status %s, expected %s", rel, ta_confine_status_name(r),
                 ta_confine_status_name(want));
    if (fd >= 0)
        close(fd);
}

/* The whole content of fd, which must be text; closes fd. */
static void assert_content(int fd, const char *want)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);

    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
    close(fd);
}

/* Open as alice below alice's pub, expect a regular file with this content. */
static void expect_content(const ta_confine_policy *p, const char *rel, const char *want)
{
    struct stat st;
    int fd;

    assert_confine(open_as(ALICE, alice_home, "pub", rel, p, &fd, &st), TA_CONFINE_OK);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, strlen(want));
    assert_content(fd, want);
}

/* --- regular files and directories ------------------------------------------------------ */

static void test_confine_regular_file_opened_with_its_content(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);
    struct stat st;
    int fd;

    assert_confine(open_as(ALICE, alice_home, "pub", "a.txt", &p, &fd, &st), TA_CONFINE_OK);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_uid, ALICE);
    /* read-only; O_NONBLOCK from the open stays (no effect on a regular file) */
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_content(fd, "alice's file\n");
    expect_content(&p, "dir/deep/d.txt", "deep\n");
}

static void test_confine_subdir_itself_is_a_directory(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);
    struct stat st, want;
    int fd;

    assert_int_equal(stat(at("alice/pub"), &want), 0);
    assert_confine(open_as(ALICE, alice_home, "pub", "", &p, &fd, &st), TA_CONFINE_IS_DIR);
    assert_true(S_ISDIR(st.st_mode));
    assert_true(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

static void test_confine_trailing_slash_means_directory(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);

    expect(&p, "dir/", TA_CONFINE_IS_DIR);
    expect(&p, "dir", TA_CONFINE_IS_DIR);
    expect(&p, "dir/deep/", TA_CONFINE_IS_DIR);
    expect(&p, "a.txt/", TA_CONFINE_NOT_FOUND);
}

static void test_confine_missing_is_not_found(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);

    expect(&p, "nope.txt", TA_CONFINE_NOT_FOUND);
    expect(&p, "nope/x.txt", TA_CONFINE_NOT_FOUND);
    expect(&p, "dir/nope/", TA_CONFINE_NOT_FOUND);
    expect(&p, "a.txt/x", TA_CONFINE_NOT_FOUND); /* ENOTDIR */
}

static void test_confine_subdir_forms(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);
    struct stat st;
    int fd;

    assert_confine(open_as(ALICE, alice_home, ".", "pub/a.txt", &p, &fd, &st), TA_CONFINE_OK);
    assert_content(fd, "alice's file\n");
    assert_confine(open_as(ALICE, alice_home, ".", "", &p, &fd, &st), TA_CONFINE_IS_DIR);
    close(fd);
    assert_confine(open_as(ALICE, alice_home, "pub/dir", "inner.txt", &p, &fd, &st), TA_CONFINE_OK);
    assert_content(fd, "inner\n");
    assert_confine(open_as(ALICE, alice_home, "pub/", "a.txt", &p, &fd, &st), TA_CONFINE_OK);
    close(fd);
    assert_confine(open_as(ALICE, alice_home, "nope", "a.txt", &p, &fd, &st), TA_CONFINE_NOT_FOUND);
    assert_confine(open_as(ALICE, alice_home, "outside.txt", "", &p, &fd, &st),
                   TA_CONFINE_NOT_FOUND); /* not a directory */
    assert_confine(open_as(ALICE, at("nobody"), "pub", "a.txt", &p, &fd, &st),
                   TA_CONFINE_NOT_FOUND); /* no home */
    assert_confine(open_as(ALICE, alice_home, "../bob/pub", "b.txt", &p, &fd, &st),
                   TA_CONFINE_BAD_PATH);
    assert_confine(open_as(ALICE, alice_home, "", "a.txt", &p, &fd, &st), TA_CONFINE_BAD_PATH);
    assert_confine(open_as(ALICE, alice_home, "/etc", "passwd", &p, &fd, &st), TA_CONFINE_BAD_PATH);
    assert_confine(open_as(ALICE, alice_home, "pub//dir", "inner.txt", &p, &fd, &st),
                   TA_CONFINE_BAD_PATH);
    assert_confine(open_as(ALICE, alice_home, "./pub", "a.txt", &p, &fd, &st), TA_CONFINE_BAD_PATH);
}

/* Bytes are bytes: a name need not be UTF-8. */
static void test_confine_non_utf8_name_opened(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);

    expect_content(&p, "\xff\xfe.txt", "bytes\n");
}

/* --- malformed paths -------------------------------------------------------------------- */

static void test_confine_malformed_paths_are_bad_path(void **state)
{
    static const char *const bad[] = {
        "..",   "../x",  "a/../../x", "dir/..", "dir/../a.txt", "/etc/passwd", "/",
        "//",   "a//b",  "dir//",     ".",      "./a.txt",      "dir/./x",     "dir/.",
        "a\nb", "a\x01", "\x1b[31m",  "a\x7f",  "dir/\tx",      "../.hidden",  ".git/../x",
        "x/",   "x//",
    };
    ta_confine_policy deny = policy(state, 1, 0), allow = policy(state, 0, 1);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (strcmp(bad[i], "x/") == 0) /* the one well-formed control: a missing directory */
            expect(&deny, bad[i], TA_CONFINE_NOT_FOUND);
        else {
            expect(&deny, bad[i], TA_CONFINE_BAD_PATH);
            expect(&allow, bad[i], TA_CONFINE_BAD_PATH);
        }
    }
}

static void test_confine_overlong_paths_are_bad_path(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);
    char name[NAME_MAX + 2], path[PATH_MAX + 1];

    memset(name, 'n', sizeof(name) - 1);
    name[NAME_MAX + 1] = '\0';
    expect(&p, name, TA_CONFINE_BAD_PATH); /* NAME_MAX + 1 */
    name[NAME_MAX] = '\0';
    expect(&p, name, TA_CONFINE_NOT_FOUND); /* NAME_MAX: allowed, just missing */

    for (size_t i = 0; i < PATH_MAX; i++)
        path[i] = i % 2 ? '/' : 'a';
    path[PATH_MAX] = '\0'; /* "a/a/.../a/": PATH_MAX bytes */
    expect(&p, path, TA_CONFINE_BAD_PATH);
    path[PATH_MAX - 1] = '\0'; /* PATH_MAX - 1 bytes, ending in 'a': allowed, just missing */
    expect(&p, path, TA_CONFINE_NOT_FOUND);
}

/* --- escapes ---------------------------------------------------------------------------- */

static void test_confine_symlink_out_of_subdir_forbidden(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);

    expect(&p, "abs_out", TA_CONFINE_FORBIDDEN); /* alice's own file, outside pub */
    expect(&p, "rel_out", TA_CONFINE_FORBIDDEN);
    expect(&p, "abs_open", TA_CONFINE_FORBIDDEN); /* world-readable, outside */
    expect(&p, "abs_bob", TA_CONFINE_FORBIDDEN);
    expect(&p, "rel_bob", TA_CONFINE_FORBIDDEN);
    expect(&p, "dir_up/outside.txt", TA_CONFINE_FORBIDDEN);
    expect(&p, "dir_up/", TA_CONFINE_FORBIDDEN);
}

/* A symlink that stays inside pub is served with openat2; the walk of older kernels refuses
 * every symlink, because it cannot tell cheaply and race-free where one leads. */
static void test_confine_symlink_inside_subdir(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);

    if (via_of(state) == VIA_OPENAT2) {
        expect_content(&p, "in_link", "inner\n");
        expect_content(&p, "in_dirlink/inner.txt", "inner\n");
        expect_content(&p, "in_updown", "inner\n");
        expect(&p, "in_dirlink/", TA_CONFINE_IS_DIR);
    }
    else {
        expect(&p, "in_link", TA_CONFINE_FORBIDDEN);
        expect(&p, "in_dirlink/inner.txt", TA_CONFINE_FORBIDDEN);
        expect(&p, "in_updown", TA_CONFINE_FORBIDDEN);
        expect(&p, "in_dirlink/", TA_CONFINE_FORBIDDEN); /* "link/" must not follow */
        expect(&p, "in_dirlink", TA_CONFINE_FORBIDDEN);
    }
}

/* ~/pub itself made a symlink out of the home: refused, even to a world-readable directory. */
static void test_confine_subdir_symlink_out_forbidden(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    static const char *const subdirs[] = {"evil_abs", "evil_rel", "evil_open", "evil_open_rel"};
    struct stat st;
    int fd;

    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        ta_confine_status r = open_as(ALICE, alice_home, subdirs[i], "", &p, &fd, &st);

        if (r != TA_CONFINE_FORBIDDEN)
            fail_msg("subdir %s: %s", subdirs[i], ta_confine_status_name(r));
    }
    assert_confine(open_as(ALICE, alice_home, "evil_open", "x.txt", &p, &fd, &st),
                   TA_CONFINE_FORBIDDEN);
    assert_confine(open_as(BOB, alice_home, "evil_rel", "b.txt", &p, &fd, &st),
                   TA_CONFINE_FORBIDDEN); /* EACCES on alice's home before anything else */
}

/* ~/pub_link -> pub stays inside the home: followed by openat2, refused by the walk. */
static void test_confine_subdir_symlink_inside_home(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    struct stat st;
    int fd;
    ta_confine_status r = open_as(ALICE, alice_home, "pub_link", "a.txt", &p, &fd, &st);

    if (via_of(state) == VIA_OPENAT2) {
        assert_confine(r, TA_CONFINE_OK);
        assert_content(fd, "alice's file\n");
    }
    else {
        assert_confine(r, TA_CONFINE_FORBIDDEN);
    }
}

static void test_confine_magic_link_forbidden(void **state)
{
    ta_confine_policy p = policy(state, 0, 1);

    expect(&p, "magic", TA_CONFINE_FORBIDDEN);
    expect(&p, "magic/", TA_CONFINE_FORBIDDEN);
    expect(&p, "magic/etc/passwd", TA_CONFINE_FORBIDDEN);
}

/* A file system mounted inside pub is another mount: refused. Needs a private mount
 * namespace, so it runs in a child; skipped where mounting is not allowed. */
static void test_confine_other_mount_forbidden(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    const char *mnt = at("alice/pub/mnt");
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        const char *rels[] = {"mnt/x.txt", "mnt", "mnt/"};
        ta_creds c = {.uid = ALICE, .gid = ALICE};
        struct stat st;
        int fd, fails = 0;
        char file[PATH_MAX];

        if (unshare(CLONE_NEWNS) != 0 ||
            mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", mnt, "tmpfs", 0, "mode=0755") != 0)
            _exit(SKIP_EXIT);
        snprintf(file, sizeof(file), "%s/x.txt", mnt);
        fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || fchown(fd, ALICE, ALICE) != 0 || chown(mnt, ALICE, ALICE) != 0)
            _exit(2);
        close(fd);
        for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
            if (ta_confine_open(alice_home, "pub", rels[i], &c, &p, &fd, &st) !=
                TA_CONFINE_FORBIDDEN)
                fails++;
            if (fd >= 0)
                close(fd);
        }
        _exit(fails ? 1 : 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == SKIP_EXIT) {
        print_message("cannot mount in a private namespace here\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- permissions: the user's own credentials apply -------------------------------------- */

/* Bob's home is 0700: alice cannot get in, though every name is clean and owner_only off. */
static void test_confine_foreign_home_unreadable(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    struct stat st;
    int fd;

    assert_confine(open_as(ALICE, bob_home, "pub", "b_public.txt", &p, &fd, &st),
                   TA_CONFINE_FORBIDDEN);
    assert_confine(open_as(BOB, bob_home, "pub", "b_public.txt", &p, &fd, &st), TA_CONFINE_OK);
    assert_content(fd, "bob's public file\n");
    assert_confine(open_as(BOB, bob_home, "pub", "b.txt", &p, &fd, &st), TA_CONFINE_OK);
    assert_content(fd, "bob's file\n");
}

/* Root's 0600 file in alice's tree: EACCES, as alice, even with owner_only off. */
static void test_confine_permissions_apply(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);

    expect(&p, "root_only.txt", TA_CONFINE_FORBIDDEN);
}

/* The primary group (fsgid) and the supplementary groups count, and only those given. */
static void test_confine_groups_apply(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    unsigned long staff[] = {OTHER_GID, STAFF};
    ta_creds with = {.uid = ALICE, .gid = ALICE, .groups = staff, .ngroups = 2};
    ta_creds without = {.uid = ALICE, .gid = OTHER_GID, .groups = staff, .ngroups = 1};
    struct stat st;
    int fd;

    assert_confine(open_full(alice_home, "pub", "staff.txt", &with, &p, &fd, &st), TA_CONFINE_OK);
    assert_content(fd, "staff\n");
    assert_confine(open_full(alice_home, "pub", "gid.txt", &with, &p, &fd, &st), TA_CONFINE_OK);
    assert_content(fd, "gid\n");
    assert_confine(open_full(alice_home, "pub", "staff.txt", &without, &p, &fd, &st),
                   TA_CONFINE_FORBIDDEN);
    assert_confine(open_full(alice_home, "pub", "gid.txt", &without, &p, &fd, &st),
                   TA_CONFINE_FORBIDDEN);
}

/* A hard link to bob's (world-readable) file in alice's tree: the path checks cannot see it,
 * the owner check does. */
static void test_confine_hard_link_to_other_user_refused_with_owner_only(void **state)
{
    ta_confine_policy owner = policy(state, 1, 0), any = policy(state, 0, 0);

    expect(&owner, "bob_hard", TA_CONFINE_FORBIDDEN);
    expect_content(&any, "bob_hard", "bob's public file\n");
}

static void test_confine_owner_only_applies_to_directories(void **state)
{
    ta_confine_policy owner = policy(state, 1, 0), any = policy(state, 0, 0);

    expect(&owner, "rootdir", TA_CONFINE_FORBIDDEN);
    expect(&owner, "rootdir/", TA_CONFINE_FORBIDDEN);
    expect(&any, "rootdir/", TA_CONFINE_IS_DIR);
}

/* --- not regular files ------------------------------------------------------------------ */

static void test_confine_fifo_forbidden_without_hanging(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);

    alarm(5); /* a blocking open would kill the run here rather than hang it */
    expect(&p, "fifo", TA_CONFINE_FORBIDDEN);
    alarm(0);
}

static void test_confine_device_forbidden(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);

    if (!have_mknod) {
        print_message("no CAP_MKNOD: no device node to try\n");
        skip();
    }
    expect(&p, "null", TA_CONFINE_FORBIDDEN);
}

static void test_confine_socket_forbidden(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);

    expect(&p, "sock", TA_CONFINE_FORBIDDEN);
}

/* --- hidden names ----------------------------------------------------------------------- */

static void test_confine_hidden_names_refused_when_denied(void **state)
{
    ta_confine_policy p = policy(state, 1, 0);

    expect(&p, ".hidden.txt", TA_CONFINE_FORBIDDEN);
    expect(&p, ".git/config", TA_CONFINE_FORBIDDEN);
    expect(&p, ".git/", TA_CONFINE_FORBIDDEN);
    expect(&p, "dir/.nothing", TA_CONFINE_FORBIDDEN); /* decided by name, before any look-up */
}

static void test_confine_hidden_names_served_when_allowed(void **state)
{
    ta_confine_policy p = policy(state, 1, 1);

    expect_content(&p, ".hidden.txt", "hidden\n");
    expect_content(&p, ".git/config", "config\n");
    expect(&p, ".git/", TA_CONFINE_IS_DIR);
    expect(&p, "dir/.nothing", TA_CONFINE_NOT_FOUND);
}

/* --- who may be acted as ---------------------------------------------------------------- */

static void test_confine_root_and_invalid_creds_refused(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    unsigned long bad_group[] = {ALICE, 0xfffffffful};
    unsigned long *many = calloc(TA_CONFINE_NGROUPS_MAX + 1, sizeof(*many));
    const ta_creds bad[] = {
        {.uid = 0, .gid = 0},
        {.uid = 0, .gid = ALICE},
        {.uid = 0xfffffffful, .gid = ALICE}, /* (uid_t)-1 */
        {.uid = 0x100000000ul + ALICE, .gid = ALICE},
        {.uid = ALICE, .gid = 0xfffffffful},
        {.uid = ALICE, .gid = ALICE, .groups = NULL, .ngroups = 1},
        {.uid = ALICE, .gid = ALICE, .groups = bad_group, .ngroups = 2},
        {.uid = ALICE, .gid = ALICE, .groups = many, .ngroups = TA_CONFINE_NGROUPS_MAX + 1},
    };
    ta_creds alice = {.uid = ALICE, .gid = ALICE};
    struct stat st;
    int fd;

    assert_non_null(many);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ta_confine_status r = open_full(alice_home, "pub", "a.txt", &bad[i], &p, &fd, &st);

        if (r != TA_CONFINE_BAD_USER)
            fail_msg("creds #%zu: %s", i, ta_confine_status_name(r));
    }
    free(many);
    assert_confine(open_full(alice_home, "pub", "a.txt", NULL, &p, &fd, &st), TA_CONFINE_BAD_USER);
    assert_confine(open_full("relative/home", "pub", "a.txt", &alice, &p, &fd, &st),
                   TA_CONFINE_BAD_USER);
    assert_confine(open_full(NULL, "pub", "a.txt", &alice, &p, &fd, &st), TA_CONFINE_BAD_USER);
    assert_confine(open_full(alice_home, NULL, "a.txt", &alice, &p, &fd, &st), TA_CONFINE_BAD_PATH);
    assert_confine(open_full(alice_home, "pub", NULL, &alice, &p, &fd, &st), TA_CONFINE_BAD_PATH);
    assert_confine(ta_confine_open(alice_home, "pub", "a.txt", &alice, NULL, &fd, &st),
                   TA_CONFINE_ERROR);
    assert_confine(ta_confine_open(alice_home, "pub", "a.txt", &alice, &p, NULL, &st),
                   TA_CONFINE_ERROR);
}

/* A helper that is not root (Apache not started as root) acts as itself and no one else. */
static void test_confine_unprivileged_helper_acts_only_as_itself(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        ta_creds alice = {.uid = ALICE, .gid = ALICE}, bob = {.uid = BOB, .gid = BOB};
        struct stat st;
        ta_dirent *e = NULL;
        size_t n = 0, total = 0;
        ta_list_bounds b = {.keep = 100, .max_total = 100, .max_bytes = 1 << 20};
        int fd = -1, fd2 = -1, fails = 0;

        if (setgroups(0, NULL) != 0 || setresgid(ALICE, ALICE, ALICE) != 0 ||
            setresuid(ALICE, ALICE, ALICE) != 0)
            _exit(2);
        fails |= ta_confine_open(alice_home, "pub", "a.txt", &alice, &p, &fd, &st) != TA_CONFINE_OK;
        fails |=
            ta_confine_open(bob_home, "pub", "b.txt", &bob, &p, &fd2, &st) != TA_CONFINE_BAD_USER;
        fails |= ta_confine_open(alice_home, "pub", "root_only.txt", &alice, &p, &fd2, &st) !=
                 TA_CONFINE_FORBIDDEN;
        fails |=
            ta_confine_open(alice_home, "pub", "list/", &alice, &p, &fd2, &st) != TA_CONFINE_IS_DIR;
        fails |= ta_confine_list(fd2, &alice, &p, &b, &e, &n, &total) != TA_CONFINE_OK || n != 6;
        ta_dirent_free(e, n);
        fails |= ta_confine_list(fd2, &bob, &p, &b, &e, &n, &total) != TA_CONFINE_BAD_USER;
        _exit(fails ? 1 : 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A thread that is already someone else (a caller bug) is refused and left as it was:
 * restoring it to "root" would be a guess. */
static void test_confine_refuses_a_thread_already_switched(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    ta_creds bob = {.uid = BOB, .gid = BOB};
    struct stat st;
    int fd;

    setfsuid((uid_t)ALICE);
    assert_confine(ta_confine_open(bob_home, "pub", "b.txt", &bob, &p, &fd, &st), TA_CONFINE_ERROR);
    assert_int_equal(fd, -1);
    assert_int_equal(setfsuid(0), ALICE);
    assert_int_equal(setfsuid((uid_t)-1), 0);
}

/* With SECBIT_NO_SETUID_FIXUP a change of fsuid keeps CAP_DAC_OVERRIDE, which would bypass
 * every permission: the switch is refused after checking the capabilities, and undone. */
static void test_confine_refuses_when_capabilities_survive_the_switch(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        ta_creds alice = {.uid = ALICE, .gid = ALICE};
        unsigned long staff[] = {STAFF};
        ta_creds staffer = {.uid = ALICE, .gid = ALICE, .groups = staff, .ngroups = 1};
        gid_t groups[256];
        struct stat st;
        int fd, fails = 0, n = getgroups(256, groups);

        if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) != 0)
            _exit(SKIP_EXIT);
        fails |= ta_confine_open(alice_home, "pub", "root_only.txt", &alice, &p, &fd, &st) !=
                 TA_CONFINE_ERROR;
        fails |=
            ta_confine_open(alice_home, "pub", "a.txt", &staffer, &p, &fd, &st) != TA_CONFINE_ERROR;
        fails |= fd != -1;
        fails |= setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0;
        fails |= getgroups(256, groups) != n || n != root_ngroups ||
                 memcmp(groups, root_groups, (size_t)n * sizeof(gid_t)) != 0;
        _exit(fails ? 1 : 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == SKIP_EXIT) {
        print_message("cannot set SECBIT_NO_SETUID_FIXUP here\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- listing ---------------------------------------------------------------------------- */

/* Open alice's pub/rel (a directory) as alice. */
static int open_dir(const ta_confine_policy *p, const char *rel)
{
    struct stat st;
    int fd;

    assert_confine(open_as(ALICE, alice_home, "pub", rel, p, &fd, &st), TA_CONFINE_IS_DIR);
    return fd;
}

/* Bounds that keep max entries and allow any directory of this test tree. */
static ta_list_bounds keep(size_t max)
{
    ta_list_bounds b = {.keep = max, .max_total = 1000, .max_bytes = 1 << 20};

    return b;
}

/* List fd as uid and compare the names, in order, with want ("a,b,c"), and the total. */
static void assert_listing(int fd, unsigned long uid, const ta_confine_policy *p, size_t max,
                           const char *want, size_t want_total)
{
    ta_creds c = {.uid = uid, .gid = uid};
    ta_list_bounds b = keep(max);
    ta_dirent *e = NULL;
    size_t n = 99, total = 99;
    char got[512] = "";

    assert_confine(ta_confine_list(fd, &c, p, &b, &e, &n, &total), TA_CONFINE_OK);
    assert_int_equal(setfsuid((uid_t)-1), 0);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strncat(got, ",", sizeof(got) - strlen(got) - 1);
        strncat(got, e[i].name, sizeof(got) - strlen(got) - 1);
    }
    ta_dirent_free(e, n);
    assert_string_equal(got, want);
    assert_int_equal(total, want_total);
}

static void test_confine_list_sorted_with_types_sizes_and_times(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    int fd = open_dir(&p, "list/");
    ta_creds alice = {.uid = ALICE, .gid = ALICE};
    ta_list_bounds b = keep(100);
    ta_dirent *e = NULL;
    size_t n = 0, total = 0;

    assert_confine(ta_confine_list(fd, &alice, &p, &b, &e, &n, &total), TA_CONFINE_OK);
    assert_int_equal(n, 6);
    assert_int_equal(total, 6);
    /* strcmp order: upper case first; no ".dot", "link" (symlink) or "fifo" */
    assert_string_equal(e[0].name, "B.txt");
    assert_true(!e[0].is_dir && e[0].size == 10 && e[0].mtime == 2000);
    assert_string_equal(e[1].name, "a_dir");
    assert_true(e[1].is_dir && e[1].size == 0 && e[1].mtime == 3000);
    assert_string_equal(e[2].name, "b.txt");
    assert_true(!e[2].is_dir && e[2].size == 3 && e[2].mtime == 1000);
    assert_string_equal(e[3].name, "root.txt");
    assert_true(!e[3].is_dir && e[3].size == 5);
    assert_string_equal(e[4].name, "rootdir");
    assert_true(e[4].is_dir);
    assert_string_equal(e[5].name, "zz.txt");
    assert_true(!e[5].is_dir && e[5].size == 0 && e[5].mtime == 4000);
    ta_dirent_free(e, n);
    close(fd);
}

/* The total counts what is listed: the owner and hidden rules take entries out of it too. */
static void test_confine_list_filters_owner_and_hidden(void **state)
{
    ta_confine_policy owner = policy(state, 1, 0), hidden = policy(state, 0, 1),
                      both = policy(state, 1, 1);
    int fd = open_dir(&owner, "list");

    assert_listing(fd, ALICE, &owner, 100, "B.txt,a_dir,b.txt,zz.txt", 4);
    assert_listing(fd, ALICE, &hidden, 100, ".dot,B.txt,a_dir,b.txt,root.txt,rootdir,zz.txt", 7);
    assert_listing(fd, ALICE, &both, 100, ".dot,B.txt,a_dir,b.txt,zz.txt", 5);
    assert_listing(fd, ALICE, &owner, 2, "B.txt,a_dir", 4);
    close(fd);
}

/* At most keep entries, the first keep names, and the total of them all; the listing does not
 * move the caller's offset, so listing the same fd again gives the same answer. */
static void test_confine_list_keeps_the_first_names_and_counts_all(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    int fd = open_dir(&p, "list/");

    assert_listing(fd, ALICE, &p, 2, "B.txt,a_dir", 6);
    assert_listing(fd, ALICE, &p, 5, "B.txt,a_dir,b.txt,root.txt,rootdir", 6);
    assert_listing(fd, ALICE, &p, 6, "B.txt,a_dir,b.txt,root.txt,rootdir,zz.txt", 6);
    assert_listing(fd, ALICE, &p, 1, "B.txt", 6);
    assert_listing(fd, ALICE, &p, 0, "", 6);
    assert_listing(fd, ALICE, &p, 6, "B.txt,a_dir,b.txt,root.txt,rootdir,zz.txt", 6);
    close(fd);
}

/* A larger directory, names in an order readdir will not give: the heap keeps the smallest. */
static void test_confine_list_truncation_keeps_smallest_names(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    char rel[64], want[512] = "";
    int fd;

    assert_int_equal(mkdir_as("alice/pub/many", 0755, ALICE, ALICE), 0);
    for (int i = 0; i < 200; i++) {
        snprintf(rel, sizeof(rel), "alice/pub/many/f%03d", (i * 73) % 200);
        assert_int_equal(file_as(rel, "x", 0644, ALICE, ALICE), 0);
    }
    fd = open_dir(&p, "many");
    for (int i = 0; i < 20; i++) {
        snprintf(rel, sizeof(rel), "%sf%03d", i ? "," : "", i);
        strncat(want, rel, sizeof(want) - strlen(want) - 1);
    }
    assert_listing(fd, ALICE, &p, 20, want, 200);
    close(fd);
}

/* A directory with more visible entries than max_total, or whose visible entries cost more
 * than max_bytes, is too large, whatever keep asks for (a page at the start too): nothing is
 * returned. Exactly at the bounds it is listed. Entries the rules hide do not count. */
static void test_confine_list_refuses_past_its_bounds(void **state)
{
    ta_confine_policy p = policy(state, 0, 0), owner = policy(state, 1, 0);
    ta_creds alice = {.uid = ALICE, .gid = ALICE};
    /* the names of list/: B.txt a_dir b.txt root.txt rootdir zz.txt */
    size_t cost = 6 * sizeof(ta_dirent) + 6 + 6 + 6 + 9 + 8 + 7;
    ta_list_bounds at_count = {.keep = 100, .max_total = 6, .max_bytes = 1 << 20},
                   over_count = {.keep = 1, .max_total = 5, .max_bytes = 1 << 20},
                   at_bytes = {.keep = 100, .max_total = 100, .max_bytes = cost},
                   over_bytes = {.keep = 0, .max_total = 100, .max_bytes = cost - 1};
    ta_dirent *e = NULL;
    size_t n = 9, total = 9;
    int fd = open_dir(&p, "list/");

    assert_confine(ta_confine_list(fd, &alice, &p, &at_count, &e, &n, &total), TA_CONFINE_OK);
    assert_true(n == 6 && total == 6);
    ta_dirent_free(e, n);
    assert_confine(ta_confine_list(fd, &alice, &p, &over_count, &e, &n, &total),
                   TA_CONFINE_TOO_LARGE);
    assert_true(e == NULL && n == 0 && total == 0);
    assert_confine(ta_confine_list(fd, &alice, &p, &at_bytes, &e, &n, &total), TA_CONFINE_OK);
    assert_int_equal(total, 6);
    ta_dirent_free(e, n);
    assert_confine(ta_confine_list(fd, &alice, &p, &over_bytes, &e, &n, &total),
                   TA_CONFINE_TOO_LARGE);
    assert_true(e == NULL && n == 0 && total == 0);
    /* with owner only, root's two entries are no part of the listing, nor of its bounds */
    assert_confine(ta_confine_list(fd, &alice, &owner, &over_count, &e, &n, &total), TA_CONFINE_OK);
    assert_true(n == 1 && total == 4);
    ta_dirent_free(e, n);
    close(fd);
}

/* A turn-taker for the bounds: counts its calls, and gives a turn or not. */
typedef struct {
    int calls, give;
} turn_probe;

static int probe_turn(void *arg)
{
    turn_probe *t = arg;

    t->calls++;
    return t->give ? 0 : -1;
}

/* A listing whose kept entries cost more than large asks for a turn, once, before it holds
 * more; refused one, it ends as an error with nothing returned. One that keeps less (a small
 * directory, or a page near the start of a large one) never asks. */
static void test_confine_list_waits_for_a_turn_before_it_holds_much(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    ta_creds alice = {.uid = ALICE, .gid = ALICE};
    turn_probe given = {0, 1}, refused = {0, 0}, small = {0, 0};
    /* any two entries of list/ cost at most this (root.txt and rootdir the most), any three
     * more (B.txt a_dir b.txt the least) */
    size_t two = 2 * sizeof(ta_dirent) + 9 + 8;
    ta_list_bounds give = keep(100), refuse = keep(100), page = keep(2);
    ta_dirent *e = NULL;
    size_t n = 9, total = 9;
    int fd = open_dir(&p, "list/");

    give.large = refuse.large = page.large = two;
    give.wait_turn = refuse.wait_turn = page.wait_turn = probe_turn;
    give.turn_arg = &given;
    refuse.turn_arg = &refused;
    page.turn_arg = &small;
    assert_confine(ta_confine_list(fd, &alice, &p, &give, &e, &n, &total), TA_CONFINE_OK);
    assert_true(n == 6 && total == 6 && given.calls == 1);
    ta_dirent_free(e, n);
    assert_confine(ta_confine_list(fd, &alice, &p, &refuse, &e, &n, &total), TA_CONFINE_ERROR);
    assert_true(e == NULL && n == 0 && total == 0 && refused.calls == 1);
    assert_int_equal(setfsuid((uid_t)-1), 0); /* back to root's ids after the refusal too */
    /* a page of two keeps two at most, however many it counts */
    assert_confine(ta_confine_list(fd, &alice, &p, &page, &e, &n, &total), TA_CONFINE_OK);
    assert_true(n == 2 && total == 6 && small.calls == 0);
    ta_dirent_free(e, n);
    close(fd);
}

/* The entries are stat'ed as the user: a directory bob cannot enter lists as forbidden even
 * when the descriptor came from elsewhere; and root is never acted as. */
static void test_confine_list_uses_the_users_credentials(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    ta_creds bob = {.uid = BOB, .gid = BOB}, root = {.uid = 0, .gid = 0};
    ta_list_bounds b = keep(100);
    static ta_dirent junk;
    ta_dirent *e = &junk;
    size_t n = 5, total = 5;
    int fd = open(at("alice/pub/private"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    assert_true(fd >= 0);
    assert_confine(ta_confine_list(fd, &bob, &p, &b, &e, &n, &total), TA_CONFINE_FORBIDDEN);
    assert_null(e);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    assert_confine(ta_confine_list(fd, &root, &p, &b, &e, &n, &total), TA_CONFINE_BAD_USER);
    assert_listing(fd, ALICE, &p, 100, "p.txt", 1);
    close(fd);
    assert_confine(ta_confine_list(-1, &bob, &p, &b, &e, &n, &total), TA_CONFINE_ERROR);
    assert_confine(ta_confine_list(fd, &bob, &p, NULL, &e, &n, &total), TA_CONFINE_ERROR);
}

/* --- threads ---------------------------------------------------------------------------- */

typedef struct {
    unsigned long uid, group; /* group: the one supplementary group the file needs */
    const char *home, *file, *content;
    const char *other_home, *other_file;
    ta_confine_policy policy;
    pthread_barrier_t *start;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    ta_creds c = {.uid = w->uid, .gid = w->uid, .groups = &w->group, .ngroups = 1};
    size_t len = strlen(w->content);

    pthread_barrier_wait(w->start);
    for (int i = 0; i < THREAD_ROUNDS; i++) {
        struct stat st;
        char buf[64];
        int fd;

        if (ta_confine_open(w->home, "pub", w->file, &c, &w->policy, &fd, &st) != TA_CONFINE_OK)
            w->failures++;
        else {
            if (read(fd, buf, sizeof(buf)) != (ssize_t)len || memcmp(buf, w->content, len) != 0)
                w->failures++;
            close(fd);
        }
        if (ta_confine_open(w->other_home, "pub", w->other_file, &c, &w->policy, &fd, &st) !=
            TA_CONFINE_FORBIDDEN) {
            w->failures++;
            if (fd >= 0)
                close(fd);
        }
        if (setfsuid((uid_t)-1) != 0)
            w->failures++;
    }
    return NULL;
}

/* Two threads as two users at once, with different supplementary groups: each gets its own
 * files only, so the switch is really per thread. With a process-wide switch (glibc's
 * setgroups or seteuid, which nptl broadcasts to every thread), one thread's switch would
 * land in the other in the middle of its open: alice's file needs her group, bob's his uid. */
static void test_confine_threads_act_as_different_users_at_once(void **state)
{
    ta_confine_policy p = policy(state, 0, 0);
    pthread_barrier_t start;
    pthread_t t[2];
    worker w[2] = {
        {ALICE, STAFF, alice_home, "staff.txt", "staff\n", bob_home, "b_public.txt", p, &start, 0},
        {BOB, OTHER_GID, bob_home, "b.txt", "bob's file\n", alice_home, "a.txt", p, &start, 0},
    };

    assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    pthread_barrier_destroy(&start);
    assert_int_equal(w[0].failures, 0);
    assert_int_equal(w[1].failures, 0);
}

/* --- names ------------------------------------------------------------------------------ */

static void test_confine_status_names(void **state)
{
    (void)state;
    assert_string_equal(ta_confine_status_name(TA_CONFINE_OK), "ok");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_IS_DIR), "is_dir");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_NOT_FOUND), "not_found");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_FORBIDDEN), "forbidden");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_BAD_PATH), "bad_path");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_BAD_USER), "bad_user");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_ERROR), "error");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_BAD_TOKEN), "bad_token");
    assert_string_equal(ta_confine_status_name(TA_CONFINE_TOO_LARGE), "too_large");
    assert_string_equal(ta_confine_status_name((ta_confine_status)42), "unknown");
    ta_dirent_free(NULL, 3);
}

/* Each test once per resolution, named so that a failure says which. */
#define VIA(f, how, v)                                                                             \
    {                                                                                              \
        .name = #f " (" how ")", .test_func = f, .setup_func = test_setup,                         \
        .teardown_func = test_teardown, .initial_state = &v                                        \
    }
#define BOTH(f) VIA(f, "openat2", via_openat2), VIA(f, "walk", via_walk)
#define ONCE(f) cmocka_unit_test_prestate_setup_teardown(f, test_setup, test_teardown, &via_walk)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_confine_regular_file_opened_with_its_content),
        BOTH(test_confine_subdir_itself_is_a_directory),
        BOTH(test_confine_trailing_slash_means_directory),
        BOTH(test_confine_missing_is_not_found),
        BOTH(test_confine_subdir_forms),
        BOTH(test_confine_non_utf8_name_opened),
        BOTH(test_confine_malformed_paths_are_bad_path),
        BOTH(test_confine_overlong_paths_are_bad_path),
        BOTH(test_confine_symlink_out_of_subdir_forbidden),
        BOTH(test_confine_symlink_inside_subdir),
        BOTH(test_confine_subdir_symlink_out_forbidden),
        BOTH(test_confine_subdir_symlink_inside_home),
        BOTH(test_confine_magic_link_forbidden),
        BOTH(test_confine_other_mount_forbidden),
        BOTH(test_confine_foreign_home_unreadable),
        BOTH(test_confine_permissions_apply),
        BOTH(test_confine_groups_apply),
        BOTH(test_confine_hard_link_to_other_user_refused_with_owner_only),
        BOTH(test_confine_owner_only_applies_to_directories),
        BOTH(test_confine_fifo_forbidden_without_hanging),
        BOTH(test_confine_device_forbidden),
        BOTH(test_confine_socket_forbidden),
        BOTH(test_confine_hidden_names_refused_when_denied),
        BOTH(test_confine_hidden_names_served_when_allowed),
        BOTH(test_confine_root_and_invalid_creds_refused),
        BOTH(test_confine_unprivileged_helper_acts_only_as_itself),
        BOTH(test_confine_threads_act_as_different_users_at_once),
        BOTH(test_confine_refuses_a_thread_already_switched),
        BOTH(test_confine_refuses_when_capabilities_survive_the_switch),
        /* listing does not depend on how the directory was opened */
        ONCE(test_confine_list_sorted_with_types_sizes_and_times),
        ONCE(test_confine_list_filters_owner_and_hidden),
        ONCE(test_confine_list_keeps_the_first_names_and_counts_all),
        ONCE(test_confine_list_truncation_keeps_smallest_names),
        ONCE(test_confine_list_refuses_past_its_bounds),
        ONCE(test_confine_list_waits_for_a_turn_before_it_holds_much),
        ONCE(test_confine_list_uses_the_users_credentials),
        ONCE(test_confine_status_names),
    };

    return cmocka_run_group_tests_name("confine", tests, group_setup, group_teardown);
}
