"""A bad configuration stops `apache2 -t` and start-up with a clear message naming the
directive, the configuration file and its line (SPEC §2). Each case writes one faulty
directive (or key file) into an otherwise valid configuration."""

import re

import pytest

from taharness import apacheconf
from taharness.apache import ApacheError
from taharness.keys import EDDSA, HS256, new_key, write_key_lines
from taharness.site import key_file_line


def case_missing_key_file(workdir, users):
    return workdir / "does-not-exist.keys", None


def case_key_file_mode_0644(workdir, users):
    return write_key_lines(workdir / "mode644.keys", [new_key().line()], mode=0o644), None


def case_key_file_mode_0640(workdir, users):
    return write_key_lines(workdir / "mode640.keys", [new_key().line()], mode=0o640), None


def case_key_file_not_owned_by_root(workdir, users):
    owner = users.get("alice").uid
    return write_key_lines(workdir / "alice.keys", [new_key().line()], owner=owner), None


def case_secret_under_32_bytes(workdir, users):
    return write_key_lines(workdir / "short.keys", [new_key(nbytes=31, alg=HS256).line()]), None


def case_eddsa_seed_of_31_bytes(workdir, users):
    return write_key_lines(workdir / "seed31.keys", [new_key(nbytes=31, alg=EDDSA).line()]), None


def case_eddsa_seed_of_64_bytes(workdir, users):
    """64 bytes is what some tools call an Ed25519 private key (seed + public): not a seed."""
    return write_key_lines(workdir / "seed64.keys", [new_key(nbytes=64, alg=EDDSA).line()]), None


def case_unknown_algorithm(workdir, users):
    key = new_key(alg=HS256)
    return write_key_lines(workdir / "alg.keys", ["%s RS256 %s" % (key.kid, key.secret)]), None


def case_secret_not_base64url(workdir, users):
    return write_key_lines(workdir / "b64.keys", ["k1 " + "+/" * 30]), None


def case_duplicate_kid(workdir, users):
    lines = [new_key(kid="same").line(), new_key(kid="same").line()]
    return write_key_lines(workdir / "dup.keys", lines), None


def case_non_numeric_session_ttl(workdir, users):
    return None, "TokenAuthSessionTTL 1d"


def case_non_numeric_url_token_ttl(workdir, users):
    return None, "TokenAuthURLTokenTTL 300 week"


def case_unknown_socache_provider(workdir, users):
    return None, "TokenAuthCache nosuchcache"


def case_bad_socache_argument(workdir, users):
    return None, "TokenAuthCache shmcb:/tmp/x(12)"


def case_throttle_not_numeric(workdir, users):
    return None, "TokenAuthLoginThrottle 5 5m 300"


def case_throttle_two_numbers(workdir, users):
    return None, "TokenAuthLoginThrottle 5 300"


def case_revocation_slots_not_a_power_of_two(workdir, users):
    return None, "TokenAuthRevocationSlots 100000"


def case_throttle_zero(workdir, users):
    return None, "TokenAuthLoginThrottle 0 300 300"


def case_logout_url_not_a_path(workdir, users):
    return None, "TokenAuthLogoutURL logout"


CASES = {
    # name: (builder, directive named in the message, words the message must contain)
    "missing key file": (case_missing_key_file, "TokenAuthKeyFile", r"open|No such file"),
    "key file mode 0644": (case_key_file_mode_0644, "TokenAuthKeyFile", r"0644"),
    "key file mode 0640": (case_key_file_mode_0640, "TokenAuthKeyFile", r"0640"),
    "key file not owned by root": (case_key_file_not_owned_by_root, "TokenAuthKeyFile",
                                   r"owned|owner|root"),
    "secret under 32 bytes": (case_secret_under_32_bytes, "TokenAuthKeyFile",
                              r"secret|short|32"),
    "EdDSA seed of 31 bytes": (case_eddsa_seed_of_31_bytes, "TokenAuthKeyFile", r"32|seed"),
    "EdDSA seed of 64 bytes": (case_eddsa_seed_of_64_bytes, "TokenAuthKeyFile", r"32|seed"),
    "unknown key algorithm": (case_unknown_algorithm, "TokenAuthKeyFile", r"EdDSA|HS256|ALG"),
    "secret not base64url": (case_secret_not_base64url, "TokenAuthKeyFile", r"secret|base64"),
    "duplicate KID": (case_duplicate_kid, "TokenAuthKeyFile", r"duplicate"),
    "non-numeric TokenAuthSessionTTL": (case_non_numeric_session_ttl, "TokenAuthSessionTTL",
                                        r"1d"),
    "non-numeric TokenAuthURLTokenTTL": (case_non_numeric_url_token_ttl, "TokenAuthURLTokenTTL",
                                         r"week"),
    "unknown socache provider": (case_unknown_socache_provider, "TokenAuthCache",
                                 r"unknown socache provider \"nosuchcache\".*shmcb"),
    "bad socache argument": (case_bad_socache_argument, "TokenAuthCache", r"8192"),
    "non-numeric TokenAuthLoginThrottle": (case_throttle_not_numeric, "TokenAuthLoginThrottle",
                                           r"5m"),
    "TokenAuthLoginThrottle with two numbers": (case_throttle_two_numbers,
                                                "TokenAuthLoginThrottle", r"three numbers"),
    "TokenAuthRevocationSlots not a power of two": (case_revocation_slots_not_a_power_of_two,
                                                    "TokenAuthRevocationSlots",
                                                    r"100000.*power of two"),
    "TokenAuthLoginThrottle of 0": (case_throttle_zero, "TokenAuthLoginThrottle", r"\"0\""),
    "TokenAuthLogoutURL not a path or URL": (case_logout_url_not_a_path, "TokenAuthLogoutURL",
                                             r"local path or an http\(s\) URL"),
}


def bad_server(harness, name, builder):
    """A server whose configuration holds the faulty line; returns it and that line."""
    key_path, extra = builder(harness.workdir, harness.users)
    key_line = key_file_line(key_path or harness.key_file.path)
    snippets = [key_line] + ([extra] if extra else [])
    server = harness.apache("config-%d" % len(harness.servers), snippets=snippets)
    return server, extra or key_line


def configtest_failure(harness, name):
    builder, directive, words = CASES[name]
    server, faulty = bad_server(harness, name, builder)
    result = server.configtest()
    lineno = apacheconf.line_of(server.config_text(), faulty)
    return result, server, lineno, directive, words


def test_valid_configuration_passes_configtest(harness):
    server = harness.apache("config-valid", snippets=[key_file_line(harness.key_file.path),
                                                      "TokenAuthSessionTTL 3600",
                                                      "TokenAuthURLTokenTTL 60 600"])
    result = server.configtest()
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_configtest_fails_naming_directive_file_and_line(harness, name):
    result, server, lineno, directive, words = configtest_failure(harness, name)
    assert result.returncode != 0, result.stderr
    err = result.stderr
    assert "AH00526: Syntax error on line %d of %s:" % (lineno, server.paths.conf) in err, err
    message = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("AH00526")]
    assert len(message) == 1, "not one clear message:\n" + err
    assert message[0].startswith(directive), message[0]
    assert re.search(words, message[0]), message[0]


def test_configtest_error_is_one_line_with_directive_file_and_line(harness):
    """SPEC §2 asks for "one clear line naming the directive, file and line". httpd prints
    "AH00526: Syntax error on line N of FILE:" and the module's message on the next line,
    so the message itself must carry all three for one line to say it all."""
    result, server, lineno, directive, _ = configtest_failure(harness, "key file mode 0644")
    assert result.returncode != 0
    complete = [ln for ln in result.stderr.splitlines()
                if directive in ln and str(server.paths.conf) in ln and str(lineno) in ln]
    assert complete, "no single line names %s, %s and line %d:\n%s" % (
        directive, server.paths.conf, lineno, result.stderr)


def test_bad_key_file_stops_start_up(harness):
    server, _ = bad_server(harness, "startup-missing-key", case_missing_key_file)
    with pytest.raises(ApacheError, match="TokenAuthKeyFile"):
        server.start()
    assert not server.running


def test_cache_default_needs_mod_socache_shmcb(harness, expect_error_log):
    """Without TokenAuthCache the store is shmcb; when its module is not loaded, configtest
    says what to do instead of failing at the first logout."""
    expect_error_log(r"TA00009: ")
    modules = tuple(m for m in apacheconf.BASE_MODULES if m != "socache_shmcb")
    server = harness.apache("config-no-shmcb", snippets=[key_file_line(harness.key_file.path)],
                            modules=modules)
    result = server.configtest()
    assert result.returncode != 0
    assert "TA00009: TokenAuthCache defaults to shmcb" in result.stderr, result.stderr
    assert "a2enmod socache_shmcb" in result.stderr


def test_cache_in_a_virtual_host_is_refused(harness):
    """One store serves every virtual host: TokenAuthCache inside one is an error."""
    server = harness.apache("config-vhost-cache", snippets=[
        key_file_line(harness.key_file.path),
        "<VirtualHost 127.0.0.1:1>\nTokenAuthCache shmcb\n</VirtualHost>"])
    result = server.configtest()
    assert result.returncode != 0
    line = apacheconf.line_of(server.config_text(), "TokenAuthCache shmcb")
    assert "TokenAuthCache (%s:%d): belongs in the main server configuration" % (
        server.paths.conf, line) in result.stderr, result.stderr


def message_lines(result):
    """What the configuration test printed besides httpd's own "AH00526: Syntax error" line."""
    return [ln for ln in result.stderr.splitlines()
            if ln.strip() and not ln.startswith("AH00526")]


def configtest_of(harness, *snippets):
    """configtest of a server with the harness's key file and these snippets."""
    server = harness.apache("config-%d" % len(harness.servers),
                            snippets=[key_file_line(harness.key_file.path)] + list(snippets))
    return server, server.configtest()


def where(server, needle):
    return "%s:%d" % (server.paths.conf, apacheconf.line_of(server.config_text(), needle))


# --- the key file: the message says the fix -----------------------------------------------------

KEY_FILE_FIXES = {
    "missing key file": "{path}: cannot open: No such file or directory; create one with "
                        "\"(umask 077; tokenauth keygen > {path})\"",
    "key file mode 0644": "{path}: mode 0644 lets group or others read or write it (use 0600 or "
                          "0400); fix with \"chmod 600 {path}\"",
    "key file not owned by root": "{path}: owned by uid {uid}, not by root; fix with "
                                  "\"chown root:root {path}\"",
}


@pytest.mark.parametrize("name", list(KEY_FILE_FIXES))
def test_key_file_error_says_the_fix(harness, name):
    builder = CASES[name][0]
    server, faulty = bad_server(harness, name, builder)
    result = server.configtest()
    assert result.returncode != 0
    path = re.match(r'TokenAuthKeyFile "(.*)"$', faulty).group(1)
    expected = "TokenAuthKeyFile (%s): " % where(server, faulty) + KEY_FILE_FIXES[name].format(
        path=path, uid=harness.users.get("alice").uid)
    assert message_lines(result) == [expected], result.stderr


# --- On/Off switches: one line of our own --------------------------------------------------------

SWITCHES = ("TokenAuthQuerySessions", "TokenAuthRedact", "TokenAuthOwnerOnly")


@pytest.mark.parametrize("directive", SWITCHES)
@pytest.mark.parametrize("value", ["yes", "1", "\"true\""])
def test_switch_that_is_not_on_or_off_names_file_and_line(harness, directive, value):
    bad = "%s %s" % (directive, value)
    server, result = configtest_of(harness, "<Location /switch>\n    %s\n</Location>" % bad)
    assert result.returncode != 0
    shown = value.strip('"')
    assert message_lines(result) == ['%s (%s): "%s" is not On or Off' % (
        directive, where(server, bad), shown)], result.stderr


@pytest.mark.parametrize("directive", SWITCHES)
def test_switch_takes_on_and_off_in_any_case(harness, directive):
    server, result = configtest_of(harness, "%s On" % directive,
                                   "<Location /a>\n    %s off\n</Location>" % directive,
                                   "<Location /b>\n    %s OFF\n</Location>" % directive,
                                   "<Location /c>\n    %s oN\n</Location>" % directive)
    assert result.returncode == 0, result.stderr


# --- TokenAuthHome needs "AuthType token" --------------------------------------------------------

HOME_NO_AUTH = ("TokenAuthHome ({at}): no \"AuthType token\" applies to <Location {path}>, so "
                "every request here would be refused. Add \"AuthType token\" and "
                "\"Require valid-user\" to this section.")
HOME_OTHER_AUTH = ("TokenAuthHome ({at}): <Location {path}> is under \"AuthType {type}\" "
                   "({type_at}), not \"AuthType token\", so every request here would be refused. "
                   "Use \"AuthType token\" and \"Require valid-user\" here instead.")

TOKEN_SECTION = "    AuthType token\n    AuthName files\n    Require valid-user\n"

HOME_REFUSED = {
    # name: (snippets, section path, the AuthType in force or None, its line's text)
    "no AuthType": (["<Location /files>\n    Require valid-user\n    TokenAuthHome public\n"
                     "</Location>"], "/files", None, None),
    "AuthType Basic": (["<Location /files>\n    AuthType Basic\n    AuthName files\n"
                        "    Require valid-user\n    TokenAuthHome public\n</Location>"],
                       "/files", "Basic", "AuthType Basic"),
    "token, then Basic later in the section": (
        ["<Location /files>\n" + TOKEN_SECTION + "    TokenAuthHome public\n"
         "    AuthType Basic\n</Location>"], "/files", "Basic", "AuthType Basic"),
    "token at a prefix that is not a whole segment": (
        ["<Location /fil>\n" + TOKEN_SECTION + "</Location>",
         "<Location /files>\n    TokenAuthHome public\n</Location>"], "/files", None, None),
    "token at a longer path only": (
        ["<Location /files/sub>\n" + TOKEN_SECTION + "</Location>",
         "<Location /files>\n    TokenAuthHome public\n</Location>"], "/files", None, None),
    "token in another virtual host": (
        ["<VirtualHost 127.0.0.1:1>\n<Location />\n" + TOKEN_SECTION + "</Location>\n"
         "</VirtualHost>",
         "<VirtualHost 127.0.0.1:2>\n<Location /files>\n    TokenAuthHome public\n"
         "</Location>\n</VirtualHost>"], "/files", None, None),
    "token in a virtual host, home in the main server": (
        ["<VirtualHost 127.0.0.1:1>\n<Location />\n" + TOKEN_SECTION + "</Location>\n"
         "</VirtualHost>",
         "<Location /files>\n    TokenAuthHome public\n</Location>"], "/files", None, None),
    "a later prefix section sets Basic": (
        ["<Location /files>\n" + TOKEN_SECTION + "    TokenAuthHome public\n</Location>",
         "<Location />\n    AuthType Basic\n</Location>"], "/files", "Basic", "AuthType Basic"),
    "a LocationMatch that does not match": (
        ["<LocationMatch ^/other>\n" + TOKEN_SECTION + "</LocationMatch>",
         "<Location /files>\n    TokenAuthHome public\n</Location>"], "/files", None, None),
    "AuthType None": (["<Location /files>\n    AuthType None\n    TokenAuthHome public\n"
                       "</Location>"], "/files", "None", "AuthType None"),
}


@pytest.mark.parametrize("name", list(HOME_REFUSED))
def test_home_without_token_auth_is_refused(harness, name):
    snippets, path, auth_type, type_line = HOME_REFUSED[name]
    server, result = configtest_of(harness, *snippets)
    assert result.returncode != 0, result.stderr
    at = where(server, "TokenAuthHome public")
    if auth_type is None:
        expected = HOME_NO_AUTH.format(at=at, path=path)
    else:
        expected = HOME_OTHER_AUTH.format(at=at, path=path, type=auth_type,
                                          type_at=where(server, type_line))
    assert message_lines(result) == [expected], result.stderr


HOME_ACCEPTED = {
    "token in the same section": ["<Location /files>\n" + TOKEN_SECTION
                                  + "    TokenAuthHome public\n</Location>"],
    "TOKEN in capitals, after TokenAuthHome": [
        "<Location /files>\n    TokenAuthHome public\n    AuthType TOKEN\n    AuthName files\n"
        "    Require valid-user\n</Location>"],
    "quoted \"token\"": ["<Location /files>\n    AuthType \"token\"\n    AuthName files\n"
                         "    Require valid-user\n    TokenAuthHome public\n</Location>"],
    "token at a prefix Location": ["<Location /files>\n" + TOKEN_SECTION + "</Location>",
                                   "<Location /files/sub>\n    TokenAuthHome public\n</Location>"],
    "token at a later prefix Location /": [
        "<Location /files/sub>\n    TokenAuthHome public\n</Location>",
        "<Location />\n" + TOKEN_SECTION + "</Location>"],
    "token at a prefix with a slash": ["<Location /files/>\n" + TOKEN_SECTION + "</Location>",
                                       "<Location /files>\n    TokenAuthHome public\n</Location>"],
    "token in a LocationMatch": ["<LocationMatch \"^/fi(les|x)\">\n" + TOKEN_SECTION
                                 + "</LocationMatch>",
                                 "<Location /files>\n    TokenAuthHome public\n</Location>"],
    "token in a Location ~": ["<Location ~ \"/files/\">\n" + TOKEN_SECTION + "</Location>",
                              "<Location /files>\n    TokenAuthHome public\n</Location>"],
    "token in the main server, home in a virtual host": [
        "<Location />\n" + TOKEN_SECTION + "</Location>",
        "<VirtualHost 127.0.0.1:1>\n<Location /files>\n    TokenAuthHome public\n"
        "</Location>\n</VirtualHost>"],
    "token in the same virtual host": [
        "<VirtualHost 127.0.0.1:1>\n<Location /files>\n" + TOKEN_SECTION + "</Location>\n"
        "<Location /files/sub>\n    TokenAuthHome public\n</Location>\n</VirtualHost>"],
    "token in an <IfModule> of the same virtual host": [
        "<VirtualHost 127.0.0.1:1>\n<IfModule mod_alias.c>\n<Location />\n" + TOKEN_SECTION
        + "</Location>\n</IfModule>\n<Location /files>\n    TokenAuthHome public\n"
        "</Location>\n</VirtualHost>"],
    "token in an <If> of the section": [
        "<Location /files>\n    TokenAuthHome public\n    <If \"%{HTTPS} != 'on'\">\n"
        "        AuthType token\n        AuthName files\n        Require valid-user\n"
        "    </If>\n</Location>"],
    "token in a <Limit> of the section": [
        "<Location /files>\n    TokenAuthHome public\n    <Limit GET>\n" + TOKEN_SECTION
        + "    </Limit>\n</Location>"],
    "Off needs no AuthType": ["<Location /files>\n    TokenAuthHome Off\n</Location>"],
}


@pytest.mark.parametrize("name", list(HOME_ACCEPTED))
def test_home_under_token_auth_passes_configtest(harness, name):
    server, result = configtest_of(harness, *HOME_ACCEPTED[name])
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr


def test_home_inside_an_if_is_refused_by_its_placement(harness):
    """TokenAuthHome belongs directly in a <Location>: in an <If> inside one (even with
    "AuthType token" around it) the placement rule refuses it first."""
    server, result = configtest_of(
        harness, "<Location /files>\n" + TOKEN_SECTION + "    <If \"true\">\n"
        "        TokenAuthHome public\n    </If>\n</Location>")
    assert result.returncode != 0
    assert message_lines(result) == [
        "TokenAuthHome (%s): belongs in a <Location /path> section (not a regex, not "
        "<Directory>, not the server level)" % where(server, "TokenAuthHome public")], \
        result.stderr


def test_home_under_a_prefix_location_serves_the_users_file(apache_factory, mint, alice):
    """The legitimate configuration the check accepts also works: /files of the default site
    has "AuthType token", and a home at /files/mine below it serves alice her own file."""
    from taharness.homefiles import put_file
    from taharness.http import Client

    put_file(alice, "prefix-case.txt", "alice's file under a prefix location\n")
    srv = apache_factory("home-prefix",
                         extra=["<Location /files/mine>\n    TokenAuthHome public\n</Location>"])
    with Client(srv.base_url) as c:
        r = c.get("/files/mine/prefix-case.txt",
                  headers={"Authorization": "Bearer " + mint("alice")})
        assert r.status_code == 200, (r.status_code, r.content[:200])
        assert r.content == b"alice's file under a prefix location\n"
        anonymous = c.get("/files/mine/prefix-case.txt")
        assert anonymous.status_code == 401
        assert b"alice's file" not in anonymous.content
