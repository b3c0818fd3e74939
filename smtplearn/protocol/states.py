"""The server's state machine, written once, as data.

This module owns the SMTP server states (RFC 5321 §3, §4.1.4) and the
transition table ``TRANSITIONS``. Everything else *reads* it: the server
session enforces it, the client session predicts the server's state from it,
the state diagram draws it, the console widget greys out buttons from it and
the notebooks quote it. Anything not in the table is refused, and a refused
command leaves the state unchanged.

Each row says: in this state, this trigger leads to the ``Transition``'s
states, chosen by the class of the server's reply (2xx success, 3xx
intermediate such as 354 or 334, 4xx/5xx failure). A refused command never
moves the state; a 421 closes the channel (RFC 5321 §3.8), as every live row's
``CLOSE_421`` entry says. The connection itself is a row too: a session starts
in ``START_STATE`` (CONNECTED) and the greeting answers ``Signal.CONNECT``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class State(enum.Enum):
    """Where a server session is. The value is a short label for diagrams."""

    # Every table look-up hashes a state. Enum's own __hash__ is Python code on 3.11
    # (hash(self._name_)); members are singletons compared by identity, so the C-level
    # identity hash means the same and is several times quicker.
    __hash__ = object.__hash__

    #: TCP connection open; the server has not greeted yet (§3.1)
    CONNECTED = "connected"
    #: the server greeted with 554: no service here; it waits for QUIT, other commands get 503 (§3.1)
    REFUSED = "refused"
    #: TCP connected and 220 greeting sent; waiting for HELO or EHLO (§4.1.1.1)
    GREETED = "greeted"
    #: The client said hello; no mail transaction is open (§4.1.4)
    READY = "ready"
    #: MAIL FROM accepted: a transaction is open, no recipient yet (§4.1.1.2)
    MAIL = "mail"
    #: At least one RCPT TO accepted; more may follow, or DATA (§4.1.1.3)
    RCPT = "rcpt"
    #: After 354: message lines until <CRLF>.<CRLF> (§4.1.1.4)
    DATA = "data"
    #: AUTH started: waiting for the client's next base64 line (RFC 4954 §4)
    AUTH = "auth"
    #: QUIT answered with 221, or 421 sent: nothing more is read (§4.1.1.10)
    CLOSED = "closed"


class Verb(str, enum.Enum):
    """The commands of RFC 5321 §4.1 and the extensions this package speaks."""

    # A Verb equals its text (Verb.MAIL == "MAIL"), so it must hash like it: str's C-level
    # hash does, and is quicker than Enum's Python-level one (see State)
    __hash__ = str.__hash__

    HELO = "HELO"  # §4.1.1.1 (the old greeting)
    EHLO = "EHLO"  # §4.1.1.1 (extended greeting: lists capabilities)
    MAIL = "MAIL"  # §4.1.1.2 MAIL FROM:<reverse-path>
    RCPT = "RCPT"  # §4.1.1.3 RCPT TO:<forward-path>
    DATA = "DATA"  # §4.1.1.4
    RSET = "RSET"  # §4.1.1.5
    VRFY = "VRFY"  # §4.1.1.6
    EXPN = "EXPN"  # §4.1.1.7
    HELP = "HELP"  # §4.1.1.8
    NOOP = "NOOP"  # §4.1.1.9
    QUIT = "QUIT"  # §4.1.1.10
    STARTTLS = "STARTTLS"  # RFC 3207 §4
    AUTH = "AUTH"  # RFC 4954 §4


class Signal(str, enum.Enum):
    """Triggers that are not a command line. They appear in the table too,
    so the diagram draws them like any other edge."""

    # equal to its text, so hashed like it (see Verb)
    __hash__ = str.__hash__

    #: the connection opens: the server answers with its greeting, 220 or 554 (RFC 5321 §3.1)
    CONNECT = "connect"
    #: the line "." ends the message: <CRLF>.<CRLF> (RFC 5321 §4.1.1.4)
    END_OF_DATA = "<CRLF>.<CRLF>"
    #: the client's base64 reply to a 334 challenge (RFC 4954 §4)
    AUTH_RESPONSE = "auth response"
    #: the server gives up with 421: timeout, shutdown, too many clients, or an attack (§3.8, §7.8)
    CLOSE_421 = "421 closing"


Trigger = Verb | Signal

#: commands that exist only when the server advertises their EHLO keyword (§4.2.4)
EXTENSION_VERBS: Mapping[Verb, str] = MappingProxyType({
    Verb.STARTTLS: "STARTTLS",  # RFC 3207 §4
    Verb.AUTH: "AUTH",          # RFC 4954 §3
})

@dataclass(frozen=True)
class Transition:
    """Where one trigger leads, by the class of the server's reply.

    ``success`` is where a 2xx reply leads; ``intermediate`` where a 3xx reply
    leads (354 after DATA, 334 during AUTH; None: no 3xx is expected);
    ``failure`` where a 4xx/5xx reply leads (None: the state does not change,
    which is the rule for every refused *command*). A 421 reply, whatever it
    answers, is read from the row's ``CLOSE_421`` entry (see ``state_after``).
    """

    success: State
    intermediate: State | None = None
    failure: State | None = None

    def after(self, state: State, code: int) -> State:
        """The state after a reply with ``code`` to this trigger in ``state``."""
        if 200 <= code < 300:
            return self.success
        if 300 <= code < 400 and self.intermediate is not None:
            return self.intermediate
        return self.failure or state


def _stay(state: State) -> Transition:
    """A move that keeps ``state`` whatever the reply (the any-time commands, RSET in GREETED)."""
    return Transition(state)


def _frozen(rows: dict[State, dict[Trigger, Transition]]) -> Mapping[State, Mapping[Trigger, Transition]]:
    """The rows made read-only: nothing can change the machine while it runs."""
    return MappingProxyType({state: MappingProxyType(row) for state, row in rows.items()})


#: state -> {trigger -> Transition}. Anything not listed is refused with 503.
#: Every row is written out in full: what a student reads here is what the diagram draws.
TRANSITIONS = _frozen({
        # §3.1: "An SMTP session is initiated when a client opens a connection to a
        # server and the server responds with an opening message": 220 greets; a 554
        # refuses the session (the server then waits for QUIT); 421 closes at once (§3.8).
        # Every live row ends with CLOSE_421: a 421 (a 4xx) answering anything, or sent
        # unasked, closes the channel (§3.8).
        State.CONNECTED: {
            Signal.CONNECT: Transition(State.GREETED, failure=State.REFUSED),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # §3.1: after a 554 greeting the server "MUST still wait for the client to send
        # a QUIT" and "SHOULD respond to any intervening commands with 503": only QUIT
        # is listed, so everything else gets 503 -- NOOP, HELP, EXPN, VRFY and RSET too: §4.1.4's
        # "can be used at any time" is for a session the server accepted.
        State.REFUSED: {
            Verb.QUIT: Transition(State.CLOSED),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # §4.1.1.1: a session starts with HELO or EHLO. §4.1.4: "The NOOP, HELP, EXPN, VRFY,
        # and RSET commands can be used at any time during a session, or without previously
        # initializing a session"; none of them moves the state here (RSET: §4.1.1.5).
        State.GREETED: {
            Verb.HELO: Transition(State.READY),
            Verb.EHLO: Transition(State.READY),
            Verb.RSET: _stay(State.GREETED),
            Verb.QUIT: Transition(State.CLOSED),
            Verb.NOOP: _stay(State.GREETED),
            Verb.VRFY: _stay(State.GREETED),
            Verb.EXPN: _stay(State.GREETED),
            Verb.HELP: _stay(State.GREETED),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # §4.1.1.2: MAIL opens a transaction. RFC 3207 §4.2: after STARTTLS the
        # client must say EHLO again. RFC 4954 §4: AUTH may take several 334 rounds,
        # or finish at once (235) when the client sends an initial response.
        State.READY: {
            Verb.HELO: Transition(State.READY),
            Verb.EHLO: Transition(State.READY),
            Verb.MAIL: Transition(State.MAIL),
            Verb.RSET: Transition(State.READY),
            Verb.QUIT: Transition(State.CLOSED),
            Verb.STARTTLS: Transition(State.GREETED),
            Verb.AUTH: Transition(State.READY, intermediate=State.AUTH),
            Verb.NOOP: _stay(State.READY),
            Verb.VRFY: _stay(State.READY),
            Verb.EXPN: _stay(State.READY),
            Verb.HELP: _stay(State.READY),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # §4.1.1.3: RCPT names a recipient. HELO/EHLO or RSET abort the transaction (§4.1.4).
        State.MAIL: {
            Verb.RCPT: Transition(State.RCPT),
            Verb.HELO: Transition(State.READY),
            Verb.EHLO: Transition(State.READY),
            Verb.RSET: Transition(State.READY),
            Verb.QUIT: Transition(State.CLOSED),
            Verb.NOOP: _stay(State.MAIL),
            Verb.VRFY: _stay(State.MAIL),
            Verb.EXPN: _stay(State.MAIL),
            Verb.HELP: _stay(State.MAIL),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # §4.1.1.4: DATA needs at least one accepted recipient; 354 opens the body.
        State.RCPT: {
            Verb.RCPT: Transition(State.RCPT),
            Verb.DATA: Transition(State.RCPT, intermediate=State.DATA),
            Verb.HELO: Transition(State.READY),
            Verb.EHLO: Transition(State.READY),
            Verb.RSET: Transition(State.READY),
            Verb.QUIT: Transition(State.CLOSED),
            Verb.NOOP: _stay(State.RCPT),
            Verb.VRFY: _stay(State.RCPT),
            Verb.EXPN: _stay(State.RCPT),
            Verb.HELP: _stay(State.RCPT),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # §4.1.1.4: in DATA every line is message text until <CRLF>.<CRLF>; accepted
        # or refused, the end of data ends the transaction.
        State.DATA: {
            Signal.END_OF_DATA: Transition(State.READY, failure=State.READY),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # RFC 4954 §4: 235 or 535 end AUTH; another 334 asks for one more line.
        State.AUTH: {
            Signal.AUTH_RESPONSE: Transition(State.READY, intermediate=State.AUTH, failure=State.READY),
            Signal.CLOSE_421: Transition(State.CLOSED, failure=State.CLOSED),
        },
        # QUIT answered or 421 sent: nothing more is read.
        State.CLOSED: {},
})

#: where a session is when the connection opens, before the server says anything (§3.1)
START_STATE = State.CONNECTED

#: the state a new connection reaches once the 220 greeting is sent: read from the table
INITIAL_STATE = TRANSITIONS[START_STATE][Signal.CONNECT].success


#: how a refusal names where the session is (in "MAIL is not allowed before HELO/EHLO")
WHERE: Mapping[State, str] = MappingProxyType({
    State.CONNECTED: "before the greeting",
    State.REFUSED: "after the server refused the session (554 greeting)",
    State.GREETED: "before HELO/EHLO",
    State.READY: "before MAIL FROM",
    State.MAIL: "before a recipient was accepted",
    State.RCPT: "during a mail transaction",
    State.DATA: "while the message text is being sent",
    State.AUTH: "during AUTH",
    State.CLOSED: "after the session was closed",
})


_IN_TRANSACTION = "while a mail transaction is open (RSET ends it, RFC 5321 §4.1.4)"
_IN_TRANSACTION_TLS = ("while a mail transaction is open (RSET ends it; TLS would start the session "
                       "over, RFC 3207 §4.2)")

#: where a refusal names a reason more precise than its state's ``WHERE``
WHERE_FOR: Mapping[tuple[State, Verb], str] = MappingProxyType({
    # §4.1.4: "MAIL ... MUST NOT be sent if a mail transaction is already open"
    (State.MAIL, Verb.MAIL): _IN_TRANSACTION,
    (State.RCPT, Verb.MAIL): _IN_TRANSACTION,
    # RFC 4954 §4: "The AUTH command is not permitted during a mail transaction"
    (State.MAIL, Verb.AUTH): "during a mail transaction (RFC 4954 §4)",
    (State.RCPT, Verb.AUTH): "during a mail transaction (RFC 4954 §4)",
    # no RFC forbids STARTTLS here, but RFC 3207 §4.2 resets the session after the handshake,
    # so the open transaction would be lost: our rule (Postfix's too) is to refuse it
    (State.MAIL, Verb.STARTTLS): _IN_TRANSACTION_TLS,
    (State.RCPT, Verb.STARTTLS): _IN_TRANSACTION_TLS,
})


def allowed(state: State) -> tuple[Trigger, ...]:
    """The triggers the table allows in ``state``, in table order."""
    return tuple(TRANSITIONS[state])


def allowed_verbs(state: State) -> tuple[Verb, ...]:
    """The commands a client may type in ``state`` (what the console enables)."""
    return tuple(t for t in TRANSITIONS[state] if isinstance(t, Verb))


def state_after(state: State, trigger: Trigger, code: int) -> State:
    """The state after the server answered ``trigger`` with ``code``.

    A trigger the table does not list in ``state`` never moves it (the
    server refuses it with 503). A 421, whatever it answers, is the server
    closing the channel (RFC 5321 §3.8): it moves as the row's ``CLOSE_421``
    entry says (to CLOSED, from every live state).
    """
    if code == 421:
        trigger = Signal.CLOSE_421
    move = TRANSITIONS[state].get(trigger)
    if move is None:
        return state
    return move.after(state, code)
