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

DEMO_USER = "demo"


def wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(3600):
        pass


def explain(server, user, session, url_token) -> None:
    base = server.base_url
    print(f"""
mod_tokenauth demo is running: {base}/

  demo account (lives only in the demo's private namespace):
      user {user.name}, password {user.password}
      (logging in with it arrives with the login handler; until then, use these tokens)

  in a browser, a URL token for everything under /files/ (valid 1 hour):
      {base}/files/hello.txt?token={url_token}

  with curl, a session token (valid 1 day) as a bearer token or a cookie:
      curl -H 'Authorization: Bearer {session}' {base}/files/hello.txt
      curl -b 'tokenauth={session}' {base}/files/hello.txt

  without a token:   curl -i {base}/files/hello.txt          (401, Bearer challenge)
  as a browser:      curl -i -H 'Accept: text/html' {base}/web/hello.txt   (302 to /login)

  access log (tokens show as token=REDACTED): {server.paths.access_log}
  error log:                                  {server.paths.error_log}

Press Ctrl-C to stop Apache and remove the demo.
""", flush=True)


def main() -> int:
    with Harness() as h:
        user = h.users.add_user(DEMO_USER, "demo-" + secrets.token_urlsafe(6))
        server = h.start_apache("demo")
        session = h.mint(user.name)
        url_token = h.mint(user.name, kind="url", scope="/files/", ttl=3600)
        explain(server, user, session, url_token)
        wait_for_stop()
        print("stopping Apache ...", flush=True)
    print("stopped; the demo namespace and its files are gone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
