"""Key rotation (SPEC §2 TokenAuthKeyFile): the first key signs, every key verifies. A new
key is prepended and Apache reloaded; tokens of the old key keep working until it is
removed from the file. Rotation also moves between algorithms: HS256 to EdDSA (the way
existing installations adopt EdDSA) and back."""

import re
from types import SimpleNamespace

import pytest

from taharness import expect, tokens
from taharness.http import Client
from taharness.keys import EDDSA, HS256, KeyFile
from taharness.site import FILES

HELLO = FILES["files/hello.txt"]


def get(server, token):
    with Client(server.base_url) as c:
        return c.get("/files/hello.txt", headers={"Authorization": "Bearer " + token})


@pytest.fixture(scope="module")
def rotated(harness, apache_factory, mint, alice):
    """A server whose key file got a new first key and a graceful restart, with a token
    minted before the rotation and one minted after."""
    kf = KeyFile(harness.workdir / "rotation.keys")
    old_key = kf.signing_key
    server = apache_factory("graceful", key_file=kf.path)
    old_token = mint("alice", key_file=kf.path)
    expect.served(get(server, old_token), HELLO)      # the premise
    mark = server.error_log.mark()
    new_key = kf.rotate()
    server.graceful()
    return SimpleNamespace(server=server, old_key=old_key, new_key=new_key, mark=mark,
                           old_token=old_token, new_token=mint("alice", key_file=kf.path))


def test_old_key_token_accepted_after_graceful_rotation(rotated):
    assert tokens.parts(rotated.old_token)[0]["kid"] == rotated.old_key.kid
    expect.served(get(rotated.server, rotated.old_token), HELLO)


def test_new_tokens_use_the_new_first_key(rotated):
    assert tokens.parts(rotated.new_token)[0]["kid"] == rotated.new_key.kid


def test_new_key_token_accepted_after_graceful_rotation(rotated):
    expect.served(get(rotated.server, rotated.new_token), HELLO)


def test_reload_logs_the_new_signing_kid(rotated):
    logged = re.findall(r"TA00001: (\d+) key\(s\) loaded from .*; signing with kid (\S+)",
                        rotated.server.error_log.text(rotated.mark))
    assert logged == [("2", rotated.new_key.kid)]


def test_old_key_token_accepted_after_full_restart(harness, apache_factory, mint, alice):
    kf = KeyFile(harness.workdir / "restart.keys")
    server = apache_factory("restart", key_file=kf.path)
    old_token = mint("alice", key_file=kf.path)
    kf.rotate()
    server.restart()
    expect.served(get(server, old_token), HELLO)
    expect.served(get(server, mint("alice", key_file=kf.path)), HELLO)


def test_retired_key_token_refused_after_reload(harness, apache_factory, mint, alice):
    kf = KeyFile(harness.workdir / "retire.keys")
    old_key = kf.signing_key
    server = apache_factory("retire", key_file=kf.path)
    old_token = mint("alice", key_file=kf.path)
    kf.rotate()
    kf.retire(old_key.kid)
    server.graceful()
    mark = server.error_log.mark()
    expect.refused(get(server, old_token))
    assert expect.refusal_reasons(server, mark) == ["unknown_kid"]
    expect.served(get(server, mint("alice", key_file=kf.path)), HELLO)


def login_token(server, user) -> str:
    """A session token the server itself signed (through its helper)."""
    with Client(server.base_url) as c:
        r = c.login(user.name, user.password)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()["token"]


@pytest.mark.parametrize("old_alg,new_alg", [(HS256, EDDSA), (EDDSA, HS256)])
def test_rotation_to_another_algorithm_keeps_old_tokens_and_signs_with_the_new(
        harness, apache_factory, mint, alice, old_alg, new_alg):
    kf = KeyFile(harness.workdir / ("alg-%s-%s.keys" % (old_alg, new_alg)), alg=old_alg)
    server = apache_factory("alg-%s-%s" % (old_alg, new_alg), key_file=kf.path)
    old_login = login_token(server, alice)
    old_minted = mint("alice", key_file=kf.path)
    assert tokens.parts(old_login)[0]["alg"] == old_alg
    new_key = kf.rotate(alg=new_alg)
    server.graceful()
    for token in (old_login, old_minted):
        expect.served(get(server, token), HELLO)
    new_login = login_token(server, alice)
    assert tokens.parts(new_login)[0] == {"alg": new_alg, "typ": "JWT", "kid": new_key.kid}
    expect.served(get(server, new_login), HELLO)
    expect.served(get(server, mint("alice", key_file=kf.path)), HELLO)
