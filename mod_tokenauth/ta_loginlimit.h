/* TokenAuthLoginThrottle (SPEC §2, §4): failed logins counted per user name and per client
 * address in TokenAuthCache, and consulted before PAM is asked. */
#ifndef TA_LOGINLIMIT_H
#define TA_LOGINLIMIT_H

#include "httpd.h"
#include "ta_cache.h"

/* Whether a login for user from this client may go ahead: TA_CACHE_OK with *wait 0, or the
 * seconds to wait (>= 1); TA_CACHE_UNAVAILABLE when the counters cannot be read. */
ta_cache_status ta_login_wait(request_rec *r, const char *user, long long *wait);

/* Count a failed login against user and the client address. */
ta_cache_status ta_login_failed(request_rec *r, const char *user);

/* A successful login clears the user name's count (not the address's: one good account must
 * not reset the count of an address that is guessing at others). */
ta_cache_status ta_login_succeeded(request_rec *r, const char *user);

#endif
