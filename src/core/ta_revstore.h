/* The revocation ledger: revoked token ids and per-user "logged out everywhere" cutoffs in a
 * fixed-size file mapped MAP_SHARED. The Apache parent maps it once before forking, so every
 * worker shares one table without a daemon, and the file keeps revocations across restarts.
 * The table never drops an entry to make room: when it cannot store one it says TA_REV_FULL
 * and the caller refuses the logout, so a logout that was reported done is really in force. */
#ifndef TA_REVSTORE_H
#define TA_REVSTORE_H

#include <stddef.h>

typedef struct ta_revstore ta_revstore;

/* Default capacity, a power of two so that a slot index is a mask of the digest. About
 * 5 MiB of file; an entry lives only until its token would have expired anyway. */
#define TA_REVSTORE_SLOTS 131072u
#define TA_REVSTORE_SLOTS_MIN 64u       /* one probe window: smaller tables cannot fill it */
#define TA_REVSTORE_SLOTS_MAX 16777216u /* 2^24: 640 MiB; more is a typo, not a need */
#define TA_REVSTORE_ID_MAX 256          /* longest jti or user name, bytes (TA_SUB_MAX) */

typedef enum {
    TA_REV_OK = 0,
    TA_REV_FULL,  /* no free slot where this key may live: refuse the logout */
    TA_REV_ERROR, /* bad argument or the lock could not be taken */
} ta_rev_result;

/* A stable lower-case name for logs ("ok", "full", "error"). */
const char *ta_rev_result_name(ta_rev_result r);

/* Open the ledger at path, creating it (O_CREAT|O_EXCL, mode 0600, sized with ftruncate) when
 * missing, with slots slots (a power of two from TA_REVSTORE_SLOTS_MIN to
 * TA_REVSTORE_SLOTS_MAX, else refused).
 *
 * An existing file is used only when, opened with O_NOFOLLOW|O_CLOEXEC, it is a regular file
 * owned by geteuid() with no group or other permission bits, of exactly the expected size,
 * whose header (magic, version, slot count and layout) is the one we write. Anything else is
 * refused with one line in err naming the path and the reason: the file is never reset or
 * truncated, because that would silently bring revoked tokens back to life; the administrator
 * decides, and the message says that removing the file forgets every revocation.
 *
 * The header holds a process-shared robust mutex that open initialises anew, which is valid
 * only while no other process uses the file: the parent calls this once at start-up, before
 * forking its workers. On error returns NULL. */
ta_revstore *ta_revstore_open(const char *path, unsigned slots, char *err, size_t errlen);

/* Use a ledger another process opened (and keeps the lock of): fd is an open descriptor of
 * the file, which must be a regular file owned by geteuid(), mode 0600, of exactly the size of
 * slots slots (the caller's own knowledge, not the header's: the header lies in memory that
 * Apache's children can write, and must not be able to keep the helper from starting). Mapped
 * read-only: use ta_revstore_is_revoked_unlocked only. For the privileged helper. The returned
 * ledger owns fd (ta_revstore_close closes it). name is for messages. NULL with err set on any
 * refusal. */
ta_revstore *ta_revstore_attach(int fd, unsigned slots, const char *name, char *err, size_t errlen);

/* The ledger's descriptor (for handing it to the helper), or -1. */
int ta_revstore_fd(const ta_revstore *rs);

/* Close this process's descriptor of the ledger, keeping the mapping: a process that only
 * looks up and records revocations needs no more, and a descriptor would let it truncate the
 * file under everyone else's mapping. NULL is fine. */
void ta_revstore_forget_fd(ta_revstore *rs);

/* Unmap and free; the file stays. NULL is fine. */
void ta_revstore_close(ta_revstore *rs);

/* Revoke token id jti until exp (unix seconds), the token's own expiry: after that the token is
 * refused anyway, so the slot may be reused. Idempotent; revoking again keeps the later exp.
 * An exp <= now stores nothing and is TA_REV_OK. TA_REV_FULL when no slot can take it. */
ta_rev_result ta_revstore_revoke_jti(ta_revstore *rs, const char *jti, long long exp,
                                     long long now);

/* Record user's cutoff: every token of user with iat <= cutoff is revoked, kept until
 * keep_until (the cutoff plus the longest token lifetime). A later cutoff replaces an earlier
 * one; an earlier one never lowers a later one, so a delayed or repeated request cannot
 * un-revoke anything. keep_until is always the later of both. TA_REV_FULL when no slot can
 * take it. */
ta_rev_result ta_revstore_cut_user(ta_revstore *rs, const char *user, long long cutoff,
                                   long long keep_until, long long now);

/* 1 when jti is revoked or iat <= user's cutoff, 0 when neither, -1 when the lock cannot be
 * taken or an argument is invalid: the caller then refuses the token (fails closed). Runs on
 * every request, so it takes the lock once for both look-ups, each of which reads at most one
 * probe window and usually one slot. */
int ta_revstore_is_revoked(ta_revstore *rs, const char *jti, const char *user, long long iat,
                           long long now);

/* The same answer without taking the lock, for the privileged helper: the lock lives in memory
 * that every Apache child can write, and glibc's robust-mutex code follows pointers stored
 * there, so a root process must not run it on that memory (a child could steer its writes or
 * leave the lock held for ever). Entries are written so that a reader never sees a half-written
 * one as live (put_new); a read racing a write may miss that one entry, as it would have if it
 * had come a moment earlier. */
int ta_revstore_is_revoked_unlocked(const ta_revstore *rs, const char *jti, const char *user,
                                    long long iat, long long now);

/* Number of entries live at now, for tests and a status line; (size_t)-1 when the lock cannot
 * be taken. Reads the whole table. */
size_t ta_revstore_live(ta_revstore *rs, long long now);

#endif
