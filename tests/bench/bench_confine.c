/* Micro-benchmark of the helper's confined open (ta_confine_open_scoped: the credential switch,
 * home, subdir, the scope's directory, the file, fstat), in CPU ns per open (the median of
 * ROUNDS rounds in which the cases take turns), for what the scope rule and the hidden rule on
 * resolved paths add to each request:
 *
 *   plain file, session       the common case: TokenAuthHidden deny, no symlink on the way
 *   plain file, hidden allow  the same open without the hidden rule: one openat2, as before
 *   link, session             through shared/in -> ok.txt: a failed openat2 without symlinks,
 *                             the open, and the two readlinks of the resolved-path check
 *   link, hidden allow        the same link without the hidden rule: one openat2
 *   share of shared/          scope "shared", file "ok.txt": the scope's directory is opened
 *                             first, then the file beneath it
 *   share of the whole home   scope "", the same file: no extra open
 *
 *   build/bench/bench_confine [N]    N opens per case and round (default 20000)
 *
 * Runs as root (the helper's case: it switches to a made-up uid for each open), with openat2
 * where the kernel has it. The scratch tree lives in a fresh directory under /tmp, removed at
 * the end. The program reports, it does not fail. */
#include "ta_confine.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 9 /* the cases take turns, round after round */
#define DEFAULT_N 20000
#define USER 61201ul

static char root_dir[64] = "/tmp/ta_bench_confine.XXXXXX";
static char home[PATH_MAX];

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* root_dir/rel, owned by USER. */
static int make(const char *rel, int dir, const char *link_to)
{
    char p[PATH_MAX];
    int fd;

    snprintf(p, sizeof(p), "%s/%s", root_dir, rel);
    if (link_to)
        return symlink(link_to, p) == 0 && lchown(p, USER, USER) == 0 ? 0 : -1;
    if (dir)
        return mkdir(p, 0755) == 0 && chown(p, USER, USER) == 0 ? 0 : -1;
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return chown(p, USER, USER) == 0 ? 0 : -1;
}

static int make_tree(void)
{
    if (mkdtemp(root_dir) == NULL || chmod(root_dir, 0711) != 0)
        return -1;
    snprintf(home, sizeof(home), "%s/home", root_dir);
    return make("home", 1, NULL) || make("home/shared", 1, NULL) ||
           make("home/shared/ok.txt", 0, NULL) || make("home/shared/in", 0, "ok.txt");
}

static void remove_tree(void)
{
    char p[PATH_MAX];
    static const char *const rels[] = {"home/shared/in", "home/shared/ok.txt", "home/shared",
                                       "home", ""};

    for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", root_dir, rels[i]);
        if (remove(p) != 0)
            perror(p);
    }
}

typedef struct {
    const char *name, *scope, *rel;
    int allow_hidden;
    double t[ROUNDS];
} bench_case;

/* CPU ns per open of the case's scope/rel (the thread's CPU time, system time included: what
 * the helper pays, less what other processes on the machine take); -1 when it does not open. */
static double open_ns(const bench_case *bc, size_t n)
{
    ta_creds c = {.uid = USER, .gid = USER};
    ta_confine_policy p = {.owner_only = 1, .allow_hidden = bc->allow_hidden};
    struct stat st;
    double t0 = now_ns();
    int fd;

    for (size_t i = 0; i < n; i++) {
        if (ta_confine_open_scoped(home, ".", bc->scope, bc->rel, &c, &p, &fd, &st) !=
            TA_CONFINE_OK)
            return -1;
        close(fd);
    }
    return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
    static bench_case cases[] = {
        {"plain file, session", "", "shared/ok.txt", 0, {0}},
        {"plain file, hidden allow", "", "shared/ok.txt", 1, {0}},
        {"link, session", "", "shared/in", 0, {0}},
        {"link, hidden allow", "", "shared/in", 1, {0}},
        {"share of shared/", "shared", "ok.txt", 0, {0}},
        {"share of the whole home", "", "shared/ok.txt", 0, {0}},
    };
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : DEFAULT_N, ncases;

    ncases = sizeof(cases) / sizeof(cases[0]);
    if (geteuid() != 0 || n == 0) {
        fprintf(stderr, "usage (as root): %s [opens per case and round]\n", argv[0]);
        return 2;
    }
    if (make_tree() != 0) {
        perror("scratch tree");
        return 1;
    }
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < ncases; i++)
            cases[i].t[r] = open_ns(&cases[i], n);
    printf("confined open, CPU ns per open, median of %d rounds of %zu, %s\n", ROUNDS, n,
           ta_confine_have_openat2() ? "openat2" : "the component walk (no openat2)");
    for (size_t i = 0; i < ncases; i++) {
        qsort(cases[i].t, ROUNDS, sizeof(cases[i].t[0]), cmp_double);
        printf("  %-26s %8.0f (%.0f-%.0f)\n", cases[i].name, cases[i].t[ROUNDS / 2], cases[i].t[0],
               cases[i].t[ROUNDS - 1]);
    }
    remove_tree();
    return 0;
}
