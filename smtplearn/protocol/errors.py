"""Every error smtplearn raises on purpose, under one base: ``smtplearn.Error``.

As in h11, a conversation goes wrong in two ways. ``LocalProtocolError``:
*you* (the code using this library) asked for something the protocol does not
allow, e.g. MAIL before EHLO on a strict client. ``RemoteProtocolError``: the
*peer* sent something that breaks the protocol, e.g. a malformed command line.
Both carry the SMTP reply a server would send for it, so a server can answer
with ``err.reply`` and a student can read ``err.reply.explanation``.

Four more say that a call itself was wrong, each also the built-in error
Python code expects for it: ``UsageError`` (a ``ValueError``: a value breaks a
rule, e.g. a reply code out of range, a domain name with an empty label),
``NotFoundError`` (a ``KeyError``: a name smtplearn does not know, e.g. a
catalogue reply or a host), ``WrongTypeError`` (a ``TypeError``) and
``NotNowError`` (a ``RuntimeError``: not possible in this object's state, e.g.
a server that is not running). The errors of the other layers (``SMTPConnectError``, ``MXLookupError``,
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


class NotFoundError(Error, KeyError):
    """A name smtplearn does not know; the message lists the names it does."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class WrongTypeError(Error, TypeError):
    """A value of the wrong type; the message says which types are accepted."""


class NotNowError(Error, RuntimeError):
    """Not possible in the object's present state; the message says what to do first."""


class ProtocolError(Error):
    """Base class; ``reply`` is what an SMTP server answers to this mistake."""

    def __init__(self, message: str, reply: Reply | None = None) -> None:
        super().__init__(message)
        self.reply = reply


class LocalProtocolError(ProtocolError):
    """Our side broke the rules (a library call that is not allowed now)."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the rules (bytes that are not valid SMTP)."""
