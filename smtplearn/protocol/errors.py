"""The two ways a conversation can go wrong, as in h11.

``LocalProtocolError``: *you* (the code using this library) asked for
something the protocol does not allow, e.g. MAIL before EHLO on a strict
client. ``RemoteProtocolError``: the *peer* sent something that breaks the
protocol, e.g. a malformed command line. Both carry the SMTP reply a server
would send for it, so a server can answer with ``err.reply`` and a student
can read ``err.reply.explanation``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtplearn.protocol.replies import Reply


class ProtocolError(Exception):
    """Base class; ``reply`` is what an SMTP server answers to this mistake."""

    def __init__(self, message: str, reply: Reply | None = None) -> None:
        super().__init__(message)
        self.reply = reply


class LocalProtocolError(ProtocolError):
    """Our side broke the rules (a library call that is not allowed now)."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the rules (bytes that are not valid SMTP)."""
