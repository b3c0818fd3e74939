"""The command methods every client transport shares.

``Pair`` (in memory) and ``Client`` (a socket) differ only in how bytes
reach the server; each implements ``_write`` and ``_read``. Everything
else -- building commands, matching replies, recording the transcript --
is here once, on top of the sans-I/O ``ClientSession``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from email.message import EmailMessage, Message as EmailBase
from email.policy import SMTP, SMTPUTF8
from typing import Any

from smtplearn.diagrams import Diagram, state_diagram
from smtplearn.protocol import ClientSession, Command, Reply, State, UsageError, Verb, WrongTypeError
from smtplearn.protocol.auth import b64encode_text, plain_response
from smtplearn.protocol.events import Exchange
from smtplearn.transcript import Transcript

#: the name our client gives in HELO/EHLO unless told otherwise (RFC 2606 reserves .example)
DEFAULT_CLIENT_NAME = "client.example"


def message_bytes(message: str | bytes | EmailBase) -> bytes:
    """The message text to send after DATA, from a str, bytes or an email.message object."""
    if isinstance(message, EmailBase):
        # RFC 5322 needs CRLF; SMTPUTF8 keeps non-ASCII headers as UTF-8 (RFC 6532)
        policy = SMTP if _ascii_headers(message) else SMTPUTF8
        return message.as_bytes(policy=policy)
    if isinstance(message, str):
        return message.encode("utf-8")
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    raise WrongTypeError(f"data() takes str, bytes or an email.message.EmailMessage, not {type(message).__name__}")


def _ascii_headers(message: EmailBase) -> bool:
    return all(str(value).isascii() for value in message.values())


class Conversation:
    """An SMTP client conversation. Every command method returns the server's ``Reply``:
    a refusal is a reply to look at, not an exception."""

    client_name: str = "client"
    server_name: str = "server"

    def __init__(self, *, strict: bool = False, local_hostname: str = DEFAULT_CLIENT_NAME) -> None:
        self.session = ClientSession(strict=strict)
        self.transcript = Transcript()
        self.local_hostname = local_hostname

    # -- what a transport provides ----------------------------------------------
    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _read(self) -> bytes:
        """Bytes from the server (blocks until some arrive); b"" when the server has closed."""
        raise NotImplementedError

    def _start_tls(self) -> str:
        """Run the TLS handshake on the connection; return what was agreed (for the transcript)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no network connection to encrypt: STARTTLS needs a real "
            "connection, e.g. smtplearn.Client to a smtplearn.Server(certificate='self-signed')")

    # -- the shared machinery ---------------------------------------------------
    def _await_replies(self, sent_at: float) -> list[Exchange]:
        """Read until every pending command has its reply; record each in the transcript."""
        exchanges: list[Exchange] = []
        session, record = self.session, self.transcript.record
        while session.waiting:
            data = self._read()
            if not data:
                raise ConnectionError(
                    f"the server closed the connection while {session.waiting} "
                    f"repl{'y was' if session.waiting == 1 else 'ies were'} still expected")
            received = session.receive_data(data)
            duration = time.perf_counter() - sent_at  # replies in one chunk arrived together
            for exchange in received:
                record(exchange, client=self.client_name, server=self.server_name, duration=duration)
            exchanges += received
        return exchanges

    def _roundtrip(self, payload: bytes) -> Reply:
        started = time.perf_counter()
        self._write(payload)
        return self._await_replies(started)[-1].reply

    def _greet(self) -> Reply:
        """Wait for the 220 greeting (§3.1)."""
        return self._await_replies(time.perf_counter())[-1].reply

    def command(self, command: Command) -> Reply:
        """Send one ``Command`` and return its reply."""
        return self._roundtrip(self.session.send(command))

    # -- one method per command (RFC 5321 §4.1.1) -------------------------------
    def helo(self, name: str | None = None) -> Reply:
        return self.command(Command(Verb.HELO, name or self.local_hostname))

    def ehlo(self, name: str | None = None) -> Reply:
        return self.command(Command(Verb.EHLO, name or self.local_hostname))

    def mail(self, address: str, **params: Any) -> Reply:
        """``MAIL FROM:<address>``; ``""`` is the null reverse-path ``<>`` (§4.5.5)."""
        return self.command(Command.mail(address, **params))

    def rcpt(self, address: str, **params: Any) -> Reply:
        return self.command(Command.rcpt(address, **params))

    def data(self, message: str | bytes | EmailMessage, *, raw: bool = False) -> Reply:
        """DATA, then (after 354) the message text and <CRLF>.<CRLF>. Returns the final reply,
        or the refusal of DATA itself (e.g. 503 when no recipient was accepted).

        ``raw=True`` sends the bytes as they are, without repairing line endings or
        dot-stuffing: the way to show what a careless or hostile client does.
        """
        content = message_bytes(message)
        go_ahead = self.command(Command(Verb.DATA))
        if go_ahead.code != 354:
            return go_ahead
        return self._roundtrip(self.session.send_message(content, raw=raw))

    def rset(self) -> Reply:
        return self.command(Command(Verb.RSET))

    def noop(self) -> Reply:
        return self.command(Command(Verb.NOOP))

    def vrfy(self, who: str) -> Reply:
        return self.command(Command(Verb.VRFY, who))

    def expn(self, mailing_list: str) -> Reply:
        return self.command(Command(Verb.EXPN, mailing_list))

    def help(self, topic: str = "") -> Reply:
        return self.command(Command(Verb.HELP, topic))

    def quit(self) -> Reply:
        return self.command(Command(Verb.QUIT))

    def starttls(self) -> Reply:
        """STARTTLS (RFC 3207): after 220 the TLS handshake runs, then the session starts over.

        Say EHLO again afterwards (§4.2): the server may offer more (AUTH) once TLS is on.
        """
        answer = self.command(Command(Verb.STARTTLS))
        if answer.code == 220:
            agreed = self._start_tls()
            self.transcript.note(f"TLS handshake: {agreed}", source=self.client_name,
                                 target=self.server_name, kind="tls")
        return answer

    def login(self, user: str, password: str, mechanism: str = "PLAIN") -> Reply:
        """AUTH with PLAIN (RFC 4616) or LOGIN; returns the final reply (235 when it worked).

        The transcript shows each base64 line decoded: anyone on the wire can do the same,
        which is why servers offer AUTH only after STARTTLS.
        """
        mechanism = mechanism.upper()
        if mechanism == "PLAIN":
            # RFC 4954 §4: the initial response saves a round trip
            return self.command(Command(Verb.AUTH, f"PLAIN {plain_response(user, password)}"))
        if mechanism != "LOGIN":
            raise UsageError(f"login() speaks PLAIN or LOGIN, not {mechanism!r}")
        answer = self.command(Command(Verb.AUTH, "LOGIN"))
        for secret in (user, password):
            if answer.code != 334:
                break
            answer = self._roundtrip(self.session.send_line(b64encode_text(secret)))
        return answer

    def send_line(self, text: str) -> Reply | None:
        """Type one raw line, right or wrong, and see what the server says.

        Returns None for a line of message text after 354: the server answers
        only the final "." line (§4.1.1.4).
        """
        payload = self.session.send_line(text)
        if not self.session.waiting:
            self._write(payload)
            return None
        return self._roundtrip(payload)

    def pipeline(self, *commands: Command) -> list[Reply]:
        """Send several commands in one write (RFC 2920) and collect their replies in order."""
        started = time.perf_counter()
        self._write(b"".join(self.session.send(c) for c in commands))
        return [e.reply for e in self._await_replies(started)]

    def send_mail(self, sender: str, recipients: str | Iterable[str],
                  message: str | bytes | EmailMessage) -> Reply:
        """A whole transaction: MAIL, RCPT for each recipient, DATA. Says EHLO first if needed.

        Returns the final reply; the transcript holds every step.
        """
        if self.state is State.GREETED:
            self.ehlo()
        refusal = self.mail(sender)
        if refusal.code != 250:
            return refusal
        for rcpt in [recipients] if isinstance(recipients, str) else recipients:
            self.rcpt(rcpt)
        return self.data(message)

    # -- what a student looks at ------------------------------------------------
    @property
    def state(self) -> State:
        """The server's state, as this client follows it from the replies."""
        return self.session.state

    @property
    def extensions(self) -> dict[str, str]:
        """The EHLO keywords the server advertised."""
        return self.session.extensions

    @property
    def allowed_verbs(self) -> tuple[Verb, ...]:
        return self.session.allowed_verbs

    def state_diagram(self, **options: Any) -> Diagram:
        """The server's state machine with this session's state lit and its path drawn."""
        # draw only what this server offers: no STARTTLS/AUTH edges unless its EHLO listed them
        options.setdefault("offered", set(self.extensions))
        return state_diagram(current=self.state, path=self.transcript, **options)
