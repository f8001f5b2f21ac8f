/* Shared by the libFuzzer targets: an invariant that aborts (so libFuzzer keeps the input)
 * and says which one failed. */
#ifndef TA_FUZZ_H
#define TA_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
