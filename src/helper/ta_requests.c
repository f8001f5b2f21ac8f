/* The helper's request handlers. Every one starts from the token (or, for a login, from PAM)
 * and from the helper's own copy of the configuration; see ta_requests.h. */
#include "ta_requests.h"
#include "ta_broker.h"
#include "ta_confine.h"
#include "ta_delay.h"
#include "ta_hlog.h"
#include "ta_hthrottle.h"
#include "ta_io.h"
#include "ta_token.h"
#include "ta_tokencache.h"
#include "ta_user.h"
#include "ta_usercred.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* What one listing may hold in this root process, which serves many clients at once: at most
 * TA_PROTO_LIST_TOTAL_MAX visible entries, costing at most LIST_MAX_BYTES to hold (records and
 * names; with malloc's own overhead about half as much again), counted over every visible
 * entry whichever page is asked for. A larger directory is answered too_large (the worker's
 * 507), every page of it alike. */
#define LIST_MAX_BYTES ((size_t)64 << 20)
/* After a listing of this many entries or more, the memory it freed goes back to the system
 * (malloc_trim): each connection thread allocates in a malloc arena of its own, which would
 * otherwise keep the peak of the largest listing it ever made, one arena after another. */
#define LIST_TRIM_ENTRIES 4096
/* Listings whose kept entries cost more than LIST_LARGE_BYTES take a turn, of which there are
 * LIST_LARGE_AT_ONCE: without them every connection (hundreds: docs/helper.md#limits) could
 * hold LIST_MAX_BYTES at once in this root process. A listing waits for a turn at most
 * LIST_TURN_WAIT_SECONDS (within the worker's 30 s), then is answered error. */
#define LIST_LARGE_BYTES ((size_t)256 << 10)
#define LIST_LARGE_AT_ONCE 4
#define LIST_TURN_WAIT_SECONDS 15
/* The frames of a listing before its last are sent within this many seconds of the listing's
 * read, or the connection ends: a worker that reads slowly, however steadily, must not keep a
 * turn, a thread and the entries held for it (up to LIST_MAX_BYTES) for as long as it likes.
 * (The worker reads the whole answer at once, before it writes its page.) */
#define LIST_SEND_SECONDS 10

_Static_assert(TA_KIND_URL == 2 && TA_KIND_SHARE == 3, "MINT_REQ kinds are ta_kind's");

static long long now_s(void)
{
    return (long long)time(NULL);
}

/* --- the token ------------------------------------------------------------------------- */

/* Verify token as the access checker does, against the server's own keys and issuer, the
 * revocation ledger and the user database, and for url/share tokens the URL path it is used
 * for (path NULL: not used for a path, as for minting). *uc is the token user's, to be freed
 * with ta_usercred_free whatever the outcome. NULL when the token holds, else why not. */
static const char *verify_token(const ta_helper_ctx *ctx, const ta_hserver *srv, const char *token,
                                const char *path, ta_claims *c, ta_usercred *uc)
{
    long long now = now_s();
    size_t len = strlen(token);
    ta_token_status st = TA_TOKEN_OK;
    int revoked;

    memset(uc, 0, sizeof(*uc));
    /* the signature of a token seen before is not checked again (an Ed25519 verify costs more
     * than the open it guards); every check below still runs on every request */
    if (!ta_tokencache_get(srv->keys, srv->issuer, token, len, now, c)) {
        if ((st = ta_token_verify(srv->keys, srv->issuer, token, len, now, c)) != TA_TOKEN_OK)
            return ta_token_status_name(st);
        ta_tokencache_put(srv->keys, srv->issuer, token, len, now, c);
    }
    if (path && ta_token_check_request(c, path, 1) != TA_TOKEN_OK)
        return "out_of_scope";
    revoked =
        ctx->ledger ? ta_revstore_is_revoked_unlocked(ctx->ledger, c->jti, c->sub, c->iat, now) : 0;
    /* a url token dies with the session that minted it */
    if (revoked == 0 && c->sid[0] && ctx->ledger)
        revoked = ta_revstore_is_revoked_unlocked(ctx->ledger, c->sid, c->sub, c->iat, now);
    if (revoked != 0)
        return revoked > 0 ? "revoked" : "ledger_unreadable";
    if (c->uid < srv->min_uid || c->uid == 0)
        return "system_account";
    switch (ta_usercred_get(c->sub, uc)) {
    case TA_USERCRED_OK:
        return uc->uid == c->uid ? NULL : "uid_mismatch";
    case TA_USERCRED_UNKNOWN:
        return "unknown_user";
    default:
        return "user_lookup_failed";
    }
}

/* --- AUTH -------------------------------------------------------------------------------- */

/* A session token for the account PAM just accepted: its canonical name and uid from the user
 * database, the lifetime of the login location. The result to answer. */
static int issue_session(const ta_hserver *srv, const ta_hpolicy *pol, const char *user, ta_msg *a)
{
    ta_user u;
    ta_claims c;
    ta_token_status st;
    char shown[TA_LOGIN_NAME_MAX * 4 + 8];

    if (ta_user_lookup(user, &u) != TA_USER_OK || u.uid > UINT32_MAX) {
        ta_hlog(TA_LOG_ERR,
                "TA00079: helper: PAM accepted %s, whom the user database does not "
                "know (or knows with a uid out of range)",
                user);
        return TA_AUTH_UNAVAILABLE;
    }
    if (u.uid < srv->min_uid || u.uid == 0) {
        /* the password was right, but root and system accounts have no web login: refused as
         * an expired account is, at the same delay as a wrong password (ta_answer_auth) */
        ta_hlog(TA_LOG_INFO,
                "TA00056: helper: login of %s refused: uid %lu is below the "
                "minimum %lu",
                u.name, u.uid, srv->min_uid);
        return TA_AUTH_ACCOUNT_REFUSED;
    }
    if (!ta_login_name_valid(u.name)) {
        /* a user database that maps the typed name to an entry outside the rule: no token
         * may name it (ta_sub_valid), so the account cannot log in */
        ta_login_name_escape(u.name, strlen(u.name), shown, sizeof(shown));
        ta_hlog(TA_LOG_INFO,
                "TA00091: helper: login of %s refused: the user database names the account "
                "%s, outside the login name rule",
                user, shown);
        return TA_AUTH_ACCOUNT_REFUSED;
    }
    memset(&c, 0, sizeof(c));
    snprintf(c.sub, sizeof(c.sub), "%s", u.name);
    c.uid = u.uid;
    c.iat = now_s();
    c.exp = c.iat + pol->session_ttl;
    c.kind = TA_KIND_SESSION;
    st = ta_token_issue(srv->keys, srv->issuer, &c, a->u.auth_resp.token,
                        sizeof(a->u.auth_resp.token));
    if (st != TA_TOKEN_OK) {
        ta_hlog(TA_LOG_ERR, "TA00060: helper: cannot sign a session token for %s: %s", u.name,
                ta_token_status_name(st));
        return TA_AUTH_UNAVAILABLE;
    }
    a->u.auth_resp.uid = (uint32_t)u.uid;
    a->u.auth_resp.expires_at = (uint64_t)c.exp;
    return TA_AUTH_OK;
}

/* The strictest TokenAuthLoginThrottle of the servers that use this PAM service: a worker
 * names the virtual host, and must not pick the most lenient one. */
static ta_throttle_policy throttle_policy(const ta_hconf *conf, const char *service)
{
    ta_throttle_policy p = {0, 0, 0};

    for (size_t i = 0; i < conf->nservers; i++) {
        const ta_hserver *s = &conf->servers[i];
        if (strcmp(s->pam_service, service) != 0)
            continue;
        if (p.limit == 0 || s->throttle_limit < p.limit)
            p.limit = s->throttle_limit;
        if (s->throttle_window > p.window)
            p.window = s->throttle_window;
        if (s->throttle_lockout > p.lockout)
            p.lockout = s->throttle_lockout;
    }
    return p;
}

/* The name the failure count is kept under: the account's own spelling where the user database
 * knows it (with a case-insensitive one, "ALICE" and "alice" are one account), else as typed;
 * in ASCII lower case either way, so that the spellings of an unknown name share one count as
 * those of an account do (else a 429 for the fourth spelling would tell an account from a
 * name nobody has). */
static void count_name(const char *typed, char *out, size_t cap)
{
    ta_user u;

    snprintf(out, cap, "%s", ta_user_lookup(typed, &u) == TA_USER_OK ? u.name : typed);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

/* PAM through the broker, for the server's own PAM service; the attempt was counted as a
 * failure before, and is taken back here when it was none. *delay 0 when the PAM stack asked
 * for no failure delay. */
static int check_password(const ta_helper_ctx *ctx, const ta_hserver *srv, const char *account,
                          const ta_msg *m, int *delay)
{
    char why[TA_PROTO_WHY_MAX + 1] = "";
    ta_pam_status st =
        ta_broker_check(ctx->broker, srv->pam_service, m->u.auth_req.user, m->u.auth_req.password,
                        m->u.auth_req.rhost, delay, why, sizeof(why));

    ta_hlog_limited(TA_HLOG_AUTH, TA_LOG_DEBUG, "TA00061: helper: auth %s (service %s): %s (%s)",
                    m->u.auth_req.user, srv->pam_service, ta_pam_status_name(st), why);
    /* Whether a refusal waits is the service's, not this run's: a stack that refuses an
     * unknown name in a requisite module before pam_unix asks for no delay in that run, and
     * would tell it from a wrong password by its speed. Only a stack whose own file says
     * nodelay answers at once (ta_pamconf.h). */
    *delay = !srv->nodelay;
    switch (st) {
    case TA_PAM_OK:
        ta_hthrottle_clear(srv->pam_service, account, now_s());
        return TA_AUTH_OK;
    case TA_PAM_BAD_CREDENTIALS:
        return TA_AUTH_BAD_CREDENTIALS;
    case TA_PAM_ACCOUNT_REFUSED:
        return TA_AUTH_ACCOUNT_REFUSED;
    default:
        ta_hthrottle_give_back(srv->pam_service, account, now_s());
        ta_hlog(TA_LOG_ERR, "TA00062: helper: PAM unavailable for service %s: %s", srv->pam_service,
                why);
        return TA_AUTH_UNAVAILABLE;
    }
}

/* A name outside the login name rule (ta_user.h) is refused as an unknown user is, before
 * anything looks it up: PAM never sees it, nor does the user database or the failure count
 * (the HTTP side counted the attempt under its client address). */
static int refuse_name(const char *user)
{
    char shown[TA_LOGIN_NAME_MAX * 4 + 8];

    ta_login_name_escape(user, strlen(user), shown, sizeof(shown));
    ta_hlog_limited(TA_HLOG_AUTH, TA_LOG_DEBUG,
                    "TA00092: helper: login of %s refused before PAM: outside the login name "
                    "rule",
                    shown);
    return TA_AUTH_BAD_CREDENTIALS;
}

/* The verdict on one login, with the session token in r when it is OK. *delay 0 when a refusal
 * need not wait the failure delay (the PAM stack asked for none). */
static int decide_login(const ta_helper_ctx *ctx, const ta_msg *m, ta_msg *r, int *delay)
{
    char account[TA_USER_NAME_MAX + 1];
    ta_hpolicy pol;
    ta_throttle_policy tp;
    long long wait;
    int result;

    if (ta_hconf_policy(ctx->conf, m->u.auth_req.server, m->u.auth_req.path, &pol) != 0)
        return TA_AUTH_UNAVAILABLE;
    if (!ta_login_name_valid(m->u.auth_req.user))
        return refuse_name(m->u.auth_req.user);
    count_name(m->u.auth_req.user, account, sizeof(account));
    tp = throttle_policy(ctx->conf, pol.server->pam_service);
    /* decided, and counted, before PAM is asked, as the HTTP side does */
    if ((wait = ta_hthrottle_attempt(pol.server->pam_service, account, &tp, now_s())) > 0) {
        ta_hlog_limited(TA_HLOG_THROTTLED, TA_LOG_INFO,
                        "TA00063: helper: login of %s throttled for %lld s", m->u.auth_req.user,
                        wait);
        r->u.auth_resp.retry_after = (uint32_t)(wait > UINT32_MAX ? UINT32_MAX : wait);
        return TA_AUTH_THROTTLED;
    }
    if ((result = check_password(ctx, pol.server, account, m, delay)) != TA_AUTH_OK)
        return result;
    return issue_session(pol.server, &pol, m->u.auth_req.user, r);
}

/* Every refusal (401: a wrong password, an unknown user, an expired or locked account, one
 * below TokenAuthMinUID, a name outside the rule) is answered at the start of the attempt plus
 * one draw of the failure delay, so that the clock tells no reason from another (ta_delay.h).
 * A throttled attempt (429, decided before PAM) and a failure of PAM or the helper (503)
 * answer at once. Only this connection's thread waits: the helper serves each connection on a
 * thread of its own, and a login comes on a connection of its own. */
void ta_answer_auth(const ta_helper_ctx *ctx, const ta_msg *m, ta_conn_scratch *cs,
                    unsigned char *out, size_t cap, ta_answer *a)
{
    struct timespec start;
    ta_msg r;
    int result, delay = 1;

    (void)cs;
    clock_gettime(CLOCK_MONOTONIC, &start);
    memset(&r, 0, sizeof(r));
    r.type = TA_MSG_AUTH_RESP;
    r.id = m->id;
    result = decide_login(ctx, m, &r, &delay);
    if ((result == TA_AUTH_BAD_CREDENTIALS || result == TA_AUTH_ACCOUNT_REFUSED) && delay)
        ta_delay_until(&start, ta_delay_draw_us(TA_DELAY_BASE_US, ta_delay_rand_openssl, NULL));
    if (result != TA_AUTH_OK) {
        OPENSSL_cleanse(r.u.auth_resp.token, sizeof(r.u.auth_resp.token));
        r.u.auth_resp.uid = 0;
        r.u.auth_resp.expires_at = 0;
    }
    if (result != TA_AUTH_THROTTLED)
        r.u.auth_resp.retry_after = 0;
    r.u.auth_resp.result = (uint8_t)result;
    if (ta_proto_encode(&r, out, cap, &a->len) != TA_PROTO_OK)
        a->len = 0;
    ta_msg_wipe(&r);
}

/* --- OPEN and LIST ------------------------------------------------------------------------ */

/* Whose credentials a file request runs with. Root's never: a root helper that opened files as
 * root would give the workers the whole disk. A helper that is not root (Apache not started
 * as root) can take no one's credentials but its own, so it serves that one account only. */
static ta_confine_status file_creds(const ta_usercred *uc, ta_creds *cr)
{
    if (uc->uid == 0 || (geteuid() != 0 && uc->uid != (unsigned long)geteuid()))
        return TA_CONFINE_BAD_USER;
    cr->uid = uc->uid;
    cr->gid = uc->gid;
    cr->groups = uc->groups;
    cr->ngroups = uc->ngroups;
    return TA_CONFINE_OK;
}

/* Return what a large listing freed to the system (see LIST_TRIM_ENTRIES). */
static void give_back_memory(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* The turns of large listings (LIST_LARGE_AT_ONCE), shared by every connection's thread. */
static pthread_mutex_t turns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turns_given_back = PTHREAD_COND_INITIALIZER;
static unsigned turns_taken;

/* One listing's turn: whether it took one, and whether it waited in vain. */
typedef struct {
    int taken, refused;
} list_turn;

/* ta_list_bounds' wait_turn: a turn within LIST_TURN_WAIT_SECONDS. 0, or -1. */
static int wait_turn(void *arg)
{
    list_turn *t = arg;
    struct timespec until;
    int r = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += LIST_TURN_WAIT_SECONDS;
    pthread_mutex_lock(&turns_lock);
    while (turns_taken >= LIST_LARGE_AT_ONCE && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&turns_given_back, &turns_lock, &until);
    if (turns_taken < LIST_LARGE_AT_ONCE) {
        turns_taken++;
        t->taken = 1;
    }
    pthread_mutex_unlock(&turns_lock);
    t->refused = !t->taken;
    return t->taken ? 0 : -1;
}

static void give_back_turn(list_turn *t)
{
    if (!t->taken)
        return;
    pthread_mutex_lock(&turns_lock);
    turns_taken--;
    pthread_cond_signal(&turns_given_back);
    pthread_mutex_unlock(&turns_lock);
    t->taken = 0;
}

/* End the frame the writer holds with more 1, send it on the connection by deadline, and begin
 * the next in the same buffer. 0, or -1 (the connection is then no longer usable). */
static int send_and_go_on(const ta_msg *m, const ta_conn_scratch *cs, ta_proto_list_writer *w,
                          long long deadline, int *sent)
{
    uint32_t total = w->total;
    size_t len = 0;

    if (ta_proto_list_end(w, 1, &len) != TA_PROTO_OK)
        return -1;
    *sent = 1; /* even a send that fails half way has begun the answer */
    if (ta_send_all_until(cs->sock, w->buf, len, deadline) != 0)
        return -1;
    return ta_proto_list_begin(w, m->id, TA_CONFINE_IS_DIR, total, cs->list_out,
                               TA_PROTO_MAX_LIST_FRAME) == TA_PROTO_OK
               ? 0
               : -1;
}

/* Entries [from, to) of e into frames: each filled up to TA_PROTO_MAX_LIST_FRAME and sent,
 * the last left in the writer. 0, or -1 when a frame could not be sent or an entry could not
 * be written (no name the kernel lists breaks the protocol's rules; one that did would make
 * the count wrong, so it fails the answer rather than be left out). */
static int add_entries(const ta_msg *m, const ta_conn_scratch *cs, ta_proto_list_writer *w,
                       const ta_dirent *e, size_t from, size_t to, int *sent)
{
    long long deadline = ta_io_now_ms() + LIST_SEND_SECONDS * 1000LL;

    for (size_t i = from; i < to; i++) {
        size_t nl = strlen(e[i].name);
        ta_proto_status st =
            ta_proto_list_add(w, e[i].is_dir, (uint64_t)e[i].size, e[i].mtime, e[i].name, nl);

        if (st == TA_PROTO_NO_ROOM && send_and_go_on(m, cs, w, deadline, sent) == 0)
            st = ta_proto_list_add(w, e[i].is_dir, (uint64_t)e[i].size, e[i].mtime, e[i].name, nl);
        if (st != TA_PROTO_OK)
            return -1;
    }
    return 0;
}

/* The window of the sorted listing of the open directory dirfd that the request asks for
 * (offset, limit), in as many LIST_RESP frames as it takes: all but the last sent here, the
 * last written to cs->list_out. Returns the last frame's length, or 0 with *st saying why;
 * *broken when frames went out before the failure (the answer cannot be finished then: the
 * connection must end). */
static size_t write_listing(const ta_msg *m, int dirfd, const ta_creds *cr,
                            const ta_confine_policy *pol, ta_conn_scratch *cs,
                            ta_confine_status *st, int *broken)
{
    uint64_t from = m->u.file_req.offset, limit = m->u.file_req.limit;
    /* the decoder holds offset to 32 bits and limit to TA_PROTO_LIST_TOTAL_MAX: no overflow */
    uint64_t to = limit == 0 ? UINT64_MAX : from + limit;
    list_turn turn = {0, 0};
    ta_list_bounds b = {to < TA_PROTO_LIST_TOTAL_MAX ? (size_t)to : TA_PROTO_LIST_TOTAL_MAX,
                        TA_PROTO_LIST_TOTAL_MAX,
                        LIST_MAX_BYTES,
                        LIST_LARGE_BYTES,
                        wait_turn,
                        &turn};
    ta_proto_list_writer w;
    ta_dirent *e = NULL;
    size_t n = 0, total = 0, len = 0;
    int ok;

    *broken = 0;
    if ((*st = ta_confine_list(dirfd, cr, pol, &b, &e, &n, &total)) != TA_CONFINE_OK) {
        give_back_turn(&turn);
        if (turn.refused)
            ta_hlog_limited(TA_HLOG_FILE, TA_LOG_WARNING,
                            "TA00114: helper: list %s: no turn within %d s (%d large "
                            "listings at once)",
                            m->u.file_req.path, LIST_TURN_WAIT_SECONDS, LIST_LARGE_AT_ONCE);
        if (*st == TA_CONFINE_TOO_LARGE)
            give_back_memory(); /* it held a listing of its bounds before it gave up */
        return 0;
    }
    *st = TA_CONFINE_IS_DIR;
    ok = ta_proto_list_begin(&w, m->id, TA_CONFINE_IS_DIR, (uint32_t)total, cs->list_out,
                             TA_PROTO_MAX_LIST_FRAME) == TA_PROTO_OK &&
         (from >= n ||
          add_entries(m, cs, &w, e, (size_t)from, to < n ? (size_t)to : n, broken) == 0) &&
         ta_proto_list_end(&w, 0, &len) == TA_PROTO_OK;
    ta_dirent_free(e, n);
    give_back_turn(&turn);
    if (total >= LIST_TRIM_ENTRIES)
        give_back_memory();
    if (!ok) {
        *st = TA_CONFINE_ERROR;
        return 0;
    }
    return len;
}

/* The answer to OPEN_REQ or LIST_REQ that carries the status alone. */
static size_t status_only(const ta_msg *m, ta_confine_status st, unsigned char *out, size_t cap)
{
    ta_proto_list_writer w;
    size_t len = 0;

    if (m->type == TA_MSG_OPEN_REQ) {
        if (ta_proto_encode_open_resp(m->id, st, NULL, out, cap, &len) != TA_PROTO_OK)
            return 0;
    }
    else if (ta_proto_list_begin(&w, m->id, st, 0, out, cap) != TA_PROTO_OK ||
             ta_proto_list_end(&w, 0, &len) != TA_PROTO_OK)
        return 0;
    return len;
}

/* Where a file request is resolved below the subdirectory: a session token's path below the
 * whole subdirectory (*scope ""), a url or share token's beneath its scope's directory (SPEC
 * §6), which scope (TA_PROTO_PATH_MAX + 1 bytes) receives. rel is the part of path below the
 * home location, a suffix of path. */
static ta_confine_status split_scope(const ta_claims *c, const char *path, const char *rel,
                                     char *scope, const char **rest)
{
    size_t base = strlen(path) - strlen(rel), dir_len, rest_at;

    scope[0] = '\0';
    *rest = rel;
    if (c->kind == TA_KIND_SESSION)
        return TA_CONFINE_OK;
    if (ta_scope_split(c->scope, path, base, &dir_len, &rest_at) != 0 ||
        dir_len > TA_PROTO_PATH_MAX)
        return TA_CONFINE_FORBIDDEN;
    memcpy(scope, path + base, dir_len);
    scope[dir_len] = '\0';
    *rest = path + rest_at;
    return TA_CONFINE_OK;
}

/* The token, the location and the path: the user's credentials and where to look (the scope's
 * directory, and rel beneath it), or the refusal. */
static ta_confine_status resolve(const ta_helper_ctx *ctx, const ta_msg *m, ta_hpolicy *pol,
                                 char *scope, const char **rel, ta_usercred *uc, ta_creds *cr)
{
    const char *path = m->u.file_req.path, *why, *below;
    ta_claims c;
    ta_confine_status st;
    int bare;

    memset(uc, 0, sizeof(*uc));
    /* a listing is of a directory URL: "/d/" and not "/d", which a share token for the file
     * "/d" would otherwise cover */
    if (m->type == TA_MSG_LIST_REQ && path[strlen(path) - 1] != '/')
        return TA_CONFINE_BAD_PATH;
    if (ta_hconf_policy(ctx->conf, m->u.file_req.server, path, pol) != 0 || pol->home == NULL ||
        (below = ta_hconf_below(pol->home_prefix, path, &bare)) == NULL)
        return TA_CONFINE_FORBIDDEN; /* not a TokenAuthHome path of that server */
    if ((why = verify_token(ctx, pol->server, m->u.file_req.token, path, &c, uc)) != NULL) {
        ta_hlog_limited(TA_HLOG_BAD_TOKEN, TA_LOG_INFO,
                        "TA00064: helper: refused a token for %s: %s", path, why);
        return TA_CONFINE_BAD_TOKEN;
    }
    if ((st = split_scope(&c, path, below, scope, rel)) != TA_CONFINE_OK)
        return st;
    return file_creds(uc, cr);
}

void ta_answer_file(const ta_helper_ctx *ctx, const ta_msg *m, ta_conn_scratch *cs,
                    unsigned char *out, size_t cap, ta_answer *a)
{
    ta_hpolicy hp = {0};
    ta_usercred uc;
    ta_creds cr = {0};
    ta_confine_policy pol = {0, 0, 0};
    const char *rel = NULL;
    char scope[TA_PROTO_PATH_MAX + 1];
    struct stat sb;
    ta_file_info fi;
    int fd = -1, broken = 0;
    ta_confine_status st = resolve(ctx, m, &hp, scope, &rel, &uc, &cr);

    /* the worker may only make the policy stricter */
    pol.owner_only = hp.owner_only || (m->u.file_req.tighten & TA_PROTO_TIGHTEN_OWNER_ONLY);
    pol.allow_hidden = hp.allow_hidden && !(m->u.file_req.tighten & TA_PROTO_TIGHTEN_HIDE);
    if (st == TA_CONFINE_OK)
        st = ta_confine_open_scoped(uc.home, hp.home, scope, rel, &cr, &pol, &fd, &sb);
    if (st != TA_CONFINE_OK && st != TA_CONFINE_IS_DIR && fd >= 0) {
        close(fd); /* ta_confine leaves none open on a refusal; be sure */
        fd = -1;
    }
    if (m->type == TA_MSG_OPEN_REQ && (st == TA_CONFINE_OK || st == TA_CONFINE_IS_DIR)) {
        ta_file_info_from_stat(&sb, &fi);
        if (ta_proto_encode_open_resp(m->id, st, &fi, out, cap, &a->len) != TA_PROTO_OK)
            st = TA_CONFINE_ERROR;
        else if (st == TA_CONFINE_OK) {
            a->fd = fd; /* sent with the answer, closed after */
            fd = -1;
        }
    }
    else if (m->type == TA_MSG_LIST_REQ && st == TA_CONFINE_IS_DIR) {
        if (cs->list_out == NULL)
            cs->list_out = malloc(TA_PROTO_MAX_LIST_FRAME);
        if (cs->list_out == NULL)
            st = TA_CONFINE_ERROR;
        else if ((a->len = write_listing(m, fd, &cr, &pol, cs, &st, &broken)) > 0)
            a->frame = cs->list_out;
    }
    if (fd >= 0)
        close(fd);
    /* a refusal, a file to list, or a failure above: the status alone; but an answer whose
     * first frames went out cannot end in another status: no answer, the connection ends */
    if (a->len == 0 && !broken)
        a->len = status_only(m, st, out, cap);
    a->broken = broken;
    ta_hlog_limited(TA_HLOG_FILE, TA_LOG_DEBUG, "TA00065: helper: %s %s: %s",
                    m->type == TA_MSG_OPEN_REQ ? "open" : "list", m->u.file_req.path,
                    ta_confine_status_name(st));
    ta_usercred_free(&uc);
}

/* --- MINT ---------------------------------------------------------------------------------- */

/* A url or share token for the session's user, scope and lifetime held to the limits of the
 * location the scope lies in. The result to answer. */
static int mint(const ta_helper_ctx *ctx, const ta_msg *m, ta_msg *r)
{
    const char *scope = m->u.mint_req.scope, *why;
    long long ttl = (long long)m->u.mint_req.ttl;
    ta_hpolicy pol;
    ta_usercred uc;
    ta_claims s, c;
    ta_token_status st;

    if (ta_hconf_policy(ctx->conf, m->u.mint_req.server, scope, &pol) != 0)
        return TA_MINT_BAD_REQUEST;
    why = verify_token(ctx, pol.server, m->u.mint_req.token, NULL, &s, &uc);
    ta_usercred_free(&uc);
    if (why == NULL && s.kind != TA_KIND_SESSION)
        why = "not a session token";
    if (why != NULL) {
        ta_hlog_limited(TA_HLOG_MINT_REFUSED, TA_LOG_INFO,
                        "TA00066: helper: refused to mint for a token: %s", why);
        return TA_MINT_REFUSED;
    }
    if (ttl == 0)
        ttl = pol.url_ttl;
    if (!ta_scope_valid(scope) || ttl < 1 || ttl > pol.url_ttl_max)
        return TA_MINT_BAD_REQUEST;
    memset(&c, 0, sizeof(c));
    memcpy(c.sub, s.sub, sizeof(c.sub));
    c.uid = s.uid;
    c.kind = (ta_kind)m->u.mint_req.kind;
    snprintf(c.scope, sizeof(c.scope), "%s", scope);
    c.iat = now_s();
    c.exp = c.iat + ttl;
    if (c.kind == TA_KIND_URL) {
        /* a url token is part of its session: revoked with it, and ending when it ends */
        memcpy(c.sid, s.jti, sizeof(c.sid));
        if (c.exp > s.exp)
            c.exp = s.exp;
    }
    st = ta_token_issue(pol.server->keys, pol.server->issuer, &c, r->u.mint_resp.token,
                        sizeof(r->u.mint_resp.token));
    if (st == TA_TOKEN_TOO_LONG)
        return TA_MINT_BAD_REQUEST;
    if (st != TA_TOKEN_OK) {
        ta_hlog(TA_LOG_ERR, "TA00067: helper: cannot sign a %s token for %s: %s",
                ta_kind_name(c.kind), c.sub, ta_token_status_name(st));
        return TA_MINT_UNAVAILABLE;
    }
    r->u.mint_resp.expires_at = (uint64_t)c.exp;
    return TA_MINT_OK;
}

void ta_answer_mint(const ta_helper_ctx *ctx, const ta_msg *m, ta_conn_scratch *cs,
                    unsigned char *out, size_t cap, ta_answer *a)
{
    ta_msg r;

    (void)cs;
    memset(&r, 0, sizeof(r));
    r.type = TA_MSG_MINT_RESP;
    r.id = m->id;
    r.u.mint_resp.status = (uint8_t)mint(ctx, m, &r);
    if (r.u.mint_resp.status != TA_MINT_OK) {
        OPENSSL_cleanse(r.u.mint_resp.token, sizeof(r.u.mint_resp.token));
        r.u.mint_resp.expires_at = 0;
    }
    if (ta_proto_encode(&r, out, cap, &a->len) != TA_PROTO_OK)
        a->len = 0;
    ta_msg_wipe(&r);
}
