/* Confined opens for the privileged helper (SPEC §6): open a file of user U below U's home
 * subdirectory with U's own credentials, never leaving that directory, and list a directory
 * the same way. The helper is root and multi-threaded (one thread per connection), so the
 * credentials are switched for the calling thread only; see ta_confine.c for the reasons. */
#ifndef TA_CONFINE_H
#define TA_CONFINE_H

#include <stddef.h>
#include <sys/stat.h>

#include "ta_filestatus.h"

/* The user to act as, numerically: the helper looks it up (getpwnam_r, getgrouplist) once, so
 * nothing here consults the user database again. */
typedef struct {
    unsigned long uid, gid;
    const unsigned long *groups; /* supplementary groups (getgrouplist) */
    size_t ngroups;
} ta_creds;

/* The kernel's own limit (NGROUPS_MAX); a longer list is refused as TA_CONFINE_BAD_USER. */
#define TA_CONFINE_NGROUPS_MAX 65536

typedef struct {
    int owner_only;     /* TokenAuthOwnerOnly On: serve only files (and list only entries) whose
                         * st_uid is creds.uid; applies to an opened directory as well */
    int allow_hidden;   /* TokenAuthHidden allow; 0 = deny: a dot-name component anywhere in rel
                         * (or scope) is refused, so is a file whose resolved path has one
                         * below subdir (through a symlink), and dot entries are not listed */
    int force_fallback; /* tests only: use the component walk even where openat2 exists */
} ta_confine_policy;

/* Open home/subdir/rel as creds.
 * home: the user's home from passwd (absolute; trusted: the administrator's);
 * subdir: TokenAuthHome's value ("." = the home itself, else a relative path of 1+ clean
 *         components, checked like rel but without the hidden-name rule: it is the
 *         administrator's configuration, not the request's);
 * rel: the request path below subdir, '/'-separated, "" meaning subdir itself; a trailing '/'
 *      is allowed (means: must be a directory).
 * Checks on the names (BAD_PATH, hidden names) come before any file system access.
 * On TA_CONFINE_OK or TA_CONFINE_IS_DIR, *fd is open (O_RDONLY|O_CLOEXEC, blocking; a
 * directory is usable with ta_confine_list and fdopendir, and carries O_DIRECTORY when it was
 * asked for with a trailing '/' or is subdir itself) and *st is its fstat. Otherwise *fd is -1
 * and nothing is left open. The calling thread's credentials are the same on return as on
 * entry, whatever the outcome. */
ta_confine_status ta_confine_open(const char *home, const char *subdir, const char *rel,
                                  const ta_creds *c, const ta_confine_policy *p, int *fd,
                                  struct stat *st);

/* As ta_confine_open, for a url or share token (SPEC §6: resolved beneath its scope). scope is
 * the scope's directory below subdir ("" for subdir itself), checked like rel (the hidden rule
 * included) and opened below subdir as a directory; rel is then resolved beneath it, so that
 * no symlink in rel reaches anything outside the scope's directory, even elsewhere in subdir.
 * ta_confine_open(home, subdir, rel, ...) is ta_confine_open_scoped(home, subdir, "", rel, ...). */
ta_confine_status ta_confine_open_scoped(const char *home, const char *subdir, const char *scope,
                                         const char *rel, const ta_creds *c,
                                         const ta_confine_policy *p, int *fd, struct stat *st);

/* The hidden rule on a resolved path (both as the kernel names an open descriptor): 1 when
 * resolved is root itself or lies beneath it, and no component of it below root starts with
 * '.'; components of root itself do not count. 0 otherwise, and 0 whenever the answer is not
 * sure: a path that is not absolute, or either ending in " (deleted)" (the kernel's mark for an
 * unlinked file, which a real name may also carry). */
int ta_confine_visible_below(const char *root, const char *resolved);

typedef struct {
    char *name; /* malloc'd */
    int is_dir;
    long long size;  /* bytes, 0 for directories */
    long long mtime; /* unix seconds */
} ta_dirent;

/* What one listing may take. The bounds hold for every visible entry of the directory,
 * whether kept or not, so that a directory is either listable, every page of it, or not. */
typedef struct {
    size_t keep;      /* the first keep entries by name are returned (0: none, the total only) */
    size_t max_total; /* more visible entries than this: TA_CONFINE_TOO_LARGE */
    size_t max_bytes; /* visible entries whose TA_CONFINE_ENTRY_COST adds up to more than this:
                       * TA_CONFINE_TOO_LARGE */
    /* Once the entries kept cost more than large (0: never), wait_turn(turn_arg) is called,
     * once, and the listing goes on only when it returns 0, else it ends TA_CONFINE_ERROR: the
     * helper lets only a few listings that hold much memory run at once. */
    size_t large;
    int (*wait_turn)(void *turn_arg);
    void *turn_arg;
} ta_list_bounds;

/* What an entry costs to hold: its record and its name (malloc's own overhead aside). */
#define TA_CONFINE_ENTRY_COST(name_len) (sizeof(ta_dirent) + (name_len) + 1)

/* The entries of an open directory fd (from ta_confine_open) as creds, sorted by name
 * (strcmp), without "." and "..", without dot-names unless allow_hidden, without entries not
 * owned by creds.uid when owner_only, without anything but regular files and directories
 * (symlinks are lstat'ed: fstatat(AT_SYMLINK_NOFOLLOW), and left out): the visible entries.
 * *total is their number, *out the first b->keep of them in that order (*n of them).
 * 0 on success (*out malloc'd, free with ta_dirent_free; *out may be NULL when *n is 0), or a
 * ta_confine_status (then *out is NULL, *n and *total 0): TA_CONFINE_TOO_LARGE when the
 * visible entries pass b's bounds (the directory is read no further then). Does not close
 * dirfd, nor move its offset. Memory stays bounded by b->keep entries, however large the
 * directory. */
ta_confine_status ta_confine_list(int dirfd, const ta_creds *c, const ta_confine_policy *p,
                                  const ta_list_bounds *b, ta_dirent **out, size_t *n,
                                  size_t *total);

/* Free a listing; NULL is fine. */
void ta_dirent_free(ta_dirent *e, size_t n);

/* 1 when this kernel's openat2 (RESOLVE_BENEATH and friends) is used, 0 when every confined
 * open takes the strict component walk (kernels before 5.6, or a seccomp filter that refuses
 * the call). Probed once; for the helper's start-up log line and for tests. */
int ta_confine_have_openat2(void);

#endif
