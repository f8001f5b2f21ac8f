"""The TokenAuthHome start-up check reads every <Location> and <LocationMatch> once for each
home: a large configuration (a home per group, hundreds of regular expressions) must still
pass configtest in bounded memory, not keep every regular expression it compiled for every
home until the whole configuration is read."""

import os
import resource
import time

from taharness.site import key_file_line

HOMES = 1000
MATCHES = 1000
MAX_RSS_MIB = 200  # a plain configtest of this configuration needs well under 100 MiB


def sections():
    for i in range(MATCHES):
        yield ('<LocationMatch "^/m%d/(a|b)+x">\n    AuthType token\n    AuthName files\n'
               '    Require valid-user\n</LocationMatch>' % i)
    for i in range(HOMES):
        yield ('<Location /h%d>\n    AuthType token\n    AuthName files\n'
               '    Require valid-user\n    TokenAuthHome public\n</Location>' % i)


def peak_of(run):
    """run() in a forked process of its own; the largest peak RSS (MiB) of the processes it
    waited for. This process's own children (earlier tests') would count otherwise."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            ok = run()
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            os.write(w, ("%d %f" % (ok, peak)).encode())
        except BaseException:
            code = 1
        os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    os.waitpid(pid, 0)
    ok, peak = out.split()
    return ok == "1", float(peak)


def test_many_homes_and_regular_expressions_pass_configtest_in_bounded_memory(harness):
    server = harness.apache("home-check-scale",
                            snippets=[key_file_line(harness.key_file.path)] + list(sections()))
    if "ASAN_OPTIONS" in server.env:
        # ASan keeps freed blocks in quarantine (256 MiB): what the check frees must show
        server.env = dict(server.env, ASAN_OPTIONS=server.env["ASAN_OPTIONS"] +
                          ":quarantine_size_mb=0")

    def configtest():
        r = server.configtest()
        return r.returncode == 0 and "Syntax OK" in r.stderr

    started = time.monotonic()
    ok, peak_mib = peak_of(configtest)
    seconds = time.monotonic() - started
    assert ok, server.configtest().stderr[-2000:]
    assert peak_mib < MAX_RSS_MIB, "configtest peaked at %.0f MiB in %.1f s" % (peak_mib, seconds)
