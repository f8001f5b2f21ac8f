/* Base64url (RFC 4648 §5) without padding, strict: the JWS encoding. */
#ifndef TA_B64_H
#define TA_B64_H

#include <stddef.h>

/* Length of the encoding of n bytes (no padding, no terminator). */
size_t ta_b64url_encoded_len(size_t n);

/* Upper bound of the decoded length of an n-character encoding. */
size_t ta_b64url_decoded_max(size_t n);

/* Room that ta_b64url_encode needs for n bytes: the padded encoding the block coder writes
 * before we trim it, plus the terminator. */
#define TA_B64URL_BUFSIZE(n) ((((n) + 2) / 3) * 4 + 1)

/* Encode in[0..n) into out (TA_B64URL_BUFSIZE(n) bytes); NUL-terminates.
 * Returns the encoded length, ta_b64url_encoded_len(n). */
size_t ta_b64url_encode(const unsigned char *in, size_t n, char *out);

/* Decode exactly n characters of strict base64url: only A-Z a-z 0-9 - _, no padding, no
 * whitespace, and the unused low bits of the last character must be zero (so every byte
 * string has exactly one accepted encoding). Refused unless out's outcap bytes can hold
 * ta_b64url_decoded_max(n). Returns 0 and sets *outlen, or -1. */
int ta_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen);

#endif
