"""The transition table: the one place the state machine is written down."""

from __future__ import annotations

import re

import pytest

from smtplearn.protocol.states import START_STATE
from smtplearn.protocol import (INITIAL_STATE, TRANSITIONS, Signal, State, Transition, Verb, allowed,
                                allowed_verbs, state_after)
from smtplearn.protocol.states import WHERE

LIVE = [s for s in State if s is not State.CLOSED]


def test_every_state_has_a_row_and_a_place_name() -> None:
    assert set(TRANSITIONS) == set(State) and set(WHERE) == set(State)
    assert INITIAL_STATE is State.GREETED
    assert TRANSITIONS[State.CLOSED] == {}


def test_the_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[State.READY] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        TRANSITIONS[State.READY][Verb.DATA] = Transition(State.DATA)  # type: ignore[index]


@pytest.mark.parametrize("state", LIVE)
def test_every_live_state_can_be_closed_with_421(state: State) -> None:
    assert TRANSITIONS[state][Signal.CLOSE_421].failure is State.CLOSED
    assert state_after(state, Signal.CLOSE_421, 421) is State.CLOSED


@pytest.mark.parametrize("state", [State.GREETED, State.READY, State.MAIL, State.RCPT])
def test_rfc5321_4_1_4_anytime_commands_never_move_the_state(state: State) -> None:
    for verb in (Verb.NOOP, Verb.VRFY, Verb.EXPN, Verb.HELP):
        assert state_after(state, verb, 250) is state
    assert Verb.RSET in TRANSITIONS[state] and Verb.QUIT in TRANSITIONS[state]
    assert state_after(state, Verb.QUIT, 221) is State.CLOSED


@pytest.mark.parametrize("state, trigger, code, after", [
    (State.GREETED, Verb.EHLO, 250, State.READY),
    (State.GREETED, Verb.HELO, 250, State.READY),
    (State.GREETED, Verb.EHLO, 501, State.GREETED),
    (State.READY, Verb.MAIL, 250, State.MAIL),
    (State.READY, Verb.MAIL, 550, State.READY),
    (State.MAIL, Verb.RCPT, 250, State.RCPT),
    (State.MAIL, Verb.RCPT, 550, State.MAIL),
    (State.RCPT, Verb.RCPT, 452, State.RCPT),
    (State.RCPT, Verb.DATA, 354, State.DATA),
    (State.RCPT, Verb.DATA, 554, State.RCPT),
    (State.DATA, Signal.END_OF_DATA, 250, State.READY),
    (State.DATA, Signal.END_OF_DATA, 554, State.READY),  # accepted or refused, the transaction ends
    (State.DATA, Signal.END_OF_DATA, 451, State.READY),
    (State.MAIL, Verb.RSET, 250, State.READY),
    (State.RCPT, Verb.EHLO, 250, State.READY),
    (State.READY, Verb.STARTTLS, 220, State.GREETED),
    (State.READY, Verb.AUTH, 334, State.AUTH),
    (State.AUTH, Signal.AUTH_RESPONSE, 235, State.READY),
    (State.AUTH, Signal.AUTH_RESPONSE, 535, State.READY),
    (State.READY, Verb.DATA, 503, State.READY),   # not in the row: never moves
    (State.GREETED, Verb.MAIL, 503, State.GREETED),
    (State.READY, Verb.NOOP, 421, State.CLOSED),  # 421 always closes
    (State.CLOSED, Verb.NOOP, 250, State.CLOSED),
])
def test_state_after(state: State, trigger: object, code: int, after: State) -> None:
    assert state_after(state, trigger, code) is after  # type: ignore[arg-type]


def test_mail_transaction_needs_hello_then_mail_then_rcpt() -> None:
    assert Verb.MAIL not in TRANSITIONS[State.GREETED]
    assert Verb.RCPT not in TRANSITIONS[State.READY]
    assert Verb.DATA not in TRANSITIONS[State.MAIL]
    assert Verb.MAIL not in TRANSITIONS[State.RCPT]


def test_in_data_only_the_end_mark_or_421_count() -> None:
    assert set(TRANSITIONS[State.DATA]) == {Signal.END_OF_DATA, Signal.CLOSE_421}
    assert allowed_verbs(State.DATA) == ()


def test_allowed_lists_the_row_in_order() -> None:
    assert allowed(State.GREETED)[:4] == (Verb.HELO, Verb.EHLO, Verb.RSET, Verb.QUIT)
    assert allowed_verbs(State.GREETED) == (Verb.HELO, Verb.EHLO, Verb.RSET, Verb.QUIT,
                                            Verb.NOOP, Verb.VRFY, Verb.EXPN, Verb.HELP)


def test_every_target_state_is_a_state() -> None:
    for state, row in TRANSITIONS.items():
        for trigger, move in row.items():
            assert isinstance(trigger, (Verb, Signal))
            for target in (move.success, move.intermediate, move.failure):
                assert target is None or isinstance(target, State)


def test_every_state_is_reachable_from_the_start() -> None:
    seen, todo = {START_STATE}, [START_STATE]
    while todo:
        for move in TRANSITIONS[todo.pop()].values():
            for target in (move.success, move.intermediate, move.failure):
                if target is not None and target not in seen:
                    seen.add(target)
                    todo.append(target)
    assert seen == set(State)


def test_the_greeting_refused_session_421_and_anytime_commands_are_rows() -> None:
    """Issue 13: the whole machine is in the table. RFC 5321 §3.1: "An SMTP session is
    initiated when a client opens a connection to a server and the server responds with an
    opening message" -- a 554 instead of 220 refuses it, and then the server "MUST still wait
    for the client to send a QUIT ... and SHOULD respond to any intervening commands with
    '503 bad sequence of commands'". §4.1.4: NOOP, VRFY, EXPN and HELP may come at any time."""
    assert START_STATE is State.CONNECTED
    connect = TRANSITIONS[State.CONNECTED][Signal.CONNECT]
    assert (connect.success, connect.failure) == (State.GREETED, State.REFUSED)
    assert INITIAL_STATE is connect.success
    assert state_after(State.CONNECTED, Signal.CONNECT, 220) is State.GREETED
    assert state_after(State.CONNECTED, Signal.CONNECT, 554) is State.REFUSED
    assert state_after(State.CONNECTED, Signal.CONNECT, 421) is State.CLOSED
    assert set(TRANSITIONS[State.REFUSED]) == {Verb.QUIT, Signal.CLOSE_421}
    for state in (State.GREETED, State.READY, State.MAIL, State.RCPT):
        for verb in (Verb.NOOP, Verb.VRFY, Verb.EXPN, Verb.HELP):
            assert TRANSITIONS[state][verb] == Transition(state)
    for state in set(State) - {State.CLOSED}:
        assert TRANSITIONS[state][Signal.CLOSE_421] == Transition(State.CLOSED, failure=State.CLOSED)


def test_the_table_is_written_with_full_state_names() -> None:
    """No ``_G``-style aliases and no helper that adds rows behind the reader's back."""
    import inspect
    import smtplearn.protocol.states as states
    source = inspect.getsource(states)
    assert "_row(" not in source and not re.search(r"\b_[GRMCDA]\b", source)


def test_421_is_read_from_the_rows_close_421_entry() -> None:
    """RFC 5321 §3.8: a 421 "can be issued after the server receives any command or, if
    necessary, asynchronously": whatever it answers, it moves the state as the row's
    CLOSE_421 entry says; no 421 rule is coded beside the table."""
    import inspect
    import smtplearn.protocol.states as states
    assert "421" not in inspect.getsource(states.Transition.after)
    for state, row in TRANSITIONS.items():
        for trigger in (Verb.NOOP, Verb.MAIL, Signal.END_OF_DATA, Signal.CONNECT):
            expected = row[Signal.CLOSE_421].after(state, 421) if Signal.CLOSE_421 in row else state
            assert state_after(state, trigger, 421) is expected
