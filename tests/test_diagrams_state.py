"""The state diagram is the transition table, drawn: checked on the DOT source (no `dot` needed)."""

from __future__ import annotations

import re

import pytest

import smtplearn
from smtplearn.diagrams import DotNotFoundError, state_diagram
from smtplearn.diagrams.state_model import FIRST_STATE, REPLY_CODES, EdgeKind, state_graph
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


def drawn_moves(graph) -> set[tuple[State, object, State]]:
    """(state, trigger, target) for every move the graph draws; a folded edge ("any state")
    stands for each state its line names (or each state of the box)."""
    out = set()
    for edge in graph.edges:
        if edge.source is None and not edge.group:
            continue  # the start marker
        for line in edge.lines:
            for state in (line.states or edge.group) if edge.group else (edge.source,):
                for trigger in line.triggers:
                    out.add((state, trigger, state if edge.target is None else edge.target))
    return out


def test_every_transition_in_the_table_is_an_edge():
    missing = expected_moves() - drawn_moves(state_graph())
    assert not missing, f"table moves with no edge: {sorted(map(str, missing))}"
    assert len(expected_moves()) > 40


def test_no_edge_that_the_table_does_not_have():
    extra = drawn_moves(state_graph()) - expected_moves()
    assert not extra, f"edges the table does not have: {sorted(map(str, extra))}"


def test_the_dot_source_draws_every_edge_of_the_model():
    """Each model edge is one DOT edge whose class names its triggers; folded edges leave the
    "any state" box (ANY), which names the states it stands for."""
    graph = state_graph()
    source = state_diagram().source
    edges = dot_edges(source)
    for edge in graph.edges:
        tail = "ANY" if edge.group else "start" if edge.source is None else edge.source.name
        head = "ANY" if edge.target is None else edge.target.name
        names = {"connect" if t is None else t.name for t in edge.triggers}
        assert any(t == tail and h == head and names <= classes(a) for t, h, a in edges), (tail, head, names)
    for tail, head, attrs in edges:
        if tail == "start":
            assert head == FIRST_STATE.name and "start" in classes(attrs)
    assert len(edges) == len(graph.edges)
    assert re.search(r"ANY \[label=<<B>any state</B><BR/><FONT [^>]*>GREETED READY<BR/>MAIL RCPT</FONT>>", source)


def test_moves_shared_by_many_states_are_drawn_once():
    """QUIT, 421 and the §4.1.4 any-time commands used to be one curve per state, crossing
    the whole picture: now one edge each from the "any state" box, saying where they differ."""
    graph = state_graph()
    folded = [e for e in graph.edges if e.group]
    assert {e.target for e in folded} == {State.CLOSED, None}
    assert not [e for e in graph.edges if not e.group and e.target is State.CLOSED]
    closing = next(e for e in folded if e.target is State.CLOSED)
    lines = closing.label_lines()
    assert "QUIT / 221" in [line.split(" (")[0] for line in lines]
    # 421 holds in every live state, so its line names the states the box does not stand for
    live = [s for s in State if Signal.CLOSE_421 in TRANSITIONS[s]]
    assert f"421 (also in {', '.join(s.name for s in live if s not in closing.group)})" in lines
    source = state_diagram().source
    assert len(re.findall(r"-> CLOSED ", source)) == 1


def test_every_state_is_a_node_and_labels_name_the_triggers():
    source = state_diagram().source
    for state in State:
        assert re.search(rf"^\s+{state.name} \[label=", source, re.M)
    assert "DATA / 354" in source
    assert "&lt;CRLF&gt;.&lt;CRLF&gt; /<BR/>250 or 4xx/5xx" in source  # escaped, and wrapped narrow
    assert "<CRLF>" not in source


def test_anytime_commands_share_one_loop_on_the_any_state_box():
    graph = state_graph()
    loops = [e for e in graph.edges if e.group and e.target is None]
    assert len(loops) == 1 and loops[0].label_lines() == ["NOOP VRFY EXPN HELP"]
    assert set(loops[0].group) == {s for s in State if Verb.NOOP in TRANSITIONS[s]}


def test_421_is_drawn_light_beside_quit():
    source = state_diagram().source
    closing = [a for t, h, a in dot_edges(source) if h == "CLOSED" and "CLOSE_421" in classes(a)]
    assert len(closing) == 1 and "QUIT" in classes(closing[0])
    assert '<FONT COLOR="#57606a">421<BR/>(also in ' in closing[0]
    assert {s for s in State if Signal.CLOSE_421 in TRANSITIONS[s]} == {
        s for s, t, _ in drawn_moves(state_graph()) if t is Signal.CLOSE_421}


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
    expected[-1] = (7, None, State.CLOSED)  # QUIT: the "any state" box's arrow
    assert route[1:] == expected[1:]
    assert route[0][0] == 1 and route[0][2] is State.GREETED  # the greeting (the start arrow or CONNECT row)
    assert next(e for e in graph.edges if 7 in e.steps).leaves(State.READY)
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
    edge = next(e for e in state_graph(path=pair).edges if e.group and e.target is None)
    assert len(edge.steps) == 20 and edge.leaves(State.READY)
    assert "(20×)" in state_diagram(path=pair).source


def test_refused_commands_stay_put_and_show_with_errors():
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.send_line("RCPT TO:<bob@example.org>")  # 3: 503, stays READY
    plain = state_graph(path=pair)
    assert 3 not in [n for e in plain.edges for n in e.steps]
    with_errors = state_graph(path=pair, show_errors=True)
    refusal = [e for e in with_errors.edges if e.kind is EdgeKind.REFUSAL]
    assert len(refusal) == 1 and refusal[0].target is None and refusal[0].leaves(State.READY)
    assert refusal[0].steps == (3,)
    assert refusal[0].label_lines() == ["out of sequence / 503", "refused (unknown, syntax, policy) / 4xx/5xx"]
    out_of_sequence = refusal[0].lines[0]
    assert Verb.RCPT in out_of_sequence.triggers and Verb.QUIT not in out_of_sequence.triggers
    source = state_diagram(show_errors=True).source
    loops = [t for t, h, a in dot_edges(source) if t == h and "refusal" in classes(a)]
    assert loops == ["ANY"]


def test_an_unknown_command_is_not_drawn_as_the_greeting():
    """Issue 12: `HELLO mx.example.org` (500) was numbered on the connect edge ("1, 4").
    RFC 5321 §4.2.2: "500 Syntax error, command unrecognized"; a refused command leaves the
    state unchanged, so it is no step at all without show_errors."""
    pair = smtplearn.Pair()
    pair.ehlo()                                     # 2
    assert pair.send_line("HELLO mx.example.org").code == 500  # 3
    pair.mail("alice@example.org")                  # 4
    for errors in (False, True):
        graph = state_graph(path=pair, show_errors=errors)
        greeting = next(e for e in graph.edges if 1 in e.steps)
        assert greeting.steps == (1,) and greeting.target is State.GREETED
        drawn = [n for e in graph.edges for n in e.steps]
        assert (3 in drawn) is errors  # a refusal is drawn only with show_errors
        if errors:
            loop = next(e for e in graph.edges if 3 in e.steps)
            assert loop.kind is EdgeKind.REFUSAL and loop.target is None
    greeting_edge = next(line for line in state_diagram(path=pair).source.splitlines() if "-> GREETED " in line)
    assert "<B>1</B>" in greeting_edge and "1, " not in greeting_edge


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
    instead of the 220". The start marker is the TCP connection into START_STATE; from there
    the arrows are exactly the CONNECTED row: 220 to GREETED, 554 to REFUSED, and its 421 is
    on the "any state" box's 421 line ("also in CONNECTED"); no edge is added by hand."""
    graph = state_graph()
    start = [e for e in graph.edges if e.source is None and not e.group]
    assert [(e.target, e.label_lines()) for e in start] == [(START_STATE, ["TCP connection"])]
    from_connected = {(e.target, t) for e in graph.edges if e.source is START_STATE for t in e.triggers}
    table = {(target, trigger) for trigger, move in TRANSITIONS[START_STATE].items()
             for target in (move.success, move.intermediate, move.failure)
             if target is not None and trigger is not Signal.CLOSE_421}
    assert from_connected == table == {(State.GREETED, Signal.CONNECT), (State.REFUSED, Signal.CONNECT)}
    labels = {line.text for e in graph.edges if e.source is START_STATE for line in e.lines}
    assert labels == {"connect / 220", "connect / 554"}
    assert (START_STATE, Signal.CLOSE_421, State.CLOSED) in drawn_moves(graph)


def test_the_diagram_model_draws_exactly_the_tables_edges():
    """Every (state, trigger, target) the model draws is a move of TRANSITIONS, and back."""
    assert drawn_moves(state_graph()) == expected_moves()
