/* The descriptor cache of a child (ta_fdcache.h). A small array searched by hash: a child
 * holds a few dozen fresh descriptors at a time, and a scan of their hashes costs less than
 * keeping a table in order under the lock. */
#include "ta_fdcache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *key;             /* NULL: the slot is free */
    uint64_t hash;         /* of key */
    int fd;                /* owned by the cache */
    int lent;              /* a request has it */
    unsigned gen;          /* the cache's generation when it was added */
    long long expires_ms;  /* its time is up at this moment */
    struct timespec ctime; /* the inode's status change time when the helper opened it */
} fd_entry;

struct ta_fdcache {
    pthread_mutex_t lock;
    size_t capacity, count;
    unsigned gen; /* moves on at each flush: entries of an older one are not lent out again */
    fd_entry *e;
};

static uint64_t key_hash(const char *key)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */

    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

ta_fdcache *ta_fdcache_create(size_t capacity)
{
    ta_fdcache *c;

    if (capacity == 0 || (c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    if ((c->e = calloc(capacity, sizeof(*c->e))) == NULL) {
        free(c);
        return NULL;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c->e);
        free(c);
        return NULL;
    }
    c->capacity = capacity;
    return c;
}

/* Close and forget one entry. Called with the lock held. */
static void drop(ta_fdcache *c, fd_entry *e)
{
    close(e->fd);
    free(e->key);
    memset(e, 0, sizeof(*e));
    c->count--;
}

void ta_fdcache_destroy(ta_fdcache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->capacity; i++)
        if (c->e[i].key)
            drop(c, &c->e[i]);
    pthread_mutex_destroy(&c->lock);
    free(c->e);
    free(c);
}

/* The descriptor still names the file the helper opened, unchanged since: a regular file
 * with a name left, whose status has not changed. *st: its status now. */
static int still_same(const fd_entry *e, struct stat *st)
{
    return fstat(e->fd, st) == 0 && S_ISREG(st->st_mode) && st->st_nlink > 0 &&
           st->st_ctim.tv_sec == e->ctime.tv_sec && st->st_ctim.tv_nsec == e->ctime.tv_nsec;
}

int ta_fdcache_take(ta_fdcache *c, const char *key, long long now_ms, int *fd, struct stat *st)
{
    uint64_t h = key_hash(key);
    int slot = -1;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->capacity && c->count > 0; i++) {
        fd_entry *e = &c->e[i];
        if (e->key == NULL || e->lent || e->hash != h || strcmp(e->key, key) != 0)
            continue;
        if (now_ms >= e->expires_ms || e->gen != c->gen || !still_same(e, st)) {
            drop(c, e);
            continue;
        }
        e->lent = 1;
        *fd = e->fd;
        slot = (int)i;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return slot;
}

/* A slot for a new entry: a free one, else the entry not lent out that expires first
 * (closed). NULL when every entry is lent out. Called with the lock held. */
static fd_entry *room(ta_fdcache *c)
{
    fd_entry *victim = NULL;

    for (size_t i = 0; i < c->capacity; i++) {
        fd_entry *e = &c->e[i];
        if (e->key == NULL)
            return e;
        if (!e->lent && (victim == NULL || e->expires_ms < victim->expires_ms))
            victim = e;
    }
    if (victim)
        drop(c, victim);
    return victim;
}

int ta_fdcache_add(ta_fdcache *c, const char *key, int fd, long long now_ms, long long ttl_ms)
{
    struct stat st;
    char *copy;
    fd_entry *e;
    int slot = -1;

    if (ttl_ms <= 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (copy = strdup(key)) == NULL)
        return -1;
    pthread_mutex_lock(&c->lock);
    if ((e = room(c)) != NULL) {
        e->key = copy;
        e->hash = key_hash(key);
        e->fd = fd;
        e->lent = 1;
        e->gen = c->gen;
        e->expires_ms = now_ms + ttl_ms;
        e->ctime = st.st_ctim;
        c->count++;
        slot = (int)(e - c->e);
    }
    pthread_mutex_unlock(&c->lock);
    if (slot < 0)
        free(copy);
    return slot;
}

void ta_fdcache_give_back(ta_fdcache *c, int slot, long long now_ms)
{
    fd_entry *e;

    if (slot < 0 || (size_t)slot >= c->capacity)
        return;
    pthread_mutex_lock(&c->lock);
    e = &c->e[slot];
    if (e->key && e->lent) {
        e->lent = 0;
        if (now_ms >= e->expires_ms || e->gen != c->gen)
            drop(c, e);
    }
    pthread_mutex_unlock(&c->lock);
}

void ta_fdcache_flush(ta_fdcache *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->count > 0) {
        c->gen++;
        for (size_t i = 0; i < c->capacity; i++)
            if (c->e[i].key && !c->e[i].lent)
                drop(c, &c->e[i]);
    }
    pthread_mutex_unlock(&c->lock);
}

size_t ta_fdcache_sweep(ta_fdcache *c, long long now_ms)
{
    size_t left;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->capacity && c->count > 0; i++)
        if (c->e[i].key && !c->e[i].lent && now_ms >= c->e[i].expires_ms)
            drop(c, &c->e[i]);
    left = c->count;
    pthread_mutex_unlock(&c->lock);
    return left;
}

size_t ta_fdcache_count(ta_fdcache *c)
{
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = c->count;
    pthread_mutex_unlock(&c->lock);
    return n;
}
