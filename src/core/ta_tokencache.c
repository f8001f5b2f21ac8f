/* The per-child cache of verified tokens (see ta_tokencache.h). */
#include "ta_tokencache.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define KEY_LEN 32 /* SHA-256 */
#define SETS (TA_TOKENCACHE_SLOTS / TA_TOKENCACHE_WAYS)

typedef struct {
    unsigned char key[KEY_LEN];
    long long exp;           /* 0: an empty slot */
    long long since;         /* when the token was verified */
    unsigned long long used; /* the set's clock at the last store or hit */
    long long iat;
    unsigned long uid;
    ta_kind kind;
    unsigned short kidlen, sublen, jtilen, scopelen, sidlen;
    char text[TA_TOKENCACHE_TEXT_MAX]; /* kid, sub, jti, scope, sid, back to back */
} slot;

typedef struct {
    pthread_mutex_t lock;
    unsigned long long clock;
    slot ways[TA_TOKENCACHE_WAYS];
} cache_set;

static cache_set sets[SETS];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256; /* fetched once: a fetch per hash would cost more than the hash */
static int ready;      /* written inside once, read after it */

/* Set up the locks and the digest; on any failure the cache stays off (every lookup misses,
 * nothing is stored), which costs speed, never correctness. */
static void init_once(void)
{
    size_t i;

    if ((sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
        return;
    for (i = 0; i < SETS; i++)
        if (pthread_mutex_init(&sets[i].lock, NULL) != 0)
            break;
    ready = i == SETS;
}

static int cache_ready(void)
{
    return pthread_once(&once, init_once) == 0 && ready;
}

/* SHA-256 of the key set's address, the issuer and the token. */
static int token_key(const ta_keyset *ks, const char *issuer, const char *tok, size_t len,
                     unsigned char *key)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = c && EVP_DigestInit_ex(c, sha256, NULL) && EVP_DigestUpdate(c, &ks, sizeof(ks)) &&
             EVP_DigestUpdate(c, issuer, strlen(issuer) + 1) && EVP_DigestUpdate(c, tok, len) &&
             EVP_DigestFinal_ex(c, key, &n) && n == KEY_LEN;

    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

static cache_set *set_of(const unsigned char *key)
{
    unsigned v = (unsigned)key[0] | (unsigned)key[1] << 8 | (unsigned)key[2] << 16;

    return &sets[v % SETS];
}

/* The live slot of s holding key, or NULL. */
static slot *find(cache_set *s, const unsigned char *key)
{
    for (int w = 0; w < TA_TOKENCACHE_WAYS; w++)
        if (s->ways[w].exp != 0 && CRYPTO_memcmp(s->ways[w].key, key, KEY_LEN) == 0)
            return &s->ways[w];
    return NULL;
}

/* The slot a new entry takes: an empty or expired one, else the least recently used. */
static slot *victim(cache_set *s, long long now)
{
    slot *lru = &s->ways[0];

    for (int w = 0; w < TA_TOKENCACHE_WAYS; w++) {
        slot *e = &s->ways[w];
        if (e->exp == 0 || e->exp <= now)
            return e;
        if (e->used < lru->used)
            lru = e;
    }
    return lru;
}

/* Append s to e->text; its length into *len. -1 when it does not fit. */
static int pack_string(slot *e, size_t *at, const char *s, unsigned short *len)
{
    size_t n = strlen(s);

    if (n > TA_TOKENCACHE_TEXT_MAX - *at)
        return -1;
    memcpy(e->text + *at, s, n);
    *at += n;
    *len = (unsigned short)n;
    return 0;
}

/* The entry for claims c verified at now (its key not yet set). */
static int pack(slot *e, const ta_claims *c, long long now)
{
    size_t at = 0;

    memset(e, 0, sizeof(*e));
    e->exp = c->exp;
    e->since = now;
    e->iat = c->iat;
    e->uid = c->uid;
    e->kind = c->kind;
    if (pack_string(e, &at, c->kid, &e->kidlen) != 0 ||
        pack_string(e, &at, c->sub, &e->sublen) != 0 ||
        pack_string(e, &at, c->jti, &e->jtilen) != 0 ||
        pack_string(e, &at, c->scope, &e->scopelen) != 0 ||
        pack_string(e, &at, c->sid, &e->sidlen) != 0)
        return -1;
    return 0;
}

/* Copy n bytes of e->text from *at into dst, terminated. */
static void unpack_string(const slot *e, size_t *at, char *dst, unsigned short n)
{
    memcpy(dst, e->text + *at, n);
    dst[n] = '\0';
    *at += n;
}

static void unpack(const slot *e, ta_claims *c)
{
    size_t at = 0;

    memset(c, 0, sizeof(*c));
    unpack_string(e, &at, c->kid, e->kidlen);
    unpack_string(e, &at, c->sub, e->sublen);
    unpack_string(e, &at, c->jti, e->jtilen);
    unpack_string(e, &at, c->scope, e->scopelen);
    unpack_string(e, &at, c->sid, e->sidlen);
    c->uid = e->uid;
    c->iat = e->iat;
    c->exp = e->exp;
    c->kind = e->kind;
}

int ta_tokencache_get(const ta_keyset *ks, const char *issuer, const char *tok, size_t len,
                      long long now, ta_claims *out)
{
    unsigned char key[KEY_LEN];
    cache_set *s;
    slot *e;
    int hit = 0;

    if (!cache_ready() || token_key(ks, issuer, tok, len, key) != 0)
        return 0;
    s = set_of(key);
    if (pthread_mutex_lock(&s->lock) != 0)
        return 0;
    if ((e = find(s, key)) != NULL && e->exp <= now)
        memset(e, 0, sizeof(*e)); /* it died with its token */
    else if (e != NULL && now >= e->since) {
        unpack(e, out);
        e->used = ++s->clock;
        hit = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return hit;
}

void ta_tokencache_put(const ta_keyset *ks, const char *issuer, const char *tok, size_t len,
                       long long now, const ta_claims *c)
{
    slot fresh;
    cache_set *s;
    slot *e;

    if (c->exp <= now || !cache_ready() || pack(&fresh, c, now) != 0 ||
        token_key(ks, issuer, tok, len, fresh.key) != 0)
        return;
    s = set_of(fresh.key);
    if (pthread_mutex_lock(&s->lock) != 0)
        return;
    if ((e = find(s, fresh.key)) == NULL)
        e = victim(s, now);
    fresh.used = ++s->clock;
    *e = fresh;
    pthread_mutex_unlock(&s->lock);
}

size_t ta_tokencache_count(long long now)
{
    size_t n = 0;

    if (!cache_ready())
        return 0;
    for (size_t i = 0; i < SETS; i++) {
        if (pthread_mutex_lock(&sets[i].lock) != 0)
            continue;
        for (int w = 0; w < TA_TOKENCACHE_WAYS; w++)
            n += sets[i].ways[w].exp > now;
        pthread_mutex_unlock(&sets[i].lock);
    }
    return n;
}

void ta_tokencache_clear(void)
{
    if (!cache_ready())
        return;
    for (size_t i = 0; i < SETS; i++) {
        if (pthread_mutex_lock(&sets[i].lock) != 0)
            continue;
        memset(sets[i].ways, 0, sizeof(sets[i].ways));
        sets[i].clock = 0;
        pthread_mutex_unlock(&sets[i].lock);
    }
}
