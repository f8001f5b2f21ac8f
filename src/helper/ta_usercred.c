/* The helper's cache of user credentials (see ta_usercred.h): a fixed table of
 * TA_USERCRED_CACHE_MAX entries under one mutex, scanned linearly (a few hundred short names:
 * cheaper than what it saves by far), the least recently used entry making room. NSS is asked
 * outside the lock and its answer stored after; a generation count keeps an answer that was asked
 * for before a ta_usercred_clear out of the cleared table. */
#include "ta_usercred.h"
#include "ta_confine.h"
#include "ta_user.h"

#include <grp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define GROUPS_START 64 /* supplementary groups: a first guess, grown as needed */

typedef struct {
    int in_use;
    char name[TA_USER_NAME_MAX + 1]; /* the key, as the caller spelled it */
    ta_usercred_status status;       /* TA_USERCRED_OK or TA_USERCRED_UNKNOWN */
    long long expires_ms;            /* trusted while the clock is before this */
    unsigned long long used;         /* tick of the last hit or store: the LRU order */
    unsigned long uid, gid;
    char *home;            /* malloc'd; NULL for UNKNOWN */
    unsigned long *groups; /* malloc'd; NULL when ngroups is 0 */
    size_t ngroups;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry table[TA_USERCRED_CACHE_MAX];
static unsigned long long tick;
static unsigned long generation;        /* bumped by every clear */
static ta_usercred_lookup_fn lookup_fn; /* NULL: nss_lookup */
static ta_usercred_clock_fn clock_fn;   /* NULL: monotonic_ms */

const char *ta_usercred_status_name(ta_usercred_status st)
{
    switch (st) {
    case TA_USERCRED_OK:
        return "ok";
    case TA_USERCRED_UNKNOWN:
        return "unknown";
    case TA_USERCRED_ERROR:
        return "error";
    }
    return "?";
}

void ta_usercred_free(ta_usercred *c)
{
    if (c == NULL)
        return;
    free(c->groups);
    c->groups = NULL;
    c->ngroups = 0;
}

static void blank(ta_usercred *c)
{
    c->uid = c->gid = 0;
    c->home[0] = '\0';
    c->groups = NULL;
    c->ngroups = 0;
}

/* Monotonic milliseconds, or -1 when the clock fails: then nothing is cached, since nothing could
 * expire. */
static long long monotonic_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return -1;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The supplementary groups of name (getgrouplist, with gid), in a buffer that grows to the kernel's
 * limit: a user in more groups than a process may hold is an error. */
static ta_usercred_status nss_groups(const char *name, unsigned long gid, ta_usercred *out)
{
    int cap = GROUPS_START;

    for (;;) {
        gid_t *g = malloc((size_t)cap * sizeof(*g));
        int got = cap;

        if (g == NULL)
            return TA_USERCRED_ERROR;
        if (getgrouplist(name, (gid_t)gid, g, &got) >= 0) {
            if (got > 0 && (out->groups = malloc((size_t)got * sizeof(*out->groups))) == NULL) {
                free(g);
                return TA_USERCRED_ERROR;
            }
            for (int i = 0; i < got; i++)
                out->groups[i] = g[i];
            out->ngroups = got > 0 ? (size_t)got : 0;
            free(g);
            return TA_USERCRED_OK;
        }
        free(g);
        if (cap >= TA_CONFINE_NGROUPS_MAX)
            return TA_USERCRED_ERROR;
        /* glibc says how many it needs; grow to that, or double when it does not say */
        cap = got > cap && got <= TA_CONFINE_NGROUPS_MAX
                  ? got
                  : (cap * 2 > TA_CONFINE_NGROUPS_MAX ? TA_CONFINE_NGROUPS_MAX : cap * 2);
    }
}

/* The look-up itself: passwd entry, then the groups of its canonical name (pw_name). */
static ta_usercred_status nss_lookup(const char *user, ta_usercred *out)
{
    ta_user u;
    ta_user_status st = ta_user_lookup(user, &u);

    if (st == TA_USER_UNKNOWN)
        return TA_USERCRED_UNKNOWN;
    if (st != TA_USER_OK)
        return TA_USERCRED_ERROR;
    out->uid = u.uid;
    out->gid = u.gid;
    memcpy(out->home, u.home, strlen(u.home) + 1); /* ta_user_lookup bounds it by PATH_MAX */
    return nss_groups(u.name, u.gid, out);
}

static void drop(entry *e)
{
    free(e->home);
    free(e->groups);
    memset(e, 0, sizeof(*e));
}

/* Under the lock: the entry for user, or NULL. */
static entry *find(const char *user)
{
    for (size_t i = 0; i < TA_USERCRED_CACHE_MAX; i++)
        if (table[i].in_use && strcmp(table[i].name, user) == 0)
            return &table[i];
    return NULL;
}

/* Under the lock: a copy of a fresh entry for the caller. */
static ta_usercred_status copy_out(const entry *e, ta_usercred *out)
{
    if (e->status != TA_USERCRED_OK)
        return e->status;
    if (e->ngroups > 0) {
        out->groups = malloc(e->ngroups * sizeof(*out->groups));
        if (out->groups == NULL)
            return TA_USERCRED_ERROR;
        memcpy(out->groups, e->groups, e->ngroups * sizeof(*out->groups));
    }
    out->ngroups = e->ngroups;
    out->uid = e->uid;
    out->gid = e->gid;
    memcpy(out->home, e->home, strlen(e->home) + 1);
    return TA_USERCRED_OK;
}

/* An entry for the answer st/c, its copies made before the lock is taken; 0, or -1 when memory ran
 * out (then nothing is remembered). */
static int make_entry(const char *user, ta_usercred_status st, const ta_usercred *c, long long now,
                      entry *e)
{
    memset(e, 0, sizeof(*e));
    e->in_use = 1;
    memcpy(e->name, user, strlen(user) + 1);
    e->status = st;
    e->expires_ms = now + TA_USERCRED_TTL_MS;
    if (st != TA_USERCRED_OK)
        return 0;
    e->uid = c->uid;
    e->gid = c->gid;
    e->ngroups = c->ngroups;
    e->home = strdup(c->home);
    if (c->ngroups > 0 && (e->groups = malloc(c->ngroups * sizeof(*e->groups))) != NULL)
        memcpy(e->groups, c->groups, c->ngroups * sizeof(*e->groups));
    if (e->home == NULL || (c->ngroups > 0 && e->groups == NULL)) {
        drop(e);
        return -1;
    }
    return 0;
}

/* Under the lock: put e in the table, in place of the same name's entry, else in a free slot, else
 * in place of the least recently used one. The table owns e's copies from here. */
static void store(entry *e)
{
    entry *slot = find(e->name);

    for (size_t i = 0; slot == NULL && i < TA_USERCRED_CACHE_MAX; i++)
        if (!table[i].in_use)
            slot = &table[i];
    if (slot == NULL) {
        slot = &table[0];
        for (size_t i = 1; i < TA_USERCRED_CACHE_MAX; i++)
            if (table[i].used < slot->used)
                slot = &table[i];
    }
    drop(slot);
    *slot = *e;
    slot->used = ++tick;
}

/* A name the table can hold. Longer ones (the protocol sends none) are looked up each time. */
static int cacheable(const char *user)
{
    size_t n = strlen(user);

    return n > 0 && n <= TA_USER_NAME_MAX;
}

ta_usercred_status ta_usercred_get(const char *user, ta_usercred *out)
{
    ta_usercred_lookup_fn fn;
    ta_usercred_status st;
    unsigned long gen;
    long long now;
    entry *e, fresh;

    blank(out);
    if (pthread_mutex_lock(&lock) != 0)
        return TA_USERCRED_ERROR;
    fn = lookup_fn ? lookup_fn : nss_lookup;
    gen = generation;
    now = clock_fn ? clock_fn() : monotonic_ms();
    if (now >= 0 && cacheable(user) && (e = find(user)) != NULL && now < e->expires_ms) {
        e->used = ++tick;
        st = copy_out(e, out);
        pthread_mutex_unlock(&lock);
        if (st != TA_USERCRED_OK) {
            ta_usercred_free(out);
            blank(out);
        }
        return st;
    }
    pthread_mutex_unlock(&lock);

    st = fn(user, out); /* outside the lock: NSS may take long */
    if (st == TA_USERCRED_OK && out->ngroups > TA_CONFINE_NGROUPS_MAX)
        st = TA_USERCRED_ERROR;
    if (st != TA_USERCRED_OK && st != TA_USERCRED_UNKNOWN)
        st = TA_USERCRED_ERROR; /* an NSS failure is not an answer: not remembered */
    else if (now >= 0 && cacheable(user) && out->ngroups <= TA_USERCRED_CACHED_GROUPS_MAX &&
             make_entry(user, st, out, now, &fresh) == 0) {
        if (pthread_mutex_lock(&lock) != 0)
            drop(&fresh);
        else {
            if (gen == generation)
                store(&fresh);
            else
                drop(&fresh); /* cleared meanwhile: the answer may be what the clear was for */
            pthread_mutex_unlock(&lock);
        }
    }
    if (st != TA_USERCRED_OK) {
        ta_usercred_free(out);
        blank(out);
    }
    return st;
}

void ta_usercred_clear(void)
{
    if (pthread_mutex_lock(&lock) != 0)
        return;
    for (size_t i = 0; i < TA_USERCRED_CACHE_MAX; i++)
        drop(&table[i]);
    generation++;
    pthread_mutex_unlock(&lock);
}

void ta_usercred_set_lookup_for_tests(ta_usercred_lookup_fn fn)
{
    if (pthread_mutex_lock(&lock) != 0)
        return;
    lookup_fn = fn;
    pthread_mutex_unlock(&lock);
    ta_usercred_clear();
}

void ta_usercred_set_clock_for_tests(ta_usercred_clock_fn fn)
{
    if (pthread_mutex_lock(&lock) != 0)
        return;
    clock_fn = fn;
    pthread_mutex_unlock(&lock);
    ta_usercred_clear();
}
