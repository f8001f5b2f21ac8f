/* TokenAuthLoginThrottle (SPEC §2, §4): failed logins counted per user name and per client
 * address in TokenAuthCache, and consulted before PAM is asked. And, with the same records
 * under keys of their own, the link revocations of each user (tokenauth-logout's token field). */
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

/* Single revocations (a link revoked, a logout of one session): each takes a slot of the
 * revocation ledger until the token's exp (a link's up to a week), and minting (or a login and
 * logout loop) is cheap, so without a bound one user could fill the ledger and leave other
 * users' logouts without room. At most this many per user in a window, counted together; the
 * one that reaches the limit still goes through. After it, requests to revoke a link are
 * refused for the lockout (429), and a logout revokes every token of the user instead (their
 * one cutoff entry). Fixed: a number to document, not to tune. */
#define TA_SINGLE_REVOKE_LIMIT 100
#define TA_SINGLE_REVOKE_WINDOW 3600  /* seconds */
#define TA_SINGLE_REVOKE_LOCKOUT 3600 /* seconds */

/* Before the link is looked at, under one lock: the seconds to wait while user has used up
 * their link revocations (*wait >= 1: answer 429), else count this request (*wait 0). Every
 * request counts, refused or not, so that guessing at links is bounded too. TA_CACHE_UNAVAILABLE
 * when the counter cannot be read or written. */
ta_cache_status ta_single_revoke_attempt(request_rec *r, const char *user, long long *wait);

#endif
