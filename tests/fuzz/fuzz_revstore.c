/* libFuzzer target: the revocation ledger's file (src/core/ta_revstore.c). The file outlives
 * Apache, and every Apache child can write the mapping, so ta_revstore_open and the helper's
 * ta_revstore_attach meet files that are foreign, truncated or corrupt, and tables whose slots
 * hold anything at all.
 *
 * Input: a flags byte (64 or 128 slots; the file's header canonical, or raw from the input, or
 * canonical with one byte changed, or no file at all; its size or mode wrong; every slot taken
 * by a live foreign entry first), a start time,
 * slots planted in the table (for a key of a small universe of jtis and users, at an offset from
 * its home slot, or with a raw digest; any kind, value and expiry), then a script of revocations,
 * cut-offs, clock steps and look-ups.
 *
 * Invariants. open accepts exactly the files whose header fields (magic, version, slot count,
 * slot, header and lock sizes) are what we write and whose size and mode are right, and attach
 * exactly those of the right size and mode, whatever their contents; a refusal says so in err,
 * names the file, and leaves it byte for byte as it was (never reset: that would forget
 * revocations); an accepted file's slots are not changed by opening; a missing file is created
 * 0600, of the right size, canonical and empty. The slot digest is restated here (it is part of
 * the file format: a ledger written by one build must be read by the next) and checked against a
 * real write. On any table, however corrupt: the locked look-up and the helper's lock-free one
 * on its read-only mapping agree; ta_revstore_live is the count of live slots in the file's
 * bytes; a store changes at most one slot, and nothing when it says FULL; FULL happens only when
 * every slot of the 64-slot probe window is live (for 64 slots: exactly when all are); a store
 * never weakens a live entry (a changed live slot keeps its key, and its value and expiry do not
 * go down) nor un-revokes the key it stores; and every revocation or cut-off reported stored is
 * in force, at every later clock, until its own expiry. */
#include "fuzz.h"
#include "ta_revstore.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file format, restated. */
#define MAGIC "TAREVOK1"
#define HEADER_SIZE 128
#define HEADER_CHECKED 32 /* magic, version, slots, slot size, header size, lock size, reserved */
#define SLOT_SIZE 40
#define PROBE_WINDOW 64
#define KIND_JTI 1
#define KIND_USER 2

#define KEYS 8        /* jtis and users in the universe, each */
#define PLANTS_MAX 24 /* slots planted per input */
#define OPS_MAX 32    /* script steps per input */
#define FACTS_MAX 64  /* stored revocations remembered per input */
#define PROBES 3      /* iats a user's cut-off is looked at with around a store */
#define FILE_MAX (HEADER_SIZE + 128 * SLOT_SIZE)
#define FILE_ROOM (FILE_MAX + 256) /* a file up to 127 bytes too long */

typedef struct {
    int user;        /* 0: a jti (revoked while now < until), 1: a user cut-off */
    int key;         /* index in the universe */
    long long value; /* the cut-off (users) */
    long long until; /* its expiry */
} fact;

typedef struct {
    const uint8_t *p;
    size_t left;
} input;

static char dir[256], path[300];
static char jti[KEYS][40], user[KEYS][16];
static const char NO_JTI[] = "fuzz-jti-never-revoked-0000";
static const char NO_USER[] = "fuzz-user-never-cut";

/* a + b, held within the range of long long. */
static long long add_sat(long long a, long long b)
{
    long long r;

    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? LLONG_MAX : LLONG_MIN;
    return r;
}

static uint64_t take(input *in, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | (in->left ? *in->p : 0);
        if (in->left) {
            in->p++;
            in->left--;
        }
    }
    return v;
}

/* --- the digest, restated ----------------------------------------------------------------- */

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb93fe53b94d3ULL;
    k ^= k >> 33;
    return k;
}

/* FNV-1a 64 twice (two offset bases, the kind first), each through murmur3's finaliser. */
static void digest(unsigned kind, const char *s, uint64_t out[2])
{
    uint64_t a = (0xcbf29ce484222325ULL ^ kind) * 0x100000001b3ULL;
    uint64_t b = (0x9e3779b97f4a7c15ULL ^ kind) * 0x100000001b3ULL;
    size_t n = strlen(s);

    for (size_t i = 0; i < n; i++) {
        a = (a ^ (unsigned char)s[i]) * 0x100000001b3ULL;
        b = (b ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    }
    out[0] = fmix64(a);
    out[1] = fmix64(b ^ n);
}

/* --- the file ------------------------------------------------------------------------------ */

static size_t file_size(unsigned slots)
{
    return HEADER_SIZE + (size_t)slots * SLOT_SIZE;
}

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void canonical_header(unsigned char *h, unsigned slots)
{
    memset(h, 0, HEADER_SIZE);
    memcpy(h, MAGIC, 8);
    put32(h + 8, 1);
    put32(h + 12, slots);
    put32(h + 16, SLOT_SIZE);
    put32(h + 20, HEADER_SIZE);
    put32(h + 24, (uint32_t)sizeof(pthread_mutex_t));
}

/* 1 when open must accept this header (the fields it documents; the rest is not looked at). */
static int header_ok(const unsigned char *h, unsigned slots)
{
    unsigned char want[HEADER_SIZE];

    canonical_header(want, slots);
    return memcmp(h, want, 28) == 0; /* up to the lock size; reserved is not checked */
}

static void write_slot(unsigned char *s, const uint64_t d[2], int64_t value, int64_t expires,
                       uint32_t kind, uint32_t reserved)
{
    memcpy(s, d, 16);
    memcpy(s + 16, &value, 8);
    memcpy(s + 24, &expires, 8);
    memcpy(s + 32, &kind, 4);
    memcpy(s + 36, &reserved, 4);
}

/* The whole file into buf (FILE_ROOM bytes); its length. */
static size_t read_file(unsigned char *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    CHECK(fd >= 0);
    n = pread(fd, buf, FILE_ROOM, 0);
    CHECK(n >= 0);
    close(fd);
    return (size_t)n;
}

static size_t live_in_file(unsigned slots, long long now)
{
    static unsigned char buf[FILE_ROOM];
    size_t n = read_file(buf), live = 0;

    CHECK(n == file_size(slots));
    for (unsigned i = 0; i < slots; i++) {
        const unsigned char *s = buf + HEADER_SIZE + (size_t)i * SLOT_SIZE;
        int64_t exp;
        uint32_t kind;

        memcpy(&exp, s + 24, 8);
        memcpy(&kind, s + 32, 4);
        live += kind != 0 && exp > now;
    }
    return live;
}

/* --- set-up -------------------------------------------------------------------------------- */

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

/* The digest restated above is the one the ledger writes: revoke one jti in a fresh 64-slot
 * ledger and find it in its home slot. */
static void check_digest_is_the_format(void)
{
    unsigned char buf[FILE_ROOM];
    uint64_t d[2], got[2];
    char err[512];
    ta_revstore *rs = ta_revstore_open(path, 64, err, sizeof(err));
    size_t at;

    CHECK(rs != NULL);
    CHECK(ta_revstore_revoke_jti(rs, jti[0], 2000, 1000) == TA_REV_OK);
    ta_revstore_close(rs);
    digest(KIND_JTI, jti[0], d);
    CHECK(read_file(buf) == file_size(64));
    at = HEADER_SIZE + (size_t)(d[0] & 63) * SLOT_SIZE;
    memcpy(got, buf + at, 16);
    CHECK(got[0] == d[0] && got[1] == d[1]);
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(dir, sizeof(dir), "%s/fuzz_revstore.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/ledger", dir);
    atexit(remove_dir);
    for (int k = 0; k < KEYS; k++) {
        snprintf(jti[k], sizeof(jti[k]), "fuzzjti%d-AAAAAAAAAAAAAAAAAAAAAA", k);
        snprintf(user[k], sizeof(user[k]), "user%d", k);
    }
    check_digest_is_the_format();
    return 0;
}

/* The planted slots: for a key of the universe at an offset from its home, or a raw digest. */
static void plant(input *in, unsigned char *slots_area, unsigned slots, long long now)
{
    unsigned n = (unsigned)take(in, 1) % (PLANTS_MAX + 1);

    for (unsigned i = 0; i < n && in->left; i++) {
        unsigned pos = (unsigned)take(in, 1), how = (unsigned)take(in, 1);
        uint32_t kind = how & 3, reserved = 0;
        uint64_t d[2];
        int64_t value, expires;

        if (how & 4) {
            int is_user = (how >> 3) & 1, k = (how >> 4) & 7;
            digest(is_user ? KIND_USER : KIND_JTI, is_user ? user[k] : jti[k], d);
            pos = (unsigned)((d[0] + pos % PROBE_WINDOW) & (slots - 1));
        }
        else {
            d[0] = take(in, 8);
            d[1] = take(in, 8);
            pos %= slots;
        }
        if (how & 0x80) { /* raw fields: any kind, time and reserved bits */
            kind = (uint32_t)take(in, 4);
            reserved = (uint32_t)take(in, 4);
            value = (int64_t)take(in, 8);
            expires = (int64_t)take(in, 8);
        }
        else { /* near the clock */
            value = add_sat(now, (int16_t)take(in, 2));
            expires = add_sat(now, (int16_t)take(in, 2));
        }
        write_slot(slots_area + (size_t)pos * SLOT_SIZE, d, value, expires, kind, reserved);
    }
}

/* Write the ledger file the flags ask for; 1 when open must accept it. */
static int make_file(input *in, unsigned flags, unsigned slots, long long now, int *missing)
{
    static unsigned char img[FILE_MAX];
    size_t size = file_size(slots);
    unsigned state = (flags >> 1) & 3;
    int fd, good_size = 1, good_mode = !(flags & 0x10);

    memset(img, 0, sizeof(img));
    canonical_header(img, slots);
    if (state == 1) {
        for (size_t i = 0; i < HEADER_CHECKED; i++)
            img[i] = (unsigned char)take(in, 1);
    }
    else if (state == 2) {
        unsigned at = (unsigned)take(in, 1) % HEADER_SIZE;
        img[at] = (unsigned char)take(in, 1);
    }
    if (flags & 0x20) /* a table with no free slot: every slot live, under a foreign key */
        for (unsigned i = 0; i < slots; i++) {
            uint64_t d[2] = {0x5eed0000u + i, i};
            write_slot(img + HEADER_SIZE + (size_t)i * SLOT_SIZE, d, 0, LLONG_MAX, KIND_JTI, 0);
        }
    plant(in, img + HEADER_SIZE, slots, now);
    unlink(path);
    *missing = state == 3;
    if (*missing)
        return 1;
    if (flags & 8) {
        int delta = (int8_t)take(in, 1);
        delta = delta ? delta : 1;
        size = (size_t)((long)size + delta);
        good_size = 0;
    }
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK(fchmod(fd, good_mode ? 0600 : 0640) == 0);
    CHECK(pwrite(fd, img, size < sizeof(img) ? size : sizeof(img), 0) >= 0);
    CHECK(ftruncate(fd, (off_t)size) == 0);
    close(fd);
    return header_ok(img, slots) && good_size && good_mode;
}

/* --- the script ---------------------------------------------------------------------------- */

typedef struct {
    ta_revstore *rs, *ro; /* the parent's (locked) and the helper's (read-only) */
    unsigned slots;
    long long now;
    fact facts[FACTS_MAX];
    size_t nfacts;
} run;

/* Locked and lock-free look-ups agree; the answer. */
static int revoked(const run *r, const char *j, const char *u, long long iat)
{
    int a = ta_revstore_is_revoked(r->rs, j, u, iat, r->now);
    int b = ta_revstore_is_revoked_unlocked(r->ro, j, u, iat, r->now);

    CHECK(a == 0 || a == 1);
    CHECK(a == b);
    return a;
}

/* Every stored fact still in force at r->now is answered as revoked. */
static void check_facts(const run *r)
{
    for (size_t i = 0; i < r->nfacts; i++) {
        const fact *f = &r->facts[i];

        if (f->until <= r->now)
            continue;
        if (f->user)
            CHECK(revoked(r, NO_JTI, user[f->key], f->value) == 1);
        else
            CHECK(revoked(r, jti[f->key], NO_USER, LLONG_MAX) == 1);
    }
}

/* The answers for one key of the universe: a jti, or a user at every probe iat. */
static void answers(const run *r, int is_user, int k, const long long *probes, int8_t *out)
{
    if (!is_user) {
        out[0] = (int8_t)revoked(r, jti[k], NO_USER, LLONG_MAX);
        return;
    }
    for (int p = 0; p < PROBES; p++)
        out[p] = (int8_t)revoked(r, NO_JTI, user[k], probes[p]);
}

static void remember(run *r, int is_user, int key, long long value, long long until)
{
    if (until > r->now && r->nfacts < FACTS_MAX)
        r->facts[r->nfacts++] = (fact){is_user, key, value, until};
}

/* How many slots differ between two file images; a slot live at now that changed must still
 * hold the same key, with a value and an expiry no smaller (a store never weakens an entry). */
static unsigned slots_changed(const unsigned char *a, const unsigned char *b, unsigned slots,
                              long long now)
{
    unsigned n = 0;

    CHECK(memcmp(a, b, HEADER_CHECKED) == 0);
    for (unsigned i = 0; i < slots; i++) {
        const unsigned char *o = a + HEADER_SIZE + (size_t)i * SLOT_SIZE;
        const unsigned char *w = b + HEADER_SIZE + (size_t)i * SLOT_SIZE;
        int64_t ov, oe, wv, we;
        uint32_t ok;

        if (memcmp(o, w, SLOT_SIZE) == 0)
            continue;
        n++;
        memcpy(&ov, o + 16, 8);
        memcpy(&oe, o + 24, 8);
        memcpy(&ok, o + 32, 4);
        memcpy(&wv, w + 16, 8);
        memcpy(&we, w + 24, 8);
        if (ok == 0 || oe <= now)
            continue; /* a free slot, taken */
        CHECK(memcmp(o, w, 16) == 0 && memcmp(o + 32, w + 32, 4) == 0);
        CHECK(wv >= ov && we >= oe);
    }
    return n;
}

/* One revocation or cut-off, held to every rule of a store. */
static void store(run *r, input *in, unsigned op)
{
    static unsigned char before[FILE_ROOM], after[FILE_ROOM];
    int8_t ans_before[PROBES], ans_after[PROBES];
    int is_user = op & 1, k = (op >> 2) & 7, raw = (op >> 5) & 1;
    long long value = raw ? (long long)take(in, 8) : add_sat(r->now, (int16_t)take(in, 2));
    long long until =
        is_user ? (raw ? (long long)take(in, 8) : add_sat(r->now, (int16_t)take(in, 2))) : value;
    long long probes[PROBES] = {LLONG_MIN, r->now, value};
    size_t live = ta_revstore_live(r->rs, r->now);
    ta_rev_result res;

    answers(r, is_user, k, probes, ans_before);
    CHECK(read_file(before) == file_size(r->slots));
    res = is_user ? ta_revstore_cut_user(r->rs, user[k], value, until, r->now)
                  : ta_revstore_revoke_jti(r->rs, jti[k], value, r->now);
    CHECK(res == TA_REV_OK || res == TA_REV_FULL);
    CHECK(read_file(after) == file_size(r->slots));
    CHECK(slots_changed(before, after, r->slots, r->now) <= (res == TA_REV_FULL ? 0u : 1u));
    if (res == TA_REV_FULL)
        CHECK(live >= PROBE_WINDOW && (r->slots > PROBE_WINDOW || live == r->slots));
    else if (r->slots == PROBE_WINDOW && live < r->slots)
        CHECK(res == TA_REV_OK);
    answers(r, is_user, k, probes, ans_after);
    for (int i = 0; i < (is_user ? PROBES : 1); i++)
        CHECK(ans_after[i] >= ans_before[i]); /* nothing un-revoked */
    if (res == TA_REV_OK)
        remember(r, is_user, k, value, until);
}

static void step(run *r, input *in)
{
    unsigned op = (unsigned)take(in, 1);

    switch (op & 3) {
    case 0: /* revoke a jti */
    case 1: /* cut a user */
        store(r, in, op);
        break;
    case 2: { /* the clock moves on, never back; what was stored so far holds until then */
        unsigned long long d = (op & 0x20) ? take(in, 8) : take(in, 2);
        check_facts(r);
        r->now = add_sat(r->now, d > LLONG_MAX ? LLONG_MAX : (long long)d);
        break;
    }
    default: /* a look-up of a user at any iat: both readers agree */
        revoked(r, jti[(op >> 2) & 7], user[(op >> 5) & 7], (long long)take(in, 8));
        break;
    }
    CHECK(ta_revstore_live(r->rs, r->now) == live_in_file(r->slots, r->now));
}

/* --- one input ----------------------------------------------------------------------------- */

static void check_refused(const char *err, const unsigned char *before, size_t n)
{
    static unsigned char after[FILE_ROOM];
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    CHECK(err[0] != '\0' && strstr(err, "revocation ledger") != NULL);
    CHECK(fd >= 0);
    CHECK(pread(fd, after, sizeof(after), 0) == (ssize_t)n);
    CHECK(memcmp(before, after, n) == 0); /* never reset, never truncated */
    close(fd);
}

static void check_created(run *r)
{
    unsigned char buf[FILE_ROOM], want[HEADER_SIZE];
    struct stat st;

    CHECK(stat(path, &st) == 0);
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
    CHECK((size_t)st.st_size == file_size(r->slots));
    CHECK(read_file(buf) == file_size(r->slots));
    canonical_header(want, r->slots);
    CHECK(memcmp(buf, want, HEADER_CHECKED) == 0);
    for (size_t i = HEADER_SIZE; i < file_size(r->slots); i++)
        CHECK(buf[i] == 0);
    CHECK(ta_revstore_live(r->rs, r->now) == 0);
}

/* Attach accepts by size and mode alone; 1 with r->ro set when it did. */
static int attach(run *r, int want)
{
    char err[512] = "x";
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    CHECK(fd >= 0);
    r->ro = ta_revstore_attach(fd, r->slots, "fuzz", err, sizeof(err));
    CHECK((r->ro != NULL) == want);
    if (r->ro == NULL) {
        CHECK(err[0] != '\0');
        close(fd);
    }
    return r->ro != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char before[FILE_ROOM];
    input in = {data, size};
    run r;
    unsigned flags = (unsigned)take(&in, 1);
    char err[512] = "";
    int missing, accept;
    size_t n = 0;

    memset(&r, 0, sizeof(r));
    r.slots = (flags & 1) ? 128 : 64;
    r.now = (long long)take(&in, 8);
    accept = make_file(&in, flags, r.slots, r.now, &missing);
    if (!missing)
        n = read_file(before);
    r.rs = ta_revstore_open(path, r.slots, err, sizeof(err));
    CHECK((r.rs != NULL) == accept);
    if (r.rs == NULL) {
        check_refused(err, before, n);
        /* the helper looks at the file's size and mode only */
        if (attach(&r, !(flags & 0x18)))
            ta_revstore_close(r.ro);
        return 0;
    }
    CHECK(err[0] == '\0');
    if (missing) {
        check_created(&r);
    }
    else {
        static unsigned char after[FILE_ROOM];
        CHECK(read_file(after) == n);
        CHECK(memcmp(before + HEADER_SIZE, after + HEADER_SIZE, n - HEADER_SIZE) == 0);
    }
    CHECK(attach(&r, 1));
    CHECK(ta_revstore_live(r.rs, r.now) == live_in_file(r.slots, r.now));
    for (int i = 0; i < OPS_MAX && in.left; i++)
        step(&r, &in);
    check_facts(&r);
    ta_revstore_close(r.ro);
    ta_revstore_close(r.rs);
    return 0;
}
