"""The harness waits, before it stops or restarts Apache ungracefully, for the connections
a client has just hung up (ApacheServer._settle): httpd's event MPM can crash a child that is
closing one at that moment (README, Logging). What it waits for is counted by
ports.closing_connections, shown here on a plain socket server: a connection counts while the
client has hung up and the server still holds its end, and neither before nor after."""

import socket
import threading
import time
from types import SimpleNamespace

from taharness import apache, ports, site
from taharness.http import Client
from taharness.waiting import wait_until


def loopback_server():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    return srv, srv.getsockname()[1]


def connection(srv, port):
    """(client end, server end) of a fresh connection to the listener srv on port."""
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn, _ = srv.accept()
    return client, conn


def hung_up(srv, port):
    """The server's end of a connection whose client has hung up, once the table shows it."""
    client, conn = connection(srv, port)
    client.close()
    assert wait_until(lambda: ports.closing_connections(port) == 1, 5)
    return conn


def test_a_connection_counts_from_the_clients_hang_up_until_the_server_closes_it():
    srv, port = loopback_server()
    with srv:
        client, conn = connection(srv, port)
        assert ports.closing_connections(port) == 0      # open both ways: nothing closing
        client.close()
        assert wait_until(lambda: ports.closing_connections(port) == 1, 5)
        conn.close()
        assert ports.closing_connections(port) == 0      # the kernel's alone now


def test_a_connection_the_server_closes_first_counts_while_the_server_lingers():
    srv, port = loopback_server()
    with srv:
        client, conn = connection(srv, port)
        conn.shutdown(socket.SHUT_WR)                      # as Apache's lingering close does
        assert wait_until(lambda: ports.closing_connections(port) == 1, 5)
        conn.close()
        client.close()
        assert ports.closing_connections(port) == 0


def test_other_ports_do_not_count():
    srv, port = loopback_server()
    other, other_port = loopback_server()
    with srv, other:
        conn = hung_up(srv, port)
        assert ports.closing_connections(other_port) == 0
        conn.close()


def settle_on(port):
    """ApacheServer._settle for a server on port; how long it took."""
    t0 = time.monotonic()
    apache.ApacheServer._settle(SimpleNamespace(paths=SimpleNamespace(port=port)))
    return time.monotonic() - t0


def test_settle_waits_until_the_server_has_closed_what_its_client_hung_up():
    srv, port = loopback_server()
    with srv:
        closer = threading.Timer(0.5, hung_up(srv, port).close)
        closer.start()
        took = settle_on(port)
        closer.join()
        assert 0.5 <= took < apache.SETTLE_TIMEOUT, took


def test_settle_gives_up_on_a_connection_that_is_never_closed():
    srv, port = loopback_server()
    with srv:
        conn = hung_up(srv, port)
        took = settle_on(port)
        conn.close()
        assert apache.SETTLE_TIMEOUT <= took < apache.SETTLE_TIMEOUT + 1, took


HOME = "<Location /h>\n%s\n    TokenAuthHome public\n</Location>\n" % site.TOKEN_AUTH


def test_a_server_stops_cleanly_right_after_its_client_hangs_up(apache_factory, mint, alice):
    """The path every test's server takes at its end: a request, the client hangs up, the
    server is stopped at once. The stop waits for Apache's side of the close, then Apache
    exits 0 (stop() raises otherwise) and no child of it died by a signal."""
    srv = apache_factory("settle", extra=[HOME])
    token = mint("alice", ttl=600)
    with Client(srv.base_url) as c:
        assert c.get("/h/cat.txt", headers={"Authorization": "Bearer " + token}).status_code == 200
    srv.stop()
    assert srv.proc is None
    assert ports.closing_connections(srv.port) == 0
    assert "AH00052" not in srv.error_log.text()
