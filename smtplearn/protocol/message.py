"""What a mail transaction carries: the envelope, and the message it delivers.

RFC 5321 §2.3.1: the *envelope* (MAIL FROM's reverse-path, RCPT TO's
forward-paths, the parameters) is not the *content* (headers and body,
RFC 5322). A new transaction is a new ``Envelope`` (RSET just makes one);
a ``Message`` is an accepted envelope plus its content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from smtplearn.protocol.addresses import Params

if TYPE_CHECKING:
    from email.message import EmailMessage


@dataclass
class Envelope:
    """The transaction being built: one per MAIL FROM, thrown away by RSET (§4.1.1.5)."""

    #: the reverse-path: where bounces go ("" for the null path <>, §4.5.5)
    mail_from: str | None = None
    mail_params: Params = ()
    #: the forward-paths: who receives the message (§4.1.1.3)
    rcpt_tos: list[str] = field(default_factory=list)
    rcpt_params: list[Params] = field(default_factory=list)

    @property
    def smtputf8(self) -> bool:
        return any(key == "SMTPUTF8" for key, _ in self.mail_params)


@dataclass(frozen=True)
class Message:
    """An accepted message: its envelope, trace header and content.

    ``content`` is exactly what the client sent (after dot-unstuffing);
    ``data`` is the content with our ``Received:`` line (§4.4) first, what a
    relay passes on; ``delivered`` is what final delivery stores (a mailbox,
    a Maildir): ``Return-Path: <reverse-path>`` first, then ``data``.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    received_header: bytes = b""
    mail_params: Params = ()
    queue_id: str = ""
    helo: str = ""
    peer: str = ""

    @property
    def data(self) -> bytes:
        return self.received_header + self.content

    @property
    def return_path(self) -> bytes:
        """The ``Return-Path:`` line of final delivery (RFC 5321 §4.4): the reverse-path from
        MAIL FROM, ``<>`` for a bounce (RFC 5322 §3.6.7: return = "Return-Path:" path CRLF)."""
        return b"Return-Path: <" + self.mail_from.encode("utf-8") + b">\r\n"

    @property
    def delivered(self) -> bytes:
        """The message as final delivery stores it. RFC 5321 §4.4: "When the delivery SMTP
        server makes the 'final delivery' of a message, it inserts a return-path line at
        the beginning of the mail data." """
        return self.return_path + self.data

    @cached_property
    def email(self) -> EmailMessage:
        """The content parsed with the standard library's ``email`` package."""
        from email import policy
        from email.parser import BytesParser
        return BytesParser(policy=policy.default).parsebytes(self.delivered)

    def __repr__(self) -> str:
        subject = self.email.get("Subject", "") if self.content else ""
        return (f"<Message {self.queue_id} from <{self.mail_from}> to "
                f"{', '.join(f'<{r}>' for r in self.rcpt_tos)}, {len(self.content)} octets"
                + (f", Subject: {subject!r}>" if subject else ">"))
