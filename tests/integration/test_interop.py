"""Standard JWT interop (SPEC §3): a backend with any JWT library and the same secret can
verify our tokens, and tokens it makes with the right claims are accepted by Apache.
PyJWT stands in for "any JWT library"."""

import time

import jwt
import pytest

from taharness import expect, tokens
from taharness.site import FILES

HELLO = FILES["files/hello.txt"]


def decode(token, key, **kw):
    return jwt.decode(token, key.secret_bytes, algorithms=["HS256"], issuer="tokenauth",
                      options={"require": ["iss", "sub", "iat", "exp", "jti"]}, **kw)


def test_pyjwt_verifies_a_minted_session_token(mint, key_file, alice):
    before = int(time.time())
    claims = decode(mint("alice", ttl=600), key_file.signing_key)
    assert claims["sub"] == "alice"
    assert claims["uid"] == alice.uid
    assert claims["kind"] == "session"
    assert "scope" not in claims
    assert claims["exp"] - claims["iat"] == 600
    assert before - 1 <= claims["iat"] <= int(time.time()) + 1


def test_pyjwt_verifies_a_minted_url_token(mint, key_file):
    claims = decode(mint("alice", kind="url", scope="/files/", ttl=120), key_file.signing_key)
    assert (claims["kind"], claims["scope"], claims["exp"] - claims["iat"]) == ("url", "/files/", 120)


def test_minted_token_header_is_hs256_jwt_with_signing_kid(mint, key_file):
    header = jwt.get_unverified_header(mint("alice"))
    assert header == {"alg": "HS256", "typ": "JWT", "kid": key_file.signing_key.kid}


def test_minted_jti_has_at_least_128_random_bits(mint, key_file):
    jtis = {decode(mint("alice"), key_file.signing_key)["jti"] for _ in range(3)}
    assert len(jtis) == 3
    assert all(len(j) >= 22 for j in jtis)


def test_pyjwt_rejects_a_minted_token_under_another_secret(mint):
    from taharness.keys import new_key
    with pytest.raises(jwt.InvalidSignatureError):
        decode(mint("alice"), new_key())


def test_pyjwt_made_token_accepted_by_apache(http, key_file, alice):
    key = key_file.signing_key
    token = jwt.encode(tokens.claims(alice), key.secret_bytes, algorithm="HS256",
                       headers={"kid": key.kid})
    expect.served(http.get("/files/hello.txt", headers={"Authorization": "Bearer " + token}),
                  HELLO)


def test_pyjwt_made_url_token_accepted_in_query(http, key_file, alice):
    key = key_file.signing_key
    token = jwt.encode(tokens.claims(alice, kind="url", scope="/files/"), key.secret_bytes,
                       algorithm="HS256", headers={"kid": key.kid})
    expect.served(http.get("/files/hello.txt?token=" + token), HELLO)


def test_pyjwt_token_with_wrong_secret_refused(http, key_file, alice):
    token = jwt.encode(tokens.claims(alice), b"x" * 32, algorithm="HS256",
                       headers={"kid": key_file.signing_key.kid})
    expect.refused(http.get("/files/hello.txt", headers={"Authorization": "Bearer " + token}))
