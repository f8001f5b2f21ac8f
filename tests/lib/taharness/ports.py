"""Loopback ports for test servers."""

import socket


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


# /proc/net/tcp's state column: the two states of a connection that is not closing
TCP_ESTABLISHED, TCP_LISTEN = "01", "0A"


def closing_connections(port: int) -> int:
    """Connections to our server on port that are half closed while the server still holds
    them (a client hung up and the server has not closed its end yet, or the server's
    lingering close awaits the client). Sockets the server already closed have no inode and
    are the kernel's alone, so they are not counted."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if (int(local.rsplit(":", 1)[1], 16) == port and inode != "0" and
                    state not in (TCP_ESTABLISHED, TCP_LISTEN)):
                count += 1
    return count
