"""tokenauth-jwks (SPEC §4): a GET without authentication gets the public half of every EdDSA
key of the server's key file as a JWK Set, with which a backend's standard JWT library
verifies our tokens; HS256 secrets are never published. Apache holds EdDSA public keys only,
so the tokens here are minted with the CLI (the helper signs logins)."""

import json
from types import SimpleNamespace

import jwt
import pytest
from jwt.algorithms import OKPAlgorithm

from taharness import expect, paths
from taharness.http import Client
from taharness.keys import EDDSA, HS256, KeyFile, b64url, new_key
from taharness.site import FILES

HELLO = FILES["files/hello.txt"]
JWKS_PATH = "/.well-known/jwks.json"
JWKS = """
<Location /.well-known/jwks.json>
    SetHandler tokenauth-jwks
</Location>
"""


def serve(harness, apache_factory, name, keys):
    """A server with the JWKS handler and a key file of keys; (key file, client)."""
    kf = KeyFile(harness.workdir / ("jwks-%s.keys" % name), keys=keys)
    srv = apache_factory(name, extra=[JWKS], key_file=kf.path)
    return kf, Client(srv.base_url)


@pytest.fixture(scope="module")
def mixed(harness, apache_factory):
    """Signing EdDSA key first, then an HS256 key, then an older EdDSA key."""
    kf, c = serve(harness, apache_factory, "mixed",
                  [new_key(alg=EDDSA), new_key(alg=HS256), new_key(alg=EDDSA)])
    with c:
        yield SimpleNamespace(kf=kf, c=c, jwks=c.get(JWKS_PATH))


@pytest.fixture(scope="module")
def hs256_only(harness, apache_factory):
    kf, c = serve(harness, apache_factory, "hs256", [new_key(alg=HS256), new_key(alg=HS256)])
    with c:
        yield SimpleNamespace(kf=kf, c=c)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def test_jwks_is_a_jwk_set_of_the_eddsa_keys_in_file_order(mixed):
    r = mixed.jwks
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/jwk-set+json"
    ed, _, old = mixed.kf.keys
    assert r.json() == {"keys": [ed.jwk, old.jwk]}


def test_jwks_needs_no_token_and_may_be_cached_publicly(mixed):
    assert "WWW-Authenticate" not in mixed.jwks.headers
    assert mixed.jwks.headers["Cache-Control"] == "public, max-age=300"


def test_jwks_is_what_the_cli_prints(harness, mixed):
    out = harness.ns.run([str(paths.cli_path()), "jwks", "--key-file", str(mixed.kf.path)])
    assert out.returncode == 0, out.stderr
    assert out.stdout.encode() == mixed.jwks.content + b"\n"


def test_pyjwt_verifies_a_cli_token_with_the_fetched_key(mixed, mint, alice):
    token = mint("alice", key_file=mixed.kf.path, kind="url", scope="/files/")
    header = jwt.get_unverified_header(token)
    fetched = next(k for k in mixed.jwks.json()["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(token, jwt.PyJWK(fetched).key, algorithms=["EdDSA"], issuer="tokenauth")
    assert (claims["sub"], claims["uid"], claims["scope"]) == ("alice", alice.uid, "/files/")


def test_pyjwt_verifies_with_the_okp_algorithm_and_the_jwk_set(mixed, mint):
    token = mint("bob", key_file=mixed.kf.path)
    kid = jwt.get_unverified_header(token)["kid"]
    jwk_set = jwt.PyJWKSet.from_dict(mixed.jwks.json())
    by_kid = next(k for k in jwk_set.keys if k.key_id == kid)
    public = OKPAlgorithm.from_jwk(json.dumps(by_kid._jwk_data))
    assert jwt.decode(token, public, algorithms=["EdDSA"], issuer="tokenauth")["sub"] == "bob"


def test_fetched_key_does_not_verify_a_changed_token(mixed, mint):
    token = mint("alice", key_file=mixed.kf.path)
    public = jwt.PyJWK(mixed.jwks.json()["keys"][0]).key
    head, payload, sig = token.split(".")
    forged = ".".join([head, payload, ("A" if sig[0] != "A" else "B") + sig[1:]])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, public, algorithms=["EdDSA"], issuer="tokenauth")


def test_jwks_never_holds_a_seed_or_an_hs256_secret(mixed):
    body = mixed.jwks.content
    for k in mixed.kf.keys:
        assert k.secret_bytes not in body, "raw secret of %s published" % k.kid
        assert k.secret.encode() not in body, "base64url secret of %s published" % k.kid
    hs = mixed.kf.keys[1]
    assert hs.kid.encode() not in body
    for k in mixed.jwks.json()["keys"]:
        assert set(k) == {"kty", "crv", "x", "kid", "alg", "use"}  # no "d", no "k"


def test_jwks_of_an_hs256_only_key_file_is_empty(hs256_only):
    r = hs256_only.c.get(JWKS_PATH)
    assert r.status_code == 200
    assert r.content == b'{"keys":[]}'
    for k in hs256_only.kf.keys:
        assert k.secret.encode() not in r.content and k.secret_bytes not in r.content


def test_jwks_head_has_the_headers_and_no_body(mixed):
    r = mixed.c.head(JWKS_PATH)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/jwk-set+json"
    assert int(r.headers["Content-Length"]) == len(mixed.jwks.content)
    assert r.content == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_jwks_refuses_other_methods_with_405_and_allow(mixed, method):
    r = mixed.c.request(method, JWKS_PATH, data="x=1")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]


def test_apache_accepts_the_cli_token_again_and_again(mixed, mint):
    """The second and later requests are answered from the child's token cache; each must be
    served as the first was, and a changed token never rides on a cached one."""
    token = mint("alice", key_file=mixed.kf.path)
    for _ in range(5):
        expect.served(mixed.c.get("/files/hello.txt", headers=bearer(token)), HELLO)
    head, payload, sig = token.split(".")
    changed = ".".join([head, payload, sig[:-2] + ("AA" if sig[-2:] != "AA" else "BA")])
    expect.refused(mixed.c.get("/files/hello.txt", headers=bearer(changed)))
    expect.refused(mixed.c.get("/files/hello.txt", headers=bearer(token + "x")))


def test_apache_verifies_tokens_of_the_older_eddsa_and_the_hs256_key(harness, mixed, mint):
    """Every key verifies: a token signed by the second (HS256) or third (EdDSA) key of the
    file, made by the CLI from a key file where that key comes first."""
    for i, key in enumerate(mixed.kf.keys[1:]):
        alone = KeyFile(harness.workdir / ("jwks-alone-%d.keys" % i), keys=[key])
        token = mint("alice", key_file=alone.path)
        assert jwt.get_unverified_header(token)["kid"] == key.kid
        expect.served(mixed.c.get("/files/hello.txt", headers=bearer(token)), HELLO)


def test_x_is_the_raw_public_key(mixed):
    ed = mixed.kf.keys[0]
    assert mixed.jwks.json()["keys"][0]["x"] == b64url(ed.public_bytes)
