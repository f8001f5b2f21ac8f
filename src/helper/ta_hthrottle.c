/* A fixed table of throttle records, keyed by PAM service and account. */
#include "ta_hthrottle.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define PROBE 16
#define KEY_MAX (64 + TA_THROTTLE_KEY_MAX + 2)

typedef struct {
    char key[KEY_MAX];
    ta_throttle_rec rec;
    long long expires; /* 0: free */
} entry;

static entry table[TA_HTHROTTLE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seed[2];

int ta_hthrottle_init(void)
{
    return RAND_bytes((unsigned char *)seed, sizeof(seed)) == 1 ? 0 : -1;
}

/* "SERVICE:" + ta_throttle_user_key (a hash of the name, any length, any bytes). */
static int make_key(const char *service, const char *user, char *out, size_t cap)
{
    char k[TA_THROTTLE_KEY_MAX];
    int n;

    if (ta_throttle_user_key(user, strlen(user), k, sizeof(k)) == 0)
        return -1;
    n = snprintf(out, cap, "%s:%s", service, k);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* A keyed mix of the key's bytes: without the seed, nobody can predict which names share a
 * neighbourhood of slots. */
static size_t home_slot(const char *key)
{
    uint64_t h = seed[0];

    for (; *key; key++) {
        h ^= (unsigned char)*key;
        h *= 0x100000001b3ULL;
        h ^= seed[1];
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)(h % TA_HTHROTTLE_SLOTS);
}

/* The slot holding key, or NULL. Lock held. */
static entry *find(const char *key, long long now)
{
    size_t s = home_slot(key);

    for (size_t i = 0; i < PROBE; i++) {
        entry *e = &table[(s + i) % TA_HTHROTTLE_SLOTS];
        if (e->expires > now && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

/* A free or expired slot near key's home; else the one expiring first that holds no lock in
 * force; else NULL. Lock held. */
static entry *make_room(const char *key, long long now)
{
    size_t s = home_slot(key);
    entry *victim = NULL;

    for (size_t i = 0; i < PROBE; i++) {
        entry *e = &table[(s + i) % TA_HTHROTTLE_SLOTS];
        if (e->expires <= now)
            return e;
        if (ta_throttle_wait(&e->rec, now) == 0 && (victim == NULL || e->expires < victim->expires))
            victim = e;
    }
    return victim;
}

long long ta_hthrottle_wait(const char *service, const char *user, long long now)
{
    char key[KEY_MAX];
    long long wait = 0;
    entry *e;

    if (make_key(service, user, key, sizeof(key)) != 0)
        return 1; /* cannot count it: do not check it either */
    pthread_mutex_lock(&lock);
    if ((e = find(key, now)) != NULL)
        wait = ta_throttle_wait(&e->rec, now);
    else if (make_room(key, now) == NULL)
        wait = 1; /* a neighbourhood of locks: refuse rather than forget one */
    pthread_mutex_unlock(&lock);
    return wait;
}

void ta_hthrottle_fail(const char *service, const char *user, const ta_throttle_policy *p,
                       long long now)
{
    char key[KEY_MAX];
    entry *e;

    if (make_key(service, user, key, sizeof(key)) != 0)
        return;
    pthread_mutex_lock(&lock);
    if ((e = find(key, now)) == NULL && (e = make_room(key, now)) != NULL) {
        memset(e, 0, sizeof(*e));
        memcpy(e->key, key, strlen(key) + 1);
    }
    if (e != NULL) {
        ta_throttle_fail(&e->rec, p, now);
        e->expires = ta_throttle_expiry(&e->rec, p);
    }
    pthread_mutex_unlock(&lock);
}

long long ta_hthrottle_attempt(const char *service, const char *user, const ta_throttle_policy *p,
                               long long now)
{
    char key[KEY_MAX];
    long long wait = 0;
    entry *e;

    if (make_key(service, user, key, sizeof(key)) != 0)
        return 1;
    pthread_mutex_lock(&lock);
    if ((e = find(key, now)) != NULL && (wait = ta_throttle_wait(&e->rec, now)) > 0) {
        pthread_mutex_unlock(&lock);
        return wait;
    }
    if (e == NULL && (e = make_room(key, now)) != NULL) {
        memset(e, 0, sizeof(*e));
        memcpy(e->key, key, strlen(key) + 1);
    }
    if (e == NULL)
        wait = 1; /* a neighbourhood of locks: refuse rather than forget one */
    else {
        ta_throttle_fail(&e->rec, p, now);
        e->expires = ta_throttle_expiry(&e->rec, p);
    }
    pthread_mutex_unlock(&lock);
    return wait;
}

void ta_hthrottle_give_back(const char *service, const char *user, long long now)
{
    char key[KEY_MAX];
    entry *e;

    if (make_key(service, user, key, sizeof(key)) != 0)
        return;
    pthread_mutex_lock(&lock);
    if ((e = find(key, now)) != NULL && e->rec.failures > 0)
        e->rec.failures--;
    pthread_mutex_unlock(&lock);
}

void ta_hthrottle_clear(const char *service, const char *user, long long now)
{
    char key[KEY_MAX];
    entry *e;

    if (make_key(service, user, key, sizeof(key)) != 0)
        return;
    pthread_mutex_lock(&lock);
    if ((e = find(key, now)) != NULL)
        memset(e, 0, sizeof(*e));
    pthread_mutex_unlock(&lock);
}
