/* A per-process cache of verified tokens, so that a token used for many requests (an image
 * gallery, a web app's API calls) pays for its signature check once per child: an Ed25519
 * verify costs tens of microseconds, a hit about one SHA-256 of the token.
 *
 * An entry is the claims of a token whose signature and claims verified, keyed by SHA-256 of
 * the key set, the issuer and the whole token (so a token verified for one virtual host is
 * never a hit for another with other keys or another issuer), compared in constant time. It
 * is a hit only for a request whose time lies in [the time of that verify, exp): every time
 * rule of ta_token_verify other than exp > now only gets easier as time goes on, so a hit is
 * exactly what a full verify would have said. Revocation, scope and user checks are not
 * cached: the caller runs them after every hit as after every verify.
 *
 * Bounded: TA_TOKENCACHE_SLOTS entries, in sets of TA_TOKENCACHE_WAYS chosen by the hash.
 * A new entry takes an empty or expired slot of its set, else the set's least recently used
 * one. Only verified tokens get in, so a client cannot fill it without valid tokens. One lock
 * per set; no memory is allocated, so nothing can leak. No httpd or APR header is needed. */
#ifndef TA_TOKENCACHE_H
#define TA_TOKENCACHE_H

#include <stddef.h>

#include "ta_keys.h"
#include "ta_token.h"

#define TA_TOKENCACHE_SLOTS 4096
#define TA_TOKENCACHE_WAYS 4
#define TA_TOKENCACHE_TEXT_MAX                                                                     \
    480 /* kid, sub, jti, scope and sid of one entry; longer: not kept                             \
         */

/* 1 with *out the claims when tok verified under (ks, issuer) at a time not after now and
 * expires after now; 0 otherwise (*out then untouched). Thread-safe. */
int ta_tokencache_get(const ta_keyset *ks, const char *issuer, const char *tok, size_t len,
                      long long now, ta_claims *out);

/* Remember that tok verified under (ks, issuer) at now, with claims c. Thread-safe. */
void ta_tokencache_put(const ta_keyset *ks, const char *issuer, const char *tok, size_t len,
                       long long now, const ta_claims *c);

/* The number of entries that have not expired at now. */
size_t ta_tokencache_count(long long now);

/* Forget every entry. */
void ta_tokencache_clear(void);

#endif
