/* The JSON Web Key Set of a key set (RFC 7517 §5, RFC 8037 §2): the public half of every
 * EdDSA key, so that backends can verify our tokens and cannot forge them. HS256 keys never
 * appear: their secret is all there is to them. */
#ifndef TA_JWKS_H
#define TA_JWKS_H

#include <stddef.h>
#include "ta_keys.h"

/* Room ta_jwks_write needs for ks, terminator included. */
size_t ta_jwks_size(const ta_keyset *ks);

/* Write {"keys":[{"kty":"OKP","crv":"Ed25519","x":X,"kid":KID,"alg":"EdDSA","use":"sig"},...]}
 * into buf (cap bytes, NUL-terminated), one entry per EdDSA key in file order; an HS256-only
 * (or NULL) set gives {"keys":[]}. *len gets the length without the terminator. 0, or -1 when
 * cap is too small. */
int ta_jwks_write(const ta_keyset *ks, char *buf, size_t cap, size_t *len);

#endif
