/* The descriptor cache of a child (src/core/ta_fdcache.c): an entry serves only its own key,
 * is lent to one taker at a time, lives at most its time to live, is dropped at once when its
 * file's status changed or its file lost its name, and is closed by a flush (at once, or when
 * given back if it was lent out). Real files in a temporary directory; a fixed clock. */
#include "unit.h"
#include "ta_fdcache.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define T0 100000LL
#define TTL 1000LL

static char dir[] = "/tmp/ta-fdcache-XXXXXX";

/* A new file of dir with content; its path in path. */
static int new_file(const char *name, const char *content, char *path, size_t cap)
{
    int fd;

    snprintf(path, cap, "%s/%s", dir, name);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    return fd;
}

/* 1 when fd is an open descriptor of this process. */
static int is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[64];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_hit_only_for_the_same_key_and_only_when_given_back(void **state)
{
    char path[256];
    struct stat st;
    ta_fdcache *c = ta_fdcache_create(4);
    int fd = new_file("a", "alpha", path, sizeof(path)), got = -1, slot;

    (void)state;
    slot = ta_fdcache_add(c, "alice /f/a", fd, T0, TTL);
    assert_true(slot >= 0);
    /* lent out to the one who added it: no one else gets it meanwhile */
    assert_int_equal(ta_fdcache_take(c, "alice /f/a", T0, &got, &st), -1);
    ta_fdcache_give_back(c, slot, T0 + 1);
    assert_int_equal(ta_fdcache_take(c, "bob /f/a", T0 + 2, &got, &st), -1);
    assert_int_equal(ta_fdcache_take(c, "alice /f/a ", T0 + 2, &got, &st), -1);
    assert_int_equal(ta_fdcache_take(c, "alice /f/a", T0 + 2, &got, &st), slot);
    assert_int_equal(got, fd);
    assert_int_equal(st.st_size, 5);
    ta_fdcache_give_back(c, slot, T0 + 3);
    assert_int_equal(ta_fdcache_count(c), 1);
    ta_fdcache_destroy(c);
    assert_false(is_open(fd));
}

static void test_entry_lives_at_most_its_time(void **state)
{
    char path[256];
    struct stat st;
    ta_fdcache *c = ta_fdcache_create(4);
    int fd = new_file("b", "beta", path, sizeof(path)), got, slot;

    (void)state;
    slot = ta_fdcache_add(c, "k", fd, T0, TTL);
    ta_fdcache_give_back(c, slot, T0);
    assert_int_equal(ta_fdcache_take(c, "k", T0 + TTL - 1, &got, &st), slot);
    ta_fdcache_give_back(c, slot, T0 + TTL - 1);
    assert_int_equal(ta_fdcache_take(c, "k", T0 + TTL, &got, &st), -1);
    assert_false(is_open(fd));
    assert_int_equal(ta_fdcache_count(c), 0);
    ta_fdcache_destroy(c);
}

static void test_given_back_after_its_time_is_closed(void **state)
{
    char path[256];
    ta_fdcache *c = ta_fdcache_create(4);
    int fd = new_file("c", "gamma", path, sizeof(path));
    int slot = ta_fdcache_add(c, "k", fd, T0, TTL);

    (void)state;
    ta_fdcache_give_back(c, slot, T0 + TTL + 5);
    assert_false(is_open(fd));
    assert_int_equal(ta_fdcache_count(c), 0);
    ta_fdcache_destroy(c);
}

static void test_status_change_or_unlink_drops_the_entry(void **state)
{
    char path[256];
    struct stat st;
    ta_fdcache *c = ta_fdcache_create(4);
    int fd = new_file("d", "delta", path, sizeof(path)), got, slot;
    struct timespec later[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};

    (void)state;
    slot = ta_fdcache_add(c, "k", fd, T0, TTL);
    ta_fdcache_give_back(c, slot, T0);
    usleep(20000); /* a ctime tick apart on coarse file system clocks */
    assert_int_equal(fchmod(fd, 0600), 0);
    assert_int_equal(ta_fdcache_take(c, "k", T0 + 1, &got, &st), -1);
    assert_false(is_open(fd));

    fd = new_file("e", "epsilon", path, sizeof(path));
    slot = ta_fdcache_add(c, "k", fd, T0, TTL);
    ta_fdcache_give_back(c, slot, T0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(ta_fdcache_take(c, "k", T0 + 1, &got, &st), -1);
    assert_false(is_open(fd));

    /* touching only the times the helper does not check is a status change too: dropped */
    fd = new_file("f", "zeta", path, sizeof(path));
    slot = ta_fdcache_add(c, "k", fd, T0, TTL);
    ta_fdcache_give_back(c, slot, T0);
    usleep(20000);
    later[1].tv_nsec = UTIME_NOW;
    assert_int_equal(futimens(fd, later), 0);
    assert_int_equal(ta_fdcache_take(c, "k", T0 + 1, &got, &st), -1);
    ta_fdcache_destroy(c);
}

static void test_same_key_lends_separate_descriptors(void **state)
{
    char path[256];
    struct stat st;
    ta_fdcache *c = ta_fdcache_create(4);
    int a = new_file("g", "eta", path, sizeof(path)), b = open(path, O_RDONLY | O_CLOEXEC);
    int sa = ta_fdcache_add(c, "k", a, T0, TTL), sb = ta_fdcache_add(c, "k", b, T0, TTL);
    int g1 = -1, g2 = -1, s1, s2;

    (void)state;
    assert_true(sa >= 0 && sb >= 0 && sa != sb);
    ta_fdcache_give_back(c, sa, T0);
    ta_fdcache_give_back(c, sb, T0);
    s1 = ta_fdcache_take(c, "k", T0 + 1, &g1, &st);
    s2 = ta_fdcache_take(c, "k", T0 + 1, &g2, &st);
    assert_true(s1 >= 0 && s2 >= 0 && s1 != s2 && g1 != g2);
    assert_int_equal(ta_fdcache_take(c, "k", T0 + 1, &g1, &st), -1);
    ta_fdcache_destroy(c);
}

static void test_flush_closes_free_entries_now_and_lent_ones_when_given_back(void **state)
{
    char path[256];
    struct stat st;
    ta_fdcache *c = ta_fdcache_create(4);
    int a = new_file("h", "theta", path, sizeof(path)), b = new_file("i", "iota", path, 256);
    int sa = ta_fdcache_add(c, "a", a, T0, TTL), sb = ta_fdcache_add(c, "b", b, T0, TTL), got;

    (void)state;
    ta_fdcache_give_back(c, sa, T0);
    ta_fdcache_flush(c); /* b is still lent out */
    assert_false(is_open(a));
    assert_true(is_open(b));
    ta_fdcache_give_back(c, sb, T0 + 1);
    assert_false(is_open(b));
    assert_int_equal(ta_fdcache_take(c, "b", T0 + 1, &got, &st), -1);
    assert_int_equal(ta_fdcache_count(c), 0);
    ta_fdcache_destroy(c);
}

static void test_full_cache_evicts_a_free_entry_never_a_lent_one(void **state)
{
    char path[256];
    ta_fdcache *c = ta_fdcache_create(2);
    int a = new_file("j", "1", path, sizeof(path)), b = new_file("k", "2", path, 256);
    int d = new_file("l", "3", path, sizeof(path)), e = new_file("m", "4", path, 256);
    int sa = ta_fdcache_add(c, "a", a, T0, TTL), sb = ta_fdcache_add(c, "b", b, T0 + 5, TTL);

    (void)state;
    assert_true(sa >= 0 && sb >= 0);
    /* both lent out: no room, and the caller keeps its descriptor */
    assert_int_equal(ta_fdcache_add(c, "d", d, T0, TTL), -1);
    assert_true(is_open(d));
    ta_fdcache_give_back(c, sa, T0);
    ta_fdcache_give_back(c, sb, T0 + 5);
    /* a expires first: it makes room */
    assert_int_equal(ta_fdcache_add(c, "d", d, T0 + 6, TTL), sa);
    assert_false(is_open(a));
    assert_true(is_open(b));
    ta_fdcache_give_back(c, sa, T0 + 6);
    close(e);
    ta_fdcache_destroy(c);
}

static void test_sweep_closes_what_has_expired(void **state)
{
    char path[256];
    ta_fdcache *c = ta_fdcache_create(4);
    int a = new_file("n", "1", path, sizeof(path)), b = new_file("o", "2", path, 256);
    int sa = ta_fdcache_add(c, "a", a, T0, TTL), sb = ta_fdcache_add(c, "b", b, T0 + 500, TTL);

    (void)state;
    ta_fdcache_give_back(c, sa, T0);
    ta_fdcache_give_back(c, sb, T0 + 500);
    assert_int_equal(ta_fdcache_sweep(c, T0 + TTL), 1);
    assert_false(is_open(a));
    assert_true(is_open(b));
    assert_int_equal(ta_fdcache_sweep(c, T0 + 500 + TTL), 0);
    assert_false(is_open(b));
    ta_fdcache_destroy(c);
}

static void test_refuses_what_it_cannot_keep(void **state)
{
    char path[256];
    ta_fdcache *c = ta_fdcache_create(4);
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), f = new_file("p", "x", path, 256);

    (void)state;
    assert_null(ta_fdcache_create(0));
    assert_int_equal(ta_fdcache_add(c, "dir", d, T0, TTL), -1); /* not a regular file */
    assert_int_equal(ta_fdcache_add(c, "f", f, T0, 0), -1);     /* no time to live */
    assert_int_equal(ta_fdcache_add(c, "bad", -1, T0, TTL), -1);
    assert_true(is_open(d) && is_open(f));
    ta_fdcache_give_back(c, -1, T0); /* ignored */
    ta_fdcache_give_back(c, 99, T0);
    ta_fdcache_give_back(c, 0, T0); /* a free slot: ignored */
    assert_int_equal(ta_fdcache_count(c), 0);
    close(d);
    close(f);
    ta_fdcache_destroy(c);
    ta_fdcache_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_only_for_the_same_key_and_only_when_given_back),
        cmocka_unit_test(test_entry_lives_at_most_its_time),
        cmocka_unit_test(test_given_back_after_its_time_is_closed),
        cmocka_unit_test(test_status_change_or_unlink_drops_the_entry),
        cmocka_unit_test(test_same_key_lends_separate_descriptors),
        cmocka_unit_test(test_flush_closes_free_entries_now_and_lent_ones_when_given_back),
        cmocka_unit_test(test_full_cache_evicts_a_free_entry_never_a_lent_one),
        cmocka_unit_test(test_sweep_closes_what_has_expired),
        cmocka_unit_test(test_refuses_what_it_cannot_keep),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
