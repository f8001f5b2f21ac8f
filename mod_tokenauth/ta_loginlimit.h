/* TokenAuthLoginThrottle (SPEC §2, §4): failed logins counted per user name and per client
 * address in TokenAuthCache, and consulted before PAM is asked. */
#ifndef TA_LOGINLIMIT_H
#define TA_LOGINLIMIT_H

#include "httpd.h"
#include "ta_cache.h"

/* Before PAM, under one lock: the seconds to wait when the user name or the address is
 * locked out (*wait >= 1: answer 429), else count this attempt against both as if it failed
 * (*wait 0), so that attempts sent in parallel cannot all reach PAM before the first failure
 * is counted. TA_CACHE_UNAVAILABLE when the counters cannot be read or written. */
ta_cache_status ta_login_attempt(request_rec *r, const char *user, long long *wait);

/* After PAM answered, for an attempt that did not fail: a success clears the user name's
 * count (clear_user) and gives the address its attempt back (not its earlier failures: one
 * good account must not reset the count of an address that is guessing at others); an
 * attempt that never reached PAM (helper down) gives both their attempt back. */
ta_cache_status ta_login_give_back(request_rec *r, const char *user, int clear_user);

#endif
