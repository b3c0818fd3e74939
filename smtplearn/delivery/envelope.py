"""From a message to what a sending MTA needs: the envelope, the domains, the bytes to send.

RFC 5321 §2.3.1 and §3.3: the *envelope* (MAIL FROM, RCPT TO) is what routes
mail; the *headers* (From:, To:, Cc:) are only part of the content. A mail
program usually builds the envelope from the headers, and that is the default
here; pass ``sender=``/``recipients=`` to see that the two can differ (a Bcc
recipient is in the envelope and in no header that is sent, RFC 5322 §3.6.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message as EmailBase
from email.utils import getaddresses

from smtplearn.conversation import message_bytes
from smtplearn.protocol.errors import UsageError

__all__ = ["Envelope", "make_envelope", "domain_of", "group_by_domain"]

# the headers a mail program reads recipients from (RFC 5322 §3.6.3)
RECIPIENT_HEADERS = ("To", "Cc", "Bcc")
# RFC 5322 §3.6.3: "the 'Bcc:' line is removed" before the message is sent
HIDDEN_HEADERS = ("Bcc",)

_LONE_NEWLINE = re.compile(rb"\r?\n|\r")


@dataclass(frozen=True)
class Envelope:
    """What a delivery carries: reverse-path, forward-paths and the content (CRLF lines)."""

    sender: str  # "" is the null reverse-path <> (RFC 5321 §4.5.5), used for bounces
    recipients: tuple[str, ...]
    content: bytes

    def __post_init__(self) -> None:
        if not self.recipients:
            raise UsageError("no recipients: pass recipients=[...] or give the message To:/Cc:/Bcc: headers")


def make_envelope(message: str | bytes | EmailBase, sender: str | None = None,
                  recipients: str | list[str] | tuple[str, ...] | None = None) -> Envelope:
    """Build the envelope, taking sender and recipients from the headers when not given."""
    raw = crlf(message_bytes(message))
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
    unique = list(dict.fromkeys(recipients))
    return Envelope(sender, tuple(unique), strip_headers(raw, HIDDEN_HEADERS))


def crlf(raw: bytes) -> bytes:
    """Every line ending as CRLF (RFC 5321 §2.3.8: a lone CR or LF is not a line ending)."""
    return _LONE_NEWLINE.sub(b"\r\n", raw)


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


def domain_of(address: str) -> str:
    """The part after the last @, lower case, without a final dot ("" when there is none)."""
    local, at, domain = address.rpartition("@")
    return domain.lower().rstrip(".") if at and local else ""


def group_by_domain(recipients: tuple[str, ...]) -> dict[str, list[str]]:
    """RFC 5321 §5.1: one MX lookup and one session per domain, in the order first seen."""
    groups: dict[str, list[str]] = {}
    for rcpt in recipients:
        groups.setdefault(domain_of(rcpt), []).append(rcpt)
    return groups


def _parse_headers(raw: bytes) -> EmailBase:
    from email import policy
    from email.parser import BytesHeaderParser
    return BytesHeaderParser(policy=policy.default).parsebytes(raw)
