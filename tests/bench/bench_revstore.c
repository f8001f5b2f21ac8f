/* Micro-benchmark of the revocation check every token-authenticated request makes:
 * ta_revstore_is_revoked (a jti and a user look-up under one lock) on the default-size ledger,
 * empty and filled to about half its capacity, in ns per check (median of RUNS runs).
 *
 *   build/bench/bench_revstore [N]    N checks per run (default 200000)
 *
 * The ledger file lives in a fresh directory under /tmp, removed at the end. The program
 * reports, it does not fail. */
#include "ta_revstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 9
#define DEFAULT_N 200000
#define NOW 1700000000LL

static volatile int sink;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median ns per check of tokens that are not revoked (the common case: both look-ups run). */
static double median_check_ns(ta_revstore *rs, size_t n)
{
    double t[RUNS];
    char jti[32];

    for (int run = 0; run < RUNS; run++) {
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            snprintf(jti, sizeof(jti), "live-%zu-%d", i, run);
            sink += ta_revstore_is_revoked(rs, jti, "alice", NOW - 10, NOW);
        }
        t[run] = (now_ns() - t0) / (double)n;
    }
    qsort(t, RUNS, sizeof(t[0]), cmp_double);
    return t[RUNS / 2];
}

/* The cost of formatting the jti alone, to subtract. */
static double format_ns(size_t n)
{
    char jti[32];
    double t0 = now_ns();

    for (size_t i = 0; i < n; i++) {
        snprintf(jti, sizeof(jti), "live-%zu-%d", i, 0);
        sink += jti[5];
    }
    return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : DEFAULT_N;
    char dir[] = "/tmp/ta-bench-revstore-XXXXXX", path[64], err[512], jti[32];
    ta_revstore *rs;
    size_t filled = 0;
    double empty, half, fmt;

    if (n == 0 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "usage: bench_revstore [N>0] (and a writable /tmp)\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/revocations", dir);
    rs = ta_revstore_open(path, TA_REVSTORE_SLOTS, err, sizeof(err));
    if (rs == NULL) {
        fprintf(stderr, "%s\n", err);
        rmdir(dir);
        return 1;
    }
    fmt = format_ns(n);
    empty = median_check_ns(rs, n);
    for (size_t i = 0; i < TA_REVSTORE_SLOTS / 2; i++) {
        snprintf(jti, sizeof(jti), "revoked-%zu", i);
        filled += ta_revstore_revoke_jti(rs, jti, NOW + 3600, NOW) == TA_REV_OK;
    }
    half = median_check_ns(rs, n);
    printf("ta_revstore_is_revoked (jti + user, one lock), %zu checks x %d runs, median:\n", n,
           RUNS);
    printf("  empty ledger:                 %6.0f ns\n", empty - fmt);
    printf("  %zu of %u slots in use: %6.0f ns\n", filled, TA_REVSTORE_SLOTS, half - fmt);
    ta_revstore_close(rs);
    unlink(path);
    rmdir(dir);
    return 0;
}
