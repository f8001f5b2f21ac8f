/* The helper's own count of failed logins per account (issue 9): the same numbers as
 * TokenAuthLoginThrottle, kept in the helper's memory, so that a process that reaches the helper
 * without going through HTTP (code inside an Apache child) cannot guess passwords faster than an
 * HTTP client can. The HTTP path counts in TokenAuthCache as before and answers 429 first; this
 * is the backstop behind it.
 *
 * Counts are kept per PAM service and account, not per virtual host (a worker names the virtual
 * host, and could otherwise spread its guesses over all of them); the caller passes the
 * account's canonical name where the user database has one. Slots are found with a hash keyed
 * by a secret drawn at start-up, so nobody can choose names that land on one account's slot, and
 * an account that is locked out is never pushed out of the table: when a full neighbourhood
 * holds only locks, a new name is refused as throttled rather than let a lock be forgotten. */
#ifndef TA_HTHROTTLE_H
#define TA_HTHROTTLE_H

#include "ta_throttle.h"

#define TA_HTHROTTLE_SLOTS 8192 /* accounts remembered at once */

/* Draw the hash key. 0, or -1 when no randomness is to be had. Call once, before threads. */
int ta_hthrottle_init(void);

/* Seconds the account must still wait at now (0: go ahead). Thread-safe. */
long long ta_hthrottle_wait(const char *service, const char *user, long long now);

/* Count one failure of the account at now under policy p. Thread-safe. */
void ta_hthrottle_fail(const char *service, const char *user, const ta_throttle_policy *p,
                       long long now);

/* One login attempt, decided and counted in one step before PAM is asked, so that attempts
 * made at once cannot all pass a check that counts only when PAM answers: the seconds to wait
 * (then nothing is counted), or 0 with the attempt counted as a failure, to be taken back with
 * ta_hthrottle_clear when PAM accepts or ta_hthrottle_give_back when PAM could not answer.
 * Thread-safe. */
long long ta_hthrottle_attempt(const char *service, const char *user, const ta_throttle_policy *p,
                               long long now);

/* Take back one counted attempt (PAM could not answer: no guess was made). Thread-safe. */
void ta_hthrottle_give_back(const char *service, const char *user, long long now);

/* A login succeeded: the account's count starts afresh, as on the HTTP side (also when the
 * attempt that succeeded was the one that reached the limit: it was let through before it was
 * counted). Thread-safe. */
void ta_hthrottle_clear(const char *service, const char *user, long long now);

#endif
