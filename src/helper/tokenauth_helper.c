/* tokenauth-helper: the privileged helper's own program (SPEC §6, issue 9). The Apache parent
 * executes it while still root, with a clean environment and these descriptors only:
 *
 *   0, 1  /dev/null          3  the hub: connections from Apache's children arrive here
 *   2     Apache's error log 4  its configuration (ta_hconf.h), read once and closed
 *                            5  the revocation ledger, when the configuration names one
 *
 * It links libc, libcrypto and libpam, and nothing of httpd or APR: a fresh, small image in
 * which no other module's code or memory can be. Start-up runs single-threaded: read the
 * configuration, fork the PAM process (first, so that it never holds a key), load the signing
 * keys, attach the ledger; then the file side drops every privilege it does not need and
 * serves. */
#include "ta_broker.h"
#include "ta_pamconf.h"
#include "ta_confine.h"
#include "ta_hconf.h"
#include "ta_helper.h"
#include "ta_hthrottle.h"
#include "ta_hlog.h"
#include "ta_privs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#define FD_LOG 2
#define FD_HUB 3
#define FD_CONFIG 4
#define FD_LEDGER 5
#define MAX_SERVICES 64
#define PAM_DIR "/etc/pam.d" /* where libpam reads service files */

/* Everything the configuration descriptor holds, NUL-free, at most TA_HCONF_MAX bytes. */
static char *read_config(size_t *len)
{
    char *buf = malloc(TA_HCONF_MAX + 1);
    size_t have = 0;
    ssize_t r;

    if (buf == NULL)
        return NULL;
    while (have <= TA_HCONF_MAX &&
           ((r = pread(FD_CONFIG, buf + have, TA_HCONF_MAX + 1 - have, (off_t)have)) > 0 ||
            (r < 0 && errno == EINTR)))
        have += r > 0 ? (size_t)r : 0;
    if (have == 0 || have > TA_HCONF_MAX) {
        free(buf);
        return NULL;
    }
    *len = have;
    return buf;
}

/* 1 when fd is a socket of the given type. */
static int is_socket(int fd, int type)
{
    int t = 0;
    socklen_t len = sizeof(t);

    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) == 0 && t == type;
}

static ta_hconf *load_config(void)
{
    char err[256] = "", *text;
    size_t len = 0;
    ta_hconf *c = NULL;

    if ((text = read_config(&len)) == NULL ||
        ta_hconf_parse(text, len, &c, err, sizeof(err)) != 0) {
        fprintf(stderr, "tokenauth-helper: %s\n",
                err[0] ? err : "no configuration on descriptor 4 (it is started by Apache)");
        free(text);
        return NULL;
    }
    free(text);
    close(FD_CONFIG);
    return c;
}

/* Every server's signing keys, in full: only this process holds EdDSA private keys. */
static int load_keys(ta_hconf *c)
{
    char err[512];

    for (size_t i = 0; i < c->nservers; i++) {
        ta_hserver *s = &c->servers[i];
        ta_keys_status st =
            ta_keys_load(s->key_file, geteuid() == 0, TA_KEYS_PRIVATE, &s->keys, err, sizeof(err));
        if (st != TA_KEYS_OK) {
            ta_hlog(TA_LOG_ERR, "TA00057: helper: key file %s: %s", s->key_file, err);
            return -1;
        }
    }
    return 0;
}

/* The PAM services the configuration names, each once, NULL-ended. */
static void list_services(const ta_hconf *c, const char **out)
{
    size_t n = 0;

    for (size_t i = 0; i < c->nservers && n < MAX_SERVICES; i++) {
        int seen = 0;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(out[j], c->servers[i].pam_service) == 0;
        if (!seen)
            out[n++] = c->servers[i].pam_service;
    }
    out[n] = NULL;
}

static int attach_ledger(ta_hconf *c, ta_revstore **ledger)
{
    char err[512];

    *ledger = NULL;
    if (c->ledger == NULL)
        return 0;
    if ((*ledger = ta_revstore_attach(FD_LEDGER, c->ledger_slots, c->ledger, err, sizeof(err))) ==
        NULL) {
        ta_hlog(TA_LOG_ERR, "TA00076: helper: revocation ledger: %s", err);
        return -1;
    }
    return 0;
}

/* After start-up, the file side keeps CAP_SETUID and CAP_SETGID only. */
static int lock_down(void)
{
    char err[256];

    if (ta_privs_drop_caps(err, sizeof(err)) != 0 || ta_privs_lock_process(err, sizeof(err)) != 0) {
        ta_hlog(TA_LOG_ERR, "TA00077: helper: cannot drop its privileges: %s", err);
        return -1;
    }
    return 0;
}

/* What the serving threads use. Static: a helper that ends while a thread is still busy
 * leaves both to the exit, and they stay reachable for as long as such a thread runs. */
static ta_helper_conf hc;
static ta_hconf *conf;

/* The end, without exit()'s handlers: a connection thread that has just said it is done may
 * still be in its own thread exit (OpenSSL's per-thread clean-up among it), and one that
 * outlived a drain is still at work; OpenSSL's exit handler would free under either. */
static void end_process(int rv) __attribute__((noreturn));
static void end_process(int rv)
{
    fflush(NULL);
#ifdef __SANITIZE_ADDRESS__
    __lsan_do_leak_check(); /* what exit() would have run */
#endif
    _exit(rv);
}

int main(void)
{
    const char *services[MAX_SERVICES + 1];
    pid_t broker_pid = 0;
    long parent = (long)getppid();
    char err[256];
    int rv;

    prctl(PR_SET_NAME, "ta-helper"); /* how administrators and tests tell it from workers */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* a session of its own: prefork signals its whole process group at a restart or stop, and
     * the helper must hear only the parent's own word (and its death) */
    setsid();
    signal(SIGPIPE, SIG_IGN);
    if (!is_socket(FD_HUB, SOCK_SEQPACKET)) {
        fputs("tokenauth-helper: not started by mod_tokenauth (no hub on descriptor 3)\n", stderr);
        return 2;
    }
    if ((conf = load_config()) == NULL)
        return 2;
    ta_hlog_init(conf->log_syslog ? -1 : FD_LOG, conf->log_level);
    memset(&hc, 0, sizeof(hc));
    /* the PAM process first, so that it never holds a signing key or the ledger */
    list_services(conf, services);
    if ((hc.ctx.broker = ta_broker_start(services, &broker_pid, err, sizeof(err))) < 0) {
        ta_hlog(TA_LOG_ERR, "TA00078: helper: cannot start its PAM process: %s", err);
        return 1;
    }
    if (ta_hthrottle_init() != 0 || load_keys(conf) != 0 ||
        attach_ledger(conf, &hc.ctx.ledger) != 0)
        return 1;
    for (size_t i = 0; i < conf->nservers; i++) /* read while the file system is all there */
        conf->servers[i].nodelay = ta_pam_service_nodelay(PAM_DIR, conf->servers[i].pam_service);
    if (lock_down() != 0)
        return 1;
    hc.ctx.conf = conf;
    hc.hub = FD_HUB;
    hc.client_uid = geteuid() == 0 ? conf->client_uid : (unsigned long)geteuid();
    hc.max_clients = conf->max_clients;
    hc.per_peer = conf->per_peer;
    hc.parent_pid = parent;
    hc.broker_pid = (long)broker_pid;
    ta_hlog(TA_LOG_INFO,
            "TA00058: helper %ld serving uid %lu (confined opens by %s, PAM in process %ld)",
            (long)getpid(), hc.client_uid, ta_confine_have_openat2() ? "openat2" : "component walk",
            (long)broker_pid);
    rv = ta_helper_serve(&hc);
    kill(broker_pid, SIGKILL); /* no PAM process outlives its helper, not even as a zombie */
    waitpid(broker_pid, NULL, 0);
    if (rv != TA_HELPER_STILL_BUSY) { /* nothing uses them any more: wipe the keys on the way */
        ta_revstore_close(hc.ctx.ledger);
        ta_hconf_free(conf);
    }
    end_process(rv);
}
