/* libFuzzer target: the helper's confined open and listing (src/helper/ta_confine.c), which take
 * the part of a worker's URL path below a TokenAuthHome location and open it as the user, below
 * the user's published directory. The helper is root: a path that gets out is the whole disk.
 *
 * The tree, made once in a scratch directory (as root, owned by a made-up user): a home with a
 * secret file, the published "pub" with files, a subdirectory, hidden names, another user's file
 * and a hard link to one outside, a FIFO, an unreadable file, and symlinks that stay inside, climb
 * out, point to an absolute path, or to the home; "link_pub" in the home points to "pub".
 *
 * Input: a flags byte (owner only, hidden names allowed, which subdir: "pub", ".", "pub/d" or
 * "link_pub", the path as raw bytes or built from names, the listing's limit), then the path:
 * raw up to a NUL, or one byte per component picked from the tree's names and the malformed
 * ones ("", ".", "..", a control byte, a name of NAME_MAX + 1 bytes), with a trailing '/' or not.
 *
 * Invariants, for openat2 and for the component walk alike: the status is a ta_confine_status;
 * a descriptor is open exactly on OK (a regular file) and IS_DIR (a directory) and *st is its
 * fstat; what is opened lies in the subdir's own tree, as walked without following a link (so
 * nothing outside it, however reached); with owner only it is the user's; with hidden names
 * denied no component of the path starts with '.'. BAD_PATH exactly when the path breaks the
 * rules restated here (an empty, "." or ".." component, a control byte, a component over
 * NAME_MAX bytes), and with hidden names denied a well-formed path naming one is FORBIDDEN.
 * Whatever the walk opens, openat2 opens too, the same file (the walk is the stricter). After
 * every call the thread is root again with the same groups, and no descriptor is left open. A
 * listing of an opened directory is exactly what a plain readdir as root says it must be: no
 * "." or "..", regular files and directories only, no hidden names unless allowed, only the
 * user's entries with owner only, sorted by strcmp, the first max of them and the total of
 * them all, each with its size (0 for a directory) and mtime; or too_large and nothing exactly
 * when there are more than the bounds allow. */
#include "fuzz.h"
#include "ta_confine.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#define USER_UID 61201ul
#define OTHER_UID 61202ul
#define INODES_MAX 64
#define GROUPS_MAX 64

typedef struct {
    dev_t dev;
    ino_t ino;
} inode;

typedef struct {
    const char *subdir; /* as ta_confine_open takes it */
    const char *real;   /* the directory it names, relative to home */
    inode in[INODES_MAX];
    size_t n;
} tree;

static char root_dir[256], home[300];
static uid_t user_uid;
static int is_root;
static gid_t my_groups[GROUPS_MAX];
static int my_ngroups;
static tree trees[4] = {{"pub", "pub", {{0, 0}}, 0},
                        {".", ".", {{0, 0}}, 0},
                        {"pub/d", "pub/d", {{0, 0}}, 0},
                        {"link_pub", "pub", {{0, 0}}, 0}};
static tree *walking;
static char long_name[NAME_MAX + 2];

/* The names a path is built from: the tree's, and malformed ones. */
static const char *const NAMES[] = {
    "a.txt", "d",       "b.txt",    ".hidden", ".h",       "c.txt",      "bobs.txt",
    "fifo",  "noread",  "hard_bob", "link_in", "link_up",  "link_abs",   "link_dir_out",
    "pub",   "secret",  "link_pub", "",        ".",        "..",         "x\001y",
    "...",   "missing", long_name,  "a.txt/",  "link_in/", "d/../a.txt", "link_out",
};
#define NNAMES (sizeof(NAMES) / sizeof(NAMES[0]))

/* --- the tree ------------------------------------------------------------------------------ */

static void make(const char *rel, int dir, mode_t mode, uid_t uid)
{
    char p[PATH_MAX];
    int fd;

    snprintf(p, sizeof(p), "%s/%s", root_dir, rel);
    if (dir) {
        CHECK(mkdir(p, mode) == 0);
    }
    else {
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        CHECK(fd >= 0);
        CHECK(write(fd, rel, strlen(rel)) == (ssize_t)strlen(rel));
        close(fd);
    }
    CHECK(chmod(p, mode) == 0);
    if (is_root)
        CHECK(lchown(p, uid, uid) == 0);
}

static void link_to(const char *target, const char *rel)
{
    char p[PATH_MAX];

    snprintf(p, sizeof(p), "%s/%s", root_dir, rel);
    CHECK(symlink(target, p) == 0);
}

static int collect(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)p;
    (void)type;
    (void)f;
    CHECK(walking->n < INODES_MAX);
    walking->in[walking->n++] = (inode){st->st_dev, st->st_ino};
    return 0;
}

static int remove_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    return type == FTW_DP ? rmdir(p) : unlink(p);
}

static void remove_tree(void)
{
    nftw(root_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void build_tree(void)
{
    uid_t other = is_root ? (uid_t)OTHER_UID : user_uid;
    char p[PATH_MAX], q[PATH_MAX];

    make("home", 1, 0700, user_uid);
    make("home/secret", 0, 0600, user_uid);
    make("home/pub", 1, 0755, user_uid);
    make("home/pub/a.txt", 0, 0644, user_uid);
    make("home/pub/.hidden", 0, 0644, user_uid);
    make("home/pub/d", 1, 0755, user_uid);
    make("home/pub/d/b.txt", 0, 0644, user_uid);
    make("home/pub/d/.h", 1, 0755, user_uid);
    make("home/pub/d/.h/c.txt", 0, 0644, user_uid);
    make("home/pub/bobs.txt", 0, 0644, other);
    make("home/pub/noread", 0, 0000, user_uid);
    make("outside", 0, 0644, 0);
    make("bob_secret", 0, 0644, other);
    snprintf(p, sizeof(p), "%s/bob_secret", root_dir);
    snprintf(q, sizeof(q), "%s/home/pub/hard_bob", root_dir);
    CHECK(link(p, q) == 0);
    snprintf(p, sizeof(p), "%s/home/pub/fifo", root_dir);
    CHECK(mkfifo(p, 0644) == 0);
    if (is_root)
        CHECK(chown(p, user_uid, user_uid) == 0);
    link_to("a.txt", "home/pub/link_in");
    link_to("../secret", "home/pub/link_up");
    link_to("/etc/passwd", "home/pub/link_abs");
    link_to("..", "home/pub/link_dir_out");
    link_to("../../outside", "home/pub/d/link_out");
    link_to("pub", "home/link_pub");
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", home, trees[i].real);
        walking = &trees[i];
        CHECK(nftw(p, collect, 16, FTW_PHYS) == 0);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    is_root = geteuid() == 0;
    user_uid = is_root ? (uid_t)USER_UID : geteuid();
    snprintf(root_dir, sizeof(root_dir), "%s/fuzz_confine.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(root_dir) != NULL);
    CHECK(chmod(root_dir, 0711) == 0);
    snprintf(home, sizeof(home), "%s/home", root_dir);
    atexit(remove_tree);
    memset(long_name, 'n', NAME_MAX + 1);
    build_tree();
    my_ngroups = getgroups(GROUPS_MAX, my_groups);
    CHECK(my_ngroups >= 0);
    return 0;
}

/* --- the rules, restated ------------------------------------------------------------------- */

/* 1 when rel is malformed: an empty, "." or ".." component (a single trailing '/' aside), a
 * control byte, a component over NAME_MAX bytes, or PATH_MAX bytes or more. *hidden: a
 * component starts with '.'. */
static int malformed(const char *rel, int *hidden)
{
    size_t n = strlen(rel), i = 0;

    *hidden = 0;
    if (n >= PATH_MAX)
        return 1;
    if (n == 0)
        return 0;
    if (rel[n - 1] == '/')
        n--; /* one trailing '/': "a directory"; what is before it must be well-formed */
    for (;;) {
        size_t len = strcspn(rel + i, "/");

        if (len > n - i)
            len = n - i;
        if (len == 0 || len > NAME_MAX || (len == 1 && rel[i] == '.') ||
            (len == 2 && rel[i] == '.' && rel[i + 1] == '.'))
            return 1;
        for (size_t j = i; j < i + len; j++)
            if ((unsigned char)rel[j] < 0x20 || rel[j] == 0x7f)
                return 1;
        *hidden |= rel[i] == '.';
        if (i + len >= n)
            return 0;
        i += len + 1;
    }
}

static int inside(const tree *t, const struct stat *st)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->in[i].dev == st->st_dev && t->in[i].ino == st->st_ino)
            return 1;
    return 0;
}

/* The lowest free descriptor: a leak would take it. */
static int lowest_free_fd(void)
{
    int fd = dup(2);

    CHECK(fd >= 0);
    close(fd);
    return fd;
}

static void check_identity(void)
{
    gid_t g[GROUPS_MAX];
    int n = getgroups(GROUPS_MAX, g);

    CHECK(n == my_ngroups && memcmp(g, my_groups, (size_t)n * sizeof(gid_t)) == 0);
    if (is_root) {
        CHECK(setfsuid((uid_t)-1) == 0);
        CHECK(setfsgid((gid_t)-1) == 0);
    }
}

/* --- listing ------------------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names a listing of fd must hold (sorted, malloc'd, *n of them), read as root. */
static char **expected_names(int fd, const ta_confine_policy *p, size_t *n)
{
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    char **v = calloc(INODES_MAX, sizeof(char *));
    struct dirent *e;

    CHECK(d != NULL && v != NULL);
    *n = 0;
    while ((e = readdir(d)) != NULL) {
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (!p->allow_hidden && e->d_name[0] == '.'))
            continue;
        CHECK(fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
        if ((!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) ||
            (p->owner_only && st.st_uid != user_uid))
            continue;
        CHECK(*n < INODES_MAX);
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, *n, sizeof(char *), by_name);
    return v;
}

/* The listing keeps max names, and refuses a directory of more than max + 2 visible entries
 * (too_large, nothing returned). */
static void check_listing(int fd, const ta_creds *c, const ta_confine_policy *p, size_t max)
{
    size_t n = 99, want_n, total = 99;
    ta_list_bounds b = {.keep = max, .max_total = max + 2, .max_bytes = (size_t)1 << 30};
    ta_dirent *e = NULL;
    char **want = expected_names(fd, p, &want_n);
    ta_confine_status r = ta_confine_list(fd, c, p, &b, &e, &n, &total);

    check_identity();
    if (want_n > max + 2) {
        CHECK(r == TA_CONFINE_TOO_LARGE && e == NULL && n == 0 && total == 0);
        for (size_t i = 0; i < want_n; i++)
            free(want[i]);
        free(want);
        return;
    }
    CHECK(r == 0);
    CHECK(total == want_n);
    CHECK(n == (want_n < max ? want_n : max));
    for (size_t i = 0; i < n; i++) {
        struct stat st;

        CHECK(strcmp(e[i].name, want[i]) == 0);
        CHECK(fstatat(fd, e[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0);
        CHECK(e[i].is_dir == !!S_ISDIR(st.st_mode));
        CHECK(e[i].size == (e[i].is_dir ? 0 : (long long)st.st_size));
        CHECK(e[i].mtime == (long long)st.st_mtime);
    }
    for (size_t i = 0; i < want_n; i++)
        free(want[i]);
    free(want);
    ta_dirent_free(e, n);
}

/* --- one input ----------------------------------------------------------------------------- */

/* The path of the input: raw bytes to a NUL, or names joined by '/'. */
static char *path_of(const uint8_t *data, size_t size, int built, int trailing)
{
    char *s;
    size_t len = 0;

    if (!built) {
        const uint8_t *nul = memchr(data, '\0', size);
        size_t n = nul ? (size_t)(nul - data) : size;

        s = malloc(n + 1);
        CHECK(s != NULL);
        memcpy(s, data, n);
        s[n] = '\0';
        return s;
    }
    s = malloc(size * (NAME_MAX + 3) + 2);
    CHECK(s != NULL);
    for (size_t i = 0; i < size; i++) {
        const char *name = NAMES[data[i] % NNAMES];

        if (i > 0)
            s[len++] = '/';
        memcpy(s + len, name, strlen(name));
        len += strlen(name);
    }
    if (trailing)
        s[len++] = '/';
    s[len] = '\0';
    return s;
}

/* One open by one method; the status, with *fd and *st checked against it. */
static ta_confine_status open_one(const tree *t, const char *rel, const ta_creds *c,
                                  const ta_confine_policy *p, int *fd, struct stat *st)
{
    int before = lowest_free_fd(), hidden;
    ta_confine_status r = ta_confine_open(home, t->subdir, rel, c, p, fd, st);
    struct stat again;
    int bad = malformed(rel, &hidden);

    check_identity();
    /* a sound tree and sound ids: never BAD_USER, and no path makes it an internal error */
    CHECK(r == TA_CONFINE_OK || r == TA_CONFINE_IS_DIR || r == TA_CONFINE_NOT_FOUND ||
          r == TA_CONFINE_FORBIDDEN || r == TA_CONFINE_BAD_PATH);
    CHECK((r == TA_CONFINE_BAD_PATH) == bad);
    if (!bad && hidden && !p->allow_hidden)
        CHECK(r == TA_CONFINE_FORBIDDEN);
    if (r != TA_CONFINE_OK && r != TA_CONFINE_IS_DIR) {
        CHECK(*fd == -1);
        CHECK(lowest_free_fd() == before);
        return r;
    }
    CHECK(*fd >= 0 && fstat(*fd, &again) == 0);
    CHECK(again.st_dev == st->st_dev && again.st_ino == st->st_ino);
    CHECK(r == TA_CONFINE_OK ? S_ISREG(st->st_mode) : S_ISDIR(st->st_mode));
    CHECK(inside(t, st)); /* never anything outside the subdir's own tree */
    if (p->owner_only)
        CHECK(st->st_uid == user_uid);
    CHECK(!hidden || p->allow_hidden);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags = size ? data[0] : 0;
    const tree *t = &trees[(flags >> 2) & 3];
    ta_confine_policy walk = {flags & 1, (flags >> 1) & 1, 1}, at2 = walk;
    ta_creds c = {user_uid, user_uid, NULL, 0};
    char *rel =
        path_of(size ? data + 1 : data, size ? size - 1 : 0, (flags >> 4) & 1, (flags >> 5) & 1);
    struct stat sw, sa;
    int fw = -1, fa = -1;
    ta_confine_status rw = open_one(t, rel, &c, &walk, &fw, &sw), ra;

    at2.force_fallback = 0;
    ra = open_one(t, rel, &c, &at2, &fa, &sa);
    if (rw == TA_CONFINE_OK || rw == TA_CONFINE_IS_DIR) {
        CHECK(ra == rw);
        CHECK(sa.st_dev == sw.st_dev && sa.st_ino == sw.st_ino);
    }
    if (ra == TA_CONFINE_IS_DIR)
        check_listing(fa, &c, &at2, flags >> 6);
    if (fw >= 0)
        close(fw);
    if (fa >= 0)
        close(fa);
    free(rel);
    return 0;
}
