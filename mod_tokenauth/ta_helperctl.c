/* The helper's life cycle in the Apache parent: the hub, the program, and its supervision. */
#include "ta_helperctl.h"
#include "ta_cache.h"
#include "ta_config.h"
#include "ta_helper_client.h"
#include "ta_helperconf.h"
#include "ta_revstore.h"

#include "apr_strings.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "unixd.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

APLOG_USE_MODULE(tokenauth);

#define HELPER_PROGRAM "tokenauth-helper" /* next to mod_tokenauth.so */
#define HUB_RETAINED "mod_tokenauth-hub"
#define HELPER_MIN_CLIENTS 64
#define HELPER_SPARE_CLIENTS 64 /* logins and mints, which take a connection of their own */
/* A worker thread may hold two connections at once: the one it keeps for file requests, and
 * a login's or mint's own (or the probe of a helper slow to answer a file request). */
#define HELPER_CONNS_PER_THREAD 2
#define HELPER_SPARE_PER_CHILD 8
#define HELPER_MIN_PER_CHILD 16
/* longer than the helper's own drain, so that a login in progress is not cut short */
#define HELPER_STOP_WAIT_MS ((5 + 2) * 1000)
#define HELPER_FDS 6 /* 0-2 standard, 3 hub, 4 configuration, 5 ledger */

/* The hub lives as long as the parent: a helper restarted, or replaced at a graceful restart,
 * takes the connections every generation of children sends over the same hub. */
typedef struct {
    int helper_end, worker_end;
} hub_t;

static hub_t *hub;
static const char *helper_path;   /* the program */
static const char *helper_config; /* its configuration text, for every (re)start */
static apr_pool_t *helper_pool;   /* pconf of the generation that started the helper */
static server_rec *helper_server;
static apr_proc_t helper_proc;
static pid_t parent_pid;
static apr_time_t started_at;      /* of the running helper */
static int spawning;               /* the next fork is the helper's */
static int atfork_set;             /* this load of the module registered its fork handler */
static pid_t parent_pid_at_config; /* the Apache parent, whose own forks the handler tends */

/* The hub, made once per parent. */
static apr_status_t make_hub(void)
{
    int sv[2];

    hub = ap_retained_data_get(HUB_RETAINED);
    if (hub != NULL)
        return APR_SUCCESS;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return errno;
    hub = ap_retained_data_create(HUB_RETAINED, sizeof(*hub));
    hub->helper_end = sv[0];
    hub->worker_end = sv[1];
    return APR_SUCCESS;
}

/* Every process the parent forks gets the hub's helper end, which lets its holder take other
 * processes' connections, passwords and all: mod_cgid's daemon, for one, is forked from the
 * parent after the hub exists. Only the helper may keep it, so every other fork closes it at
 * once, before any of its own code runs. (The handler goes with this module's code when httpd
 * unloads it, and is registered again by the next generation.) */
static void close_helper_end_in_child(void)
{
    /* only in the parent's own children (not in what they fork in turn: a CGI forked by
     * mod_cgid's daemon), and never in the helper's */
    if (spawning || getppid() != parent_pid_at_config)
        return;
    if (hub != NULL) {
        if (hub->helper_end >= 0)
            close(hub->helper_end);
        hub->helper_end = -1;
    }
    /* a child of Apache's user could truncate the ledger through this descriptor (the helper,
     * which reads it, would die of SIGBUS); the mapping is all a child needs */
    ta_cache_forget_ledger_fd();
    /* Before the MPM runs, the parent forks only daemons of other modules (mod_cgid's, say):
     * none of them is a worker, so none keeps the workers' end, nor the keys (an HS256
     * secret must not sit in a daemon that may be dumpable). (A daemon restarted later, while
     * the MPM runs, cannot be told from a new child here: it keeps both, as a child would.) */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_RUN_MPM) {
        if (hub != NULL && hub->worker_end >= 0)
            close(hub->worker_end);
        if (hub != NULL)
            hub->worker_end = -1;
        ta_config_forget_keys(ap_server_conf);
    }
}

void ta_helper_pre_config(void)
{
    /* before any module's post_config can fork: the hub of the previous generation is still
     * open in the parent, and this load of the module has no fork handler yet */
    hub = ap_retained_data_get(HUB_RETAINED);
    parent_pid_at_config = getpid();
    if (!atfork_set && pthread_atfork(NULL, NULL, close_helper_end_in_child) == 0)
        atfork_set = 1;
}

/* A program the root parent may run: a regular, executable file that only root can change,
 * in a directory only root can change. NULL or why not. */
static const char *unsafe_program(apr_pool_t *p, const char *path)
{
    char *dir = apr_pstrdup(p, path);
    struct stat st, dst;

    if (stat(path, &st) != 0 || stat(dirname(dir), &dst) != 0)
        return apr_psprintf(p, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
        return apr_psprintf(p, "%s is not an executable file", path);
    if (geteuid() == 0 &&
        (st.st_uid != 0 || (st.st_mode & 022) || dst.st_uid != 0 || (dst.st_mode & 022)))
        return apr_psprintf(p, "%s (or its directory) can be changed by a user other than root",
                            path);
    return NULL;
}

/* The helper program beside the module's own shared object. */
static const char *find_program(apr_pool_t *p)
{
    Dl_info info;
    char *dir;

    if (dladdr((void *)&tokenauth_module, &info) == 0 || info.dli_fname == NULL)
        return NULL;
    dir = apr_pstrdup(p, info.dli_fname);
    return apr_pstrcat(p, dirname(dir), "/" HELPER_PROGRAM, NULL);
}

/* How many connections the helper serves at once: every worker thread of every child may
 * keep one for file requests (ta_helper_client.c), plus logins in flight; and how many one
 * child may hold: its threads', and a few logins and mints besides. */
static void client_limits(unsigned *max, unsigned *per_peer)
{
    int daemons = 0, threads = 0;
    unsigned long n;

    if (ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons) != APR_SUCCESS || daemons < 1)
        daemons = 16;
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1)
        threads = 1;
    n = (unsigned long)daemons * (unsigned long)threads * HELPER_CONNS_PER_THREAD +
        HELPER_SPARE_CLIENTS;
    *max = n < HELPER_MIN_CLIENTS ? HELPER_MIN_CLIENTS : n > 65536 ? 65536 : (unsigned)n;
    n = (unsigned long)threads * HELPER_CONNS_PER_THREAD + HELPER_SPARE_PER_CHILD;
    *per_peer = n < HELPER_MIN_PER_CHILD ? HELPER_MIN_PER_CHILD : n > 65536 ? 65536 : (unsigned)n;
}

/* The configuration text in a sealed memory file: the helper reads exactly what we wrote. */
static int config_fd(const char *text)
{
    size_t len = strlen(text), done = 0;
    int fd = memfd_create("tokenauth-helper-config", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0)
        return -1;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* In the forked child: descriptors 0-5 as the helper expects them, nothing else, a clean
 * signal mask and environment, then the program. Never returns. */
static void exec_helper(const int src[HELPER_FDS])
{
    char *const argv[] = {(char *)HELPER_PROGRAM, NULL};
    char *const envp[] = {NULL};
    int tmp[HELPER_FDS];
    sigset_t none;

    /* first out of the way (a source may sit where another target goes), then into place;
     * dup2 clears close-on-exec on each target */
    for (int i = 0; i < HELPER_FDS; i++)
        tmp[i] = src[i] >= 0 ? fcntl(src[i], F_DUPFD_CLOEXEC, 64) : -1;
    for (int i = 0; i < HELPER_FDS; i++)
        if (tmp[i] < 0 ? (close(i), 0) : dup2(tmp[i], i) != i)
            _exit(127);
    if (close_range(HELPER_FDS, ~0U, 0) != 0)
        for (int fd = HELPER_FDS; fd < 65536; fd++)
            close(fd);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(helper_path, argv, envp);
    _exit(127);
}

static void watch_helper(int reason, void *data, apr_wait_t status);

/* Fork and execute the helper, and watch it. */
static apr_status_t spawn(void)
{
    server_rec *s = helper_server;
    apr_os_file_t logfd = -1;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC), cfg = config_fd(helper_config);
    ta_revstore *ledger = ta_cache_ledger();
    apr_status_t rv;

    if (s->error_log)
        apr_os_file_get(&logfd, s->error_log);
    if (devnull < 0 || cfg < 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, "TA00081: cannot start the helper");
        rv = APR_EGENERAL;
    }
    else if ((spawning = 1, rv = apr_proc_fork(&helper_proc, helper_pool)) == APR_INCHILD) {
        const int src[HELPER_FDS] = {devnull,         devnull, logfd >= 0 ? logfd : devnull,
                                     hub->helper_end, cfg,     ta_revstore_fd(ledger)};
        exec_helper(src);
    }
    spawning = 0;
    if (devnull >= 0)
        close(devnull);
    if (cfg >= 0)
        close(cfg);
    if (rv != APR_INPARENT) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "TA00082: cannot fork the helper");
        return rv;
    }
    started_at = apr_time_now();
    apr_proc_other_child_register(&helper_proc, watch_helper, &helper_proc, NULL, helper_pool);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "TA00012: helper started (pid %" APR_PID_T_FMT ", program %s)", helper_proc.pid,
                 helper_path);
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
        /* one that cannot even start (a key file gone bad) must not be restarted in a loop */
        if (apr_time_now() - started_at < apr_time_from_sec(1))
            apr_sleep(apr_time_from_sec(1));
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

/* Apache's children's user, whom the helper serves (itself when Apache is not root). */
static void client_ids(unsigned long *uid, unsigned long *gid)
{
    *uid = geteuid() == 0 ? (unsigned long)ap_unixd_config.user_id : geteuid();
    *gid = geteuid() == 0 ? (unsigned long)ap_unixd_config.group_id : getegid();
}

int ta_helper_start(apr_pool_t *pconf, server_rec *s)
{
    const char *why;
    unsigned long uid, gid;
    unsigned max, per_peer;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if ((helper_path = find_program(pconf)) == NULL ||
        (why = unsafe_program(pconf, helper_path)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "TA00011: cannot use the helper program: %s",
                     helper_path ? why : "the module's own file is unknown");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    client_ids(&uid, &gid);
    client_limits(&max, &per_peer);
    helper_config = ta_helperconf_text(pconf, s, uid, gid, max, per_peer,
                                       ta_cache_ledger_path(pconf), ta_cache_ledger_slots());
    if (helper_config == NULL)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (!atfork_set || (rv = make_hub()) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, atfork_set ? rv : 0, s,
                     "TA00080: cannot create the helper's hub%s",
                     atfork_set ? "" : " (no fork handler to keep it from other processes)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (ap_coredumpdir_configured)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "TA00075: CoreDumpDirectory is set: processes the Apache parent forks "
                     "(mod_cgid's daemon, say) become dumpable and hold the helper's hub, which "
                     "other processes of Apache's user could then copy. Unset it while "
                     "mod_tokenauth is loaded.");
    helper_pool = pconf;
    helper_server = s;
    parent_pid = getpid();
    return spawn() == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* In each child, before any request: the helper's end is not the children's to read (a
 * child could take other children's connections off it), and a child whose descriptors
 * another www-data process could copy (pidfd_getfd, ptrace) would lend it the hub. */
void ta_helper_child_init(server_rec *s)
{
    if (hub == NULL)
        return;
    if (hub->helper_end >= 0)
        close(hub->helper_end);
    hub->helper_end = -1;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s,
                     "TA00073: cannot make this child non-dumpable: no requests to the helper");
    else
        ta_helper_client_init(hub->worker_end);
}
