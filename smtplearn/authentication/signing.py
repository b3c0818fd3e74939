"""DKIM keys and signing (RFC 6376): what the sending domain's mail server does.

``DKIMKey.generate("home.test")`` makes an RSA key pair (with ``cryptography``);
``key.record`` is the TXT record the domain publishes at
``selector._domainkey.domain`` (RFC 6376 §3.6.1, §3.6.2.1); ``key.sign(message)``
returns the message with a ``DKIM-Signature:`` field on top, made by dkimpy.
"""

from __future__ import annotations

import base64
import functools
import textwrap
from dataclasses import dataclass

__all__ = ["DKIMKey", "SIGNED_HEADERS"]

#: the fields a signature covers: "the From header field MUST be signed" (RFC 6376 §5.4)
SIGNED_HEADERS = (b"From", b"To", b"Cc", b"Subject", b"Date", b"Message-ID")
#: RFC 6376 §3.3.3: "Signers MUST use RSA keys of at least 1024 bits for long-lived keys"
KEY_BITS = 2048


@functools.lru_cache(maxsize=16)
def _new_rsa_key(bits: int, label: str) -> tuple[bytes, bytes]:
    """(private key PEM, public key DER). Cached per label, so a lesson's reruns stay quick."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@dataclass(frozen=True)
class DKIMKey:
    """One signing key of one domain, under one selector."""

    domain: str
    selector: str
    private_pem: bytes
    public_der: bytes

    @classmethod
    def generate(cls, domain: str, selector: str = "mini", bits: int = KEY_BITS) -> DKIMKey:
        private, public = _new_rsa_key(bits, f"{selector}._domainkey.{domain}")
        return cls(domain, selector, private, public)

    @property
    def record_name(self) -> str:
        """Where verifiers look for the public key (RFC 6376 §3.6.2.1)."""
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def record(self) -> str:
        """The key record's text (RFC 6376 §3.6.1): version, key type, public key in base64."""
        return f"v=DKIM1; k=rsa; p={base64.b64encode(self.public_der).decode('ascii')}"

    @property
    def zone_rdata(self) -> str:
        """The record as zone-file TXT data: quoted strings of at most 255 octets (RFC 1035 §3.3.14)."""
        return " ".join(f'"{piece}"' for piece in textwrap.wrap(self.record, 255, break_on_hyphens=False,
                                                                 drop_whitespace=False))

    def sign(self, message: bytes, headers: tuple[bytes, ...] = SIGNED_HEADERS) -> bytes:
        """``message`` with a DKIM-Signature field prepended (dkimpy, relaxed/simple, rsa-sha256)."""
        import dkim
        present = {line.split(b":", 1)[0].strip().lower()
                   for line in message.partition(b"\r\n\r\n")[0].split(b"\r\n") if b":" in line}
        include = [h for h in headers if h.lower() in present]
        field = dkim.sign(message, self.selector.encode(), self.domain.encode(), self.private_pem,
                          include_headers=include)
        return field + message
