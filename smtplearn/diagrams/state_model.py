"""The state machine as nodes and edges, read from the server's own table.

Nothing here knows about DOT or SVG. ``state_graph`` reads
``smtplearn.protocol.states.TRANSITIONS`` and nothing else, so the picture can
never disagree with the server (STYLE.md rule 1); state.py turns it into DOT,
tests read it directly.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Union

from smtplearn.protocol.client import parse_extensions
from smtplearn.protocol.states import (EXTENSION_VERBS, START_STATE, TRANSITIONS, WHERE, Signal, State, Transition,
                                       Trigger, Verb)
from smtplearn.transcript import HasTranscript, Transcript, Turn

#: the route a session took: its transcript, what holds one, or the states in order
Route = Union[Transcript, HasTranscript, Sequence[Union[State, str]]]

#: where the drawing starts: the connection is open, the server has not greeted yet; the
#: table's CONNECT row (220 or 554) leads on from there
FIRST_STATE = START_STATE


class EdgeKind(enum.Enum):
    """What an edge of the state diagram stands for (each kind has its own style)."""

    START = "start"        # the TCP connection opens: START_STATE, before the greeting (§3.1)
    MOVE = "move"          # a trigger the table allows, moving (or keeping) the state
    ANYTIME = "anytime"    # §4.1.4's any-time commands, in every row that lists them; never moving it
    CLOSE = "close"        # 421: the server closes the channel from any state (§3.8)
    REFUSAL = "refusal"    # show_errors: a refused command leaves the state unchanged
    PATH = "path"          # a step of a session's route that no table edge explains


#: Which reply a student sees for each trigger, by reply class, when the table's
#: Transition sends it somewhere: RFC 5321 §4.3.2 "Command-Reply Sequences",
#: RFC 3207 §4 (STARTTLS), RFC 4954 §4, §6 (AUTH). Only labels live here; *where*
#: a reply leads is the table's business. ``None`` means the RFC has no such reply:
#: DATA is answered 354 or refused, never 2xx (§4.3.2), so that move is not drawn.
#: Classes: 2 success, 3 intermediate, 5 failure (4xx or 5xx).
_DEFAULT_CODES: Mapping[int, str | None] = MappingProxyType({2: "250", 3: "3xx", 5: "4xx/5xx"})
REPLY_CODES: Mapping[Trigger, Mapping[int, str | None]] = MappingProxyType({
    Signal.CONNECT: {2: "220", 5: "554"},  # §3.1
    Verb.DATA: {2: None, 3: "354"},
    Verb.QUIT: {2: "221"},
    Verb.HELP: {2: "214"},
    Verb.VRFY: {2: "250/252"},
    Verb.STARTTLS: {2: "220"},
    Verb.AUTH: {2: "235", 3: "334"},
    Signal.AUTH_RESPONSE: {2: "235", 3: "334", 5: "535/501"},
    Signal.END_OF_DATA: {2: "250", 5: "4xx/5xx"},
    # the row's only move is the server's own 421 (§3.8), whatever was asked: a 4xx, never a success
    Signal.CLOSE_421: {2: None, 5: "421"},
})


def reply_code(trigger: Trigger, reply_class: int) -> str | None:
    """The reply label for ``trigger`` answered with a reply of ``reply_class`` (2, 3 or 5)."""
    codes = REPLY_CODES.get(trigger, {})
    return codes[reply_class] if reply_class in codes else _DEFAULT_CODES[reply_class]


def table_moves() -> list[tuple[State, Trigger, int, State]]:
    """Every (state, trigger, reply class, next state) the table allows, in table order.

    A ``Transition``'s ``failure`` of None means "stays put": that is a refusal,
    drawn only with ``show_errors``. Moves the RFC has no reply for are left out
    (see ``REPLY_CODES``).
    """
    moves = []
    for state, row in TRANSITIONS.items():
        for trigger, move in row.items():
            for reply_class, target in ((2, move.success), (3, move.intermediate), (5, move.failure)):
                if target is not None and reply_code(trigger, reply_class) is not None:
                    moves.append((state, trigger, reply_class, target))
    return moves


def anytime_triggers() -> tuple[Trigger, ...]:
    """Triggers that never move the state wherever the table lists them: NOOP, VRFY,
    EXPN, HELP in every state that reads commands after a 220 (§4.1.4 lists RSET too,
    but RSET ends a transaction, so it moves the state and is drawn as a move)."""
    seen: dict[Trigger, bool] = {}
    for state, row in TRANSITIONS.items():
        for trigger, move in row.items():
            still = move.success is state and move.intermediate is None and move.failure is None
            seen[trigger] = seen.get(trigger, True) and still
    return tuple(t for t, stays in seen.items() if stays)


@dataclass(frozen=True)
class StateNode:
    state: State
    #: a plain-English "where am I" line (from states.WHERE, the refusals' own words)
    detail: str
    current: bool = False
    final: bool = False


@dataclass(frozen=True)
class EdgeLine:
    """One line of an edge's label: "TRIGGERS / reply", styled by its own kind."""

    triggers: tuple[Trigger | None, ...]
    reply: str
    kind: EdgeKind
    #: on a folded edge: the states this line holds in (empty: every state of the edge)
    states: tuple[State, ...] = ()

    @property
    def text(self) -> str:
        if self.kind is EdgeKind.REFUSAL and self.reply != "503":
            # any command can be (an unknown one too: 500); a list is noise
            return f"refused (unknown, syntax, policy) / {self.reply}"
        if self.kind is EdgeKind.REFUSAL and len(self.states) > 1:
            return f"out of sequence / {self.reply}"  # folded: the table is the list
        if self.kind is EdgeKind.ANYTIME:
            return " ".join(t.value for t in self.triggers if t is not None)  # replies vary
        if self.triggers == (Signal.CLOSE_421,):
            return self.reply  # "421" says it all
        if self.kind is EdgeKind.START and not self.reply:
            return "TCP connection"  # the greeting is the table's own CONNECT row
        names = ", ".join("connect" if t is None else t.value for t in self.triggers)
        return f"{names} / {self.reply}"


#: when lines of several kinds share one arrow, the arrow takes the first kind listed here
_KIND_ORDER = (EdgeKind.START, EdgeKind.MOVE, EdgeKind.ANYTIME, EdgeKind.CLOSE, EdgeKind.REFUSAL,
               EdgeKind.PATH)


@dataclass(frozen=True)
class StateEdge:
    """One arrow between two states (or a loop), carrying every label line that joins them."""

    source: State | None  # None: the start marker (no connection yet), or a folded edge
    target: State | None  # None: a folded edge that leaves each state where it was
    lines: tuple[EdgeLine, ...]
    #: numbers of the path's steps that went this way (the transcript's # column)
    steps: tuple[int, ...] = ()
    path_only: bool = False  # a step nothing in the table explains
    #: a folded edge: the same move from every one of these states, drawn once from an
    #: "any state" box instead of one curve per state (QUIT, 421, NOOP/VRFY/EXPN/HELP)
    group: tuple[State, ...] = ()

    def leaves(self, state: State) -> bool:
        """True when this edge starts at ``state`` (for a folded edge: ``state`` is in its group)."""
        if self.group:
            return any(state in (line.states or self.group) for line in self.lines)
        return self.source is state

    def arrives(self, before: State, after: State) -> bool:
        """True when taking this edge from ``before`` ends in ``after``."""
        return (after is before) if self.target is None else self.target is after

    @property
    def kind(self) -> EdgeKind:
        if self.path_only:
            return EdgeKind.PATH
        return min((line.kind for line in self.lines), key=_KIND_ORDER.index)

    @property
    def triggers(self) -> tuple[Trigger | None, ...]:
        return tuple(t for line in self.lines for t in line.triggers)

    def label_lines(self) -> list[str]:
        anytime = [line for line in self.lines if line.kind is EdgeKind.ANYTIME]
        others = [line.text + self.exceptions(line) for line in self.lines if line.kind is not EdgeKind.ANYTIME]
        if anytime:
            others.append(" ".join(line.text for line in anytime) + self.exceptions(anytime[0]))
        return others

    def exceptions(self, line: EdgeLine) -> str:
        """For a folded edge, where a line differs from the "any state" box's states:
        " (also in DATA, AUTH)" for 421, " (not in MAIL)" for a line that holds in fewer."""
        if not line.states:
            return ""
        extra = [s.name for s in line.states if s not in self.group]
        missing = [s.name for s in self.group if s not in line.states]
        return "".join(f" ({words} {', '.join(names)})" for words, names in
                       (("also in", extra), ("not in", missing)) if names)


@dataclass(frozen=True)
class StateGraph:
    nodes: tuple[StateNode, ...]
    edges: tuple[StateEdge, ...]
    current: State | None = None


#: a step's trigger when the client sent a line with no verb the server knows (answered 500)
UNKNOWN = "unknown command"


@dataclass(frozen=True)
class Step:
    """One step of a session's route: ``trigger`` is "?" when only states were given,
    None for the greeting, ``UNKNOWN`` for a line with no known verb."""

    number: int
    before: State
    after: State
    trigger: Trigger | None | str = "?"
    code: int | None = None


def _transcript_of(path: Route) -> Transcript | None:
    if isinstance(path, Transcript):
        return path
    held = getattr(path, "transcript", None)
    return held if isinstance(held, Transcript) else None


def path_steps(path: Route) -> list[Step]:
    """The route a session took, from a Transcript, anything with ``.transcript``
    (a Pair, a Client), or a plain list of states."""
    transcript = _transcript_of(path)
    if transcript is not None:
        return [Step(n, e.before, e.after, _trigger_of(e), e.reply.code)
                for n, e in enumerate(transcript.entries, start=1) if isinstance(e, Turn)]
    assert isinstance(path, Sequence), f"a route is a Transcript, a Pair/Client or states, not {path!r}"
    states = [s if isinstance(s, State) else State[str(s).upper()] for s in path]
    return [Step(n, a, b) for n, (a, b) in enumerate(zip(states, states[1:]), start=1)]


def _trigger_of(turn: Turn) -> Trigger | None | str:
    """A turn's trigger; a line the server could not parse has none either, but it is not the
    greeting: the greeting is the only turn where the client sent nothing."""
    if turn.trigger is None and turn.sent:
        return UNKNOWN
    return turn.trigger


def offered_in(path: Route) -> set[str] | None:
    """The EHLO keywords the server of ``path`` (a session's transcript) advertised last,
    an empty set after a plain HELO, or None when the path shows no greeting at all."""
    transcript = _transcript_of(path)
    turns = [t for t in (transcript.turns if transcript else ()) if t.trigger in (Verb.EHLO, Verb.HELO)
             and t.reply.code == 250]
    if not turns:
        return None
    return set(parse_extensions(turns[-1].reply)) if turns[-1].trigger is Verb.EHLO else set()


def _group(items: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = {}
    for key, value in items:
        groups.setdefault(key, []).append(value)
    return groups


#: a move the table has in this many states or more, that closes the session or leaves the
#: state where it was (QUIT, 421, NOOP/VRFY/EXPN/HELP, a refused command), is drawn once from
#: an "any state" box: one curve per state crossed the whole picture
FOLD_MIN = 3

_Move = tuple[tuple[State | None, State], tuple[EdgeKind, Trigger | None, str]]


def _edges_from_table(show_errors: bool, offered: Collection[str] | None = None,
                      fold: bool = True) -> list[StateEdge]:
    """One arrow per (source, target), refusals apart: a loop carries its state's own
    moves and the any-time commands; QUIT's arrow into CLOSED carries 421 too.
    With ``fold``, the moves many states share are folded into one edge each (``_fold``)."""
    anytime = set(anytime_triggers())
    # §3.1: the connection, answered by the greeting -- unless the table has the greeting as a
    # row of its own (a CONNECT signal), which then draws the 220 (and a 554) itself
    greeting_row = any(getattr(t, "name", "") == "CONNECT" for t in TRANSITIONS[FIRST_STATE])
    moves: list[_Move] = [((None, FIRST_STATE), (EdgeKind.START, None, "" if greeting_row else "220"))]
    table = [m for m in table_moves() if _is_offered(m[1], offered)]
    reachable = _reachable(table)
    for state, trigger, reply_class, target in table:
        if state not in reachable:
            continue
        kind = (EdgeKind.CLOSE if trigger is Signal.CLOSE_421 else
                EdgeKind.ANYTIME if trigger in anytime else EdgeKind.MOVE)
        reply = "" if kind is EdgeKind.ANYTIME else reply_code(trigger, reply_class) or ""
        moves.append(((state, target), (kind, trigger, reply)))
    refusals: list[_Move] = []
    if show_errors:
        refusals = [(key, value) for key, value in _refusals()
                    if key[0] in reachable and _is_offered(value[1], offered)]
    edges = []
    for group in (moves, refusals):
        folded, rest = _fold(group) if fold else ([], group)
        edges += [_edge(key, values) for key, values in _group(rest).items()] + folded
    # one "any state" box stands for the states most folded lines share; a line that holds
    # in more or fewer says so (421: "also in DATA, AUTH")
    weight: dict[tuple[State, ...], int] = {}
    for line in (line for e in edges if e.group for line in e.lines):
        weight[line.states] = weight.get(line.states, 0) + len(line.triggers)
    universe = max(weight, key=lambda states: (weight[states], -len(states)), default=())
    return [replace(e, group=universe) if e.group else e for e in edges]


def _fold_key(move: _Move) -> tuple[EdgeKind, Trigger | None, str, State | None]:
    """What makes two states' moves "the same move": kind, trigger, reply and where it
    leads (None: it stays). Refusals for syntax or policy read alike whatever the command."""
    (source, target), (kind, trigger, reply) = move
    # a refusal reads alike whatever the command: 503 "not listed here", or 4xx/5xx
    generic = kind is EdgeKind.REFUSAL
    return kind, None if generic else trigger, reply, None if target is source else target


def _fold(moves: list[_Move]) -> tuple[list[StateEdge], list[_Move]]:
    """Split ``moves`` into folded edges (one per destination; one line per move with the
    states it holds in) and the moves drawn state by state."""
    sources = _group((_fold_key(m), m[0][0]) for m in moves if m[0][0] is not None)
    foldable = {key for key, found in sources.items()
                if len(set(found)) >= FOLD_MIN and (key[3] is None or not TRANSITIONS[key[3]])}
    rest = [m for m in moves if m[0][0] is None or _fold_key(m) not in foldable]
    by_target = _group((key[3], key) for key in sources if key in foldable)
    edges = []
    for target, keys in by_target.items():
        lines: dict[tuple[EdgeKind, str, tuple[State, ...]], list[Trigger | None]] = {}
        for key in keys:
            states = tuple(s for s in State if s in sources[key])
            triggers = lines.setdefault((key[0], key[2], states), [])
            for m in moves:
                if _fold_key(m) == key and m[1][1] not in triggers:
                    triggers.append(m[1][1])
        group = tuple(s for s in State if any(s in states for _, _, states in lines))
        edge_lines = tuple(EdgeLine(tuple(ts), reply, kind, states)
                           for (kind, reply, states), ts in lines.items())
        edges.append(StateEdge(None, target, edge_lines, group=group))
    return edges, rest


def _reachable(moves: Sequence[tuple[State, Trigger, int, State]]) -> set[State]:
    """The states a session can get to from the start along ``moves``."""
    seen, frontier = {FIRST_STATE}, [FIRST_STATE]
    while frontier:
        frontier = [t for s, _, _, t in moves if s in frontier and t not in seen]
        seen.update(frontier)
    return seen


def _edge(key: tuple[State | None, State], values: list[tuple[EdgeKind, Trigger | None, str]]) -> StateEdge:
    # one trigger answered 250 or 5xx with the same target reads "X / 250 or 4xx/5xx"
    by_trigger = _group(((kind, t), reply) for kind, t, reply in values)
    by_reply = _group(((kind, " or ".join(dict.fromkeys(replies))), t) for (kind, t), replies in by_trigger.items())
    lines = tuple(EdgeLine(tuple(ts), reply, kind) for (kind, reply), ts in by_reply.items())
    return StateEdge(key[0], key[1], lines)


def _refusals() -> list[tuple[tuple[State, State], tuple[EdgeKind, Trigger, str]]]:
    """Self-loops for what the server refuses (only states that read commands):
    a command the table does not list (503, §4.1.4) and any command refused for its
    syntax or by policy (500 §4.2.4, 501 §4.1.4, policy 550 §7.9): the state stays where it was."""
    out: list[tuple[tuple[State, State], tuple[EdgeKind, Trigger, str]]] = []
    for state, row in TRANSITIONS.items():
        if not any(isinstance(t, Verb) for t in row):
            continue  # DATA and AUTH read text, not commands; CLOSED reads nothing
        key = (state, state)
        for verb in Verb:
            if verb not in row:
                out.append((key, (EdgeKind.REFUSAL, verb, "503")))
        for trigger, move in row.items():
            if isinstance(trigger, Verb) and move.failure is None:
                out.append((key, (EdgeKind.REFUSAL, trigger, "4xx/5xx")))
    return out


def state_graph(current: State | str | None = None, path: Route | None = None, show_errors: bool = False,
                offered: Collection[str] | None = None) -> StateGraph:
    """The state machine as nodes and edges, with ``current`` lit and ``path`` numbered.

    ``offered`` (EHLO keywords, e.g. a client's ``extensions``) leaves out the
    extension commands a server does not offer (``EXTENSION_VERBS``: STARTTLS,
    AUTH) and any state only they lead to. By default it is what the ``path``'s
    server offered; with no path, or no hello in it, the whole table is drawn.
    """
    if current is not None and not isinstance(current, State):
        current = State[str(current).upper()]
    if offered is None and path is not None:
        offered = offered_in(path)
    edges = _edges_from_table(show_errors, offered)
    if path is not None:
        edges = _overlay(edges, path_steps(path))
    shown = {State.CLOSED, *(e.target for e in edges if e.target is not None)}
    nodes = tuple(StateNode(s, WHERE[s], current=s is current, final=not TRANSITIONS[s])
                  for s in State if s in shown or s is current)
    return StateGraph(nodes, tuple(edges), current)


def _is_offered(trigger: Trigger | None, offered: Collection[str] | None) -> bool:
    keyword = EXTENSION_VERBS.get(trigger) if isinstance(trigger, Verb) else None
    return offered is None or keyword is None or keyword in offered


def _find_edge(edges: Sequence[StateEdge], step: Step) -> int | None:
    """Index of the table edge ``step`` went along, or None (nothing in the table explains it)."""
    def match(i: int) -> bool:
        e = edges[i]
        if step.trigger is None:  # the greeting: the start arrow, or the table's own CONNECT row
            return e.target is step.after and (e.kind is EdgeKind.START or any(
                getattr(t, "name", "") == "CONNECT" for t in e.triggers))
        if e.source is None and not e.group or not e.leaves(step.before) or not e.arrives(step.before, step.after):
            return False
        if step.code == 421:
            return Signal.CLOSE_421 in e.triggers
        if step.trigger == "?":
            return e.kind is not EdgeKind.REFUSAL
        if e.kind is EdgeKind.REFUSAL:
            return step.before is step.after and _refused_on(e, step)
        return step.trigger in e.triggers and _leads(step)
    found = [i for i in range(len(edges)) if match(i)]
    # only states known: prefer a real move over an any-time loop or a 421
    found.sort(key=lambda i: _KIND_ORDER.index(edges[i].kind))
    return found[0] if found else None


def _refused_on(edge: StateEdge, step: Step) -> bool:
    """True when ``edge`` has the refusal line for ``step``: 503 for a command the table does
    not list in that state (§4.1.4), the "refused (unknown, syntax, policy)" line for the rest
    (an unknown command's 500, a 501, a policy 550)."""
    out_of_sequence = step.code == 503 and step.trigger not in TRANSITIONS[step.before]
    for line in edge.lines:
        if line.reply == "503":
            if out_of_sequence and step.trigger in line.triggers:
                return True
        elif not out_of_sequence and (not line.states or step.before in line.states):
            return True
    return False


def _leads(step: Step) -> bool:
    """True when the table itself sends ``step.trigger`` from ``before`` to ``after`` with
    this reply (so a refused MAIL in READY is not drawn on READY's HELO/RSET loop)."""
    if not isinstance(step.trigger, (Verb, Signal)):
        return False  # the greeting, or a step known only by its states
    move = TRANSITIONS[step.before].get(step.trigger)
    if move is None or step.code is None:
        return False
    return move.after(step.before, step.code) is step.after and (
        step.before is not step.after or _class_target(move, step.code) is not None)


def _class_target(move: Transition, code: int) -> State | None:
    """The table's own target for this reply class (None: the refusal "stays put")."""
    return {2: move.success, 3: move.intermediate}.get(code // 100, move.failure)


def _overlay(edges: list[StateEdge], steps: Sequence[Step]) -> list[StateEdge]:
    numbers: dict[int, list[int]] = {}
    extra: dict[tuple[State, State], list[int]] = {}
    for step in steps:
        index = _find_edge(edges, step)
        if index is not None:
            numbers.setdefault(index, []).append(step.number)
        elif step.before is not step.after:
            extra.setdefault((step.before, step.after), []).append(step.number)
        # else: a refused command with show_errors off: the state did not move
    out = [StateEdge(e.source, e.target, e.lines, tuple(numbers.get(i, ())), group=e.group)
           for i, e in enumerate(edges)]
    out += [StateEdge(a, b, (), tuple(n), path_only=True) for (a, b), n in extra.items()]
    return out


def step_numbers(steps: Sequence[int], limit: int = 6) -> str:
    """"1, 4, 7" -- or "1, 4, 7, 10, … 97 (33×)" when a loop was taken many times."""
    if len(steps) <= limit:
        return ", ".join(map(str, steps))
    head = ", ".join(map(str, steps[:limit - 2]))
    return f"{head}, … {steps[-1]} ({len(steps)}×)"
