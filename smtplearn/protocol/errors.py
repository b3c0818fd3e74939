"""Every error smtplearn raises on purpose, under one base: ``smtplearn.Error``.

As in h11, a conversation goes wrong in two ways. ``LocalProtocolError``:
*you* (the code using this library) asked for something the protocol does not
allow, e.g. MAIL before EHLO on a strict client. ``RemoteProtocolError``: the
*peer* sent something that breaks the protocol, e.g. a malformed command line.
Both carry the SMTP reply a server would send for it, so a server can answer
with ``err.reply`` and a student can read ``err.reply.explanation``.

``UsageError`` is a value you passed that breaks a rule (a reply code out of
range, a domain name with an empty label); it is also a ``ValueError``. The
errors of the other layers (``SMTPConnectError``, ``MXLookupError``,
``DotNotFoundError`` ...) derive from ``Error`` too, so ``except smtplearn.Error``
catches everything smtplearn raises on purpose and nothing else. This module
is the lowest layer's, so every layer can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtplearn.protocol.catalogue import Reply


class Error(Exception):
    """Base of every error smtplearn raises on purpose (``except smtplearn.Error``)."""


class UsageError(Error, ValueError):
    """A value passed to smtplearn breaks a rule; the message says which and what is allowed."""


class ProtocolError(Error):
    """Base class; ``reply`` is what an SMTP server answers to this mistake."""

    def __init__(self, message: str, reply: Reply | None = None) -> None:
        super().__init__(message)
        self.reply = reply


class LocalProtocolError(ProtocolError):
    """Our side broke the rules (a library call that is not allowed now)."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the rules (bytes that are not valid SMTP)."""
