"""The TokenAuthHome start-up check reads every <Location> and <LocationMatch> once for each
home: a large configuration (a home per group, hundreds of regular expressions) must still
pass configtest in bounded memory, not keep every regular expression it compiled for every
home until the whole configuration is read."""

import json
import time

from taharness.namespace import PYTHON
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


# Runs argv[2:] with the environment additions of argv[1] (JSON) and prints its peak RSS in
# KiB. A small process of its own starts it: Linux keeps the largest RSS a process had before
# exec, so a child forked from the test runner (hundreds of MiB by then) would report that.
MEASURE = """
import json, os, resource, subprocess, sys
r = subprocess.run(sys.argv[2:], env=dict(os.environ, **json.loads(sys.argv[1])),
                   capture_output=True, text=True)
sys.stderr.write(r.stderr)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def test_many_homes_and_regular_expressions_pass_configtest_in_bounded_memory(harness):
    server = harness.apache("home-check-scale",
                            snippets=[key_file_line(harness.key_file.path)] + list(sections()))
    env = dict(server.env)
    if "ASAN_OPTIONS" in env:
        # ASan keeps freed blocks in quarantine (256 MiB): what the check frees must show
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=0"
    server.write_config()
    started = time.monotonic()
    r = harness.ns.run([PYTHON, "-I", "-c", MEASURE, json.dumps(env)] +
                       [str(a) for a in server._argv("-t")], timeout=120)
    seconds = time.monotonic() - started
    code, peak_kib = r.stdout.split()
    assert code == "0" and "Syntax OK" in r.stderr, r.stderr[-2000:]
    peak_mib = int(peak_kib) / 1024
    assert peak_mib < MAX_RSS_MIB, "configtest peaked at %.0f MiB in %.1f s" % (peak_mib, seconds)
