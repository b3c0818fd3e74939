"""From a message to what a sending MTA carries: ``OutgoingMessage`` (envelope + content).

RFC 5321 §2.3.1 and §3.3: the *envelope* (MAIL FROM, RCPT TO) is what routes
mail; the *headers* (From:, To:, Cc:) are only part of the content. A mail
program usually builds the envelope from the headers, and that is the default
here; pass ``sender=``/``recipients=`` to see that the two can differ (a Bcc
recipient is in the envelope and in no header that is sent, RFC 5322 §3.6.3).

This module also owns what the content needs from a server: 8-bit body octets
need 8BITMIME (RFC 6152 §3), UTF-8 header fields or a non-ASCII local part need
SMTPUTF8 (RFC 6531 §3.2, §3.4). Line endings are made CRLF here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message as EmailBase
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, getaddresses

from smtplearn.mx.names import ascii_mailbox, domain_of
from smtplearn.protocol.data import crlf_lines
from smtplearn.protocol.errors import UsageError, WrongTypeError

__all__ = ["OutgoingMessage", "make_message", "group_by_domain", "strip_headers"]

# the headers a mail program reads recipients from (RFC 5322 §3.6.3)
RECIPIENT_HEADERS = ("To", "Cc", "Bcc")
# RFC 5322 §3.6.3: "the 'Bcc:' line is removed" before the message is sent
HIDDEN_HEADERS = ("Bcc",)
# RFC 5322 §2.2: "A field name MUST be composed of printable US-ASCII characters (i.e., characters
# that have values between 33 and 126, inclusive), except colon"; then comes the ":"
_FIELD = re.compile(rb"[!-9;-~]+:")


@dataclass(frozen=True)
class OutgoingMessage:
    """What a delivery carries: reverse-path, forward-paths and the content (CRLF lines)."""

    sender: str  # "" is the null reverse-path <> (RFC 5321 §4.5.5), used for bounces
    recipients: tuple[str, ...]
    content: bytes

    def __post_init__(self) -> None:
        if not self.recipients:
            raise UsageError("no recipients: pass recipients=[...] or give the message To:/Cc:/Bcc: headers")

    @property
    def header_block(self) -> bytes:
        return self.content.partition(b"\r\n\r\n")[0]

    @property
    def body_8bit(self) -> bool:
        """Octets above 127 in the body: RFC 6152 §3 allows them only with BODY=8BITMIME."""
        return not self.content.partition(b"\r\n\r\n")[2].isascii()

    def needs_smtputf8(self, recipients: tuple[str, ...] | list[str] | None = None) -> str | None:
        """Why this message (to ``recipients``, all by default) needs SMTPUTF8, or None.

        RFC 6531 §3.2: an internationalised address (a non-ASCII local part; a domain
        in A-labels does not count) or UTF-8 header fields (RFC 6532).
        """
        for address in (self.sender, *(self.recipients if recipients is None else recipients)):
            if not ascii_mailbox(address).isascii():
                return f"the address <{address}> has a non-ASCII local part"
        if not self.header_block.isascii():
            return "its header fields contain UTF-8 (RFC 6532)"
        return None


def make_message(message: str | bytes | EmailBase, sender: str | None = None,
                 recipients: str | list[str] | tuple[str, ...] | None = None) -> OutgoingMessage:
    """Build envelope and content, taking sender and recipients from the headers when not given.

    The content gets CRLF line endings, loses its Bcc: field, and gains the two fields
    RFC 5322 §3.6 requires when they are missing: ``Date:`` and ``From:`` (from the sender).
    """
    raw = crlf_lines(_as_bytes(message))
    headers = _parse_headers(raw)
    if sender is None:
        found = [address for _, address in getaddresses(headers.get_all("Sender", []) or headers.get_all("From", []))]
        if not found or not found[0]:
            raise UsageError("no sender: pass sender='you@example.org' (or sender='' for the null path <>) "
                             "or give the message a From: header")
        sender = found[0]
    if recipients is None:
        values = [v for name in RECIPIENT_HEADERS for v in headers.get_all(name, [])]
        recipients = [address for _, address in getaddresses(values) if address]
    elif isinstance(recipients, str):
        recipients = [recipients]
    # one RCPT per mailbox, in the order given (case of the domain does not matter, RFC 5321 §2.4)
    unique: dict[str, str] = {}
    for rcpt in recipients:
        unique.setdefault(_mailbox_key(rcpt), rcpt)
    content = _required_fields(strip_headers(raw, HIDDEN_HEADERS), headers, sender)
    return OutgoingMessage(sender, tuple(unique.values()), content)


def _mailbox_key(address: str) -> str:
    """Two spellings of one mailbox are one RCPT: the domain compared by A-label, the local part as is."""
    local, at, _ = address.rpartition("@")
    return f"{local}@{domain_of(address)}" if at and local else address


def _as_bytes(message: str | bytes | EmailBase) -> bytes:
    """The message text from a str, bytes or an email.message object."""
    if isinstance(message, EmailBase):
        # RFC 5322 needs CRLF; SMTPUTF8 keeps non-ASCII headers as UTF-8 (RFC 6532)
        ascii_headers = all(str(value).isascii() for value in message.values())
        return message.as_bytes(policy=SMTP if ascii_headers else SMTPUTF8)
    if isinstance(message, str):
        return message.encode("utf-8")
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    raise WrongTypeError(f"deliver() takes str, bytes or an email.message.EmailMessage, not {type(message).__name__}")


def _required_fields(raw: bytes, headers: EmailBase, sender: str) -> bytes:
    """RFC 5322 §3.6: "The only required header fields are the origination date field and
    the originator address field(s)": add ``Date:`` (local time with its offset, §3.3)
    and ``From:`` (the envelope sender, unless it is the null path) when missing."""
    added = []
    if headers.get("Date") is None:
        added.append(b"Date: " + format_datetime(datetime.now().astimezone()).encode("ascii"))
    if headers.get("From") is None and sender:
        # domain as A-labels: a U-label in a header field would need SMTPUTF8 (RFC 6532, RFC 6531 §3.2)
        added.append(b"From: <" + ascii_mailbox(sender).encode("utf-8") + b">")
    if not added:
        return raw
    block = b"\r\n".join(added) + b"\r\n"
    # text that does not start with a header field is all body: the new fields and a blank line go first
    return block + raw if _FIELD.match(raw) else block + b"\r\n" + raw


def strip_headers(raw: bytes, names: tuple[str, ...]) -> bytes:
    """Remove the named header fields (with their folded continuation lines) from the header block."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return raw
    wanted = tuple(name.lower().encode("ascii") + b":" for name in names)
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):  # RFC 5322 §2.2.3: a folded line continues the field above
            if not dropping:
                kept.append(line)
            continue
        dropping = line.lower().startswith(wanted)
        if not dropping:
            kept.append(line)
    return b"\r\n".join(kept) + sep + body


def group_by_domain(recipients: tuple[str, ...]) -> dict[str, list[str]]:
    """RFC 5321 §5.1: one MX lookup per domain, in the order first seen; the key is
    ``domain_of`` (A-labels), so bücher.example and xn--bcher-kva.example are one domain."""
    groups: dict[str, list[str]] = {}
    for rcpt in recipients:
        groups.setdefault(domain_of(rcpt), []).append(rcpt)
    return groups


def _parse_headers(raw: bytes) -> EmailBase:
    from email import policy
    from email.parser import BytesHeaderParser
    return BytesHeaderParser(policy=policy.default).parsebytes(raw)
