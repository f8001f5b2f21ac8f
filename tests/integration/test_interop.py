"""Standard JWT interop (SPEC §3), for both algorithms: a backend with any JWT library verifies
our tokens (EdDSA with the public key alone, HS256 with the shared secret), and tokens it
makes with the right claims and the right key are accepted by Apache. PyJWT stands in for
"any JWT library". Each algorithm has a server and a key file of its own."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from taharness import expect, tokens
from taharness.http import Client
from taharness.keys import ALGS, EDDSA, KeyFile, new_key
from taharness.site import FILES

HELLO = FILES["files/hello.txt"]


@pytest.fixture(scope="module", params=ALGS)
def site(request, harness, apache_factory):
    """(key file, server) for one algorithm."""
    kf = KeyFile(harness.workdir / ("interop-%s.keys" % request.param), alg=request.param)
    return kf, apache_factory(request.param, key_file=kf.path)


@pytest.fixture
def key(site):
    return site[0].signing_key


@pytest.fixture
def minted(site, mint):
    def make(user="alice", **kw):
        return mint(user, key_file=site[0].path, **kw)
    return make


@pytest.fixture
def c(site):
    with Client(site[1].base_url) as client:
        yield client


def decode(token, key, **kw):
    return jwt.decode(token, key.verifier, algorithms=[key.alg], issuer="tokenauth",
                      options={"require": ["iss", "sub", "iat", "exp", "jti"]}, **kw)


def test_pyjwt_verifies_a_minted_session_token(minted, key, alice):
    before = int(time.time())
    claims = decode(minted(ttl=600), key)
    assert claims["sub"] == "alice"
    assert claims["uid"] == alice.uid
    assert claims["kind"] == "session"
    assert "scope" not in claims
    assert claims["exp"] - claims["iat"] == 600
    assert before - 1 <= claims["iat"] <= int(time.time()) + 1


def test_pyjwt_verifies_a_minted_url_token(minted, key):
    claims = decode(minted(kind="url", scope="/files/", ttl=120), key)
    assert (claims["kind"], claims["scope"], claims["exp"] - claims["iat"]) == ("url", "/files/", 120)


def test_minted_token_header_names_the_keys_algorithm_and_kid(minted, key):
    header = jwt.get_unverified_header(minted())
    assert header == {"alg": key.alg, "typ": "JWT", "kid": key.kid}


def test_minted_jti_has_at_least_128_random_bits(minted, key):
    jtis = {decode(minted(), key)["jti"] for _ in range(3)}
    assert len(jtis) == 3
    assert all(len(j) >= 22 for j in jtis)


def test_pyjwt_rejects_a_minted_token_under_another_key(minted, key):
    with pytest.raises(jwt.InvalidSignatureError):
        decode(minted(), new_key(kid=key.kid, alg=key.alg))


def test_eddsa_token_verifies_with_the_public_key_alone(harness, mint):
    """What a backend holds for EdDSA: the 32 public bytes, no secret."""
    kf = KeyFile(harness.workdir / "interop-public.keys", alg=EDDSA)
    public = Ed25519PublicKey.from_public_bytes(kf.signing_key.public_bytes)
    claims = jwt.decode(mint("alice", key_file=kf.path), public, algorithms=["EdDSA"],
                        issuer="tokenauth")
    assert claims["sub"] == "alice"


def test_pyjwt_made_token_accepted_by_apache(c, key, alice):
    token = jwt.encode(tokens.claims(alice), key.signer, algorithm=key.alg,
                       headers={"kid": key.kid})
    expect.served(c.get("/files/hello.txt", headers={"Authorization": "Bearer " + token}),
                  HELLO)


def test_pyjwt_made_url_token_accepted_in_query(c, key, alice):
    token = jwt.encode(tokens.claims(alice, kind="url", scope="/files/"), key.signer,
                       algorithm=key.alg, headers={"kid": key.kid})
    expect.served(c.get("/files/hello.txt?token=" + token), HELLO)


def test_pyjwt_token_with_wrong_key_refused(c, key, alice):
    wrong = new_key(alg=key.alg)
    token = jwt.encode(tokens.claims(alice), wrong.signer, algorithm=key.alg,
                       headers={"kid": key.kid})
    expect.refused(c.get("/files/hello.txt", headers={"Authorization": "Bearer " + token}))
    expect.served(c.get("/files/hello.txt", headers={"Authorization": "Bearer " + jwt.encode(
        tokens.claims(alice), key.signer, algorithm=key.alg, headers={"kid": key.kid})}), HELLO)
