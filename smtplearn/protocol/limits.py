"""The limits a server enforces, with the RFC text that sets each minimum.

RFC 5321 §4.5.3.1 gives the *smallest* limits a server may impose; a
teaching server uses exactly those by default, so what students read in the
RFC is what they hit. Every one can be changed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smtplearn.protocol.errors import UsageError


class BareNewlinePolicy(enum.Enum):
    """What to do with a lone CR or LF inside a message (RFC 5321 §2.3.8).

    Only <CRLF>.<CRLF> ever ends DATA, whatever the policy: <LF>.<LF> and the
    other look-alikes are message text. That alone stops "SMTP smuggling"
    (CVE-2023-51764 and relatives) from ending a message early here. REJECT
    goes further, like Postfix's ``smtpd_forbid_bare_newline = normal``: a
    message holding a bare CR or LF is refused whole with 554 5.6.0 (after
    its real end), so no downstream server that *does* treat <LF>.<LF> as an
    end can be fed a hidden second message through us.
    """

    #: refuse the whole message with 554 5.6.0 (the default, and Postfix's)
    REJECT = "reject"
    #: keep the bytes as they are (aiosmtpd 1.4.5 behaviour: only the terminator is strict)
    KEEP = "keep"


@dataclass(frozen=True)
class Limits:
    """Sizes and counts the server enforces. The defaults are RFC 5321's minimums."""

    #: §4.5.3.1.4: a command line, including the verb and the CRLF
    command_line: int = 512
    #: §4.5.3.1.6: a line of message text, including the CRLF
    text_line: int = 1000
    #: §4.5.3.1.8: recipients per message (more get 452, §4.5.3.1.10)
    recipients: int = 100
    #: RFC 1870: the largest message accepted, advertised as SIZE in EHLO
    message_size: int = 10 * 1024 * 1024
    #: §3.8 lets a server close after errors; this many refusals in a row get 421
    errors_in_a_row: int = 20
    #: §2.3.8: lone CR or LF in a message
    bare_newline: BareNewlinePolicy = BareNewlinePolicy.REJECT

    def __post_init__(self) -> None:
        minimums = {"command_line": 512, "text_line": 1000, "recipients": 1,
                    "message_size": 1, "errors_in_a_row": 1}
        for name, minimum in minimums.items():
            if getattr(self, name) < minimum:
                raise UsageError(f"Limits.{name} must be at least {minimum} "
                                 f"(RFC 5321 §4.5.3.1 sets the minimums), got {getattr(self, name)}")
