"""The privileged helper is its own program (SPEC §6, issue 9): `tokenauth-helper`, exec'd by
the module with a clean environment and only the descriptors it needs, linking libc and
libcrypto but no APR, httpd or jansson; after start-up it keeps only CAP_SETUID and
CAP_SETGID, with no_new_privs set; PAM runs in a broker process of its own, a child of the
helper."""

import filecmp
import re
import subprocess

import pytest

from taharness import helperproc, paths, procs
from taharness.http import Client
from taharness.site import RELAXED_THROTTLE

HELPER = paths.build_dir() / "tokenauth-helper"
# the module runs the helper installed next to itself (make puts a copy there)
RUN_HELPER = paths.module_path().parent / "tokenauth-helper"
CAP_SETGID, CAP_SETUID = 6, 7
FILE_SIDE_CAPS = (1 << CAP_SETUID) | (1 << CAP_SETGID)     # 0xc0
MARKER = "TA_TEST_APACHE_ONLY"          # set in Apache's environment; must not reach the helper
# The sanitizer runtime needs its own variables in every process it runs in.
SANITIZER_VARS = re.compile(r"^(ASAN|UBSAN|LSAN)_OPTIONS$|^LD_PRELOAD$")
HOME_SITE = """
<Location /mine>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
"""


@pytest.fixture(scope="module")
def srv(apache_factory, alice):
    server = apache_factory("main", extra=[RELAXED_THROTTLE, HOME_SITE], start=False)
    server.env[MARKER] = "apache-only"
    server.start()
    # one login and one home file: the helper has served both kinds of request
    with Client(server.base_url) as c:
        r = c.login(alice.name, alice.password)
        assert r.status_code == 200, (r.status_code, r.text)
        r = c.get("/mine/hello.txt", headers={"Authorization": "Bearer " + r.json()["token"]})
        assert (r.status_code, r.text) == (200, "hello from alice\n")
    return server


@pytest.fixture(scope="module")
def helper(srv) -> int:
    live = [p.pid for p in helperproc.helpers_of(srv) if p.state != "Z"]
    assert len(live) == 1, "expected one helper child of Apache, found %s" % live
    return live[0]


@pytest.fixture(scope="module")
def ldd():
    assert HELPER.exists(), "not built: %s" % HELPER
    out = subprocess.run(["ldd", str(HELPER)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=10, check=True).stdout
    return [ln.split()[0] for ln in out.splitlines() if ln.strip()]


# --- what it links ----------------------------------------------------------------------------

@pytest.mark.parametrize("lib", ["libapr-1", "libaprutil-1", "libjansson"])
def test_helper_program_does_not_link(ldd, lib):
    assert not [n for n in ldd if n.startswith(lib + ".")], ldd


def test_helper_program_links_libcrypto(ldd):
    assert [n for n in ldd if n.startswith("libcrypto.")], ldd


# --- what runs --------------------------------------------------------------------------------

def test_running_helper_is_the_helper_program_not_apache(helper):
    assert procs.exe(helper) == str(RUN_HELPER.resolve())
    assert filecmp.cmp(RUN_HELPER, HELPER, shallow=False), "the copy is not the built program"
    assert procs.comm(helper) == helperproc.HELPER_COMM


def test_helper_environment_holds_nothing_of_apaches(srv, helper):
    assert procs.environ(srv.pid()).get(MARKER) == "apache-only"      # the premise
    env = procs.environ(helper)
    assert MARKER not in env
    extra = sorted(k for k in env if not SANITIZER_VARS.match(k))
    assert not extra, "variables in the helper's environment: %s" % extra


def test_helper_standard_input_and_output_are_dev_null(helper):
    fds = procs.descriptors(helper)
    assert fds.get(0) == "/dev/null" and fds.get(1) == "/dev/null", fds


def test_helper_holds_no_internet_socket(srv, helper):
    inet = procs.inet_socket_inodes(helper)
    listening = {i for i, (_, state) in inet.items() if state == "0A"}
    assert procs.socket_inodes(srv.pid()) & listening, "premise: Apache's listener is seen"
    held = procs.socket_inodes(helper) & set(inet)
    assert not held, {i: inet[i] for i in held}


def test_helper_holds_no_apache_file_but_the_error_log(srv, helper, key_file):
    """No access log, no configuration, no key file (read at start and closed), nothing of
    the server root but the error log and the revocation ledger below the runtime dir."""
    allowed = {str(srv.paths.error_log)}
    files = {fd: t for fd, t in procs.descriptors(helper).items() if t.startswith("/")}
    unexpected = {fd: t for fd, t in files.items()
                  if t not in allowed and t != "/dev/null"
                  and not t.startswith(str(srv.paths.run) + "/")}
    assert not unexpected, unexpected
    assert str(srv.paths.access_log) not in files.values()
    assert str(key_file.path) not in files.values()


def test_helper_keeps_only_setuid_and_setgid_capabilities(helper):
    assert procs.cap_mask(helper, "CapEff") == FILE_SIDE_CAPS, procs.status(helper)["CapEff"]
    assert procs.cap_mask(helper, "CapPrm") == FILE_SIDE_CAPS, procs.status(helper)["CapPrm"]
    assert procs.cap_mask(helper, "CapInh") == 0
    assert procs.cap_mask(helper, "CapAmb") == 0


def test_helper_sets_no_new_privs(helper):
    assert procs.status(helper)["NoNewPrivs"] == "1"


def test_pam_broker_is_a_separate_child_of_the_helper(helper):
    kids = procs.children(helper)
    assert len(kids) == 1, "expected the PAM broker as the helper's one child: %s" % kids
    broker = kids[0]
    assert broker != helper
    assert procs.exe(broker) == str(RUN_HELPER.resolve())
    assert procs.status(broker)["Threads"] == "1", "the broker is single-threaded"
