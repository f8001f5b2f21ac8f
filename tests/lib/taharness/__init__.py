"""taharness: start a real Apache httpd with mod_tokenauth against throw-away system users.

The pieces, one concern per file:

  paths       where the module, the CLI and Apache live (TA_BUILD, repo root)
  hostguard   proof that the real /etc and /home were left alone
  namespace   a private mount namespace in which the test users exist; commands in it as
              root or, through setpriv, as any user (python_as for small clients)
  users       add, delete, re-create and lock users inside that namespace
  keys        key files in the module's "KID SECRET" format, rotation
  tokens      minting with the tokenauth CLI and forging with our own JWS code
  apacheconf  an httpd.conf built from a base plus snippets
  site        the default site: /login, files behind AuthType token, a login-URL location,
              a CGI
  errorlog    reading the error log and judging its error lines
  sanitizers  ASan/UBSan environment and report collection (TA_SANITIZE=1)
  apache      one Apache server: start, reload, stop, configtest, logs
  helperproc  the privileged helper from outside: its processes in /proc, its socket, raw
              frames of its protocol and a client that speaks them as a chosen user
  http        HTTP clients that always time out (JSON and form logins)
  ports       free loopback ports
  waiting     bounded polling instead of guessed sleeps
  expect      what the contract says answers look like (401 shapes, logged refusal reasons)
  harness     all of the above wired together (used by pytest, the demo and the benchmark)
"""

from .harness import Harness

__all__ = ["Harness"]
