/* The revocation ledger: revoked jtis and per-user cutoffs in a MAP_SHARED file that forked
 * workers share and that outlives restarts. It never loses an entry it acknowledged: when it
 * cannot store one it says TA_REV_FULL; it never resets a file it does not trust, it refuses
 * it and says why; a worker that dies holding the lock does not stop the others. */
#include "unit.h"
#include "ta_revstore.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMALL 64u /* the smallest table: one probe window covers all of it */

static char tmpdir[64];

/* tmpdir/name, in a static buffer. */
static const char *path_of(const char *name)
{
    static char path[128];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

/* A new, empty ledger at tmpdir/name. */
static ta_revstore *fresh(const char *name, unsigned slots)
{
    char err[UT_ERR_BUF] = "";
    ta_revstore *rs;

    unlink(path_of(name));
    rs = ta_revstore_open(path_of(name), slots, err, sizeof(err));
    if (rs == NULL)
        fail_msg("cannot create %s: %s", path_of(name), err);
    return rs;
}

/* Open an existing ledger, expecting a refusal whose message names the path. */
static void assert_open_refused(const char *name, unsigned slots, char *err)
{
    ta_revstore *rs;

    err[0] = '\0';
    rs = ta_revstore_open(path_of(name), slots, err, UT_ERR_BUF);
    if (rs != NULL) {
        ta_revstore_close(rs);
        fail_msg("%s was accepted", path_of(name));
    }
    if (strstr(err, path_of(name)) == NULL)
        fail_msg("message \"%s\" does not name the path", err);
}

#define assert_rev_result(got, want)                                                               \
    do {                                                                                           \
        ta_rev_result got_ = (got), want_ = (want);                                                \
        if (got_ != want_)                                                                         \
            fail_msg("result %s, expected %s", ta_rev_result_name(got_),                           \
                     ta_rev_result_name(want_));                                                   \
    } while (0)

/* Is jti revoked for a user without a cutoff? */
static int jti_revoked(ta_revstore *rs, const char *jti, long long now)
{
    return ta_revstore_is_revoked(rs, jti, "nobody-in-particular", UT_NOW - 100, now);
}

/* Are user's tokens issued at iat revoked (for a jti never revoked)? */
static int user_revoked(ta_revstore *rs, const char *user, long long iat, long long now)
{
    return ta_revstore_is_revoked(rs, "never-revoked-jti", user, iat, now);
}

/* The whole file, for checking that a refusal left it alone. */
static size_t read_file(const char *path, unsigned char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    assert_true(fd >= 0);
    n = read(fd, buf, size);
    assert_true(n >= 0 && (size_t)n < size);
    close(fd);
    return (size_t)n;
}

/* A ledger of SMALL slots holding one revoked jti, closed; for the refusal tests. */
static void make_ledger(const char *name)
{
    ta_revstore *rs = fresh(name, SMALL);

    assert_rev_result(ta_revstore_revoke_jti(rs, "kept", UT_NOW + 3600, UT_NOW), TA_REV_OK);
    ta_revstore_close(rs);
}

/* --- revoked token ids ------------------------------------------------------------------ */

static void test_revstore_revoked_jti_is_revoked(void **state)
{
    ta_revstore *rs = fresh("jti", SMALL);

    (void)state;
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW), 0);
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW), 1);
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW + 599), 1);
    ta_revstore_close(rs);
}

static void test_revstore_other_jti_is_not_revoked(void **state)
{
    ta_revstore *rs = fresh("other", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_int_equal(jti_revoked(rs, "abd", UT_NOW), 0);
    assert_int_equal(jti_revoked(rs, "ab", UT_NOW), 0);
    assert_int_equal(jti_revoked(rs, "abcd", UT_NOW), 0);
    assert_int_equal(jti_revoked(rs, "ABC", UT_NOW), 0);
    ta_revstore_close(rs);
}

/* A revoked jti and a cut user of the same text are different entries. */
static void test_revstore_jti_and_user_of_same_text_are_distinct(void **state)
{
    ta_revstore *rs = fresh("kinds", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(rs, "alice", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW - 10, UT_NOW), 0);
    assert_rev_result(ta_revstore_cut_user(rs, "bob", UT_NOW, UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_int_equal(jti_revoked(rs, "bob", UT_NOW), 0);
    ta_revstore_close(rs);
}

/* Revoking again uses no new slot and keeps the later expiry. */
static void test_revstore_revoke_is_idempotent(void **state)
{
    ta_revstore *rs = fresh("idem", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 900, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 300, UT_NOW), TA_REV_OK);
    assert_int_equal(ta_revstore_live(rs, UT_NOW), 1);
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW + 899), 1);
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW + 900), 0);
    ta_revstore_close(rs);
}

/* Once the token has expired it is refused for that reason; the entry is no longer needed. */
static void test_revstore_jti_not_revoked_once_expired(void **state)
{
    ta_revstore *rs = fresh("expiry", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 10, UT_NOW), TA_REV_OK);
    assert_int_equal(ta_revstore_live(rs, UT_NOW + 9), 1);
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW + 10), 0);
    assert_int_equal(ta_revstore_live(rs, UT_NOW + 10), 0);
    /* revoked again after expiry: a fresh entry in the same slot */
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 100, UT_NOW + 20), TA_REV_OK);
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW + 20), 1);
    assert_int_equal(ta_revstore_live(rs, UT_NOW + 20), 1);
    ta_revstore_close(rs);
}

static void test_revstore_revoking_an_expired_token_stores_nothing(void **state)
{
    ta_revstore *rs = fresh("late", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_revoke_jti(rs, "def", UT_NOW - 5, UT_NOW), TA_REV_OK);
    assert_int_equal(ta_revstore_live(rs, UT_NOW - 100), 0);
    ta_revstore_close(rs);
}

/* Expired slots take new entries: a full table of expired entries is a free table. */
static void test_revstore_expired_slots_are_reused(void **state)
{
    ta_revstore *rs = fresh("reuse", SMALL);
    char jti[32];

    (void)state;
    for (unsigned i = 0; i < SMALL; i++) {
        snprintf(jti, sizeof(jti), "old-%u", i);
        assert_rev_result(ta_revstore_revoke_jti(rs, jti, UT_NOW + 10, UT_NOW), TA_REV_OK);
    }
    for (unsigned i = 0; i < SMALL; i++) {
        snprintf(jti, sizeof(jti), "new-%u", i);
        assert_rev_result(ta_revstore_revoke_jti(rs, jti, UT_NOW + 20, UT_NOW + 10), TA_REV_OK);
    }
    assert_int_equal(ta_revstore_live(rs, UT_NOW + 10), SMALL);
    for (unsigned i = 0; i < SMALL; i++) {
        snprintf(jti, sizeof(jti), "new-%u", i);
        assert_int_equal(jti_revoked(rs, jti, UT_NOW + 10), 1);
        snprintf(jti, sizeof(jti), "old-%u", i);
        assert_int_equal(jti_revoked(rs, jti, UT_NOW + 9), 0);
    }
    ta_revstore_close(rs);
}

/* --- user cutoffs ----------------------------------------------------------------------- */

static void test_revstore_cutoff_revokes_tokens_issued_up_to_it(void **state)
{
    ta_revstore *rs = fresh("cutoff", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 3600, UT_NOW), TA_REV_OK);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW, UT_NOW), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW - 1, UT_NOW), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 1, UT_NOW + 1), 0);
    ta_revstore_close(rs);
}

static void test_revstore_cutoff_applies_to_its_user_only(void **state)
{
    ta_revstore *rs = fresh("cutother", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 3600, UT_NOW), TA_REV_OK);
    assert_int_equal(user_revoked(rs, "alicf", UT_NOW - 1, UT_NOW), 0);
    assert_int_equal(user_revoked(rs, "Alice", UT_NOW - 1, UT_NOW), 0);
    assert_int_equal(user_revoked(rs, "alice2", UT_NOW - 1, UT_NOW), 0);
    ta_revstore_close(rs);
}

static void test_revstore_later_cutoff_replaces_earlier(void **state)
{
    ta_revstore *rs = fresh("cutlater", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 3600, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW + 50, UT_NOW + 3650, UT_NOW + 50),
                      TA_REV_OK);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 50, UT_NOW + 50), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 51, UT_NOW + 51), 0);
    assert_int_equal(ta_revstore_live(rs, UT_NOW + 50), 1);
    ta_revstore_close(rs);
}

/* A delayed request with an earlier cutoff must not un-revoke anything, nor shorten the
 * time the later cutoff is kept. */
static void test_revstore_earlier_cutoff_does_not_lower_later(void **state)
{
    ta_revstore *rs = fresh("cutearlier", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW + 50, UT_NOW + 3650, UT_NOW),
                      TA_REV_OK);
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 3600, UT_NOW), TA_REV_OK);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 50, UT_NOW + 50), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 50, UT_NOW + 3649), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 50, UT_NOW + 3650), 0);
    assert_int_equal(ta_revstore_live(rs, UT_NOW), 1);
    ta_revstore_close(rs);
}

/* A later cutoff kept for a shorter time does not shorten the earlier keep_until. */
static void test_revstore_cutoff_keeps_the_later_keep_until(void **state)
{
    ta_revstore *rs = fresh("cutkeep", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 3600, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW + 10, UT_NOW + 100, UT_NOW + 10),
                      TA_REV_OK);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 10, UT_NOW + 3599), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW + 10, UT_NOW + 3600), 0);
    ta_revstore_close(rs);
}

static void test_revstore_cutoff_forgotten_after_keep_until(void **state)
{
    ta_revstore *rs = fresh("cutgone", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 3600, UT_NOW), TA_REV_OK);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW, UT_NOW + 3599), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW, UT_NOW + 3600), 0);
    assert_int_equal(ta_revstore_live(rs, UT_NOW + 3600), 0);
    ta_revstore_close(rs);
}

/* --- capacity --------------------------------------------------------------------------- */

/* With every slot of the window live, a new entry is refused, not stored over another; when
 * one expires, its slot takes exactly one new entry. */
static void test_revstore_full_window_is_reported_and_keeps_entries(void **state)
{
    ta_revstore *rs = fresh("full", SMALL);
    char jti[32];

    (void)state;
    for (unsigned i = 0; i < SMALL; i++) {
        snprintf(jti, sizeof(jti), "jti-%u", i);
        assert_rev_result(ta_revstore_revoke_jti(rs, jti, UT_NOW + 1000 + i, UT_NOW), TA_REV_OK);
    }
    assert_rev_result(ta_revstore_revoke_jti(rs, "one-too-many", UT_NOW + 600, UT_NOW),
                      TA_REV_FULL);
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 600, UT_NOW), TA_REV_FULL);
    assert_int_equal(jti_revoked(rs, "one-too-many", UT_NOW), 0);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW - 1, UT_NOW), 0);
    /* an entry already there may still be renewed */
    assert_rev_result(ta_revstore_revoke_jti(rs, "jti-7", UT_NOW + 2000, UT_NOW), TA_REV_OK);
    assert_int_equal(ta_revstore_live(rs, UT_NOW), SMALL);
    for (unsigned i = 0; i < SMALL; i++) {
        snprintf(jti, sizeof(jti), "jti-%u", i);
        assert_int_equal(jti_revoked(rs, jti, UT_NOW), 1);
    }
    /* at UT_NOW + 1000, jti-0 has expired: one slot is free, one entry fits */
    assert_rev_result(ta_revstore_revoke_jti(rs, "one-too-many", UT_NOW + 1600, UT_NOW + 1000),
                      TA_REV_OK);
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 1600, UT_NOW + 1000),
                      TA_REV_FULL);
    assert_int_equal(jti_revoked(rs, "one-too-many", UT_NOW + 1000), 1);
    for (unsigned i = 1; i < SMALL; i++) {
        snprintf(jti, sizeof(jti), "jti-%u", i);
        assert_int_equal(jti_revoked(rs, jti, UT_NOW + 1000), 1);
    }
    ta_revstore_close(rs);
}

/* Filled past its capacity, the default-size table refuses some entries and loses none. */
static void test_revstore_default_table_never_loses_an_entry(void **state)
{
    ta_revstore *rs = fresh("big", TA_REVSTORE_SLOTS);
    unsigned char *stored = calloc(TA_REVSTORE_SLOTS + 1000, 1);
    unsigned full = 0;
    char jti[32];

    (void)state;
    assert_non_null(stored);
    for (unsigned i = 0; i < TA_REVSTORE_SLOTS + 1000; i++) {
        ta_rev_result r;

        snprintf(jti, sizeof(jti), "j%u", i);
        r = ta_revstore_revoke_jti(rs, jti, UT_NOW + 600, UT_NOW);
        assert_true(r == TA_REV_OK || r == TA_REV_FULL);
        stored[i] = r == TA_REV_OK;
        full += r == TA_REV_FULL;
    }
    assert_true(full >= 1000);
    assert_int_equal(ta_revstore_live(rs, UT_NOW), TA_REVSTORE_SLOTS + 1000 - full);
    for (unsigned i = 0; i < TA_REVSTORE_SLOTS + 1000; i++) {
        snprintf(jti, sizeof(jti), "j%u", i);
        assert_int_equal(jti_revoked(rs, jti, UT_NOW), stored[i]);
    }
    free(stored);
    ta_revstore_close(rs);
}

/* --- arguments -------------------------------------------------------------------------- */

static void test_revstore_bad_ids_refused(void **state)
{
    ta_revstore *rs = fresh("ids", SMALL);
    char longest[TA_REVSTORE_ID_MAX + 2];

    (void)state;
    memset(longest, 'x', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0'; /* 257 bytes */
    assert_rev_result(ta_revstore_revoke_jti(rs, NULL, UT_NOW + 60, UT_NOW), TA_REV_ERROR);
    assert_rev_result(ta_revstore_revoke_jti(rs, "", UT_NOW + 60, UT_NOW), TA_REV_ERROR);
    assert_rev_result(ta_revstore_revoke_jti(rs, longest, UT_NOW + 60, UT_NOW), TA_REV_ERROR);
    assert_rev_result(ta_revstore_cut_user(rs, NULL, UT_NOW, UT_NOW + 60, UT_NOW), TA_REV_ERROR);
    assert_rev_result(ta_revstore_cut_user(rs, "", UT_NOW, UT_NOW + 60, UT_NOW), TA_REV_ERROR);
    assert_rev_result(ta_revstore_cut_user(rs, longest, UT_NOW, UT_NOW + 60, UT_NOW), TA_REV_ERROR);
    assert_rev_result(ta_revstore_revoke_jti(NULL, "abc", UT_NOW + 60, UT_NOW), TA_REV_ERROR);
    assert_int_equal(ta_revstore_live(rs, UT_NOW), 0);
    longest[TA_REVSTORE_ID_MAX] = '\0'; /* 256 bytes: accepted */
    assert_rev_result(ta_revstore_revoke_jti(rs, longest, UT_NOW + 60, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_cut_user(rs, longest, UT_NOW, UT_NOW + 60, UT_NOW), TA_REV_OK);
    assert_int_equal(ta_revstore_is_revoked(rs, longest, "u", UT_NOW + 1, UT_NOW), 1);
    assert_int_equal(ta_revstore_is_revoked(rs, "j", longest, UT_NOW, UT_NOW), 1);
    ta_revstore_close(rs);
}

/* The caller refuses the token on -1: a bad argument must not read as "not revoked". */
static void test_revstore_is_revoked_fails_closed_on_bad_ids(void **state)
{
    ta_revstore *rs = fresh("idsclosed", SMALL);
    char longest[TA_REVSTORE_ID_MAX + 2];

    (void)state;
    memset(longest, 'x', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    assert_int_equal(ta_revstore_is_revoked(rs, NULL, "u", UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked(rs, "", "u", UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked(rs, longest, "u", UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked(rs, "j", NULL, UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked(rs, "j", "", UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked(rs, "j", longest, UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked(NULL, "j", "u", UT_NOW, UT_NOW), -1);
    ta_revstore_close(rs);
}

static void test_revstore_result_names(void **state)
{
    (void)state;
    assert_string_equal(ta_rev_result_name(TA_REV_OK), "ok");
    assert_string_equal(ta_rev_result_name(TA_REV_FULL), "full");
    assert_string_equal(ta_rev_result_name(TA_REV_ERROR), "error");
    assert_string_equal(ta_rev_result_name((ta_rev_result)42), "unknown");
}

static void test_revstore_close_accepts_null(void **state)
{
    (void)state;
    ta_revstore_close(NULL);
}

/* --- the file --------------------------------------------------------------------------- */

static void test_revstore_entries_survive_reopen(void **state)
{
    char err[UT_ERR_BUF];
    ta_revstore *rs = fresh("persist", SMALL);

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(rs, "abc", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 600, UT_NOW), TA_REV_OK);
    ta_revstore_close(rs);
    rs = ta_revstore_open(path_of("persist"), SMALL, err, sizeof(err));
    if (rs == NULL)
        fail_msg("reopen refused: %s", err);
    assert_int_equal(jti_revoked(rs, "abc", UT_NOW), 1);
    assert_int_equal(user_revoked(rs, "alice", UT_NOW, UT_NOW), 1);
    assert_int_equal(ta_revstore_live(rs, UT_NOW), 2);
    ta_revstore_close(rs);
}

/* While one opener holds the ledger, a second (another Apache with the same runtime
 * directory) is refused, and may open it once the first has closed it. */
static void test_revstore_open_refuses_a_ledger_in_use(void **state)
{
    char err[UT_ERR_BUF];
    ta_revstore *first = fresh("in-use", SMALL), *again;

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(first, "abc", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_open_refused("in-use", SMALL, err);
    assert_non_null(strstr(err, "in use by another process"));
    assert_int_equal(jti_revoked(first, "abc", UT_NOW), 1);
    ta_revstore_close(first);
    again = ta_revstore_open(path_of("in-use"), SMALL, err, sizeof(err));
    if (again == NULL)
        fail_msg("refused after close: %s", err);
    assert_int_equal(jti_revoked(again, "abc", UT_NOW), 1);
    ta_revstore_close(again);
}

/* Created 0600 whatever the umask, and exactly as large as the slots need. */
static void test_revstore_open_creates_private_file(void **state)
{
    struct stat st;
    mode_t old = umask(0);
    ta_revstore *rs = fresh("created", SMALL);

    (void)state;
    umask(old);
    assert_int_equal(stat(path_of("created"), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, geteuid());
    assert_true(st.st_size > (off_t)(SMALL * 32));
    assert_true(st.st_size < (off_t)(SMALL * 64 + 4096));
    ta_revstore_close(rs);
}

static void test_revstore_open_refuses_bad_slot_counts(void **state)
{
    static const unsigned bad[] = {0, 1, 32, 63, 65, 100, 96, 3u << 10, 1u << 25, 1u << 31};
    char err[UT_ERR_BUF];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unlink(path_of("slots"));
        assert_open_refused("slots", bad[i], err);
        assert_int_equal(access(path_of("slots"), F_OK), -1); /* nothing created */
    }
}

static void test_revstore_open_refuses_missing_directory(void **state)
{
    char err[UT_ERR_BUF];

    (void)state;
    assert_open_refused("absent/ledger", SMALL, err);
}

static void test_revstore_open_refuses_symlink(void **state)
{
    char err[UT_ERR_BUF], target[128];

    (void)state;
    make_ledger("target");
    snprintf(target, sizeof(target), "%s", path_of("target"));
    unlink(path_of("link"));
    assert_int_equal(symlink(target, path_of("link")), 0);
    assert_open_refused("link", SMALL, err);
    /* nor is one created through a dangling link */
    unlink(path_of("target"));
    assert_open_refused("link", SMALL, err);
    assert_int_equal(access(path_of("target"), F_OK), -1);
    unlink(path_of("link"));
}

/* Refused, left as it was, and the message tells what removing it costs; fixed, it opens with
 * its entries. */
static void test_revstore_open_refuses_mode_0644(void **state)
{
    static unsigned char before[8192], after[8192];
    char err[UT_ERR_BUF];
    size_t n;
    ta_revstore *rs;

    (void)state;
    make_ledger("mode");
    assert_int_equal(chmod(path_of("mode"), 0644), 0);
    n = read_file(path_of("mode"), before, sizeof(before));
    assert_open_refused("mode", SMALL, err);
    assert_non_null(strstr(err, "0644"));
    assert_non_null(strstr(err, "forgets every revocation"));
    assert_int_equal(read_file(path_of("mode"), after, sizeof(after)), n);
    assert_memory_equal(before, after, n);
    assert_int_equal(chmod(path_of("mode"), 0600), 0);
    rs = ta_revstore_open(path_of("mode"), SMALL, err, sizeof(err));
    assert_non_null(rs);
    assert_int_equal(jti_revoked(rs, "kept", UT_NOW), 1);
    ta_revstore_close(rs);
}

static void test_revstore_open_refuses_group_or_other_bits(void **state)
{
    static const mode_t bad[] = {0640, 0620, 0610, 0604, 0602, 0601};
    char err[UT_ERR_BUF];

    (void)state;
    make_ledger("modes");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(chmod(path_of("modes"), bad[i]), 0);
        assert_open_refused("modes", SMALL, err);
    }
}

static void test_revstore_open_refuses_file_one_byte_longer(void **state)
{
    char err[UT_ERR_BUF];
    int fd;

    (void)state;
    make_ledger("longer");
    fd = open(path_of("longer"), O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "", 1), 1);
    close(fd);
    assert_open_refused("longer", SMALL, err);
}

static void test_revstore_open_refuses_file_one_byte_shorter(void **state)
{
    struct stat st;
    char err[UT_ERR_BUF];

    (void)state;
    make_ledger("shorter");
    assert_int_equal(stat(path_of("shorter"), &st), 0);
    assert_int_equal(truncate(path_of("shorter"), st.st_size - 1), 0);
    assert_open_refused("shorter", SMALL, err);
    assert_int_equal(stat(path_of("shorter"), &st), 0);
}

static void test_revstore_open_refuses_empty_file(void **state)
{
    char err[UT_ERR_BUF];
    int fd;

    (void)state;
    unlink(path_of("empty"));
    fd = open(path_of("empty"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_open_refused("empty", SMALL, err);
}

static void test_revstore_open_refuses_corrupt_magic(void **state)
{
    char err[UT_ERR_BUF];
    int fd;

    (void)state;
    make_ledger("magic");
    fd = open(path_of("magic"), O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 7), 1);
    close(fd);
    assert_open_refused("magic", SMALL, err);
    assert_non_null(strstr(err, "magic"));
}

/* A file of the right size that is not a ledger is not taken over either. */
static void test_revstore_open_refuses_zeroed_file_of_right_size(void **state)
{
    struct stat st;
    char err[UT_ERR_BUF];
    int fd;

    (void)state;
    make_ledger("zeroed");
    assert_int_equal(stat(path_of("zeroed"), &st), 0);
    fd = open(path_of("zeroed"), O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, st.st_size), 0);
    close(fd);
    assert_open_refused("zeroed", SMALL, err);
}

static void test_revstore_open_refuses_other_slot_count(void **state)
{
    char err[UT_ERR_BUF];

    (void)state;
    make_ledger("count");
    assert_open_refused("count", SMALL * 2, err);
    assert_non_null(strstr(err, "64"));
    assert_open_refused("count", TA_REVSTORE_SLOTS, err);
}

static void test_revstore_open_refuses_directory(void **state)
{
    char err[UT_ERR_BUF];

    (void)state;
    assert_int_equal(mkdir(path_of("dir"), 0700), 0);
    assert_open_refused("dir", SMALL, err);
    rmdir(path_of("dir"));
}

static void test_revstore_open_refuses_fifo(void **state)
{
    char err[UT_ERR_BUF];

    (void)state;
    assert_int_equal(mkfifo(path_of("fifo"), 0600), 0);
    assert_open_refused("fifo", SMALL, err);
    unlink(path_of("fifo"));
}

static void test_revstore_open_refuses_file_of_another_owner(void **state)
{
    char err[UT_ERR_BUF];

    (void)state;
    if (geteuid() != 0)
        skip();
    make_ledger("owner");
    assert_int_equal(chown(path_of("owner"), 65534, 65534), 0);
    assert_open_refused("owner", SMALL, err);
}

/* --- processes -------------------------------------------------------------------------- */

/* Entries written by a forked worker are seen by the parent and the other way round: the
 * mapping is shared, not copied on write. */
static void test_revstore_forked_processes_share_entries(void **state)
{
    ta_revstore *rs = fresh("shared", SMALL);
    int c2p[2], p2c[2], status;
    char byte = 'x';
    pid_t pid;

    (void)state;
    assert_int_equal(pipe(c2p), 0);
    assert_int_equal(pipe(p2c), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* no cmocka in the child: the exit status says what went wrong */
        int code = 0;

        if (ta_revstore_revoke_jti(rs, "from-child", UT_NOW + 600, UT_NOW) != TA_REV_OK)
            code = 1;
        if (write(c2p[1], &byte, 1) != 1 || read(p2c[0], &byte, 1) != 1)
            code = 2;
        else if (jti_revoked(rs, "from-parent", UT_NOW) != 1)
            code = 3;
        _exit(code);
    }
    assert_int_equal(read(c2p[0], &byte, 1), 1);
    assert_int_equal(jti_revoked(rs, "from-child", UT_NOW), 1);
    assert_rev_result(ta_revstore_revoke_jti(rs, "from-parent", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_int_equal(write(p2c[1], &byte, 1), 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(ta_revstore_live(rs, UT_NOW), 2);
    close(c2p[0]);
    close(c2p[1]);
    close(p2c[0]);
    close(p2c[1]);
    ta_revstore_close(rs);
}

/* A worker killed in the middle of its operations, most likely while holding the lock (it
 * spends nearly all its time counting a full-size table under it): the others take the lock
 * over (EOWNERDEAD), every revocation it acknowledged is there, and the ledger goes on. */
static void test_revstore_worker_killed_holding_lock_loses_nothing(void **state)
{
    ta_revstore *rs = fresh("killed", TA_REVSTORE_SLOTS);
    char jti[32];

    (void)state;
    alarm(120); /* a lock never recovered would hang here rather than fail */
    for (unsigned round = 0; round < 10; round++) {
        int ack[2], status;
        unsigned i;
        pid_t pid;

        assert_int_equal(pipe(ack), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(ack[0]);
            for (i = round * 1000000u;; i++) {
                snprintf(jti, sizeof(jti), "w%u", i);
                if (ta_revstore_revoke_jti(rs, jti, UT_NOW + 600, UT_NOW) != TA_REV_OK)
                    _exit(1);
                if (write(ack[1], &i, sizeof(i)) != sizeof(i))
                    _exit(2);
                if (ta_revstore_live(rs, UT_NOW) == (size_t)-1)
                    _exit(3);
            }
        }
        close(ack[1]);
        assert_int_equal(read(ack[0], &i, sizeof(i)), sizeof(i)); /* it is working */
        usleep(1000u + (unsigned)rand() % 2000u);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        do {
            snprintf(jti, sizeof(jti), "w%u", i);
            assert_int_equal(jti_revoked(rs, jti, UT_NOW), 1);
        } while (read(ack[0], &i, sizeof(i)) == sizeof(i));
        close(ack[0]);
        snprintf(jti, sizeof(jti), "after-%u", round);
        assert_rev_result(ta_revstore_revoke_jti(rs, jti, UT_NOW + 600, UT_NOW), TA_REV_OK);
        assert_int_equal(jti_revoked(rs, jti, UT_NOW), 1);
    }
    alarm(0);
    ta_revstore_close(rs);
}

static int make_tmpdir(void **state)
{
    (void)state;
    return ut_make_tmpdir(tmpdir, sizeof(tmpdir), "revstore");
}

static int remove_tmpdir(void **state)
{
    (void)state;
    return ut_remove_tmpdir(tmpdir);
}

/* --- attaching to a ledger another process opened (the helper) ------------------------------ */

/* A descriptor of ledger name, read-only: all the helper needs. */
static int ledger_fd(const char *name)
{
    int fd = open(path_of(name), O_RDONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    return fd;
}

/* Attach to fd, expecting a refusal that names name; the descriptor stays the caller's. */
static void assert_attach_refused(int fd, const char *name)
{
    char err[UT_ERR_BUF] = "";
    ta_revstore *rs = ta_revstore_attach(fd, SMALL, name, err, sizeof(err));

    if (rs != NULL) {
        ta_revstore_close(rs);
        fail_msg("attach to %s was accepted", name);
    }
    if (strstr(err, name) == NULL)
        fail_msg("message \"%s\" does not name %s", err, name);
    assert_true(fcntl(fd, F_GETFD) >= 0); /* not closed by the refusal */
    close(fd);
}

static int jti_revoked_unlocked(const ta_revstore *rs, const char *jti, long long now)
{
    return ta_revstore_is_revoked_unlocked(rs, jti, "nobody-in-particular", UT_NOW - 100, now);
}

/* The helper attaches (read-only) to the ledger the Apache parent opened and keeps locked, and
 * reads it without the lock: what the parent revokes, before or after the attach, it sees at
 * once. */
static void test_revstore_attach_sees_the_parents_revocations(void **state)
{
    ta_revstore *rs = fresh("attach", SMALL), *att;
    char err[UT_ERR_BUF] = "";

    (void)state;
    assert_rev_result(ta_revstore_revoke_jti(rs, "before", UT_NOW + 600, UT_NOW), TA_REV_OK);
    att = ta_revstore_attach(ledger_fd("attach"), SMALL, "the ledger", err, sizeof(err));
    if (att == NULL)
        fail_msg("attach refused: %s", err);
    assert_int_equal(jti_revoked_unlocked(att, "before", UT_NOW), 1);
    assert_int_equal(jti_revoked_unlocked(att, "after", UT_NOW), 0);
    assert_rev_result(ta_revstore_revoke_jti(rs, "after", UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_int_equal(jti_revoked_unlocked(att, "after", UT_NOW), 1);
    assert_int_equal(jti_revoked_unlocked(att, "after", UT_NOW + 600), 0); /* expired entry */
    assert_rev_result(ta_revstore_cut_user(rs, "alice", UT_NOW, UT_NOW + 600, UT_NOW), TA_REV_OK);
    assert_int_equal(ta_revstore_is_revoked_unlocked(att, "j-1", "alice", UT_NOW, UT_NOW), 1);
    assert_int_equal(ta_revstore_is_revoked_unlocked(att, "j-1", "alice", UT_NOW + 1, UT_NOW), 0);
    assert_int_equal(ta_revstore_is_revoked_unlocked(att, "j-1", "bob", UT_NOW - 9, UT_NOW), 0);
    ta_revstore_close(att);
    assert_int_equal(jti_revoked(rs, "after", UT_NOW), 1); /* the parent's goes on */
    ta_revstore_close(rs);
}

/* Without the lock the answers are the locked ones, entry for entry, in a table filled with
 * jtis and cutoffs; and an id that cannot be in a ledger fails closed. */
static void test_revstore_unlocked_read_answers_as_the_locked_one(void **state)
{
    ta_revstore *rs = fresh("unlocked", SMALL);
    char id[32];

    (void)state;
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof(id), "id-%d", i);
        if (i % 2)
            ta_revstore_revoke_jti(rs, id, UT_NOW + 10 * i, UT_NOW);
        else
            ta_revstore_cut_user(rs, id, UT_NOW - i, UT_NOW + 10 * i, UT_NOW);
    }
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "id-%d", i);
        for (long long now = UT_NOW; now < UT_NOW + 500; now += 37) {
            assert_int_equal(ta_revstore_is_revoked_unlocked(rs, id, "x", UT_NOW, now),
                             ta_revstore_is_revoked(rs, id, "x", UT_NOW, now));
            assert_int_equal(ta_revstore_is_revoked_unlocked(rs, "j", id, UT_NOW - 20, now),
                             ta_revstore_is_revoked(rs, "j", id, UT_NOW - 20, now));
        }
    }
    assert_int_equal(ta_revstore_is_revoked_unlocked(rs, NULL, "x", UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked_unlocked(rs, "", "x", UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked_unlocked(rs, "j", "", UT_NOW, UT_NOW), -1);
    assert_int_equal(ta_revstore_is_revoked_unlocked(NULL, "j", "x", UT_NOW, UT_NOW), -1);
    ta_revstore_close(rs);
}

/* Attaching sets nothing up anew: the parent's lock (flock) stays, so a second open of the
 * same ledger is still refused as in use; and the attached ledger owns its descriptor. */
static void test_revstore_attach_owns_its_descriptor_and_leaves_the_lock(void **state)
{
    ta_revstore *rs = fresh("attach-fd", SMALL), *att;
    char err[UT_ERR_BUF] = "";
    int fd = ledger_fd("attach-fd");

    (void)state;
    att = ta_revstore_attach(fd, SMALL, "the ledger", err, sizeof(err));
    assert_non_null(att);
    assert_int_equal(ta_revstore_fd(att), fd);
    assert_true(ta_revstore_fd(rs) >= 0 && ta_revstore_fd(rs) != fd);
    assert_int_equal(ta_revstore_fd(NULL), -1);
    assert_null(ta_revstore_open(path_of("attach-fd"), SMALL, err, sizeof(err)));
    assert_non_null(strstr(err, "in use"));
    ta_revstore_close(att);
    assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed with the ledger */
    ta_revstore_close(rs);
}

/* Every rule of ta_revstore_open holds for an attached descriptor too. */
static void test_revstore_attach_refuses_what_open_refuses(void **state)
{
    int fd, p[2];

    (void)state;
    make_ledger("att-mode");
    assert_int_equal(chmod(path_of("att-mode"), 0640), 0);
    assert_attach_refused(ledger_fd("att-mode"), "att-mode");

    /* the header lies in memory Apache's children can write: attach does not trust it, so a
     * child that spoils it cannot keep the helper from starting (the size comes from the
     * caller) */
    make_ledger("att-magic");
    fd = open(path_of("att-magic"), O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 0), 1);
    {
        char err[UT_ERR_BUF] = "";
        ta_revstore *rs = ta_revstore_attach(fd, SMALL, "att-magic", err, sizeof(err));
        assert_non_null(rs);
        ta_revstore_close(rs);
    }

    make_ledger("att-long");
    fd = open(path_of("att-long"), O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, lseek(fd, 0, SEEK_END)), 1);
    assert_attach_refused(fd, "att-long");

    make_ledger("att-short");
    fd = open(path_of("att-short"), O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, lseek(fd, 0, SEEK_END) - 1), 0);
    assert_attach_refused(fd, "att-short");

    fd = open(path_of("att-empty"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_attach_refused(fd, "att-empty");

    assert_int_equal(pipe(p), 0);
    close(p[1]);
    assert_attach_refused(p[0], "a pipe");

    if (geteuid() == 0) {
        make_ledger("att-owner");
        assert_int_equal(chown(path_of("att-owner"), 65534, 65534), 0);
        assert_attach_refused(ledger_fd("att-owner"), "att-owner");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revstore_revoked_jti_is_revoked),
        cmocka_unit_test(test_revstore_other_jti_is_not_revoked),
        cmocka_unit_test(test_revstore_jti_and_user_of_same_text_are_distinct),
        cmocka_unit_test(test_revstore_revoke_is_idempotent),
        cmocka_unit_test(test_revstore_jti_not_revoked_once_expired),
        cmocka_unit_test(test_revstore_revoking_an_expired_token_stores_nothing),
        cmocka_unit_test(test_revstore_expired_slots_are_reused),
        cmocka_unit_test(test_revstore_cutoff_revokes_tokens_issued_up_to_it),
        cmocka_unit_test(test_revstore_cutoff_applies_to_its_user_only),
        cmocka_unit_test(test_revstore_later_cutoff_replaces_earlier),
        cmocka_unit_test(test_revstore_earlier_cutoff_does_not_lower_later),
        cmocka_unit_test(test_revstore_cutoff_keeps_the_later_keep_until),
        cmocka_unit_test(test_revstore_cutoff_forgotten_after_keep_until),
        cmocka_unit_test(test_revstore_full_window_is_reported_and_keeps_entries),
        cmocka_unit_test(test_revstore_default_table_never_loses_an_entry),
        cmocka_unit_test(test_revstore_bad_ids_refused),
        cmocka_unit_test(test_revstore_is_revoked_fails_closed_on_bad_ids),
        cmocka_unit_test(test_revstore_result_names),
        cmocka_unit_test(test_revstore_close_accepts_null),
        cmocka_unit_test(test_revstore_entries_survive_reopen),
        cmocka_unit_test(test_revstore_open_refuses_a_ledger_in_use),
        cmocka_unit_test(test_revstore_open_creates_private_file),
        cmocka_unit_test(test_revstore_open_refuses_bad_slot_counts),
        cmocka_unit_test(test_revstore_open_refuses_missing_directory),
        cmocka_unit_test(test_revstore_open_refuses_symlink),
        cmocka_unit_test(test_revstore_open_refuses_mode_0644),
        cmocka_unit_test(test_revstore_open_refuses_group_or_other_bits),
        cmocka_unit_test(test_revstore_open_refuses_file_one_byte_longer),
        cmocka_unit_test(test_revstore_open_refuses_file_one_byte_shorter),
        cmocka_unit_test(test_revstore_open_refuses_empty_file),
        cmocka_unit_test(test_revstore_open_refuses_corrupt_magic),
        cmocka_unit_test(test_revstore_open_refuses_zeroed_file_of_right_size),
        cmocka_unit_test(test_revstore_open_refuses_other_slot_count),
        cmocka_unit_test(test_revstore_open_refuses_directory),
        cmocka_unit_test(test_revstore_open_refuses_fifo),
        cmocka_unit_test(test_revstore_open_refuses_file_of_another_owner),
        cmocka_unit_test(test_revstore_forked_processes_share_entries),
        cmocka_unit_test(test_revstore_worker_killed_holding_lock_loses_nothing),
        cmocka_unit_test(test_revstore_attach_sees_the_parents_revocations),
        cmocka_unit_test(test_revstore_unlocked_read_answers_as_the_locked_one),
        cmocka_unit_test(test_revstore_attach_owns_its_descriptor_and_leaves_the_lock),
        cmocka_unit_test(test_revstore_attach_refuses_what_open_refuses),
    };

    return cmocka_run_group_tests_name("revstore", tests, make_tmpdir, remove_tmpdir);
}
