"""A message's header section, with each trace and authentication field explained.

``HeaderView(message)`` shows in Jupyter as a table: every field in the order
it is stored, the trace fields (``Return-Path``, ``Received``) and the
authentication fields (``Authentication-Results``, ``DKIM-Signature``,
``Received-SPF``) highlighted. Hover over a field name for one line on what it
is; click a highlighted row to open what each part of it says. A ``Received:``
line is taken apart: the ``from`` name is a *claim* (what the client said in
EHLO), the address in brackets or parentheses an *observation* (where the
connection came from), ``by`` the server that wrote the line.
"""

from __future__ import annotations

import re
from email import policy
from email.message import Message as EmailBase
from email.parser import BytesHeaderParser
from html import escape

from smtplearn.render.html import CELL_STYLE, TABLE_STYLE

__all__ = ["HeaderView", "FIELD_NOTES", "received_parts"]

#: lower-case field name -> (where it is defined, what it is for a student)
FIELD_NOTES: dict[str, tuple[str, str]] = {
    "return-path": ("RFC 5321 §4.4", "Added at final delivery: the envelope's MAIL FROM, where bounces go. "
                    "Not written by the sender."),
    "received": ("RFC 5321 §4.4", "One per server, each prepended on top: read them bottom-up to follow "
                 "the message. Only the line written by a server you trust is trustworthy."),
    "authentication-results": ("RFC 7208 §9.2, RFC 7489 §11.2", "The receiving server's verdicts (SPF, DKIM, "
                               "DMARC). Trust it only when your own server wrote it."),
    "received-spf": ("RFC 7208 §9.1", "The SPF result the receiving server computed for the connecting address "
                     "and the MAIL FROM domain."),
    "dkim-signature": ("RFC 6376 §3.5", "A signature over some header fields and the body, made with the "
                       "private key of the domain in d=; the public key is in DNS at s._domainkey.d."),
    "from": ("RFC 5322 §3.6.2", "The author as the mail program shows it. Anyone can write anything here: "
             "DMARC checks it against SPF and DKIM."),
    "to": ("RFC 5322 §3.6.3", "Shown to readers; delivery follows the envelope's RCPT TO, not this."),
    "cc": ("RFC 5322 §3.6.3", "Shown to readers; delivery follows the envelope's RCPT TO, not this."),
    "subject": ("RFC 5322 §3.6.5", "The topic, for people."),
    "date": ("RFC 5322 §3.6.1", "When the author's program says the message was written."),
    "message-id": ("RFC 5322 §3.6.4", "A unique name for this message, made by its first program."),
    "content-type": ("RFC 2045 §5", "What the body is (text/plain, multipart/report ...)."),
}
#: the fields the view highlights: trace and authentication
HIGHLIGHT = {"return-path", "received", "authentication-results", "received-spf", "dkim-signature"}

#: clause -> how to find it in one unfolded Received: value (RFC 5321 §4.4, the Stamp grammar)
_CLAUSES = {
    "claim": re.compile(r"^from\s+([^\s(\[;]+)", re.I),
    "observed": re.compile(r"^from\s+\S+\s*(\([^)]*\)|\[[^\]]*\])", re.I),
    "by": re.compile(r"\bby\s+([^\s(;]+)", re.I),
    "with": re.compile(r"\bwith\s+([^\s(;]+)", re.I),
    "id": re.compile(r"\bid\s+([^\s(;]+)", re.I),
    "for": re.compile(r"\bfor\s+(<[^>]*>)", re.I),
    "date": re.compile(r";\s*([^;]+)$"),
}


def received_parts(value: str) -> dict[str, str]:
    """The clauses of one ``Received:`` value (RFC 5321 §4.4): from, the address seen, by, with, id, for, date."""
    text = " ".join(value.split())
    found = {key: pattern.search(text) for key, pattern in _CLAUSES.items()}
    return {key: match.group(1) for key, match in found.items() if match}


_PART_NOTES = {
    "claim": "from: the name the client gave in EHLO -- a claim; the client could have said anything",
    "observed": "the address the TCP connection came from -- an observation by the server writing the line",
    "by": "by: the server that wrote this line (the receiving side of this hop)",
    "with": "with: the protocol (ESMTP; S = over TLS, A = authenticated, RFC 3848)",
    "id": "id: the writing server's queue id (look for it in that server's logs)",
    "for": "for: the recipient of this hop, when there was exactly one",
    "date": "when the writing server received the message",
}


class HeaderView:
    """Shows the header fields of ``message`` with the trace/authentication ones explained."""

    def __init__(self, message: bytes | str | EmailBase) -> None:
        if isinstance(message, EmailBase):
            self.fields = [(str(name), str(value)) for name, value in message.items()]
        else:
            raw = message.encode("utf-8") if isinstance(message, str) else message
            parsed = BytesHeaderParser(policy=policy.default).parsebytes(raw)
            self.fields = [(str(name), str(value)) for name, value in parsed.items()]

    def __repr__(self) -> str:
        lines = []
        for name, value in self.fields:
            mark = "*" if name.lower() in HIGHLIGHT else " "
            lines.append(f"{mark} {name}: {' '.join(value.split())}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cell = CELL_STYLE
        rows = [self._row(n, name, value, cell) for n, (name, value) in enumerate(self.fields, start=1)]
        return (f'<table style="{TABLE_STYLE}"><thead><tr>'
                f'<th style="{cell}">#</th><th style="{cell}">field</th><th style="{cell}">value '
                "(click a highlighted row)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")

    @staticmethod
    def _row(number: int, name: str, value: str, cell: str) -> str:
        where, note = FIELD_NOTES.get(name.lower(), ("", ""))
        tip = escape(f"{note} ({where})" if note else "", quote=True)
        shown = escape(" ".join(value.split()))
        if name.lower() not in HIGHLIGHT:
            return (f'<tr><td style="{cell}">{number}</td><td style="{cell}" title="{tip}"><code>'
                    f'{escape(name)}</code></td><td style="{cell};font-family:monospace">{shown}</td></tr>')
        details = f"<p>{escape(note)} <i>({escape(where)})</i></p>"
        if name.lower() == "received":
            parts = received_parts(value)
            details += "<ul>" + "".join(f"<li><code>{escape(text)}</code>: {escape(_PART_NOTES[key])}</li>"
                                        for key, text in parts.items()) + "</ul>"
        return (f'<tr style="background:#fff8c5"><td style="{cell}">{number}</td><td style="{cell}" '
                f'title="{tip}"><b><code>{escape(name)}</code></b></td><td style="{cell}"><details>'
                f'<summary style="font-family:monospace">{shown}</summary>{details}</details></td></tr>')
