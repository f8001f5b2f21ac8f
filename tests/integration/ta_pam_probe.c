/* ta_pam_probe: one ta_pam_check from the command line, for the integration tests, which run
 * it inside the harness's namespace against real pam_unix (tests/integration/test_pam_core.py).
 *
 *   ta_pam_probe SERVICE USER [RHOST] < password
 *
 * The password is all of stdin, byte for byte (no newline is stripped; a NUL is refused).
 * Prints "status=NAME", "why=TEXT", "fail_delay=0|1" (whether a refusal is to wait the failure
 * delay) and "elapsed_us=N" (the time ta_pam_check took) on stdout.
 * Exit status: 0 ok, 1 bad_credentials, 2 account_refused, 3 unavailable, 64 usage or input. */
#include "ta_pam.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define PASSWORD_MAX 4096
#define EXIT_USAGE 64

/* Read all of stdin into buf (at most cap - 1 bytes) and terminate it; -1 when it is longer,
 * holds a NUL or cannot be read. */
static int read_password(char *buf, size_t cap)
{
    size_t len = 0;

    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == cap)
            return -1;
    }
    buf[len] = '\0';
    return memchr(buf, '\0', len) == NULL ? 0 : -1;
}

static long long now_us(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    static const int exit_for[] = {
        [TA_PAM_OK] = 0,
        [TA_PAM_BAD_CREDENTIALS] = 1,
        [TA_PAM_ACCOUNT_REFUSED] = 2,
        [TA_PAM_UNAVAILABLE] = 3,
    };
    char password[PASSWORD_MAX + 1], why[TA_PAM_WHY_MAX];
    ta_pam_status st;
    long long t0, t1;
    int fail_delay = -1;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s SERVICE USER [RHOST] < password\n", argv[0]);
        return EXIT_USAGE;
    }
    if (read_password(password, sizeof(password)) != 0) {
        OPENSSL_cleanse(password, sizeof(password));
        fprintf(stderr, "%s: password unreadable, too long or holding a NUL\n", argv[0]);
        return EXIT_USAGE;
    }
    t0 = now_us();
    st = ta_pam_check(argv[1], argv[2], password, argc == 4 ? argv[3] : NULL, &fail_delay, why,
                      sizeof(why));
    t1 = now_us();
    OPENSSL_cleanse(password, sizeof(password));
    if (printf("status=%s\nwhy=%s\nfail_delay=%d\nelapsed_us=%lld\n", ta_pam_status_name(st), why,
               fail_delay, t1 - t0) < 0 ||
        fflush(stdout) != 0)
        return EXIT_USAGE;
    return (size_t)st < sizeof(exit_for) / sizeof(exit_for[0]) ? exit_for[st] : EXIT_USAGE;
}
