"""The default test site: the login handler at /login, a few static files behind AuthType
token, a location that sends browsers to that login page, and two ways to see what later
modules learn about the identity (mod_headers expressions, and a CGI that prints its
environment)."""

import os
from pathlib import Path

FILES = {
    "files/hello.txt": "hello, files\n",
    "files/other.txt": "another file\n",
    "files/a/one.txt": "one in a\n",
    "files/b/two.txt": "two in b\n",
    "web/hello.txt": "hello, web\n",
    "env/id.txt": "identity probe\n",
    "only-alice/hello.txt": "for alice only\n",
    "open/hello.txt": "no authentication here\n",
}

# Prints what a CGI sees; QUERY_STRING and REQUEST_URI show whether the token was scrubbed.
CGI_SCRIPT = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
for v in REMOTE_USER AUTH_TYPE TOKENAUTH_UID TOKENAUTH_KIND TOKENAUTH_EXPIRES QUERY_STRING \\
         REQUEST_URI; do
    eval "printf '%s=%s\\n' $v \\"\\${$v-}\\""
done
"""

# The PAM service of the login handler (TokenAuthPAMService's default); the harness installs
# conf/pam.d/<PAM_SERVICE> into the namespace.
PAM_SERVICE = "tokenauth"

# For servers that many tests share and fail logins on from 127.0.0.1; test_throttle.py
# checks the default (5 300 300) on servers of its own.
RELAXED_THROTTLE = "TokenAuthLoginThrottle 1000 300 300"

TOKEN_AUTH = """\
    AuthType token
    AuthName "files"
    Require valid-user"""


def populate(docroot: Path) -> None:
    """Static files readable by www-data, and the CGI."""
    for rel, text in FILES.items():
        p = Path(docroot) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    cgi = Path(docroot) / "cgi-bin" / "env.cgi"
    cgi.parent.mkdir(parents=True, exist_ok=True)
    cgi.write_text(CGI_SCRIPT)
    os.chmod(cgi, 0o755)
    for dirpath, dirnames, _ in os.walk(docroot):
        os.chmod(dirpath, 0o755)


def key_file_line(key_file) -> str:
    return 'TokenAuthKeyFile "%s"' % key_file


def default_site(key_file):
    """The snippet of the default server, for the key file key_file."""
    def snippet(p) -> str:
        return f"""\
{key_file_line(key_file)}

<Location /login>
    SetHandler tokenauth-login
</Location>
<Location /logout>
    SetHandler tokenauth-logout
    TokenAuthLoginURL /login
</Location>
<Location /files>
{TOKEN_AUTH}
</Location>
<Location /web>
{TOKEN_AUTH}
    TokenAuthLoginURL /login
</Location>
<Location /env>
{TOKEN_AUTH}
    Header set X-Ta-User "expr=%{{REMOTE_USER}}"
    Header set X-Ta-Auth-Type "expr=%{{AUTH_TYPE}}"
    Header set X-Ta-Uid "expr=%{{reqenv:TOKENAUTH_UID}}"
    Header set X-Ta-Kind "expr=%{{reqenv:TOKENAUTH_KIND}}"
    Header set X-Ta-Expires "expr=%{{reqenv:TOKENAUTH_EXPIRES}}"
</Location>
<Location /only-alice>
    AuthType token
    AuthName "files"
    Require user alice
</Location>
ScriptAlias /cgi/ "{p.docroot}/cgi-bin/"
<Location /cgi>
{TOKEN_AUTH}
</Location>
"""
    return snippet


# tokenauth-mint behind a token (SPEC §4).
MINT = """\
<Location /auth/mint>
    SetHandler tokenauth-mint
    AuthType token
    AuthName "files"
    Require valid-user
</Location>
"""

# tokenauth-whoami behind a token, for a server that wants it (SPEC §4).
WHOAMI = """\
<Location /auth/whoami>
    SetHandler tokenauth-whoami
    AuthType token
    AuthName "files"
    Require valid-user
</Location>
"""
