/* Revocations: every one goes to this server's ledger first (it cannot silently drop an
 * entry, and it survives restarts); with a shared TokenAuthCache it also goes to the shared
 * store, which the check then consults for revocations made on the other servers. */
#include "ta_revoke.h"
#include "ta_config.h"
#include "ta_revstore.h"

#include "apr_strings.h"
#include "http_log.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

APLOG_USE_MODULE(tokenauth);

#define SHARED_ID_LEN 19 /* "TA", the entry kind, 16 bytes of SHA-256 */
#define TIME_TEXT_MAX 20
/* A user's cutoff matters as long as a token issued before it may live. */
#define CUTOFF_KEEP (TA_TTL_LIMIT + 60)
#define CLOCK_LEEWAY 60 /* as for iat (SPEC §3) */

/* The shared store's id of a jti ('j') or user ('u') entry: short and of fixed length
 * whatever the input, as providers hex-encode ids and memcache limits keys to 250 bytes. */
static int shared_id(char kind, const char *s, unsigned char id[SHARED_ID_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    id[0] = 'T';
    id[1] = 'A';
    id[2] = (unsigned char)kind;
    if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
        return -1;
    memcpy(id + 3, md, 16);
    return 0;
}

/* A time as ta_revoke_user writes it (decimal digits), or -1 for anything else. */
static long long parse_time(const unsigned char *buf, unsigned len)
{
    long long v = 0;

    if (len == 0 || len > 16)
        return -1;
    for (unsigned i = 0; i < len; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return -1;
        v = v * 10 + (buf[i] - '0');
    }
    return v;
}

/* The user's cutoff in the shared store, or -1 when there is none. */
static ta_cache_status shared_cutoff(request_rec *r, const char *user, long long *cutoff)
{
    unsigned char id[SHARED_ID_LEN], buf[TIME_TEXT_MAX];
    unsigned len = sizeof(buf);
    ta_cache_status st;

    *cutoff = -1;
    if (shared_id('u', user, id) != 0)
        return TA_CACHE_UNAVAILABLE;
    st = ta_cache_get(r, id, sizeof(id), buf, &len);
    if (st != TA_CACHE_OK)
        return st;
    *cutoff = parse_time(buf, len);
    if (*cutoff < 0) { /* not ours: whatever it meant, refuse rather than guess */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "TA00032: unreadable cutoff entry for %s in TokenAuthCache; "
                      "treating every token of the user as revoked",
                      user);
        *cutoff = LLONG_MAX;
    }
    return TA_CACHE_OK;
}

/* Tokens the shared store cleared a moment ago, per child: a session token comes back many
 * times a second, and each check in the shared store costs three round trips (jti, user,
 * canary). A clear answer is reused for CLEARED_FOR; so a revocation made on another server
 * reaches this one within that time (this server's own are in its ledger at once), and
 * while the store is down a token cleared just before may pass for as long. Direct-mapped:
 * a collision only costs a look-up. */
#define CLEARED_SLOTS 4096
#define CLEARED_FOR apr_time_from_msec(1000)

typedef struct {
    unsigned char id[SHARED_ID_LEN];
    apr_time_t until;
} cleared_entry;

static cleared_entry cleared[CLEARED_SLOTS];
static pthread_mutex_t cleared_lock = PTHREAD_MUTEX_INITIALIZER;

/* Monotonic: a clock stepped back must not stretch the second. */
static apr_time_t monotonic_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return apr_time_from_sec(ts.tv_sec) + ts.tv_nsec / 1000;
}

static cleared_entry *cleared_slot(const unsigned char *id)
{
    /* the id ends in SHA-256 bytes: any two of them spread evenly */
    return &cleared[((unsigned)id[3] << 8 | id[4]) % CLEARED_SLOTS];
}

static int recently_cleared(const unsigned char *id, apr_time_t now)
{
    const cleared_entry *e = cleared_slot(id);
    int hit;

    if (pthread_mutex_lock(&cleared_lock) != 0)
        return 0;
    hit = e->until > now && memcmp(e->id, id, SHARED_ID_LEN) == 0;
    pthread_mutex_unlock(&cleared_lock);
    return hit;
}

static void remember_cleared(const unsigned char *id, apr_time_t now)
{
    cleared_entry *e = cleared_slot(id);

    if (pthread_mutex_lock(&cleared_lock) != 0)
        return;
    memcpy(e->id, id, SHARED_ID_LEN);
    e->until = now + CLEARED_FOR;
    pthread_mutex_unlock(&cleared_lock);
}

static ta_cache_status shared_revoked(request_rec *r, const ta_claims *c, const unsigned char *id,
                                      int *revoked)
{
    unsigned char buf[TIME_TEXT_MAX];
    unsigned len = sizeof(buf);
    long long cutoff;
    ta_cache_status st;

    if (ta_cache_lock(r) != TA_CACHE_OK)
        return TA_CACHE_UNAVAILABLE;
    st = ta_cache_get(r, id, SHARED_ID_LEN, buf, &len);
    if (st == TA_CACHE_OK)
        *revoked = 1;
    else if (st == TA_CACHE_MISSING) {
        st = shared_cutoff(r, c->sub, &cutoff);
        if (st == TA_CACHE_OK)
            *revoked = c->iat <= cutoff;
        else if (st == TA_CACHE_MISSING)
            st = ta_cache_confirm_miss(r); /* two misses: did the store really answer? */
    }
    ta_cache_unlock(r);
    return st == TA_CACHE_MISSING ? TA_CACHE_OK : st;
}

/* Whether the token id jti (the token's own, or the session of a url token) of c's user is
 * revoked, or the user's cutoff passed c's iat. */
static ta_cache_status id_revoked(request_rec *r, const ta_claims *c, const char *jti, int *revoked)
{
    unsigned char id[SHARED_ID_LEN];
    apr_time_t now;
    ta_cache_status st;
    int local = ta_revstore_is_revoked(ta_cache_ledger(), jti, c->sub, c->iat,
                                       (long long)apr_time_sec(r->request_time));

    if (local < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00033: revocation ledger cannot be read");
        return TA_CACHE_UNAVAILABLE;
    }
    *revoked = local;
    if (local || !ta_cache_is_shared())
        return TA_CACHE_OK;
    if (shared_id('j', jti, id) != 0)
        return TA_CACHE_UNAVAILABLE;
    now = monotonic_now();
    if (recently_cleared(id, now))
        return TA_CACHE_OK;
    st = shared_revoked(r, c, id, revoked);
    if (st == TA_CACHE_OK && !*revoked)
        remember_cleared(id, now);
    return st;
}

ta_cache_status ta_revoked(request_rec *r, const ta_claims *c, int *revoked)
{
    ta_cache_status st = id_revoked(r, c, c->jti, revoked);

    /* a url token minted from a session dies with it (SPEC: minted url tokens, sid) */
    if (st == TA_CACHE_OK && !*revoked && c->sid[0])
        st = id_revoked(r, c, c->sid, revoked);
    return st;
}

/* A ledger answer as a cache status, logged when it is not OK. */
static ta_cache_status ledger_result(request_rec *r, ta_rev_result res)
{
    if (res == TA_REV_OK)
        return TA_CACHE_OK;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00033: revocation ledger: %s%s",
                  ta_rev_result_name(res),
                  res == TA_REV_FULL ? " (the revocation is refused, not dropped)" : "");
    return res == TA_REV_FULL ? TA_CACHE_FULL : TA_CACHE_UNAVAILABLE;
}

static ta_cache_status shared_put_time(request_rec *r, const unsigned char *id, long long value,
                                       long long expires)
{
    char text[TIME_TEXT_MAX + 1];
    int n = apr_snprintf(text, sizeof(text), "%" APR_INT64_T_FMT, (apr_int64_t)value);

    return ta_cache_put(r, id, SHARED_ID_LEN, expires, (const unsigned char *)text, (unsigned)n);
}

/* The shared store first: a logout that could not reach it answers 503 and leaves nothing
 * behind, so that the client's retry is not refused by this server's own ledger while the
 * other servers never heard of the revocation. */
ta_cache_status ta_revoke_token(request_rec *r, const ta_claims *c)
{
    long long now = (long long)apr_time_sec(r->request_time);
    unsigned char id[SHARED_ID_LEN];
    ta_cache_status st = TA_CACHE_OK;
    ta_rev_result res;

    if (ta_cache_is_shared()) {
        if (shared_id('j', c->jti, id) != 0 || ta_cache_lock(r) != TA_CACHE_OK)
            return TA_CACHE_UNAVAILABLE;
        /* kept past exp by the iat leeway: another server's clock may be behind */
        st = shared_put_time(r, id, c->exp, c->exp + CLOCK_LEEWAY);
        ta_cache_unlock(r);
    }
    if (st != TA_CACHE_OK)
        return st;
    res = ta_revstore_revoke_jti(ta_cache_ledger(), c->jti, c->exp, now);
    if (res == TA_REV_FULL) {
        /* No room where this jti may live. The user's cutoff entry lives elsewhere (and is
         * updated in place when present): revoking every token of the user issued up to now
         * still ends this session and the url tokens minted from it since (their sid would
         * have named this jti), at the price of the user's other ones. */
        long long cut = c->iat > now ? c->iat : now;

        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "TA00033: revocation ledger full where token %s would go: revoking every "
                      "token of %s issued up to %" APR_INT64_T_FMT " instead",
                      c->jti, c->sub, (apr_int64_t)cut);
        res = ta_revstore_cut_user(ta_cache_ledger(), c->sub, cut, cut + CUTOFF_KEEP, now);
    }
    return ledger_result(r, res);
}

ta_cache_status ta_revoke_user(request_rec *r, const char *user, long long cutoff)
{
    long long now = (long long)apr_time_sec(r->request_time), prior;
    unsigned char id[SHARED_ID_LEN];
    ta_cache_status st = TA_CACHE_OK;

    if (ta_cache_is_shared()) {
        if (shared_id('u', user, id) != 0 || ta_cache_lock(r) != TA_CACHE_OK)
            return TA_CACHE_UNAVAILABLE;
        /* another server's clock may be ahead: never move a cutoff back */
        st = shared_cutoff(r, user, &prior);
        if (st == TA_CACHE_MISSING)
            st = ta_cache_confirm_miss(r);
        if (st == TA_CACHE_OK && prior > cutoff && prior != LLONG_MAX)
            cutoff = prior;
        if (st == TA_CACHE_OK)
            st = shared_put_time(r, id, cutoff, cutoff + CUTOFF_KEEP);
        ta_cache_unlock(r);
    }
    if (st != TA_CACHE_OK)
        return st;
    return ledger_result(
        r, ta_revstore_cut_user(ta_cache_ledger(), user, cutoff, cutoff + CUTOFF_KEEP, now));
}
