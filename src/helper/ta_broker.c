/* The PAM broker and its client. */
#include "ta_broker.h"
#include "ta_hlog.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define REQUEST_WAIT_MS 5000 /* a PAM child waits this long for its request */
#define ANSWER_WAIT_MS ((TA_BROKER_CHILD_SECONDS + 2) * 1000)

static int service_listed(const char *const *services, const char *name)
{
    for (; services && *services; services++)
        if (strcmp(*services, name) == 0)
            return 1;
    return 0;
}

/* In a PAM child: one request, one answer. */
static int check_one(int conn, const char *const *services)
{
    unsigned char in[TA_PROTO_MAX_FRAME], out[TA_PROTO_HEADER_LEN + 8 + TA_PROTO_WHY_MAX];
    size_t flen = 0, used = 0, len = 0;
    int fd = -1;
    ta_msg m, a;

    if (ta_recv_frame_fd(conn, REQUEST_WAIT_MS, in, sizeof(in), &flen, &fd) != 0 || fd >= 0 ||
        ta_proto_decode(in, flen, &m, &used) != TA_PROTO_OK || m.type != TA_MSG_PAM_REQ)
        return 1;
    OPENSSL_cleanse(in, sizeof(in));
    memset(&a, 0, sizeof(a));
    a.type = TA_MSG_PAM_RESP;
    a.id = m.id;
    a.u.pam_resp.delay = 1;
    if (service_listed(services, m.u.pam_req.service)) {
        int delay = 1;

        a.u.pam_resp.status = (uint8_t)ta_pam_check(m.u.pam_req.service, m.u.pam_req.user,
                                                    m.u.pam_req.password, m.u.pam_req.rhost, &delay,
                                                    a.u.pam_resp.why, sizeof(a.u.pam_resp.why));
        a.u.pam_resp.delay = delay ? 1 : 0;
    }
    else {
        a.u.pam_resp.status = TA_PAM_UNAVAILABLE;
        snprintf(a.u.pam_resp.why, sizeof(a.u.pam_resp.why), "PAM service not configured");
    }
    ta_msg_wipe(&m);
    for (char *p = a.u.pam_resp.why; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?'; /* the protocol carries no control characters */
    if (ta_proto_encode(&a, out, sizeof(out), &len) != TA_PROTO_OK)
        return 1;
    return ta_send_all(conn, out, len) == 0 ? 0 : 1;
}

/* The PAM children in flight, and when each must be done. */
typedef struct {
    pid_t pid;
    time_t deadline;
} child_t;

/* Reap the children that ended; kill those past their deadline (a PAM module may ignore or
 * reset the alarm each child sets itself), and reap them too. Returns how many are left. */
static unsigned tend_children(child_t *kids, unsigned n)
{
    time_t now = time(NULL);
    unsigned left = 0;

    for (unsigned i = 0; i < n; i++) {
        int status = 0;
        pid_t r = waitpid(kids[i].pid, &status, WNOHANG);

        if (r == 0 && now >= kids[i].deadline) {
            kill(kids[i].pid, SIGKILL);
            r = waitpid(kids[i].pid, &status, 0);
        }
        if (r == kids[i].pid || (r < 0 && errno == ECHILD)) {
            if (r > 0 && WIFSIGNALED(status))
                ta_hlog(TA_LOG_WARNING, "TA00055: helper: a PAM process ended by signal %d",
                        WTERMSIG(status));
            continue;
        }
        kids[left++] = kids[i];
    }
    return left;
}

/* The broker's loop: a child per connection, bounded; ends when the helper goes. */
static void broker_loop(int link, const char *const *services)
{
    child_t kids[TA_BROKER_MAX_CHILDREN];
    unsigned n = 0;

    for (;;) {
        struct pollfd pfd = {.fd = link, .events = POLLIN};
        int conn = -1, r;
        pid_t pid;

        n = tend_children(kids, n);
        if (n >= TA_BROKER_MAX_CHILDREN) {
            usleep(10000);
            continue;
        }
        if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
            _exit(1);
        if ((r = ta_hub_accept(link, &conn)) < 0)
            _exit(0); /* the helper is gone */
        if (r == 0)
            continue;
        if (ta_hub_ack(conn) != 0) {
            close(conn);
            continue;
        }
        pid = fork();
        if (pid == 0) {
            close(link);
            signal(SIGTERM, SIG_DFL);
            alarm(TA_BROKER_CHILD_SECONDS); /* SIGALRM's default action ends a hang */
            _exit(check_one(conn, services));
        }
        if (pid > 0) {
            kids[n].pid = pid;
            kids[n].deadline = time(NULL) + TA_BROKER_CHILD_SECONDS + 1;
            n++;
        }
        close(conn);
    }
}

int ta_broker_start(const char *const *services, pid_t *pid, char *err, size_t errlen)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    *pid = fork();
    if (*pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (*pid == 0) {
        /* only the link and the log: not the hub, not the ledger (PAM modules run below) */
        if (sv[1] > 3)
            close_range(3, (unsigned)sv[1] - 1, 0);
        close_range((unsigned)sv[1] + 1, ~0U, 0);
        prctl(PR_SET_NAME, "ta-helper-pam");
        prctl(PR_SET_DUMPABLE, 0);        /* passwords pass through here */
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the helper */
        /* it ends with the helper (the link closes, or the signal above), never on a signal
         * meant for Apache's process group */
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGUSR1, SIG_IGN);
        signal(SIGWINCH, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGCHLD, SIG_DFL);
        broker_loop(sv[1], services);
        _exit(0);
    }
    close(sv[1]);
    return sv[0];
}

ta_pam_status ta_broker_check(int link, const char *service, const char *user, const char *password,
                              const char *rhost, int *fail_delay, char *why, size_t whylen)
{
    unsigned char req[TA_PROTO_MAX_FRAME], ans[TA_PROTO_HEADER_LEN + 8 + TA_PROTO_WHY_MAX];
    size_t rlen = 0, alen = 0, used = 0;
    int conn, fd = -1;
    ta_pam_status st = TA_PAM_UNAVAILABLE;
    ta_msg m;

    *fail_delay = 1;
    memset(&m, 0, sizeof(m));
    m.type = TA_MSG_PAM_REQ;
    m.id = 1;
    snprintf(why, whylen, "the PAM request could not be made");
    if (ta_proto_set_string(m.u.pam_req.service, sizeof(m.u.pam_req.service), service,
                            strlen(service)) ||
        ta_proto_set_string(m.u.pam_req.user, sizeof(m.u.pam_req.user), user, strlen(user)) ||
        ta_proto_set_string(m.u.pam_req.password, sizeof(m.u.pam_req.password), password,
                            strlen(password)) ||
        ta_proto_set_string(m.u.pam_req.rhost, sizeof(m.u.pam_req.rhost), rhost, strlen(rhost)) ||
        ta_proto_encode(&m, req, sizeof(req), &rlen) != TA_PROTO_OK) {
        ta_msg_wipe(&m);
        return TA_PAM_UNAVAILABLE;
    }
    ta_msg_wipe(&m);
    if ((conn = ta_hub_connect(link, ANSWER_WAIT_MS)) < 0) {
        snprintf(why, whylen, "the PAM process cannot be reached");
        OPENSSL_cleanse(req, sizeof(req));
        return TA_PAM_UNAVAILABLE;
    }
    if (ta_send_all(conn, req, rlen) != 0 ||
        ta_recv_frame_fd(conn, ANSWER_WAIT_MS, ans, sizeof(ans), &alen, &fd) != 0 || fd >= 0 ||
        ta_proto_decode(ans, alen, &m, &used) != TA_PROTO_OK || m.type != TA_MSG_PAM_RESP)
        snprintf(why, whylen,
                 "the PAM process ended without an answer (a module crashed, hung "
                 "or refused)");
    else {
        st = (ta_pam_status)m.u.pam_resp.status;
        *fail_delay = m.u.pam_resp.delay;
        snprintf(why, whylen, "%s", m.u.pam_resp.why);
    }
    if (fd >= 0)
        close(fd);
    close(conn);
    OPENSSL_cleanse(req, sizeof(req));
    return st;
}
