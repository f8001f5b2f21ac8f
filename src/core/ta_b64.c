/* Base64url through OpenSSL's block coder: we only translate the alphabet and the padding,
 * and check strictness (alphabet, length, zero tail bits) ourselves, because
 * EVP_DecodeBlock tolerates whitespace and never reports the padding it consumed. */
#include "ta_b64.h"

#include <string.h>
#include <openssl/evp.h>

size_t ta_b64url_encoded_len(size_t n)
{
    return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

size_t ta_b64url_decoded_max(size_t n)
{
    return (n / 4) * 3 + 3;
}

size_t ta_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t len = 0;
    size_t done = 0;

    /* EVP_EncodeBlock writes 4 chars per 3 bytes plus a NUL: encode in chunks that keep
     * the int length argument small and let us translate in place. */
    while (done < n) {
        size_t chunk = n - done > 3 * 4096 ? 3 * 4096 : n - done;
        int w = EVP_EncodeBlock((unsigned char *)out + len, in + done, (int)chunk);
        len += (size_t)w;
        done += chunk;
    }
    while (len > 0 && out[len - 1] == '=')
        len--;
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    out[len] = '\0';
    return len;
}

/* Index of c in the base64url alphabet, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int ta_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen)
{
    size_t rem = n % 4;
    size_t padded = n + (rem ? 4 - rem : 0);
    unsigned char stackbuf[1024];
    unsigned char *buf = stackbuf;
    int w;

    if (rem == 1 || ta_b64url_decoded_max(n) > outcap)
        return -1; /* a single trailing character cannot carry a whole byte */
    for (size_t i = 0; i < n; i++)
        if (b64url_value((unsigned char)in[i]) < 0)
            return -1;
    if (rem) {
        /* The low bits of the last character that do not reach a byte must be zero. */
        int last = b64url_value((unsigned char)in[n - 1]);
        int mask = rem == 2 ? 0x0f : 0x03;
        if (last & mask)
            return -1;
    }
    if (padded > (size_t)1 << 30)
        return -1;
    if (padded > sizeof(stackbuf)) {
        buf = OPENSSL_malloc(padded);
        if (buf == NULL)
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : (unsigned char)in[i];
    for (size_t i = n; i < padded; i++)
        buf[i] = '=';
    w = padded ? EVP_DecodeBlock(out, buf, (int)padded) : 0;
    if (buf != stackbuf)
        OPENSSL_clear_free(buf, padded);
    else
        OPENSSL_cleanse(stackbuf, padded);
    if (w < 0)
        return -1;
    /* EVP_DecodeBlock counts the bytes the padding stands for as decoded zeros. */
    *outlen = (size_t)w - (rem ? 4 - rem : 0);
    return 0;
}
