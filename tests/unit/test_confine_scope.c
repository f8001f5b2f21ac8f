/* Share links stay inside their scope (SPEC §6: "A url or share token is resolved beneath its
 * scope"), and the hidden rule holds for the resolved path, symlink targets included.
 *
 * The story: alice publishes her whole home (TokenAuthHome .) and has a group-writable folder
 * shared/. A group member (bob here) leaves symlinks in it: to her 0600 .env, to her
 * private.txt, to the directory above, to a file in a dot-directory. A share link of shared/
 * must not reach any of them, and alice's own session must not reach .env through them either;
 * ok.txt, and links that stay inside shared/, are served.
 *
 * The tests run as root (as the helper does) on a scratch tree owned by made-up users, each
 * once with openat2 and once with the component walk of older kernels (which follows no symlink
 * at all: every link is refused there, so the legitimate links are shown with openat2 only).
 * After every test no descriptor is left open and the thread is root again. */
#include "unit.h"
#include "ta_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALICE 61011ul
#define BOB 61012ul    /* the group member who plants the links */
#define SHARED 61110ul /* their common group */
#define SKIP_EXIT 77   /* a forked check that cannot run here */

typedef enum { VIA_OPENAT2, VIA_WALK } via;
static via via_openat2 = VIA_OPENAT2, via_walk = VIA_WALK;

static char root_dir[64];   /* mkdtemp, 0711 */
static char alice_home[96]; /* root_dir/alice, 0700 alice */
static int fds_before;

/* --- the scratch tree ------------------------------------------------------------------- */

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

static int dir_as(const char *rel, mode_t mode, unsigned long gid)
{
    TRY(mkdir(at(rel), mode) == 0);
    TRY(chmod(at(rel), mode) == 0);
    TRY(chown(at(rel), (uid_t)ALICE, (gid_t)gid) == 0);
    return 0;
}

static int file_of_alice(const char *rel, const char *text, mode_t mode)
{
    int fd = open(at(rel), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t n = strlen(text);

    TRY(fd >= 0);
    TRY(write(fd, text, n) == (ssize_t)n);
    TRY(close(fd) == 0);
    TRY(chmod(at(rel), mode) == 0);
    TRY(chown(at(rel), (uid_t)ALICE, (gid_t)ALICE) == 0);
    return 0;
}

static int link_of(unsigned long uid, const char *target, const char *rel)
{
    TRY(symlink(target, at(rel)) == 0);
    TRY(lchown(at(rel), (uid_t)uid, (gid_t)SHARED) == 0);
    return 0;
}

/*  root_dir/                  0711 root
 *    alice/                   0700 alice: .env and private.txt 0600, .hidden/x,
 *                             link -> .env, via_dot -> .hidden/../private.txt,
 *                             dot_scope -> .hidden, out_scope -> ..
 *      shared/                2775 alice:SHARED, bob's links below
 *        ok.txt, in -> ok.txt, sub/s.txt, sub/back -> ../ok.txt, dirlink -> sub
 *        notes.txt -> ../.env, p.txt -> ../private.txt, up -> ../../, h -> ../.hidden/x,
 *        dd -> .inner/x (.inner/x: a dot-directory inside the scope)
 *      .www/                  a subdir below a dot-directory: f.txt, l -> f.txt, hid -> .g */
static int make_tree(void)
{
    TRY(dir_as("alice", 0700, ALICE) == 0);
    TRY(file_of_alice("alice/.env", "alice's env\n", 0600) == 0);
    TRY(file_of_alice("alice/private.txt", "alice's private\n", 0600) == 0);
    TRY(dir_as("alice/.hidden", 0700, ALICE) == 0);
    TRY(file_of_alice("alice/.hidden/x", "hidden x\n", 0600) == 0);
    TRY(link_of(ALICE, ".env", "alice/link") == 0);
    TRY(link_of(ALICE, ".hidden/../private.txt", "alice/via_dot") == 0);
    TRY(link_of(ALICE, ".hidden", "alice/dot_scope") == 0);
    TRY(link_of(ALICE, "..", "alice/out_scope") == 0);

    TRY(dir_as("alice/shared", 02775, SHARED) == 0);
    TRY(file_of_alice("alice/shared/ok.txt", "ok\n", 0644) == 0);
    TRY(dir_as("alice/shared/sub", 0755, ALICE) == 0);
    TRY(file_of_alice("alice/shared/sub/s.txt", "s\n", 0644) == 0);
    TRY(dir_as("alice/shared/.inner", 0755, ALICE) == 0);
    TRY(file_of_alice("alice/shared/.inner/x", "inner x\n", 0644) == 0);
    TRY(link_of(ALICE, "ok.txt", "alice/shared/in") == 0);
    TRY(link_of(ALICE, "../ok.txt", "alice/shared/sub/back") == 0);
    TRY(link_of(ALICE, "sub", "alice/shared/dirlink") == 0);
    TRY(link_of(BOB, "../.env", "alice/shared/notes.txt") == 0);
    TRY(link_of(BOB, "../private.txt", "alice/shared/p.txt") == 0);
    TRY(link_of(BOB, "../../", "alice/shared/up") == 0);
    TRY(link_of(BOB, "../.hidden/x", "alice/shared/h") == 0);
    TRY(link_of(BOB, ".inner/x", "alice/shared/dd") == 0);
    /* bob swaps a folder alice shared (shared/team/, his or hers: shared/ has no
     * sticky bit) for a link to the directory above shared/ */
    TRY(link_of(BOB, "..", "alice/shared/team") == 0);
    TRY(link_of(BOB, "../..", "alice/shared/deep") == 0);

    TRY(dir_as("alice/.www", 0755, ALICE) == 0);
    TRY(file_of_alice("alice/.www/f.txt", "f\n", 0644) == 0);
    TRY(file_of_alice("alice/.www/.g", "g\n", 0644) == 0);
    TRY(link_of(ALICE, "f.txt", "alice/.www/l") == 0);
    TRY(link_of(ALICE, ".g", "alice/.www/hid") == 0);
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
    snprintf(root_dir, sizeof(root_dir), "/tmp/ta_scope.XXXXXX");
    if (geteuid() != 0) {
        fprintf(stderr, "test_confine_scope must run as root (it switches to made-up users)\n");
        return -1;
    }
    TRY(mkdtemp(root_dir) != NULL);
    TRY(chmod(root_dir, 0711) == 0);
    snprintf(alice_home, sizeof(alice_home), "%s/alice", root_dir);
    if (make_tree() != 0) {
        group_teardown(state);
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

static int test_teardown(void **state)
{
    (void)state;
    if (count_fds() != fds_before) {
        fprintf(stderr, "descriptors leaked\n");
        return -1;
    }
    if (setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0) {
        fprintf(stderr, "fsuid/fsgid not restored\n");
        return -1;
    }
    return 0;
}

/* --- calling ---------------------------------------------------------------------------- */

static via via_of(void **state)
{
    via v = *(via *)*state;

    if (v == VIA_OPENAT2 && !ta_confine_have_openat2())
        skip(); /* the walk variants cover what runs here */
    return v;
}

static ta_confine_policy policy(void **state, int allow_hidden)
{
    ta_confine_policy p = {.owner_only = 1, .allow_hidden = allow_hidden};

    p.force_fallback = via_of(state) == VIA_WALK;
    return p;
}

/* alice (with the shared group) opens rel beneath scope, below her whole home or subdir. */
static ta_confine_status open_in(const ta_confine_policy *p, const char *subdir, const char *scope,
                                 const char *rel, int *fd, struct stat *st)
{
    static const unsigned long groups[] = {SHARED};
    ta_creds c = {.uid = ALICE, .gid = ALICE, .groups = groups, .ngroups = 1};
    ta_confine_status r;

    *fd = -2;
    r = ta_confine_open_scoped(alice_home, subdir, scope, rel, &c, p, fd, st);
    assert_int_equal(setfsuid((uid_t)-1), 0);
    if (r == TA_CONFINE_OK || r == TA_CONFINE_IS_DIR)
        assert_true(*fd >= 0);
    else
        assert_int_equal(*fd, -1);
    return r;
}

/* The answer is want; nothing of a refused file is read. */
static void expect(const ta_confine_policy *p, const char *scope, const char *rel,
                   ta_confine_status want)
{
    struct stat st;
    int fd;
    ta_confine_status r = open_in(p, ".", scope, rel, &fd, &st);

    if (r != want)
        fail_msg("scope \"%s\", \"%s\": %s, expected %s", scope, rel, ta_confine_status_name(r),
                 ta_confine_status_name(want));
    if (fd >= 0)
        close(fd);
}

/* A regular file with this content is served. */
static void expect_served(const ta_confine_policy *p, const char *subdir, const char *scope,
                          const char *rel, const char *want)
{
    char buf[64];
    struct stat st;
    int fd;
    ssize_t n;
    ta_confine_status r = open_in(p, subdir, scope, rel, &fd, &st);

    if (r != TA_CONFINE_OK)
        fail_msg("scope \"%s\", \"%s\": %s, expected ok", scope, rel, ta_confine_status_name(r));
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* The links bob planted in shared/: none reaches outside it, nor into a dot-directory. */
static const char *const planted[] = {"notes.txt",     "p.txt", "up", "up/",
                                      "up/alice/.env", "h",     "dd"};

/* --- a share link of shared/ ------------------------------------------------------------ */

static void test_scope_links_out_of_the_scope_refused(void **state)
{
    ta_confine_policy p = policy(state, 0);

    for (size_t i = 0; i < sizeof(planted) / sizeof(planted[0]); i++)
        expect(&p, "shared", planted[i], TA_CONFINE_FORBIDDEN);
}

/* With hidden names allowed, what leaves the scope is still refused: the scope rule does not
 * lean on the hidden rule. dd stays inside the scope and is then served (openat2). */
static void test_scope_holds_with_hidden_names_allowed(void **state)
{
    ta_confine_policy p = policy(state, 1);

    expect(&p, "shared", "notes.txt", TA_CONFINE_FORBIDDEN);
    expect(&p, "shared", "p.txt", TA_CONFINE_FORBIDDEN);
    expect(&p, "shared", "up/", TA_CONFINE_FORBIDDEN);
    expect(&p, "shared", "h", TA_CONFINE_FORBIDDEN);
    if (via_of(state) == VIA_OPENAT2)
        expect_served(&p, ".", "shared", "dd", "inner x\n");
    else
        expect(&p, "shared", "dd", TA_CONFINE_FORBIDDEN);
}

static void test_scope_own_files_served(void **state)
{
    ta_confine_policy p = policy(state, 0);

    expect_served(&p, ".", "shared", "ok.txt", "ok\n");
    expect_served(&p, ".", "shared", "sub/s.txt", "s\n");
    expect(&p, "shared", "", TA_CONFINE_IS_DIR);
    expect(&p, "shared", "sub/", TA_CONFINE_IS_DIR);
    expect(&p, "shared", "missing.txt", TA_CONFINE_NOT_FOUND);
}

/* Links that stay inside the scope: followed by openat2, refused by the walk as every link. */
static void test_scope_links_inside_the_scope(void **state)
{
    ta_confine_policy p = policy(state, 0);
    static const char *const inside[] = {"in", "sub/back", "dirlink/s.txt"};

    if (via_of(state) == VIA_WALK) {
        for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
            expect(&p, "shared", inside[i], TA_CONFINE_FORBIDDEN);
        return;
    }
    expect_served(&p, ".", "shared", "in", "ok\n");
    expect_served(&p, ".", "shared", "sub/back", "ok\n");
    expect_served(&p, ".", "shared", "dirlink/s.txt", "s\n");
}

/* The scope's own directory: its names obey the hidden rule, and its resolution too. */
static void test_scope_directory_itself_checked(void **state)
{
    ta_confine_policy deny = policy(state, 0), allow = policy(state, 1);

    expect(&deny, ".hidden", "x", TA_CONFINE_FORBIDDEN);   /* by name, before any look-up */
    expect(&deny, "dot_scope", "x", TA_CONFINE_FORBIDDEN); /* a link: -> .hidden */
    expect(&allow, "out_scope", "alice/private.txt", TA_CONFINE_FORBIDDEN); /* -> .. */
    expect(&deny, "private.txt", "", TA_CONFINE_NOT_FOUND); /* a file is no scope directory */
    expect(&deny, "shared/..", "ok.txt", TA_CONFINE_BAD_PATH);
    expect(&deny, "/shared", "ok.txt", TA_CONFINE_BAD_PATH);
    /* the scope's directory is reached through real directories only, hidden names allowed
     * or not: a link there could be swapped to move the scope (a session still follows it) */
    expect(&allow, "dot_scope", "x", TA_CONFINE_FORBIDDEN);
    if (via_of(state) == VIA_OPENAT2)
        expect_served(&allow, ".", "", "dot_scope/x", "hidden x\n");
}

/* Opened as the scope's directory, it lists its own entries. */
static void test_scope_directory_listed(void **state)
{
    ta_confine_policy p = policy(state, 0);
    struct stat st, want;
    ta_dirent *e = NULL;
    size_t n = 0, total = 0;
    ta_list_bounds b = {.keep = 100, .max_total = 100, .max_bytes = 1 << 20};
    int fd;
    ta_creds c = {.uid = ALICE, .gid = ALICE};

    assert_int_equal(stat(at("alice/shared"), &want), 0);
    assert_int_equal(open_in(&p, ".", "shared", "", &fd, &st), TA_CONFINE_IS_DIR);
    assert_true(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
    assert_int_equal(ta_confine_list(fd, &c, &p, &b, &e, &n, &total), TA_CONFINE_OK);
    close(fd);
    assert_int_equal(n, 2); /* ok.txt and sub: no links, no .inner */
    assert_int_equal(total, 2);
    assert_string_equal(e[0].name, "ok.txt");
    assert_string_equal(e[1].name, "sub");
    ta_dirent_free(e, n);
}

/* --- the hidden rule on the resolved path, for a session (no scope) --------------------- */

static void test_scope_session_never_reaches_dot_files_through_links(void **state)
{
    ta_confine_policy p = policy(state, 0);

    expect(&p, "", "link", TA_CONFINE_FORBIDDEN);
    expect(&p, "", ".env", TA_CONFINE_FORBIDDEN);
    expect(&p, "", "shared/notes.txt", TA_CONFINE_FORBIDDEN);
    expect(&p, "", "shared/h", TA_CONFINE_FORBIDDEN);
    expect(&p, "", "shared/dd", TA_CONFINE_FORBIDDEN);
    expect(&p, "", "shared/up", TA_CONFINE_FORBIDDEN); /* out of the home altogether */
    expect_served(&p, ".", "", "private.txt", "alice's private\n");
}

/* What the session may read anyway, through links: followed by openat2 (the walk refuses
 * every link). via_dot passes through .hidden, but resolves to private.txt: the rule is about
 * what is opened. */
static void test_scope_session_links_to_visible_files(void **state)
{
    ta_confine_policy p = policy(state, 0);

    if (via_of(state) == VIA_WALK) {
        expect(&p, "", "shared/p.txt", TA_CONFINE_FORBIDDEN);
        expect(&p, "", "via_dot", TA_CONFINE_FORBIDDEN);
        return;
    }
    expect_served(&p, ".", "", "shared/p.txt", "alice's private\n");
    expect_served(&p, ".", "", "via_dot", "alice's private\n");
}

static void test_scope_session_links_to_dot_files_served_when_allowed(void **state)
{
    ta_confine_policy p = policy(state, 1);

    if (via_of(state) == VIA_WALK) {
        expect(&p, "", "link", TA_CONFINE_FORBIDDEN);
        return;
    }
    expect_served(&p, ".", "", "link", "alice's env\n");
    expect_served(&p, ".", "", "shared/notes.txt", "alice's env\n");
}

/* Only the components below the subdirectory count: a TokenAuthHome below a dot-directory
 * serves its links, but not one to its own dot-file. */
static void test_scope_subdir_below_a_dot_directory(void **state)
{
    ta_confine_policy p = policy(state, 0);
    struct stat st;
    int fd;

    expect_served(&p, ".www", "", "f.txt", "f\n");
    assert_int_equal(open_in(&p, ".www", "", "hid", &fd, &st), TA_CONFINE_FORBIDDEN);
    if (via_of(state) == VIA_OPENAT2)
        expect_served(&p, ".www", "", "l", "f\n");
    else
        assert_int_equal(open_in(&p, ".www", "", "l", &fd, &st), TA_CONFINE_FORBIDDEN);
}

/* Without /proc, the resolved path of a link cannot be read: refused (fail closed), while a
 * path without links, which needs no such check, is still served. Runs in a child with a
 * private mount namespace; skipped where mounting is not allowed. */
static void test_scope_without_proc_links_fail_closed(void **state)
{
    ta_confine_policy p = policy(state, 0);
    int status;
    pid_t pid;

    pid = fork(); /* openat2 only: the walk follows no link, and reads no names */
    assert_true(pid >= 0);
    if (pid == 0) {
        static const unsigned long groups[] = {SHARED};
        ta_creds c = {.uid = ALICE, .gid = ALICE, .groups = groups, .ngroups = 1};
        struct stat st;
        int fd, fails = 0;

        if (unshare(CLONE_NEWNS) != 0 ||
            mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", "/proc", "tmpfs", 0, "mode=0755") != 0)
            _exit(SKIP_EXIT);
        fails += ta_confine_open_scoped(alice_home, ".", "shared", "in", &c, &p, &fd, &st) !=
                 TA_CONFINE_ERROR;
        fails += ta_confine_open_scoped(alice_home, ".", "", "link", &c, &p, &fd, &st) !=
                 TA_CONFINE_ERROR;
        if (ta_confine_open_scoped(alice_home, ".", "shared", "ok.txt", &c, &p, &fd, &st) ==
            TA_CONFINE_OK)
            close(fd);
        else
            fails++;
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

/* --- the rule on names, alone ------------------------------------------------------------ */

static void test_scope_visible_below(void **state)
{
    (void)state;
    /* beneath, without dot components below the root */
    assert_true(ta_confine_visible_below("/home/alice", "/home/alice"));
    assert_true(ta_confine_visible_below("/home/alice", "/home/alice/a"));
    assert_true(ta_confine_visible_below("/home/alice", "/home/alice/shared/ok.txt"));
    assert_true(ta_confine_visible_below("/home/alice", "/home/alice/a.b/c."));
    assert_true(ta_confine_visible_below("/home/alice", "/home/alice/a\nb"));
    assert_true(ta_confine_visible_below("/", "/"));
    assert_true(ta_confine_visible_below("/", "/srv/x"));
    /* the root's own dot components do not count, those below do */
    assert_true(ta_confine_visible_below("/srv/.homes/alice", "/srv/.homes/alice/x"));
    assert_true(ta_confine_visible_below("/home/alice/.www", "/home/alice/.www/f.txt"));
    assert_false(ta_confine_visible_below("/home/alice/.www", "/home/alice/.www/.g"));
    assert_false(ta_confine_visible_below("/home/alice", "/home/alice/.env"));
    assert_false(ta_confine_visible_below("/home/alice", "/home/alice/shared/.inner/x"));
    assert_false(ta_confine_visible_below("/home/alice", "/home/alice/.hidden/x"));
    assert_false(ta_confine_visible_below("/", "/.env"));
    /* not beneath */
    assert_false(ta_confine_visible_below("/home/alice", "/home/alicex/a"));
    assert_false(ta_confine_visible_below("/home/alice", "/home/alic"));
    assert_false(ta_confine_visible_below("/home/alice", "/home"));
    assert_false(ta_confine_visible_below("/home/alice", "/home/bob/a"));
    /* unsure: refused */
    assert_false(ta_confine_visible_below("/home/alice", "/home/alice/a (deleted)"));
    assert_false(ta_confine_visible_below("/home/alice (deleted)", "/home/alice (deleted)/a"));
    assert_false(ta_confine_visible_below("/home/alice", "home/alice/a"));
    assert_false(ta_confine_visible_below("home/alice", "home/alice/a"));
    assert_false(ta_confine_visible_below("/home/alice", "anon_inode:[eventfd]"));
    assert_false(ta_confine_visible_below("/home/alice", "/home/alice//a"));
    assert_false(ta_confine_visible_below("/home/alice", "/home/alice/a/"));
    assert_false(ta_confine_visible_below("/home/alice/", "/home/alice/a"));
    assert_false(ta_confine_visible_below("", ""));
    assert_false(ta_confine_visible_below(NULL, "/a"));
    assert_false(ta_confine_visible_below("/a", NULL));
}

/* review2: a share link of shared/team/ must serve nothing outside alice/shared/team/, even
 * when bob (who may write into shared/) replaced team/ by a link "team -> ..": the scope's
 * own directory is resolved with symlinks followed anywhere below subdir, so the link's
 * target (alice's home) becomes the scope and her private.txt is served with her
 * credentials. The walk refuses every link, so it holds there. */
static void test_scope_that_is_a_planted_link_refused(void **state)
{
    ta_confine_policy p = policy(state, 0);

    expect(&p, "shared/team", "private.txt", TA_CONFINE_FORBIDDEN);
    expect(&p, "shared/team", "shared/ok.txt", TA_CONFINE_FORBIDDEN);
    expect(&p, "shared/team", "", TA_CONFINE_FORBIDDEN); /* its listing: all of alice's home */
    expect(&p, "shared/deep", "", TA_CONFINE_FORBIDDEN); /* -> ../.. leaves subdir: refused */
}

#define VIA(f, how, v)                                                                             \
    {                                                                                              \
        .name = #f " (" how ")", .test_func = f, .setup_func = test_setup,                         \
        .teardown_func = test_teardown, .initial_state = &v                                        \
    }
#define BOTH(f) VIA(f, "openat2", via_openat2), VIA(f, "walk", via_walk)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_scope_links_out_of_the_scope_refused),
        BOTH(test_scope_holds_with_hidden_names_allowed),
        BOTH(test_scope_own_files_served),
        BOTH(test_scope_links_inside_the_scope),
        BOTH(test_scope_directory_itself_checked),
        BOTH(test_scope_directory_listed),
        BOTH(test_scope_session_never_reaches_dot_files_through_links),
        BOTH(test_scope_session_links_to_visible_files),
        BOTH(test_scope_session_links_to_dot_files_served_when_allowed),
        BOTH(test_scope_subdir_below_a_dot_directory),
        VIA(test_scope_without_proc_links_fail_closed, "openat2", via_openat2),
        cmocka_unit_test(test_scope_visible_below),
        BOTH(test_scope_that_is_a_planted_link_refused),
    };

    return cmocka_run_group_tests_name("confine_scope", tests, group_setup, group_teardown);
}
