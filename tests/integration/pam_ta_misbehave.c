/* pam_ta_misbehave.so: a PAM module for the tests only, that does what a buggy or hostile
 * third-party module may do inside pam_sm_authenticate, so that
 * tests/integration/test_pam_isolation.py can check that the helper keeps PAM in a process of
 * its own (SPEC §6): a crash, a hang or a change of credentials there must fail the login and
 * touch nothing else.
 *
 *   auth required /path/pam_ta_misbehave.so segv
 *   auth required /path/pam_ta_misbehave.so abort
 *   auth required /path/pam_ta_misbehave.so hang [stubborn]
 *   auth required /path/pam_ta_misbehave.so seteuid=NAME [succeed]
 *
 * segv dereferences a null pointer (SIGSEGV's default action); abort calls abort(). hang sleeps an
 * hour, going back to sleep when a signal interrupts it; with "stubborn" it first ignores SIGALRM,
 * SIGTERM, SIGINT and SIGHUP, so only SIGKILL ends it. seteuid=NAME switches the effective uid (and
 * gid) of the calling process to NAME's and leaves it so, then fails the login (PAM_AUTH_ERR) or,
 * with "succeed", accepts it. Account management always says yes. */
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_modules.h>

#define HANG_SECONDS 3600

/* Die of SIGSEGV's default action, as a module does in a process that installed no handler:
 * a sanitizer's handler (make asan) would report our deliberate crash as a bug of the helper,
 * and UBSan a null dereference as one of ours, so the signal is raised rather than earned. */
static int crash(void)
{
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return PAM_SYSTEM_ERR; /* not reached */
}

/* Sleep until HANG_SECONDS have passed, whatever interrupts the sleep. */
static int hang(int stubborn)
{
    static const int sigs[] = {SIGALRM, SIGTERM, SIGINT, SIGHUP};
    time_t until = time(NULL) + HANG_SECONDS;

    for (size_t i = 0; stubborn && i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_IGN);
    while (time(NULL) < until)
        sleep(60);
    return PAM_AUTH_ERR;
}

/* Take NAME's effective ids, as a careless module might, and keep them. */
static int become(const char *name, int succeed)
{
    struct passwd *pw = getpwnam(name);

    if (pw == NULL)
        return PAM_SERVICE_ERR;
    if (setegid(pw->pw_gid) != 0 || seteuid(pw->pw_uid) != 0)
        return PAM_SERVICE_ERR;
    return succeed ? PAM_SUCCESS : PAM_AUTH_ERR;
}

static int has_flag(int argc, const char **argv, const char *flag)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], flag) == 0)
            return 1;
    }
    return 0;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "segv") == 0)
            return crash();
        if (strcmp(argv[i], "abort") == 0)
            abort();
        if (strcmp(argv[i], "hang") == 0)
            return hang(has_flag(argc, argv, "stubborn"));
        if (strncmp(argv[i], "seteuid=", 8) == 0)
            return become(argv[i] + 8, has_flag(argc, argv, "succeed"));
    }
    return PAM_SERVICE_ERR;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
