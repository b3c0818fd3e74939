"""A tiny RFC 8484 (DNS-over-HTTPS) responder for tests: HTTP on loopback, answers from a real dnsmasq.

It takes the DNS message from a GET's ``dns`` parameter or a POST body, forwards the
bytes unchanged over UDP to the given DNS server, and returns its answer as
``application/dns-message``, with the CORS headers a page on another origin needs
(a pre-flight OPTIONS is answered too). It records what it was asked, so a test can
check the request a client made (method, headers, the query's ID).
"""

from __future__ import annotations

import base64
import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

MEDIA_TYPE = "application/dns-message"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept", "Access-Control-Max-Age": "60"}


@dataclass
class Asked:
    """One request the responder answered."""

    method: str
    headers: dict[str, str]
    query: bytes


@dataclass
class Responder:
    url: str
    upstream: tuple[str, int]
    asked: list[Asked] = field(default_factory=list)


def _forward(query: bytes, upstream: tuple[str, int]) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(query, upstream)
        answer, _ = sock.recvfrom(65535)
        return answer


@contextmanager
def doh_responder(upstream: tuple[str, int], path: str = "/dns-query") -> Iterator[Responder]:
    """Serve DoH on http://127.0.0.1:<free port><path>, forwarding to ``upstream`` (host, port)."""
    responder = Responder("", upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", content_type: str = MEDIA_TYPE) -> None:
            self.send_response(status)
            for name, value in CORS.items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self, query: bytes) -> None:
            responder.asked.append(Asked(self.command, dict(self.headers.items()), query))
            self._send(200, _forward(query, upstream))

        def do_OPTIONS(self) -> None:  # the browser's CORS pre-flight for a POST
            self._send(204, b"", "text/plain")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            values = parse_qs(parts.query).get("dns")
            if parts.path != path or not values:
                self._send(400, b"GET needs ?dns=<base64url message>", "text/plain")
                return
            encoded = values[0]
            self._answer(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if self.path != path or self.headers.get("Content-Type") != MEDIA_TYPE:
                self._send(415, b"POST needs Content-Type: application/dns-message", "text/plain")
                return
            self._answer(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    responder.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield responder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
