"""Which tokens the access checker refuses (SPEC §3). Each odd token is forged with our own
JWS code and sent as a bearer token; the answer must be the invalid_token 401, and the error
log must name the rule that refused it (so a test cannot pass for an unrelated reason)."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from taharness import expect, tokens
from taharness.http import Client
from taharness.keys import EDDSA, HS256, KeyFile, b64url, new_key
from taharness.site import FILES

HELLO = FILES["files/hello.txt"]
PATH = "/files/hello.txt"


def get_with(http, token):
    return http.get(PATH, headers={"Authorization": "Bearer " + token})


def assert_refused_for(server, http, token, reason):
    mark = server.error_log.mark()
    expect.refused(get_with(http, token))
    assert expect.refusal_reasons(server, mark) == [reason]


@pytest.fixture(scope="module")
def key(key_file):
    return key_file.signing_key


@pytest.fixture(scope="module")
def good(key, alice):
    """A valid claim set for alice; tests change one thing."""
    return tokens.claims(alice)


def swap_payload(token, payload_json: str) -> str:
    """Keep header and signature, replace the claims: what an attacker can do unaided."""
    h, _, s = token.split(".")
    return "%s.%s.%s" % (h, b64url(payload_json.encode()), s)


# --- controls: the forger makes tokens the server accepts --------------------------------

def test_forged_token_with_valid_claims_accepted(http, key, good):
    expect.served(get_with(http, tokens.forge(key, good)), HELLO)


def test_iat_within_sixty_seconds_ahead_accepted(http, key, alice):
    now = int(time.time())
    expect.served(get_with(http, tokens.forge(key, tokens.claims(alice, now=now + 30))), HELLO)


def test_token_just_under_4_kib_accepted(http, key, alice):
    token = tokens.forge(key, tokens.claims(alice, pad="x" * 2600))
    assert 3500 < len(token) < 4096
    expect.served(get_with(http, token), HELLO)


# --- signature and header ----------------------------------------------------------------

def test_tampered_payload_refused(server, http, mint, alice):
    token = mint("alice")
    claims = tokens.parts(token)[1]
    claims["sub"] = "bob"
    assert_refused_for(server, http, swap_payload(token, json.dumps(claims)), "bad_mac")


def test_signature_with_wrong_secret_for_known_kid_refused(server, http, key, good):
    impostor = new_key(kid=key.kid, alg=key.alg)
    assert_refused_for(server, http, tokens.forge(impostor, good), "bad_mac")


def test_alg_none_refused_even_with_a_valid_mac(server, http, key, good):
    token = tokens.forge(key, good, hdr=tokens.header(key, alg="none"))
    assert_refused_for(server, http, token, "bad_alg")


def test_alg_none_without_signature_refused(server, http, key, good):
    unsigned = tokens.forge(key, good, hdr=tokens.header(key, alg="none")).rsplit(".", 1)[0] + "."
    assert_refused_for(server, http, unsigned, "malformed")


def test_hs512_token_refused(server, http, key, good):
    hdr = b64url(json.dumps(tokens.header(key, alg="HS512")).encode())
    body = b64url(json.dumps(good).encode())
    mac = hmac.new(key.secret_bytes, ("%s.%s" % (hdr, body)).encode(), hashlib.sha512).digest()
    assert_refused_for(server, http, "%s.%s.%s" % (hdr, body, b64url(mac)), "bad_alg")


def test_unknown_kid_refused(server, http, good):
    stranger = new_key(kid="no-such-kid")
    assert_refused_for(server, http, tokens.forge(stranger, good), "unknown_kid")


def test_duplicate_header_keys_refused(server, http, key, good):
    hdr = '{"alg":"HS256","typ":"JWT","kid":"%s","alg":"HS256"}' % key.kid
    assert_refused_for(server, http, tokens.forge(key, good, hdr=hdr), "bad_header")


# --- shape -------------------------------------------------------------------------------

def test_oversized_token_refused(server, http, key, alice):
    token = tokens.forge(key, tokens.claims(alice, pad="x" * 3200))
    assert len(token) > 4096
    assert_refused_for(server, http, token, "too_long")


def test_garbage_token_refused(server, http):
    assert_refused_for(server, http, "this-is-not-a-token", "malformed")


def test_four_part_token_refused(server, http, key, good):
    assert_refused_for(server, http, tokens.forge(key, good) + ".AAAA", "malformed")


def test_padded_base64_token_refused(server, http, key, good):
    """Strict base64url: parts with '=' padding are refused even when the MAC over exactly
    those bytes is right."""
    def padded(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode()
    hdr = json.dumps(tokens.header(key)).encode()
    body = json.dumps(good).encode()
    while len(hdr) % 3 == 0:   # a length whose encoding needs padding
        hdr += b" "
    signing_input = padded(hdr) + "." + padded(body)
    assert "=" in signing_input
    mac = hmac.new(key.secret_bytes, signing_input.encode(), hashlib.sha256).digest()
    assert_refused_for(server, http, signing_input + "." + b64url(mac), "bad_header")


# --- claims ------------------------------------------------------------------------------

def test_duplicate_claim_keys_refused(server, http, key, alice):
    now = int(time.time())
    payload = ('{"iss":"tokenauth","sub":"alice","uid":%d,"iat":%d,"exp":%d,"jti":"%s",'
               '"kind":"session","sub":"bob"}' % (alice.uid, now, now + 300, tokens.new_jti()))
    assert_refused_for(server, http, tokens.forge(key, payload), "bad_payload")


def test_expired_token_refused(server, http, key, alice):
    now = int(time.time())
    token = tokens.forge(key, tokens.claims(alice, now=now - 400, ttl=300))
    assert_refused_for(server, http, token, "expired")


def test_token_expiring_now_refused(server, http, key, alice):
    now = int(time.time())
    assert_refused_for(server, http, tokens.forge(key, tokens.claims(alice, now=now - 300, ttl=300)),
                       "expired")


def test_iat_more_than_sixty_seconds_ahead_refused(server, http, key, alice):
    now = int(time.time())
    token = tokens.forge(key, tokens.claims(alice, now=now + 120))
    assert_refused_for(server, http, token, "future_iat")


def test_wrong_issuer_refused(server, http, key, alice):
    token = tokens.forge(key, tokens.claims(alice, issuer="someone-else"))
    assert_refused_for(server, http, token, "bad_issuer")


def test_missing_issuer_refused(server, http, key, alice):
    assert_refused_for(server, http, tokens.forge(key, tokens.claims(alice, iss=None)),
                       "bad_issuer")


@pytest.mark.parametrize("claim,value", [
    ("iat", "string"), ("exp", "string"), ("iat", "float"), ("exp", "float"),
    ("iat", "negative"), ("exp", "beyond_2_53"), ("exp", "missing"),
])
def test_times_that_are_not_plain_integers_refused(server, http, key, alice, claim, value):
    c = tokens.claims(alice)
    c[claim] = {"string": str(c[claim]), "float": float(c[claim]) + 0.5, "negative": -1,
                "beyond_2_53": 2 ** 53 + 1, "missing": None}[value]
    c = {k: v for k, v in c.items() if v is not None}
    assert_refused_for(server, http, tokens.forge(key, c), "bad_time")


def test_time_written_as_float_without_fraction_refused(server, http, key, alice):
    """1700000000.0 is a JSON float even though its value is whole."""
    c = tokens.claims(alice)
    text = json.dumps(c).replace('"exp": %d' % c["exp"], '"exp": %d.0' % c["exp"])
    assert '.0' in text
    assert_refused_for(server, http, tokens.forge(key, text), "bad_time")


def test_uid_as_string_refused(server, http, key, alice):
    assert_refused_for(server, http, tokens.forge(key, tokens.claims(alice, uid=str(alice.uid))),
                       "bad_uid")


def test_short_jti_refused(server, http, key, alice):
    assert_refused_for(server, http, tokens.forge(key, tokens.claims(alice, jti="abc")), "bad_jti")


def test_unknown_kind_refused(server, http, key, alice):
    assert_refused_for(server, http, tokens.forge(key, tokens.claims(alice, kind="admin")),
                       "bad_kind")


def test_url_token_without_scope_refused(server, http, key, alice):
    assert_refused_for(server, http, tokens.forge(key, tokens.claims(alice, kind="url")),
                       "bad_scope")


def test_session_token_with_scope_refused(server, http, key, alice):
    token = tokens.forge(key, tokens.claims(alice, kind="session", scope="/files/"))
    assert_refused_for(server, http, token, "bad_scope")


def test_uid_of_another_user_refused(server, http, key, alice, bob):
    token = tokens.forge(key, tokens.claims(alice, uid=bob.uid))
    assert_refused_for(server, http, token, "uid_mismatch")


def test_unknown_user_refused(server, http, key, alice):
    token = tokens.forge(key, tokens.claims(alice, sub="nosuchuser"))
    assert_refused_for(server, http, token, "unknown_user")


# --- algorithm confusion: a key verifies only by its own algorithm ------------------------------

@pytest.fixture(scope="module")
def mixed(harness, apache_factory):
    """A server whose key file holds an EdDSA key (signing) and an HS256 key."""
    kf = KeyFile(harness.workdir / "mixed-algs.keys",
                 keys=[new_key(alg=EDDSA), new_key(alg=HS256)])
    return kf, apache_factory("mixed", key_file=kf.path)


def mixed_refused_for(mixed, token, reason):
    _, server = mixed
    with Client(server.base_url) as c:
        assert_refused_for(server, c, token, reason)


def test_tokens_of_both_algorithms_accepted_from_one_key_file(mixed, alice):
    kf, server = mixed
    with Client(server.base_url) as c:
        for k in kf.keys:
            expect.served(get_with(c, tokens.forge(k, tokens.claims(alice))), HELLO)


def test_hs256_token_maced_with_an_eddsa_public_key_refused(mixed, alice):
    """The classic confusion: HMAC keyed with the public key everyone can fetch."""
    eddsa = mixed[0].keys[0]
    token = tokens.sign(tokens.header(eddsa, alg=HS256), tokens.claims(alice), eddsa.public_bytes)
    mixed_refused_for(mixed, token, "bad_alg")


def test_eddsa_header_on_an_hs256_kid_refused(mixed, alice):
    hs = mixed[0].keys[1]
    attacker = new_key(kid=hs.kid, alg=EDDSA)
    token = tokens.forge(attacker, tokens.claims(alice), hdr=tokens.header(hs, alg=EDDSA))
    mixed_refused_for(mixed, token, "bad_alg")


def test_hs256_header_on_an_eddsa_kid_maced_with_the_seed_refused(mixed, alice):
    """Even the right secret bytes do not make an HMAC of an EdDSA key valid."""
    eddsa = mixed[0].keys[0]
    token = tokens.forge(eddsa, tokens.claims(alice), hdr=tokens.header(eddsa, alg=HS256),
                         alg=HS256)
    mixed_refused_for(mixed, token, "bad_alg")
