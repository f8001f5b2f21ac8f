/* PAM in a process of its own (issue 9, SPEC §6). PAM modules are other people's code: they may
 * crash, hang, or call seteuid(), which glibc applies to every thread of a process. None of that
 * may reach the multi-threaded process that switches file-system credentials per thread to serve
 * files. So the helper forks, before it starts any thread, a small single-threaded broker that
 * keeps root's privileges; for each login the broker forks one child that runs the PAM
 * conversation, answers, and exits. A crash or a hang ends that one child (a time limit kills a
 * hang): the login fails, logged, and nothing else notices. */
#ifndef TA_BROKER_H
#define TA_BROKER_H

#include <stddef.h>
#include <sys/types.h>

#include "ta_pam.h"

#define TA_BROKER_CHILD_SECONDS 10 /* a PAM conversation that takes longer is killed */
#define TA_BROKER_MAX_CHILDREN 64  /* logins checked at once; more wait for a free one */

/* Fork the broker. services: the PAM services it may run (NULL-ended; the configuration's).
 * Returns the helper's end of the link (close-on-exec) and the broker's pid in *pid, or -1 with
 * err set. Call while the process has one thread. */
int ta_broker_start(const char *const *services, pid_t *pid, char *err, size_t errlen);

/* Ask the broker to check one login: a fresh connection over link, one PAM_REQ, one PAM_RESP
 * within TA_BROKER_CHILD_SECONDS and a little more. why gets the broker's log line, or what went
 * wrong ("the PAM process ended without an answer"); *fail_delay ta_pam_check's (1 when no
 * answer came). TA_PAM_UNAVAILABLE when no sound answer came. Thread-safe. */
ta_pam_status ta_broker_check(int link, const char *service, const char *user, const char *password,
                              const char *rhost, int *fail_delay, char *why, size_t whylen);

#endif
