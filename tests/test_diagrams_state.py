"""The state diagram is the transition table, drawn: checked on the DOT source (no `dot` needed)."""

from __future__ import annotations

import re

import pytest

import smtplearn
from smtplearn.diagrams import DotNotFoundError, state_diagram
from smtplearn.diagrams.state_model import REPLY_CODES, EdgeKind, state_graph
from smtplearn.protocol.states import START_STATE, TRANSITIONS, Signal, State, Verb

EDGE = re.compile(r"^\s+(\w+) -> (\w+) \[(.*)\];$", re.M)
NODE = re.compile(r"^\s+(\w+) \[(label=.*)\];$", re.M)


def dot_edges(source: str) -> list[tuple[str, str, str]]:
    """(from, to, attributes) for every edge, with dir=back edges turned the way they point."""
    out = []
    for tail, head, attrs in EDGE.findall(source):
        if 'dir="back"' in attrs:
            tail, head = head, tail
        out.append((tail, head, attrs))
    return out


def classes(attrs: str) -> set[str]:
    return set(re.search(r'class="([^"]*)"', attrs).group(1).split())


def node_name(state: State) -> str:
    """The DOT node a state is drawn as: the start marker stands for START_STATE."""
    return "start" if state is START_STATE else state.name


def expected_moves() -> set[tuple[State, object, State]]:
    """Computed from the table itself: each distinct target of each Transition."""
    moves = set()
    for state, row in TRANSITIONS.items():
        for trigger, move in row.items():
            for reply_class, target in ((2, move.success), (3, move.intermediate), (5, move.failure)):
                if target is None:
                    continue  # "stays put": a refusal, drawn with show_errors
                if REPLY_CODES.get(trigger, {}).get(reply_class, "") is None:
                    continue  # no such reply in RFC 5321 §4.3.2
                moves.add((state, trigger, target))
    return moves


def test_only_data_2xx_is_left_out_as_impossible():
    impossible = {(t, c) for t, codes in REPLY_CODES.items() for c, v in codes.items() if v is None}
    # §4.3.2: DATA gets 354 or a refusal, never 2xx; 421 is a 4xx, never a success
    assert impossible == {(Verb.DATA, 2), (Signal.CLOSE_421, 2)}


def test_every_transition_in_the_table_is_an_edge():
    source = state_diagram().source
    edges = dot_edges(source)
    missing = []
    for state, trigger, target in expected_moves():
        if not any(t == node_name(state) and h == target.name and trigger.name in classes(a)
                   for t, h, a in edges):
            missing.append((state.name, trigger.name, target.name))
    assert not missing, f"table moves with no edge: {sorted(missing)}"
    assert len(expected_moves()) > 40


def test_no_edge_that_the_table_does_not_have():
    allowed = {(node_name(s), t.name, d.name) for s, t, d in expected_moves()}
    for tail, head, attrs in dot_edges(state_diagram().source):
        names = classes(attrs) - {k.value for k in EdgeKind} - {"path"}
        assert names, attrs
        for name in names:
            assert (tail, name, head) in allowed, (tail, name, head)


def test_every_state_is_a_node_and_labels_name_the_triggers():
    source = state_diagram().source
    for state in set(State) - {START_STATE}:  # drawn as the start marker
        assert re.search(rf"^\s+{state.name} \[label=", source, re.M)
    assert "DATA / 354" in source
    assert "&lt;CRLF&gt;.&lt;CRLF&gt; / 250 or 4xx/5xx" in source  # escaped for the HTML label
    assert "<CRLF>" not in source


def test_anytime_commands_share_one_loop_per_state():
    graph = state_graph()
    for state in (State.GREETED, State.READY, State.MAIL, State.RCPT):
        loops = [e for e in graph.edges if e.source is state and e.target is state]
        assert len(loops) == 1
        assert "NOOP VRFY EXPN HELP" in loops[0].label_lines()


def test_421_edges_are_drawn_light():
    source = state_diagram().source
    closing = [(t, a) for t, h, a in dot_edges(source) if h == "CLOSED" and "CLOSE_421" in classes(a)]
    assert {t for t, _ in closing} == {node_name(s) for s in State if Signal.CLOSE_421 in TRANSITIONS[s]}
    assert all("421" in a for _, a in closing)


def current_nodes(source: str) -> list[str]:
    return [name for name, attrs in NODE.findall(source) if 'class="state current"' in attrs]


def test_current_state_is_highlighted():
    assert current_nodes(state_diagram(current=State.RCPT).source) == ["RCPT"]
    assert current_nodes(state_diagram(current="mail").source) == ["MAIL"]
    assert current_nodes(state_diagram().source) == []


def test_pair_state_diagram_lights_where_the_pair_is():
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.mail("alice@example.org")
    assert current_nodes(pair.state_diagram().source) == ["MAIL"]
    pair.rcpt("bob@example.org")
    assert current_nodes(pair.state_diagram().source) == ["RCPT"]


def steps_on(graph, tail, head):
    return [n for e in graph.edges if e.source is tail and e.target is head for n in e.steps]


def test_path_numbers_follow_the_transcript():
    pair = smtplearn.Pair()
    pair.ehlo()                                  # 2 GREETED -> READY
    pair.mail("alice@example.org")               # 3 READY -> MAIL
    pair.rcpt("bob@example.org")                 # 4 MAIL -> RCPT
    pair.data("Subject: x\r\n\r\nhi\r\n")        # 5 RCPT -> DATA, 6 DATA -> READY
    pair.quit()                                  # 7 READY -> CLOSED
    graph = state_graph(path=pair.transcript)
    route = sorted((n, e.source, e.target) for e in graph.edges for n in e.steps)
    expected = [(n, t.before if t.trigger is not None else None, t.after)
                for n, t in enumerate(pair.transcript.turns, start=1)]
    assert route == expected
    source = state_diagram(path=pair).source
    assert re.search(r'RCPT -> DATA \[label=<.*<B>5</B>.*class="move DATA path"', source)


def test_path_from_a_list_of_states_and_repeated_loops():
    graph = state_graph(path=["GREETED", "READY", "MAIL", "READY", "MAIL"])
    assert steps_on(graph, State.READY, State.MAIL) == [2, 4]
    assert steps_on(graph, State.MAIL, State.READY) == [3]
    pair = smtplearn.Pair()
    pair.ehlo()
    for _ in range(20):
        pair.noop()
    edge = next(e for e in state_graph(path=pair).edges if e.source is e.target is State.READY)
    assert len(edge.steps) == 20
    assert "(20×)" in state_diagram(path=pair).source


def test_refused_commands_stay_put_and_show_with_errors():
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.send_line("RCPT TO:<bob@example.org>")  # 3: 503, stays READY
    plain = state_graph(path=pair)
    assert 3 not in [n for e in plain.edges for n in e.steps]
    with_errors = state_graph(path=pair, show_errors=True)
    refusal = [e for e in with_errors.edges if e.kind is EdgeKind.REFUSAL and e.source is State.READY]
    assert len(refusal) == 1 and refusal[0].target is State.READY
    assert refusal[0].steps == (3,)
    assert "RCPT, DATA / 503" in refusal[0].label_lines()
    source = state_diagram(show_errors=True).source
    loops = [t for t, h, a in dot_edges(source) if t == h and "refusal" in classes(a)]
    # REFUSED too: after a 554 greeting everything but QUIT gets 503 (RFC 5321 §3.1)
    assert sorted(loops) == ["GREETED", "MAIL", "RCPT", "READY", "REFUSED"]


def test_text_fallback_and_missing_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    diagram = state_diagram(current=State.READY)
    with pytest.raises(DotNotFoundError) as info:
        diagram.svg()
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz"):
        assert hint in message
    assert info.value.source == diagram.source
    bundle = diagram._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "apt-get install graphviz" in bundle["text/plain"]
    assert diagram.save(tmp_path / "s.dot").read_text() == diagram.source
    assert "now in READY" in diagram.text


def test_import_smtplearn_does_not_import_graphviz():
    import subprocess
    import sys
    code = "import sys, smtplearn; smtplearn.state_diagram().source; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_offered_leaves_out_extensions_the_server_does_not_offer() -> None:
    """A Pair's server offers no STARTTLS/AUTH: its diagram has neither, nor the AUTH state,
    while the default draws the whole table."""
    from smtplearn import Pair, state_diagram
    pair = Pair()
    pair.ehlo()
    source = pair.state_diagram().source
    assert "STARTTLS" not in source and "AUTH" not in source
    full = state_diagram().source
    assert "STARTTLS" in full and "state-AUTH" in full
    with_tls = state_diagram(offered={"STARTTLS"}).source
    assert "STARTTLS" in with_tls and "state-AUTH" not in with_tls


def test_a_path_brings_the_extensions_its_server_offered() -> None:
    """The player draws a finished transcript: STARTTLS/AUTH appear only if that server's EHLO listed them."""
    from smtplearn import Pair, state_diagram
    pair = Pair()
    pair.ehlo()
    assert "state-AUTH" not in state_diagram(path=pair.transcript).source
    helo_only = Pair()
    helo_only.helo()
    assert "STARTTLS" not in state_diagram(path=helo_only.transcript).source
    assert "state-AUTH" in state_diagram(path=[State.GREETED, State.READY]).source  # no hello seen: whole table


def test_the_greeting_is_drawn_from_the_tables_connect_row_and_nothing_else():
    """RFC 5321 §3.1: "a 554 response MAY be given in the initial connection opening message
    instead of the 220". The start marker's arrows are exactly the CONNECTED row: 220 to
    GREETED, 554 to REFUSED, 421 to CLOSED; no edge is added by hand."""
    from_start = {(e.target, t) for e in state_graph().edges if e.source is None for t in e.triggers}
    assert from_start == {(State.GREETED, Signal.CONNECT), (State.REFUSED, Signal.CONNECT),
                          (State.CLOSED, Signal.CLOSE_421)}
    table = {(target, trigger) for trigger, move in TRANSITIONS[START_STATE].items()
             for target in (move.success, move.intermediate, move.failure) if target is not None}
    assert from_start == table
    labels = {line.text for e in state_graph().edges if e.source is None for line in e.lines}
    assert labels == {"connect / 220", "connect / 554", "421"}


def test_the_diagram_model_draws_exactly_the_tables_edges():
    """Every (state, trigger, target) the model draws is a move of TRANSITIONS, and back."""
    drawn = {(START_STATE if e.source is None else e.source, t, e.target)
             for e in state_graph().edges for t in e.triggers}
    assert drawn == expected_moves()
