#!/usr/bin/env python3
"""`make -f Makefile.apxs demo`: a real Apache with mod_tokenauth on 127.0.0.1 and a demo
account that exists only inside a private mount namespace (the machine's own /etc and /home
are never touched). Prints where to point a browser or curl, then waits for Ctrl-C and stops
everything it started."""

import secrets
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from taharness import Harness  # noqa: E402
from taharness.site import MINT, WHOAMI  # noqa: E402

DEMO_USER = "demo"

# The product itself: each user's own 0700 home, served to that user only, through the helper.
HOME_SITE = """
<Location /home>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthLoginURL /login
    TokenAuthHome .
</Location>
<Location /auth/jwks>
    SetHandler tokenauth-jwks
</Location>
"""

# A page behind the token with the two ways to log out: logout is POST only, so a browser
# needs a form (no JavaScript).
ACCOUNT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Your session</title></head>
<body><main><h1>Your session</h1>
<p><a href="/auth/whoami">Who am I?</a> &middot; <a href="/files/hello.txt">a file</a></p>
<form method="post" action="/auth/mint"><p><label for="p">Share a file (path)</label>
<input id="p" name="path" value="/files/hello.txt"> <input type="hidden" name="kind" value="share">
<label for="t">for seconds</label> <input id="t" name="ttl" value="3600">
<button type="submit">Make a share link</button></p></form>
<form method="post" action="/logout"><button type="submit">Log out</button></form>
<form method="post" action="/logout"><input type="hidden" name="all" value="1">
<button type="submit">Log out everywhere</button></form>
</main></body></html>
"""


def wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(3600):
        pass


def explain(server, user, url_token) -> None:
    base = server.base_url
    print(f"""
mod_tokenauth demo is running: {base}/

  log in from a browser:  {base}/login?return=/home/
      user {user.name}, password {user.password}
      (this account exists only in the demo's private namespace; PAM checks it for real)
  your own home (mode 0700, read through the privileged helper as {user.name}):
                          {base}/home/
  a static file:          {base}/files/hello.txt      (the session cookie does it)
  and ask who you are:    {base}/auth/whoami
  the public keys (JWKS) backends verify tokens with: {base}/auth/jwks
  log out, share a file:  {base}/web/account.html   (forms; a share link comes back as JSON)

  from curl, log in with JSON and use the token as a bearer token:
      curl -s -H 'Content-Type: application/json' \\
           -d '{{"username":"{user.name}","password":"{user.password}"}}' {base}/login
      curl -H 'Authorization: Bearer TOKEN' {base}/home/
      curl -H 'Authorization: Bearer TOKEN' -H 'Accept: application/json' {base}/home/
      curl -X POST -H 'Authorization: Bearer TOKEN' -H 'Accept: application/json' {base}/logout

  an image-style URL with a minted url token for /files/ (valid 1 hour; no cookie needed):
      {base}/files/hello.txt?token={url_token}

  without a token:   curl -i {base}/files/hello.txt          (401, Bearer challenge)
  as a browser:      curl -i -H 'Accept: text/html' {base}/web/hello.txt   (302 to /login)

  access log (tokens show as token=REDACTED): {server.paths.access_log}
  error log:                                  {server.paths.error_log}

Press Ctrl-C to stop Apache and remove the demo.
""", flush=True)


def main() -> int:
    with Harness() as h:
        user = h.users.add_user(DEMO_USER, "demo-" + secrets.token_urlsafe(6))
        server = h.start_apache("demo", extra=[WHOAMI, MINT, HOME_SITE])
        (server.paths.docroot / "web" / "account.html").write_text(ACCOUNT_PAGE)
        url_token = h.mint(user.name, kind="url", scope="/files/", ttl=3600)
        explain(server, user, url_token)
        wait_for_stop()
        print("stopping Apache ...", flush=True)
    print("stopped; the demo namespace and its files are gone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
