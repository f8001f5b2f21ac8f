"""TokenAuthHomeCache under attack (SPEC §2, §6; docs/handlers.md, "The descriptor cache"): a
descriptor the helper opened for one user must never be reachable by code that is not ours in
the child, in any phase of any request, and a response must never be read from a descriptor
that was given back (closed, or lent to another request) while the response still used it.

- A PHP script calls virtual() on a home URL: the sub-request acts as the visitor (their cookie),
  and the script must not find the visitor's descriptor open once virtual() returns; nor may a
  script that an SSI page includes after a home file.
- The same sub-request, for a file larger than the socket can take at once: the part still
  waiting to be sent must come from the file, not from whatever descriptor took its number.
- A hook of another module in a phase before the handler (mod_lua's LuaHookFixups, which a
  user may put in an .htaccess file) must not find a cached descriptor.
- An ErrorDocument script that runs for a refused condition (412) or range (416) of a home
  file must not find the descriptor of the file that was refused.
- In a threaded child, code in another thread (a user's Lua handler) would find every
  descriptor the cache keeps: with a language module loaded in a threaded MPM there is no
  cache (TA00103), and the handler finds nothing of a finished request."""

import json
import os
import socket
import threading
import time

import pytest

from taharness import paths, php, site
from taharness.homefiles import PHP_SCAN, holders, location, put_file
from taharness.http import Client


def cookie(token):
    return {"Cookie": "tokenauth=" + token}


# --- PHP in the same child --------------------------------------------------------------------

# virtual() of ?u=, then the scan: what a script can reach after a sub-request of its own.
VIRTUAL_THEN_SCAN = "<?php\n" + PHP_SCAN + r"""
$own = fopen(__FILE__, "r");     /* the scan must find this one: it works */
echo "BEGIN\n";
virtual($_GET["u"]);
echo "\nSCAN " . json_encode(fd_scan()) . "\n";
"""

# virtual() of ?u=; two seconds later a file of the script's own is opened and kept for a
# while (it takes the lowest free descriptor number), then the end.
VIRTUAL_THEN_OPEN = r"""<?php
echo "BEGIN\n";
virtual($_GET["u"]);
sleep(2);
$mine = fopen(__FILE__, "r");
sleep(1);
echo "\nEND\n";
"""

# The scan, as a page that other pages include.
SCAN_LINE = "<?php\n" + PHP_SCAN + r"""
$own = fopen(__FILE__, "r");
echo "SCAN " . json_encode(fd_scan()) . "\n";
"""

# An SSI page of someone's: the visitor's file, then someone's script.
SSI_PAGE = """<!--#include virtual="{url}" -->
<!--#include virtual="/scanline.php" -->
"""

SCAN_ONLY = "<?php\n" + PHP_SCAN + r"""
$own = fopen(__FILE__, "r");
header("Content-Type: application/json");
echo json_encode(["fds" => fd_scan()]);
"""


def ssi_snippet(p):
    """mod_include for *.shtml below /ssi (without #exec, as user directories have it)."""
    return f"""
LoadModule include_module {paths.APACHE_MODULES}/mod_include.so
<Directory "{p.docroot}/ssi">
    Options +IncludesNOEXEC
    AddOutputFilter INCLUDES .shtml
</Directory>
"""


@pytest.fixture(scope="module")
def php_srv(harness):
    s = php.start_php_server(
        harness, "homecache-attacks-php",
        extra=[location("/c30", "TokenAuthHomeCache 30"), location("/c0", "TokenAuthHomeCache 0"),
               location("/s30", "TokenAuthHomeCache 30\n    EnableSendfile On"),
               location("/s0", "TokenAuthHomeCache 0\n    EnableSendfile On"),
               location("/s1", "TokenAuthHomeCache 1\n    EnableSendfile On"),
               "ErrorDocument 412 /scan.php\nErrorDocument 416 /scan.php\n", ssi_snippet])
    for name, text in (("virtual.php", VIRTUAL_THEN_SCAN), ("virtbig.php", VIRTUAL_THEN_OPEN),
                       ("scan.php", SCAN_ONLY), ("scanline.php", SCAN_LINE)):
        p = s.paths.docroot / name
        p.write_text(text)
        os.chmod(p, 0o644)
    return s


def scan_of(text):
    """The fds a script's SCAN line reported."""
    line = next(ln for ln in text.splitlines() if ln.startswith("SCAN "))
    return json.loads(line[len("SCAN "):])


def assert_nothing_of(seen, secret, folder):
    targets = [f["target"] for f in seen]
    assert any(t.endswith(".php") for t in targets), targets       # the scan works
    assert not any(folder in t for t in targets), targets
    assert secret.encode().hex() not in json.dumps(seen)


@pytest.mark.parametrize("loc", ["/c30", "/c0"])
def test_php_virtual_leaves_no_descriptor_of_the_visitor(php_srv, mint, alice, loc):
    """alice, signed in, visits someone's PHP page; it includes her file with virtual(). The
    file goes to her browser (the sub-request acts with her cookie), but once virtual()
    returns the script must find no descriptor of hers."""
    secret = "alice's diary, included by virtual()\n"
    folder = "/public/virt%s/" % loc.strip("/")
    put_file(alice, folder.split("/public/")[1] + "d.txt", secret)
    token = mint("alice", ttl=600)
    with Client(php_srv.base_url) as c:
        for _ in range(2):         # the second time from the cache, where there is one
            r = c.get("/virtual.php?u=%s%sd.txt" % (loc, folder[len("/public"):]),
                      headers=cookie(token))
            assert r.status_code == 200, r.text[:300]
            assert secret in r.text            # the legitimate path: the include works
            assert_nothing_of(scan_of(r.text), secret, folder)
        # and her own request is served as always
        r = c.get("%s%sd.txt" % (loc, folder[len("/public"):]), headers=cookie(token))
        assert r.status_code == 200 and r.text == secret


@pytest.mark.parametrize("loc", ["/c30", "/c0"])
def test_ssi_include_leaves_no_descriptor_for_the_next_include(php_srv, mint, alice, loc):
    """Someone's SSI page includes the visitor's file, then a script of theirs: the script
    must not find the descriptor of the file included before it (mod_include keeps its
    sub-requests until the page is done)."""
    secret = "alice's file, included by an SSI page\n"
    folder = "/public/ssi%s/" % loc.strip("/")
    put_file(alice, folder.split("/public/")[1] + "s.txt", secret)
    page = php_srv.paths.docroot / "ssi" / ("page%s.shtml" % loc.strip("/"))
    page.parent.mkdir(exist_ok=True)
    os.chmod(page.parent, 0o755)
    page.write_text(SSI_PAGE.format(url="%s%ss.txt" % (loc, folder[len("/public"):])))
    os.chmod(page, 0o644)
    token = mint("alice", ttl=600)
    with Client(php_srv.base_url) as c:
        for _ in range(2):
            r = c.get("/ssi/" + page.name, headers=cookie(token))
            assert r.status_code == 200, r.text[:300]
            assert secret in r.text            # the legitimate path: the include works
            assert_nothing_of(scan_of(r.text), secret, folder)


def slow_get(port, target, headers, wait):
    """An HTTP/1.0 GET from a client that reads nothing for wait seconds (a small receive
    buffer: the server cannot send much meanwhile), then everything: (head, body)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(60)
    try:
        s.connect(("127.0.0.1", port))
        lines = ["GET %s HTTP/1.0" % target, "Host: 127.0.0.1"]
        lines += ["%s: %s" % kv for kv in headers.items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        time.sleep(wait)
        data = bytearray()
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    return head, body


@pytest.mark.parametrize("loc", ["/s0", "/s1", "/s30", "/c0"])
def test_php_virtual_of_a_large_file_arrives_whole(php_srv, mint, alice, loc):
    """virtual() returns while most of a large file still waits for the client; the rest must
    come from that file, whatever the script opens afterwards, and however long the cache
    keeps the descriptor (/s1: the sweeper closes it meanwhile). With sendfile (/s*) the part
    not yet sent stays a file bucket that names the descriptor; without it (/c0) httpd maps
    the file into memory as it goes."""
    line = b"".join(b"alice's big file, line %08d\n" % i for i in range(1000))
    data = line * 600                     # 17 MB: more than the socket buffers hold
    folder = "big%s" % loc.strip("/")
    put_file(alice, folder + "/big.txt", data)
    token = mint("alice", ttl=600)
    head, body = slow_get(php_srv.port, "/virtbig.php?u=%s/%s/big.txt" % (loc, folder),
                          cookie(token), wait=5)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    assert body.startswith(b"BEGIN\n")
    got = body[len(b"BEGIN\n"):]
    assert len(got) == len(data) + len(b"\nEND\n"), (len(got), len(data))
    assert got[:len(data)] == data
    assert got.endswith(b"\nEND\n")


@pytest.mark.parametrize("loc", ["/c30", "/c0"])
@pytest.mark.parametrize("status,headers", [
    (412, {"If-Match": '"not-this-one"'}),
    (416, {"Range": "bytes=100000-200000"}),
])
def test_error_document_finds_no_descriptor_of_a_refused_condition(php_srv, mint, alice, loc,
                                                                    status, headers):
    """The helper opened alice's file; the condition or the range then refused it, and the
    ErrorDocument for that status is a script: it must not find her descriptor."""
    secret = "alice's file behind a condition\n"
    folder = "/public/cond%s%d/" % (loc.strip("/"), status)
    put_file(alice, folder.split("/public/")[1] + "f.txt", secret)
    url = "%s%sf.txt" % (loc, folder[len("/public"):])
    token = mint("alice", ttl=600)
    with Client(php_srv.base_url) as c:
        assert c.get(url, headers=cookie(token)).text == secret       # cached, where it can be
        r = c.get(url, headers=dict(cookie(token), **headers))
        assert r.status_code == status, r.text[:300]
        seen = r.json()["fds"]                  # the ErrorDocument script ran
        targets = [f["target"] for f in seen]
        assert any(t.endswith("/scan.php") for t in targets), targets
        assert not any(folder in t for t in targets), targets
        assert secret.encode().hex() not in json.dumps(seen)
        assert c.get(url, headers=cookie(token)).text == secret


# --- another module's hook in a phase before the handler -------------------------------------

LUA_SCAN = r"""
-- Every regular file this process has open, opened again through /proc/self/fd (no FFI: a
-- file the worker user may read, in a home it may not enter).
function scan(r)
    local found = {}
    for fd = 0, 255 do
        local p = "/proc/self/fd/" .. fd
        local st = r:stat(p)
        if st and st.filetype == 1 then
            local f = io.open(p, "r")
            if f then
                local data = f:read(200) or ""
                f:close()
                found[#found + 1] = fd .. "=" .. data:gsub("[^%w ]", ".")
            end
        end
    end
    r.err_headers_out["X-Lua-Found"] = table.concat(found, ";")
    return apache2.DECLINED
end
"""


@pytest.fixture(scope="module")
def lua_srv(harness):
    """Prefork (one request at a time per child, where the cache is on) with mod_lua."""
    def snippet(p):
        return f"""
LoadModule lua_module {paths.APACHE_MODULES}/mod_lua.so
{location("/c5", "TokenAuthHomeCache 5")}
<Directory "{p.docroot}/lua">
    AllowOverride FileInfo
</Directory>
"""
    harness.users  # the harness is started
    srv = php.PreforkServer(harness.ns, harness.workdir / "homecache-attacks-lua",
                            [site.default_site(harness.key_file.path), snippet],
                            modules=php.PREFORK_MODULES,
                            env=harness.sanitizers.env(paths.module_path()),
                            populate=site.populate)
    harness.servers.append(srv)
    d = srv.paths.docroot / "lua"
    d.mkdir(parents=True, exist_ok=True)
    (d / "scan.lua").write_text(LUA_SCAN)
    (d / ".htaccess").write_text('LuaHookFixups "%s" scan\n' % (d / "scan.lua"))
    (d / "plain.txt").write_text("plain\n")
    for p in (d, d / "scan.lua", d / ".htaccess", d / "plain.txt"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return srv.start()


def test_htaccess_lua_hook_finds_no_cached_descriptor(lua_srv, mint, alice):
    """A user's .htaccess hooks Lua code into fixups of its own folder; on the connection
    (the child) that served alice a moment ago, the hook must find no descriptor of hers."""
    secret = "alice lua secret"
    put_file(alice, "lua/a.txt", secret + "\n")
    token = mint("alice", ttl=600)
    with Client(lua_srv.base_url) as c:
        r = c.get("/c5/lua/a.txt", headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200 and r.text == secret + "\n"
        assert holders(lua_srv, "/public/lua/a.txt"), "the cache kept nothing: nothing to test"
        r = c.get("/lua/plain.txt")
        assert r.status_code == 200 and r.text == "plain\n"
        found = r.headers.get("X-Lua-Found")
        assert found, "the hook did not run or found no file at all"   # it sees the logs
        assert secret.replace("'", ".") not in found, found
        # alice is served again afterwards
        r = c.get("/c5/lua/a.txt", headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200 and r.text == secret + "\n"


# --- code in another thread of the same child ------------------------------------------------

# A Lua handler (a user may turn *.lua into one with AddHandler in an .htaccess file) that waits
# until the test says alice's request is over, then reads every regular file the process still
# has open.
LUA_WAIT_AND_SCAN = r"""
function handle(r)
    local go = r.filename:gsub("[^/]*$", "") .. "go-" .. (r.args or "")
    for _ = 1, 1000 do
        if r:stat(go) then break end
        r.usleep(10000)
    end
    r.content_type = "text/plain"
    for fd = 0, 255 do
        local p = "/proc/self/fd/" .. fd
        local st = r:stat(p)
        if st and st.filetype == 1 then
            local f = io.open(p, "r")
            if f then
                r:puts(fd, "=", (f:read(200) or ""):gsub("[^%w ]", "."), "\n")
                f:close()
            end
        end
    end
    return apache2.OK
end
"""


@pytest.fixture(scope="module")
def lua_one_child(harness):
    """The event MPM with one child (so that every connection reaches it) and mod_lua, whose
    handler a user's .htaccess may name."""
    def snippet(p):
        return f"""
LoadModule lua_module {paths.APACHE_MODULES}/mod_lua.so
{location("/c")}
{location("/c0", "TokenAuthHomeCache 0")}
<Directory "{p.docroot}/luah">
    AllowOverride FileInfo
</Directory>
"""
    srv = harness.apache("homecache-attacks-lua1", extra=[snippet])
    one_child = srv.config_text
    srv.config_text = lambda: (one_child().replace("StartServers 2\n", "StartServers 1\n")
                               .replace("ServerLimit 2\n", "ServerLimit 1\n")
                               .replace("MaxRequestWorkers 16\n", "MaxRequestWorkers 8\n"))
    d = srv.paths.docroot / "luah"
    d.mkdir(parents=True, exist_ok=True)
    (d / "scan.lua").write_text(LUA_WAIT_AND_SCAN)
    (d / ".htaccess").write_text("AddHandler lua-script .lua\n")
    os.chmod(d, 0o777)          # the test's go-files appear here
    for p in (d / "scan.lua", d / ".htaccess"):
        os.chmod(p, 0o644)
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("loc", ["/c0", "/c"])
def test_code_in_another_thread_finds_no_descriptor_of_a_finished_request(lua_one_child, mint,
                                                                          alice, loc):
    """A user's Lua handler runs in one thread of the child while alice's request is served in
    another; once her request is over, the handler must find nothing of hers."""
    secret = "alice threaded secret"
    folder = "thr%s" % loc.strip("/")
    put_file(alice, folder + "/t.txt", secret + "\n")
    token = mint("alice", ttl=600)
    result = {}

    def scan():
        with Client(lua_one_child.base_url, timeout=30) as c:
            result["r"] = c.get("/luah/scan.lua?" + folder)

    t = threading.Thread(target=scan)
    t.start()
    time.sleep(0.5)                         # the handler waits for its go-file now
    with Client(lua_one_child.base_url) as c:
        r = c.get("%s/%s/t.txt" % (loc, folder), headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200 and r.text == secret + "\n"
    time.sleep(0.1)                         # her request is over
    go = lua_one_child.paths.docroot / "luah" / ("go-" + folder)
    go.write_text("")
    t.join(30)
    r = result["r"]
    assert r.status_code == 200 and "=" in r.text, r.text[:300]    # the scan works (logs)
    assert secret not in r.text, r.text


def test_threaded_server_with_a_language_module_has_no_cache(lua_one_child, php_srv, lua_srv):
    """The notice says why; the prefork servers (mod_php, mod_lua) keep their cache."""
    assert "TA00103: mod_lua.c runs code inside" in lua_one_child.error_log.text(0)
    assert "TA00103" not in php_srv.error_log.text(0)
    assert "TA00103" not in lua_srv.error_log.text(0)
