/* The fixture of the tests that run the real helper (ta_helper_serve) end to end in one process
 * tree: test_helper_files.c and test_helper_login.c.
 *
 * ut_helper_start forks a child that takes its own mount namespace and binds copies of
 * /etc/passwd and /etc/group with one more account, taunit (uid 4242), whose home is in a
 * scratch directory, and one more group (4343) that has taunit as a member; with PAM services
 * given, it binds a directory of theirs over /etc/pam.d too. So the helper looks users up
 * through NSS and runs PAM as always, and nothing of the host changes. The child then does what
 * tokenauth-helper's main does: parse a configuration text (servers: 0 signs with an EdDSA key,
 * 1 with an HS256 key, each from a key file of mode 0600; 2 shares 1's key and PAM service), start
 * the PAM broker, load the keys, attach the revocation ledger the test process opened, and serve
 * a hub whose other end stays here. The helper logs to a file the tests read. All of that needs
 * root (or CAP_SYS_ADMIN); without it every test is skipped. */
#ifndef TA_UT_HELPER_H
#define TA_UT_HELPER_H

#include "unit.h"
#include "ta_broker.h"
#include "ta_hconf.h"
#include "ta_helper.h"
#include "ta_helper_client.h"
#include "ta_hlog.h"
#include "ta_hthrottle.h"
#include "ta_io.h"
#include "ta_proto.h"
#include "ta_revstore.h"
#include "ta_token.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UT_UID 4242
#define UT_GID2 4343 /* a supplementary group of taunit */
#define UT_USER "taunit"
#define UT_TIMEOUT_MS 5000
#define UT_ISS0 "tokenauth"    /* server 0: EdDSA, TokenAuthMinUID 1000 */
#define UT_ISS1 "other-issuer" /* server 1: HS256, TokenAuthMinUID 0 */
#define UT_ISS2 "third-issuer" /* server 2: server 1's key and PAM service, laxer throttle */

typedef struct {
    char dir[64];  /* the scratch directory */
    char log[128]; /* the helper's log */
    pid_t helper;  /* -1 until started */
    int hub;       /* this process's end of the hub */
    ta_revstore *ledger;
    ta_keyset *keys[2]; /* the servers' keys, to sign tokens here */
    int skip;
} ut_helper_env;

static ut_helper_env ut_env = {.helper = -1, .hub = -1};

/* What a test file asks of the helper: its <Location> lines (loc records), the PAM service of
 * each server and the files of the PAM services (name, text pairs, NULL-ended; NULL: no PAM
 * broker at all), the connection limits, and whether to build a home with many files. */
typedef struct {
    const char *name;
    const char *locs;
    const char *pam[2];
    const char *const *pam_files;
    unsigned max_clients, per_peer;
    int many;
} ut_helper_spec;

#define UT_MANY 4000 /* files of 255-byte names: more than one listing holds */

static inline void ut_write_file(const char *path, const char *text, uid_t uid, gid_t gid,
                                 mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchown(fd, uid, gid), 0);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static inline void ut_mkdir_as(const char *path, uid_t uid, mode_t mode)
{
    assert_int_equal(mkdir(path, mode), 0);
    assert_int_equal(chown(path, uid, uid), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* dir/rel as a path in out (512 bytes). */
static inline const char *ut_path(char *out, const char *rel)
{
    snprintf(out, 512, "%s/%s", ut_env.dir, rel);
    return out;
}

/* The home: www/hello.txt, www/.hidden, www/secret.txt (root's, 0600), www/group.txt (root's,
 * group 4343, 0640), www/sub/, and with many, www/many/ (UT_MANY long names). */
static inline void ut_make_home(int many)
{
    char p[512], name[256];

    ut_mkdir_as(ut_path(p, "home"), UT_UID, 0700);
    ut_mkdir_as(ut_path(p, "home/www"), UT_UID, 0755);
    ut_write_file(ut_path(p, "home/www/hello.txt"), "hello", UT_UID, UT_UID, 0644);
    ut_write_file(ut_path(p, "home/www/.hidden"), "dot", UT_UID, UT_UID, 0644);
    ut_write_file(ut_path(p, "home/www/secret.txt"), "not yours", 0, 0, 0600);
    ut_write_file(ut_path(p, "home/www/group.txt"), "not yours", 0, UT_GID2, 0640);
    ut_mkdir_as(ut_path(p, "home/www/sub"), UT_UID, 0755);
    if (!many)
        return;
    ut_mkdir_as(ut_path(p, "home/www/many"), UT_UID, 0755);
    memset(name, 'n', 250);
    name[250] = '\0';
    for (int i = 0; i < UT_MANY; i++) {
        snprintf(p, sizeof(p), "%s/home/www/many/%05d%s", ut_env.dir, i, name);
        ut_write_file(p, "x", UT_UID, UT_UID, 0644);
    }
}

/* A copy of /etc/name with one more line, in the scratch directory. */
static inline void ut_copy_etc(const char *name, const char *line)
{
    char p[512];
    FILE *in, *out;
    int c;

    snprintf(p, sizeof(p), "/etc/%s", name);
    in = fopen(p, "r");
    out = fopen(ut_path(p, name), "w");
    assert_non_null(in);
    assert_non_null(out);
    while ((c = fgetc(in)) != EOF)
        fputc(c, out);
    fputs(line, out);
    fclose(in);
    fclose(out);
    chmod(p, 0644);
}

static inline void ut_make_etc(void)
{
    char line[256];

    snprintf(line, sizeof(line), "%s:x:%d:%d::%s/home:/usr/sbin/nologin\n", UT_USER, UT_UID, UT_UID,
             ut_env.dir);
    ut_copy_etc("passwd", line);
    snprintf(line, sizeof(line), "taunit-extra:x:%d:%s\n", UT_GID2, UT_USER);
    ut_copy_etc("group", line);
}

/* The key files of both servers (mode 0600, root's), and the same keys here. */
static inline void ut_make_keys(void)
{
    char line[160], b64[64], p[512];

    ut_eddsa_line("k0", 1, line, sizeof(line));
    ut_write_file(ut_path(p, "keys0"), line, 0, 0, 0600);
    ut_env.keys[0] = ut_keyset_parse(line);
    ut_secret_b64(2, UT_SECRET_LEN, b64);
    snprintf(line, sizeof(line), "k1 HS256 %s\n", b64);
    ut_write_file(ut_path(p, "keys1"), line, 0, 0, 0600);
    ut_env.keys[1] = ut_keyset_parse(line);
}

static inline void ut_make_pam(const char *const *files)
{
    char p[512], rel[128];

    ut_mkdir_as(ut_path(p, "pam.d"), 0, 0755);
    for (; files && files[0]; files += 2) {
        snprintf(rel, sizeof(rel), "pam.d/%s", files[0]);
        ut_write_file(ut_path(p, rel), files[1], 0, 0, 0644);
    }
}

/* The configuration text the module would write for spec. */
static inline void ut_conf_text(const ut_helper_spec *spec, char *out, size_t cap)
{
    snprintf(out, cap,
             "tokenauth-helper-config 1\n"
             "client %lu %lu %u %u 7 file\n"
             "ledger %s/revocations 64\n"
             "server " UT_ISS0 " %s/keys0 %s 3 300 600 1000 off 0 0 28800 3600 86400\n"
             "server " UT_ISS1 " %s/keys1 %s 2 300 600 0 off 0 0 28800 3600 86400\n"
             "server " UT_ISS2 " %s/keys1 %s 10 60 60 1000 off 0 0 28800 3600 86400\n"
             "%s",
             (unsigned long)geteuid(), (unsigned long)getegid(), spec->max_clients, spec->per_peer,
             ut_env.dir, ut_env.dir, spec->pam[0] ? spec->pam[0] : "tokenauth", ut_env.dir,
             spec->pam[1] ? spec->pam[1] : "tokenauth", ut_env.dir,
             spec->pam[1] ? spec->pam[1] : "tokenauth", spec->locs);
}

static inline int ut_bind(const char *rel, const char *target)
{
    char p[512];

    return mount(ut_path(p, rel), target, "none", MS_BIND, NULL);
}

/* In the child: the namespace, then what tokenauth-helper's main does in its order (the PAM
 * process first, so that it holds no key; the throttle's hash key; the signing keys; the
 * ledger), then serve. Reports 'R' (ready) or 'S' (cannot: skip) on report. */
static inline void ut_run_helper(const ut_helper_spec *spec, int hub, int report)
{
    static char text[8192];
    const char *services[3] = {spec->pam[0], spec->pam[1], NULL};
    char err[512], p[512];
    ta_helper_conf hc;
    ta_hconf *c = NULL;
    pid_t broker = 0;
    int log;

    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        ut_bind("passwd", "/etc/passwd") != 0 || ut_bind("group", "/etc/group") != 0 ||
        (spec->pam_files && ut_bind("pam.d", "/etc/pam.d") != 0)) {
        (void)!write(report, "S", 1);
        _exit(0);
    }
    ut_conf_text(spec, text, sizeof(text));
    if (ta_hconf_parse(text, strlen(text), &c, err, sizeof(err)) != 0) {
        fprintf(stderr, "helper: %s\n", err);
        _exit(1);
    }
    log = open(ut_env.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log < 0)
        _exit(1);
    ta_hlog_init(log, TA_LOG_DEBUG);
    memset(&hc, 0, sizeof(hc));
    hc.ctx.broker = spec->pam_files ? ta_broker_start(services, &broker, err, sizeof(err)) : -1;
    if ((spec->pam_files && hc.ctx.broker < 0) || ta_hthrottle_init() != 0) {
        fprintf(stderr, "helper: %s\n", err);
        _exit(1);
    }
    for (size_t i = 0; i < c->nservers; i++)
        if (ta_keys_load(c->servers[i].key_file, 1, TA_KEYS_PRIVATE, &c->servers[i].keys, err,
                         sizeof(err)) != TA_KEYS_OK) {
            fprintf(stderr, "helper: %s\n", err);
            _exit(1);
        }
    hc.ctx.conf = c;
    hc.ctx.ledger = ta_revstore_attach(dup(ta_revstore_fd(ut_env.ledger)), TA_REVSTORE_SLOTS_MIN,
                                       ut_path(p, "revocations"), err, sizeof(err));
    if (hc.ctx.ledger == NULL) {
        fprintf(stderr, "helper: %s\n", err);
        _exit(1);
    }
    hc.broker_pid = (long)broker;
    hc.hub = hub;
    hc.client_uid = (unsigned long)geteuid();
    hc.max_clients = spec->max_clients;
    hc.per_peer = spec->per_peer;
    hc.parent_pid = (long)getppid();
    (void)!write(report, "R", 1);
    close(report);
    _exit(ta_helper_serve(&hc));
}

/* Everything the helper needs, and the helper. */
static inline int ut_helper_start(const ut_helper_spec *spec)
{
    int rp[2], hub[2];
    char got = 0, p[512], err[512];
    pid_t pid;

    if (geteuid() != 0) {
        ut_env.skip = 1;
        return 0;
    }
    assert_int_equal(ut_make_tmpdir(ut_env.dir, sizeof(ut_env.dir), spec->name), 0);
    chmod(ut_env.dir, 0755);
    snprintf(ut_env.log, sizeof(ut_env.log), "%s/helper.log", ut_env.dir);
    ut_make_home(spec->many);
    ut_make_etc();
    ut_make_keys();
    if (spec->pam_files)
        ut_make_pam(spec->pam_files);
    ut_env.ledger =
        ta_revstore_open(ut_path(p, "revocations"), TA_REVSTORE_SLOTS_MIN, err, sizeof(err));
    if (ut_env.ledger == NULL)
        fail_msg("%s", err);
    assert_int_equal(pipe2(rp, O_CLOEXEC), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, hub), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(rp[0]);
        close(hub[0]);
        ut_run_helper(spec, hub[1], rp[1]);
    }
    ut_env.helper = pid;
    close(rp[1]);
    close(hub[1]);
    ut_env.hub = hub[0];
    ta_helper_client_init(ut_env.hub);
    if (read(rp[0], &got, 1) != 1)
        got = 0;
    close(rp[0]);
    if (got == 'S') /* no namespace of its own here: nothing to test */
        ut_env.skip = 1;
    else if (got != 'R')
        fail_msg("the helper did not start (its reason is on stderr above)");
    return 0;
}

static inline int ut_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline int ut_helper_stop(void)
{
    ta_helper_forget_connection();
    if (ut_env.helper > 0) {
        kill(ut_env.helper, SIGTERM);
        waitpid(ut_env.helper, NULL, 0);
    }
    if (ut_env.hub >= 0)
        close(ut_env.hub);
    ta_revstore_close(ut_env.ledger);
    ta_keyset_free(ut_env.keys[0]);
    ta_keyset_free(ut_env.keys[1]);
    if (ut_env.dir[0] && getenv("TA_UNIT_KEEP") != NULL) /* to read the helper's log */
        fprintf(stderr, "kept %s\n", ut_env.dir);
    else if (ut_env.dir[0])
        nftw(ut_env.dir, ut_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

#define UT_NEED_HELPER()                                                                           \
    do {                                                                                           \
        if (ut_env.skip)                                                                           \
            skip();                                                                                \
    } while (0)

static inline long long ut_now(void)
{
    return (long long)time(NULL);
}

/* A token signed here with server's key (or keys, when not NULL) for issuer (NULL: server's),
 * sub and uid, of kind (scope for url and share), issued iat_ago seconds ago and expiring
 * exp_in seconds from now, with jti (NULL: a random one). Written into out (UT_TOKEN_BUF). */
static inline void ut_token_full(const ta_keyset *keys, unsigned server, const char *issuer,
                                 const char *sub, unsigned long uid, ta_kind kind,
                                 const char *scope, long long iat_ago, long long exp_in,
                                 const char *jti, char *out)
{
    ta_claims c;
    long long now = ut_now();

    memset(&c, 0, sizeof(c));
    snprintf(c.sub, sizeof(c.sub), "%s", sub);
    c.uid = uid;
    c.kind = kind;
    c.iat = now - iat_ago;
    c.exp = now + exp_in;
    if (scope)
        snprintf(c.scope, sizeof(c.scope), "%s", scope);
    if (jti)
        snprintf(c.jti, sizeof(c.jti), "%s", jti);
    assert_token_status(ta_token_issue(keys ? keys : ut_env.keys[server],
                                       issuer   ? issuer
                                       : server ? UT_ISS1
                                                : UT_ISS0,
                                       &c, out, UT_TOKEN_BUF),
                        TA_TOKEN_OK);
}

/* taunit's session token for server, valid for an hour. */
static inline const char *ut_session(unsigned server)
{
    static char tok[2][UT_TOKEN_BUF];

    ut_token_full(NULL, server, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 10, 3600, NULL,
                  tok[server]);
    return tok[server];
}

/* 1 when the helper's log holds text (it writes each line before it answers). */
static inline int ut_log_has(const char *text)
{
    FILE *f = fopen(ut_env.log, "r");
    char line[2048];
    int found = 0;

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* How many descriptors this process has open. */
static inline int ut_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3;
}

/* --- raw frames on a connection of our own ---------------------------------------------------- */

static inline int ut_connect(void)
{
    int s = ta_hub_connect(ut_env.hub, UT_TIMEOUT_MS);

    assert_true(s >= 0);
    return s;
}

/* Encode m and send it on s. */
static inline void ut_send_msg(int s, const ta_msg *m)
{
    unsigned char buf[TA_PROTO_MAX_FRAME];
    size_t len = 0;

    assert_int_equal(ta_proto_encode(m, buf, sizeof(buf), &len), TA_PROTO_OK);
    assert_int_equal(ta_send_all(s, buf, len), 0);
}

/* The next answer on s, decoded into *m (a LIST_RESP's entries are not kept); its descriptor
 * in *fd. 0, or -1 when the helper closed the connection or sent no sound frame. */
static inline int ut_recv_msg(int s, ta_msg *m, int *fd)
{
    unsigned char *buf = malloc(TA_PROTO_MAX_LIST_FRAME);
    size_t flen = 0, used = 0;
    int rv = -1;

    assert_non_null(buf);
    if (ta_recv_frame_fd(s, UT_TIMEOUT_MS, buf, TA_PROTO_MAX_LIST_FRAME, &flen, fd) == 0 &&
        ta_proto_decode(buf, flen, m, &used) == TA_PROTO_OK)
        rv = 0;
    free(buf);
    return rv;
}

/* 1 when the helper has closed s (end of stream within the timeout). */
static inline int ut_closed_by_helper(int s)
{
    struct timeval tv = {UT_TIMEOUT_MS / 1000, 0};
    char c;

    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return recv(s, &c, 1, 0) == 0;
}

#endif
