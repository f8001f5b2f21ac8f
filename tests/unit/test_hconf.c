/* Unit tests for the helper's configuration text (src/wire/ta_hconf.c): the strict parser the
 * root helper runs before it serves anything, the percent-encoding both sides share, and the
 * <Location> merge that decides, for each request's URL path, which TokenAuthHome,
 * TokenAuthOwnerOnly, TokenAuthHidden and lifetimes apply.
 *
 * The format is the one mod_tokenauth/ta_helperconf.c writes:
 *   tokenauth-helper-config 1
 *   client UID GID MAXCLIENTS PERPEER LOGLEVEL file|syslog
 *   ledger PATH SLOTS | ledger - -
 *   server ISSUER KEYFILE PAMSERVICE LIMIT WINDOW LOCKOUT MINUID HOME OWNER HIDDEN SESSION URL
 *          URLMAX
 *   loc SERVER PATH HOME OWNER HIDDEN SESSION URL URLMAX
 * and the parser must accept exactly that: every test below that changes one thing in a sound
 * text expects a refusal naming the line. */
#include "unit.h"
#include "ta_hconf.h"

#define UT_MAGIC "tokenauth-helper-config 1\n"
#define UT_CLIENT "client 33 33 64 16 6 file\n"
#define UT_LEDGER "ledger - -\n"
#define UT_HEAD UT_MAGIC UT_CLIENT UT_LEDGER
#define UT_SERVER                                                                                  \
    "server tokenauth /etc/apache2/tokenauth.keys tokenauth 5 300 900 1000 off 0 0 28800 3600 "    \
    "86400\n"
#define UT_TTL_MAX 316224000LL /* ten years of 366 days, as the directives allow */

/* Parse text; fails the test when it is refused. */
static ta_hconf *ut_parse(const char *text)
{
    char err[256] = "";
    ta_hconf *c = (ta_hconf *)1;

    if (ta_hconf_parse(text, strlen(text), &c, err, sizeof(err)) != 0)
        fail_msg("refused: %s\n--- text:\n%s", err, text);
    assert_non_null(c);
    return c;
}

/* text is refused, *out is NULL, and the message names line (0: the text as a whole). */
static void assert_refused_at(const char *text, size_t len, size_t line)
{
    char err[256] = "", want[64];
    ta_hconf *c = (ta_hconf *)1;

    if (ta_hconf_parse(text, len, &c, err, sizeof(err)) == 0) {
        ta_hconf_free(c);
        fail_msg("accepted, expected a refusal at line %zu:\n%s", line, text);
    }
    assert_null(c);
    snprintf(want, sizeof(want), "line %zu:", line);
    if (strstr(err, want) == NULL)
        fail_msg("refused with \"%s\", expected it at line %zu:\n%s", err, line, text);
}

static void assert_refused(const char *text, size_t line)
{
    assert_refused_at(text, strlen(text), line);
}

/* UT_HEAD, one server, and then rest, refused at line 5 + at (rest's line at, from 0). */
static void assert_rest_refused(const char *rest, size_t at)
{
    char text[1024];

    snprintf(text, sizeof(text), UT_HEAD UT_SERVER "%s", rest);
    assert_refused(text, 5 + at);
}

static void assert_rest_accepted(const char *rest)
{
    char text[1024];

    snprintf(text, sizeof(text), UT_HEAD UT_SERVER "%s", rest);
    ta_hconf_free(ut_parse(text));
}

/* A one-server text whose server line ends in settings (6 fields). */
static void ut_server_text(char *text, size_t n, const char *settings)
{
    snprintf(text, n, UT_HEAD "server tokenauth /k tokenauth 5 300 900 1000 %s\n", settings);
}

/* --- the records ----------------------------------------------------------------------------- */

/* What the module writes for a main server and one virtual host with a few sections, every
 * value in its place. */
static void test_hconf_parses_what_the_module_writes(void **state)
{
    const char *text =
        "tokenauth-helper-config 1\n"
        "client 33 33 150 16 7 file\n"
        "ledger /run/apache2/tokenauth/revocations 64\n"
        "server tokenauth /etc/apache2/tokenauth.keys tokenauth 5 300 900 1000 off 0 0 28800 3600 "
        "86400\n"
        "server https://example.org/ /etc/apache2/vhost%20keys tokenauth-web 3 60 600 0 "
        ":www 1 1 600 60 120\n"
        "loc 0 /files :public_html - - - - -\n"
        "loc 0 /files/private - 1 - - - -\n"
        "loc 1 /~user%20pages :www%20root 0 0 7200 300 600\n"
        "loc 1 /off off - - - - -\n";
    ta_hconf *c = ut_parse(text);
    const ta_hserver *s;
    const ta_hloc *l;

    (void)state;
    assert_int_equal(c->client_uid, 33);
    assert_int_equal(c->client_gid, 33);
    assert_int_equal(c->max_clients, 150);
    assert_int_equal(c->per_peer, 16);
    assert_int_equal(c->log_level, 7);
    assert_int_equal(c->log_syslog, 0);
    assert_string_equal(c->ledger, "/run/apache2/tokenauth/revocations");
    assert_int_equal(c->nservers, 2);
    assert_int_equal(c->nlocs, 4);

    s = &c->servers[0];
    assert_string_equal(s->issuer, "tokenauth");
    assert_string_equal(s->key_file, "/etc/apache2/tokenauth.keys");
    assert_string_equal(s->pam_service, "tokenauth");
    assert_int_equal(s->throttle_limit, 5);
    assert_int_equal(s->throttle_window, 300);
    assert_int_equal(s->throttle_lockout, 900);
    assert_int_equal(s->min_uid, 1000);
    assert_true(s->defaults.home_set && s->defaults.home == NULL);
    assert_true(s->defaults.owner_set && s->defaults.owner_only == 0);
    assert_true(s->defaults.hidden_set && s->defaults.allow_hidden == 0);
    assert_true(s->defaults.session_set && s->defaults.session_ttl == 28800);
    assert_true(s->defaults.url_set && s->defaults.url_ttl == 3600 &&
                s->defaults.url_ttl_max == 86400);
    assert_null(s->keys);

    s = &c->servers[1];
    assert_string_equal(s->issuer, "https://example.org/");
    assert_string_equal(s->key_file, "/etc/apache2/vhost keys");
    assert_string_equal(s->pam_service, "tokenauth-web");
    assert_int_equal(s->min_uid, 0);
    assert_string_equal(s->defaults.home, "www");
    assert_true(s->defaults.owner_only == 1 && s->defaults.allow_hidden == 1);

    l = &c->locs[0];
    assert_int_equal(l->server, 0);
    assert_string_equal(l->path, "/files");
    assert_true(l->s.home_set);
    assert_string_equal(l->s.home, "public_html");
    assert_false(l->s.owner_set || l->s.hidden_set || l->s.session_set || l->s.url_set);
    l = &c->locs[1];
    assert_false(l->s.home_set);
    assert_true(l->s.owner_set && l->s.owner_only == 1);
    l = &c->locs[2];
    assert_int_equal(l->server, 1);
    assert_string_equal(l->path, "/~user pages");
    assert_string_equal(l->s.home, "www root");
    assert_true(l->s.owner_set && l->s.owner_only == 0 && l->s.hidden_set &&
                l->s.allow_hidden == 0);
    assert_true(l->s.session_ttl == 7200 && l->s.url_ttl == 300 && l->s.url_ttl_max == 600);
    l = &c->locs[3];
    assert_true(l->s.home_set && l->s.home == NULL); /* TokenAuthHome Off */
    ta_hconf_free(c);
}

static void test_hconf_minimal_text_is_accepted(void **state)
{
    ta_hconf *c = ut_parse(UT_HEAD UT_SERVER);

    (void)state;
    assert_int_equal(c->nservers, 1);
    assert_int_equal(c->nlocs, 0);
    assert_null(c->ledger);
    ta_hconf_free(c);
    c = ut_parse(UT_MAGIC "client 0 0 1 1 0 syslog\n" UT_LEDGER UT_SERVER);
    assert_int_equal(c->log_syslog, 1);
    assert_int_equal(c->log_level, 0);
    ta_hconf_free(c);
}

/* Each record has exactly its number of fields: one fewer or one more is refused. */
static void test_hconf_field_counts_are_exact(void **state)
{
    (void)state;
    assert_refused(UT_MAGIC "client 33 33 64 16 6\n" UT_LEDGER UT_SERVER, 2);
    assert_refused(UT_MAGIC "client 33 33 64 16 6 file x\n" UT_LEDGER UT_SERVER, 2);
    assert_refused(UT_MAGIC UT_CLIENT "ledger\n" UT_SERVER, 3);
    assert_refused(UT_MAGIC UT_CLIENT "ledger /a /b\n" UT_SERVER, 3);
    assert_refused(UT_MAGIC UT_CLIENT "ledger /a\n" UT_SERVER, 3);   /* no slot count */
    assert_refused(UT_MAGIC UT_CLIENT "ledger - 64\n" UT_SERVER, 3); /* slots of no ledger */
    assert_refused(UT_HEAD "server tokenauth /k tokenauth 5 300 900 1000 off 0 0 28800 3600\n", 4);
    assert_refused(
        UT_HEAD "server tokenauth /k tokenauth 5 300 900 1000 off 0 0 28800 3600 86400 1\n", 4);
    assert_refused(UT_HEAD "server\n", 4);
    assert_rest_refused("loc 0 /f :www - - - -\n", 0);
    assert_rest_refused("loc 0 /f :www - - - - - -\n", 0);
    assert_rest_refused("loc\n", 0);
}

/* One space between fields, no empty field, no blank line, every line ended. */
static void test_hconf_layout_is_strict(void **state)
{
    (void)state;
    assert_rest_refused("loc 0 /f :www - - - - - \n", 0); /* trailing space */
    assert_rest_refused("loc 0  /f :www - - - - -\n", 0); /* two spaces */
    assert_rest_refused(" loc 0 /f :www - - - - -\n", 0);
    assert_rest_refused("loc 0 /f :www - - - - -\r\n", 0); /* CRLF: a control character */
    assert_rest_refused("loc\t0 /f :www - - - - -\n", 0);
    assert_rest_refused("\n", 0);
    assert_rest_refused("# a comment\n", 0);
    assert_rest_refused("loc 0 /f :www - - - - -", 0); /* no line end */
    assert_rest_refused("bogus 1\n", 0);
    assert_rest_refused("Server tokenauth /k tokenauth 5 300 900 off 0 0 1 1 1\n", 0);
    assert_rest_accepted("loc 0 /f :www - - - - -\n");
}

static void test_hconf_magic_line_names_this_version(void **state)
{
    (void)state;
    assert_refused("tokenauth-helper-config 2\n" UT_CLIENT UT_LEDGER UT_SERVER, 1);
    assert_refused("tokenauth-helper-config 1 \n" UT_CLIENT UT_LEDGER UT_SERVER, 1);
    assert_refused("tokenauth-helper-config\n" UT_CLIENT UT_LEDGER UT_SERVER, 1);
    assert_refused(UT_CLIENT UT_LEDGER UT_SERVER, 1);
    assert_refused("tokenauth-helper-config 1", 1);
    assert_refused("x" UT_MAGIC UT_CLIENT UT_LEDGER UT_SERVER, 1);
}

/* The text as a whole: not empty, no NUL anywhere, at most TA_HCONF_MAX bytes; client and
 * server records there. */
static void test_hconf_text_as_a_whole(void **state)
{
    static const char with_nul[] = UT_HEAD UT_SERVER "loc 0 /f\0 :www - - - - -\n";
    char *big;

    (void)state;
    assert_refused_at("", 0, 0);
    assert_refused_at(with_nul, sizeof(with_nul) - 1, 0);
    assert_refused(UT_MAGIC, 1);
    assert_refused(UT_MAGIC UT_CLIENT UT_LEDGER, 3);
    assert_refused(UT_MAGIC UT_LEDGER UT_SERVER, 3);
    big = malloc(TA_HCONF_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', TA_HCONF_MAX + 1);
    memcpy(big, UT_HEAD UT_SERVER, strlen(UT_HEAD UT_SERVER));
    assert_refused_at(big, TA_HCONF_MAX + 1, 0);
    free(big);
}

/* Records in the writer's order: a loc needs the server before it (it names the server by
 * index), and no server comes after a loc. Client and ledger come once. */
static void test_hconf_loc_before_server_is_refused(void **state)
{
    (void)state;
    assert_refused(UT_HEAD "loc 0 /f :www - - - - -\n" UT_SERVER, 4);
    assert_rest_refused("loc 0 /f :www - - - - -\n" UT_SERVER, 1);
    assert_rest_refused("loc 1 /f :www - - - - -\n", 0); /* the next server is not there yet */
}

static void test_hconf_client_record_comes_once(void **state)
{
    (void)state;
    assert_rest_refused(UT_CLIENT, 0);
}

/* "ledger -" then a path would be a second, contradictory answer to one question. */
static void test_hconf_ledger_record_comes_once(void **state)
{
    (void)state;
    assert_rest_refused("ledger /run/x 64\n", 0);
    assert_refused(UT_MAGIC UT_CLIENT "ledger /run/x 64\nledger /run/y 64\n" UT_SERVER, 4);
    assert_refused(UT_MAGIC UT_CLIENT "ledger - -\nledger /run/y 64\n" UT_SERVER, 4);
    assert_refused(UT_MAGIC UT_CLIENT "ledger - -\nledger - -\n" UT_SERVER, 4);
}

/* --- numbers ------------------------------------------------------------------------------- */

/* A number has one spelling: decimal digits, no sign, no leading zero, nothing around. */
static void test_hconf_numbers_have_one_spelling(void **state)
{
    static const char *const bad[] = {"033", "+33", "-1", "3 3", "0x21", "3e1", "33.0", "", "٣"};
    char text[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), UT_MAGIC "client %s 33 64 16 6 file\n" UT_LEDGER UT_SERVER,
                 bad[i]);
        assert_refused(text, 2);
    }
    ta_hconf_free(ut_parse(UT_MAGIC "client 0 0 1 1 0 file\n" UT_LEDGER UT_SERVER));
}

/* The client record at the edges of each range. */
static void test_hconf_client_numbers_in_range(void **state)
{
    static const struct {
        const char *line;
        int ok;
    } cases[] = {
        {"client 4294967294 4294967294 65536 65536 7 file\n", 1},
        {"client 4294967295 33 64 16 6 file\n", 0}, /* (uid_t)-1 is no user */
        {"client 33 4294967295 64 16 6 file\n", 0},
        {"client 33 33 0 16 6 file\n", 0},
        {"client 33 33 65537 16 6 file\n", 0},
        {"client 33 33 64 0 6 file\n", 0},
        {"client 33 33 64 65537 6 file\n", 0},
        {"client 33 33 64 16 8 file\n", 0}, /* syslog levels end at 7 (debug) */
        {"client 33 33 64 16 9 file\n", 0},
        {"client 33 33 64 16 10 file\n", 0},
        {"client 33 33 64 16 6 File\n", 0},
        {"client 33 33 64 16 6 stderr\n", 0},
        {"client 99999999999999999999 33 64 16 6 file\n", 0},
    };
    char text[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), UT_MAGIC "%s" UT_LEDGER UT_SERVER, cases[i].line);
        if (cases[i].ok)
            ta_hconf_free(ut_parse(text));
        else
            assert_refused(text, 2);
    }
}

/* The server record's throttle numbers and lifetimes at the edges of their ranges. */
static void test_hconf_server_numbers_in_range(void **state)
{
    static const struct {
        const char *nums;
        int ok;
    } cases[] = {
        {"1 1 1 0 off 0 0 1 1 1", 1},
        {"1000000 316224000 316224000 4294967294 off 1 1 316224000 316224000 316224000", 1},
        {"5 300 900 4294967295 off 0 0 28800 3600 86400", 0},
        {"5 300 900 -1 off 0 0 28800 3600 86400", 0},
        {"5 300 900 01000 off 0 0 28800 3600 86400", 0},
        {"0 300 900 1000 off 0 0 28800 3600 86400", 0},
        {"1000001 300 900 1000 off 0 0 28800 3600 86400", 0},
        {"5 0 900 1000 off 0 0 28800 3600 86400", 0},
        {"5 316224001 900 1000 off 0 0 28800 3600 86400", 0},
        {"5 300 0 1000 off 0 0 28800 3600 86400", 0},
        {"5 300 316224001 1000 off 0 0 28800 3600 86400", 0},
        {"5 300 900 1000 off 0 0 0 3600 86400", 0},
        {"5 300 900 1000 off 0 0 316224001 3600 86400", 0},
        {"5 300 900 1000 off 0 0 28800 0 86400", 0},
        {"5 300 900 1000 off 0 0 28800 3600 316224001", 0},
    };
    char text[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), UT_HEAD "server tokenauth /k tokenauth %s\n", cases[i].nums);
        if (cases[i].ok)
            ta_hconf_free(ut_parse(text));
        else
            assert_refused(text, 4);
    }
}

/* OWNER and HIDDEN are 0 or 1, nothing else: a 2 is a typo, not "more on". */
static void test_hconf_flags_are_0_or_1(void **state)
{
    static const char *const bad[] = {"2", "9", "10", "01", "-1", "on", "yes"};
    char text[128], rest[512];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "off %s 0 28800 3600 86400", bad[i]);
        ut_server_text(rest, sizeof(rest), text);
        assert_refused(rest, 4);
        snprintf(text, sizeof(text), "off 0 %s 28800 3600 86400", bad[i]);
        ut_server_text(rest, sizeof(rest), text);
        assert_refused(rest, 4);
        snprintf(rest, sizeof(rest), "loc 0 /f - %s - - - -\n", bad[i]);
        assert_rest_refused(rest, 0);
        snprintf(rest, sizeof(rest), "loc 0 /f - - %s - - -\n", bad[i]);
        assert_rest_refused(rest, 0);
    }
}

/* A URL token's default lifetime cannot exceed its maximum, and the two are set together. */
static void test_hconf_url_ttl_over_its_maximum_is_refused(void **state)
{
    char text[256];

    (void)state;
    ut_server_text(text, sizeof(text), "off 0 0 28800 86401 86400");
    assert_refused(text, 4);
    ut_server_text(text, sizeof(text), "off 0 0 28800 86400 86400");
    ta_hconf_free(ut_parse(text));
    assert_rest_refused("loc 0 /f - - - - 601 600\n", 0);
    assert_rest_accepted("loc 0 /f - - - - 600 600\n");
    assert_rest_refused("loc 0 /f - - - - 600 -\n", 0);
    assert_rest_refused("loc 0 /f - - - - - 600\n", 0);
}

/* A server's settings are the defaults of everything below it: none may be left unset. */
static void test_hconf_server_defaults_leave_nothing_unset(void **state)
{
    static const char *const settings[] = {
        "- 0 0 28800 3600 86400", "off - 0 28800 3600 86400", "off 0 - 28800 3600 86400",
        "off 0 0 - 3600 86400",   "off 0 0 28800 - -",
    };
    char text[256];

    (void)state;
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        ut_server_text(text, sizeof(text), settings[i]);
        assert_refused(text, 4);
    }
}

/* --- the other fields ---------------------------------------------------------------------- */

/* HOME is "off", ":SUBDIR" or (in a loc) "-"; nothing else. */
static void test_hconf_home_spellings(void **state)
{
    ta_hconf *c;

    (void)state;
    assert_rest_refused("loc 0 /f : - - - - -\n", 0);
    assert_rest_refused("loc 0 /f www - - - - -\n", 0);
    assert_rest_refused("loc 0 /f Off - - - - -\n", 0);
    assert_rest_refused("loc 0 /f %3Awww - - - - -\n", 0); /* ':' needs no escape */
    c = ut_parse(UT_HEAD UT_SERVER "loc 0 /f :. - - - - -\nloc 0 /g :off - - - - -\n"
                                   "loc 0 /h :a%20b/c - - - - -\n");
    assert_string_equal(c->locs[0].s.home, ".");
    assert_string_equal(c->locs[1].s.home, "off"); /* a subdirectory named off */
    assert_string_equal(c->locs[2].s.home, "a b/c");
    ta_hconf_free(c);
}

/* A loc names a server that is there, and an absolute URL path with no control characters. */
static void test_hconf_loc_server_and_path(void **state)
{
    ta_hconf *c;

    (void)state;
    assert_rest_refused("loc 01 /f :www - - - - -\n", 0);
    assert_rest_refused("loc -1 /f :www - - - - -\n", 0);
    assert_rest_refused("loc 0 f :www - - - - -\n", 0);
    assert_rest_refused("loc 0 %2Ff :www - - - - -\n", 0); /* '/' needs no escape */
    assert_rest_refused("loc 0 /a%0Ab :www - - - - -\n", 0);
    assert_rest_refused("loc 0 /a%7Fb :www - - - - -\n", 0);
    assert_rest_refused("loc 0 - :www - - - - -\n", 0);
    c = ut_parse(UT_HEAD UT_SERVER UT_SERVER "loc 1 / :www - - - - -\n"
                                             "loc 0 /caf%C3%A9 :www - - - - -\n");
    assert_int_equal(c->locs[0].server, 1);
    assert_string_equal(c->locs[0].path, "/");
    assert_string_equal(c->locs[1].path, "/caf\xc3\xa9");
    ta_hconf_free(c);
}

/* The ledger is an absolute path, or "-" for none. */
static void test_hconf_ledger_is_absolute_or_none(void **state)
{
    ta_hconf *c;

    (void)state;
    assert_refused(UT_MAGIC UT_CLIENT "ledger run/x 64\n" UT_SERVER, 3);
    assert_refused(UT_MAGIC UT_CLIENT "ledger %2Drun 64\n" UT_SERVER, 3);
    c = ut_parse(UT_MAGIC UT_CLIENT "ledger /run/a%20b 64\n" UT_SERVER);
    assert_string_equal(c->ledger, "/run/a b");
    ta_hconf_free(c);
}

/* The key file is an absolute path too. */
static void test_hconf_key_file_is_absolute(void **state)
{
    (void)state;
    assert_refused(UT_HEAD "server tokenauth keys tokenauth 5 300 900 1000 off 0 0 1 1 1\n", 4);
    assert_refused(UT_HEAD "server tokenauth - tokenauth 5 300 900 1000 off 0 0 1 1 1\n", 4);
}

/* The one spelling of each value: bytes outside 0x21-0x7e and '%' are escaped, with upper-case
 * hex, and nothing else is; %00 would end a C string early. */
static void test_hconf_percent_decoding_has_one_spelling(void **state)
{
    static const char *const bad[] = {
        "a%41",              /* 'A' needs no escape */
        "a%2f",              /* lower-case hex */
        "a%0a",              /* lower-case hex of a byte that needs escaping */
        "%c3%a9",    "a%2F", /* '/' needs no escape */
        "a%00b",             /* NUL */
        "a%",                /* cut short */
        "a%4",               /* cut short */
        "a%G0",              /* not hex */
        "a%%",               /* a bare '%' */
        "a\x7f",             /* DEL raw */
        "a\xc3\xa9",         /* UTF-8 raw */
    };
    char text[256];
    ta_hconf *c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text),
                 UT_HEAD "server %s /k tokenauth 5 300 900 1000 off 0 0 1 1 1\n", bad[i]);
        assert_refused(text, 4);
    }
    c = ut_parse(UT_HEAD
                 "server a%20b%25c%0A%7F%C3%A9%FF /k tokenauth 5 300 900 1000 off 0 0 1 1 1\n");
    assert_string_equal(c->servers[0].issuer, "a b%c\n\x7f\xc3\xa9\xff");
    ta_hconf_free(c);
}

/* What ta_hconf_encode writes, the parser gives back unchanged, whatever the bytes. */
static void test_hconf_encode_round_trips_through_the_parser(void **state)
{
    static const char *const values[] = {
        "tokenauth",
        "https://example.org/",
        "a b",
        "100%",
        "%41",
        "-",
        ":",
        "tab\there",
        "line\nbreak",
        "\x01\x1f\x20\x7e\x7f\x80\xff",
        "\xc3\xa9t\xc3\xa9",
    };
    char enc[128], text[512];
    ta_hconf *c;

    (void)state;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        assert_int_equal(ta_hconf_encode(values[i], enc, sizeof(enc)), 0);
        for (const char *p = enc; *p; p++) /* one field: no space, nothing invisible */
            assert_true(*p >= 0x21 && *p <= 0x7e);
        snprintf(text, sizeof(text),
                 UT_HEAD "server %s /k tokenauth 5 300 900 1000 off 0 0 1 1 1\n", enc);
        c = ut_parse(text);
        assert_string_equal(c->servers[0].issuer, values[i]);
        ta_hconf_free(c);
    }
    assert_int_equal(ta_hconf_encode("a b%", enc, sizeof(enc)), 0);
    assert_string_equal(enc, "a%20b%25");
}

/* Nothing is written past cap, and a value that does not fit is refused. */
static void test_hconf_encode_refuses_what_does_not_fit(void **state)
{
    char out[8];

    (void)state;
    memset(out, 'z', sizeof(out));
    assert_int_equal(ta_hconf_encode("abc", out, 4), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(ta_hconf_encode("abcd", out, 4), -1);
    assert_int_equal(ta_hconf_encode("a b", out, 6), 0);
    assert_string_equal(out, "a%20b");
    memset(out, 'z', sizeof(out));
    assert_int_equal(ta_hconf_encode("a b", out, 5), -1); /* no room for the NUL */
    assert_int_equal(out[5], 'z');
    assert_int_equal(ta_hconf_encode("a b", out, 4), -1);
}

/* Servers are numbered 0..65534 (a u16 on the wire, 65535 of them); one more is refused. */
static void test_hconf_at_most_65535_servers(void **state)
{
    static const char line[] = "server a /k p 1 1 1 1000 off 0 0 1 1 1\n";
    size_t n = strlen(UT_HEAD) + 65536 * (sizeof(line) - 1) + 64, at;
    char *text = malloc(n);
    ta_hconf *c;

    (void)state;
    assert_non_null(text);
    at = (size_t)snprintf(text, n, UT_HEAD);
    for (int i = 0; i < 65535; i++) {
        memcpy(text + at, line, sizeof(line) - 1);
        at += sizeof(line) - 1;
    }
    memcpy(text + at, "loc 65534 /f :w - - - - -\n", 27);
    c = ut_parse(text);
    assert_int_equal(c->nservers, 65535);
    assert_int_equal(c->locs[0].server, 65534);
    ta_hconf_free(c);
    memcpy(text + at, line, sizeof(line));
    assert_refused(text, 4 + 65535);
    free(text);
}

/* A bare "server" record after a sound one is refused like any short record, and the parse
 * frees what it made without touching memory it did not allocate (valgrind and the fuzzer's
 * ASan would see that). */
static void test_hconf_bare_server_record_after_a_server_is_refused_cleanly(void **state)
{
    (void)state;
    assert_refused(UT_HEAD UT_SERVER "server\n", 5);
    assert_refused(UT_HEAD UT_SERVER UT_SERVER "server\n", 6);
    assert_refused(UT_HEAD "server\n" UT_SERVER, 4);
}

/* --- the <Location> merge ------------------------------------------------------------------- */

static const char ut_policy_text[] = UT_MAGIC UT_CLIENT UT_LEDGER
    "server tokenauth /k tokenauth 5 300 900 1000 :server-home 0 0 28800 3600 86400\n"
    "server other /k2 tokenauth 5 300 900 1000 off 1 1 100 10 20\n"
    "loc 0 /files :public_html - - - - -\n"            /* 0 */
    "loc 0 /files/private - 1 - - - -\n"               /* 1 */
    "loc 0 /files/private/shared :shared - 1 60 - -\n" /* 2 */
    "loc 0 /files/dots/ - - 1 - 120 240\n"             /* 3 */
    "loc 1 /files :vhost-home - - - - -\n"             /* 4: another server's */
    "loc 0 /off :x - - - - -\n"                        /* 5 */
    "loc 0 /off/inner off - - - - -\n"                 /* 6 */
    "loc 0 /late/deep :deep - - - - -\n"               /* 7 */
    "loc 0 /late :shallow - - - - -\n";                /* 8: later, shorter, and it wins */

static ta_hpolicy ut_policy(const ta_hconf *c, unsigned server, const char *path)
{
    ta_hpolicy p;

    memset(&p, 0x5a, sizeof(p));
    assert_int_equal(ta_hconf_policy(c, server, path, &p), 0);
    return p;
}

/* A path no section covers gets the server's defaults, except TokenAuthHome: at server level it
 * names no location, so nothing is served as a home there. */
static void test_hconf_policy_starts_from_the_server_defaults(void **state)
{
    ta_hconf *c = ut_parse(ut_policy_text);
    ta_hpolicy p = ut_policy(c, 0, "/elsewhere/a.txt");

    (void)state;
    assert_ptr_equal(p.server, &c->servers[0]);
    assert_null(p.home);
    assert_null(p.home_prefix);
    assert_int_equal(p.owner_only, 0);
    assert_int_equal(p.allow_hidden, 0);
    assert_true(p.session_ttl == 28800 && p.url_ttl == 3600 && p.url_ttl_max == 86400);
    p = ut_policy(c, 1, "/elsewhere");
    assert_ptr_equal(p.server, &c->servers[1]);
    assert_true(p.owner_only == 1 && p.allow_hidden == 1);
    assert_true(p.session_ttl == 100 && p.url_ttl == 10 && p.url_ttl_max == 20);
    ta_hconf_free(c);
}

/* Every section whose path covers the request's, in configuration order, each over the one
 * before: what a section leaves unset comes from before it. */
static void test_hconf_policy_merges_every_covering_section_in_order(void **state)
{
    ta_hconf *c = ut_parse(ut_policy_text);
    ta_hpolicy p;

    (void)state;
    p = ut_policy(c, 0, "/files/a.txt"); /* 0 */
    assert_string_equal(p.home, "public_html");
    assert_int_equal(p.owner_only, 0);
    p = ut_policy(c, 0, "/files/private/a.txt"); /* 0, 1 */
    assert_string_equal(p.home, "public_html");
    assert_int_equal(p.owner_only, 1);
    assert_int_equal(p.allow_hidden, 0);
    p = ut_policy(c, 0, "/files/private/shared/x/y"); /* 0, 1, 2 */
    assert_string_equal(p.home, "shared");
    assert_int_equal(p.owner_only, 1);
    assert_int_equal(p.allow_hidden, 1);
    assert_int_equal(p.session_ttl, 60);
    assert_true(p.url_ttl == 3600 && p.url_ttl_max == 86400);
    p = ut_policy(c, 0, "/files/dots/.x"); /* 0, 3 */
    assert_int_equal(p.allow_hidden, 1);
    assert_true(p.url_ttl == 120 && p.url_ttl_max == 240); /* set together */
    ta_hconf_free(c);
}

/* Apache applies <Location> sections in the order they appear, not by length: a later, shorter
 * section overrides an earlier, longer one. */
static void test_hconf_policy_follows_configuration_order_not_length(void **state)
{
    ta_hconf *c = ut_parse(ut_policy_text);
    ta_hpolicy p = ut_policy(c, 0, "/late/deep/file");

    (void)state;
    assert_string_equal(p.home, "shallow");
    assert_string_equal(p.home_prefix, "/late");
    ta_hconf_free(c);
}

/* The prefix the request's path is taken below is the path of the section that set the home,
 * not of the last section that covered the path. */
static void test_hconf_policy_home_prefix_is_the_section_that_set_it(void **state)
{
    ta_hconf *c = ut_parse(ut_policy_text);
    ta_hpolicy p;

    (void)state;
    p = ut_policy(c, 0, "/files/private/a.txt");
    assert_string_equal(p.home_prefix, "/files");
    p = ut_policy(c, 0, "/files/private/shared/a");
    assert_string_equal(p.home_prefix, "/files/private/shared");
    p = ut_policy(c, 0, "/files/dots/x");
    assert_string_equal(p.home_prefix, "/files");
    ta_hconf_free(c);
}

/* TokenAuthHome Off in a later section ends the home below it. */
static void test_hconf_policy_later_section_turns_home_off(void **state)
{
    ta_hconf *c = ut_parse(ut_policy_text);
    ta_hpolicy p;

    (void)state;
    p = ut_policy(c, 0, "/off/a");
    assert_string_equal(p.home, "x");
    p = ut_policy(c, 0, "/off/inner/a");
    assert_null(p.home);
    ta_hconf_free(c);
}

/* /files covers /files, /files/ and what is below, not /filesx or /file; /files/dots/ covers
 * what is below it but not /files/dots itself. */
static void test_hconf_policy_filesx_is_not_covered_by_files(void **state)
{
    ta_hconf *c = ut_parse(ut_policy_text);
    ta_hpolicy p;

    (void)state;
    assert_null(ut_policy(c, 0, "/filesx").home);
    assert_null(ut_policy(c, 0, "/filesx/a").home);
    assert_null(ut_policy(c, 0, "/file").home);
    assert_string_equal(ut_policy(c, 0, "/files").home, "public_html");
    assert_string_equal(ut_policy(c, 0, "/files/").home, "public_html");
    assert_int_equal(ut_policy(c, 0, "/files/privatex").owner_only, 0);
    p = ut_policy(c, 0, "/files/dots");
    assert_int_equal(p.allow_hidden, 0);
    p = ut_policy(c, 0, "/files/dots/");
    assert_int_equal(p.allow_hidden, 1);
    ta_hconf_free(c);
}

/* Another server's sections never apply, and a server that is not there has no policy. */
static void test_hconf_policy_is_per_server(void **state)
{
    ta_hconf *c = ut_parse(ut_policy_text);
    ta_hpolicy p;

    (void)state;
    p = ut_policy(c, 1, "/files/private/shared/a");
    assert_string_equal(p.home, "vhost-home");
    assert_int_equal(p.owner_only, 1); /* server 1's default, not section 1's */
    assert_int_equal(p.session_ttl, 100);
    memset(&p, 0x5a, sizeof(p));
    assert_int_equal(ta_hconf_policy(c, 2, "/files/a", &p), -1);
    assert_null(p.server);
    assert_null(p.home);
    assert_int_equal(ta_hconf_policy(c, 65535, "/files/a", &p), -1);
    ta_hconf_free(c);
}

static void test_hconf_covers(void **state)
{
    (void)state;
    assert_true(ta_hconf_covers("/files", "/files"));
    assert_true(ta_hconf_covers("/files", "/files/"));
    assert_true(ta_hconf_covers("/files", "/files/a/b"));
    assert_false(ta_hconf_covers("/files", "/filesx"));
    assert_false(ta_hconf_covers("/files", "/file"));
    assert_false(ta_hconf_covers("/files", "/Files"));
    assert_false(ta_hconf_covers("/files", "files"));
    assert_true(ta_hconf_covers("/files/", "/files/a"));
    assert_true(ta_hconf_covers("/files/", "/files/"));
    assert_false(ta_hconf_covers("/files/", "/files"));
    assert_true(ta_hconf_covers("/", "/"));
    assert_true(ta_hconf_covers("/", "/anything"));
    assert_false(ta_hconf_covers("/a/b", "/a"));
}

static void assert_below(const char *prefix, const char *path, const char *want, int bare)
{
    int got_bare = 7;
    const char *got = ta_hconf_below(prefix, path, &got_bare);

    if (want == NULL) {
        if (got != NULL)
            fail_msg("below(\"%s\", \"%s\") = \"%s\", expected NULL", prefix, path, got);
        assert_int_equal(got_bare, 0);
        return;
    }
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("below(\"%s\", \"%s\") = %s%s%s, expected \"%s\"", prefix, path, got ? "\"" : "",
                 got ? got : "NULL", got ? "\"" : "", want);
    assert_int_equal(got_bare, bare);
}

/* The part of a path below a section's prefix, as the confined open takes it. */
static void test_hconf_below_edge_cases(void **state)
{
    (void)state;
    assert_below("/files", "/files", "", 1);
    assert_below("/files", "/files/", "", 0);
    assert_below("/files", "/files/a", "a", 0);
    assert_below("/files", "/files/a/b.txt", "a/b.txt", 0);
    assert_below("/files", "/files/a/", "a/", 0);
    assert_below("/files/", "/files/a", "a", 0);
    assert_below("/files/", "/files/", "", 0);
    assert_below("/files//", "/files/a", "a", 0);
    assert_below("/files", "/filesx", NULL, 0);
    assert_below("/files", "/filesx/a", NULL, 0);
    assert_below("/files", "/file", NULL, 0);
    assert_below("/files", "/other/files/a", NULL, 0);
    assert_below("/files", "", NULL, 0);
    assert_below("/", "/", "", 0); /* "/" itself is never bare */
    assert_below("/", "/a/b", "a/b", 0);
    assert_below("/a/b", "/a/b/c", "c", 0);
    assert_below("/a/b", "/a", NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hconf_parses_what_the_module_writes),
        cmocka_unit_test(test_hconf_minimal_text_is_accepted),
        cmocka_unit_test(test_hconf_field_counts_are_exact),
        cmocka_unit_test(test_hconf_layout_is_strict),
        cmocka_unit_test(test_hconf_magic_line_names_this_version),
        cmocka_unit_test(test_hconf_text_as_a_whole),
        cmocka_unit_test(test_hconf_loc_before_server_is_refused),
        cmocka_unit_test(test_hconf_client_record_comes_once),
        cmocka_unit_test(test_hconf_ledger_record_comes_once),
        cmocka_unit_test(test_hconf_numbers_have_one_spelling),
        cmocka_unit_test(test_hconf_client_numbers_in_range),
        cmocka_unit_test(test_hconf_server_numbers_in_range),
        cmocka_unit_test(test_hconf_flags_are_0_or_1),
        cmocka_unit_test(test_hconf_url_ttl_over_its_maximum_is_refused),
        cmocka_unit_test(test_hconf_server_defaults_leave_nothing_unset),
        cmocka_unit_test(test_hconf_home_spellings),
        cmocka_unit_test(test_hconf_loc_server_and_path),
        cmocka_unit_test(test_hconf_ledger_is_absolute_or_none),
        cmocka_unit_test(test_hconf_key_file_is_absolute),
        cmocka_unit_test(test_hconf_percent_decoding_has_one_spelling),
        cmocka_unit_test(test_hconf_encode_round_trips_through_the_parser),
        cmocka_unit_test(test_hconf_encode_refuses_what_does_not_fit),
        cmocka_unit_test(test_hconf_at_most_65535_servers),
        cmocka_unit_test(test_hconf_bare_server_record_after_a_server_is_refused_cleanly),
        cmocka_unit_test(test_hconf_policy_starts_from_the_server_defaults),
        cmocka_unit_test(test_hconf_policy_merges_every_covering_section_in_order),
        cmocka_unit_test(test_hconf_policy_follows_configuration_order_not_length),
        cmocka_unit_test(test_hconf_policy_home_prefix_is_the_section_that_set_it),
        cmocka_unit_test(test_hconf_policy_later_section_turns_home_off),
        cmocka_unit_test(test_hconf_policy_filesx_is_not_covered_by_files),
        cmocka_unit_test(test_hconf_policy_is_per_server),
        cmocka_unit_test(test_hconf_covers),
        cmocka_unit_test(test_hconf_below_edge_cases),
    };

    return cmocka_run_group_tests_name("hconf", tests, NULL, NULL);
}
