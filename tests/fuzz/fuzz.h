/* Shared by the libFuzzer targets: an invariant that aborts (so libFuzzer keeps the input)
 * and says which one failed. */
#ifndef TA_FUZZ_H
#define TA_FUZZ_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* 1 when n bytes at p are all zero (a refused decode must leave nothing behind). */
static inline int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

#endif
