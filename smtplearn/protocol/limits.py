"""The limits a server enforces, with the RFC text that sets each minimum.

RFC 5321 §4.5.3.1 gives the *smallest* objects a server must accept. The
command line (512 octets), text line (1,000) and recipient (100) limits
default to exactly those, so what students read in the RFC is what they hit;
the message size defaults to 10 MiB, a local choice (the RFC's minimum is
64K octets, §4.5.3.1.7). Every one can be changed, even below the RFC's
minimum for a demonstration, with a warning.
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass

from smtplearn.protocol.errors import UsageError


class BareNewlinePolicy(enum.Enum):
    """What to do with a lone CR or LF inside a message (RFC 5321 §2.3.8).

    Only <CRLF>.<CRLF> ever ends DATA, whatever the policy: <LF>.<LF> and the
    other look-alikes are message text. That alone stops "SMTP smuggling"
    (CVE-2023-51764 and relatives) from ending a message early here. REJECT
    goes further: a message holding a bare CR or LF is refused whole with
    554 5.6.0 (after its real end), so no downstream server that *does* treat
    <LF>.<LF> as an end can be fed a hidden second message through us.

    Postfix's ``smtpd_forbid_bare_newline`` takes ``no`` (bare LF counts as a
    line end, <LF>.<LF> too: the default before 3.9), ``normalize`` (the
    default from 3.9: only <CR><LF>.<CR><LF> ends DATA, a bare LF is taken as
    CRLF) and ``reject`` (a command or message with a bare LF is refused).
    REJECT is closest to ``reject``, but judges bare CR too and keeps the
    session; KEEP is like ``normalize`` without rewriting the bytes.
    """

    #: refuse the whole message with 554 5.6.0 (the default; Postfix's is ``normalize``)
    REJECT = "reject"
    #: keep the bytes as they are (aiosmtpd 1.4.5 behaviour: only the terminator is strict)
    KEEP = "keep"


class BelowRFCMinimumWarning(UserWarning):
    """A ``Limits`` value is below the smallest one RFC 5321 §4.5.3.1 (or RFC 4954 §9) allows (fine for a demo)."""


#: field -> (the RFC's smallest value, where it says so, what it is)
RFC_MINIMUMS: dict[str, tuple[int, str, str]] = {
    "command_line": (512, "RFC 5321 §4.5.3.1.4", "octets per command line"),
    "text_line": (1000, "RFC 5321 §4.5.3.1.6", "octets per text line"),
    "recipients": (100, "RFC 5321 §4.5.3.1.8", "recipients"),
    "message_size": (64 * 1024, "RFC 5321 §4.5.3.1.7", "octets of message content"),
}

#: RFC 4954 §9: a server that drops the connection after failed authentications "SHOULD NOT drop
#: the connection until at least 3 attempts to authenticate have failed"
AUTH_FAILURES_MINIMUM = 3


@dataclass(frozen=True)
class Limits:
    """Sizes, counts and defences the server enforces. ``command_line``, ``text_line`` and
    ``recipients`` default to RFC 5321's minimums; ``message_size`` to 10 MiB, a local choice
    (the RFC's minimum is 64K octets).

    A size below the RFC's minimum is allowed for a demonstration (a tiny
    ``message_size`` shows 552 quickly) but warns with ``BelowRFCMinimumWarning``,
    and ``describe()`` says so beside the value.

    The defences never close a session for a command it did not understand
    (RFC 5321 §3.8: "a server that closes connections in response to commands
    that are not understood is in violation of this specification"). Instead:

    - after ``tarpit_after`` refused commands in a row (500, 501, 503 ...), each
      further reply waits ``tarpit_step`` seconds more than the one before, at
      most ``tarpit_max`` (a "tarpit"); an accepted command resets the count;
    - failed AUTH attempts are counted per connection (a 334 challenge or a NOOP
      does not reset them): from ``auth_failures_slow`` on, every reply waits the
      same growing delay, and at ``auth_failures_close`` the server says
      ``421 4.7.0`` and closes (RFC 4954 §9: servers MAY drop the connection after
      failed attempts but SHOULD NOT before 3 have failed; RFC 5321 §7.8 allows
      closing under attack);
    - ``refused_recipients`` RCPTs in a row refused with 5yz (an address-harvesting
      attack) get ``421 4.7.0`` and the close RFC 5321 §7.8 describes.

    The protocol core only computes the wait (``ServerSession.reply_delay``); the
    TCP transport sleeps it, the in-memory ``Pair`` notes it in the transcript.
    """

    #: §4.5.3.1.4: a command line, including the verb and the CRLF
    command_line: int = 512
    #: §4.5.3.1.6: a line of message text, including the CRLF
    text_line: int = 1000
    #: §4.5.3.1.8: recipients per message, at least 100 (more get 452, §4.5.3.1.10)
    recipients: int = 100
    #: RFC 1870: the largest message accepted, advertised as SIZE in EHLO (§4.5.3.1.7: at least 64K)
    message_size: int = 10 * 1024 * 1024
    #: §7.8: this many RCPTs in a row refused with 5yz get 421 and the session is closed
    refused_recipients: int = 20
    #: §2.3.8: lone CR or LF in a message
    bare_newline: BareNewlinePolicy = BareNewlinePolicy.REJECT
    #: A DEVIATION for class use, off by default: accept a command line that ends with a
    #: bare LF (what plain ``nc`` without -C sends), with a note in the transcript. RFC 5321
    #: §2.3.8: implementations "MUST NOT recognize ... any other character or character
    #: sequence as a line terminator" (§4.1.1.4 says it of bare LF for servers); off, such a
    #: line gets 500 5.5.2, as ``smtpd_forbid_bare_newline = reject`` refuses it in Postfix
    #: (whose ``normalize`` default accepts it). Message text is never affected: only
    #: <CRLF>.<CRLF> ends DATA.
    bare_lf_commands: bool = False
    #: refused commands in a row before replies are slowed (the tarpit)
    tarpit_after: int = 10
    #: seconds each further refused command adds to the wait before its reply
    tarpit_step: float = 1.0
    #: the longest a single reply waits (well under the client timeouts of §4.5.3.2: 2 minutes
    #: for the reply to DATA, 5 for the greeting, MAIL and RCPT)
    tarpit_max: float = 30.0
    #: failed AUTH attempts on one connection before every reply is slowed
    auth_failures_slow: int = 3
    #: failed AUTH attempts on one connection that get 421 4.7.0 and the close
    auth_failures_close: int = 10

    def __post_init__(self) -> None:
        for name in ("command_line", "text_line", "recipients", "message_size", "refused_recipients",
                     "tarpit_after", "auth_failures_slow", "auth_failures_close"):
            if getattr(self, name) < 1:
                raise UsageError(f"Limits.{name} must be at least 1, got {getattr(self, name)}")
        for name in ("tarpit_step", "tarpit_max"):
            if getattr(self, name) < 0:
                raise UsageError(f"Limits.{name} is seconds and cannot be negative, got {getattr(self, name)}")
        if self.command_line < 10:
            raise UsageError(f"Limits.command_line must hold at least a command like 'NOOP' and CRLF; "
                             f"got {self.command_line} (RFC 5321 §4.5.3.1.4 asks for 512)")
        for problem in self.below_rfc_minimum():
            warnings.warn(f"Limits.{problem}: allowed for a demonstration, but a conforming server "
                          "does not go below it", BelowRFCMinimumWarning, stacklevel=3)

    def below_rfc_minimum(self) -> list[str]:
        """``"name is N, below the minimum of M ... (RFC 5321 §x)"`` for each value under the RFC's floor."""
        out = []
        for name, (minimum, section, unit) in RFC_MINIMUMS.items():
            value = getattr(self, name)
            if value < minimum:
                out.append(f"{name} is {value}, below the minimum of {minimum} {unit} ({section})")
        if self.auth_failures_close < AUTH_FAILURES_MINIMUM:
            out.append(f"auth_failures_close is {self.auth_failures_close}, below the minimum of "
                       f"{AUTH_FAILURES_MINIMUM} failed AUTH attempts before a close (RFC 4954 §9)")
        return out

    def describe(self) -> list[str]:
        """One line per size limit, saying where the RFC puts its minimum and whether this is below it."""
        lines = []
        for name, (minimum, section, unit) in RFC_MINIMUMS.items():
            value = getattr(self, name)
            note = (f"BELOW the RFC minimum of {minimum}: a demo setting, not a conforming server"
                    if value < minimum else f"RFC minimum {minimum}")
            lines.append(f"{name} = {value} {unit} ({section}: {note})")
        if self.auth_failures_close < AUTH_FAILURES_MINIMUM:
            lines.append(f"auth_failures_close = {self.auth_failures_close} failed AUTH attempts (RFC 4954 §9: "
                         f"BELOW the minimum of {AUTH_FAILURES_MINIMUM} before a close: a demo setting)")
        if self.bare_lf_commands:
            lines.append("bare_lf_commands = True (a classroom deviation from RFC 5321 §2.3.8: "
                         "command lines ending with a bare LF are accepted)")
        return lines
