"""TLS for class: a throw-away certificate authority and the ``ssl`` contexts around it.

A real server gets its certificate from a CA everyone trusts. A classroom
server on 127.0.0.1 cannot, so ``ClassCertificate`` makes a private CA and
a certificate for localhost with ``trustme`` (both live in memory and in
temporary files, and vanish with the process). Clients that should verify
trust that CA (``client_context``); ``unverified_client_context`` exists for
the lesson that shows what verification protects against, and for tools such
as swaks that do not verify by default.

``trustme`` and ``cryptography`` come with the ``tls`` extra
(``pip install 'smtplearn[tls]'``) and are imported only when a certificate
is made.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

#: the names a class certificate is valid for: the loopback host, by name and address
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _trustme() -> Any:
    try:
        import trustme
    except ImportError:
        raise ImportError("a class certificate needs trustme: pip install 'smtplearn[tls]'") from None
    return trustme


@dataclass
class ClassCertificate:
    """A private CA and one server certificate signed by it (for ``names``).

    >>> cert = ClassCertificate()                     # doctest: +SKIP
    >>> server = Server(tls_context=cert.server_context())
    >>> client = Client(*server.address, tls_context=cert.client_context())
    """

    names: tuple[str, ...] = LOOPBACK_NAMES
    _ca: Any = field(init=False, repr=False)
    _leaf: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        trustme = _trustme()
        self._ca = trustme.CA(organization_name="smtplearn class CA")
        self._leaf = self._ca.issue_cert(*self.names, organization_name="smtplearn class server")

    def server_context(self) -> ssl.SSLContext:
        """What a server presents: the certificate and its private key."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this class CA."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self._ca.configure_trust(context)
        return context

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate in PEM, to give to other tools (e.g. ``swaks --tls-ca-path``)."""
        return self._ca.cert_pem.bytes()

    def write_ca(self, path: str) -> str:
        """Save the CA certificate as PEM at ``path``; returns the path."""
        self._ca.cert_pem.write_to_path(path)
        return path


def unverified_client_context() -> ssl.SSLContext:
    """Encrypts but does not check who answers: an active attacker can sit in the middle.

    Opportunistic STARTTLS between mail servers often works like this (RFC 3207 §4.1
    lets a client continue when it cannot verify); compare MTA-STS (RFC 8461).
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def describe(sock: ssl.SSLSocket) -> str:
    """What a handshake agreed, for a transcript note: "TLSv1.3, TLS_AES_256_GCM_SHA384"."""
    cipher = sock.cipher()
    return f"{sock.version()}, {cipher[0] if cipher else 'no cipher'}"
