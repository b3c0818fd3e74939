"""TLS with no sockets: STARTTLS between a client and a server that live in memory.

The standard library's ``ssl.SSLObject`` is sans-I/O TLS: ciphertext goes in and
out through two ``ssl.MemoryBIO`` buffers, plaintext through ``read``/``write``.
``TLSLink`` joins a client and a server ``SSLObject`` back to back and keeps every
flight of ciphertext as a ``WireRecord``, next to the plaintext it carried, so a
lesson shows what an eavesdropper sees beside what the two ends see. No port is
opened, so it works on Binder too.

``Pair(tls=True)`` (transports/memory.py) keeps a ``MemoryTLS``: STARTTLS (RFC 3207)
and, once TLS is on, AUTH (RFC 4954), with certificates from the class CA
(``transports/tls.py``). ``on_path`` puts an attacker between the two while the
connection is still in clear text (the STRIPTLS lesson); once TLS is on it can only
pass bytes along.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any
from smtplearn.render.html import Cell, html_table
from smtplearn.transports.tls import ClassCertificate


__all__ = ["MemoryTLS", "TLSLink", "WireRecord", "WireView", "record_types", "strip_starttls"]

#: the content type, the first octet of every TLS record (RFC 8446 §5.1; RFC 5246 §6.2.1)
RECORD_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}
#: the first octet of a handshake message (RFC 8446 §4), for the records still readable
HANDSHAKE_TYPES = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 11: "Certificate",
                   15: "CertificateVerify", 20: "Finished"}
#: bounded: a TLS 1.2 or 1.3 handshake takes 2-4 flights; more means something is wrong
MAX_FLIGHTS = 8


def record_types(flight: bytes) -> list[str]:
    """Name each TLS record in ``flight``: its 5-octet header says type, version and length."""
    names, at = [], 0
    while at + 5 <= len(flight):
        kind, length = flight[at], int.from_bytes(flight[at + 3:at + 5], "big")
        name = RECORD_TYPES.get(kind, f"type {kind}")
        if kind == 22 and at + 5 < len(flight):
            name = HANDSHAKE_TYPES.get(flight[at + 5], name)
        elif kind == 23:
            name = "encrypted"
        names.append(name)
        at += 5 + length
    return names


@dataclass(frozen=True)
class WireRecord:
    """One flight of bytes on the wire, and what it meant to the two ends."""

    sender: str
    receiver: str
    ciphertext: bytes
    #: the plaintext inside (b"" for handshake flights)
    plaintext: bytes
    stage: str  # "handshake" or "protected"

    @property
    def records(self) -> list[str]:
        return record_types(self.ciphertext)

    def summary(self, octets: int = 16) -> str:
        shown = self.ciphertext[:octets].hex(" ")
        more = " …" if len(self.ciphertext) > octets else ""
        return f"{len(self.ciphertext)} octets [{', '.join(self.records)}]: {shown}{more}"


def _handshake_step(tls: ssl.SSLObject) -> bool:
    try:
        tls.do_handshake()
        return True
    except ssl.SSLWantReadError:
        return False


def _drain(tls: ssl.SSLObject) -> bytes:
    out = bytearray()
    while True:
        try:
            chunk = tls.read(65536)
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk


class TLSLink:
    """A client and a server ``SSLObject`` joined by memory, with every flight recorded."""

    def __init__(self, client_context: ssl.SSLContext, server_context: ssl.SSLContext, *,
                 server_hostname: str, client_name: str = "client", server_name: str = "server") -> None:
        self._to_client, self._from_client = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._to_server, self._from_server = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.client = client_context.wrap_bio(self._to_client, self._from_client, server_hostname=server_hostname)
        self.server = server_context.wrap_bio(self._to_server, self._from_server, server_side=True)
        self.client_name, self.server_name = client_name, server_name
        self.records: list[WireRecord] = []

    def _carry(self, from_client: bool, stage: str, plaintext: bytes = b"") -> bytes:
        source, target = (self._from_client, self._to_server) if from_client else (self._from_server, self._to_client)
        data = source.read()
        if data:
            target.write(data)
            names = (self.client_name, self.server_name) if from_client else (self.server_name, self.client_name)
            self.records.append(WireRecord(*names, data, plaintext, stage))
        return data

    def handshake(self) -> None:
        """Run both ends until both have finished (raises the client's error, e.g. a bad certificate)."""
        for _ in range(MAX_FLIGHTS):
            try:
                client_done = _handshake_step(self.client)
            finally:
                self._carry(True, "handshake")  # an alert, too, travels to the server
            server_done = _handshake_step(self.server)
            self._carry(False, "handshake")
            if client_done and server_done:
                return
        raise ssl.SSLError(f"the TLS handshake did not finish in {MAX_FLIGHTS} flights")

    def client_sends(self, plaintext: bytes) -> bytes:
        """Encrypt at the client, carry, decrypt at the server: what the server reads."""
        self.client.write(plaintext)
        self._carry(True, "protected", plaintext)
        return _drain(self.server)

    def server_sends(self, plaintext: bytes) -> bytes:
        """Encrypt at the server, carry, decrypt at the client: what the client reads."""
        if plaintext:
            self.server.write(plaintext)
        self._carry(False, "protected", plaintext)
        return _drain(self.client)

    def describe(self) -> str:
        """What the handshake agreed: "TLSv1.3, TLS_AES_256_GCM_SHA384"."""
        cipher = self.client.cipher()
        return f"{self.client.version()}, {cipher[0] if cipher else 'no cipher'}"


def strip_starttls(data: bytes) -> bytes:
    """An on-path attacker's edit (STRIPTLS): the EHLO reply loses its STARTTLS line, so a client
    that uses TLS only when offered goes on in clear text. The rest of the reply is untouched."""
    lines = data.split(b"\r\n")
    kept = [line for line in lines if line[4:].upper() != b"STARTTLS"]
    if len(kept) < len(lines) and kept and kept[-2:-1] and kept[-2][3:4] == b"-":
        kept[-2] = kept[-2][:3] + b" " + kept[-2][4:]  # the last line of a reply has a space (§4.2.1)
    return b"\r\n".join(kept)


class MemoryTLS:
    """The TLS side of one in-memory connection: certificates, the link once started, an attacker.

    ``Pair(tls=True)`` keeps one of these and passes every byte through it: before STARTTLS
    the bytes go as they are (past ``on_path``, if an attacker sits there); after it they are
    encrypted at one end and decrypted at the other, and every flight is kept in ``wire``.
    """

    def __init__(self, server_name: str, client_name: str, *, certificate: Any = None,
                 client_context: ssl.SSLContext | None = None,
                 on_path: Callable[[bytes], bytes] | None = None) -> None:
        if certificate is None:
            certificate = ClassCertificate(names=(server_name,))
        self.server_name, self.client_name = server_name, client_name
        self.certificate = certificate
        #: what the client trusts; by default the class CA, with host name checks
        self.client_context = client_context or certificate.client_context()
        #: an attacker on the path: edits what the server sends while it is still clear text
        self.on_path = on_path
        self.link: TLSLink | None = None

    def to_client(self, data: bytes) -> bytes:
        """What the client receives when the server sends ``data``."""
        if self.link is not None:
            return self.link.server_sends(data)
        return self.on_path(data) if self.on_path and data else data

    def to_server(self, data: bytes) -> bytes:
        """What the server receives when the client sends ``data``."""
        return self.link.client_sends(data) if self.link is not None else data

    def start(self, note: Callable[..., Any]) -> str:
        """The handshake after the server's 220 to STARTTLS; each flight is ``note``d as a TLS step."""
        link = TLSLink(self.client_context, self.certificate.server_context(), server_hostname=self.server_name,
                       client_name=self.client_name, server_name=self.server_name)
        try:
            link.handshake()
        finally:
            for flight in link.records:
                note(f"TLS handshake, {flight.summary(8)}", source=flight.sender, target=flight.receiver, kind="tls")
        self.link = link
        return f"{link.describe()}; every byte from here on is encrypted (pair.wire shows them)"

    @property
    def wire(self) -> WireView:
        """What went over the wire since STARTTLS: ciphertext beside the plaintext inside."""
        return WireView(self.link.records if self.link else [])


class WireView:
    """The flights of a TLS connection as a table: the eavesdropper's view and the ends' view."""

    def __init__(self, records: list[WireRecord]) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        lines = []
        for n, r in enumerate(self.records, start=1):
            inside = r.plaintext.decode("utf-8", "replace").replace("\r\n", "⏎ ")[:60]
            lines.append(f"{n:3} {r.sender} → {r.receiver}: {r.summary(12)}")
            lines.append(f"      inside: {inside or '(handshake)'}")
        return "\n".join(lines) or "(no TLS yet)"

    def _repr_html_(self) -> str:
        rows: list[list[str | Cell]] = [[str(n), f"{escape(r.sender)} → {escape(r.receiver)}",
                 Cell(escape(r.summary(24)), style="font-family:monospace;font-size:12px"),
                 Cell(escape(r.plaintext.decode("utf-8", "replace")[:200]) or "<i>handshake</i>",
                      style="font-family:monospace")]
                for n, r in enumerate(self.records, start=1)]
        return html_table(("#", "direction", "on the wire (what an eavesdropper sees)",
                           "inside (what the two ends see)"), rows)
