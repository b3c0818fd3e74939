"""The server side of an SMTP session, without I/O.

Bytes in (``receive_data``), bytes out (``data_to_send``), events out.
This module owns *how* each command is answered; *whether* it is allowed
now comes from ``states.TRANSITIONS`` and nowhere else, and *who* may send
or receive is the handler's call (handlers.py). The state only ever moves
through ``states.state_after``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import format_datetime

from smtplearn.protocol.auth import MECHANISMS, Authenticator, SaslExchange
from smtplearn.protocol.catalogue import reply
from smtplearn.protocol.commands import Command, decode_line, loose_verb, parse_command
from smtplearn.protocol.addresses import address_literal
from smtplearn.protocol.data import DataReader, text_problem
from smtplearn.protocol.defences import Defences
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.events import Closed, Event, Exchange, MessageAccepted
from smtplearn.protocol.handlers import Handler, LocalDelivery
from smtplearn.protocol.limits import Limits
from smtplearn.protocol.message import Envelope, Message
from smtplearn.protocol.refusals import bad_sequence, refusal
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import (EXTENSION_VERBS, START_STATE, TRANSITIONS, Signal, State, Trigger, Verb,
                                       allowed_verbs, state_after)

#: states in which a mail transaction is open; leaving them drops the envelope (§4.1.1.5)
TRANSACTION_STATES = frozenset({State.MAIL, State.RCPT, State.DATA})

#: the note an Exchange carries when its line ended with a bare LF and was accepted anyway
BARE_LF_NOTE = ("this line ended with a bare LF, not CRLF; RFC 5321 §2.3.8: implementations "
                "\"MUST NOT recognize or generate any other character or character sequence as a "
                "line terminator\". Accepted only because Limits(bare_lf_commands=True), a classroom "
                "deviation for nc without -C")

#: EHLO keywords we implement, in the order we list them (§4.1.1.1; each RFC in its comment)
BASE_EXTENSIONS = (
    "SIZE {size}",            # RFC 1870
    "8BITMIME",               # RFC 6152
    "PIPELINING",             # RFC 2920
    "SMTPUTF8",               # RFC 6531
    "ENHANCEDSTATUSCODES",    # RFC 2034
    "HELP",                   # RFC 5321 §4.1.1.8 (listed by convention)
)

#: MAIL parameters we understand, with the values allowed (None: any, checked below)
MAIL_PARAMETERS: dict[str, frozenset[str | None] | None] = {
    "SIZE": None,                                     # RFC 1870 §6: SIZE=<octets>
    "BODY": frozenset({"7BIT", "8BITMIME"}),          # RFC 6152 §2
    "SMTPUTF8": frozenset({None}),                    # RFC 6531 §3.4: no value
}
_KNOWN_BODY_TYPES = frozenset({"7BIT", "8BITMIME", "BINARYMIME"})  # BINARYMIME: RFC 3030, not ours

_queue_numbers = itertools.count(1)


def queue_id_sequence(numbers: Iterator[int] = _queue_numbers) -> Iterator[str]:
    """Queue ids ("SL0000002A") from ``numbers``; by default one count for the process."""
    return (f"SL{n:08X}" for n in numbers)


class ServerSession:
    """One client's session with our server.

    >>> s = ServerSession(hostname="mx.example.org")
    >>> _ = s.start(); s.data_to_send()
    b'220 mx.example.org ESMTP smtplearn ready\\r\\n'

    A transport drives it in this order: ``start()`` once the connection is
    open, then for every chunk read ``receive_data(chunk)``; it acts on the
    events (stores each ``MessageAccepted`` first), then reads ``reply_delay``
    -- the seconds it should wait before writing the replies now pending,
    0.0 almost always -- and only then writes ``data_to_send()`` (which resets
    the delay). The delay is how the session defends itself without closing
    (``Limits``: a tarpit for refused commands, slower replies after failed
    AUTH attempts); RFC 5321 §3.8 forbids closing a session over commands it
    did not understand. The core never sleeps: a TCP transport honours the
    delay, the in-memory ``Pair`` only notes it in its transcript.
    """

    def __init__(self, handler: Handler | None = None, *, hostname: str = "smtplearn.test",
                 limits: Limits | None = None, peer: str = "",
                 clock: Callable[[], datetime] | None = None,
                 queue_ids: Iterator[str] | None = None, tls_available: bool = False,
                 authenticator: Authenticator | None = None, auth_without_tls: bool = False) -> None:
        self.handler = handler or LocalDelivery()
        #: the transport can start TLS (it has a certificate): STARTTLS is offered (RFC 3207)
        self.tls_available = tls_available
        #: checks AUTH credentials; None: AUTH is not offered (RFC 4954)
        self.authenticator = authenticator
        #: offer AUTH PLAIN/LOGIN before STARTTLS too -- only for the lesson that shows why not
        self.auth_without_tls = auth_without_tls
        #: True between our 220 to STARTTLS and the transport's tls_started()
        self.tls_pending = False
        #: octets the client sent after STARTTLS, before TLS, that were thrown away (CVE-2011-0411)
        self.discarded_before_tls = 0
        self._sasl: SaslExchange | None = None
        self.hostname = hostname
        self.limits = limits or Limits()
        self.peer = peer
        # §4.4: "Local time (with an offset) SHOULD be used rather than UT"
        self._clock = clock or (lambda: datetime.now().astimezone())
        self._queue_ids = queue_ids or queue_id_sequence()
        self.state = START_STATE  # the connection is open; start() greets (§3.1)
        self.envelope = Envelope()
        self.helo: str | None = None
        self.esmtp = False
        self.tls_active = False
        self.authenticated_as: str | None = None
        self._inbox = bytearray()
        self._outbox = bytearray()
        self._skipping_long_line = False
        self._data: DataReader | None = None
        #: what this connection did wrong so far: the tarpit, AUTH failures, §7.8 (defences.py)
        self.defences = Defences(self.limits)
        self._delay = 0.0            # seconds to wait before the pending replies are written
        self._note = ""              # what the next Exchange must say about itself (a bare LF)

    # -- the public, sans-I/O interface ---------------------------------------------
    def start(self) -> list[Event]:
        """The connection is open: greet (§3.1), or refuse if the handler says so.

        Where the greeting leads is the table's ``Signal.CONNECT`` row: 220 to
        GREETED, 554 to REFUSED (the server then waits for QUIT), 421 to CLOSED.
        """
        if self.state is not START_STATE:
            raise LocalProtocolError("start() greets once, when the connection opens")
        refused = self.handler.on_connect(self)
        greeting = refused or reply("greeting", hostname=self.hostname)
        return self._answer(None, b"", None, greeting, self.state, move=Signal.CONNECT)

    def receive_data(self, data: bytes) -> list[Event]:
        """Feed bytes from the client; returns what happened, in order."""
        events: list[Event] = []
        if self.tls_pending:
            # RFC 3207 §4.2: nothing sent between STARTTLS and the handshake is trusted
            self.discarded_before_tls += len(data)
            return events
        self._inbox += data
        while self._inbox and self.state is not State.CLOSED:
            if self.state is State.DATA:
                if not self._receive_text(events):
                    break
            else:
                line = self._next_line(events)
                if line is None:
                    break
                events += self._handle_line(line)
        if self.state is State.CLOSED:
            self._inbox.clear()
        return events

    def data_to_send(self) -> bytes:
        """Bytes to write to the client now (replies, in order). Resets ``reply_delay``."""
        out = bytes(self._outbox)
        self._outbox.clear()
        self._delay = 0.0
        return out

    @property
    def reply_delay(self) -> float:
        """Seconds the transport should wait before writing the replies now pending
        (``data_to_send()``): the sum of what each of them earned in the tarpit or after
        failed AUTH attempts (see ``Limits``). 0.0 for a well-behaved client."""
        return self._delay

    def close(self, why: str = "shutdown") -> list[Event]:
        """The server gives up: 421 and close (§3.8). ``why`` names the catalogue's
        ``closing_...`` reply: "timeout", "shutdown", "busy", "auth_failures",
        "refused_recipients". Before ``start()`` the 421 is the greeting (the
        CONNECTED row's CLOSE_421 entry).

        A message still in DATA is dropped: it was never answered with 250.
        """
        if self.state is State.CLOSED:
            return []
        self._data = None
        return self._answer(Signal.CLOSE_421, b"", None,
                            reply(f"closing_{why}", hostname=self.hostname), self.state)

    def connection_lost(self) -> list[Event]:
        """The client vanished. Anything not yet answered with 250 is not delivered."""
        if self.state is State.CLOSED:
            return []
        self.state, self._data, self.envelope = State.CLOSED, None, Envelope()
        return [Closed("connection lost")]

    def tls_started(self) -> None:
        """The transport finished the TLS handshake after our 220 to STARTTLS.

        RFC 3207 §4.2: the session starts over (the table already moved it to
        GREETED on the 220) and the server forgets what the client said
        before: the EHLO name, any open envelope, any AUTH.
        """
        if not self.tls_pending:
            raise LocalProtocolError("tls_started() is only allowed after the server "
                                     "answered STARTTLS with 220; start TLS only then")
        self.tls_pending, self.tls_active = False, True
        self.helo, self.esmtp, self.authenticated_as = None, False, None
        self.envelope, self._sasl = Envelope(), None
        self._inbox.clear()

    @property
    def allowed_verbs(self) -> tuple[Verb, ...]:
        """Commands the table allows now (buttons a console enables)."""
        return tuple(v for v in allowed_verbs(self.state) if self._offers(v) and not (
            v is Verb.AUTH and self.authenticated_as is not None))  # RFC 4954 §4: once only

    @property
    def capabilities(self) -> list[str]:
        """The EHLO keywords, each one something we really implement (§4.2.4)."""
        return [*_base_capabilities(self.limits.message_size), *self._extra_capabilities()]

    # -- reading lines ----------------------------------------------------------
    def _next_line(self, events: list[Event]) -> bytes | None:
        """The next complete command line, or None to wait for more bytes.

        Lines end with CRLF (§2.3.8). A line that ends with a bare LF is
        refused with 500, unless ``Limits.bare_lf_commands`` (a classroom
        deviation, so that ``nc`` without -C works) lets it through with a
        note in the transcript. A line longer than the limit gets 500 once
        and is skipped up to its end (§4.5.3.1.4).
        """
        end = self._inbox.find(b"\n")
        if end < 0:
            if len(self._inbox) >= self.limits.command_line and not self._skipping_long_line:
                self._skipping_long_line = True
                events += self._refuse_line(bytes(self._inbox[:80]), reply(
                    "line_too_long", limit=self.limits.command_line))
            if self._skipping_long_line:
                self._inbox.clear()
            return None
        line = bytes(self._inbox[:end + 1])
        del self._inbox[:end + 1]
        if self._skipping_long_line:
            self._skipping_long_line = False
            return self._next_line(events) if self._inbox else None
        return line

    def _handle_line(self, line: bytes) -> list[Event]:
        # first the length (§4.5.3.1.4), as _next_line decides it when a line arrives in pieces
        if len(line.rstrip(b"\r\n")) + 2 > self.limits.command_line:
            return self._refuse_line(line, reply("line_too_long", limit=self.limits.command_line))
        if not line.endswith(b"\r\n"):
            # RFC 5321 §2.3.8: "Conforming implementations MUST NOT recognize ... any other
            # character or character sequence as a line terminator"
            if not self.limits.bare_lf_commands:
                return self._refuse_line(line, reply("bare_lf_command"), loose_verb(line[:-1]))
            self._note = BARE_LF_NOTE
        if self.state is State.AUTH:
            return self._auth_response(line)
        body = line.rstrip(b"\r\n")
        try:
            command = parse_command(body)
        except RemoteProtocolError as err:
            assert err.reply is not None
            return self._refuse(loose_verb(body), line, None, err.reply)
        verb = command.verb
        if not self._offers(verb):
            return self._refuse(verb, line, command, self._not_offered(command))
        if verb not in TRANSITIONS[self.state]:
            return self._refuse(verb, line, command, self._bad_sequence(verb))
        try:
            answer = _ANSWERS[verb](self, command)
        except RemoteProtocolError as err:
            assert err.reply is not None
            answer = err.reply
        events = self._answer(verb, line, command, answer, self.state)
        if verb is Verb.STARTTLS and answer.code == 220:
            self._await_tls()
        return events

    def _refuse_line(self, line: bytes, answer: Reply, verb: Verb | None = None) -> list[Event]:
        """Refuse a line for its form (too long, bare LF) before reading what it says. During
        AUTH it was the client's response, so the refusal ends the exchange (RFC 4954 §4)."""
        if self.state is State.AUTH:
            self._sasl = None
            return self._answer(Signal.AUTH_RESPONSE, line, None, answer, self.state)
        return self._refuse(verb, line, None, answer)

    def _await_tls(self) -> None:
        """After our 220 to STARTTLS: throw away what the client already sent.

        Bytes that came in the same packet as STARTTLS were sent in clear text
        and could have been injected by a man in the middle; acting on them
        after the handshake is the STARTTLS command-injection bug (CVE-2011-0411).
        """
        self.discarded_before_tls = len(self._inbox)
        self._inbox.clear()
        self.tls_pending = True

    def _receive_text(self, events: list[Event]) -> bool:
        """Feed DATA text; True when the end was found and input may go on."""
        assert self._data is not None
        content, rest = self._data.feed(self._inbox)  # feed copies what it keeps
        self._inbox.clear()
        if content is None:
            return False
        self._inbox += rest
        events += self._end_of_data(content)
        return True

    # -- answering ---------------------------------------------------------------
    def _answer(self, trigger: Trigger | None, sent: bytes, command: Command | None,
                answer: Reply, before: State, size: int = 0, *, move: Trigger | None = None) -> list[Event]:
        """Send ``answer`` and move the state the one way the table allows.

        ``move`` is the table's trigger when the Exchange shows none (the greeting
        answers ``Signal.CONNECT``); a line with no known verb never moves the state.
        """
        move = move or trigger
        after = state_after(before, move, answer.code) if move else self.state
        self.state = after
        if before in TRANSACTION_STATES and after not in TRANSACTION_STATES:
            self.envelope = Envelope()  # the transaction is over (§4.1.1.5); MAIL starts the next
        self._outbox += answer.to_bytes()
        delay = self.defences.count(trigger, answer)
        self._delay += delay
        note, self._note = self._note, ""
        if delay:
            note = "; ".join(filter(None, (note, self.defences.note(delay))))
        events: list[Event] = [Exchange(trigger, sent, command, answer, before, after, size, note)]
        if after is State.CLOSED:
            events.append(Closed("quit" if answer.code == 221 else f"{answer.code} {answer.text}"))
        elif self.defences.close_reason:
            events += self.close(self.defences.close_reason)  # RFC 5321 §7.8, RFC 4954 §9
        return events

    def _refuse(self, trigger: Trigger | None, sent: bytes, command: Command | None,
                answer: Reply) -> list[Event]:
        return self._answer(trigger, sent, command, answer, self.state)

    def _bad_sequence(self, verb: Verb) -> Reply:
        return bad_sequence(self.state, verb, self.allowed_verbs)

    def _offers(self, verb: Verb) -> bool:
        """Extension commands exist only while advertised (§4.2.4: don't advertise what you refuse)."""
        keyword = EXTENSION_VERBS.get(verb)
        return keyword is None or any(c.split(" ")[0] == keyword for c in self.capabilities)

    def _extra_capabilities(self) -> list[str]:
        extra = []
        if self.tls_available and not self.tls_active:
            extra.append("STARTTLS")  # RFC 3207 §4.2: MUST NOT be offered again once TLS is on
        if self.authenticator is not None and (self.tls_active or self.auth_without_tls):
            extra.append("AUTH " + " ".join(MECHANISMS))  # RFC 4954 §3, RFC 4616 §1
        return extra

    # -- one method per command; each returns the reply, none sets the state ------------
    def _hello(self, command: Command) -> Reply:
        refused = self.handler.on_helo(self, command.argument)
        if refused:
            return refused
        self.helo, self.esmtp = command.argument, command.verb is Verb.EHLO
        # §4.5.3.1.5: a reply line is at most 512 octets; catalogue.reply() shortens what it echoes
        client = f"{command.argument} [{self.peer}]" if self.peer else command.argument
        if not self.esmtp:
            return reply("helo_ok", hostname=self.hostname, client=client)
        return reply("ehlo_ok", *self.capabilities, hostname=self.hostname, client=client)

    def _mail(self, command: Command) -> Reply:
        address = command.address or ""
        self._check_mail_params(command)
        if not address.isascii() and command.param("SMTPUTF8") is None:
            return reply("smtputf8_sender")
        refused = self.handler.on_mail(self, address, command.params)
        if refused:
            return refused
        self.envelope = Envelope(mail_from=address, mail_params=command.params)
        return reply("mail_ok", address=address)

    def _check_mail_params(self, command: Command) -> None:
        seen: set[str] = set()
        for key, value in command.params:
            allowed_values = MAIL_PARAMETERS.get(key, frozenset())
            if not self.esmtp or key not in MAIL_PARAMETERS:
                raise refusal("unknown_parameter", verb="MAIL", param=key)
            if key in seen:
                # RFC 1870 §6: "Only one SIZE parameter may be specified in a single MAIL
                # command"; RFC 6152 §3 says the same of BODY. We refuse any repeat with 501
                raise refusal("duplicate_parameter", param=key)
            seen.add(key)
            if key == "SIZE":
                # RFC 1870 §3: size-value ::= 1*20DIGIT -- ASCII digits only ("²" and "٣" are
                # digits to str.isdigit, not to SMTP)
                if value is None or not (value.isascii() and value.isdigit()) or len(value) > 20:
                    raise refusal("syntax_error", detail="SIZE needs a number of octets, e.g. SIZE=1024")
                if int(value) > self.limits.message_size:
                    raise refusal("size_exceeded", limit=self.limits.message_size)
            elif key == "BODY" and (value or "").upper() in _KNOWN_BODY_TYPES - (allowed_values or set()):
                raise refusal("param_not_implemented", param=f"BODY={value}")
            elif allowed_values is not None and (value.upper() if value else value) not in allowed_values:
                raise refusal("syntax_error", detail=f"{key} does not take the value {value!r}")

    def _rcpt(self, command: Command) -> Reply:
        address = command.address or ""
        if command.params:  # no RCPT parameters are advertised (§4.1.1.11)
            return reply("unknown_parameter", verb="RCPT", param=command.params[0][0])
        if not address.isascii() and not self.envelope.smtputf8:
            return reply("smtputf8_recipient")
        if len(self.envelope.rcpt_tos) >= self.limits.recipients:
            return reply("too_many_recipients", limit=self.limits.recipients)
        refused = self.handler.on_rcpt(self, address, command.params)
        if refused:
            return refused
        self.envelope.rcpt_tos.append(address)
        self.envelope.rcpt_params.append(command.params)
        return reply("rcpt_ok", address=address)

    def _data_command(self, command: Command) -> Reply:
        self._data = DataReader(self.limits.message_size)
        return reply("data_go_ahead")

    def _end_of_data(self, content: bytes) -> list[Event]:
        """§4.1.1.4: the end of data; accept (250) or refuse the whole message."""
        data, envelope = self._data, self.envelope
        assert data is not None
        self._data = None
        problem = "size_exceeded" if data.too_big else text_problem(content, self.limits)
        message = None
        if problem:
            answer = reply(problem, limit=self.limits.message_size if data.too_big
                           else self.limits.text_line)
        else:
            message = self._message(envelope, content)
            answer = self.handler.on_message(self, message) or reply(
                "message_accepted", queue_id=message.queue_id)
        events = self._answer(Signal.END_OF_DATA, content, None, answer, State.DATA, data.size)
        if message is not None and answer.code == 250:
            events.insert(0, MessageAccepted(message))  # stored before the 250 is sent
        return events

    def _message(self, envelope: Envelope, content: bytes) -> Message:
        queue_id = next(self._queue_ids)
        return Message(envelope.mail_from or "", tuple(envelope.rcpt_tos), content,
                       self._received_header(envelope, queue_id), envelope.mail_params,
                       queue_id, self.helo or "", self.peer)

    def _received_header(self, envelope: Envelope, queue_id: str) -> bytes:
        """The trace line of RFC 5321 §4.4.

        with-protocol: SMTP, ESMTP, and after TLS and AUTH ESMTPS, ESMTPA, ESMTPSA
        (RFC 3848); with SMTPUTF8 UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA (RFC 6531 §4.3).
        TCP-info is the client's address as an address literal (§4.4: "from" Extended-Domain,
        TCP-info = address-literal); the date is local time with its offset (§4.4 SHOULD).
        """
        protocol = "UTF8SMTP" if envelope.smtputf8 else "ESMTP" if self.esmtp else "SMTP"
        if protocol != "SMTP":
            protocol += ("S" if self.tls_active else "") + ("A" if self.authenticated_as else "")
        literal = address_literal(self.peer)
        peer = f" ({literal})" if literal else ""
        recipient = f"\r\n\tfor <{envelope.rcpt_tos[0]}>" if len(envelope.rcpt_tos) == 1 else ""
        line = (f"Received: from {self.helo}{peer}\r\n\tby {self.hostname} (smtplearn) "
                f"with {protocol} id {queue_id}{recipient};\r\n\t{_date(self._clock())}\r\n")
        return line.encode("utf-8")

    def _reset(self, command: Command) -> Reply:
        return reply("rset_ok")  # leaving the transaction drops the envelope (_answer)

    def _noop(self, command: Command) -> Reply:
        return reply("noop_ok")

    def _vrfy(self, command: Command) -> Reply:
        return self.handler.on_vrfy(self, command.argument)

    def _expn(self, command: Command) -> Reply:
        return self.handler.on_expn(self, command.argument)

    def _help(self, command: Command) -> Reply:
        known = " ".join(v.value for v in Verb if self._offers(v))
        return reply("help", "See RFC 5321 section 4.1 for each command.", commands=known)

    def _quit(self, command: Command) -> Reply:
        return reply("quit", hostname=self.hostname)

    def _not_offered(self, command: Command) -> Reply:
        if command.verb is Verb.AUTH and self.authenticator is not None:
            # RFC 4954 §6: 538, PLAIN/LOGIN need TLS first (AUTH is not advertised before TLS:
            # §6 says modern servers SHOULD NOT advertise mechanisms they would refuse so)
            return reply("auth_needs_tls")
        return reply("not_implemented", verb=command.verb.value)

    def _starttls(self, command: Command) -> Reply:
        return reply("tls_ready")  # RFC 3207 §4; the bytes after it are dropped (_await_tls)

    def _auth(self, command: Command) -> Reply:
        """RFC 4954 §4: AUTH mechanism [initial-response]; 334 asks for more."""
        assert self.authenticator is not None  # _offers() lets AUTH through only then
        if self.authenticated_as is not None:
            # RFC 4954 §4: "After a successful AUTH command completes, a server MUST reject
            # any further AUTH commands with a 503 reply" (allowed_verbs leaves AUTH out)
            return bad_sequence(self.state, Verb.AUTH, self.allowed_verbs, where="once authenticated")
        mechanism, _, initial = command.argument.partition(" ")
        self._sasl = SaslExchange(mechanism, self.authenticator)
        return self._sasl_step(self._sasl.start(initial or None))

    def _auth_response(self, line: bytes) -> list[Event]:
        """RFC 4954 §4: in State.AUTH a line is a base64 answer to the 334, or "*" to cancel."""
        assert self._sasl is not None
        body = line.rstrip(b"\r\n")
        try:
            answer = self._sasl.respond(decode_line(body).strip())
        except RemoteProtocolError as err:
            assert err.reply is not None
            answer = err.reply
        return self._answer(Signal.AUTH_RESPONSE, line, None, self._sasl_step(answer), self.state)

    def _sasl_step(self, answer: Reply) -> Reply:
        """Remember who logged in (235); forget the exchange when it ends (not 334)."""
        if answer.code == 235 and self._sasl is not None:
            self.authenticated_as = self._sasl.username
        if answer.code != 334:
            self._sasl = None
        return answer


@functools.lru_cache(maxsize=16)
def _base_capabilities(message_size: int) -> tuple[str, ...]:
    """``BASE_EXTENSIONS`` for a size limit, formatted once (every EHLO lists them)."""
    return tuple(c.format(size=message_size) for c in BASE_EXTENSIONS)


def _date(moment: datetime) -> str:
    """The RFC 5322 §3.3 date of a ``Received:`` line, to the second."""
    return _date_of_second(moment.replace(microsecond=0), moment.tzinfo)


@functools.lru_cache(maxsize=4)
def _date_of_second(moment: datetime, zone: object) -> str:
    # format_datetime costs ~6 us, and a busy server stamps many messages in the same second.
    # ``zone`` is part of the key: the same instant in two zones is one datetime, two texts.
    return format_datetime(moment)


#: verb -> the method that answers it
_ANSWERS: dict[Verb, Callable[[ServerSession, Command], Reply]] = {
    Verb.HELO: ServerSession._hello,
    Verb.EHLO: ServerSession._hello,
    Verb.MAIL: ServerSession._mail,
    Verb.RCPT: ServerSession._rcpt,
    Verb.DATA: ServerSession._data_command,
    Verb.RSET: ServerSession._reset,
    Verb.NOOP: ServerSession._noop,
    Verb.VRFY: ServerSession._vrfy,
    Verb.EXPN: ServerSession._expn,
    Verb.HELP: ServerSession._help,
    Verb.QUIT: ServerSession._quit,
    Verb.STARTTLS: ServerSession._starttls,
    Verb.AUTH: ServerSession._auth,
}
