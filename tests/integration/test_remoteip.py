"""Behind a reverse proxy (docs/handlers.md, "Behind a reverse proxy or load balancer"): with
mod_remoteip, the client address that TokenAuthLoginThrottle counts, that PAM gets as
PAM_RHOST and that the error log names is r->useragent_ip, which mod_remoteip takes from
X-Forwarded-For only when the connection comes from a proxy it was told to trust.

The proxy is simulated: requests sent from 127.0.0.2 (a loopback address of their own) with
the X-Forwarded-For header a proxy would add. Every other client connects from 127.0.0.1.

  right     RemoteIPHeader X-Forwarded-For + RemoteIPInternalProxy 127.0.0.2: a client that
            forges the header is still counted by its own address; clients behind the proxy are
            counted one by one, and a throttled one locks out nobody else
  naive     RemoteIPHeader X-Forwarded-For alone: mod_remoteip then believes the header from
            everyone, and a client that writes a new address into it for every guess is never
            throttled by address (the danger the documentation warns of)

The PAM service has pam_unix "nodelay", so failures answer at once."""

import json
import re

import pytest

from taharness import paths
from taharness.http import raw_request

LIMIT = 3
NODELAY_SERVICE = "ta-remoteip-nodelay"
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"
PROXY = "127.0.0.2"
LOAD_REMOTEIP = "LoadModule remoteip_module %s/mod_remoteip.so" % paths.APACHE_MODULES


@pytest.fixture(scope="module")
def nodelay(harness):
    harness.pam_service(NODELAY_SERVICE, NODELAY_PAM)
    yield "TokenAuthPAMService " + NODELAY_SERVICE
    harness.remove_pam_service(NODELAY_SERVICE)


@pytest.fixture(scope="module")
def right(apache_factory, nodelay):
    return apache_factory("right", extra=[
        nodelay, "TokenAuthLoginThrottle %d 300 300" % LIMIT, LOAD_REMOTEIP,
        "RemoteIPHeader X-Forwarded-For", "RemoteIPInternalProxy %s" % PROXY])


@pytest.fixture(scope="module")
def naive(apache_factory, nodelay):
    return apache_factory("naive", extra=[
        nodelay, "TokenAuthLoginThrottle %d 300 300" % LIMIT, LOAD_REMOTEIP,
        "RemoteIPHeader X-Forwarded-For"])


def login(server, user, password, forwarded_for=None, source=None):
    """A JSON login, with an X-Forwarded-For header when given, sent from source."""
    headers = [("Content-Type", "application/json")]
    if forwarded_for is not None:
        headers.append(("X-Forwarded-For", forwarded_for))
    body = json.dumps({"username": user, "password": password}).encode()
    return raw_request(server.port, "POST", "/login", headers=headers, body=body,
                       source=source).status


def login_lines(server, since) -> list:
    return re.findall(r"TA0002[01]: login of (\S+) from (\S+) (\w+)", server.error_log.text(since))


# --- the right set-up -----------------------------------------------------------------------

def test_forged_header_from_a_client_does_not_escape_the_address_count(right):
    """The attacker, on 127.0.0.1 (no proxy), writes a new address into X-Forwarded-For for
    every guess and a new user name too (so that no name is locked): after LIMIT failures its
    own address is locked, whatever the header says; the log names 127.0.0.1."""
    mark = right.error_log.mark()
    statuses = [login(right, "guess%d" % i, "pw", "198.51.100.%d" % i) for i in range(LIMIT + 2)]
    assert statuses == [401] * LIMIT + [429, 429]
    addresses = {addr for _, addr, _ in login_lines(right, mark)}
    assert addresses == {"127.0.0.1"}


def test_clients_behind_the_trusted_proxy_are_counted_one_by_one(right, alice):
    """Through the proxy: one client guesses until it is throttled; another client of the same
    proxy still logs in; the log names each client's own address, not the proxy's."""
    mark = right.error_log.mark()
    guesser, other = "203.0.113.10", "203.0.113.20"
    statuses = [login(right, "victim%d" % i, "pw", guesser, PROXY) for i in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]
    assert login(right, "alice", alice.password, other, PROXY) == 200
    lines = login_lines(right, mark)
    assert ("victim0", guesser, "failed") in lines
    assert ("alice", other, "succeeded") in lines
    assert PROXY not in {addr for _, addr, _ in lines}


def test_address_a_client_puts_before_the_proxys_is_ignored(right):
    """A client behind the proxy forges its own X-Forwarded-For; the proxy appends the real
    address, and only that one (the rightmost the trusted proxy vouches for) counts: the
    guesser stays locked whatever it writes in front."""
    guesser = "203.0.113.30"
    for i in range(LIMIT):
        assert login(right, "forger%d" % i, "pw", "198.51.100.%d, %s" % (i, guesser),
                     PROXY) == 401
    assert login(right, "forger9", "pw", "198.51.100.99, " + guesser, PROXY) == 429


def test_request_from_the_proxy_without_the_header_counts_as_the_proxy(right):
    """Nothing to take over: the connection's own address, as for any client."""
    mark = right.error_log.mark()
    assert login(right, "plain", "pw", None, PROXY) == 401
    assert ("plain", PROXY, "failed") in login_lines(right, mark)


# --- the naive set-up, for the record -------------------------------------------------------

def test_naive_setup_lets_a_forged_header_choose_the_address(naive):
    """Without RemoteIPInternalProxy (or RemoteIPTrustedProxy), mod_remoteip believes the
    header from every client: the attacker is never throttled by address, and the log names
    whatever addresses it made up. This is why the set-up must name its proxies."""
    mark = naive.error_log.mark()
    statuses = [login(naive, "naive%d" % i, "pw", "198.51.100.%d" % i) for i in range(LIMIT + 3)]
    assert statuses == [401] * (LIMIT + 3)
    addresses = {addr for _, addr, _ in login_lines(naive, mark)}
    assert addresses == {"198.51.100.%d" % i for i in range(LIMIT + 3)}
