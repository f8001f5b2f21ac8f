/* Unit tests for the PAM broker (src/helper/ta_broker.c, issue 9): PAM in a process of its own,
 * one fresh child per login, reached over a link of its own, holding nothing else.
 *
 * The tests that run PAM need services of their own: as root, the test process takes its own
 * mount namespace and binds a scratch directory over /etc/pam.d, with services that accept every
 * password (pam_permit), refuse every password (pam_deny), or accept the password and refuse
 * the account; nothing of the host changes. Without root those tests are skipped; the others
 * (the broker's own refusals, its descriptors, its life) run anyway. */
#include "unit.h"
#include "ta_broker.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define UT_PERMIT "ta-unit-permit"
#define UT_DENY "ta-unit-deny"
#define UT_ACCT "ta-unit-acct-deny"
#define UT_SLOW "ta-unit-faildelay-deny" /* a module asks for a 2 s failure delay, then no */
#define UT_FAST_MS 900                   /* well under any draw of that delay (1-3 s) */

static char ut_dir[64];
static int ut_have_pam;

static const char *const ut_all[] = {UT_PERMIT, UT_DENY, UT_ACCT, UT_SLOW, NULL};

static void ut_pam_file(const char *name, const char *text)
{
    char p[256];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", ut_dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, 0644);
}

static int ut_setup(void **state)
{
    (void)state;
    if (geteuid() != 0)
        return 0;
    assert_int_equal(ut_make_tmpdir(ut_dir, sizeof(ut_dir), "broker"), 0);
    chmod(ut_dir, 0755);
    ut_pam_file(UT_PERMIT, "auth required pam_permit.so\naccount required pam_permit.so\n");
    ut_pam_file(UT_DENY, "auth required pam_deny.so\naccount required pam_permit.so\n");
    ut_pam_file(UT_ACCT, "auth required pam_permit.so\naccount required pam_deny.so\n");
    ut_pam_file(UT_SLOW, "auth optional pam_faildelay.so delay=2000000\n"
                         "auth required pam_deny.so\naccount required pam_permit.so\n");
    ut_have_pam = unshare(CLONE_NEWNS) == 0 &&
                  mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
                  mount(ut_dir, "/etc/pam.d", "none", MS_BIND, NULL) == 0;
    return 0;
}

static int ut_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int ut_teardown(void **state)
{
    (void)state;
    if (ut_have_pam)
        umount2("/etc/pam.d", MNT_DETACH);
    if (ut_dir[0])
        nftw(ut_dir, ut_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}

#define UT_NEED_PAM()                                                                              \
    do {                                                                                           \
        if (!ut_have_pam)                                                                          \
            skip();                                                                                \
    } while (0)

typedef struct {
    int link;
    pid_t pid;
} ut_broker;

static ut_broker ut_start(const char *const *services)
{
    char err[256] = "";
    ut_broker b;

    b.link = ta_broker_start(services, &b.pid, err, sizeof(err));
    if (b.link < 0)
        fail_msg("ta_broker_start: %s", err);
    assert_true(b.pid > 0);
    assert_true(fcntl(b.link, F_GETFD) & FD_CLOEXEC);
    return b;
}

/* Wait for pid to end, at most ms; its wait status, or -1 when it did not. */
static int ut_wait(pid_t pid, int ms)
{
    int st = 0;

    for (int i = 0; i < ms / 10; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);

        if (r == pid)
            return st;
        assert_true(r == 0);
        usleep(10000);
    }
    return -1;
}

/* Close the link: the broker sees its helper gone and ends, on its own. */
static void ut_stop(ut_broker *b)
{
    int st;

    close(b->link);
    st = ut_wait(b->pid, 5000);
    if (st == -1) {
        kill(b->pid, SIGKILL);
        waitpid(b->pid, NULL, 0);
        fail_msg("the broker did not end when its link closed");
    }
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static ta_pam_status ut_check_delay(const ut_broker *b, const char *service, const char *user,
                                    const char *password, int *delay, char *why, size_t whylen)
{
    return ta_broker_check(b->link, service, user, password, "192.0.2.1", delay, why, whylen);
}

static ta_pam_status ut_check(const ut_broker *b, const char *service, const char *user,
                              const char *password, char *why, size_t whylen)
{
    int delay = -1;

    return ut_check_delay(b, service, user, password, &delay, why, whylen);
}

static long long ut_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define assert_pam_status(got, want)                                                               \
    do {                                                                                           \
        ta_pam_status got_ = (got), want_ = (want);                                                \
        if (got_ != want_)                                                                         \
            fail_msg("PAM status %s, expected %s", ta_pam_status_name(got_),                       \
                     ta_pam_status_name(want_));                                                   \
    } while (0)

/* --- verdicts ------------------------------------------------------------------------------ */

static void test_broker_passes_on_what_pam_accepts(void **state)
{
    char why[256] = "";
    ut_broker b;

    (void)state;
    UT_NEED_PAM();
    b = ut_start(ut_all);
    assert_pam_status(ut_check(&b, UT_PERMIT, "alice", "pw", why, sizeof(why)), TA_PAM_OK);
    ut_stop(&b);
}

static void test_broker_passes_on_a_refused_password(void **state)
{
    char why[256] = "";
    ut_broker b;

    (void)state;
    UT_NEED_PAM();
    b = ut_start(ut_all);
    assert_pam_status(ut_check(&b, UT_DENY, "alice", "pw", why, sizeof(why)),
                      TA_PAM_BAD_CREDENTIALS);
    assert_non_null(strstr(why, "pam_authenticate"));
    ut_stop(&b);
}

static void test_broker_passes_on_a_refused_account(void **state)
{
    char why[256] = "";
    ut_broker b;

    (void)state;
    UT_NEED_PAM();
    b = ut_start(ut_all);
    assert_pam_status(ut_check(&b, UT_ACCT, "alice", "pw", why, sizeof(why)),
                      TA_PAM_ACCOUNT_REFUSED);
    assert_non_null(strstr(why, "pam_acct_mgmt"));
    ut_stop(&b);
}

/* A module's request for a failure delay comes back as "delay this refusal", and PAM itself
 * does not sleep it: the helper waits, for every refusal alike (ta_delay.h). */
static void test_broker_reports_a_requested_fail_delay_without_sleeping_it(void **state)
{
    char why[256] = "";
    ut_broker b;
    long long t0;
    int delay = -1;

    (void)state;
    UT_NEED_PAM();
    b = ut_start(ut_all);
    t0 = ut_now_ms();
    assert_pam_status(ut_check_delay(&b, UT_SLOW, "alice", "pw", &delay, why, sizeof(why)),
                      TA_PAM_BAD_CREDENTIALS);
    assert_true(ut_now_ms() - t0 < UT_FAST_MS);
    assert_int_equal(delay, 1);
    ut_stop(&b);
}

/* A stack that asks for no delay (pam_unix "nodelay", here pam_deny alone) says so: the one
 * way an administrator turns the failure delay off. */
static void test_broker_reports_a_stack_without_fail_delay(void **state)
{
    char why[256] = "";
    ut_broker b;
    int delay = -1;

    (void)state;
    UT_NEED_PAM();
    b = ut_start(ut_all);
    assert_pam_status(ut_check_delay(&b, UT_DENY, "alice", "pw", &delay, why, sizeof(why)),
                      TA_PAM_BAD_CREDENTIALS);
    assert_int_equal(delay, 0);
    assert_pam_status(ut_check_delay(&b, UT_ACCT, "alice", "pw", &delay, why, sizeof(why)),
                      TA_PAM_ACCOUNT_REFUSED);
    assert_int_equal(delay, 0);
    ut_stop(&b);
}

/* A refusal that never reached PAM, and a broker that cannot answer, keep the delay on. */
static void test_broker_refusal_before_pam_keeps_the_fail_delay(void **state)
{
    char why[256] = "";
    ut_broker b;
    int delay = -1;

    (void)state;
    b = ut_start(ut_all);
    assert_pam_status(ut_check_delay(&b, UT_DENY, "alice", "", &delay, why, sizeof(why)),
                      TA_PAM_BAD_CREDENTIALS);
    assert_int_equal(delay, 1);
    ut_stop(&b);
    delay = -1;
    assert_pam_status(ta_broker_check(-1, UT_DENY, "alice", "pw", "", &delay, why, sizeof(why)),
                      TA_PAM_UNAVAILABLE);
    assert_int_equal(delay, 1);
}

/* An empty password is refused in the PAM child before PAM is started: no configuration needed
 * to see a whole round trip. */
static void test_broker_empty_password_is_bad_credentials(void **state)
{
    char why[256] = "";
    ut_broker b;

    (void)state;
    b = ut_start(ut_all);
    assert_pam_status(ut_check(&b, UT_PERMIT, "alice", "", why, sizeof(why)),
                      TA_PAM_BAD_CREDENTIALS);
    assert_string_equal(why, "empty password");
    ut_stop(&b);
}

/* The broker runs only the services it was started with (the configuration's), whatever the
 * helper asks: another is unavailable, and says why. */
static void test_broker_service_not_in_its_list_is_unavailable(void **state)
{
    static const char *const only_permit[] = {UT_PERMIT, NULL};
    static const char *const none[] = {NULL};
    char why[256] = "";
    ut_broker b;

    (void)state;
    b = ut_start(only_permit);
    assert_pam_status(ut_check(&b, UT_DENY, "alice", "pw", why, sizeof(why)), TA_PAM_UNAVAILABLE);
    assert_string_equal(why, "PAM service not configured");
    assert_pam_status(ut_check(&b, "login", "root", "pw", why, sizeof(why)), TA_PAM_UNAVAILABLE);
    assert_string_equal(why, "PAM service not configured");
    ut_stop(&b);
    b = ut_start(none);
    assert_pam_status(ut_check(&b, UT_PERMIT, "alice", "pw", why, sizeof(why)), TA_PAM_UNAVAILABLE);
    ut_stop(&b);
}

/* What the protocol cannot carry is not sent: a service name with a '/', a user name with a
 * newline. */
static void test_broker_request_that_cannot_be_made_is_unavailable(void **state)
{
    static const char *const odd[] = {"../shadow", NULL};
    char why[256] = "", longname[300];
    ut_broker b;

    (void)state;
    b = ut_start(odd);
    assert_pam_status(ut_check(&b, "../shadow", "alice", "pw", why, sizeof(why)),
                      TA_PAM_UNAVAILABLE);
    assert_non_null(strstr(why, "could not be made"));
    assert_pam_status(ut_check(&b, UT_PERMIT, "ali\nce", "pw", why, sizeof(why)),
                      TA_PAM_UNAVAILABLE);
    memset(longname, 'u', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_pam_status(ut_check(&b, UT_PERMIT, longname, "pw", why, sizeof(why)),
                      TA_PAM_UNAVAILABLE);
    ut_stop(&b);
}

/* --- its life ------------------------------------------------------------------------------- */

/* A broker that is gone (a crash, a kill): every check is unavailable, at once. */
static void test_broker_gone_is_unavailable(void **state)
{
    struct timespec t0, t1;
    char why[256] = "";
    ut_broker b;

    (void)state;
    b = ut_start(ut_all);
    kill(b.pid, SIGKILL);
    waitpid(b.pid, NULL, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_pam_status(ut_check(&b, UT_PERMIT, "alice", "pw", why, sizeof(why)), TA_PAM_UNAVAILABLE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    assert_non_null(strstr(why, "cannot be reached"));
    close(b.link);
}

/* The helper closing its end of the link ends the broker, with status 0. */
static void test_broker_ends_when_its_link_closes(void **state)
{
    ut_broker b;

    (void)state;
    b = ut_start(ut_all);
    ut_stop(&b);
}

/* The broker never outlives its helper: it is killed with it (PR_SET_PDEATHSIG). */
static void test_broker_dies_with_its_helper(void **state)
{
    int p[2], st = 0;
    pid_t helper, broker = 0;

    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); /* so that the orphan is ours */
    assert_int_equal(pipe(p), 0);
    helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        char err[256];
        pid_t pid = 0;

        if (ta_broker_start(ut_all, &pid, err, sizeof(err)) < 0)
            _exit(1);
        (void)!write(p[1], &pid, sizeof(pid));
        _exit(0); /* the helper ends; its link stays open in nobody */
    }
    close(p[1]);
    assert_int_equal(read(p[0], &broker, sizeof(broker)), sizeof(broker));
    close(p[0]);
    assert_int_equal(waitpid(helper, NULL, 0), helper);
    st = ut_wait(broker, 5000);
    if (st == -1) {
        kill(broker, SIGKILL);
        waitpid(broker, NULL, 0);
        fail_msg("the broker outlived its helper");
    }
    assert_true(WIFSIGNALED(st) || WIFEXITED(st));
}

/* PAM modules run below the broker: it holds its link and the standard descriptors, never the
 * hub, the ledger, or anything else its helper had open. */
static void test_broker_holds_only_its_link_and_the_standard_descriptors(void **state)
{
    int extra[2], low[2], tmp = open("/dev/null", O_RDONLY), fds = 0, link_seen = 0;
    char p[64], why[256] = "", path[400], target[128], mine[128];
    struct dirent *e;
    struct rlimit rl;
    ut_broker b;
    DIR *d;

    (void)state;
    /* not close-on-exec (the broker is forked, not exec'd), and some above the numbers its link
     * will take: the two closed here are free again when ta_broker_start makes its pair */
    assert_int_equal(pipe(low), 0);
    assert_int_equal(pipe(extra), 0);
    close(low[0]);
    close(low[1]);
    b = ut_start(ut_all);
    assert_true(b.link < extra[0]);
    assert_pam_status(ut_check(&b, UT_PERMIT, "alice", "", why, sizeof(why)),
                      TA_PAM_BAD_CREDENTIALS); /* it is in its loop: its start-up is done */
    snprintf(p, sizeof(p), "/proc/%ld/fd", (long)b.pid);
    d = opendir(p);
    assert_non_null(d);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", b.link);
    memset(mine, 0, sizeof(mine));
    assert_true(readlink(path, mine, sizeof(mine) - 1) > 0);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        ssize_t n;

        /* a tool's own (valgrind keeps its descriptors above the limit it shows us) */
        if (e->d_name[0] == '.' || (rlim_t)fd >= rl.rlim_cur)
            continue;
        fds++;
        if (fd <= 2)
            continue;
        snprintf(path, sizeof(path), "%s/%s", p, e->d_name);
        memset(target, 0, sizeof(target));
        n = readlink(path, target, sizeof(target) - 1);
        assert_true(n > 0);
        if (strncmp(target, "socket:", 7) == 0 && strcmp(target, mine) != 0)
            link_seen++; /* the other end of our link: a socket, not ours */
        else
            fail_msg("the broker holds descriptor %d: %s", fd, target);
    }
    closedir(d);
    assert_int_equal(link_seen, 1);
    assert_true(fds <= 4);
    ut_stop(&b);
    close(extra[0]);
    close(extra[1]);
    close(tmp);
}

/* Administrators and tests tell it apart from the helper by its name. */
static void test_broker_is_named_ta_helper_pam(void **state)
{
    char p[64], name[32] = "", why[256];
    ut_broker b;
    FILE *f;

    (void)state;
    b = ut_start(ut_all);
    assert_pam_status(ut_check(&b, UT_PERMIT, "alice", "", why, sizeof(why)),
                      TA_PAM_BAD_CREDENTIALS);
    snprintf(p, sizeof(p), "/proc/%ld/comm", (long)b.pid);
    f = fopen(p, "r");
    assert_non_null(f);
    assert_non_null(fgets(name, sizeof(name), f));
    fclose(f);
    assert_string_equal(name, "ta-helper-pam\n");
    ut_stop(&b);
}

/* A PAM child answers a PAM_REQ and nothing else: any other frame gets no answer, and the
 * connection ends. */
static void test_broker_answers_nothing_but_a_pam_req(void **state)
{
    unsigned char buf[64];
    size_t len = 0;
    ut_broker b;
    char c;
    int s;

    (void)state;
    b = ut_start(ut_all);
    s = ta_hub_connect(b.link, 5000);
    assert_true(s >= 0);
    assert_int_equal(ta_proto_encode_error(1, TA_PROTO_ERR_MALFORMED, buf, sizeof(buf), &len),
                     TA_PROTO_OK);
    assert_int_equal(ta_send_all(s, buf, len), 0);
    assert_int_equal(read(s, &c, 1), 0);
    close(s);
    ut_stop(&b);
}

typedef struct {
    const ut_broker *b;
    int ok;
} ut_worker;

static void *ut_check_thread(void *arg)
{
    ut_worker *w = arg;
    char why[256];

    w->ok = 0;
    for (int i = 0; i < 5; i++)
        w->ok += ut_check(w->b, UT_PERMIT, "alice", "", why, sizeof(why)) == TA_PAM_BAD_CREDENTIALS;
    return NULL;
}

/* The helper asks from many threads at once: every check gets its own child and its own answer. */
static void test_broker_answers_checks_from_many_threads(void **state)
{
    ut_worker w[8];
    pthread_t t[8];
    ut_broker b;

    (void)state;
    b = ut_start(ut_all);
    for (int i = 0; i < 8; i++) {
        w[i].b = &b;
        assert_int_equal(pthread_create(&t[i], NULL, ut_check_thread, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 5);
    }
    ut_stop(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broker_passes_on_what_pam_accepts),
        cmocka_unit_test(test_broker_passes_on_a_refused_password),
        cmocka_unit_test(test_broker_passes_on_a_refused_account),
        cmocka_unit_test(test_broker_empty_password_is_bad_credentials),
        cmocka_unit_test(test_broker_reports_a_requested_fail_delay_without_sleeping_it),
        cmocka_unit_test(test_broker_reports_a_stack_without_fail_delay),
        cmocka_unit_test(test_broker_refusal_before_pam_keeps_the_fail_delay),
        cmocka_unit_test(test_broker_service_not_in_its_list_is_unavailable),
        cmocka_unit_test(test_broker_request_that_cannot_be_made_is_unavailable),
        cmocka_unit_test(test_broker_gone_is_unavailable),
        cmocka_unit_test(test_broker_ends_when_its_link_closes),
        cmocka_unit_test(test_broker_dies_with_its_helper),
        cmocka_unit_test(test_broker_holds_only_its_link_and_the_standard_descriptors),
        cmocka_unit_test(test_broker_is_named_ta_helper_pam),
        cmocka_unit_test(test_broker_answers_nothing_but_a_pam_req),
        cmocka_unit_test(test_broker_answers_checks_from_many_threads),
    };

    return cmocka_run_group_tests_name("broker", tests, ut_setup, ut_teardown);
}
