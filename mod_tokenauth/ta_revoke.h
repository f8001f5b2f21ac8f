/* Revocations (SPEC §3, §4, §7): the check every token passes, and what logout records. */
#ifndef TA_REVOKE_H
#define TA_REVOKE_H

#include "httpd.h"
#include "ta_cache.h"
#include "ta_token.h"

/* Whether the token of c was revoked, by its jti or by its user's "log out everywhere"
 * time: TA_CACHE_OK with *revoked set, or TA_CACHE_UNAVAILABLE (the caller fails closed). */
ta_cache_status ta_revoked(request_rec *r, const ta_claims *c, int *revoked);

/* Revoke the token of c until its exp. TA_CACHE_FULL when the ledger cannot take it. */
ta_cache_status ta_revoke_token(request_rec *r, const ta_claims *c);

/* Revoke every token of user issued at or before cutoff (Unix seconds). */
ta_cache_status ta_revoke_user(request_rec *r, const char *user, long long cutoff);

#endif
