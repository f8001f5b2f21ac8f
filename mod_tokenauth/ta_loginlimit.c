/* Login failure and link revocation counters in TokenAuthCache. Records read back are
 * untrusted: one that does not decode counts as absent (a counter can only be lost that way,
 * never a revocation: this server's live in its ledger, which these counters, which any client
 * can create, never reach). */
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

/* The record under key (a counter of what); a fresh one when there is none (or only
 * garbage). Lock held. */
static ta_cache_status load(request_rec *r, const char *key, const char *what, ta_throttle_rec *rec)
{
    unsigned char buf[TA_THROTTLE_REC_LEN + 1];
    unsigned len = sizeof(buf);
    ta_cache_status st =
        ta_cache_get(r, (const unsigned char *)key, (unsigned)strlen(key), buf, &len);

    memset(rec, 0, sizeof(*rec));
    if (st == TA_CACHE_OK && ta_throttle_decode(buf, len, rec) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "TA00026: unreadable %s counter in TokenAuthCache; starting afresh", what);
        memset(rec, 0, sizeof(*rec));
    }
    return st == TA_CACHE_MISSING ? TA_CACHE_OK : st;
}

static ta_cache_status save(request_rec *r, const char *key, const ta_throttle_rec *rec,
                            const ta_throttle_policy *p)
{
    unsigned char buf[TA_THROTTLE_REC_LEN];

    ta_throttle_encode(rec, buf);
    return ta_cache_put(r, (const unsigned char *)key, (unsigned)strlen(key),
                        ta_throttle_expiry(rec, p), buf, sizeof(buf));
}

/* The wait under both keys, or count the attempt under both. Lock held. */
static ta_cache_status attempt(request_rec *r, const keys *k, long long now, long long *wait)
{
    ta_throttle_policy p = policy_of(r);
    ta_throttle_rec u, a;
    ta_cache_status st;
    long long w;

    if ((st = load(r, k->user, "login", &u)) != TA_CACHE_OK ||
        (st = load(r, k->addr, "login", &a)) != TA_CACHE_OK)
        return st;
    if (u.failures == 0 && u.locked_until == 0 && a.failures == 0 && a.locked_until == 0 &&
        (st = ta_cache_confirm_miss(r)) != TA_CACHE_OK)
        return st; /* nothing known of either: make sure the store really answered */
    *wait = ta_throttle_wait(&u, now);
    if ((w = ta_throttle_wait(&a, now)) > *wait)
        *wait = w;
    if (*wait > 0)
        return TA_CACHE_OK;
    ta_throttle_fail(&u, &p, now);
    ta_throttle_fail(&a, &p, now);
    if ((st = save(r, k->user, &u, &p)) != TA_CACHE_OK)
        return st;
    return save(r, k->addr, &a, &p);
}

ta_cache_status ta_login_attempt(request_rec *r, const char *user, long long *wait)
{
    ta_cache_status st;
    keys k;

    *wait = 0;
    if ((st = make_keys(r, user, &k)) != TA_CACHE_OK || (st = ta_cache_lock(r)) != TA_CACHE_OK)
        return st;
    st = attempt(r, &k, (long long)apr_time_sec(r->request_time), wait);
    ta_cache_unlock(r);
    return st;
}

/* Take back one attempt counted under key at attempt_time. When that attempt was the one that
 * locked (the counter started afresh with the lock), the lock goes and the count before it
 * comes back. Lock held. */
static ta_cache_status give_back(request_rec *r, const char *key, long long attempt_time)
{
    ta_throttle_policy p = policy_of(r);
    ta_throttle_rec rec;
    ta_cache_status st = load(r, key, "login", &rec);

    if (st != TA_CACHE_OK)
        return st;
    if (rec.failures > 0)
        rec.failures--;
    else if (rec.locked_until != 0 && rec.locked_until == attempt_time + p.lockout) {
        rec.locked_until = 0;
        rec.failures = p.limit > 0 ? p.limit - 1 : 0;
    }
    else
        return TA_CACHE_OK;
    return save(r, key, &rec, &p);
}

/* The limit of single revocations (ta_loginlimit.h). */
static const ta_throttle_policy single_policy = {TA_SINGLE_REVOKE_LIMIT, TA_SINGLE_REVOKE_WINDOW,
                                                 TA_SINGLE_REVOKE_LOCKOUT};

/* A locked single-revocation counter stored again, unchanged: shmcb drops its oldest entries
 * when later stores wrap its buffer, and the one user the counter stops would otherwise push
 * it out with their own logins (three stores each) and start afresh. Lock held; best effort. */
static void store_again(request_rec *r, const char *key, const ta_throttle_rec *rec)
{
    ta_cache_status st = save(r, key, rec, &single_policy);

    if (st != TA_CACHE_OK)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "TA00139: a locked single-revocation counter could not be stored again (%s)",
                      ta_cache_status_name(st));
}

/* After a login of user: their counter kept young while it is locked, as every logout of a
 * loop may be refused before it reaches the counter (a session from the second of a widened
 * logout is revoked already). Lock held. */
static void keep_locked_counter(request_rec *r, const char *user, long long now)
{
    char key[TA_THROTTLE_KEY_MAX];
    ta_throttle_rec rec;

    if (ta_throttle_revoker_key(user, strlen(user), key, sizeof(key)) != 0 &&
        load(r, key, "single revocation", &rec) == TA_CACHE_OK && ta_throttle_wait(&rec, now) > 0)
        store_again(r, key, &rec);
}

ta_cache_status ta_login_give_back(request_rec *r, const char *user, int clear_user)
{
    long long t = (long long)apr_time_sec(r->request_time);
    ta_cache_status st;
    keys k;

    if ((st = make_keys(r, user, &k)) != TA_CACHE_OK || (st = ta_cache_lock(r)) != TA_CACHE_OK)
        return st;
    st = clear_user ? ta_cache_remove(r, (const unsigned char *)k.user, (unsigned)strlen(k.user))
                    : give_back(r, k.user, t);
    if (st == TA_CACHE_OK)
        st = give_back(r, k.addr, t);
    if (st == TA_CACHE_OK && clear_user)
        keep_locked_counter(r, user, t);
    ta_cache_unlock(r);
    return st;
}

/* --- link revocations ------------------------------------------------------------------- */

/* The wait under key, or count this request under it. Lock held. */
static ta_cache_status link_attempt(request_rec *r, const char *key, long long now, long long *wait)
{
    ta_throttle_rec rec;
    ta_cache_status st;

    if ((st = load(r, key, "link revocation", &rec)) != TA_CACHE_OK)
        return st;
    if (rec.failures == 0 && rec.locked_until == 0 &&
        (st = ta_cache_confirm_miss(r)) != TA_CACHE_OK)
        return st; /* a shared store down answers "not found": a fresh count must be a real one */
    if ((*wait = ta_throttle_wait(&rec, now)) > 0) {
        store_again(r, key, &rec); /* kept young by every refused request */
        return TA_CACHE_OK;
    }
    ta_throttle_fail(&rec, &single_policy, now);
    return save(r, key, &rec, &single_policy);
}

ta_cache_status ta_single_revoke_attempt(request_rec *r, const char *user, long long *wait)
{
    char key[TA_THROTTLE_KEY_MAX];
    ta_cache_status st;

    *wait = 0;
    if (ta_throttle_revoker_key(user, strlen(user), key, sizeof(key)) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00137: no link revocation counter key for %s from %s", user,
                      r->useragent_ip);
        return TA_CACHE_UNAVAILABLE;
    }
    if ((st = ta_cache_lock(r)) != TA_CACHE_OK)
        return st;
    st = link_attempt(r, key, (long long)apr_time_sec(r->request_time), wait);
    ta_cache_unlock(r);
    return st;
}
