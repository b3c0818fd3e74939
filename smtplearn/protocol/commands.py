"""SMTP commands: the ``Command`` value, reading one from a line, writing one.

RFC 5321 §4.1.1: a command is a verb, maybe an argument, and CRLF; verbs are
case-insensitive (§2.4). This module owns the syntax of each command's
argument, as a table from verb to argument reader. Whether a command is
allowed *now* is not its business: that is the transition table's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smtplearn.protocol.addresses import Params, format_path, is_domain, parse_path
from smtplearn.protocol.errors import RemoteProtocolError, UsageError
from smtplearn.protocol.refusals import refusal
from smtplearn.protocol.states import Verb


# slots: transcripts keep every Command (see Exchange); no __dict__ to walk or store
@dataclass(frozen=True, slots=True)
class Command:
    """One parsed command.

    ``argument`` is the text after the verb as typed; for MAIL and RCPT,
    ``address`` is the path inside the angle brackets ("" for ``<>``) and
    ``params`` the ESMTP parameters, keywords upper case.
    """

    verb: Verb
    argument: str = ""
    address: str | None = None
    params: Params = ()

    def __post_init__(self) -> None:
        if not isinstance(self.verb, Verb):
            object.__setattr__(self, "verb", Verb(str(self.verb).upper()))
        if self.verb in (Verb.MAIL, Verb.RCPT) and self.address is None:
            raise UsageError(f"{self.verb.value} needs an address, e.g. Command.mail('alice@example.org')")
        if self.verb in (Verb.MAIL, Verb.RCPT) and not self.argument:
            # the argument as written, so Command.mail(...) equals the same line parsed back
            object.__setattr__(self, "argument", self.line.partition(" ")[2])
        if "\r" in self.argument or "\n" in self.argument:
            raise UsageError("a command argument cannot contain CR or LF")

    # -- what the client writes (§4.1.1) ------------------------------------
    @property
    def line(self) -> str:
        """The command as it is written on the wire, without CRLF."""
        if self.verb is Verb.MAIL:
            return "MAIL FROM:" + format_path(self.address or "") + _format_params(self.params)
        if self.verb is Verb.RCPT:
            return "RCPT TO:" + format_path(self.address or "") + _format_params(self.params)
        return f"{self.verb.value} {self.argument}".rstrip(" ")

    def to_bytes(self) -> bytes:
        return (self.line + "\r\n").encode("utf-8")

    def param(self, keyword: str) -> str | None:
        """The value of parameter ``keyword`` ("" when it has no value), or None if absent."""
        for key, value in self.params:
            if key == keyword.upper():
                return value if value is not None else ""
        return None

    def __str__(self) -> str:
        return self.line

    # -- constructors a lesson reads well -------------------------------------
    @classmethod
    def mail(cls, address: str, **params: object) -> Command:
        """``MAIL FROM:<address> KEY=VALUE...``; pass ``SMTPUTF8=True`` for a bare keyword."""
        return cls(Verb.MAIL, address=address, params=_params_from_kwargs(params))

    @classmethod
    def rcpt(cls, address: str, **params: object) -> Command:
        return cls(Verb.RCPT, address=address, params=_params_from_kwargs(params))


def _params_from_kwargs(params: dict[str, object]) -> Params:
    if not params:
        return ()  # the usual MAIL and RCPT: no generator to run
    return tuple((key.upper(), None if value is True else str(value))
                 for key, value in params.items() if value not in (None, False))


def _format_params(params: Params) -> str:
    if not params:
        return ""
    return "".join(f" {key}" if value is None else f" {key}={value}" for key, value in params)


# -- reading: one small reader per kind of argument ---------------------------
def _syntax(detail: str) -> RemoteProtocolError:
    return refusal("syntax_error", detail=detail)


def _no_argument(verb: Verb, text: str) -> Command:
    if text:
        raise _syntax(f"{verb.value} takes no argument")
    return Command(verb)


def _any_argument(verb: Verb, text: str) -> Command:
    return Command(verb, text)


def _required_argument(verb: Verb, text: str) -> Command:
    if not text.strip():
        raise _syntax(f"{verb.value} needs an argument, e.g. {verb.value} alice")
    return Command(verb, text)


def _domain(verb: Verb, text: str) -> Command:
    # §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ) CRLF, and a Domain is LDH labels.
    # RFC 6531 §3.7.1 keeps it so with SMTPUTF8: the client "MUST send only ASCII (LDH label
    # or A-label [RFC5890]) domains in the EHLO command". A non-ASCII name is refused (501)
    # and never echoed into a reply or a trace line
    if text and not text.isascii():
        raise refusal("bad_helo_name", verb=verb.value)
    if not text or not is_domain(text):
        raise _syntax(f"{verb.value} needs your host's domain name or an address literal, "
                      f"e.g. {verb.value} client.example.org")
    return Command(verb, text)


def _path(keyword: str, *, mail: bool) -> Callable[[Verb, str], Command]:
    def read(verb: Verb, text: str) -> Command:
        if text[:len(keyword)].upper() != keyword:
            raise _syntax(f"{verb.value} must be written {verb.value} {keyword}<address>")
        address, params = parse_path(text[len(keyword):], allow_null=mail, allow_postmaster=not mail)
        return Command(verb, text, address, params)
    return read


def _auth(verb: Verb, text: str) -> Command:
    # RFC 4954 §4: AUTH mechanism [initial-response]
    words = text.split(" ")
    if not words[0] or len(words) > 2:
        raise _syntax("AUTH needs a mechanism and at most an initial response, e.g. AUTH PLAIN")
    return Command(verb, text)


#: verb -> how its argument is read
ARGUMENT_READERS: dict[Verb, Callable[[Verb, str], Command]] = {
    Verb.HELO: _domain,
    Verb.EHLO: _domain,
    Verb.MAIL: _path("FROM:", mail=True),   # §4.1.1.2
    Verb.RCPT: _path("TO:", mail=False),    # §4.1.1.3
    Verb.DATA: _no_argument,                # §4.1.1.4
    Verb.RSET: _no_argument,                # §4.1.1.5
    Verb.VRFY: _required_argument,          # §4.1.1.6
    Verb.EXPN: _required_argument,          # §4.1.1.7
    Verb.HELP: _any_argument,               # §4.1.1.8
    Verb.NOOP: _any_argument,               # §4.1.1.9: the argument is ignored
    Verb.QUIT: _no_argument,                # §4.1.1.10
    Verb.STARTTLS: _no_argument,            # RFC 3207 §4
    Verb.AUTH: _auth,                       # RFC 4954 §4
}


def decode_line(line: bytes) -> str:
    """Command text from a raw line without its line ending; refuse bytes commands can't hold."""
    if b"\x00" in line:
        raise refusal("bad_bytes", what="a NUL byte")
    if b"\r" in line or b"\n" in line:
        # RFC 5321 §2.3.8: CR and LF only ever come together, as the line's end
        raise refusal("bad_bytes", what="a bare CR or LF")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise refusal("bad_bytes", what="invalid UTF-8") from None


def parse_verb(text: str) -> Verb:
    """The verb of a command line, or RemoteProtocolError with 500."""
    word = text.split(" ", 1)[0]
    verb = _VERBS.get(word.upper())
    if verb is None:
        # echo only printable ASCII back: a reply line is 7-bit text (§4.2)
        shown = word[:20].encode("ascii", "backslashreplace").decode("ascii") or "(empty line)"
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)
        raise refusal("unknown_command", verb=shown)
    return verb


#: verb name -> Verb (a dict look-up is several times quicker than calling the Enum)
_VERBS = {verb.value: verb for verb in Verb}


def loose_verb(line: bytes) -> Verb | None:
    """The known verb a line starts with, even if the rest is malformed; None if it has
    none (so a transcript can name what a refused line tried to do)."""
    try:
        return _VERBS.get(decode_line(line).split(" ", 1)[0].upper())
    except RemoteProtocolError:
        return None


def parse_command(line: bytes | str) -> Command:
    """Parse one command line (CRLF optional). Raises RemoteProtocolError with the reply to send.

    >>> parse_command(b"mail from:<alice@example.org> SIZE=42\\r\\n").param("size")
    '42'
    """
    text = decode_line(line.rstrip(b"\r\n")) if isinstance(line, bytes) else line.rstrip("\r\n")
    verb = parse_verb(text)
    _, _, argument = text.partition(" ")
    return ARGUMENT_READERS[verb](verb, argument)
