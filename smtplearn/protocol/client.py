"""The client side of an SMTP session, without I/O.

Commands in (``send``), bytes out; bytes in (``receive_data``), replies and
``Exchange`` events out. The client predicts the server's state with the
same transition table the server runs, so it can tell you *before* sending
that MAIL is not allowed yet (in strict mode), and so a console can grey out
the buttons that would only earn a 503. Replies are matched to commands in
order, which is what makes PIPELINING (RFC 2920) work.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from smtplearn.protocol.commands import Command, loose_verb, parse_command
from smtplearn.protocol.data import crlf_lines, stuff_crlf_text
from smtplearn.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtplearn.protocol.events import Exchange
from smtplearn.protocol.refusals import bad_sequence
from smtplearn.protocol.replies import Reply, ReplyReader
from smtplearn.protocol.states import (EXTENSION_VERBS, START_STATE, TRANSITIONS, Signal, State, Trigger,
                                       Verb, allowed_verbs, state_after)


#: the commands whose positive reply may be a 3xx ("go on"): read from the table, as the
#: state machine knows them (DATA's 354, AUTH's 334); any other command earns 2xx or a refusal
_INTERMEDIATE_OK = frozenset(trigger for row in TRANSITIONS.values() for trigger, move in row.items()
                             if move.intermediate is not None)
#: RFC 5321 §4.3.2: "DATA ... I: 354 -> data": DATA itself has no 2xx reply, only the end of data has
_NO_COMPLETION = frozenset({Verb.DATA})


class UnexpectedReplyError(RemoteProtocolError):
    """A positive reply the command cannot earn (354 to MAIL, 250 to DATA): the server is
    broken, and taking the reply for a success could lose or duplicate a message.
    ``exchanges`` holds what was settled in the same read, this reply last."""

    def __init__(self, message: str, reply: Reply, exchanges: list[Exchange]) -> None:
        super().__init__(message, reply)
        self.exchanges = exchanges


class _Pending(NamedTuple):
    """A command on its way, waiting for its reply. (A NamedTuple, not a frozen
    dataclass: one is made per command, and a tuple is made several times quicker.)"""

    trigger: Trigger | None
    sent: bytes
    command: Command | None
    size: int = 0


class ClientSession:
    """What a client knows of one session: the predicted server state,
    the server's EHLO keywords, and the commands still awaiting replies."""

    def __init__(self, *, strict: bool = False) -> None:
        #: True: refuse locally (LocalProtocolError) what the table would refuse
        self.strict = strict
        self.state = START_STATE  # connected; the greeting moves it (the table's CONNECT row)
        self.extensions: dict[str, str] = {}
        self._reader = ReplyReader()
        self._typed: list[bytes] = []  # message lines typed one by one after 354
        # the greeting is the reply to "connecting" (RFC 5321 §3.1)
        self._pending: deque[_Pending] = deque([_Pending(None, b"", None)])

    # -- sending ---------------------------------------------------------------
    def send(self, command: Command) -> bytes:
        """The bytes for ``command``; checked against the table when strict."""
        if self.strict:
            self._check(command.verb)
        payload = command.to_bytes()
        self._pending.append(_Pending(command.verb, payload, command))
        return payload

    def send_line(self, text: str) -> bytes:
        """A raw line as a student types it: never checked, sent as is (CRLF added).

        After a 354 the lines are message text: the server answers only the
        final "." line (§4.1.1.4), so until then nothing is expected back.
        """
        if "\r" in text or "\n" in text:
            raise LocalProtocolError("send_line sends one line: leave out CR and LF, they are added")
        payload = (text + "\r\n").encode("utf-8")
        if self._predicted_state() is State.DATA:
            return self._typed_text_line(payload)
        if self._predicted_state() is State.AUTH:
            # RFC 4954 §4: after a 334 the next line is a base64 answer, not a command
            self._pending.append(_Pending(Signal.AUTH_RESPONSE, payload, None))
            return payload
        try:
            command: Command | None = parse_command(text)
            trigger: Trigger | None = command.verb if command else None
        except RemoteProtocolError:
            command, trigger = None, loose_verb(text.encode())
        self._pending.append(_Pending(trigger, payload, command))
        return payload

    def _typed_text_line(self, payload: bytes) -> bytes:
        if payload != b".\r\n":
            # §4.5.2: the server removes one leading period; keep what it will store
            self._typed.append(payload[1:] if payload.startswith(b".") else payload)
            return payload
        content, self._typed = b"".join(self._typed), []
        self._pending.append(_Pending(Signal.END_OF_DATA, content, None, len(content)))
        return payload

    def send_message(self, content: bytes, *, raw: bool = False, crlf_done: bool = False) -> bytes:
        """The message text after 354: dot-stuffed, ending with <CRLF>.<CRLF> (§4.5.2, §4.1.1.4).

        ``raw=True`` sends ``content`` exactly as given (no line-ending repair, no
        dot-stuffing), followed by <CRLF>.<CRLF>: for lessons that show what a
        broken or hostile client sends, such as SMTP smuggling. ``crlf_done=True``:
        the caller already made every line end in CRLF (``crlf_lines``), so it is not done again.
        """
        if self._predicted_state() is not State.DATA:
            raise LocalProtocolError(
                "the message text can only follow a 354 reply to DATA; "
                f"the session is in state {self._predicted_state().name}: send DATA first")
        if raw:
            payload = content + (b".\r\n" if content.endswith(b"\r\n") else b"\r\n.\r\n")
        else:
            content = content if crlf_done else crlf_lines(content)
            payload = stuff_crlf_text(content)  # dot_stuff without repairing line ends again
        self._pending.append(_Pending(Signal.END_OF_DATA, content, None, len(payload) - 3))
        return payload

    def _check(self, verb: Verb) -> None:
        state = self._predicted_state()
        if verb not in TRANSITIONS[state]:
            refusal = bad_sequence(state, verb, self.allowed_verbs)
            raise LocalProtocolError(refusal.text, refusal)

    def _predicted_state(self) -> State:
        """The state once every pending command succeeds (what pipelining assumes)."""
        state = self.state
        for pending in self._pending:
            trigger = Signal.CONNECT if _is_greeting(pending) else pending.trigger
            if trigger is None:
                continue  # a raw line with no known verb: refused, the state stays
            move = TRANSITIONS[state].get(trigger)
            if move is not None:
                state = move.intermediate or move.success
        return state

    # -- receiving ---------------------------------------------------------------
    def receive_data(self, data: bytes) -> list[Exchange]:
        """Feed bytes from the server; one Exchange per complete reply."""
        exchanges = []
        for answer in self._reader.feed(data):
            if not self._pending and answer.code == 421:
                # §3.8: a server that must stop says 421 without being asked, then closes
                self._pending.append(_Pending(Signal.CLOSE_421, b"", None))
            if not self._pending:
                raise RemoteProtocolError(f"server sent a reply nobody asked for: {answer}")
            pending = self._pending.popleft()
            problem = _unexpected(pending.trigger, answer)
            if problem is not None:  # recorded as a refusal would be: the state does not move
                exchanges.append(Exchange(pending.trigger, pending.sent, pending.command, answer,
                                          self.state, self.state, pending.size))
                self._pending.clear()  # the session is not trusted any more: nothing else is matched
                raise UnexpectedReplyError(problem, answer, exchanges)
            exchanges.append(self._settle(pending, answer))
            if exchanges[-1].trigger is Verb.STARTTLS and answer.code == 220:
                # RFC 3207 §4.2, §6: whatever came after the 220 in clear text is not
                # trusted (a man in the middle could have added replies): drop it
                self._reader = ReplyReader()
                break
        return exchanges

    def _settle(self, pending: _Pending, answer: Reply) -> Exchange:
        before = self.state
        # §3.1: the greeting answers the connection (the table's CONNECT row: 220 greets,
        # 554 refuses the session until QUIT, 421 closes)
        trigger = Signal.CONNECT if _is_greeting(pending) else pending.trigger
        after = state_after(before, trigger, answer.code) if trigger else before
        if pending.trigger is Verb.EHLO and answer.code == 250:
            self.extensions = parse_extensions(answer)
        if pending.trigger is Verb.STARTTLS and answer.code == 220:
            self.extensions = {}  # RFC 3207 §4.2: forget what the server said before TLS
        self.state = after
        return Exchange(pending.trigger, pending.sent, pending.command, answer, before, after,
                        pending.size)

    @property
    def next_trigger(self) -> Trigger | None:
        """What the next expected reply answers (None: the greeting, or nothing pending)."""
        return self._pending[0].trigger if self._pending else None

    @property
    def waiting(self) -> int:
        """How many replies are still expected."""
        return len(self._pending)

    @property
    def allowed_verbs(self) -> tuple[Verb, ...]:
        """Commands the table allows next, leaving out extensions the server did not offer."""
        return tuple(v for v in allowed_verbs(self._predicted_state())
                     if v not in EXTENSION_VERBS or EXTENSION_VERBS[v] in self.extensions)


def _unexpected(trigger: Trigger | None, answer: Reply) -> str | None:
    """Why ``answer`` cannot be the reply to ``trigger``, or None when it can (RFC 5321 §4.3.2)."""
    if trigger is None or answer.code >= 400:
        return None  # the greeting, a raw line, or a refusal: nothing positive to take on trust
    name = getattr(trigger, "value", str(trigger))
    if answer.code >= 300 and trigger not in _INTERMEDIATE_OK:
        return (f"the server answered {answer.code} to {name}: a 3xx reply means 'go on, send more', which "
                f"{name} never asks for (its positive reply is 2xx, RFC 5321 §4.3.2). The server is broken; "
                "this client stops instead of taking the reply for a success")
    if answer.code < 300 and trigger in _NO_COMPLETION:
        return (f"the server answered {answer.code} to {name}: DATA's only positive reply is 354, "
                "'send the message' (RFC 5321 §4.3.2); no message was sent, so a 2xx here cannot mean it "
                "was accepted. The server is broken; this client stops")
    return None


def _is_greeting(pending: _Pending) -> bool:
    """The entry made at connect time: the 220 greeting answers it (§3.1)."""
    return pending.trigger is None and pending.command is None and not pending.sent


def parse_extensions(ehlo: Reply) -> dict[str, str]:
    """EHLO keywords and their parameters, from the lines after the first (§4.1.1.1)."""
    extensions = {}
    for line in ehlo.lines[1:]:
        keyword, _, params = line.partition(" ")
        extensions[keyword.upper()] = params
    return extensions
