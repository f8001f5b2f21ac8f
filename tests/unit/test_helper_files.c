/* The file half of the helper, end to end in one process tree: the real server (ta_helper_serve)
 * in a forked child (see ut_helper.h), the real client (ta_helper_open, ta_helper_list) and raw
 * frames here, over a hub.
 *
 * Version 2 of the protocol: a request carries a token, a server index and the whole URL path,
 * and nothing else. The helper verifies the token itself and takes the home subdirectory and
 * the owner/hidden policy from its own configuration; each test below shows one of those
 * decisions made by the helper and not by the worker. */
#include "ut_helper.h"
#include "ta_confine.h"

#include <pwd.h>
#include <sys/time.h>

static const char *const ut_locs = "loc 0 /files :www - - - - -\n"
                                   "loc 0 /files/nohome off - - - - -\n"
                                   "loc 0 /own :www 1 - - - -\n"
                                   "loc 0 /dots :www - 1 - - -\n"
                                   "loc 1 /v :www - - - - -\n";

#define UT_PER_PEER 16

static unsigned ut_tighten; /* what the worker adds to the helper's policy (TA_PROTO_TIGHTEN_*) */

static int ut_setup(void **state)
{
    static const ut_helper_spec spec = {"files", NULL, {NULL, NULL}, NULL, 64, UT_PER_PEER, 1};
    ut_helper_spec s = spec;

    (void)state;
    s.locs = ut_locs;
    return ut_helper_start(&s);
}

static int ut_teardown(void **state)
{
    (void)state;
    return ut_helper_stop();
}

static int ut_open(unsigned server, const char *token, const char *path, int *fd, ta_file_info *fi)
{
    char err[256] = "";
    int st =
        ta_helper_open(UT_TIMEOUT_MS, server, ut_tighten, token, path, fd, fi, err, sizeof(err));

    if (st == TA_HELPER_UNAVAILABLE)
        print_message("unavailable: %s\n", err);
    return st;
}

/* The request is refused with status st, and nothing comes with the refusal. */
static void assert_open_refused(unsigned server, const char *token, const char *path, int st)
{
    static const ta_file_info zero;
    ta_file_info fi;
    int fd = -7, got = ut_open(server, token, path, &fd, &fi);

    if (got != st)
        fail_msg("open %s on server %u: %s, expected %s", path, server,
                 got == TA_HELPER_UNAVAILABLE ? "unavailable"
                                              : ta_confine_status_name((ta_confine_status)got),
                 ta_confine_status_name((ta_confine_status)st));
    assert_int_equal(fd, -1);
    assert_memory_equal(&fi, &zero, sizeof(fi));
}

/* The request opens a regular file whose content is want. */
static void assert_opens(unsigned server, const char *token, const char *path, const char *want)
{
    char buf[64] = "";
    ta_file_info fi;
    int fd = -7, st = ut_open(server, token, path, &fd, &fi);

    if (st != TA_CONFINE_OK)
        fail_msg("open %s on server %u: %s", path, server,
                 st == TA_HELPER_UNAVAILABLE ? "unavailable"
                                             : ta_confine_status_name((ta_confine_status)st));
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), (ssize_t)strlen(want));
    assert_string_equal(buf, want);
    close(fd);
}

/* A listing copied out of the client's answer. */
typedef struct {
    ta_list_entry *e;
    size_t n;
    unsigned long total;
} ut_listing;

static const ta_list_entry *ut_find(const ut_listing *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->e[i].name, name) == 0)
            return &l->e[i];
    return NULL;
}

static void ut_listing_free(ut_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((char *)l->e[i].name);
    free(l->e);
    memset(l, 0, sizeof(*l));
}

/* The window [offset, offset + limit) of the listing of path, copied into *out (emptied
 * first; left empty unless TA_CONFINE_IS_DIR). The status. */
static int ut_list_window(unsigned server, const char *token, const char *path, uint32_t offset,
                          uint32_t limit, ut_listing *out)
{
    char err[256] = "";
    const ta_list_entry *e;
    ta_listing *l = NULL;
    int st = ta_helper_list(UT_TIMEOUT_MS, server, ut_tighten, token, path, offset, limit, &l, err,
                            sizeof(err));

    ut_listing_free(out);
    if (st == TA_HELPER_UNAVAILABLE)
        print_message("unavailable: %s\n", err);
    if (st != TA_CONFINE_IS_DIR) {
        assert_null(l);
        return st;
    }
    assert_non_null(l);
    out->total = ta_listing_total(l);
    out->e = calloc(ta_listing_count(l) + 1, sizeof(*out->e));
    assert_non_null(out->e);
    while ((e = ta_listing_next(l)) != NULL) {
        assert_true(out->n < ta_listing_count(l));
        out->e[out->n] = *e;
        out->e[out->n].name = strdup(e->name);
        assert_non_null(out->e[out->n++].name);
    }
    assert_int_equal(out->n, ta_listing_count(l));
    ta_listing_free(l);
    return st;
}

static int ut_list(unsigned server, const char *token, const char *path, ut_listing *out)
{
    return ut_list_window(server, token, path, 0, 0, out);
}

static void ut_file_req(ta_msg *m, int type, uint32_t id, unsigned server, const char *token,
                        const char *path)
{
    memset(m, 0, sizeof(*m));
    m->type = (uint8_t)type;
    m->id = id;
    m->u.file_req.server = (uint16_t)server;
    m->u.file_req.tighten = 0;
    assert_int_equal(
        ta_proto_set_string(m->u.file_req.token, sizeof(m->u.file_req.token), token, strlen(token)),
        0);
    assert_int_equal(
        ta_proto_set_string(m->u.file_req.path, sizeof(m->u.file_req.path), path, strlen(path)), 0);
}

/* --- a valid token ------------------------------------------------------------------------- */

/* The token's user's file, opened as that user: the descriptor is the very file, read-only,
 * close-on-exec, and the answer's stat is its own. */
static void test_helper_valid_token_opens_its_users_file(void **state)
{
    ta_file_info fi;
    struct stat sb;
    char buf[16] = "", p[512];
    int fd = -7;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_open(0, ut_session(0), "/files/hello.txt", &fd, &fi), TA_CONFINE_OK);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(fstat(fd, &sb), 0);
    assert_true(S_ISREG(fi.mode) && fi.size == 5);
    assert_true(fi.ino == (uint64_t)sb.st_ino && fi.dev == (uint64_t)sb.st_dev);
    assert_true(fi.mtime_sec == (int64_t)sb.st_mtim.tv_sec &&
                fi.mtime_nsec == (uint32_t)sb.st_mtim.tv_nsec);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    assert_int_equal(stat(ut_path(p, "home/www/hello.txt"), &sb), 0);
    assert_true(fi.ino == (uint64_t)sb.st_ino); /* the file of taunit's home, www/hello.txt */
    close(fd);
}

/* Server 1 signs with HS256, under another issuer; its own tokens open its own paths. */
static void test_helper_valid_token_of_an_hs256_server(void **state)
{
    (void)state;
    UT_NEED_HELPER();
    assert_opens(1, ut_session(1), "/v/hello.txt", "hello");
}

static void test_helper_open_of_a_directory_gives_its_stat_and_no_descriptor(void **state)
{
    static const char *const dirs[] = {"/files/sub", "/files/sub/", "/files", "/files/"};
    ta_file_info fi;
    int fd;

    (void)state;
    UT_NEED_HELPER();
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        fd = -7;
        assert_int_equal(ut_open(0, ut_session(0), dirs[i], &fd, &fi), TA_CONFINE_IS_DIR);
        assert_int_equal(fd, -1);
        assert_true(S_ISDIR(fi.mode));
    }
}

static void test_helper_open_refusals_carry_no_descriptor(void **state)
{
    int before;

    (void)state;
    UT_NEED_HELPER();
    before = ut_open_fds();
    assert_open_refused(0, ut_session(0), "/files/missing.txt", TA_CONFINE_NOT_FOUND);
    assert_open_refused(0, ut_session(0), "/files/hello.txt/x", TA_CONFINE_NOT_FOUND);
    assert_open_refused(0, ut_session(0), "/files/../../etc/passwd", TA_CONFINE_BAD_PATH);
    assert_open_refused(0, ut_session(0), "/files/sub//x", TA_CONFINE_BAD_PATH);
    assert_open_refused(0, ut_session(0), "/files//etc/passwd", TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_open_fds(), before);
}

/* --- tokens the helper refuses --------------------------------------------------------------- */

/* A refusal for the token's sake: bad_token, no descriptor, and the helper's log says why. */
static void assert_bad_token(unsigned server, const char *token, const char *path, const char *why)
{
    char line[512];

    assert_open_refused(server, token, path, TA_CONFINE_BAD_TOKEN);
    snprintf(line, sizeof(line), "refused a token for %s: %s", path, why);
    if (!ut_log_has(line))
        fail_msg("the helper's log has no \"%s\"", line);
}

/* Signed with another key under the same kid (what a worker that holds no signing key would
 * have to do), or with a signature changed. */
static void test_helper_forged_token_is_bad_token(void **state)
{
    char line[160], tok[UT_TOKEN_BUF], b64[64];
    ta_keyset *forger;
    size_t n;

    (void)state;
    UT_NEED_HELPER();
    ut_eddsa_line("k0", 9, line, sizeof(line));
    forger = ut_keyset_parse(line);
    ut_token_full(forger, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 10, 3600, NULL, tok);
    assert_bad_token(0, tok, "/files/hello.txt", "bad_mac");
    ta_keyset_free(forger);

    ut_secret_b64(7, UT_SECRET_LEN, b64);
    snprintf(line, sizeof(line), "k1 HS256 %s\n", b64);
    forger = ut_keyset_parse(line);
    ut_token_full(forger, 1, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 10, 3600, NULL, tok);
    assert_bad_token(1, tok, "/v/hello.txt", "bad_mac");
    ta_keyset_free(forger);

    memcpy(tok, ut_session(0), UT_TOKEN_BUF);
    n = strlen(tok);
    tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
    assert_open_refused(0, tok, "/files/hello.txt", TA_CONFINE_BAD_TOKEN);
}

static void test_helper_expired_token_is_bad_token(void **state)
{
    char tok[UT_TOKEN_BUF];

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 3600, -1, NULL, tok);
    assert_bad_token(0, tok, "/files/sub/", "expired");
}

/* Another issuer's token, even one signed with this server's own key; and the other server's
 * token, whose key this server does not know. */
static void test_helper_token_of_another_issuer_is_bad_token(void **state)
{
    char tok[UT_TOKEN_BUF];

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, "someone-else", UT_USER, UT_UID, TA_KIND_SESSION, NULL, 10, 3600, NULL,
                  tok);
    assert_bad_token(0, tok, "/files/hello.txt", "bad_issuer");
    assert_bad_token(0, ut_session(1), "/files/sub", "unknown_kid");
    assert_bad_token(1, ut_session(0), "/v/hello.txt", "unknown_kid");
}

/* A url token opens its scope and nothing else; a share token what lies below its scope. */
static void test_helper_url_token_out_of_scope_is_bad_token(void **state)
{
    char tok[UT_TOKEN_BUF];
    ta_file_info fi;
    int fd = -7;

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_URL, "/files/hello.txt", 10, 600, NULL,
                  tok);
    assert_opens(0, tok, "/files/hello.txt", "hello");
    assert_bad_token(0, tok, "/files/group.txt", "out_of_scope");
    assert_bad_token(0, tok, "/files/hello.txt/", "out_of_scope");
    assert_bad_token(0, tok, "/files", "out_of_scope");
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SHARE, "/files/sub/", 10, 600, NULL, tok);
    assert_int_equal(ut_open(0, tok, "/files/sub/", &fd, &fi), TA_CONFINE_IS_DIR);
    assert_open_refused(0, tok, "/files/sub/none", TA_CONFINE_NOT_FOUND); /* in scope */
    assert_bad_token(0, tok, "/files/sub", "out_of_scope");
    assert_bad_token(0, tok, "/files/hello.txt", "out_of_scope");
    assert_bad_token(0, tok, "/own/sub/x", "out_of_scope");
}

/* A share token is resolved beneath its scope's directory, not merely below the subdirectory:
 * sub/up -> ../hello.txt is the session's file, but leaves a share link of sub/ (or of the one
 * file sub/up). And the hidden rule holds through links: sub/dot -> ../.hidden is refused to
 * the session too. */
static void test_helper_share_token_resolved_beneath_its_scope(void **state)
{
    char tok[UT_TOKEN_BUF], p[512];

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(symlink("../hello.txt", ut_path(p, "home/www/sub/up")), 0);
    assert_int_equal(lchown(p, UT_UID, UT_UID), 0);
    assert_int_equal(symlink("../.hidden", ut_path(p, "home/www/sub/dot")), 0);
    assert_int_equal(lchown(p, UT_UID, UT_UID), 0);
    assert_int_equal(symlink("up", ut_path(p, "home/www/sub/in")), 0);
    assert_int_equal(lchown(p, UT_UID, UT_UID), 0);
    /* links inside the subdirectory are followed with openat2; the walk refuses every link */
    if (ta_confine_have_openat2())
        assert_opens(0, ut_session(0), "/files/sub/up", "hello");
    else
        assert_open_refused(0, ut_session(0), "/files/sub/up", TA_CONFINE_FORBIDDEN);
    assert_open_refused(0, ut_session(0), "/files/sub/dot", TA_CONFINE_FORBIDDEN);
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SHARE, "/files/sub/", 10, 600, NULL, tok);
    assert_open_refused(0, tok, "/files/sub/up", TA_CONFINE_FORBIDDEN);
    assert_open_refused(0, tok, "/files/sub/in", TA_CONFINE_FORBIDDEN); /* in -> up -> out */
    assert_open_refused(0, tok, "/files/sub/dot", TA_CONFINE_FORBIDDEN);
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SHARE, "/files/sub/up", 10, 600, NULL,
                  tok);
    assert_open_refused(0, tok, "/files/sub/up", TA_CONFINE_FORBIDDEN);
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SHARE, "/files/", 10, 600, NULL, tok);
    if (ta_confine_have_openat2())
        assert_opens(0, tok, "/files/sub/up", "hello"); /* a scope of the whole subdirectory */
    unlink(ut_path(p, "home/www/sub/up"));
    unlink(ut_path(p, "home/www/sub/dot"));
    unlink(ut_path(p, "home/www/sub/in"));
}

/* The token names taunit with another uid (the account was removed and its name given to
 * someone else), or an account that does not exist. */
static void test_helper_token_of_another_uid_is_bad_token(void **state)
{
    char tok[UT_TOKEN_BUF];

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID + 1, TA_KIND_SESSION, NULL, 10, 3600, NULL, tok);
    assert_bad_token(0, tok, "/files/hello.txt", "uid_mismatch");
    ut_token_full(NULL, 0, NULL, "no-such-user-here", 4999, TA_KIND_SESSION, NULL, 10, 3600, NULL,
                  tok);
    assert_bad_token(0, tok, "/files/hello.txt", "unknown_user");
}

/* A token for root or a system account is not honoured below the server's TokenAuthMinUID
 * (1000 on server 0); and where there is none (server 1), nothing is opened as root all the
 * same: its capabilities would pass every permission check. */
static void test_helper_never_opens_as_root_or_a_system_account(void **state)
{
    struct passwd *pw = getpwnam("root"), *daemon_pw;
    char tok[UT_TOKEN_BUF];

    (void)state;
    UT_NEED_HELPER();
    assert_non_null(pw);
    ut_token_full(NULL, 0, NULL, "root", 0, TA_KIND_SESSION, NULL, 10, 3600, NULL, tok);
    assert_bad_token(0, tok, "/files/hello.txt", "system_account");
    daemon_pw = getpwnam("daemon");
    if (daemon_pw != NULL && daemon_pw->pw_uid > 0 && daemon_pw->pw_uid < 1000) {
        ut_token_full(NULL, 0, NULL, "daemon", daemon_pw->pw_uid, TA_KIND_SESSION, NULL, 10, 3600,
                      NULL, tok);
        assert_bad_token(0, tok, "/files/sub", "system_account");
    }
    /* server 1 is configured with TokenAuthMinUID 0: uid 0 is refused all the same */
    ut_token_full(NULL, 1, NULL, "root", 0, TA_KIND_SESSION, NULL, 10, 3600, NULL, tok);
    assert_bad_token(1, tok, "/v/hello.txt", "system_account");
}

/* --- what the configuration decides ---------------------------------------------------------- */

/* A path outside every TokenAuthHome location of the server is no one's file, whatever the
 * token: the worker cannot name a directory. */
static void test_helper_path_outside_every_home_location_is_forbidden(void **state)
{
    static const char *const paths[] = {
        "/static/hello.txt",
        "/filesx/hello.txt",
        "/file",
        "/files/nohome/hello.txt",
        "/files/nohome",
        "/",
        "/v/hello.txt", /* server 1's location */
        "files/hello.txt",
        "/Files/hello.txt",
    };

    (void)state;
    UT_NEED_HELPER();
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        assert_open_refused(0, ut_session(0), paths[i], TA_CONFINE_FORBIDDEN);
    assert_open_refused(1, ut_session(1), "/files/hello.txt", TA_CONFINE_FORBIDDEN);
    assert_open_refused(2, ut_session(1), "/files/hello.txt", TA_CONFINE_FORBIDDEN); /* no loc */
    assert_open_refused(3, ut_session(0), "/files/hello.txt", TA_CONFINE_FORBIDDEN); /* none */
    assert_open_refused(65534, ut_session(0), "/files/hello.txt", TA_CONFINE_FORBIDDEN);
}

/* The same file under two locations of the same home: owner-only and hidden come from the
 * section that covers the path, never from the request. The open runs as the user: root's 0600
 * file is refused, root's file readable by a supplementary group of the user's is served. */
static void test_helper_policy_comes_from_the_configuration(void **state)
{
    ut_listing l = {0};

    (void)state;
    UT_NEED_HELPER();
    assert_opens(0, ut_session(0), "/files/group.txt", "not yours");
    assert_open_refused(0, ut_session(0), "/own/group.txt", TA_CONFINE_FORBIDDEN);
    assert_open_refused(0, ut_session(0), "/files/secret.txt", TA_CONFINE_FORBIDDEN);
    assert_open_refused(0, ut_session(0), "/files/.hidden", TA_CONFINE_FORBIDDEN);
    assert_opens(0, ut_session(0), "/dots/.hidden", "dot");
    assert_opens(0, ut_session(0), "/own/hello.txt", "hello");

    assert_int_equal(ut_list(0, ut_session(0), "/dots/", &l), TA_CONFINE_IS_DIR);
    assert_non_null(ut_find(&l, ".hidden"));
    assert_non_null(ut_find(&l, "secret.txt"));
    ut_listing_free(&l);
    assert_int_equal(ut_list(0, ut_session(0), "/own/", &l), TA_CONFINE_IS_DIR);
    assert_null(ut_find(&l, ".hidden"));
    assert_null(ut_find(&l, "secret.txt")); /* root's: not listed to the owner-only */
    assert_null(ut_find(&l, "group.txt"));
    assert_non_null(ut_find(&l, "hello.txt"));
    ut_listing_free(&l);
}

/* The worker may add its own TokenAuthOwnerOnly and TokenAuthHidden deny (a <Directory> setting
 * the helper's copy cannot model) to what the helper's configuration says, and never take
 * anything away from it. */
static void test_helper_worker_may_tighten_but_never_relax_the_policy(void **state)
{
    ut_listing l = {0};

    (void)state;
    UT_NEED_HELPER();
    ut_tighten = TA_PROTO_TIGHTEN_OWNER_ONLY;
    assert_open_refused(0, ut_session(0), "/files/group.txt", TA_CONFINE_FORBIDDEN);
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello");
    assert_opens(0, ut_session(0), "/dots/.hidden", "dot");
    ut_tighten = TA_PROTO_TIGHTEN_HIDE;
    assert_open_refused(0, ut_session(0), "/dots/.hidden", TA_CONFINE_FORBIDDEN);
    assert_opens(0, ut_session(0), "/dots/group.txt", "not yours");
    assert_int_equal(ut_list(0, ut_session(0), "/dots/", &l), TA_CONFINE_IS_DIR);
    assert_null(ut_find(&l, ".hidden"));
    ut_listing_free(&l);
    ut_tighten = 0; /* and nothing the worker leaves out relaxes the helper's own */
    assert_open_refused(0, ut_session(0), "/own/group.txt", TA_CONFINE_FORBIDDEN);
    assert_open_refused(0, ut_session(0), "/files/.hidden", TA_CONFINE_FORBIDDEN);
}

/* A tighten bit this version does not know is no request at all: the codec refuses it. */
static void test_helper_refuses_unknown_tighten_bits(void **state)
{
    unsigned char buf[TA_PROTO_MAX_FRAME];
    size_t len = 0;
    ta_msg m;
    int s, fd;

    (void)state;
    UT_NEED_HELPER();
    ut_file_req(&m, TA_MSG_OPEN_REQ, 12, 0, ut_session(0), "/files/hello.txt");
    assert_int_equal(ta_proto_encode(&m, buf, sizeof(buf), &len), TA_PROTO_OK);
    buf[TA_PROTO_HEADER_LEN + 2] = 0x04; /* the tighten byte, after the server */
    s = ut_connect();
    assert_int_equal(ta_send_all(s, buf, len), 0);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.type == TA_MSG_ERROR && m.id == 12 && m.u.error.code == TA_PROTO_ERR_MALFORMED);
    assert_int_equal(fd, -1);
    close(s);
}

/* A token id revoked in the ledger the helper attached is refused from then on, by the helper
 * itself; another token of the same user is not. */
static void test_helper_revoked_jti_is_bad_token(void **state)
{
    static const char jti[] = "revoked-jti-0123456789abcdef";
    char tok[UT_TOKEN_BUF];

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 10, 3600, jti, tok);
    assert_opens(0, tok, "/files/hello.txt", "hello");
    assert_int_equal(ta_revstore_revoke_jti(ut_env.ledger, jti, ut_now() + 3600, ut_now()),
                     TA_REV_OK);
    assert_bad_token(0, tok, "/files/hello.txt", "revoked");
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello");
}

/* --- listings -------------------------------------------------------------------------------- */

static void test_helper_list_of_a_directory(void **state)
{
    ut_listing l = {0};
    const ta_list_entry *x;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_list(0, ut_session(0), "/files/", &l), TA_CONFINE_IS_DIR);
    assert_int_equal(l.n, 5); /* hello.txt, group.txt, secret.txt, sub, many; no .hidden */
    assert_int_equal(l.total, 5);
    for (size_t i = 1; i < l.n; i++)
        assert_true(strcmp(l.e[i - 1].name, l.e[i].name) < 0); /* sorted, bytewise */
    x = ut_find(&l, "hello.txt");
    assert_non_null(x);
    assert_true(!x->is_dir && x->size == 5 && x->mtime > 0);
    x = ut_find(&l, "sub");
    assert_non_null(x);
    assert_true(x->is_dir);

    assert_int_equal(ut_list(0, ut_session(0), "/files/sub/", &l), TA_CONFINE_IS_DIR);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.total, 0);
    ut_listing_free(&l);
}

/* A listing is of a directory URL, one that ends in '/': anything else is a bad path, asked
 * of no file system (a share token for the file /d must not list a directory /d). A file with a
 * slash after it, or a missing directory, is not found; a refused token or a path outside the
 * homes lists nothing. */
static void test_helper_list_of_a_file_or_nothing(void **state)
{
    ut_listing l = {0};
    char tok[UT_TOKEN_BUF];

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_list(0, ut_session(0), "/files/hello.txt", &l), TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_list(0, ut_session(0), "/files/sub", &l), TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_list(0, ut_session(0), "/files", &l), TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_list(0, ut_session(0), "/files/hello.txt/", &l), TA_CONFINE_NOT_FOUND);
    assert_int_equal(ut_list(0, ut_session(0), "/files/gone/", &l), TA_CONFINE_NOT_FOUND);
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 3600, -1, NULL, tok);
    assert_int_equal(ut_list(0, tok, "/files/", &l), TA_CONFINE_BAD_TOKEN);
    assert_int_equal(ut_list(0, ut_session(0), "/static/", &l), TA_CONFINE_FORBIDDEN);
    assert_null(l.e);
}

/* A share token for /files/sub (no slash: that one URL) opens the directory's stat but lists
 * nothing: not /files/sub (no directory URL) and not /files/sub/ (not its scope). */
static void test_helper_share_token_for_a_name_lists_nothing(void **state)
{
    ut_listing l = {0};
    char tok[UT_TOKEN_BUF];
    ta_file_info fi;
    int fd = -7;

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SHARE, "/files/sub", 10, 600, NULL, tok);
    assert_int_equal(ut_open(0, tok, "/files/sub", &fd, &fi), TA_CONFINE_IS_DIR);
    assert_int_equal(ut_list(0, tok, "/files/sub", &l), TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_list(0, tok, "/files/sub/", &l), TA_CONFINE_BAD_TOKEN);
    assert_null(l.e);
}

/* The name of entry i of the many/ directory ("%05d" and 250 'n's). */
static const char *ut_many_name(size_t i)
{
    static char name[256];

    snprintf(name, sizeof(name), "%05zu", i);
    memset(name + 5, 'n', 250);
    name[255] = '\0';
    return name;
}

/* A listing of more than one frame holds (4000 names of 255 bytes: about four frames) comes
 * whole, in order, for one request; and the kept connection it came on serves the next
 * request at once, with nothing of the listing left in it. */
static void test_helper_list_of_a_large_directory_comes_whole(void **state)
{
    ut_listing l = {0};

    (void)state;
    UT_NEED_HELPER();
    assert_true(UT_MANY > TA_PROTO_MAX_LIST_BODY / (19 + 255));
    assert_int_equal(ut_list(0, ut_session(0), "/files/many/", &l), TA_CONFINE_IS_DIR);
    assert_int_equal(l.n, UT_MANY);
    assert_int_equal(l.total, UT_MANY);
    for (size_t i = 0; i < l.n; i++)
        assert_string_equal(l.e[i].name, ut_many_name(i));
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello");
    assert_int_equal(ut_list(0, ut_session(0), "/files/many/", &l), TA_CONFINE_IS_DIR);
    assert_int_equal(l.n, UT_MANY);
    ut_listing_free(&l);
}

/* A window of the sorted listing: its entries exactly, across frame boundaries, the total of
 * the whole listing with it; past the end, nothing but the total. */
static void test_helper_list_window_is_exactly_its_entries(void **state)
{
    static const uint32_t windows[][2] = {
        {0, 1},    {1, 2},    {3000, 1000}, {3990, 100},           {3999, 1}, {1, 3998},
        {4000, 1}, {4000, 0}, {12345, 7},   {UINT32_MAX, 1000000}, {2500, 0}};
    ut_listing l = {0};

    (void)state;
    UT_NEED_HELPER();
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
        uint32_t off = windows[w][0], lim = windows[w][1];
        size_t want = off >= UT_MANY ? 0 : UT_MANY - off;

        if (lim != 0 && lim < want)
            want = lim;
        assert_int_equal(ut_list_window(0, ut_session(0), "/files/many/", off, lim, &l),
                         TA_CONFINE_IS_DIR);
        assert_int_equal(l.total, UT_MANY);
        assert_int_equal(l.n, want);
        for (size_t i = 0; i < l.n; i++)
            assert_string_equal(l.e[i].name, ut_many_name(off + i));
    }
    /* group.txt, hello.txt, many, secret.txt, sub */
    assert_int_equal(ut_list_window(0, ut_session(0), "/files/", 1, 2, &l), TA_CONFINE_IS_DIR);
    assert_true(l.n == 2 && l.total == 5);
    assert_string_equal(l.e[0].name, "hello.txt");
    assert_string_equal(l.e[1].name, "many");
    ut_listing_free(&l);
}

/* A window the protocol does not have (a limit over 1000000) is no request: the codec refuses
 * it, whatever a worker writes, and the connection ends; the client does not send one. */
static void test_helper_refuses_a_garbage_window(void **state)
{
    unsigned char buf[TA_PROTO_MAX_FRAME];
    ut_listing l = {0};
    size_t len = 0;
    ta_msg m;
    int s, fd;

    (void)state;
    UT_NEED_HELPER();
    ut_file_req(&m, TA_MSG_LIST_REQ, 21, 0, ut_session(0), "/files/");
    m.u.file_req.limit = 7;
    assert_int_equal(ta_proto_encode(&m, buf, sizeof(buf), &len), TA_PROTO_OK);
    memset(buf + TA_PROTO_HEADER_LEN + 7, 0xff, 4); /* limit 4294967295, after server u16,
                                                     * tighten u8 and offset u32 */
    s = ut_connect();
    assert_int_equal(ta_send_all(s, buf, len), 0);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.type == TA_MSG_ERROR && m.id == 21 && m.u.error.code == TA_PROTO_ERR_MALFORMED);
    assert_int_equal(fd, -1);
    assert_true(ut_closed_by_helper(s));
    close(s);
    assert_int_equal(
        ut_list_window(0, ut_session(0), "/files/", 0, TA_PROTO_LIST_TOTAL_MAX + 1, &l),
        TA_CONFINE_BAD_PATH);
    assert_int_equal(ut_list_window(0, ut_session(0), "/files/", UINT32_MAX, 1000000, &l),
                     TA_CONFINE_IS_DIR);
    assert_true(l.n == 0 && l.total == 5);
    ut_listing_free(&l);
}

/* The frames of one answer on a raw connection: all with its id, more 1 on every one but the
 * last, the same total; a request sent after them gets its own answer. */
static void test_helper_list_frames_on_the_wire(void **state)
{
    unsigned char buf[TA_PROTO_MAX_FRAME];
    size_t len = 0, frames = 0, entries = 0;
    ta_msg m;
    int s, fd;

    (void)state;
    UT_NEED_HELPER();
    s = ut_connect();
    ut_file_req(&m, TA_MSG_LIST_REQ, 31, 0, ut_session(0), "/files/many/");
    ut_send_msg(s, &m);
    do {
        assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
        assert_true(m.type == TA_MSG_LIST_RESP && m.id == 31 && fd == -1);
        assert_true(m.u.list_resp.status == TA_CONFINE_IS_DIR && m.u.list_resp.total == UT_MANY);
        frames++;
        entries += m.u.list_resp.count;
    } while (m.u.list_resp.more);
    assert_int_equal(entries, UT_MANY);
    /* each frame as full as 1 MiB allows: 3826 entries of 274 bytes */
    assert_int_equal(frames, (UT_MANY + 3825) / 3826);
    ut_file_req(&m, TA_MSG_OPEN_REQ, 32, 0, ut_session(0), "/files/hello.txt");
    assert_int_equal(ta_proto_encode(&m, buf, sizeof(buf), &len), TA_PROTO_OK);
    assert_int_equal(ta_send_all(s, buf, len), 0);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.type == TA_MSG_OPEN_RESP && m.id == 32 && m.u.open_resp.status == TA_CONFINE_OK);
    close(fd);
    close(s);
}

/* --- the connection ------------------------------------------------------------------------ */

/* Three requests sent at once get three answers in order, each descriptor with its own answer. */
static void test_helper_pipelined_requests_get_their_own_answers(void **state)
{
    unsigned char buf[3 * TA_PROTO_MAX_FRAME];
    size_t at = 0, len;
    ta_msg m;
    int s, fd;

    (void)state;
    UT_NEED_HELPER();
    ut_file_req(&m, TA_MSG_OPEN_REQ, 1, 0, ut_session(0), "/files/hello.txt");
    assert_int_equal(ta_proto_encode(&m, buf, sizeof(buf), &len), TA_PROTO_OK);
    at += len;
    ut_file_req(&m, TA_MSG_OPEN_REQ, 2, 0, ut_session(0), "/files/sub");
    assert_int_equal(ta_proto_encode(&m, buf + at, sizeof(buf) - at, &len), TA_PROTO_OK);
    at += len;
    ut_file_req(&m, TA_MSG_LIST_REQ, 3, 0, ut_session(0), "/files/");
    assert_int_equal(ta_proto_encode(&m, buf + at, sizeof(buf) - at, &len), TA_PROTO_OK);
    at += len;
    s = ut_connect();
    assert_int_equal(ta_send_all(s, buf, at), 0);

    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.id == 1 && m.type == TA_MSG_OPEN_RESP && m.u.open_resp.status == TA_CONFINE_OK);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.id == 2 && m.type == TA_MSG_OPEN_RESP);
    assert_int_equal(m.u.open_resp.status, TA_CONFINE_IS_DIR);
    assert_int_equal(fd, -1);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.id == 3 && m.type == TA_MSG_LIST_RESP);
    assert_int_equal(m.u.list_resp.status, TA_CONFINE_IS_DIR);
    assert_int_equal(m.u.list_resp.count, 5);
    assert_int_equal(m.u.list_resp.total, 5);
    assert_int_equal(m.u.list_resp.more, 0);
    assert_int_equal(fd, -1);
    close(s);
}

/* A process of another uid that holds the hub (not Apache's User) is refused at accept, for
 * every request type alike: its connection is closed unanswered. */
static void test_helper_refuses_a_peer_of_another_uid(void **state)
{
    int st = 0;
    pid_t pid;

    (void)state;
    UT_NEED_HELPER();
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int s;

        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
            _exit(2);
        s = ta_hub_connect(ut_env.hub, UT_TIMEOUT_MS);
        _exit(s < 0 && errno == ECONNREFUSED ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(ut_log_has("refused a connection (not Apache's user"));
}

/* How many lines of the helper's log hold text. */
static int ut_log_count(const char *text)
{
    FILE *f = fopen(ut_env.log, "r");
    char line[2048];
    int n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        n += strstr(line, text) != NULL;
    fclose(f);
    return n;
}

/* One message with fd on the hub, as a worker would send a connection. */
static void ut_hub_send_fd(int fd)
{
    assert_int_equal(ta_send_frame_fd(ut_env.hub, (const unsigned char *)"C", 1, fd), 0);
}

/* What comes over the hub must be one end of a Unix stream socket pair: a file or a datagram
 * socket is refused (and logged), and the helper goes on. */
static void test_helper_refuses_what_is_not_a_stream_connection(void **state)
{
    int dg[2], file = open("/dev/null", O_RDONLY | O_CLOEXEC);

    (void)state;
    UT_NEED_HELPER();
    assert_true(file >= 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg), 0);
    usleep(1100 * 1000); /* out of the second of the last refusal logged */
    ut_hub_send_fd(file);
    ut_hub_send_fd(dg[1]);
    close(file);
    close(dg[1]);
    ta_helper_forget_connection();
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello"); /* taken after those two */
    assert_true(ut_log_has("refused a connection (not a connected Unix stream socket"));
    /* the helper closed its copy of the datagram socket: nobody is at the other end */
    assert_int_equal(send(dg[0], "TA", 2, MSG_DONTWAIT | MSG_NOSIGNAL), -1);
    close(dg[0]);
}

/* A flood of refused connections is not a flood of log lines: one warning a second at most. */
static void test_helper_refusal_warnings_are_rate_limited(void **state)
{
    const char *text = "refused a connection (not Apache's user";
    time_t t0, t1;
    int before, st = 0;
    pid_t pid;

    (void)state;
    UT_NEED_HELPER();
    usleep(1100 * 1000); /* out of the second of the last refusal logged */
    before = ut_log_count(text);
    t0 = time(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int refused = 0;

        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
            _exit(2);
        for (int i = 0; i < 50; i++)
            refused += ta_hub_connect(ut_env.hub, UT_TIMEOUT_MS) < 0 && errno == ECONNREFUSED;
        _exit(refused == 50 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    t1 = time(NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(ut_log_count(text) - before >= 1);
    assert_true(ut_log_count(text) - before <= (int)(t1 - t0) + 1);
}

/* One process holds at most per_peer connections: the next one is closed at once; when one of
 * them ends, a new one is taken again. */
static void test_helper_closes_connections_beyond_the_per_peer_cap(void **state)
{
    int st = 0;
    pid_t pid;

    (void)state;
    UT_NEED_HELPER();
    usleep(1100 * 1000); /* refusals are logged once a second: let the last one's second pass */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int s[UT_PER_PEER + 1], extra, again = -1;

        for (int i = 0; i < UT_PER_PEER; i++)
            if ((s[i] = ta_hub_connect(ut_env.hub, UT_TIMEOUT_MS)) < 0)
                _exit(1);
        extra = ta_hub_connect(ut_env.hub, UT_TIMEOUT_MS);
        if (extra >= 0 || errno != ECONNREFUSED)
            _exit(2);
        close(s[0]);
        for (int i = 0; i < 50 && again < 0; i++) { /* the helper sees the close soon */
            usleep(20000);
            again = ta_hub_connect(ut_env.hub, UT_TIMEOUT_MS);
        }
        _exit(again >= 0 ? 0 : 3);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(ut_log_has("refused a connection (too many connections from one process"));
    /* this process's own connections were never counted with the child's */
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello");
}

/* A message that only the helper and its PAM process exchange, or an answer, is no request: a
 * worker that sends one gets ERROR forbidden with its id, and its connection ends. */
static void test_helper_answers_a_pam_req_from_a_client_with_forbidden(void **state)
{
    ta_msg m;
    int s, fd;

    (void)state;
    UT_NEED_HELPER();
    memset(&m, 0, sizeof(m));
    m.type = TA_MSG_PAM_REQ;
    m.id = 77;
    strcpy(m.u.pam_req.service, "tokenauth");
    strcpy(m.u.pam_req.user, UT_USER);
    strcpy(m.u.pam_req.password, "guess");
    s = ut_connect();
    ut_send_msg(s, &m);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_int_equal(m.type, TA_MSG_ERROR);
    assert_int_equal(m.id, 77);
    assert_int_equal(m.u.error.code, TA_PROTO_ERR_FORBIDDEN);
    assert_int_equal(fd, -1);
    assert_true(ut_closed_by_helper(s));
    close(s);
    assert_true(ut_log_has("refused pam_req from pid")); /* one such line a second: the first */

    memset(&m, 0, sizeof(m));
    m.type = TA_MSG_PAM_RESP;
    m.id = 78;
    s = ut_connect();
    ut_send_msg(s, &m);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.type == TA_MSG_ERROR && m.id == 78 && m.u.error.code == TA_PROTO_ERR_FORBIDDEN);
    close(s);
}

/* What a worker sends that is not a sound v2 request is answered with its error and ends the
 * connection: a version 1 frame, a header claiming a listing's length, a body with a byte more
 * than its fields. */
static void test_helper_refuses_frames_that_are_no_v2_request(void **state)
{
    static const unsigned char v1[] = {'T', 'A', 1,   3, 0, 0,   0,   9,   0,  0,
                                       0,   17,  3,   0, 3, 'b', 'o', 'b', 0,  3,
                                       'w', 'w', 'w', 0, 4, '.', 's', 's', 'h'};
    static const unsigned char big[] = {'T', 'A', 2, TA_MSG_LIST_RESP, 0, 0, 0, 10, 0, 0x10, 0, 0};
    unsigned char buf[TA_PROTO_MAX_FRAME];
    uint32_t body;
    size_t len;
    ta_msg m;
    int s, fd;

    (void)state;
    UT_NEED_HELPER();
    s = ut_connect();
    assert_int_equal(ta_send_all(s, v1, sizeof(v1)), 0);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.type == TA_MSG_ERROR && m.id == 9 && m.u.error.code == TA_PROTO_ERR_BAD_VERSION);
    assert_true(ut_closed_by_helper(s));
    close(s);

    s = ut_connect();
    assert_int_equal(ta_send_all(s, big, sizeof(big)), 0);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.type == TA_MSG_ERROR && m.id == 10 && m.u.error.code == TA_PROTO_ERR_TOO_LARGE);
    assert_true(ut_closed_by_helper(s));
    close(s);

    ut_file_req(&m, TA_MSG_OPEN_REQ, 11, 0, ut_session(0), "/files/hello.txt");
    assert_int_equal(ta_proto_encode(&m, buf, sizeof(buf) - 1, &len), TA_PROTO_OK);
    buf[len] = 0; /* one byte more, as the body length now says */
    body = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
    body++;
    buf[8] = (unsigned char)(body >> 24);
    buf[9] = (unsigned char)(body >> 16);
    buf[10] = (unsigned char)(body >> 8);
    buf[11] = (unsigned char)body;
    s = ut_connect();
    assert_int_equal(ta_send_all(s, buf, len + 1), 0);
    assert_int_equal(ut_recv_msg(s, &m, &fd), 0);
    assert_true(m.type == TA_MSG_ERROR && m.id == 11 && m.u.error.code == TA_PROTO_ERR_MALFORMED);
    assert_int_equal(fd, -1);
    assert_true(ut_closed_by_helper(s));
    close(s);
}

/* Without a PAM process a login is unavailable (503), not a crash and not a refusal. */
static void test_helper_auth_without_a_pam_process_is_unavailable(void **state)
{
    char err[256] = "";
    ta_auth_answer a;

    (void)state;
    UT_NEED_HELPER();
    ta_helper_auth(UT_TIMEOUT_MS, 0, "/login", UT_USER, strlen(UT_USER), "pw", 2, "::1", &a, err,
                   sizeof(err));
    assert_int_equal(a.result, TA_AUTH_UNAVAILABLE);
    assert_int_equal(a.token[0], '\0');
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello"); /* and files go on */
}

/* Many opens leave no descriptor behind here; and how long one takes, for the record. */
static void test_helper_open_round_trip_leaks_nothing(void **state)
{
    struct timespec t0, t1;
    const char *tok;
    ta_file_info fi;
    int fd, before, rounds = 200;
    double us;

    (void)state;
    UT_NEED_HELPER();
    tok = ut_session(0);
    assert_opens(0, tok, "/files/hello.txt", "hello"); /* the kept connection is made */
    before = ut_open_fds();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < rounds; i++) {
        assert_int_equal(ut_open(0, tok, "/files/hello.txt", &fd, &fi), TA_CONFINE_OK);
        close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
    print_message("ta_helper_open: %.1f us per round trip (%d rounds)\n", us / rounds, rounds);
    assert_int_equal(ut_open_fds(), before);
}

/* Logging out everywhere: every token of the user issued at or before the cutoff is refused,
 * a later one is not. (Late in the file: the cutoff stays for the rest of it.) */
static void test_helper_user_cutoff_revokes_older_tokens(void **state)
{
    char old[UT_TOKEN_BUF];

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 300, 3600, NULL, old);
    assert_opens(0, old, "/files/hello.txt", "hello");
    assert_int_equal(
        ta_revstore_cut_user(ut_env.ledger, UT_USER, ut_now() - 100, ut_now() + 7200, ut_now()),
        TA_REV_OK);
    assert_bad_token(0, old, "/files/hello.txt", "revoked");
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello");
}

/* Whoever holds the hub (any Apache child) can send it an empty message; that must not end the
 * helper, which reads a zero-length read as "every sender is gone". (Last in the file: when it
 * fails, the helper is gone.) */
static void test_helper_survives_an_empty_message_on_the_hub(void **state)
{
    (void)state;
    UT_NEED_HELPER();
    ta_helper_forget_connection();
    assert_int_equal(send(ut_env.hub, "", 0, MSG_NOSIGNAL), 0);
    usleep(1500 * 1000); /* more than the helper's accept poll */
    assert_opens(0, ut_session(0), "/files/hello.txt", "hello");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helper_valid_token_opens_its_users_file),
        cmocka_unit_test(test_helper_valid_token_of_an_hs256_server),
        cmocka_unit_test(test_helper_open_of_a_directory_gives_its_stat_and_no_descriptor),
        cmocka_unit_test(test_helper_open_refusals_carry_no_descriptor),
        cmocka_unit_test(test_helper_forged_token_is_bad_token),
        cmocka_unit_test(test_helper_expired_token_is_bad_token),
        cmocka_unit_test(test_helper_token_of_another_issuer_is_bad_token),
        cmocka_unit_test(test_helper_url_token_out_of_scope_is_bad_token),
        cmocka_unit_test(test_helper_token_of_another_uid_is_bad_token),
        cmocka_unit_test(test_helper_never_opens_as_root_or_a_system_account),
        cmocka_unit_test(test_helper_path_outside_every_home_location_is_forbidden),
        cmocka_unit_test(test_helper_policy_comes_from_the_configuration),
        cmocka_unit_test(test_helper_worker_may_tighten_but_never_relax_the_policy),
        cmocka_unit_test(test_helper_refuses_unknown_tighten_bits),
        cmocka_unit_test(test_helper_revoked_jti_is_bad_token),
        cmocka_unit_test(test_helper_list_of_a_directory),
        cmocka_unit_test(test_helper_list_of_a_file_or_nothing),
        cmocka_unit_test(test_helper_share_token_for_a_name_lists_nothing),
        cmocka_unit_test(test_helper_share_token_resolved_beneath_its_scope),
        cmocka_unit_test(test_helper_list_of_a_large_directory_comes_whole),
        cmocka_unit_test(test_helper_list_window_is_exactly_its_entries),
        cmocka_unit_test(test_helper_refuses_a_garbage_window),
        cmocka_unit_test(test_helper_list_frames_on_the_wire),
        cmocka_unit_test(test_helper_pipelined_requests_get_their_own_answers),
        cmocka_unit_test(test_helper_refuses_a_peer_of_another_uid),
        cmocka_unit_test(test_helper_refuses_what_is_not_a_stream_connection),
        cmocka_unit_test(test_helper_refusal_warnings_are_rate_limited),
        cmocka_unit_test(test_helper_closes_connections_beyond_the_per_peer_cap),
        cmocka_unit_test(test_helper_answers_a_pam_req_from_a_client_with_forbidden),
        cmocka_unit_test(test_helper_refuses_frames_that_are_no_v2_request),
        cmocka_unit_test(test_helper_auth_without_a_pam_process_is_unavailable),
        cmocka_unit_test(test_helper_open_round_trip_leaks_nothing),
        cmocka_unit_test(test_helper_user_cutoff_revokes_older_tokens),
        cmocka_unit_test(test_helper_survives_an_empty_message_on_the_hub),
    };

    return cmocka_run_group_tests_name("helper_files", tests, ut_setup, ut_teardown);
}
