/* Login failure counters in TokenAuthCache. Records read back are untrusted: one that does
 * not decode counts as absent (a counter can only be lost that way, never a revocation,
 * which live in the ledger). */
#include "ta_loginlimit.h"
#include "ta_config.h"
#include "ta_throttle.h"

#include "http_log.h"

APLOG_USE_MODULE(tokenauth);

/* The two counter keys of a login attempt. */
typedef struct {
    char user[TA_THROTTLE_KEY_MAX];
    char addr[TA_THROTTLE_KEY_MAX];
} keys;

static ta_cache_status make_keys(request_rec *r, const char *user, keys *k)
{
    if (ta_throttle_user_key(user, strlen(user), k->user, sizeof(k->user)) == 0 ||
        ta_throttle_addr_key(r->useragent_ip, k->addr, sizeof(k->addr)) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00025: no throttle key for %s from %s", user,
                      r->useragent_ip);
        return TA_CACHE_UNAVAILABLE;
    }
    return TA_CACHE_OK;
}

static ta_throttle_policy policy_of(request_rec *r)
{
    const ta_server_conf *sc = ta_server_config(r->server);
    ta_throttle_policy p = {sc->throttle_limit, sc->throttle_window, sc->throttle_lockout};

    return p;
}

/* The record under key; a fresh one when there is none (or only garbage). Lock held. */
static ta_cache_status load(request_rec *r, const char *key, ta_throttle_rec *rec)
{
    unsigned char buf[TA_THROTTLE_REC_LEN + 1];
    unsigned len = sizeof(buf);
    ta_cache_status st =
        ta_cache_get(r, (const unsigned char *)key, (unsigned)strlen(key), buf, &len);

    memset(rec, 0, sizeof(*rec));
    if (st == TA_CACHE_OK && ta_throttle_decode(buf, len, rec) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "TA00026: unreadable login counter in TokenAuthCache; starting afresh");
        memset(rec, 0, sizeof(*rec));
    }
    return st == TA_CACHE_MISSING ? TA_CACHE_OK : st;
}

/* One more failure under key. Lock held. */
static ta_cache_status count(request_rec *r, const char *key, const ta_throttle_policy *p,
                             long long now)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];
    ta_throttle_rec rec;
    ta_cache_status st = load(r, key, &rec);

    if (st != TA_CACHE_OK)
        return st;
    ta_throttle_fail(&rec, p, now);
    ta_throttle_encode(&rec, buf);
    return ta_cache_put(r, (const unsigned char *)key, (unsigned)strlen(key),
                        ta_throttle_expiry(&rec, p), buf, sizeof(buf));
}

ta_cache_status ta_login_wait(request_rec *r, const char *user, long long *wait)
{
    long long now = (long long)apr_time_sec(r->request_time), w;
    ta_throttle_rec rec;
    ta_cache_status st;
    keys k;

    *wait = 0;
    if ((st = make_keys(r, user, &k)) != TA_CACHE_OK || (st = ta_cache_lock(r)) != TA_CACHE_OK)
        return st;
    if ((st = load(r, k.user, &rec)) == TA_CACHE_OK) {
        *wait = ta_throttle_wait(&rec, now);
        if ((st = load(r, k.addr, &rec)) == TA_CACHE_OK &&
            (w = ta_throttle_wait(&rec, now)) > *wait)
            *wait = w;
    }
    ta_cache_unlock(r);
    return st;
}

ta_cache_status ta_login_failed(request_rec *r, const char *user)
{
    long long now = (long long)apr_time_sec(r->request_time);
    ta_throttle_policy p = policy_of(r);
    ta_cache_status st;
    keys k;

    if ((st = make_keys(r, user, &k)) != TA_CACHE_OK || (st = ta_cache_lock(r)) != TA_CACHE_OK)
        return st;
    st = count(r, k.user, &p, now);
    if (st == TA_CACHE_OK)
        st = count(r, k.addr, &p, now);
    ta_cache_unlock(r);
    return st;
}

ta_cache_status ta_login_succeeded(request_rec *r, const char *user)
{
    ta_cache_status st;
    keys k;

    if ((st = make_keys(r, user, &k)) != TA_CACHE_OK || (st = ta_cache_lock(r)) != TA_CACHE_OK)
        return st;
    st = ta_cache_remove(r, (const unsigned char *)k.user, (unsigned)strlen(k.user));
    ta_cache_unlock(r);
    return st;
}
