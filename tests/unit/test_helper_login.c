/* Logins and mints through the real helper, end to end (see ut_helper.h): the helper signs a
 * session token only for an account its PAM process has just accepted, and a url or share token
 * only against a session token it verifies itself, with scope and lifetime held to the limits
 * of the location the scope lies in; it counts failed logins per server and name with the
 * TokenAuthLoginThrottle numbers.
 *
 * PAM runs for real, in the helper's PAM process, with two services of the test's own bound over
 * /etc/pam.d in the helper's namespace: server 0 uses one that accepts every password
 * (pam_permit), servers 1 and 2 one that refuses every password (pam_deny). */
#include "ut_helper.h"

static const char *const ut_pam_files[] = {
    "ta-unit-permit",
    "auth required pam_permit.so\naccount required pam_permit.so\n",
    "ta-unit-deny",
    "auth required pam_deny.so\naccount required pam_permit.so\n",
    NULL,
};

static const char *const ut_locs = "loc 0 /login - - - 600 - -\n"
                                   "loc 0 /files :www - - - - -\n"
                                   "loc 0 /files/short - - - - 60 120\n"
                                   "loc 1 /v :www - - - - -\n";

static int ut_setup(void **state)
{
    ut_helper_spec s = {"login", ut_locs, {"ta-unit-permit", "ta-unit-deny"}, ut_pam_files, 64,
                        16,      0};

    (void)state;
    return ut_helper_start(&s);
}

static int ut_teardown(void **state)
{
    (void)state;
    return ut_helper_stop();
}

static void ut_auth(unsigned server, const char *path, const char *user, const char *password,
                    ta_auth_answer *a)
{
    char err[256] = "";

    ta_helper_auth(UT_TIMEOUT_MS, server, path, user, strlen(user), password, strlen(password),
                   "192.0.2.7", a, err, sizeof(err));
    if (a->result == TA_AUTH_UNAVAILABLE && err[0])
        print_message("auth unavailable: %s\n", err);
}

static void assert_auth(unsigned server, const char *user, const char *password, int want)
{
    ta_auth_answer a;

    ut_auth(server, "/login", user, password, &a);
    if (a.result != want)
        fail_msg("login of %s on server %u: %s, expected %s", user, server,
                 ta_auth_result_name(a.result), ta_auth_result_name(want));
    if (want != TA_AUTH_OK)
        assert_int_equal(a.token[0], '\0');
    OPENSSL_cleanse(a.token, sizeof(a.token));
}

/* Verify token as the helper's server would, into *c. */
static void ut_verify(unsigned server, const char *token, ta_claims *c)
{
    assert_token_status(ta_token_verify(ut_env.keys[server], server ? UT_ISS1 : UT_ISS0, token,
                                        strlen(token), ut_now(), c),
                        TA_TOKEN_OK);
}

static void assert_opens(unsigned server, const char *token, const char *path)
{
    char err[256] = "";
    ta_file_info fi;
    int fd = -1;

    assert_int_equal(
        ta_helper_open(UT_TIMEOUT_MS, server, 0, token, path, &fd, &fi, err, sizeof(err)),
        TA_CONFINE_OK);
    close(fd);
}

static void assert_open_bad_token(unsigned server, const char *token, const char *path)
{
    char err[256] = "";
    ta_file_info fi;
    int fd = -1;

    assert_int_equal(
        ta_helper_open(UT_TIMEOUT_MS, server, 0, token, path, &fd, &fi, err, sizeof(err)),
        TA_CONFINE_BAD_TOKEN);
    assert_int_equal(fd, -1);
}

/* --- logins -------------------------------------------------------------------------------- */

/* PAM accepted the account: a session token for it, with its uid from the user database and the
 * lifetime of the login location, that the helper itself then honours. */
static void test_login_signs_a_session_token_for_the_account_pam_accepted(void **state)
{
    ta_auth_answer a;
    ta_claims c;

    (void)state;
    UT_NEED_HELPER();
    ut_auth(0, "/login", UT_USER, "any password", &a);
    assert_int_equal(a.result, TA_AUTH_OK);
    assert_int_equal(a.uid, UT_UID);
    assert_int_equal(a.retry_after, 0);
    ut_verify(0, a.token, &c);
    assert_string_equal(c.sub, UT_USER);
    assert_int_equal(c.uid, UT_UID);
    assert_int_equal(c.kind, TA_KIND_SESSION);
    assert_string_equal(c.scope, "");
    assert_int_equal(c.exp - c.iat, 600); /* /login's TokenAuthSessionLifetime */
    assert_true(a.expires_at == c.exp);
    assert_true(c.iat >= ut_now() - 5 && c.iat <= ut_now());
    assert_opens(0, a.token, "/files/hello.txt");
    OPENSSL_cleanse(a.token, sizeof(a.token));
}

/* The lifetime comes from the helper's merge for the login path, not from anything the worker
 * says: elsewhere, the server's default. */
static void test_login_session_lifetime_comes_from_the_login_location(void **state)
{
    ta_auth_answer a;
    ta_claims c;

    (void)state;
    UT_NEED_HELPER();
    ut_auth(0, "/elsewhere/login", UT_USER, "pw", &a);
    assert_int_equal(a.result, TA_AUTH_OK);
    ut_verify(0, a.token, &c);
    assert_int_equal(c.exp - c.iat, 28800);
    OPENSSL_cleanse(a.token, sizeof(a.token));
}

/* PAM refused the password: bad_credentials, counted; at the limit (2 on server 1) the name is
 * locked, and the next attempt is throttled before PAM is asked, with the time to wait. */
static void test_login_failures_are_counted_and_throttled(void **state)
{
    ta_auth_answer a;

    (void)state;
    UT_NEED_HELPER();
    assert_auth(1, UT_USER, "wrong", TA_AUTH_BAD_CREDENTIALS);
    assert_auth(1, UT_USER, "wrong", TA_AUTH_BAD_CREDENTIALS);
    ut_auth(1, "/login", UT_USER, "wrong", &a);
    assert_int_equal(a.result, TA_AUTH_THROTTLED);
    assert_true(a.retry_after >= 590 && a.retry_after <= 600); /* server 1's lockout */
    assert_int_equal(a.uid, 0);
    assert_int_equal(a.expires_at, 0);
    assert_int_equal(a.token[0], '\0');
    assert_true(ut_log_has("login of taunit throttled"));
}

/* The count is per PAM service and per name: taunit locked on server 1 logs in on server 0 (its
 * own service), is locked on server 2 (server 1's service) too, and another name on server 1 is
 * refused by PAM, not throttled. */
static void test_login_throttle_is_per_pam_service_and_name(void **state)
{
    (void)state;
    UT_NEED_HELPER();
    assert_auth(1, UT_USER, "wrong", TA_AUTH_THROTTLED);
    assert_auth(2, UT_USER, "wrong", TA_AUTH_THROTTLED);
    assert_auth(0, UT_USER, "pw", TA_AUTH_OK);
    assert_auth(1, "someone-else", "wrong", TA_AUTH_BAD_CREDENTIALS);
}

/* A worker names the virtual host, so it must not pick the most lenient one: servers that share
 * a PAM service count together, under the strictest numbers among them (server 2 allows 10
 * failures in 60 s and locks for 60 s; server 1, on the same service, 2 and 600 s). */
static void test_login_servers_sharing_a_service_count_under_the_strictest_numbers(void **state)
{
    ta_auth_answer a;

    (void)state;
    UT_NEED_HELPER();
    assert_auth(2, "sharer", "wrong", TA_AUTH_BAD_CREDENTIALS);
    assert_auth(2, "sharer", "wrong", TA_AUTH_BAD_CREDENTIALS);
    ut_auth(2, "/login", "sharer", "wrong", &a);
    assert_int_equal(a.result, TA_AUTH_THROTTLED);
    assert_true(a.retry_after > 60);
    assert_auth(1, "sharer", "wrong", TA_AUTH_THROTTLED);
}

/* A login that succeeds starts the count afresh (limit 3 on server 0): two failures, a success,
 * two failures more are still refused by PAM and not throttled. An empty password is a failure
 * decided before PAM. */
static void test_login_success_clears_the_failure_count(void **state)
{
    (void)state;
    UT_NEED_HELPER();
    assert_auth(0, UT_USER, "", TA_AUTH_BAD_CREDENTIALS);
    assert_auth(0, UT_USER, "", TA_AUTH_BAD_CREDENTIALS);
    assert_auth(0, UT_USER, "pw", TA_AUTH_OK);
    assert_auth(0, UT_USER, "", TA_AUTH_BAD_CREDENTIALS);
    assert_auth(0, UT_USER, "", TA_AUTH_BAD_CREDENTIALS);
    assert_auth(0, UT_USER, "pw", TA_AUTH_OK);
}

/* Root and system accounts have no web login, whatever PAM says (server 0's TokenAuthMinUID is
 * 1000): refused as an account, with the delay of a wrong password, and no token. */
static void test_login_of_root_is_refused_below_the_minimum_uid(void **state)
{
    ta_auth_answer a;

    (void)state;
    UT_NEED_HELPER();
    ut_auth(0, "/login", "root", "the right one", &a);
    assert_int_equal(a.result, TA_AUTH_ACCOUNT_REFUSED);
    assert_int_equal(a.token[0], '\0');
    assert_int_equal(a.uid, 0);
    assert_true(ut_log_has("login of root refused: uid 0 is below the minimum 1000"));
}

/* PAM accepted a name the user database does not know: no token (there is no uid to put in
 * it). */
static void test_login_of_a_name_the_system_does_not_know_gets_no_token(void **state)
{
    ta_auth_answer a;

    (void)state;
    UT_NEED_HELPER();
    ut_auth(0, "/login", "ghost-user-here", "pw", &a);
    assert_int_not_equal(a.result, TA_AUTH_OK);
    assert_int_equal(a.token[0], '\0');
    assert_int_equal(a.uid, 0);
}

static void test_login_on_an_unknown_server_is_unavailable(void **state)
{
    (void)state;
    UT_NEED_HELPER();
    assert_auth(3, UT_USER, "pw", TA_AUTH_UNAVAILABLE);
    assert_auth(65534, UT_USER, "pw", TA_AUTH_UNAVAILABLE);
}

/* --- mints --------------------------------------------------------------------------------- */

static int ut_mint(unsigned server, int kind, long long ttl, const char *session, const char *scope,
                   char *tok, long long *exp)
{
    char err[256] = "";
    int st = ta_helper_mint(UT_TIMEOUT_MS, server, kind, ttl, session, scope, tok, UT_TOKEN_BUF,
                            exp, err, sizeof(err));

    if (st == TA_HELPER_UNAVAILABLE)
        print_message("mint unavailable: %s\n", err);
    return st;
}

static void assert_mint_refused(unsigned server, int kind, long long ttl, const char *session,
                                const char *scope, int want)
{
    char tok[UT_TOKEN_BUF] = "x";
    long long exp = 9;
    int st = ut_mint(server, kind, ttl, session, scope, tok, &exp);

    if (st != want)
        fail_msg("mint of %s: %s, expected %s", scope,
                 st == TA_HELPER_UNAVAILABLE ? "unavailable" : ta_mint_result_name(st),
                 ta_mint_result_name(want));
    assert_int_equal(tok[0], '\0');
    assert_int_equal(exp, 0);
}

/* A url token for the session's user and the asked scope, with the default lifetime of the
 * location the scope lies in; it opens its scope and nothing else. */
static void test_mint_url_token_from_a_session_token(void **state)
{
    char tok[UT_TOKEN_BUF];
    long long exp = 0;
    ta_claims c;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_mint(0, TA_KIND_URL, 0, ut_session(0), "/files/hello.txt", tok, &exp),
                     TA_MINT_OK);
    ut_verify(0, tok, &c);
    assert_int_equal(c.kind, TA_KIND_URL);
    assert_string_equal(c.scope, "/files/hello.txt");
    assert_string_equal(c.sub, UT_USER);
    assert_int_equal(c.uid, UT_UID);
    assert_int_equal(c.exp - c.iat, 3600);
    assert_true(exp == c.exp);
    assert_opens(0, tok, "/files/hello.txt");
    assert_open_bad_token(0, tok, "/files/sub");
}

static void test_mint_share_token_from_a_session_token(void **state)
{
    char tok[UT_TOKEN_BUF];
    long long exp = 0;
    ta_claims c;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_mint(1, TA_KIND_SHARE, 30, ut_session(1), "/v/sub/", tok, &exp),
                     TA_MINT_OK);
    ut_verify(1, tok, &c);
    assert_int_equal(c.kind, TA_KIND_SHARE);
    assert_string_equal(c.scope, "/v/sub/");
    assert_int_equal(c.exp - c.iat, 30);
}

/* The lifetime asked for is held to the maximum of the location the scope lies in; 0 asks for
 * that location's default. */
static void test_mint_lifetime_is_held_to_the_scope_location(void **state)
{
    char tok[UT_TOKEN_BUF];
    long long exp = 0;
    ta_claims c;

    (void)state;
    UT_NEED_HELPER();
    assert_int_equal(ut_mint(0, TA_KIND_URL, 0, ut_session(0), "/files/short/a", tok, &exp),
                     TA_MINT_OK);
    ut_verify(0, tok, &c);
    assert_int_equal(c.exp - c.iat, 60);
    assert_int_equal(ut_mint(0, TA_KIND_URL, 120, ut_session(0), "/files/short/a", tok, &exp),
                     TA_MINT_OK);
    assert_mint_refused(0, TA_KIND_URL, 121, ut_session(0), "/files/short/a", TA_MINT_BAD_REQUEST);
    assert_int_equal(ut_mint(0, TA_KIND_URL, 86400, ut_session(0), "/files/a", tok, &exp),
                     TA_MINT_OK);
    assert_mint_refused(0, TA_KIND_URL, 86401, ut_session(0), "/files/a", TA_MINT_BAD_REQUEST);
}

/* Only a session token the helper verifies may mint: not a url or share token, not an expired,
 * forged, revoked or other server's token. */
static void test_mint_refuses_what_is_not_a_valid_session_token(void **state)
{
    static const char jti[] = "mint-revoked-0123456789abcdef";
    char tok[UT_TOKEN_BUF], line[160];
    ta_keyset *forger;

    (void)state;
    UT_NEED_HELPER();
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SHARE, "/files/", 10, 600, NULL, tok);
    assert_mint_refused(0, TA_KIND_URL, 0, tok, "/files/a", TA_MINT_REFUSED);
    assert_true(ut_log_has("refused to mint for a token: not a session token"));
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 3600, -1, NULL, tok);
    assert_mint_refused(0, TA_KIND_URL, 0, tok, "/files/a", TA_MINT_REFUSED);
    ut_eddsa_line("k0", 9, line, sizeof(line));
    forger = ut_keyset_parse(line);
    ut_token_full(forger, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 10, 600, NULL, tok);
    ta_keyset_free(forger);
    assert_mint_refused(0, TA_KIND_URL, 0, tok, "/files/a", TA_MINT_REFUSED);
    assert_mint_refused(0, TA_KIND_URL, 0, ut_session(1), "/files/a", TA_MINT_REFUSED);
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID + 1, TA_KIND_SESSION, NULL, 10, 600, NULL, tok);
    assert_mint_refused(0, TA_KIND_URL, 0, tok, "/files/a", TA_MINT_REFUSED);
    ut_token_full(NULL, 0, NULL, UT_USER, UT_UID, TA_KIND_SESSION, NULL, 10, 600, jti, tok);
    assert_int_equal(ta_revstore_revoke_jti(ut_env.ledger, jti, ut_now() + 600, ut_now()),
                     TA_REV_OK);
    assert_mint_refused(0, TA_KIND_URL, 0, tok, "/files/a", TA_MINT_REFUSED);
}

/* A scope that is no clean absolute path, or a kind that is not url or share. */
static void test_mint_refuses_a_bad_scope_or_kind(void **state)
{
    (void)state;
    UT_NEED_HELPER();
    assert_mint_refused(0, TA_KIND_URL, 0, ut_session(0), "files/a", TA_MINT_BAD_REQUEST);
    assert_mint_refused(0, TA_KIND_URL, 0, ut_session(0), "/files/../etc", TA_MINT_BAD_REQUEST);
    assert_mint_refused(0, TA_KIND_URL, 0, ut_session(0), "/files/a?b", TA_MINT_BAD_REQUEST);
    assert_mint_refused(0, TA_KIND_URL, 0, ut_session(0), "/files//a", TA_MINT_BAD_REQUEST);
    assert_mint_refused(0, TA_KIND_SESSION, 0, ut_session(0), "/files/a", TA_MINT_BAD_REQUEST);
    assert_mint_refused(0, 4, 0, ut_session(0), "/files/a", TA_MINT_BAD_REQUEST);
    assert_mint_refused(3, TA_KIND_URL, 0, ut_session(0), "/files/a", TA_MINT_BAD_REQUEST);
}

/* The helper's PAM process, found among its children by its name; -1 when there is none. */
static pid_t ut_broker_pid(void)
{
    char p[128], name[32];
    long pid = -1;
    FILE *f;

    snprintf(p, sizeof(p), "/proc/%ld/task/%ld/children", (long)ut_env.helper, (long)ut_env.helper);
    f = fopen(p, "r");
    if (f == NULL)
        return -1;
    while (fscanf(f, "%ld", &pid) == 1) {
        FILE *c;

        snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
        if ((c = fopen(p, "r")) == NULL)
            continue;
        name[0] = '\0';
        if (fgets(name, sizeof(name), c) != NULL && strcmp(name, "ta-helper-pam\n") == 0) {
            fclose(c);
            fclose(f);
            return (pid_t)pid;
        }
        fclose(c);
    }
    fclose(f);
    return -1;
}

/* Logins cannot work without the PAM process: when it is gone, the helper exits (and Apache
 * starts both afresh) rather than answer 503 for ever. (Last in the file: the helper is gone.) */
static void test_login_helper_exits_when_its_pam_process_dies(void **state)
{
    pid_t broker;
    int st = 0;

    (void)state;
    UT_NEED_HELPER();
    broker = ut_broker_pid();
    assert_true(broker > 0);
    ta_helper_forget_connection();
    assert_int_equal(kill(broker, SIGKILL), 0);
    for (int i = 0; i < 500 && waitpid(ut_env.helper, &st, WNOHANG) == 0; i++)
        usleep(10000);
    assert_true(WIFEXITED(st));
    assert_int_not_equal(WEXITSTATUS(st), 0); /* a failure, for its supervisor to restart */
    ut_env.helper = -1;
    assert_true(ut_log_has("its PAM process"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_signs_a_session_token_for_the_account_pam_accepted),
        cmocka_unit_test(test_login_session_lifetime_comes_from_the_login_location),
        cmocka_unit_test(test_login_failures_are_counted_and_throttled),
        cmocka_unit_test(test_login_throttle_is_per_pam_service_and_name),
        cmocka_unit_test(test_login_servers_sharing_a_service_count_under_the_strictest_numbers),
        cmocka_unit_test(test_login_success_clears_the_failure_count),
        cmocka_unit_test(test_login_of_root_is_refused_below_the_minimum_uid),
        cmocka_unit_test(test_login_of_a_name_the_system_does_not_know_gets_no_token),
        cmocka_unit_test(test_login_on_an_unknown_server_is_unavailable),
        cmocka_unit_test(test_mint_url_token_from_a_session_token),
        cmocka_unit_test(test_mint_share_token_from_a_session_token),
        cmocka_unit_test(test_mint_lifetime_is_held_to_the_scope_location),
        cmocka_unit_test(test_mint_refuses_what_is_not_a_valid_session_token),
        cmocka_unit_test(test_mint_refuses_a_bad_scope_or_kind),
        cmocka_unit_test(test_login_helper_exits_when_its_pam_process_dies),
    };

    return cmocka_run_group_tests_name("helper_login", tests, ut_setup, ut_teardown);
}
