"""The TokenAuthHome start-up check reads every <Location> and <LocationMatch> once for each
home: a large configuration (a home per group, hundreds of regular expressions) must still
pass configtest in bounded memory, not keep every regular expression it compiled for every
home until the whole configuration is read."""

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


def test_many_homes_and_regular_expressions_pass_configtest_in_bounded_memory(harness):
    server = harness.apache("home-check-scale",
                            snippets=[key_file_line(harness.key_file.path)] + list(sections()))
    started = time.monotonic()
    result = server.configtest()
    seconds = time.monotonic() - started
    assert result.returncode == 0 and "Syntax OK" in result.stderr, result.stderr[-2000:]
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mib < MAX_RSS_MIB, "configtest peaked at %.0f MiB in %.1f s" % (peak_mib, seconds)
