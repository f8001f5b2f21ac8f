/* A child's cache of open file descriptors that the helper handed it (TokenAuthHomeCache):
 * the idea of an open-file cache, made for descriptors that belong to one user each.
 *
 * An entry is one descriptor under one key; the caller builds the key from everything that
 * decided what the helper opened (the virtual host, the location's policy, the verified user,
 * the token's scope, the URL path), so an entry can only serve a request that the helper would
 * have answered with the same file. Entries are lent out, never shared: a request takes an
 * entry for itself and gives it back when it is done, because two requests reading one
 * descriptor at once would move each other's file offset. Several entries may hold the same
 * key (concurrent requests for one file).
 *
 * An entry lives at most its time to live from the moment the helper opened it. It is also
 * dropped at once when the file's inode changed status since then (its ctime moved: chmod,
 * chown, a write, a rename or unlink of it) or it has no name left; what the entry cannot see
 * (a directory's permissions, a symlink swapped on the way) waits at most the time to live.
 *
 * Thread-safe (one mutex). Times are in milliseconds of a monotonic clock the caller reads. */
#ifndef TA_FDCACHE_H
#define TA_FDCACHE_H

#include <stddef.h>
#include <sys/stat.h>

typedef struct ta_fdcache ta_fdcache;

/* A cache of at most capacity descriptors; NULL when out of memory or capacity is 0. */
ta_fdcache *ta_fdcache_create(size_t capacity);

/* Close every descriptor the cache holds and free it. No entry may be lent out any more. */
void ta_fdcache_destroy(ta_fdcache *c);

/* Lend out a fresh entry under key: its slot number (≥ 0), its descriptor in *fd and the
 * file's current status in *st; -1 when there is none (expired entries met are closed). */
int ta_fdcache_take(ta_fdcache *c, const char *key, long long now_ms, int *fd, struct stat *st);

/* Keep fd under key for ttl_ms from now, lent out to the caller at once: its slot number, or
 * -1 when it cannot be kept (no room, out of memory, fd not a regular file), and the caller
 * still owns fd. On success the cache owns it: give it back with ta_fdcache_give_back. */
int ta_fdcache_add(ta_fdcache *c, const char *key, int fd, long long now_ms, long long ttl_ms);

/* Give back the entry in slot: kept for the next request when still fresh, else closed. */
void ta_fdcache_give_back(ta_fdcache *c, int slot, long long now_ms);

/* Close every entry not lent out; those lent out are closed when given back. For the moment
 * before code that is not ours runs in this process. */
void ta_fdcache_flush(ta_fdcache *c);

/* Close the entries whose time is up and that are not lent out; how many are left. */
size_t ta_fdcache_sweep(ta_fdcache *c, long long now_ms);

/* How many descriptors the cache holds (lent out or not). */
size_t ta_fdcache_count(ta_fdcache *c);

#endif
