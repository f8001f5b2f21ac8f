/* The revocation ledger: an open-addressing hash table in a MAP_SHARED file, guarded by a
 * process-shared robust mutex in its header.
 *
 * File layout (host byte order; the header records enough to refuse a foreign file):
 *   header, HEADER_SIZE bytes: magic "TAREVOK1", version, slot count, slot size, header size,
 *                              sizeof(pthread_mutex_t), the mutex
 *   slots[slot count], SLOT_SIZE bytes each
 *
 * A slot holds a 128-bit digest of (kind byte || string), the kind, a value (the token's exp
 * for a jti, the cutoff for a user) and expires_at. Kind 0 means never used; a slot is free
 * when never used or when expires_at <= now. Keys live within PROBE_LIMIT slots of their home
 * slot. Slots are never emptied (an expired slot is simply reusable), so there are no
 * tombstones, and a never-used slot ends every search: an insert only puts a key there when
 * every slot before it in the window was taken. */
#include "ta_revstore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "TAREVOK1"
#define MAGIC_LEN 8
#define VERSION 1u
#define HEADER_SIZE 128u
/* A bound on every search: a look-up costs at most this many slots, whatever the load. */
#define PROBE_LIMIT 64u

/* Stored in the slot and hashed first, so a user and a jti with the same text differ. */
enum { KIND_FREE = 0, KIND_JTI = 1, KIND_USER = 2 };

/* The value written to expires_at before a slot is rewritten: dead at any now. */
#define DEAD INT64_MIN

struct rev_slot {
    uint64_t digest[2];
    int64_t value;      /* exp (jti) or cutoff (user) */
    int64_t expires_at; /* free when <= now */
    uint32_t kind;      /* KIND_FREE until first used, never reset */
    uint32_t reserved;  /* zero */
};

struct rev_header {
    union {
        struct {
            char magic[MAGIC_LEN];
            uint32_t version;
            uint32_t slots;
            uint32_t slot_size;
            uint32_t header_size;
            uint32_t mutex_size; /* a 32-bit and a 64-bit process must not share one */
            uint32_t reserved;
            pthread_mutex_t lock;
        } h;
        unsigned char pad[HEADER_SIZE];
    } u;
};

_Static_assert(sizeof(struct rev_slot) == 40, "slot layout is part of the file format");
_Static_assert(sizeof(struct rev_header) == HEADER_SIZE, "the mutex must fit in the header");
_Static_assert(HEADER_SIZE % _Alignof(struct rev_slot) == 0, "slots must be aligned");
_Static_assert(PROBE_LIMIT <= TA_REVSTORE_SLOTS_MIN, "a window must not wrap onto itself");

struct ta_revstore {
    int fd;                 /* kept open for its flock: one user of the file at a time */
    struct rev_header *hdr; /* start of the mapping */
    struct rev_slot *slot;
    uint32_t mask; /* slots - 1 */
    size_t map_len;
};

static const char *const result_names[] = {
    [TA_REV_OK] = "ok",
    [TA_REV_FULL] = "full",
    [TA_REV_ERROR] = "error",
};

const char *ta_rev_result_name(ta_rev_result r)
{
    if ((size_t)r < sizeof(result_names) / sizeof(result_names[0]) && result_names[r])
        return result_names[r];
    return "unknown";
}

/* --- hashing ---------------------------------------------------------------------------- */

#define FNV_PRIME 0x100000001b3ULL
#define FNV_BASIS_A 0xcbf29ce484222325ULL /* the FNV-1a 64 offset basis */
#define FNV_BASIS_B 0x9e3779b97f4a7c15ULL /* any other odd constant: a second, distinct run */

/* The murmur3 finaliser: FNV-1a alone leaves its low bits, which pick the slot, weakly mixed. */
static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb93fe53b94d3ULL;
    k ^= k >> 33;
    return k;
}

/* A 128-bit digest of kind || s[0..n). Not cryptographic, and need not be: the strings are
 * token ids we generated and names of existing accounts, and a collision can only make a
 * token look revoked (refused), never make a revoked one pass. */
static void digest(unsigned kind, const char *s, size_t n, uint64_t out[2])
{
    uint64_t a = (FNV_BASIS_A ^ kind) * FNV_PRIME;
    uint64_t b = (FNV_BASIS_B ^ kind) * FNV_PRIME;

    for (size_t i = 0; i < n; i++) {
        a = (a ^ (unsigned char)s[i]) * FNV_PRIME;
        b = (b ^ (unsigned char)s[i]) * FNV_PRIME;
    }
    out[0] = fmix64(a);
    out[1] = fmix64(b ^ n);
}

/* The length of an acceptable id (jti or user name), or 0 for NULL, "" or too long. */
static size_t id_len(const char *s)
{
    size_t n;

    if (s == NULL)
        return 0;
    n = strnlen(s, TA_REVSTORE_ID_MAX + 1);
    return n <= TA_REVSTORE_ID_MAX ? n : 0;
}

/* --- locking ---------------------------------------------------------------------------- */

/* Take the table lock. 0 or -1. */
static int lock(ta_revstore *rs)
{
    pthread_mutex_t *m = &rs->hdr->u.h.lock;
    int rc = pthread_mutex_lock(m);

    if (rc == EOWNERDEAD) {
        /* A worker died holding the lock, in the middle of an operation. The table is still
         * consistent: a slot is retired (expires_at = DEAD) before its key changes and made
         * live again only by its last store (see put_new), and live slots only ever grow their
         * value and expiry. So whatever the dead process left is either a finished write or a
         * dead slot, never a live slot with a mixed-up key. Take the mutex over. */
        if (pthread_mutex_consistent(m) != 0) {
            pthread_mutex_unlock(m);
            return -1;
        }
        return 0;
    }
    return rc == 0 ? 0 : -1; /* ENOTRECOVERABLE and the like: the caller fails closed */
}

static void unlock(ta_revstore *rs)
{
    pthread_mutex_unlock(&rs->hdr->u.h.lock);
}

/* --- the table (all under the lock) ----------------------------------------------------- */

static int slot_is_key(const struct rev_slot *s, unsigned kind, const uint64_t d[2])
{
    return s->kind == kind && s->digest[0] == d[0] && s->digest[1] == d[1];
}

/* The live slot of key (kind, d) at now, or NULL. Stops at the first never-used slot, which
 * no key lies beyond; so on a sparse table this reads one slot. */
static const struct rev_slot *find_live(const ta_revstore *rs, unsigned kind, const uint64_t d[2],
                                        long long now)
{
    for (uint32_t i = 0; i < PROBE_LIMIT; i++) {
        const struct rev_slot *s = &rs->slot[(d[0] + i) & rs->mask];

        if (s->kind == KIND_FREE)
            return NULL;
        if (slot_is_key(s, kind, d))
            return s->expires_at > now ? s : NULL;
    }
    return NULL;
}

/* Write a new entry into slot s, which is free. The order is what keeps the table consistent
 * when the writer dies half-way (EOWNERDEAD): first retire the slot, so that while its key
 * changes it matches nothing at any clock, then write the key and value, and make it live with
 * the last store. The fences keep the compiler and the CPU from reordering these stores. */
static void put_new(struct rev_slot *s, unsigned kind, const uint64_t d[2], int64_t value,
                    int64_t expires_at)
{
    __atomic_store_n(&s->expires_at, DEAD, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    s->kind = kind;
    s->reserved = 0;
    s->digest[0] = d[0];
    s->digest[1] = d[1];
    s->value = value;
    __atomic_store_n(&s->expires_at, expires_at, __ATOMIC_RELEASE);
}

/* Store key (kind, d) with value until expires_at, merging with a live entry of the same key
 * by keeping the larger value and the later expiry: both only grow, so no half-done update can
 * weaken a revocation, and a repeated or delayed request changes nothing. */
static ta_rev_result put(ta_revstore *rs, unsigned kind, const uint64_t d[2], long long value,
                         long long expires_at, long long now)
{
    struct rev_slot *first_free = NULL;

    for (uint32_t i = 0; i < PROBE_LIMIT; i++) {
        struct rev_slot *s = &rs->slot[(d[0] + i) & rs->mask];

        if (slot_is_key(s, kind, d)) {
            if (s->expires_at <= now) {
                /* an expired entry of the same key: start afresh in its slot, so the key
                 * stays in one slot only */
                if (expires_at > now)
                    put_new(s, kind, d, value, expires_at);
                return TA_REV_OK;
            }
            if (value > s->value)
                s->value = value;
            if (expires_at > s->expires_at)
                s->expires_at = expires_at;
            return TA_REV_OK;
        }
        if (first_free == NULL && (s->kind == KIND_FREE || s->expires_at <= now))
            first_free = s;
        if (s->kind == KIND_FREE)
            break; /* the key is not beyond a never-used slot */
    }
    if (expires_at <= now)
        return TA_REV_OK; /* nothing to keep: the tokens it covers have expired */
    if (first_free == NULL)
        return TA_REV_FULL;
    put_new(first_free, kind, d, value, expires_at);
    return TA_REV_OK;
}

/* Hash the id, lock, store. */
static ta_rev_result store(ta_revstore *rs, unsigned kind, const char *id, long long value,
                           long long expires_at, long long now)
{
    size_t n = id_len(id);
    uint64_t d[2];
    ta_rev_result r;

    if (rs == NULL || n == 0)
        return TA_REV_ERROR;
    digest(kind, id, n, d);
    if (lock(rs) != 0)
        return TA_REV_ERROR;
    r = put(rs, kind, d, value, expires_at, now);
    unlock(rs);
    return r;
}

ta_rev_result ta_revstore_revoke_jti(ta_revstore *rs, const char *jti, long long exp, long long now)
{
    return store(rs, KIND_JTI, jti, exp, exp, now);
}

ta_rev_result ta_revstore_cut_user(ta_revstore *rs, const char *user, long long cutoff,
                                   long long keep_until, long long now)
{
    return store(rs, KIND_USER, user, cutoff, keep_until, now);
}

int ta_revstore_is_revoked(ta_revstore *rs, const char *jti, const char *user, long long iat,
                           long long now)
{
    size_t jn = id_len(jti), un = id_len(user);
    uint64_t dj[2], du[2];
    const struct rev_slot *s;
    int revoked;

    if (rs == NULL || jn == 0 || un == 0)
        return -1;
    /* hash outside the lock: the lock is shared by every worker */
    digest(KIND_JTI, jti, jn, dj);
    digest(KIND_USER, user, un, du);
    if (lock(rs) != 0)
        return -1;
    revoked = find_live(rs, KIND_JTI, dj, now) != NULL;
    if (!revoked) {
        s = find_live(rs, KIND_USER, du, now);
        revoked = s != NULL && iat <= s->value;
    }
    unlock(rs);
    return revoked;
}

int ta_revstore_is_revoked_unlocked(const ta_revstore *rs, const char *jti, const char *user,
                                    long long iat, long long now)
{
    size_t jn = id_len(jti), un = id_len(user);
    uint64_t dj[2], du[2];
    const struct rev_slot *s;

    if (rs == NULL || jn == 0 || un == 0)
        return -1;
    digest(KIND_JTI, jti, jn, dj);
    digest(KIND_USER, user, un, du);
    /* every index is masked with our own copy of the size, never read from the file: whatever
     * the shared memory holds, the reads stay inside the mapping */
    if (find_live(rs, KIND_JTI, dj, now) != NULL)
        return 1;
    s = find_live(rs, KIND_USER, du, now);
    return s != NULL && iat <= __atomic_load_n(&s->value, __ATOMIC_ACQUIRE);
}

size_t ta_revstore_live(ta_revstore *rs, long long now)
{
    size_t live = 0;

    if (rs == NULL || lock(rs) != 0)
        return (size_t)-1;
    for (uint32_t i = 0; i <= rs->mask; i++)
        if (rs->slot[i].kind != KIND_FREE && rs->slot[i].expires_at > now)
            live++;
    unlock(rs);
    return live;
}

/* --- opening ---------------------------------------------------------------------------- */

static void fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (err == NULL || errlen == 0)
        return;
    n = snprintf(err, errlen, "revocation ledger %s: ", path ? path : "(null)");
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* The hint every refusal of an existing file ends with: the administrator must choose, and
 * must know what removing the file costs. */
#define REMOVE_HINT "; fix it, or remove it to start empty (which forgets every revocation)"

static size_t ledger_size(unsigned slots)
{
    return HEADER_SIZE + (size_t)slots * sizeof(struct rev_slot);
}

static int slots_valid(unsigned slots)
{
    return slots >= TA_REVSTORE_SLOTS_MIN && slots <= TA_REVSTORE_SLOTS_MAX &&
           (slots & (slots - 1)) == 0;
}

/* Accept an existing ledger only when it is ours, private, and exactly what we would write:
 * anything else may be someone else's file, a file from another build, or a truncated one, and
 * using it would either clobber it or lose revocations. 0 or -1 with err set. */
static int check_existing(int fd, const char *path, unsigned slots, char *err, size_t errlen)
{
    struct stat st;
    struct rev_header hdr;
    ssize_t got;

    if (fstat(fd, &st) != 0) {
        fail(err, errlen, path, "cannot stat: %s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(err, errlen, path, "not a regular file" REMOVE_HINT);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        fail(err, errlen, path, "owned by uid %u, not by uid %u" REMOVE_HINT, (unsigned)st.st_uid,
             (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        fail(err, errlen, path, "mode %04o gives group or others access (use 0600)" REMOVE_HINT,
             (unsigned)(st.st_mode & 07777));
        return -1;
    }
    if (st.st_size < (off_t)sizeof(hdr)) {
        fail(err, errlen, path, "%lld bytes, too small for a header" REMOVE_HINT,
             (long long)st.st_size);
        return -1;
    }
    do
        got = pread(fd, &hdr, sizeof(hdr), 0);
    while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof(hdr)) {
        fail(err, errlen, path, "cannot read the header: %s",
             got < 0 ? strerror(errno) : "short read");
        return -1;
    }
    if (memcmp(hdr.u.h.magic, MAGIC, MAGIC_LEN) != 0) {
        fail(err, errlen, path, "not a revocation ledger (bad magic)" REMOVE_HINT);
        return -1;
    }
    if (hdr.u.h.version != VERSION || hdr.u.h.slot_size != sizeof(struct rev_slot) ||
        hdr.u.h.header_size != HEADER_SIZE || hdr.u.h.mutex_size != sizeof(pthread_mutex_t)) {
        fail(err, errlen, path,
             "format version %u (slot %u, header %u, lock %u bytes) is not ours (%u, %zu, %u, "
             "%zu)" REMOVE_HINT,
             hdr.u.h.version, hdr.u.h.slot_size, hdr.u.h.header_size, hdr.u.h.mutex_size, VERSION,
             sizeof(struct rev_slot), HEADER_SIZE, sizeof(pthread_mutex_t));
        return -1;
    }
    if (hdr.u.h.slots != slots) {
        fail(err, errlen, path, "holds %u slots, configured for %u" REMOVE_HINT, hdr.u.h.slots,
             slots);
        return -1;
    }
    if ((unsigned long long)st.st_size != ledger_size(slots)) {
        fail(err, errlen, path, "%lld bytes, expected %zu for %u slots" REMOVE_HINT,
             (long long)st.st_size, ledger_size(slots), slots);
        return -1;
    }
    return 0;
}

/* The process-shared robust mutex in the header: shared, because every worker maps the file;
 * robust, because a worker may be killed while holding it and the others must go on. 0 or -1.
 * Assumes no process is using the old one (see ta_revstore_open). */
static int init_lock(struct rev_header *hdr)
{
    pthread_mutexattr_t attr;
    int ok;

    if (pthread_mutexattr_init(&attr) != 0)
        return -1;
    ok = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) == 0 &&
         pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0 &&
         pthread_mutex_init(&hdr->u.h.lock, &attr) == 0;
    pthread_mutexattr_destroy(&attr);
    return ok ? 0 : -1;
}

/* Open path, creating it when missing; *created tells which. -1 with err set. */
static int open_ledger(const char *path, unsigned slots, int *created, char *err, size_t errlen)
{
    int fd;

    /* O_EXCL with O_NOFOLLOW: never create through, or open, a symbolic link planted at path */
    *created = 0;
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd >= 0) {
        *created = 1;
        /* the mode must not depend on the umask, or the next start would refuse the file */
        if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)ledger_size(slots)) != 0) {
            fail(err, errlen, path, "cannot create: %s", strerror(errno));
            close(fd);
            unlink(path); /* ours, empty, and never used */
            return -1;
        }
        return fd;
    }
    if (errno == EEXIST) {
        /* O_NONBLOCK: a FIFO at path must not hang the start-up; fstat refuses it next */
        fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0 && check_existing(fd, path, slots, err, errlen) != 0) {
            close(fd);
            return -1;
        }
        if (fd >= 0)
            return fd;
    }
    if (errno == ELOOP)
        fail(err, errlen, path, "is a symbolic link, refused" REMOVE_HINT);
    else
        fail(err, errlen, path, "cannot open: %s", strerror(errno));
    return -1;
}

/* Map fd's ledger of slots slots into rs with protection prot. 0, or -1 with err set. */
static int map_ledger(ta_revstore *rs, int fd, unsigned slots, int prot, const char *name,
                      char *err, size_t errlen)
{
    void *map;

    rs->map_len = ledger_size(slots);
    map = mmap(NULL, rs->map_len, prot, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        fail(err, errlen, name, "cannot map: %s", strerror(errno));
        return -1;
    }
    rs->fd = fd;
    rs->hdr = map;
    rs->slot = (struct rev_slot *)((unsigned char *)map + HEADER_SIZE);
    rs->mask = slots - 1;
    return 0;
}

ta_revstore *ta_revstore_open(const char *path, unsigned slots, char *err, size_t errlen)
{
    ta_revstore *rs;
    void *map;
    int fd, created;

    if (err && errlen)
        err[0] = '\0';
    if (path == NULL || path[0] == '\0') {
        fail(err, errlen, path, "no path");
        return NULL;
    }
    if (!slots_valid(slots)) {
        fail(err, errlen, path, "slot count %u is not a power of two from %u to %u", slots,
             TA_REVSTORE_SLOTS_MIN, TA_REVSTORE_SLOTS_MAX);
        return NULL;
    }
    rs = calloc(1, sizeof(*rs));
    if (rs == NULL) {
        fail(err, errlen, path, "out of memory");
        return NULL;
    }
    fd = open_ledger(path, slots, &created, err, errlen);
    if (fd < 0) {
        free(rs);
        return NULL;
    }
    /* The lock below is set up anew, which is only sound while nobody else uses the file:
     * a second Apache with the same runtime directory, or children of a previous one still
     * running, hold this flock (it follows the descriptor into forked children). */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fail(err, errlen, path, "%s",
             errno == EWOULDBLOCK ? "in use by another process (another Apache with the same "
                                    "DefaultRuntimeDir, or children of one still running)"
                                  : strerror(errno));
        close(fd);
        if (created)
            unlink(path);
        free(rs);
        return NULL;
    }
    if (map_ledger(rs, fd, slots, PROT_READ | PROT_WRITE, path, err, errlen) != 0) {
        close(fd);
        if (created)
            unlink(path);
        free(rs);
        return NULL;
    }
    map = rs->hdr;
    if (created) {
        /* ftruncate gave zeros: every slot is never-used. The magic goes last, so a file whose
         * creation was cut short is refused rather than half-trusted. */
        rs->hdr->u.h.version = VERSION;
        rs->hdr->u.h.slots = slots;
        rs->hdr->u.h.slot_size = sizeof(struct rev_slot);
        rs->hdr->u.h.header_size = HEADER_SIZE;
        rs->hdr->u.h.mutex_size = sizeof(pthread_mutex_t);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        memcpy(rs->hdr->u.h.magic, MAGIC, MAGIC_LEN);
    }
    if (init_lock(rs->hdr) != 0) {
        fail(err, errlen, path, "cannot set up the process-shared lock");
        goto fail_mapped;
    }
    return rs;

fail_mapped:
    munmap(map, rs->map_len);
    close(fd);
    if (created)
        unlink(path);
    free(rs);
    return NULL;
}

/* The file a ledger of slots slots must be: a regular file of root's (ours) with no group or
 * other access, of exactly the size. Nothing inside it is read: the header lies in memory that
 * Apache's children can write. 0, or -1 with err set. */
static int check_file(int fd, unsigned slots, const char *name, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        fail(err, errlen, name, "cannot stat: %s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IRWXG | S_IRWXO)) ||
        (unsigned long long)st.st_size != ledger_size(slots)) {
        fail(err, errlen, name, "not a ledger of %u slots owned by uid %u, mode 0600", slots,
             (unsigned)geteuid());
        return -1;
    }
    return 0;
}

ta_revstore *ta_revstore_attach(int fd, unsigned slots, const char *name, char *err, size_t errlen)
{
    ta_revstore *rs;

    if (err && errlen)
        err[0] = '\0';
    if (!slots_valid(slots)) {
        fail(err, errlen, name, "slot count %u is not a power of two from %u to %u", slots,
             TA_REVSTORE_SLOTS_MIN, TA_REVSTORE_SLOTS_MAX);
        return NULL;
    }
    if (check_file(fd, slots, name, err, errlen) != 0 || (rs = calloc(1, sizeof(*rs))) == NULL)
        return NULL;
    if (map_ledger(rs, fd, slots, PROT_READ, name, err, errlen) != 0) {
        free(rs);
        return NULL;
    }
    return rs;
}

void ta_revstore_forget_fd(ta_revstore *rs)
{
    if (rs != NULL && rs->fd >= 0) {
        close(rs->fd);
        rs->fd = -1;
    }
}

int ta_revstore_fd(const ta_revstore *rs)
{
    return rs ? rs->fd : -1;
}

void ta_revstore_close(ta_revstore *rs)
{
    if (rs == NULL)
        return;
    /* the mutex is not destroyed: forked workers may still hold the mapping */
    munmap(rs->hdr, rs->map_len);
    if (rs->fd >= 0)
        close(rs->fd);
    free(rs);
}
