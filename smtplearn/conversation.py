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
from smtplearn.protocol import (ClientSession, Command, Error, LocalProtocolError, Reply, Signal, State, UsageError,
                                Verb, WrongTypeError)
from smtplearn.protocol.auth import b64encode_text, plain_response
from smtplearn.protocol.client import UnexpectedReplyError
from smtplearn.protocol.events import Exchange
from smtplearn.transcript import Transcript

#: the name our client gives in HELO/EHLO unless told otherwise (RFC 2606 reserves .example)
DEFAULT_CLIENT_NAME = "client.example"

#: the message text goes out in sends of at most this many octets; a transport applies its
#: per-send deadline to each (RFC 5321 §4.5.3.2.5: "each TCP SEND call transmitting a chunk")
DATA_BLOCK = 64 * 1024

#: RFC 2920 §3.1: "RSET, MAIL FROM, SEND FROM, SOML FROM, SAML FROM, and RCPT TO can all appear
#: anywhere in a pipelined command group"; every other command only as the last of a group
PIPELINE_ANYWHERE = frozenset({Verb.RSET, Verb.MAIL, Verb.RCPT})


class SMTPTimeoutError(Error, TimeoutError):
    """The server did not answer in time (RFC 5321 §4.5.3.2).

    ``after_final_dot`` is False: the message, if any, was not complete, so no server has it.
    """

    after_final_dot = False


class FinalReplyTimeout(SMTPTimeoutError):
    """No reply to the final <CRLF>.<CRLF> in time: the outcome is unknown.

    The server had the whole message and may have taken responsibility for it
    (RFC 5321 §4.5.3.2.6, §6.1): sending it again, here or to another MX, can
    deliver a second copy. A sender records "outcome unknown" and does not retry.
    """

    after_final_dot = True


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
    a refusal is a reply to look at, not an exception.

    What every transport provides and a sender (``deliver``) may rely on: ``greeting``
    (the server's first reply, §3.1, read when the transport connects) and ``close()``.
    A transport's ``_read`` raises ``TimeoutError`` when the server is silent too long;
    the conversation turns one that happens after the final dot into ``FinalReplyTimeout``.
    """

    client_name: str = "client"
    server_name: str = "server"
    #: the server's first reply (220, or 554/421 refusing the session, §3.1); set on connect
    greeting: Reply | None = None

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

    def _send_data_block(self, block: bytes) -> None:
        """Send one block of the message text; a socket transport bounds each such send
        (RFC 5321 §4.5.3.2.5: 3 minutes per send). By default, just ``_write``."""
        self._write(block)

    def close(self) -> None:
        """Release the connection (without QUIT: ``quit()`` is the polite way). Nothing to
        release by default (an in-memory transport)."""

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
            data = self._read_or_time_out()
            if not data:
                raise self._no_reply()
            try:
                received = session.receive_data(data)
            except UnexpectedReplyError as err:
                for exchange in err.exchanges:  # keep the broken reply in the transcript
                    record(exchange, client=self.client_name, server=self.server_name,
                           duration=time.perf_counter() - sent_at)
                raise
            duration = time.perf_counter() - sent_at  # replies in one chunk arrived together
            for exchange in received:
                record(exchange, client=self.client_name, server=self.server_name, duration=duration)
            exchanges += received
        return exchanges

    def _no_reply(self) -> Exception:
        """What an empty ``_read`` means; on a socket: the server closed the connection."""
        waiting = self.session.waiting
        return ConnectionError(f"the server closed the connection while {waiting} "
                               f"repl{'y was' if waiting == 1 else 'ies were'} still expected")

    def _read_or_time_out(self) -> bytes:
        try:
            return self._read()
        except TimeoutError as err:
            if self.session.next_trigger is not Signal.END_OF_DATA or isinstance(err, FinalReplyTimeout):
                raise
            raise FinalReplyTimeout(
                f"{err} after the final <CRLF>.<CRLF>: the outcome is unknown. The server had the whole "
                "message and may have accepted it, so sending it again (to this or another MX) could "
                "deliver two copies (RFC 5321 §4.5.3.2.6, §6.1)") from err

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

    def data(self, message: str | bytes | EmailMessage, *, raw: bool = False, crlf_done: bool = False) -> Reply:
        """DATA, then (after 354) the message text and <CRLF>.<CRLF>. Returns the final reply,
        or the refusal of DATA itself (e.g. 503 when no recipient was accepted).

        ``raw=True`` sends the bytes as they are, without repairing line endings or
        dot-stuffing: the way to show what a careless or hostile client does.
        ``crlf_done=True``: every line already ends in CRLF (a sending MTA made it so once).
        A 2xx to DATA raises ``UnexpectedReplyError``: DATA's only positive reply is 354.
        """
        content = message_bytes(message)
        go_ahead = self.command(Command(Verb.DATA))
        if go_ahead.code != 354:
            return go_ahead  # a refusal (4xx/5xx): a 2xx to DATA raises UnexpectedReplyError
        return self.send_text(content, raw=raw, crlf_done=crlf_done)

    def send_text(self, content: bytes, *, raw: bool = False, crlf_done: bool = False) -> Reply:
        """The message text after a 354, in blocks of ``DATA_BLOCK`` octets, then its final reply.

        ``content`` is made CRLF (unless ``crlf_done``) and dot-stuffed (``raw=True``: sent as given).
        """
        payload = memoryview(self.session.send_message(content, raw=raw, crlf_done=crlf_done))
        started = time.perf_counter()
        for start in range(0, len(payload), DATA_BLOCK):
            self._send_data_block(bytes(payload[start:start + DATA_BLOCK]))
        return self._await_replies(started)[-1].reply

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

        Say EHLO again afterwards (RFC 3207 §4.2): the server may offer more (AUTH) once TLS is on.
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

    def pipeline(self, *commands: Command, check: bool = True) -> list[Reply]:
        """Send several commands in one write (RFC 2920) and collect their replies in order.

        Checked first (``check=False`` skips it, to show what a careless client does): the
        server must have offered PIPELINING, and only the last command of the group may be
        one other than RSET, MAIL and RCPT (RFC 2920 §3.1).
        """
        if check:
            self._check_group(commands)
        started = time.perf_counter()
        self._write(b"".join(self.session.send(c) for c in commands))
        return [e.reply for e in self._await_replies(started)]

    def _check_group(self, commands: tuple[Command, ...]) -> None:
        if len(commands) > 1 and "PIPELINING" not in self.extensions:
            offered = "its EHLO reply did not list it" if self.extensions else "no EHLO reply listed it yet"
            raise LocalProtocolError(
                f"cannot pipeline {len(commands)} commands: the server has not offered PIPELINING ({offered}). "
                "RFC 2920 §3: a client pipelines only after EHLO's reply includes PIPELINING; "
                "send the commands one at a time instead")
        for position, command in enumerate(commands[:-1], 1):
            if command.verb not in PIPELINE_ANYWHERE:
                raise LocalProtocolError(
                    f"{command.verb.value} is command {position} of {len(commands)} in this group, but it can "
                    "only be the last one: its reply changes what the client must do next (RFC 2920 §3.1; "
                    "only RSET, MAIL and RCPT may appear anywhere). End the group with "
                    f"{command.verb.value} and send the rest in another pipeline() call")

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
