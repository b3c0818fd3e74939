"""A scripted SMTP server on 127.0.0.1 for client and delivery tests: raw bytes out, lines in.

Each connection runs ``script(peer)`` in its own thread; the script says exactly what
the server sends (including what no correct server would send) and reads the client's
lines with a deadline. Every line received is kept in ``lines`` for the test to read.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any


class FakePeer:
    """The server side of one connection, as a script sees it."""

    def __init__(self, sock: socket.socket, log: list[bytes]) -> None:
        self.sock, self.log, self.buffer = sock, log, b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        """The next line from the client without its CRLF (b"" when it hung up)."""
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        self.log.append(line)
        return line

    def message(self) -> bytes:
        """The message text after 354, up to and without the final "." line."""
        lines = []
        while (line := self.line()) not in (b".", b""):
            lines.append(line)
        return b"\r\n".join(lines) + b"\r\n"

    def answer(self, replies: dict[bytes, bytes], default: bytes = b"250 2.0.0 ok\r\n") -> None:
        """Answer each command by its verb (the first word, upper case) until QUIT or hang-up."""
        while line := self.line():
            verb = line.split(b" ")[0].split(b":")[0].upper()
            self.send(replies.get(verb, default))
            if verb == b"QUIT":
                return
            if verb == b"DATA" and replies.get(verb, default).startswith(b"354"):
                self.message()
                self.send(replies.get(b".", b"250 2.0.0 queued\r\n"))


class FakeServer:
    """``with FakeServer(script) as server:`` ... ``server.port``, ``server.lines``, ``server.connections``."""

    def __init__(self, script: Callable[[FakePeer], Any], timeout: float = 10.0) -> None:
        self.script, self.timeout = script, timeout
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.lines: list[bytes] = []
        self.connections = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> FakeServer:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout)
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            worker = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(self.timeout)
        try:
            with sock:
                self.script(FakePeer(sock, self.lines))
        except OSError as err:  # the client hung up: part of many tests
            self.errors.append(err)
