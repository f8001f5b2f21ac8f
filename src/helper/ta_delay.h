/* The delay of a failed login (SPEC §4: "the same answer and about the same time for an unknown
 * user as for a wrong password").
 *
 * Why the helper, and not PAM, waits. libpam sleeps after a failed pam_authenticate for a
 * randomised time around the largest delay a module asked for (pam_unix asks for 2 s), but only
 * there: a refusal that comes later (pam_acct_mgmt refusing an expired or locked account whose
 * password was right, an account below TokenAuthMinUID, a name the helper refuses before PAM) is
 * not slept by PAM, and any other delay would be drawn differently, which a client can measure.
 * So the PAM process installs a PAM_FAIL_DELAY function that only records whether a delay was
 * asked for, and the helper answers every refusal at the start of the attempt plus one draw from
 * the one distribution below, whatever the reason. Counting from the start also hides how long
 * the reason took to find (a hash, a network module).
 *
 * The draw is libpam's for a request of TA_DELAY_BASE_US: the mean of three uniform variates,
 * scaled to base * [1/2, 3/2) (mean base, standard deviation base/6), so that a login answers
 * as stock pam_unix would; the random bits come from a caller's source (the helper's is
 * OpenSSL's RAND_bytes) rather than from libpam's generator, which older versions seed with the
 * current second. */
#ifndef TA_DELAY_H
#define TA_DELAY_H

#include <stdint.h>
#include <time.h>

#define TA_DELAY_BASE_US 2000000ULL      /* what pam_unix asks for */
#define TA_DELAY_BASE_MAX_US 60000000ULL /* larger bases are clamped to it */

/* A source of random bits: 0 and *out filled, or -1 when it has none to give. */
typedef int (*ta_delay_rand_fn)(void *arg, uint32_t *out);

/* One draw for base_us (clamped to TA_DELAY_BASE_MAX_US), in microseconds: within
 * [base/2, 3*base/2). When the source fails, the longest delay it could have drawn: a failing
 * source must never make a refusal quicker. Pure: the only input is what rnd returns. */
uint64_t ta_delay_draw_us(uint64_t base_us, ta_delay_rand_fn rnd, void *arg);

/* The helper's source: OpenSSL's RAND_bytes (arg unused). */
int ta_delay_rand_openssl(void *arg, uint32_t *out);

/* Sleep until start (CLOCK_MONOTONIC) plus delay_us; at once when that has passed. Only the
 * calling thread waits. */
void ta_delay_until(const struct timespec *start, uint64_t delay_us);

#endif
