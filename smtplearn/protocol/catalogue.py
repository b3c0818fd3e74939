"""The reply catalogue: what a reply is, every reply our server sends, and what any code means.

``Reply`` (a code and its lines, RFC 5321 §4.2) is defined here, beside the
catalogue it is made from and explains itself with, so the two need no
import of each other; ``replies.py`` reads replies from bytes.

One source of truth for replies (STYLE.md rule 4). The server sends only
replies made here with ``reply(name, ...)``; the transcript explains every
code it shows with ``explain``; tests name replies instead of copying text.
Each entry carries the RFC section that defines it and a sentence a student
can read. ``CODE_MEANINGS`` covers every code in RFC 5321 §4.2.3 (plus the
extension codes we speak), so replies from *other* servers are explained too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from types import MappingProxyType

from smtplearn.protocol.errors import NotFoundError, UsageError
from smtplearn.protocol.views import view

# RFC 3463 §2: class "." subject "." detail, where the class matches the reply's first digit
ENHANCED_STATUS = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?: |$)")


@dataclass(frozen=True)
class Reply:
    """One server reply, possibly multi-line.

    ``lines`` is the text of each line without the code and without the
    enhanced status code; ``enhanced`` is that code (e.g. "2.1.5") or None.
    """

    code: int
    lines: tuple[str, ...] = ("",)
    enhanced: str | None = None
    #: the catalogue entry this reply was made from, when known (for teaching)
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 200 <= self.code <= 599:
            raise UsageError(f"reply code must be 200..599 (RFC 5321 §4.2), got {self.code}")
        if isinstance(self.lines, str):
            object.__setattr__(self, "lines", tuple(self.lines.split("\n")))
        if not self.lines:
            object.__setattr__(self, "lines", ("",))
        for line in self.lines:
            if "\r" in line or "\n" in line:
                raise UsageError("a reply line cannot contain CR or LF; pass several lines instead")
        if self.enhanced is not None and not _agrees(self.enhanced, self.code):
            raise UsageError(
                f"enhanced status {self.enhanced!r} must look like {str(self.code)[0]}.X.Y "
                "and agree with the reply's first digit (RFC 3463 §2)")

    # -- what a student asks of a reply -------------------------------------
    @property
    def text(self) -> str:
        """All lines joined with newlines."""
        return "\n".join(self.lines)

    @property
    def kind(self) -> str:
        """The meaning of the first digit (RFC 5321 §4.2.1)."""
        return {2: "positive completion", 3: "positive intermediate",
                4: "transient negative", 5: "permanent negative"}[self.code // 100]

    @property
    def is_positive(self) -> bool:
        return self.code < 400

    @property
    def is_transient(self) -> bool:
        """4xx: try again later (§4.2.1)."""
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        """5xx: do not repeat the same request (§4.2.1)."""
        return self.code >= 500

    @property
    def explanation(self) -> str:
        """A one-line plain-English explanation, from the catalogue below."""
        return explain(self)

    # -- wire format ---------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The reply as it travels, every line ending in CRLF (§4.2.1)."""
        # Written once per Reply and kept (the catalogue sends its fixed replies again
        # and again). Not functools.cached_property: on Python 3.11 it takes a lock.
        wire = self.__dict__.get("_wire")
        if wire is None:
            wire = self.__dict__["_wire"] = self._format()
        return wire

    def _format(self) -> bytes:
        prefix = f"{self.enhanced} " if self.enhanced else ""
        last = len(self.lines) - 1
        out = []
        for i, line in enumerate(self.lines):
            sep = " " if i == last else "-"
            text = f"{self.code}{sep}{prefix}{line}".rstrip(" ")
            if self.code == 334 and i == last and text == "334":
                text = "334 "  # RFC 4954 §4: an empty challenge is "334 ", the space kept
            out.append(text + "\r\n")
        return "".join(out).encode("utf-8")

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8").rstrip("\r\n").replace("\r\n", "\n")

    def __repr__(self) -> str:
        return f"<Reply {str(self)!r}>"

    def _repr_html_(self) -> str:
        html: str = view("reply_html")(self)  # smtplearn.render.html, through the named hook
        return html


@functools.lru_cache(maxsize=64)
def _agrees(enhanced: str, code: int) -> bool:
    """True when ``enhanced`` is X.Y.Z with X the reply's first digit (RFC 3463 §2).
    Kept per pair: a session sends and reads the same few codes again and again."""
    match = ENHANCED_STATUS.fullmatch(enhanced)
    return match is not None and match.group(1) == str(code)[0]


@dataclass(frozen=True)
class Entry:
    """A named reply: code, enhanced status (RFC 3463), text template, source, explanation."""

    code: int
    enhanced: str | None
    text: str
    section: str
    explanation: str
    #: the reply goes on after its first line (EHLO's extensions, HELP's text)
    more_lines: bool = False

    def __post_init__(self) -> None:
        Reply(self.code, ("",), self.enhanced)  # validates code and enhanced status together


# RFC 5321 §4.2.3 (and the extensions' RFCs): code -> (section, meaning)
CODE_MEANINGS = MappingProxyType({
    211: ("RFC 5321 §4.2.3", "System status or help reply."),
    214: ("RFC 5321 §4.2.3, §4.1.1.8", "Help text, meant for a human reader."),
    220: ("RFC 5321 §4.2.3", "Service ready: the server greets you (or is ready to start TLS)."),
    221: ("RFC 5321 §4.1.1.10", "The server is closing the connection, as you asked with QUIT."),
    235: ("RFC 4954 §6", "Authentication succeeded."),
    250: ("RFC 5321 §4.2.3", "Requested action okay, completed."),
    251: ("RFC 5321 §3.4", "User not local; the server will forward the message."),
    252: ("RFC 5321 §3.5.3, §7.3", "Cannot verify the user, but the server will accept the message and try "
                                   "(neither yes nor no: what a site that disables VRFY or EXPN for security MUST answer)."),
    334: ("RFC 4954 §4", "Authentication continues: send the next base64 line."),
    354: ("RFC 5321 §4.1.1.4", "Go ahead: send the message, end it with <CRLF>.<CRLF>."),
    421: ("RFC 5321 §3.8", "Service not available; the server is closing the connection. Try later."),
    450: ("RFC 5321 §4.2.3", "Mailbox unavailable for now (busy, or a temporary policy such as greylisting): try later."),
    451: ("RFC 5321 §4.2.3", "Local error in processing: the server failed for now, try later."),
    452: ("RFC 5321 §4.2.3, §4.5.3.1.10",
          "Insufficient system storage, or too many recipients in this transaction: send the rest later."),
    454: ("RFC 3207 §4; RFC 4954 §6",
          "TLS not available for a temporary reason, or (to AUTH) a temporary authentication failure."),
    455: ("RFC 5321 §4.2.3", "The server cannot accommodate these parameters right now."),
    500: ("RFC 5321 §4.2.3, §4.2.4", "Syntax error: command not recognised, or the line was too long."),
    501: ("RFC 5321 §4.2.3, §4.1.4", "Syntax error in the command's parameters or arguments."),
    502: ("RFC 5321 §4.2.4", "The server knows this command but does not implement it."),
    503: ("RFC 5321 §4.2.3, §4.1.4", "Bad sequence of commands: this command is not allowed at this point."),
    504: ("RFC 5321 §4.2.3", "A command parameter is not implemented."),
    530: ("RFC 4954 §6", "Authentication required before this command."),
    534: ("RFC 4954 §6", "The authentication mechanism is too weak for this server."),
    535: ("RFC 4954 §6", "Authentication failed: wrong credentials."),
    538: ("RFC 4954 §6", "This authentication mechanism needs an encrypted (TLS) connection "
                         "(RFC 4954 keeps this code for historical purposes)."),
    550: ("RFC 5321 §4.2.3", "Not taken: mailbox unavailable, or refused by policy. Do not retry as is."),
    551: ("RFC 5321 §3.4", "User not local; try the forward-path the server gives."),
    552: ("RFC 5321 §4.2.3, §4.5.3.1.10; RFC 1870 §6.1; RFC 3463 §3.3 (X.2.2)",
          "Exceeded storage allocation: the message is too big for the server (RFC 1870), or the "
          "mailbox is full (enhanced status X.2.2, a 'persistent transient failure'). Some old servers "
          "send 552 for too many recipients; §4.5.3.1.10 says clients SHOULD treat that case as "
          "temporary, like 452."),
    553: ("RFC 5321 §4.2.3", "Mailbox name not allowed: the address is malformed or not permitted."),
    554: ("RFC 5321 §4.2.3", "Transaction failed (or, as a greeting: no SMTP service here)."),
    555: ("RFC 5321 §4.1.1.11", "A MAIL FROM/RCPT TO parameter is not recognised or not implemented."),
    556: ("RFC 7505 §4", "Domain does not accept mail: it publishes a null MX (MX 0 .); enhanced status 5.1.10."),
})

_ENTRIES: dict[str, Entry] = {
    # --- greeting and hello (§3.1, §4.1.1.1) --------------------------------------
    "greeting": Entry(220, None, "{hostname} ESMTP smtplearn ready", "RFC 5321 §3.1",
                      "The server's greeting: it is ready for HELO or EHLO."),
    "session_refused": Entry(554, "5.7.1", "{hostname} no SMTP service here: {detail}", "RFC 5321 §3.1",
                             "The server refuses this session: it MUST wait for QUIT and SHOULD answer "
                             "every other command with 503; the client ends with QUIT (§4.1.4)."),
    "helo_ok": Entry(250, None, "{hostname} greets {client}", "RFC 5321 §4.1.1.1",
                     "HELO accepted: plain SMTP, no extensions."),
    "ehlo_ok": Entry(250, None, "{hostname} greets {client}", "RFC 5321 §4.1.1.1",
                     "EHLO accepted; the following lines list the extensions this server supports.",
                     more_lines=True),
    # --- the mail transaction (§4.1.1.2-§4.1.1.4) --------------------------------
    "mail_ok": Entry(250, "2.1.0", "Sender <{address}> OK", "RFC 5321 §4.1.1.2",
                     "The reverse-path (where bounces go) is accepted; a transaction is open."),
    "rcpt_ok": Entry(250, "2.1.5", "Recipient <{address}> OK", "RFC 5321 §4.1.1.3",
                     "This recipient (forward-path) is accepted; add more, or send DATA."),
    "data_go_ahead": Entry(354, None, "End data with <CR><LF>.<CR><LF>", "RFC 5321 §4.1.1.4",
                           "Send the message now: headers, blank line, body, then a line with only a dot."),
    "message_accepted": Entry(250, "2.0.0", "OK: queued as {queue_id}", "RFC 5321 §4.1.1.4",
                              "The server has taken responsibility for delivering the message."),
    "rset_ok": Entry(250, "2.0.0", "Reset OK", "RFC 5321 §4.1.1.5",
                     "Any open transaction (sender, recipients, data) is discarded; the session stays."),
    "noop_ok": Entry(250, "2.0.0", "OK", "RFC 5321 §4.1.1.9",
                     "NOOP does nothing but get an OK: a way to check the server is alive."),
    "vrfy_cannot": Entry(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery",
                         "RFC 5321 §3.5.3",
                         "VRFY is answered without confirming whether the mailbox exists (§7.3; RCPT TO "
                         "often tells the same, so this alone does not stop address harvesting)."),
    "help": Entry(214, "2.0.0", "Commands: {commands}", "RFC 5321 §4.1.1.8",
                  "Help for humans: the commands this server knows.", more_lines=True),
    "quit": Entry(221, "2.0.0", "{hostname} closing connection", "RFC 5321 §4.1.1.10",
                  "Goodbye: the server closes the connection."),
    # --- refusals of syntax and sequence (§4.2.4, §4.1.4) -------------------------
    "unknown_command": Entry(500, "5.5.2", "Command not recognized: {verb}", "RFC 5321 §4.2.4",
                             "The server does not know this command at all."),
    "line_too_long": Entry(500, "5.5.2", "Line too long (limit {limit} octets including CRLF)",
                           "RFC 5321 §4.5.3.1.4",
                           "A command line may be at most 512 octets including the CRLF."),
    "bad_bytes": Entry(500, "5.5.2", "Command contains {what}", "RFC 5321 §2.4, §2.3.8; RFC 6531 §3.3",
                       "Commands are ASCII text (UTF-8 only in SMTPUTF8 addresses): a NUL, a lone CR or LF, "
                       "or invalid UTF-8 cannot be part of one (§2.4: \"500 syntax error - invalid character\")."),
    "bare_lf_command": Entry(500, "5.5.2", "Command line must end with CRLF, not a bare LF (use nc -C)",
                             "RFC 5321 §2.3.8",
                             "Lines end with CR LF; §2.3.8: implementations MUST NOT recognize anything else as "
                             "a line end (§4.1.1.4 says so of bare LF for servers)."),
    "syntax_error": Entry(501, "5.5.4", "Syntax error: {detail}", "RFC 5321 §4.2.3, §4.1.4",
                          "The command is known but its argument is malformed."),
    "bad_address": Entry(501, "5.1.3", "Bad address syntax: {detail}", "RFC 5321 §4.1.2; RFC 3463 §3.2",
                         "The recipient address does not follow RFC 5321 §4.1.2 syntax "
                         "(X.1.3: bad destination mailbox address syntax)."),
    "address_too_long": Entry(501, "5.1.3", "Address too long: {detail}", "RFC 5321 §4.5.3.1.1-§4.5.3.1.3",
                              "Local part at most 64 octets, domain 255, whole path 256."),
    "bad_sender_address": Entry(501, "5.1.7", "Bad sender address syntax: {detail}",
                                "RFC 5321 §4.1.2; RFC 3463 §3.2",
                                "The sender address does not follow RFC 5321 §4.1.2 syntax "
                                "(X.1.7: bad sender's mailbox address syntax)."),
    "sender_address_too_long": Entry(501, "5.1.7", "Sender address too long: {detail}",
                                     "RFC 5321 §4.5.3.1.1-§4.5.3.1.3",
                                     "Local part at most 64 octets, domain 255, whole path 256."),
    "bad_helo_name": Entry(501, "5.5.4", "{verb} needs an ASCII domain name (A-labels, xn--...) "
                           "or an address literal, e.g. {verb} client.example.org",
                           "RFC 5321 §4.1.2; RFC 6531 §3.7.1",
                           "The HELO/EHLO name must be letters, digits and hyphens (internationalised "
                           "names in their xn-- A-label form), or an address literal like [192.0.2.1]."),
    "duplicate_parameter": Entry(501, "5.5.4", "Parameter {param} given more than once",
                                 "RFC 1870 §6; RFC 6152 §3",
                                 "Each MAIL FROM parameter may appear at most once."),
    "not_implemented": Entry(502, "5.5.1", "{verb} not implemented", "RFC 5321 §4.2.4",
                             "The server knows this command but does not offer it."),
    "expn_disabled": Entry(252, "2.0.0", "Cannot EXPN: lists are not expanded here", "RFC 5321 §7.3",
                           "EXPN is disabled for security (it would hand list members to spammers); "
                           "§7.3: a site that disables it for security MUST answer 252, neither yes nor no."),
    "bad_sequence": Entry(503, "5.5.1", "{verb} is not allowed {where}; allowed now: {allowed}",
                          "RFC 5321 §4.1.4",
                          "Commands must come in order: HELO/EHLO, MAIL, RCPT, DATA (NOOP, HELP, EXPN, VRFY "
                          "and RSET may come at any time)."),
    "param_not_implemented": Entry(504, "5.5.4", "Parameter value not implemented: {param}",
                                   "RFC 5321 §4.2.3",
                                   "The parameter is known but this value of it is not supported."),
    "unknown_parameter": Entry(555, "5.5.4", "Unsupported {verb} parameter: {param}",
                               "RFC 5321 §4.1.1.11",
                               "MAIL/RCPT parameters must belong to an extension the server advertised in EHLO."),
    # --- limits (§4.5.3.1, RFC 1870) ----------------------------------------------
    "too_many_recipients": Entry(452, "4.5.3", "Too many recipients (limit {limit})",
                                 "RFC 5321 §4.5.3.1.10",
                                 "The server takes at most this many recipients per message; send the rest in another transaction."),
    "size_exceeded": Entry(552, "5.3.4", "Message size exceeds fixed limit of {limit} octets",
                           "RFC 1870 §4, §6.1",
                           "The message (declared with SIZE= or actually sent) is bigger than the server accepts."),
    "data_line_too_long": Entry(554, "5.6.0", "Message refused: a line is longer than {limit} octets",
                                "RFC 5321 §4.5.3.1.6",
                                "A text line may be at most 1000 octets including the CRLF."),
    "bare_newline": Entry(554, "5.6.0", "Message refused: bare CR or LF in message, lines must end with CRLF",
                          "RFC 5321 §2.3.8",
                          "CR and LF may only appear together as CRLF; lone ones are how 'SMTP smuggling' hides a second message."),
    "smtputf8_sender": Entry(550, "5.6.7", "Non-ASCII sender needs MAIL FROM with SMTPUTF8",
                             "RFC 6531 §3.5",
                             "Addresses with non-ASCII characters need the SMTPUTF8 parameter on MAIL."),
    "smtputf8_recipient": Entry(553, "5.6.7", "Non-ASCII recipient needs MAIL FROM with SMTPUTF8",
                                "RFC 6531 §3.5",
                                "Addresses with non-ASCII characters need the SMTPUTF8 parameter on MAIL."),
    # --- policy (handlers) -------------------------------------------------------
    "relay_denied": Entry(550, "5.7.1", "Relaying denied: {domain} is not a local domain",
                          "RFC 5321 §3.6.2, §7.9",
                          "This server only accepts mail for its own domains; it is not an open relay "
                          "(§3.6.2, §7.9: a relay refused for policy reasons SHOULD get 550)."),
    "no_such_user": Entry(550, "5.1.1", "No such user: <{address}>", "RFC 5321 §4.2.3",
                          "The mailbox does not exist here."),
    "sender_refused": Entry(550, "5.7.1", "Sender <{address}> refused", "RFC 5321 §4.2.3",
                            "The server's policy refuses mail from this sender."),
    "greylisted": Entry(450, "4.2.0", "Greylisted, please try again later", "RFC 6647; RFC 5321 §4.5.4.1",
                        "Greylisting (RFC 6647): a temporary refusal that real senders retry and spam robots "
                        "often do not; §4.5.4.1: the sender MUST wait before retrying (SHOULD be 30 minutes or more)."),
    "temporary_failure": Entry(451, "4.3.0", "Temporary local problem, please try again later",
                               "RFC 5321 §4.2.3",
                               "Something failed on the server for now; the sender keeps the message and retries."),
    "storage_full": Entry(452, "4.3.1", "Insufficient system storage, please try again later",
                          "RFC 5321 §4.2.3; RFC 3463 X.3.1",
                          "The server's disk is full for now; the sender keeps the message and retries."),
    "message_refused": Entry(554, "5.6.0", "Message refused: {detail}", "RFC 5321 §4.2.5",
                             "The server refuses this message for good; the sender keeps responsibility for "
                             "it and returns it to the reverse-path (a bounce)."),
    "dmarc_reject": Entry(550, "5.7.1", "Message refused: {domain} asks to reject mail that fails DMARC",
                          "RFC 7489 §6.3, §10.3",
                          "Neither SPF nor DKIM passed for the domain in From:, and that domain publishes "
                          "p=reject: rejection \"SHOULD occur during the SMTP transaction\"."),
    "mail_loop": Entry(554, "5.4.6", "Too many hops ({limit} Received: lines): a mail loop",
                       "RFC 5321 §6.3",
                       "The message has passed through so many servers that it must be going round "
                       "in a circle (RFC 3463 X.4.6 routing loop detected)."),
    # --- closing the channel (§3.8) ----------------------------------------------
    "closing_timeout": Entry(421, "4.4.2", "{hostname} timeout, closing connection", "RFC 5321 §4.5.3.2.7, §3.8",
                             "The client was silent too long; the server gives up (§3.8)."),
    "closing_shutdown": Entry(421, "4.3.2", "{hostname} shutting down, closing connection", "RFC 5321 §3.8",
                              "The server is stopping; any message not yet answered with 250 is not taken."),
    "closing_refused_recipients": Entry(421, "4.7.0", "{hostname} too many refused recipients, closing connection",
                                        "RFC 5321 §7.8",
                                        "Many recipients refused in a row look like address harvesting; "
                                        "§7.8 lets a server close after an appropriate number of 5yz replies."),
    "closing_auth_failures": Entry(421, "4.7.0", "{hostname} too many failed authentications, closing connection",
                                   "RFC 4954 §9; RFC 5321 §7.8",
                                   "Password guessing: after repeated failed AUTH attempts the server "
                                   "closes the connection (RFC 4954 §9: not until at least 3 attempts failed)."),
    "closing_busy": Entry(421, "4.3.2", "{hostname} too many connections, try again later", "RFC 5321 §4.2.3, §3.8",
                          "The server has as many clients as it takes; come back later."),
    # --- STARTTLS (RFC 3207) and AUTH (RFC 4954) ----------------------------------
    "tls_ready": Entry(220, "2.0.0", "Ready to start TLS", "RFC 3207 §4",
                       "Start the TLS handshake now; afterwards the session starts over with EHLO."),
    "tls_unavailable": Entry(454, "4.7.0", "TLS not available", "RFC 3207 §4",
                             "The server cannot start TLS right now."),
    "auth_ok": Entry(235, "2.7.0", "Authentication successful", "RFC 4954 §6",
                     "You are logged in for the rest of the session."),
    "auth_challenge": Entry(334, None, "{challenge}", "RFC 4954 §4",
                            "A base64 challenge: answer with one base64 line (or * to cancel)."),
    "auth_failed": Entry(535, "5.7.8", "Authentication credentials invalid", "RFC 4954 §6",
                         "Wrong user name or password."),
    "auth_cancelled": Entry(501, "5.0.0", "Authentication cancelled", "RFC 4954 §4",
                            "The client sent * to cancel the exchange."),
    "auth_not_base64": Entry(501, "5.5.2", "Authentication line is not base64", "RFC 4954 §4",
                             "An AUTH response must be base64 (or * to cancel); the exchange is over."),
    "auth_needs_tls": Entry(538, "5.7.11", "Encryption required for requested authentication mechanism",
                            "RFC 4954 §6",
                            "PLAIN and LOGIN send the password readable; use STARTTLS first."),
    "null_mx": Entry(556, "5.1.10", "Recipient address has null MX: {domain} accepts no mail",
                     "RFC 7505 §4",
                     "The recipient's domain publishes a null MX (MX 0 .): it accepts no mail, so the "
                     "message fails at once and nobody retries."),
    "auth_required": Entry(530, "5.7.0", "Authentication required", "RFC 4954 §6",
                           "This server needs AUTH before MAIL."),
}

#: name -> Entry. Read-only: add entries above, with their section.
CATALOGUE = MappingProxyType(_ENTRIES)


def reply(name: str, *extra_lines: str, **fields: object) -> Reply:
    """The catalogue reply ``name``, its text filled with ``fields``.

    ``extra_lines`` follow the first line (an EHLO capability list, help text).
    """
    # a Reply is frozen, so one made with the same arguments can be sent again: a server
    # says "250 2.1.0 Sender <...> OK" to the same few addresses, its greeting to everyone
    # (text fields only: 1, 1.0 and True are one dict key but three texts)
    key: object = name
    if fields or extra_lines:
        key = ((name, extra_lines, *fields.items())
               if all(type(value) is str for value in fields.values()) else None)
    try:
        made = _MADE.get(key) if key is not None else None
    except TypeError:  # an extra line that cannot be a dict key: made every time
        made, key = None, None
    if made is not None:
        return made
    try:
        entry = CATALOGUE[name]
    except KeyError:
        raise NotFoundError(f"no reply named {name!r} in the catalogue; known: {', '.join(CATALOGUE)}") from None
    first = _fit(entry.text.format(**fields), entry) if fields else entry.text
    made = Reply(entry.code, (first, *extra_lines), entry.enhanced, name=name)
    if key is not None:
        if len(_MADE) >= MADE_KEPT:
            _MADE.clear()  # bounded: a client inventing addresses cannot grow it
        _MADE[key] = made
    return made


#: RFC 5321 §4.5.3.1.5: "The maximum total length of a reply line including the reply code and
#: the <CRLF> is 512 octets"
MAX_REPLY_LINE = 512


def _fit(text: str, entry: Entry) -> str:
    """``text`` cut (with "...") so that its reply line fits in 512 octets: what a reply
    echoes (a 500-octet EHLO name, an address) must not make it longer (§4.5.3.1.5)."""
    room = MAX_REPLY_LINE - len("250 \r\n") - (len(entry.enhanced) + 1 if entry.enhanced else 0)
    raw = text.encode("utf-8")
    if len(raw) <= room:
        return text
    return raw[:room - 3].decode("utf-8", "ignore") + "..."


#: replies made lately, by their arguments (``reply()``): a NOOP's 250 and a session's greeting,
#: EHLO and 250s are then built, checked and formatted once, not per command (server CPU per
#: smtplib connection, Python part: 151 -> 127 us)
_MADE: dict[object, Reply] = {}
MADE_KEPT = 1024


def _template_pattern(entry: Entry) -> re.Pattern[str]:
    """A regex matching the first line ``entry`` makes, whatever its fields hold."""
    parts = re.split(r"\{\w+\}", entry.text)
    return re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)


# (code, enhanced, more lines?) -> [(pattern, name)]: how a reply read off the wire finds its entry
_BY_SHAPE: dict[tuple[int, str | None, bool], list[tuple[re.Pattern[str], str]]] = {}
for _name, _entry in _ENTRIES.items():
    _BY_SHAPE.setdefault((_entry.code, _entry.enhanced, _entry.more_lines), []).append(
        (_template_pattern(_entry), _name))


def catalogue_name(answer: Reply) -> str | None:
    """The catalogue entry a reply was made from: its name if it carries one, else the
    entry whose code, enhanced status and text it matches (a reply parsed from the
    wire, sent by our server through any transport). None for other servers' replies."""
    if answer.name is not None:
        return answer.name
    for pattern, name in _BY_SHAPE.get((answer.code, answer.enhanced, len(answer.lines) > 1), ()):
        if pattern.fullmatch(answer.lines[0]):
            return name
    return None


def explain(reply_or_code: Reply | int) -> str:
    """One sentence on what a reply means, with the RFC section it comes from."""
    if isinstance(reply_or_code, Reply):
        entry = CATALOGUE.get(catalogue_name(reply_or_code) or "")
        if entry is not None:
            return f"{entry.explanation} ({entry.section})"
        code = reply_or_code.code
    else:
        code = reply_or_code
    if code in CODE_MEANINGS:
        section, meaning = CODE_MEANINGS[code]
        return f"{meaning} ({section})"
    first = code // 100
    general = {2: "Success.", 3: "Go on: the server waits for more input.",
               4: "Temporary failure: try again later.", 5: "Permanent failure: do not retry as is."}
    return f"{general.get(first, 'Unknown reply class.')} (RFC 5321 §4.2.1: the first digit)"
