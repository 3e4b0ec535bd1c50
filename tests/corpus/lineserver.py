"""A scripted line-protocol server on localhost, so the standard library's SMTP and FTP clients
fail the way they fail against a real server (a refused login), with no network; and a port
nothing listens on, for clients that fail at once."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Iterator


def closed_port() -> int:
    """A local port nothing listens on (bound, then released), so a client fails at once."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@contextlib.contextmanager
def line_server(greeting: str, replies: dict[str, str]) -> Iterator[int]:
    """Serve one connection on a free port: send ``greeting`` (none when empty), then answer each line the client
    sends with the reply of the first ``replies`` prefix it starts with (case-insensitive), or
    ``502 unknown command``. Yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    thread = threading.Thread(target=_serve, args=(listener, greeting, replies), daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(timeout=5)
        listener.close()


def _serve(listener: socket.socket, greeting: str, replies: dict[str, str]) -> None:
    with contextlib.suppress(OSError):
        connection, _ = listener.accept()
        with connection, connection.makefile("rwb") as stream:
            if greeting:
                _send(stream, greeting)
            for line in stream:
                command = line.decode("latin-1").strip().upper()
                reply = next((text for prefix, text in replies.items() if command.startswith(prefix.upper())),
                             "502 unknown command")
                _send(stream, reply)
                if command.startswith("QUIT"):
                    break


def _send(stream, text: str) -> None:
    stream.write(text.replace("\n", "\r\n").encode("latin-1") + b"\r\n")
    stream.flush()
