/* The failure delay of a login: libpam's distribution, our random source, the helper's clock.
 * See ta_delay.h for why the helper, and not PAM, waits. */
#include "ta_delay.h"

#include <errno.h>

#include <openssl/rand.h>

#define DRAWS 3 /* libpam averages three uniform variates: a bell between base/2 and 3*base/2 */

uint64_t ta_delay_draw_us(uint64_t base_us, ta_delay_rand_fn rnd, void *arg)
{
    uint64_t sum = 0;

    if (base_us > TA_DELAY_BASE_MAX_US)
        base_us = TA_DELAY_BASE_MAX_US;
    for (int i = 0; i < DRAWS; i++) {
        uint32_t r = 0;

        if (rnd == NULL || rnd(arg, &r) != 0)
            return base_us + base_us / 2;
        sum += r;
    }
    /* sum / (DRAWS * 2^32) is the mean of the uniform variates, in [0, 1); base_us < 2^26 and
     * sum < 2^34, so the product fits in 64 bits */
    return base_us / 2 + base_us * sum / ((uint64_t)DRAWS << 32);
}

int ta_delay_rand_openssl(void *arg, uint32_t *out)
{
    (void)arg;
    return RAND_bytes((unsigned char *)out, sizeof(*out)) == 1 ? 0 : -1;
}

void ta_delay_until(const struct timespec *start, uint64_t delay_us)
{
    struct timespec until = *start;
    int rc;

    until.tv_sec += (time_t)(delay_us / 1000000);
    until.tv_nsec += (long)(delay_us % 1000000) * 1000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    do
        rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    while (rc == EINTR);
}
