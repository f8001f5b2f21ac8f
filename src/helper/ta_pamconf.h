/* Whether a PAM service asks for no failure delay, read from its own file once at start-up.
 *
 * The helper makes every refused login of a service wait the failure delay (ta_delay.h),
 * whatever one PAM run asked for: a run that a requisite module ends before pam_unix (an
 * unknown user refused by pam_succeed_if, say) asks for none, and answering it at once would
 * tell an unknown user from a wrong password. Only an administrator's explicit "nodelay" in the
 * service's own file turns the delay off. */
#ifndef TA_PAMCONF_H
#define TA_PAMCONF_H

#include <stddef.h>

/* 1 when the file <dir>/<service> has an "auth" line (control and module in any form) with
 * the argument "nodelay", and no line names pam_faildelay: the administrator asked for no
 * delay. 0 otherwise, also when the file cannot be read or the service name is not a plain
 * file name (the delay stays on: the safe side). Lines pulled in by @include, include or
 * substack are not followed, so a nodelay there leaves the delay on. */
int ta_pam_service_nodelay(const char *dir, const char *service);

/* The same rule on the text of one service file (len bytes, need not be terminated). */
int ta_pam_text_nodelay(const char *text, size_t len);

#endif
