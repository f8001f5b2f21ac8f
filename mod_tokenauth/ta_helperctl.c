/* The helper's life cycle in the Apache parent. */
#include "ta_helperctl.h"
#include "ta_config.h"
#include "ta_helper.h"

#include "apr_strings.h"
#include "ap_listen.h"
#include "ap_mpm.h"
#include "http_core.h"
#include "http_log.h"
#include "unixd.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

APLOG_USE_MODULE(tokenauth);

#define HELPER_SOCKET "tokenauth/helper.sock" /* below DefaultRuntimeDir */
#define HELPER_MIN_CLIENTS 64
#define HELPER_SPARE_CLIENTS 64 /* logins, which take a connection of their own */
/* longer than the helper's own drain, so that a login in progress is not cut short */
#define HELPER_STOP_WAIT_MS ((TA_HELPER_DRAIN_SECONDS + 2) * 1000)

static const char *socket_path; /* inherited by the children */
static apr_pool_t *helper_pool; /* pconf of the generation that started the helper */
static server_rec *helper_server;
static apr_proc_t helper_proc;
static pid_t parent_pid;

const char *ta_helper_socket(void)
{
    return socket_path;
}

/* Helper messages go to the main error log with our id. */
static void helper_log(void *ctx, int level, const char *msg)
{
    int lvl = level <= TA_LOG_ERR       ? APLOG_ERR
              : level == TA_LOG_WARNING ? APLOG_WARNING
              : level == TA_LOG_INFO    ? APLOG_INFO
                                        : APLOG_DEBUG;

    ap_log_error(APLOG_MARK, lvl, 0, ctx, "TA00010: helper: %s", msg);
}

/* Close [lo, hi]; where close_range is missing or filtered, one by one. */
static void close_span(unsigned lo, unsigned hi)
{
    if (lo > hi || close_range(lo, hi, 0) == 0)
        return;
    if (hi > 65535)
        hi = 65535; /* beyond what any Apache has open */
    for (unsigned fd = lo; fd <= hi; fd++)
        close((int)fd);
}

/* In the new helper: keep only stdin/out/err, the error log and the socket. */
static void close_inherited(int keep_a, int keep_b)
{
    unsigned lo = (unsigned)(keep_a < keep_b ? keep_a : keep_b);
    unsigned hi = (unsigned)(keep_a < keep_b ? keep_b : keep_a);

    ap_close_listeners();
    closelog(); /* with ErrorLog syslog, glibc would write to a descriptor closed below */
    if (lo > 3)
        close_span(3, lo - 1);
    if (hi > lo + 1)
        close_span(lo + 1, hi - 1);
    close_span(hi + 1, ~0U);
}

/* The PAM services the configuration names (every server's TokenAuthPAMService), the only
 * ones the helper will run: a caller must not pick, say, su's stack. */
static const char *const *configured_services(apr_pool_t *p, server_rec *s)
{
    apr_array_header_t *list = apr_array_make(p, 4, sizeof(const char *));

    for (server_rec *v = s; v; v = v->next) {
        const ta_server_conf *sc = ta_server_config(v);
        const char *name = sc->pam_service ? sc->pam_service : TA_DEFAULT_PAM_SERVICE;
        int seen = 0;

        for (int i = 0; i < list->nelts && !seen; i++)
            seen = strcmp(APR_ARRAY_IDX(list, i, const char *), name) == 0;
        if (!seen)
            APR_ARRAY_PUSH(list, const char *) = name;
    }
    APR_ARRAY_PUSH(list, const char *) = NULL;
    return (const char *const *)list->elts;
}

/* How many connections the helper serves at once: every worker thread of every child may
 * keep one for file requests (ta_helper_client.c), plus logins in flight. */
static unsigned max_clients(void)
{
    int daemons = 0, threads = 0;
    unsigned long n;

    if (ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons) != APR_SUCCESS || daemons < 1)
        daemons = 16;
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1)
        threads = 1;
    n = (unsigned long)daemons * (unsigned long)threads + HELPER_SPARE_CLIENTS;
    return n < HELPER_MIN_CLIENTS ? HELPER_MIN_CLIENTS : n > 65536 ? 65536 : (unsigned)n;
}

/* The helper process itself: never returns. */
static void run_helper(server_rec *s, int listen_fd, unsigned long client_uid)
{
    ta_helper_conf hc = {listen_fd,  client_uid, max_clients(), configured_services(helper_pool, s),
                         helper_log, s};
    apr_os_file_t logfd = 2;

    if (s->error_log)
        apr_os_file_get(&logfd, s->error_log);
    close_inherited(listen_fd, logfd);
    _exit(ta_helper_serve(&hc, (long)parent_pid));
}

static void watch_helper(int reason, void *data, apr_wait_t status);

/* Create the socket, fork the helper, and watch it. */
static apr_status_t spawn(void)
{
    server_rec *s = helper_server;
    unsigned long uid = geteuid() == 0 ? (unsigned long)ap_unixd_config.user_id : geteuid();
    unsigned long gid = geteuid() == 0 ? (unsigned long)ap_unixd_config.group_id : getegid();
    char err[256];
    apr_status_t rv;
    int fd = ta_helper_listen(socket_path, uid, gid, err, sizeof(err));

    if (fd < 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "TA00011: cannot start the helper: %s", err);
        return APR_EGENERAL;
    }
    rv = apr_proc_fork(&helper_proc, helper_pool);
    if (rv == APR_INCHILD)
        run_helper(s, fd, uid);
    close(fd);
    if (rv != APR_INPARENT) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TA00011: cannot fork the helper");
        return rv;
    }
    apr_proc_other_child_register(&helper_proc, watch_helper, &helper_proc, NULL, helper_pool);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "TA00012: helper started (pid %" APR_PID_T_FMT ", socket %s)", helper_proc.pid,
                 socket_path);
    return APR_SUCCESS;
}

/* Stop the helper and reap it, so that neither a process nor a zombie is left behind. */
static void stop_helper(pid_t pid)
{
    int waited = 0;

    if (pid <= 0 || kill(pid, SIGTERM) != 0)
        return;
    while (waitpid(pid, NULL, WNOHANG) == 0) {
        if (waited >= HELPER_STOP_WAIT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return;
        }
        usleep(10000);
        waited += 10;
    }
}

static int apache_stopping(void)
{
    int state = AP_MPMQ_STOPPING;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) != APR_SUCCESS || state == AP_MPMQ_STOPPING;
}

/* Called by the MPM in the parent: a dead helper is restarted; when the configuration pool
 * goes (graceful restart, stop), the helper goes with it. */
static void watch_helper(int reason, void *data, apr_wait_t status)
{
    apr_proc_t *proc = data;
    pid_t pid;

    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        /* already reaped: unregistering calls us again (UNREGISTER), which must not signal a
         * pid that may since belong to another process */
        pid = proc->pid;
        proc->pid = -1;
        apr_proc_other_child_unregister(data);
        if (apache_stopping())
            break;
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, helper_server,
                     "TA00013: helper (pid %" APR_PID_T_FMT ") exited (status %d); restarting", pid,
                     (int)status);
        spawn();
        break;
    case APR_OC_REASON_UNREGISTER:
        if (getpid() == parent_pid)
            stop_helper(proc->pid);
        break;
    default: /* APR_OC_REASON_RESTART, _UNWRITABLE: the pool cleanup does the work */
        break;
    }
}

int ta_helper_start(apr_pool_t *pconf, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    socket_path = ap_runtime_dir_relative(pconf, HELPER_SOCKET);
    helper_pool = pconf;
    helper_server = s;
    parent_pid = getpid();
    if (socket_path == NULL || spawn() != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    return OK;
}
