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
moves the state; 421 always closes the channel (RFC 5321 §3.8).
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

    #: the line "." ends the message: <CRLF>.<CRLF> (RFC 5321 §4.1.1.4)
    END_OF_DATA = "<CRLF>.<CRLF>"
    #: the client's base64 reply to a 334 challenge (RFC 4954 §4)
    AUTH_RESPONSE = "auth response"
    #: the server gives up: timeout, shutdown or too many errors, 421 (§3.8)
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
    which is the rule for every refused *command*). A 421 reply always closes
    the channel (RFC 5321 §3.8), which is the ``CLOSE_421`` row below.
    """

    success: State
    intermediate: State | None = None
    failure: State | None = None

    def after(self, state: State, code: int) -> State:
        """The state after a reply with ``code`` to this trigger in ``state``."""
        if code == 421:
            return State.CLOSED
        if 200 <= code < 300:
            return self.success
        if 300 <= code < 400 and self.intermediate is not None:
            return self.intermediate
        return self.failure or state


_STAY = None  # placeholder for "this row's own state", resolved below

# Commands RFC 5321 §4.1.4 allows "at any time during a session, or without
# previously initializing a session"; they never change the state.
_ANYTIME = ("NOOP", "VRFY", "EXPN", "HELP")


def _row(state: State, **moves: State | Transition | None) -> dict[Trigger, Transition]:
    """One table row: the §4.1.4 any-time commands, this state's own moves,
    and the 421 edge every live state has."""
    row: dict[Trigger, Transition] = {}
    for name, move in moves.items():
        trigger: Trigger = Verb[name] if name in Verb.__members__ else Signal[name]
        if not isinstance(move, Transition):
            move = Transition(move or state)
        row[trigger] = move
    row.update({Verb[name]: Transition(state) for name in _ANYTIME})
    row[Signal.CLOSE_421] = Transition(State.CLOSED)
    return row


_G, _R, _M, _C, _D, _A = State.GREETED, State.READY, State.MAIL, State.RCPT, State.DATA, State.AUTH

#: state -> {trigger -> Transition}. Anything not listed is refused with 503.
TRANSITIONS: Mapping[State, Mapping[Trigger, Transition]] = MappingProxyType({
    state: MappingProxyType(row) for state, row in {
        # §4.1.1.1: a session starts with HELO or EHLO. RSET is harmless here (§4.1.1.5).
        _G: _row(_G, HELO=_R, EHLO=_R, RSET=_STAY, QUIT=State.CLOSED),
        # §4.1.1.2: MAIL opens a transaction. RFC 3207 §4.2: after STARTTLS the
        # client must say EHLO again. RFC 4954 §4: AUTH may take several 334 rounds,
        # or finish at once (235) when the client sends an initial response.
        _R: _row(_R, HELO=_R, EHLO=_R, MAIL=_M, RSET=_R, QUIT=State.CLOSED,
                 STARTTLS=_G, AUTH=Transition(_R, intermediate=_A)),
        # §4.1.1.3: RCPT names a recipient. HELO/EHLO or RSET abort the transaction (§4.1.4).
        _M: _row(_M, RCPT=_C, HELO=_R, EHLO=_R, RSET=_R, QUIT=State.CLOSED),
        # §4.1.1.4: DATA needs at least one accepted recipient; 354 opens the body.
        _C: _row(_C, RCPT=_C, DATA=Transition(_C, intermediate=_D), HELO=_R, EHLO=_R,
                 RSET=_R, QUIT=State.CLOSED),
        # §4.1.1.4: in DATA every line is message text until <CRLF>.<CRLF>; accepted
        # or refused, the end of data ends the transaction.
        _D: {Signal.END_OF_DATA: Transition(_R, failure=_R),
             Signal.CLOSE_421: Transition(State.CLOSED)},
        # RFC 4954 §4: 235 or 535 end AUTH; another 334 asks for one more line.
        _A: {Signal.AUTH_RESPONSE: Transition(_R, intermediate=_A, failure=_R),
             Signal.CLOSE_421: Transition(State.CLOSED)},
        State.CLOSED: {},
    }.items()
})

#: the state a new connection starts in, once the 220 greeting is sent (§3.1)
INITIAL_STATE = State.GREETED


#: how a refusal names where the session is (in "MAIL is not allowed before HELO/EHLO")
WHERE: Mapping[State, str] = MappingProxyType({
    State.GREETED: "before HELO/EHLO",
    State.READY: "before MAIL FROM",
    State.MAIL: "before a recipient was accepted",
    State.RCPT: "during a mail transaction",
    State.DATA: "while the message text is being sent",
    State.AUTH: "during AUTH",
    State.CLOSED: "after the session was closed",
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
    server refuses it with 503) -- except 421, which always closes.
    """
    move = TRANSITIONS[state].get(trigger)
    if move is None:
        return State.CLOSED if code == 421 else state
    return move.after(state, code)
