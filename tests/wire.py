"""Test helpers that talk SMTP below any client library: raw bytes on a socket.

Hostile-input, fault and STARTTLS tests need to send what polite clients never
send, and to read replies exactly as they come. One raw peer serves them all.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable


class RawPeer:
    """A raw SMTP peer: send any bytes, read whole (multi-line) replies, each with a deadline."""

    def __init__(self, address: tuple[str, int], timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        """One whole reply, its lines joined with CRLF (RFC 5321 §4.2.1: "-" continues)."""
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"server closed; unread: {self.buffer!r}")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line)
            if line[3:4] != b"-":
                return b"\r\n".join(lines)

    def code(self) -> int:
        return int(self.reply()[:3])

    def ask(self, line: bytes) -> bytes:
        """Send one line (CRLF added) and return the whole reply."""
        self.send(line + b"\r\n")
        return self.reply()

    def ask_code(self, line: bytes) -> int:
        """Send one line (CRLF added) and return the reply's code."""
        return int(self.ask(line)[:3])

    def closed(self) -> bool:
        """True when the server has hung up (a read returns nothing)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN (SO_LINGER 0): a crashed client."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass (a bounded loop, no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
