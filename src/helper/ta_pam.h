/* Checking a password with Linux-PAM (SPEC §4): pam_authenticate, then pam_acct_mgmt, one PAM
 * handle per attempt. Only the privileged helper calls this: with pam_unix, a process that is
 * neither root nor the user being checked cannot verify a password.
 *
 * PAM's own failure delay is not slept here: a PAM_FAIL_DELAY function only notes whether the
 * stack asked for one (pam_unix does unless "nodelay"), and the caller waits, for every kind of
 * refusal alike (ta_delay.h). Network modules may still wait on the network, so run each check
 * on a thread or process of its own. Link with -lpam. */
#ifndef TA_PAM_H
#define TA_PAM_H

#include <stddef.h>

#define TA_PAM_WHY_MAX 256 /* a why buffer of this size is never cut short in practice */

typedef enum {
    TA_PAM_OK = 0,
    TA_PAM_BAD_CREDENTIALS, /* unknown user or wrong password (or an empty one): a caller
                             * cannot and must not tell which */
    TA_PAM_ACCOUNT_REFUSED, /* the password was right, but pam_acct_mgmt refused the account
                             * (expired, password change required, access denied) */
    TA_PAM_UNAVAILABLE,     /* PAM itself failed (bad service name, pam_start, a missing or
                             * failing module): a server error, not a refusal */
} ta_pam_status;

/* A stable lower-case name for logs ("bad_credentials"); "unknown" outside the enum. */
const char *ta_pam_status_name(ta_pam_status st);

/* Authenticate user with password through the PAM service, then ask the account stack whether
 * the account may log in now. rhost (the client address) becomes PAM_RHOST when not NULL and
 * not empty. service must be 1..64 of A-Za-z0-9._-, not starting with a dot (a file name
 * under /etc/pam.d).
 *
 * The password is copied only into the answer to PAM's password prompt (PAM wipes it); the
 * caller wipes its own buffer. Only the first hidden prompt is answered; any other prompt
 * fails the check (BAD_CREDENTIALS, or ACCOUNT_REFUSED in the account stack), never hangs.
 * ACCOUNT_REFUSED is only ever returned after the password was accepted, also when a module
 * changed PAM_USER (name mapping is refused, not followed). why (may be NULL)
 * receives one short line for the log, such as "pam_authenticate: Authentication failure" and
 * the first message a module sent; it never holds the password.
 *
 * *fail_delay (may be NULL) says whether a refusal is to be delayed: 0 only when
 * pam_authenticate ran and no module of the stack asked for a failure delay (an administrator's
 * "nodelay"), 1 otherwise, also when the check ended before PAM was asked. */

ta_pam_status ta_pam_check(const char *service, const char *user, const char *password,
                           const char *rhost, int *fail_delay, char *why, size_t whylen);

#endif
