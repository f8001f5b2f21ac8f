/* TokenAuthLoginThrottle's counting, record format and cache keys (see ta_throttle.h). */
#include "ta_throttle.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>

#include "ta_b64.h"

#define USER_PREFIX "tu:"
#define ADDR_PREFIX "ta:"
#define REVOKER_PREFIX "tr:" /* link revocations (tokenauth-logout), not login failures */
#define SHA256_LEN 32
#define ZONE_MAX 15 /* IF_NAMESIZE - 1: the longest interface name */

/* Clamp a time or duration into [0, 2^53]: the sum of two such values fits a long long. */
static long long clamp_time(long long t)
{
    if (t < 0)
        return 0;
    return t > TA_THROTTLE_TIME_MAX ? TA_THROTTLE_TIME_MAX : t;
}

/* a + b for values already within [0, 2^53], saturating at 2^53. */
static long long add_time(long long a, long long b)
{
    return clamp_time(a + b);
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

void ta_throttle_encode(const ta_throttle_rec *rec, unsigned char out[TA_THROTTLE_REC_LEN])
{
    unsigned int failures =
        rec->failures > TA_THROTTLE_LIMIT_MAX ? TA_THROTTLE_LIMIT_MAX : rec->failures;

    out[0] = TA_THROTTLE_VERSION;
    put_be(out + 1, failures, 4);
    put_be(out + 5, (uint64_t)clamp_time(rec->window_start), 8);
    put_be(out + 13, (uint64_t)clamp_time(rec->locked_until), 8);
}

/* Every field is checked before any is used: a record from another version or another
 * program must read as absent, never as a counter with a wrapped or negative time. */
int ta_throttle_decode(const unsigned char *buf, size_t len, ta_throttle_rec *rec)
{
    uint64_t failures, window_start, locked_until;

    memset(rec, 0, sizeof(*rec));
    if (buf == NULL || len != TA_THROTTLE_REC_LEN || buf[0] != TA_THROTTLE_VERSION)
        return -1;
    failures = get_be(buf + 1, 4);
    window_start = get_be(buf + 5, 8);
    locked_until = get_be(buf + 13, 8);
    if (failures > TA_THROTTLE_LIMIT_MAX || window_start > (uint64_t)TA_THROTTLE_TIME_MAX ||
        locked_until > (uint64_t)TA_THROTTLE_TIME_MAX)
        return -1;
    rec->failures = (unsigned int)failures;
    rec->window_start = (long long)window_start;
    rec->locked_until = (long long)locked_until;
    return 0;
}

long long ta_throttle_wait(const ta_throttle_rec *rec, long long now)
{
    long long until = clamp_time(rec->locked_until);

    now = clamp_time(now);
    return until > now ? until - now : 0;
}

/* A window that began in the future (another server's clock ahead of ours) still counts:
 * restarting it instead would let a client that alternates between servers reset its own
 * counter. The worst such a record can do is lock early, which whoever writes the cache could
 * do anyway, and the lock restarts the window at now. */
void ta_throttle_fail(ta_throttle_rec *rec, const ta_throttle_policy *p, long long now)
{
    unsigned int limit = p->limit > TA_THROTTLE_LIMIT_MAX ? TA_THROTTLE_LIMIT_MAX : p->limit;
    long long window = clamp_time(p->window), lockout = clamp_time(p->lockout);

    if (limit == 0)
        limit = 1; /* fail closed: a limit of 0 cannot mean "never lock" */
    now = clamp_time(now);
    if (rec->failures > TA_THROTTLE_LIMIT_MAX)
        rec->failures = TA_THROTTLE_LIMIT_MAX; /* so the count below cannot wrap */
    rec->window_start = clamp_time(rec->window_start);
    rec->locked_until = clamp_time(rec->locked_until);
    if (rec->locked_until > now)
        return;
    if (rec->locked_until != 0) {
        rec->locked_until = 0;
        rec->failures = 0;
    }
    if (rec->failures == 0 || now - rec->window_start >= window) {
        rec->window_start = now;
        rec->failures = 0;
    }
    rec->failures++;
    /* >= rather than ==: a record counted under a larger limit locks at once when the
     * limit is lowered */
    if (rec->failures >= limit) {
        rec->failures = 0;
        rec->window_start = now;
        rec->locked_until = lockout > 0 ? add_time(now, lockout) : 0;
    }
}

long long ta_throttle_expiry(const ta_throttle_rec *rec, const ta_throttle_policy *p)
{
    long long window_end = add_time(clamp_time(rec->window_start), clamp_time(p->window));
    long long until = clamp_time(rec->locked_until);

    return until > window_end ? until : window_end;
}

/* prefix + base64url of SHA-256(user[0..len)) into out. Hashing makes the key independent of
 * what a user name holds: no separator, control byte or length in a name can reach the cache's
 * key space. */
static size_t hashed_key(const char *prefix, const char *user, size_t len, char *out, size_t outlen)
{
    static const unsigned char empty[1] = {0};
    unsigned char md[EVP_MAX_MD_SIZE];
    char b64[TA_B64URL_BUFSIZE(SHA256_LEN)];
    unsigned int mdlen = 0;
    size_t plen = strlen(prefix), n;

    if (out != NULL && outlen > 0)
        out[0] = '\0';
    if (out == NULL || (user == NULL && len > 0))
        return 0;
    if (EVP_Digest(user != NULL ? (const void *)user : empty, len, md, &mdlen, EVP_sha256(),
                   NULL) != 1 ||
        mdlen != SHA256_LEN)
        return 0;
    n = ta_b64url_encode(md, SHA256_LEN, b64);
    if (n != ta_b64url_encoded_len(SHA256_LEN) || plen + n + 1 > outlen)
        return 0;
    memcpy(out, prefix, plen);
    memcpy(out + plen, b64, n + 1);
    return plen + n;
}

size_t ta_throttle_user_key(const char *user, size_t len, char *out, size_t outlen)
{
    return hashed_key(USER_PREFIX, user, len, out, outlen);
}

size_t ta_throttle_revoker_key(const char *user, size_t len, char *out, size_t outlen)
{
    return hashed_key(REVOKER_PREFIX, user, len, out, outlen);
}

/* Split "addr%zone" into addr (copied into buf) and check the zone is an interface name or
 * index; 0 when there is no such split. */
static int strip_zone(const char *ip, char *buf, size_t buflen)
{
    const char *pct = strchr(ip, '%');
    size_t n = pct != NULL ? (size_t)(pct - ip) : strlen(ip);

    if (n >= buflen)
        return 0;
    if (pct != NULL) {
        size_t z = strlen(pct + 1);

        if (z == 0 || z > ZONE_MAX)
            return 0;
        for (size_t i = 1; i <= z; i++) {
            unsigned char c = (unsigned char)pct[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-'))
                return 0;
        }
    }
    memcpy(buf, ip, n);
    buf[n] = '\0';
    return 1;
}

/* One client, one key: inet_pton/inet_ntop rather than the text as given, so that
 * "2001:db8::1" and "2001:0db8:0::1" count together. IPv6 goes by /64 because that is what
 * one host is usually given, and a host can pick any of its 2^64 addresses per connection.
 * The zone is dropped: it names our interface, not the client (and all link-local peers
 * share fe80::/64 anyway). */
size_t ta_throttle_addr_key(const char *ip, char *out, size_t outlen)
{
    char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN];
    const char *suffix = "";
    struct in6_addr a6;
    struct in_addr a4;
    size_t prefix = sizeof(ADDR_PREFIX) - 1, n, sn;

    if (out != NULL && outlen > 0)
        out[0] = '\0';
    if (ip == NULL || out == NULL)
        return 0;
    if (inet_pton(AF_INET, ip, &a4) == 1) {
        if (inet_ntop(AF_INET, &a4, text, sizeof(text)) == NULL)
            return 0;
    }
    else {
        if (!strip_zone(ip, addr, sizeof(addr)) || inet_pton(AF_INET6, addr, &a6) != 1)
            return 0;
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            if (inet_ntop(AF_INET, a6.s6_addr + 12, text, sizeof(text)) == NULL)
                return 0;
        }
        else {
            memset(a6.s6_addr + 8, 0, 8);
            if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) == NULL)
                return 0;
            suffix = "/64";
        }
    }
    n = strlen(text);
    sn = strlen(suffix);
    if (prefix + n + sn + 1 > outlen)
        return 0;
    memcpy(out, ADDR_PREFIX, prefix);
    memcpy(out + prefix, text, n);
    memcpy(out + prefix + n, suffix, sn + 1);
    return prefix + n + sn;
}
