"""Transports: how bytes reach a sans-I/O session (``smtplearn.protocol``).

Each module moves bytes and makes no protocol decision of its own:

- ``memory``  ``Pair``: client and server joined in memory (the notebooks' default)
- ``server``  ``Server``: a real TCP server, one asyncio event loop in a background thread
- ``client``  ``Client``: a real TCP client with the RFC 5321 §4.5.3.2 timeouts
- ``tls``     ``ClassCertificate``: a throw-away class CA and the ssl contexts for STARTTLS
- ``mailbox`` ``Mailbox``: where accepted messages go (a bounded list, or a Maildir)

Names load on first use, as in the top-level package: ``server`` loads asyncio and ssl
(+25 ms measured), which a ``Pair`` in a notebook never needs.
"""

from __future__ import annotations

from smtplearn._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Pair": "smtplearn.transports.memory",
    "Server": "smtplearn.transports.server",
    "Client": "smtplearn.transports.client",
    "SMTPConnectError": "smtplearn.transports.client",
    "SMTPTimeoutError": "smtplearn.transports.client",
    "SMTPTLSError": "smtplearn.transports.client",
    "ClassCertificate": "smtplearn.transports.tls",
    "Mailbox": "smtplearn.transports.mailbox",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
