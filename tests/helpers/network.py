"""Test helper: a local TCP listener that nothing may connect to, to prove a build reaches no network."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


@contextlib.contextmanager
def local_listener(backlog: int = 32) -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 (random port) that nothing should ever connect to."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(backlog)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


def accepted_connections(server: socket.socket) -> int:
    """How many connections the listener has received since the last call."""
    count = 0
    while True:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1
