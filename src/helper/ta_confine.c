/* Confined opens: the file the helper hands to Apache is opened by the user, below the user's
 * published directory, and the descriptor itself is what is sent (the worker never resolves
 * the path again, so the file checked is the file sent).
 *
 * Credentials, per thread. The helper is root and runs one thread per connection. glibc's
 * setuid/setgid/setgroups are process-wide: they signal every thread to change its credentials
 * too (nptl's setxid broadcast), so one request would change the identity under all the
 * others. We use the calls that change the calling thread only: the raw setgroups system call
 * (syscall(SYS_setgroups), bypassing glibc's broadcasting wrapper), setfsgid and setfsuid (the
 * file system ids, which are all the kernel looks at for path look-up and open, and which glibc
 * never broadcasts). Order: groups, fsgid, fsuid, and the reverse to restore, so that the
 * thread is never the user with the helper's groups. Each switch is verified by reading the id
 * back (setfsuid and setfsgid return the previous value and no error; setfsuid(-1) changes
 * nothing and returns the current one). Restoring puts back exactly what was there before:
 * fsuid 0, fsgid 0 and the helper's own groups (saved with getgroups, also per thread). The
 * switched section covers only the opens (and, for a listing, the readdir/fstatat loop), and
 * every path out of it restores first. If a switch fails we restore and return
 * TA_CONFINE_ERROR; if a restore fails we abort(): a thread whose identity is unknown must not
 * serve another request, and Apache restarts a dead helper. A thread found already switched
 * (a caller bug) is refused and left alone.
 *
 * Why this makes the permission checks apply: when a thread's fsuid changes from 0 to
 * non-zero, the kernel clears the file system capabilities (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH, CAP_FOWNER...) from its effective set, and gives them back when fsuid
 * returns to 0. Without that, root's CAP_DAC_OVERRIDE would open any file whatever the ids.
 * A process with SECBIT_NO_SETUID_FIXUP keeps them, so after the switch we also ask the kernel
 * (capget, for this thread) that they are really gone, and refuse otherwise. uid 0 is refused
 * outright (TA_CONFINE_BAD_USER): as root the open would bypass every permission.
 * A helper that is not root (Apache not started as root, SPEC §6) cannot switch: it may act
 * only as its own uid, with its own credentials, and we open without switching anything.
 *
 * Confinement with openat2. home is the administrator's (passwd), so it is opened plainly (as
 * the user, O_PATH). subdir is then opened below home and rel below subdir, each with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV): the kernel refuses any
 * resolution that leaves the starting directory (".." above it, a symlink pointing out, any
 * absolute symlink) with EXDEV, any /proc-style magic link with ELOOP (BENEATH alone refuses
 * them too; the flag says so explicitly), and any mount crossing with EXDEV. subdir gets the same
 * treatment as rel because the user owns it: ~/public could be a symlink to /home/bob. Symlinks
 * that stay inside are allowed (no RESOLVE_NO_SYMLINKS): users link within their own published
 * tree. The kernel may answer EAGAIN when a rename raced with the look-up; we retry once.
 *
 * The fallback, where openat2 is missing (ENOSYS: kernels before 5.6, or refused by a seccomp
 * filter; probed once) or forced by tests, walks the path one component at a time: each step
 * is openat(fd of the previous step, one name, O_NOFOLLOW), O_PATH for the directories on the
 * way (they need search permission only, checked on the parent as for any look-up). It is
 * stricter than openat2: a symlink anywhere is refused (ELOOP on the last name; for an O_PATH
 * step, O_NOFOLLOW opens the link itself and fstat says S_ISLNK), and every step must have the
 * st_dev of the directory we started from (no mount crossing; a bind mount of the same file
 * system is not seen, but only root can make one). It is safe against races because no path
 * is ever resolved twice: each step is relative to a descriptor we hold, which keeps naming
 * the same directory whatever is renamed meanwhile, and a name is never looked up again to
 * open it (only, after a failure, lstat'ed to choose between "symlink" and "not found").
 * A user who renames their own directories during a request can at worst make us open a file
 * they could read themselves, because every open runs with their credentials.
 *
 * The final open is O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC: O_NONBLOCK so that a FIFO (or a
 * device) can never block the thread, O_NOCTTY so that a terminal never becomes ours. Then
 * fstat: a regular file is OK (O_NONBLOCK cleared), a directory IS_DIR, anything else is
 * closed and FORBIDDEN. Opening a device or FIFO at all is harmless: it is done with the
 * user's credentials, so it is nothing the user could not do. With owner_only, st_uid must be
 * the user's: this also refuses a hard link to another user's file, which the path checks
 * cannot see. Names are checked before any file system access: malformed paths are BAD_PATH,
 * and with hidden names denied, a component of rel starting with '.' is FORBIDDEN (subdir is
 * the administrator's configuration and exempt).
 *
 * Scopes. A url or share token is resolved beneath its scope's directory (SPEC §6): that
 * directory is opened below subdir like any path, then rel is opened beneath its descriptor,
 * so RESOLVE_BENEATH (and the walk, which follows no symlink at all) keeps rel inside the
 * scope and not merely inside subdir. A link shared/n -> ../.env that someone who may write
 * into a shared folder left there is an escape for a share link of that folder.
 *
 * The hidden rule holds for the resolved path, not only for the names in the request: no
 * component below subdir of what is opened may start with '.', whether it came from the
 * request or from a symlink's target (else shared/n -> ../.env would publish .env). The walk
 * follows no symlink, so its checked names are the whole path. With openat2 we first resolve
 * with RESOLVE_NO_SYMLINKS as well: when that succeeds (nearly always) the checked names are
 * the whole path, and nothing more is paid. When it fails with ELOOP a symlink is on the way:
 * we resolve again with symlinks allowed, read what the kernel calls the opened descriptor and
 * subdir's descriptor (readlink of /proc/self/fd/N, which a thread may do on its own
 * descriptors whatever its fsuid) and check the components of the one below the other
 * (ta_confine_visible_below). Both lie on one mount (RESOLVE_NO_XDEV), so a bind mount names
 * both the same way, and a subdir that itself lies below a dot-directory does not count.
 * Whatever is unsure refuses: a name that cannot be read (no /proc: ERROR), one that does not
 * fit PATH_MAX, one not absolute or not beneath subdir's, one marked " (deleted)". A rename
 * racing with the check changes only names the renamer could change anyway, and the file was
 * opened with the user's credentials; a hard link is a name like any other (the check sees
 * the name the look-up went through).
 *
 * Listing reopens the directory (openat(dirfd, ".")) so that its offset is ours, then stats
 * each entry with fstatat(AT_SYMLINK_NOFOLLOW), all as the user: every entry, since whether it
 * is listed (its type, its owner) is what the total counts. Only the first keep names (by
 * strcmp) are kept, in a max-heap, so a page near the start of a large directory costs no more
 * memory than that page; and the reading stops as soon as the visible entries pass the
 * bounds (their number, or what they would cost to hold), so a directory of millions of
 * entries is refused after max_total of them rather than read to its end. The bounds count
 * every visible entry, kept or not, so that whether a directory can be listed does not depend
 * on which page is asked for. */
#include "ta_confine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/capability.h>

#if defined(SYS_openat2) && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif
#endif

/* The thread-local setgroups: on 32-bit x86 and ARM the plain call takes 16-bit ids. */
#ifdef SYS_setgroups32
#define SYS_SETGROUPS SYS_setgroups32
#else
#define SYS_SETGROUPS SYS_setgroups
#endif

/* The capabilities that would let a thread ignore file permissions. */
#define DAC_CAPS ((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER))

/* Flags of the directory steps (home, subdir) and of the final open. */
#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)
#define FINAL_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* What a failed look-up or open means to the client. */
static ta_confine_status from_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return TA_CONFINE_NOT_FOUND;
    case EXDEV:  /* RESOLVE_BENEATH / RESOLVE_NO_XDEV: an escape */
    case ELOOP:  /* a magic link, a symlink where none is allowed, or a loop */
    case EACCES: /* the user's own permissions said no */
    case EPERM:
    case ENXIO: /* a socket (or a device without its driver) */
    case ENODEV:
        return TA_CONFINE_FORBIDDEN;
    case ENAMETOOLONG:
        return TA_CONFINE_BAD_PATH;
    default:
        return TA_CONFINE_ERROR;
    }
}

/* --- names ------------------------------------------------------------------------------ */

/* Check a relative, '/'-separated path before it goes near the file system: no leading '/',
 * no empty, "." or ".." component, no control bytes, each component at most NAME_MAX bytes,
 * the whole under PATH_MAX; one trailing '/' allowed (*trailing_slash set). Other bytes,
 * UTF-8 or not, are a name's own business. "" is allowed only when allow_empty. With
 * deny_hidden, a component starting with '.' makes it FORBIDDEN, but only once the whole path
 * is known to be well-formed, so that a malformed path is always BAD_PATH. */
static ta_confine_status check_path(const char *s, int allow_empty, int deny_hidden,
                                    int *trailing_slash)
{
    size_t n = strnlen(s, PATH_MAX), i = 0;
    int hidden = 0;

    *trailing_slash = 0;
    if (n >= PATH_MAX)
        return TA_CONFINE_BAD_PATH;
    if (n == 0)
        return allow_empty ? TA_CONFINE_OK : TA_CONFINE_BAD_PATH;
    while (i < n) {
        size_t j = i;

        for (; j < n && s[j] != '/'; j++)
            if ((unsigned char)s[j] < 0x20 || s[j] == 0x7f)
                return TA_CONFINE_BAD_PATH;
        if (j == i || j - i > NAME_MAX) /* empty (leading '/', "a//b") or too long */
            return TA_CONFINE_BAD_PATH;
        if (s[i] == '.' && (j - i == 1 || (j - i == 2 && s[i + 1] == '.')))
            return TA_CONFINE_BAD_PATH;
        if (s[i] == '.')
            hidden = 1;
        if (j == n)
            break;
        i = j + 1;
        if (i == n)
            *trailing_slash = 1;
    }
    return hidden && deny_hidden ? TA_CONFINE_FORBIDDEN : TA_CONFINE_OK;
}

/* --- credentials ------------------------------------------------------------------------ */

/* The validated ids of a ta_creds, in the kernel's types. */
typedef struct {
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* malloc'd, ngroups of them (NULL when 0) */
    size_t ngroups;
    uid_t helper_euid; /* read once per call: every syscall counts on the file path */
} user_ids;

/* What the thread was before switching, to restore exactly that. */
#define SAVED_GROUPS_INLINE 32 /* the helper's own groups: root has one or two */

typedef struct {
    int switched; /* 0 for a helper that is not root: nothing to restore */
    uid_t fsuid;
    gid_t fsgid;
    gid_t *groups; /* inline, or malloc'd when the helper has more groups */
    int ngroups;
    gid_t inline_groups[SAVED_GROUPS_INLINE];
} saved_ids;

/* An id that fits the kernel's 32-bit type and is not (uid_t)-1, which means "no change". */
static int id_ok(unsigned long v)
{
    return v < (unsigned long)UINT32_MAX;
}

static void ids_free(user_ids *u)
{
    free(u->groups);
    u->groups = NULL;
}

/* Validate c and convert it. BAD_USER for uid 0, ids out of range, too many groups, or (for a
 * helper that is not root, which cannot switch) any uid but its own. */
static ta_confine_status ids_from(const ta_creds *c, user_ids *u)
{
    memset(u, 0, sizeof(*u));
    if (c == NULL || c->uid == 0 || !id_ok(c->uid) || !id_ok(c->gid) ||
        c->ngroups > TA_CONFINE_NGROUPS_MAX || (c->ngroups > 0 && c->groups == NULL))
        return TA_CONFINE_BAD_USER;
    u->helper_euid = geteuid();
    if (u->helper_euid != 0 && c->uid != (unsigned long)u->helper_euid)
        return TA_CONFINE_BAD_USER;
    u->uid = (uid_t)c->uid;
    u->gid = (gid_t)c->gid;
    if (c->ngroups == 0)
        return TA_CONFINE_OK;
    u->groups = malloc(c->ngroups * sizeof(gid_t));
    if (u->groups == NULL)
        return TA_CONFINE_ERROR;
    for (size_t i = 0; i < c->ngroups; i++) {
        if (!id_ok(c->groups[i])) {
            ids_free(u);
            return TA_CONFINE_BAD_USER;
        }
        u->groups[i] = (gid_t)c->groups[i];
    }
    u->ngroups = c->ngroups;
    return TA_CONFINE_OK;
}

/* 1 when the calling thread (capget pid 0) has none of DAC_CAPS in its effective set. */
static int dac_caps_gone(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) != 0)
        return 0;
    return (data[0].effective & DAC_CAPS) == 0;
}

/* The thread's current fsuid and fsgid: -1 is not a valid id, so nothing changes. */
static uid_t current_fsuid(void)
{
    return (uid_t)setfsuid((uid_t)-1);
}

static gid_t current_fsgid(void)
{
    return (gid_t)setfsgid((gid_t)-1);
}

static int set_groups(size_t n, const gid_t *list)
{
    return syscall(SYS_SETGROUPS, n, list) == 0 ? 0 : -1;
}

/* Put the thread back as it was; abort when it cannot be (see the top of the file). Frees
 * the saved groups. */
static void ids_restore(saved_ids *s)
{
    if (s->switched) {
        setfsuid(s->fsuid);
        if (current_fsuid() != s->fsuid)
            abort();
        setfsgid(s->fsgid);
        if (current_fsgid() != s->fsgid)
            abort();
        if (set_groups((size_t)s->ngroups, s->groups) != 0)
            abort();
        s->switched = 0;
    }
    if (s->groups != s->inline_groups)
        free(s->groups);
    s->groups = NULL;
}

/* The thread's own supplementary groups into s: one getgroups call in the usual case. */
static int save_groups(saved_ids *s)
{
    int n = getgroups(SAVED_GROUPS_INLINE, s->inline_groups);

    if (n >= 0) {
        s->groups = s->inline_groups;
        s->ngroups = n;
        return 0;
    }
    if (errno != EINVAL || (n = getgroups(0, NULL)) < 0)
        return -1;
    s->groups = malloc(((size_t)n + 1) * sizeof(gid_t));
    if (s->groups == NULL)
        return -1;
    s->ngroups = getgroups(n, s->groups);
    return s->ngroups == n ? 0 : -1;
}

/* Become u, in this thread only: groups, fsgid, fsuid, each verified, then check that the
 * file system capabilities are gone. 0, or -1 with the thread restored. */
static int ids_switch(const user_ids *u, saved_ids *s)
{
    s->switched = 0;
    s->groups = NULL;
    if (u->helper_euid != 0) /* not root: act as ourselves (ids_from checked the uid) */
        return dac_caps_gone() ? 0 : -1;
    s->fsuid = current_fsuid();
    s->fsgid = current_fsgid();
    if (s->fsuid != 0) /* already switched: a caller bug; restoring would be guesswork */
        return -1;
    if (save_groups(s) != 0) {
        ids_restore(s);
        return -1;
    }
    s->switched = 1; /* from here on, ids_restore puts back every id, changed or not */
    if (set_groups(u->ngroups, u->groups) != 0)
        goto fail;
    setfsgid(u->gid);
    if (current_fsgid() != u->gid)
        goto fail;
    setfsuid(u->uid);
    if (current_fsuid() != u->uid || !dac_caps_gone())
        goto fail;
    return 0;
fail:
    ids_restore(s);
    return -1;
}

/* After the work, before restoring: still the user, still without file capabilities? Code
 * elsewhere in the process (a PAM module calling glibc's seteuid, which glibc applies to every
 * thread) could have changed the ids while the thread worked; then its result is not used. */
static int still_user(const user_ids *u, const saved_ids *s)
{
    if (!s->switched)
        return 1; /* a helper that is not root never switched */
    return current_fsuid() == u->uid && dac_caps_gone();
}

/* --- openat2 ---------------------------------------------------------------------------- */

#ifdef HAVE_OPENAT2
#define RESOLVE_FLAGS (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

static int have_openat2;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

/* openat2 with our resolve flags (and extra ones); the fd, or -1 with errno. Retries once on
 * EAGAIN (a rename raced with a ".." in the look-up; we do not use RESOLVE_CACHED). */
static int openat2_beneath(int dirfd, const char *path, int flags, unsigned long long extra)
{
    struct open_how how;
    long fd;

    memset(&how, 0, sizeof(how)); /* a larger struct in newer headers must stay zero */
    how.flags = (unsigned long long)(flags | O_LARGEFILE);
    how.resolve = RESOLVE_FLAGS | extra;
    fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    if (fd < 0 && errno == EAGAIN)
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    return (int)fd;
}

/* A real call with every flag we use, rather than a guess from the kernel version: a seccomp
 * filter may refuse the system call (ENOSYS or EPERM) where the kernel has it. Any failure
 * means the fallback, which is only stricter. */
static void probe(void)
{
    int root = open("/", DIR_FLAGS), fd;

    if (root < 0)
        return;
    fd = openat2_beneath(root, ".", DIR_FLAGS, RESOLVE_NO_SYMLINKS);
    if (fd >= 0) {
        have_openat2 = 1;
        close(fd);
    }
    close(root);
}

int ta_confine_have_openat2(void)
{
    if (pthread_once(&probe_once, probe) != 0)
        return 0;
    return have_openat2;
}
#else
int ta_confine_have_openat2(void)
{
    return 0;
}
#endif

/* --- the fallback walk ------------------------------------------------------------------ */

/* Step from dirfd into the directory name: O_PATH|O_NOFOLLOW opens a symlink itself, which
 * fstat then shows; a symlink is FORBIDDEN, a non-directory NOT_FOUND (as ENOTDIR), another
 * device FORBIDDEN. */
static ta_confine_status step_dir(int dirfd, const char *name, dev_t dev, int *out)
{
    struct stat st;
    int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return from_errno(errno);
    if (fstat(fd, &st) != 0) {
        close(fd);
        return TA_CONFINE_ERROR;
    }
    if (S_ISLNK(st.st_mode) || st.st_dev != dev || !S_ISDIR(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode) ? TA_CONFINE_FORBIDDEN
                                                          : TA_CONFINE_NOT_FOUND;
    }
    *out = fd;
    return TA_CONFINE_OK;
}

/* Open the last name of a walk with flags (no O_PATH). A symlink gives ELOOP under
 * O_NOFOLLOW, or ENOTDIR when O_DIRECTORY was asked; in that case one lstat tells a symlink
 * (FORBIDDEN) from a plain non-directory (NOT_FOUND). It only classifies the failure: nothing
 * is opened through that second look-up. */
static ta_confine_status open_last(int dirfd, const char *name, int flags, dev_t dev, int *out)
{
    struct stat st;
    int fd = openat(dirfd, name, flags | O_NOFOLLOW), e;

    if (fd < 0) {
        e = errno;
        if (e == ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            return TA_CONFINE_FORBIDDEN;
        return from_errno(e);
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return TA_CONFINE_ERROR;
    }
    if (st.st_dev != dev) {
        close(fd);
        return TA_CONFINE_FORBIDDEN;
    }
    *out = fd;
    return TA_CONFINE_OK;
}

/* Open path (checked by check_path; "" means base itself) below base one component at a
 * time, never following a symlink and never leaving base's device. flags are those of the last
 * open; with O_PATH the last component is a directory to go on from (subdir). */
static ta_confine_status walk(int base, const char *path, int flags, int *out)
{
    char name[NAME_MAX + 1];
    size_t n = strlen(path), i = 0;
    struct stat st;
    int cur = -1; /* the fd of the directory reached so far, -1 while it is base */

    if (fstat(base, &st) != 0)
        return TA_CONFINE_ERROR;
    if (n > 0 && path[n - 1] == '/') {
        flags |= O_DIRECTORY; /* and never pass the '/' on: "link/" follows even O_NOFOLLOW */
        n--;
    }
    if (n == 0)
        return open_last(base, ".", flags | O_DIRECTORY, st.st_dev, out);
    for (;;) {
        size_t j = i;
        ta_confine_status r;
        int at = cur >= 0 ? cur : base, fd = -1;

        while (j < n && path[j] != '/')
            j++;
        if (j - i > NAME_MAX) { /* check_path refused it already; never overflow name */
            r = TA_CONFINE_BAD_PATH;
        }
        else {
            memcpy(name, path + i, j - i);
            name[j - i] = '\0';
            if (j < n || (flags & O_PATH))
                r = step_dir(at, name, st.st_dev, &fd);
            else
                r = open_last(at, name, flags, st.st_dev, &fd);
        }
        if (cur >= 0)
            close(cur);
        if (r != TA_CONFINE_OK)
            return r;
        cur = fd;
        if (j >= n)
            break;
        i = j + 1;
    }
    *out = cur;
    return TA_CONFINE_OK;
}

/* --- opening ---------------------------------------------------------------------------- */

/* How one request resolves, across its opens. */
typedef struct {
    int use_openat2; /* 0 for the walk, or once openat2 turned out to be missing */
    int deny_hidden; /* TokenAuthHidden deny: the rule holds for the resolved path too */
    int followed;    /* a symlink was on the way below subdir: check the resolved path */
} resolution;

/* Open path below dirfd with flags, by openat2 while rs->use_openat2, else by the walk. An
 * openat2 that turns out to be missing (ENOSYS) switches it off. watch: path lies below
 * subdir, so with hidden names denied a symlink on the way sets rs->followed. */
static ta_confine_status open_below(int dirfd, const char *path, int flags, resolution *rs,
                                    int watch, int *out)
{
#ifdef HAVE_OPENAT2
    if (rs->use_openat2) {
        size_t n = strlen(path);
        const char *p = n ? path : ".";
        int f = n ? flags : flags | O_DIRECTORY, fd = -1;

        watch = watch && rs->deny_hidden;
        /* without symlinks, the names checked are the whole path: nothing more to check */
        if (watch)
            fd = openat2_beneath(dirfd, p, f, RESOLVE_NO_SYMLINKS);
        if (fd < 0 && (!watch || errno == ELOOP)) {
            rs->followed |= watch;
            fd = openat2_beneath(dirfd, p, f, 0);
        }
        if (fd >= 0) {
            *out = fd;
            return TA_CONFINE_OK;
        }
        if (errno != ENOSYS)
            return from_errno(errno);
        rs->use_openat2 = 0;
    }
#else
    (void)watch;
    rs->use_openat2 = 0;
#endif
    return walk(dirfd, path, flags, out);
}

/* What the kernel calls our descriptor fd, into buf (cap bytes, NUL-terminated). 0, or -1
 * when it cannot be read or does not fit. */
static int fd_path(int fd, char *buf, size_t cap)
{
    char link[32];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, buf, cap);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* The hidden rule on what fd resolved to, below root: see the opening comment. */
static ta_confine_status check_resolved(int root, int fd)
{
    char root_path[PATH_MAX], fd_name[PATH_MAX];

    if (fd_path(root, root_path, sizeof(root_path)) != 0 ||
        fd_path(fd, fd_name, sizeof(fd_name)) != 0)
        return TA_CONFINE_ERROR;
    return ta_confine_visible_below(root_path, fd_name) ? TA_CONFINE_OK : TA_CONFINE_FORBIDDEN;
}

/* Below root (subdir's descriptor): the scope's directory, rel beneath it with flags, and the
 * hidden rule on the result. */
/* The scope's own directory below root, through real directories only: a link anywhere on
 * its way (a group member who swapped a shared folder, or a folder of the link's scope, for
 * "team -> ..") would move the whole scope elsewhere in the subdir. Links inside the scope are
 * followed as usual, beneath it. The walk follows no link at all. */
static ta_confine_status open_scope_dir(int root, const char *scope, resolution *rs, int *out)
{
#ifdef HAVE_OPENAT2
    if (rs->use_openat2) {
        int fd = openat2_beneath(root, scope, DIR_FLAGS, RESOLVE_NO_SYMLINKS);

        if (fd >= 0) {
            *out = fd;
            return TA_CONFINE_OK;
        }
        if (errno != ENOSYS)
            return from_errno(errno); /* ELOOP: a link on the way */
        rs->use_openat2 = 0;
    }
#endif
    return walk(root, scope, DIR_FLAGS, out);
}

static ta_confine_status open_in_scope(int root, const char *scope, const char *rel, int flags,
                                       resolution *rs, int *out)
{
    int scope_fd = root, fd = -1;
    ta_confine_status r = TA_CONFINE_OK;

    if (scope[0] != '\0')
        r = open_scope_dir(root, scope, rs, &scope_fd);
    if (r == TA_CONFINE_OK)
        r = open_below(scope_fd, rel, flags, rs, 1, &fd);
    if (scope_fd != root)
        close(scope_fd);
    if (r == TA_CONFINE_OK && rs->followed && (r = check_resolved(root, fd)) != TA_CONFINE_OK)
        close(fd);
    if (r == TA_CONFINE_OK)
        *out = fd;
    return r;
}

/* The part that runs as the user: home, subdir below it, then scope and rel below that. */
static ta_confine_status open_as_user(const char *home, const char *subdir, const char *scope,
                                      const char *rel, int rel_flags, resolution *rs, uid_t uid,
                                      int *out)
{
    int home_fd = open(home, DIR_FLAGS), sub_fd = -1;
    struct stat hs;
    ta_confine_status r;

    if (home_fd < 0)
        return from_errno(errno);
    /* A home that is not the user's own ("/" of a system account, /usr/sbin of daemon, a
     * shared root-owned directory) is not a home to serve, whoever asks. */
    if (fstat(home_fd, &hs) != 0 || hs.st_uid != uid) {
        close(home_fd);
        return TA_CONFINE_FORBIDDEN;
    }
    r = open_below(home_fd, subdir, DIR_FLAGS, rs, 0, &sub_fd);
    close(home_fd);
    if (r != TA_CONFINE_OK)
        return r;
    r = open_in_scope(sub_fd, scope, rel, rel_flags, rs, out);
    close(sub_fd);
    return r;
}

/* Decide on what was opened: its type, its owner. Closes fd unless the answer is OK/IS_DIR. */
static ta_confine_status judge(int fd, const user_ids *u, const ta_confine_policy *p,
                               struct stat *st)
{
    ta_confine_status r;

    /* O_NONBLOCK (from the open, so that a FIFO could not block) stays: it has no effect on
     * regular files and directories, and clearing it would cost two calls per request */
    if (fstat(fd, st) != 0)
        r = TA_CONFINE_ERROR;
    else if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
        r = TA_CONFINE_FORBIDDEN; /* FIFO, socket, device */
    else if (p->owner_only && st->st_uid != u->uid)
        r = TA_CONFINE_FORBIDDEN; /* also a hard link to someone else's file */
    else
        return S_ISDIR(st->st_mode) ? TA_CONFINE_IS_DIR : TA_CONFINE_OK;
    close(fd);
    return r;
}

ta_confine_status ta_confine_open(const char *home, const char *subdir, const char *rel,
                                  const ta_creds *c, const ta_confine_policy *p, int *fd,
                                  struct stat *st)
{
    return ta_confine_open_scoped(home, subdir, "", rel, c, p, fd, st);
}

ta_confine_status ta_confine_open_scoped(const char *home, const char *subdir, const char *scope,
                                         const char *rel, const ta_creds *c,
                                         const ta_confine_policy *p, int *fd, struct stat *st)
{
    user_ids u;
    saved_ids saved;
    ta_confine_status r;
    int slash, out = -1;
    resolution rs = {0, 0, 0};

    if (fd == NULL || st == NULL || p == NULL)
        return TA_CONFINE_ERROR;
    *fd = -1;
    if (home == NULL || home[0] != '/' || strnlen(home, PATH_MAX) >= PATH_MAX)
        return TA_CONFINE_BAD_USER;
    if (subdir == NULL || scope == NULL || rel == NULL)
        return TA_CONFINE_BAD_PATH;
    if (strcmp(subdir, ".") == 0)
        subdir = "";
    else if ((r = check_path(subdir, 0, 0, &slash)) != TA_CONFINE_OK)
        return r;
    if ((r = check_path(scope, 1, !p->allow_hidden, &slash)) != TA_CONFINE_OK ||
        (r = check_path(rel, 1, !p->allow_hidden, &slash)) != TA_CONFINE_OK)
        return r;
    if ((r = ids_from(c, &u)) != TA_CONFINE_OK)
        return r;
    rs.use_openat2 = !p->force_fallback && ta_confine_have_openat2();
    rs.deny_hidden = !p->allow_hidden;

    if (ids_switch(&u, &saved) != 0) {
        ids_free(&u);
        return TA_CONFINE_ERROR;
    }
    r = open_as_user(home, subdir, scope, rel, FINAL_FLAGS | (slash ? O_DIRECTORY : 0), &rs, u.uid,
                     &out);
    if (!still_user(&u, &saved) && out >= 0) {
        close(out); /* something changed the thread's ids meanwhile: the open proves nothing */
        out = -1;
        r = TA_CONFINE_ERROR;
    }
    ids_restore(&saved);

    if (r == TA_CONFINE_OK)
        r = judge(out, &u, p, st);
    if (r == TA_CONFINE_OK || r == TA_CONFINE_IS_DIR)
        *fd = out;
    ids_free(&u);
    return r;
}

/* " (deleted)": what the kernel appends to the name of an unlinked file or directory. */
static int marked_deleted(const char *s)
{
    static const char mark[] = " (deleted)";
    size_t n = strlen(s), m = sizeof(mark) - 1;

    return n >= m && memcmp(s + n - m, mark, m) == 0;
}

/* 1 when s is one or more '/'-separated components, none empty, none starting with '.'. */
static int components_visible(const char *s)
{
    for (;;) {
        const char *slash = strchr(s, '/');

        if (*s == '\0' || *s == '/' || *s == '.')
            return 0;
        if (slash == NULL)
            return 1;
        s = slash + 1;
    }
}

int ta_confine_visible_below(const char *root, const char *resolved)
{
    size_t n;
    const char *below;

    if (root == NULL || resolved == NULL || root[0] != '/' || resolved[0] != '/' ||
        marked_deleted(root) || marked_deleted(resolved))
        return 0;
    n = strlen(root);
    if (n > 1 && root[n - 1] == '/')
        return 0; /* the kernel ends no directory's name with '/', but "/" */
    if (strncmp(resolved, root, n) != 0)
        return 0;
    below = resolved + n;
    if (*below == '\0')
        return 1; /* root itself */
    if (n > 1 && *below++ != '/')
        return 0; /* "/home/alice/pubx" is not beneath "/home/alice/pub" */
    return components_visible(below);
}

/* --- listing ---------------------------------------------------------------------------- */

/* The entries kept so far. Until it holds max entries it is a plain array; from then on a
 * max-heap by name (v[0] the greatest kept), so that a smaller name can replace the greatest.
 * total and bytes count every visible entry seen, kept or not; held the cost of those kept,
 * and turned says whether the bounds' wait_turn was called. */
typedef struct {
    ta_dirent *v;
    size_t n, cap, max;
    int heap, turned;
    size_t total, bytes, held;
    const ta_list_bounds *bounds;
} listing;

static int name_cmp(const ta_dirent *a, const ta_dirent *b)
{
    return strcmp(a->name, b->name);
}

static void sift_down(listing *l, size_t i)
{
    for (;;) {
        size_t big = i, left = 2 * i + 1, right = left + 1;
        ta_dirent t;

        if (left < l->n && name_cmp(&l->v[left], &l->v[big]) > 0)
            big = left;
        if (right < l->n && name_cmp(&l->v[right], &l->v[big]) > 0)
            big = right;
        if (big == i)
            return;
        t = l->v[i];
        l->v[i] = l->v[big];
        l->v[big] = t;
        i = big;
    }
}

/* Would an entry of this name be kept? (When the heap is full, only a smaller name is.) */
static int worth_keeping(const listing *l, const char *name)
{
    return l->max > 0 && (!l->heap || strcmp(name, l->v[0].name) < 0);
}

/* Count a visible entry against the bounds: 0, or -1 when the listing is now too large. */
static int listing_count(listing *l, const char *name)
{
    l->total++;
    l->bytes += TA_CONFINE_ENTRY_COST(strlen(name));
    return l->total > l->bounds->max_total || l->bytes > l->bounds->max_bytes ? -1 : 0;
}

/* Before the entries kept grow past the bounds' large: wait for a turn, once. 0, or -1 when
 * none was given. */
static int listing_turn(listing *l)
{
    const ta_list_bounds *b = l->bounds;

    if (l->turned || b->large == 0 || b->wait_turn == NULL || l->held <= b->large)
        return 0;
    l->turned = 1;
    return b->wait_turn(b->turn_arg);
}

/* Keep a visible entry if it is among the first max names. 0, or -1 when out of memory or
 * refused a turn (errno EBUSY). */
static int listing_add(listing *l, const char *name, const struct stat *st)
{
    ta_dirent e;

    if (!worth_keeping(l, name))
        return 0;
    /* a full heap gives up its greatest name for this one */
    l->held = l->held + TA_CONFINE_ENTRY_COST(strlen(name)) -
              (l->heap ? TA_CONFINE_ENTRY_COST(strlen(l->v[0].name)) : 0);
    if (listing_turn(l) != 0) {
        errno = EBUSY;
        return -1;
    }
    e.name = strdup(name);
    if (e.name == NULL)
        return -1;
    e.is_dir = S_ISDIR(st->st_mode);
    e.size = e.is_dir ? 0 : (long long)st->st_size;
    e.mtime = (long long)st->st_mtim.tv_sec;
    if (l->heap) {
        free(l->v[0].name);
        l->v[0] = e;
        sift_down(l, 0);
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ta_dirent *v;

        if (cap > l->max)
            cap = l->max;
        v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            free(e.name);
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = e;
    if (l->n == l->max) {
        l->heap = 1;
        for (size_t i = l->n / 2; i-- > 0;)
            sift_down(l, i);
    }
    return 0;
}

/* Sort the kept entries by name in place: a heapsort, which needs no memory besides the
 * array (qsort may copy it whole), on the heap they may already be. */
static void sort_listing(listing *l)
{
    size_t n = l->n;

    if (!l->heap)
        for (size_t i = n / 2; i-- > 0;)
            sift_down(l, i);
    while (l->n > 1) {
        ta_dirent t = l->v[0];

        l->v[0] = l->v[l->n - 1];
        l->v[--l->n] = t; /* the greatest of what is left goes last */
        sift_down(l, 0);
    }
    l->n = n;
}

/* Read the directory open on fd (ours) into l, as the user. */
static ta_confine_status read_entries(int fd, const user_ids *u, const ta_confine_policy *p,
                                      listing *l)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    struct stat st;
    int err = 0;

    if (d == NULL) {
        close(fd);
        return TA_CONFINE_ERROR;
    }
    for (;;) {
        const char *name;

        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            err = errno; /* 0 at the end of the directory */
            break;
        }
        name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (name[0] == '.' && !p->allow_hidden)
            continue; /* no need to stat what is never listed */
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP)
                continue; /* gone meanwhile, or not ours to see */
            err = errno;
            break;
        }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            continue; /* symlinks, FIFOs, sockets, devices */
        if (p->owner_only && st.st_uid != u->uid)
            continue;
        if (listing_count(l, name) != 0) {
            err = EFBIG;
            break;
        }
        if (listing_add(l, name, &st) != 0) {
            err = errno == EBUSY ? EBUSY : ENOMEM;
            break;
        }
    }
    closedir(d);
    return err == 0 ? TA_CONFINE_OK : err == EFBIG ? TA_CONFINE_TOO_LARGE : TA_CONFINE_ERROR;
}

ta_confine_status ta_confine_list(int dirfd, const ta_creds *c, const ta_confine_policy *p,
                                  const ta_list_bounds *b, ta_dirent **out, size_t *n,
                                  size_t *total)
{
    listing l = {.max = b ? b->keep : 0, .bounds = b};
    user_ids u;
    saved_ids saved;
    ta_confine_status r;
    int fd;

    if (out == NULL || n == NULL || total == NULL || p == NULL || b == NULL)
        return TA_CONFINE_ERROR;
    *out = NULL;
    *n = 0;
    *total = 0;
    if ((r = ids_from(c, &u)) != TA_CONFINE_OK)
        return r;
    if (ids_switch(&u, &saved) != 0) {
        ids_free(&u);
        return TA_CONFINE_ERROR;
    }
    /* our own open file description: readdir must not move the caller's offset */
    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        r = errno == EBADF || errno == ENOTDIR ? TA_CONFINE_ERROR : from_errno(errno);
    else
        r = read_entries(fd, &u, p, &l);
    if (!still_user(&u, &saved))
        r = TA_CONFINE_ERROR; /* see still_user: the listing proves nothing */
    ids_restore(&saved);
    ids_free(&u);

    if (r != TA_CONFINE_OK) {
        ta_dirent_free(l.v, l.n);
        return r;
    }
    sort_listing(&l);
    *out = l.v;
    *n = l.n;
    *total = l.total;
    return TA_CONFINE_OK;
}

void ta_dirent_free(ta_dirent *e, size_t n)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}
