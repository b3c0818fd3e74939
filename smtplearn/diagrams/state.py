"""The server's state machine as a graphviz picture, drawn from its own table.

``state_diagram()`` turns ``model.state_graph()`` (which reads only
``TRANSITIONS``) into DOT text. Every label is an HTML-like label built with
``html.escape``, so nothing from the wire can break the DOT or the SVG.
Each edge carries a ``class`` naming its kind and its triggers
(``class="move MAIL"``), which ends up in the SVG: tests and stylesheets can
find "the MAIL edge" without parsing labels.

The layout is for a notebook column (~850 px): top to bottom, the successful
transaction in one straight column, moves back up on its left, and the moves many
states share (QUIT, 421, the any-time commands, refusals) drawn once from an
"any state" box above CLOSED instead of one curve per state.
"""

from __future__ import annotations

from html import escape
from collections.abc import Collection
from typing import Any

from smtplearn.diagrams.diagram import Diagram
from smtplearn.diagrams.state_model import (FIRST_STATE, EdgeKind, Route, StateEdge, StateGraph, StateNode,
                                            state_graph, step_numbers)
from smtplearn.protocol.states import State
from smtplearn.render.html import PALETTE, reply_colour

FONT = "Helvetica,Arial,sans-serif"
MONO = "Courier,monospace"
#: the palette (WCAG AA on white: text >= 4.5:1, lines >= 3:1; tests/test_contrast.py checks it)
INK = PALETTE.ink
MUTED = PALETTE.muted     # secondary text: 6.4:1
FAINT = PALETTE.grey     # secondary lines (dashed any-time and 421 arrows): 4.6:1
REFUSED = reply_colour(500)   # refusals: 5.4:1, and dotted, so colour is not the only sign
PATH_COLOUR = PALETTE.path  # a session's route: purple, unlike any reply class colour; 5.0:1, and thicker

#: edge kind -> DOT attributes (one style table, no branching in the writer)
EDGE_STYLE: dict[EdgeKind, dict[str, str]] = {
    EdgeKind.START: {"color": INK, "penwidth": "1.4"},
    EdgeKind.MOVE: {"color": INK, "penwidth": "1.4"},
    EdgeKind.ANYTIME: {"color": FAINT, "fontcolor": MUTED, "style": "dashed", "arrowsize": "0.7"},
    EdgeKind.CLOSE: {"color": FAINT, "fontcolor": MUTED, "style": "dashed", "arrowsize": "0.7"},
    EdgeKind.REFUSAL: {"color": REFUSED, "fontcolor": REFUSED, "style": "dotted", "arrowsize": "0.7"},
    EdgeKind.PATH: {"color": PATH_COLOUR, "style": "dashed", "penwidth": "2", "constraint": "false"},
}
ON_PATH = {"color": PATH_COLOUR, "penwidth": "2.6", "fontcolor": INK}

NODE_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": PALETTE.band, "color": MUTED,
              "penwidth": "1.2", "fontname": FONT, "margin": "0.14,0.05"}
CURRENT_STYLE = {"fillcolor": PALETTE.note, "color": PALETTE.current_edge, "penwidth": "3"}


def _attrs(attrs: dict[str, str]) -> str:
    parts = []
    for key, value in attrs.items():
        if value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")  # an HTML-like label, already escaped
        else:
            parts.append(f'{key}="{value}"'.replace("\\", "\\\\") if "\\" in value else f'{key}="{value}"')
    return "[" + " ".join(parts) + "]"


def _halves(text: str, width: int = 20) -> list[str]:
    """``text`` in two lines at the space nearest its middle when longer than ``width``."""
    if len(text) <= width or " " not in text:
        return [text]
    middle = len(text) // 2
    cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - middle))
    return [text[:cut], text[cut + 1:]]


def _node(node: StateNode, main: list[State]) -> str:
    name = escape(node.state.name)
    detail = "<BR/>".join(escape(part) for part in _halves(node.detail))
    now = f'<BR/><FONT POINT-SIZE="10" COLOR="{PALETTE.now}"><B>◀ now</B></FONT>' if node.current else ""
    label = (f'<<B>{name}</B><BR/><FONT POINT-SIZE="9" COLOR="{MUTED}">{detail}</FONT>{now}>')
    attrs = {"label": label, "class": "state current" if node.current else "state",
             "id": f"state-{node.state.name}"}
    if node.current:
        attrs.update(CURRENT_STYLE)
    if node.final:
        attrs["peripheries"] = "2"
    if node.state in main:
        attrs["group"] = "main"  # dot keeps a group's edges straight
    return f"  {node.state.name} {_attrs(attrs)};"


#: label line kind -> font colour, so a loop's any-time line reads lighter than its moves
LINE_COLOUR = {EdgeKind.ANYTIME: MUTED, EdgeKind.CLOSE: MUTED, EdgeKind.REFUSAL: REFUSED}


#: a label line longer than this many characters breaks after its " / " (a narrow picture
#: reads at notebook width without scaling its text down)
WRAP = 18


def _wrapped(text: str, exceptions: str = "") -> str:
    """``text`` escaped for an HTML-like label, broken after " / " when long, and the
    folded edge's exceptions ("(not in DATA, AUTH)") on a line of their own."""
    pieces = text.split(" / ", 1) if len(text) > WRAP and " / " in text else [text]
    shown = " /<BR/>".join("<BR/>".join(escape(part) for part in _halves(piece, WRAP + 4))
                           for piece in pieces)
    if not exceptions:
        return shown
    return shown + "".join(f"<BR/>{escape(part)}" for part in _halves(exceptions.strip(), 24))


def _edge_label(edge: StateEdge) -> str:
    shown = []
    for line in edge.lines:
        if line.kind is EdgeKind.ANYTIME:
            continue
        colour = LINE_COLOUR.get(line.kind) if line.kind is not edge.kind or line.kind is EdgeKind.CLOSE else None
        text = _wrapped(line.text, edge.exceptions(line))
        shown.append(f'<FONT COLOR="{colour}">{text}</FONT>' if colour else text)
    # the any-time commands share one line, last
    anytime = [line for line in edge.lines if line.kind is EdgeKind.ANYTIME]
    if anytime:
        text = _wrapped(" ".join(line.text for line in anytime), edge.exceptions(anytime[0]))
        shown.append(f'<FONT COLOR="{LINE_COLOUR[EdgeKind.ANYTIME]}">{text}</FONT>')
    if edge.kind is EdgeKind.PATH:
        shown.append(f'<FONT COLOR="{MUTED}">(not in the table)</FONT>')
    if edge.steps:
        shown.append(f'<FONT COLOR="{PATH_COLOUR}" FACE="{FONT}"><B>{escape(step_numbers(edge.steps))}</B></FONT>')
    return f'<<FONT FACE="{MONO}">{"<BR/>".join(shown)}</FONT>>'


#: the box that stands for "any of these states" (folded edges start there)
ANY = "ANY"
ANY_STYLE = {"shape": "box", "style": "rounded,dashed,filled", "fillcolor": PALETTE.paper, "color": MUTED,
             "class": "state any", "id": "state-ANY", "margin": "0.12,0.05"}


def depths(graph: StateGraph) -> dict[State, int]:
    """How many moves each state is from the start (breadth first over the table's edges):
    the main flow runs down the page in this order."""
    depth = {FIRST_STATE: 0}
    frontier = [FIRST_STATE]
    while frontier:
        nxt = []
        for edge in graph.edges:
            if (edge.source in frontier and edge.target is not None and edge.target not in depth
                    and edge.kind is EdgeKind.MOVE):
                depth[edge.target] = depth[edge.source] + 1
                nxt.append(edge.target)
        frontier = nxt
    return depth


def main_line(graph: StateGraph, depth: dict[State, int]) -> list[State]:
    """The longest run of forward moves from the start (GREETED, READY, MAIL, RCPT, DATA):
    drawn in one straight column, the way a successful transaction reads."""
    forward: dict[State, list[State]] = {}
    for edge in graph.edges:
        if (edge.kind is EdgeKind.MOVE and edge.source is not None and edge.target is not None
                and depth.get(edge.target, -1) == depth.get(edge.source, -2) + 1):
            forward.setdefault(edge.source, []).append(edge.target)

    def longest(state: State) -> list[State]:
        tails = [longest(t) for t in forward.get(state, [])]
        return [state, *max(tails, key=len, default=[])]
    return longest(FIRST_STATE)


def _placement(edge: StateEdge, depth: dict[State, int], main: list[State]) -> dict[str, str]:
    """Ports and weights so the picture reads top to bottom: forward moves straight down,
    moves back up beside the column, loops on the side away from the other arrows."""
    if edge.group:  # the "any state" box: its one loop on its right, its arrow straight down
        return {"weight": "10"} if edge.target is not None else {}
    if edge.source is None:
        return {"weight": "10"}
    if edge.source is edge.target:
        # refusals on the left, moves on the right: two loops on one node never share a side
        return {"tailport": "w", "headport": "w"} if edge.kind is EdgeKind.REFUSAL else {}
    down = depth.get(edge.target, 99) > depth.get(edge.source, 99)  # type: ignore[arg-type]
    if down:
        if edge.source in main and edge.target in main:
            return {"weight": "100"}
        # a side branch (AUTH) leaves from below the node, clear of the node's loop label
        return {"weight": "2", "tailport": "s"}
    # an arrow back up is written downwards with dir=back: dot then routes it beside
    # the column instead of looping round the whole picture
    # (on the west side, leaving the east to the loops)
    return {"dir": "back", "weight": "1", "tailport": "w", "headport": "w"}


def _edge(edge: StateEdge, depth: dict[State, int], main: list[State]) -> str:
    source = ANY if edge.group else "start" if edge.source is None else edge.source.name
    target = ANY if edge.target is None else edge.target.name
    names = " ".join("connect" if t is None else t.name for t in edge.triggers)
    kinds = " ".join(dict.fromkeys([edge.kind.value, *(line.kind.value for line in edge.lines)]))
    attrs = {"label": _edge_label(edge), "class": f"{kinds} {names}".strip(),
             "fontname": MONO, "fontsize": "11"}
    if edge.group:
        attrs["class"] += " any " + " ".join(f"from-{s.name}" for s in edge.group)
    attrs.update(EDGE_STYLE[edge.kind])
    attrs.update(_placement(edge, depth, main))
    if attrs.get("dir") == "back":
        source, target = target, source
    if edge.steps:
        attrs.update(ON_PATH)
        attrs["class"] += " path"
    return f"  {source} -> {target} {_attrs(attrs)};"


def _any_node(graph: StateGraph) -> list[str]:
    """The "any state" box, when some edges were folded: it names the states it stands for."""
    group = [s for s in State if any(s in e.group for e in graph.edges)]
    if not group:
        return []
    half = (len(group) + 1) // 2
    names = escape(" ".join(s.name for s in group[:half])) + "<BR/>" + escape(" ".join(s.name for s in group[half:]))
    label = (f'<<B>any state</B><BR/><FONT POINT-SIZE="9" COLOR="{MUTED}">{names}</FONT>>')
    return [f"  {ANY} {_attrs({'label': label, **ANY_STYLE})};"]


def _one_loop_on_any(edges: tuple[StateEdge, ...]) -> list[StateEdge]:
    """The edges to draw: the "any state" box's loops (the any-time commands, the refusals)
    as ONE loop with every line, since dot lets two loops' labels on one node overlap."""
    loops = [e for e in edges if e.group and e.target is None]
    if len(loops) < 2:
        return list(edges)
    merged = StateEdge(None, None, tuple(line for e in loops for line in e.lines),
                       tuple(sorted(n for e in loops for n in e.steps)), group=loops[0].group)
    return [e for e in edges if e not in loops] + [merged]


def dot_source(graph: StateGraph, title: str = "") -> str:
    node_defaults = _attrs(NODE_STYLE)
    heading = escape(title) if title else (
        f'SMTP server states<BR/><FONT POINT-SIZE="10" COLOR="{MUTED}">drawn from '
        f'smtplearn.protocol.states.TRANSITIONS</FONT>')
    lines = [
        "digraph smtp_states {",
        f'  graph [rankdir="TB" bgcolor="white" fontname="{FONT}" fontsize="14" nodesep="0.45" '
        f'ranksep="0.32" pad="0.2" labelloc="t" labeljust="l" label=<<B>{heading}</B>>];',
        f"  node {node_defaults};",
        f'  edge [fontname="{MONO}" fontsize="11"];',
        f'  start [shape="circle" style="filled" fillcolor="{INK}" color="{INK}" label="" '
        'width="0.16" fixedsize="true" class="start"];',
    ]
    depth = depths(graph)
    main = main_line(graph, depth)
    lines += [_node(n, main) for n in graph.nodes]
    lines += _any_node(graph)
    # CLOSED at the bottom; the "any state" box just above it, its arrow straight down
    lines.append("  {rank=sink; CLOSED;}")
    lines += [_edge(e, depth, main) for e in _one_loop_on_any(graph.edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def text_summary(graph: StateGraph) -> str:
    """The same graph as lines of text: the fallback where no picture can be shown."""
    out = ["SMTP server states (from TRANSITIONS)"
           + (f"; now in {graph.current.name}" if graph.current else "")]
    for edge in graph.edges:
        source = ("(any)" if edge.group else "(connect)" if edge.source is None else edge.source.name)
        target = "(same)" if edge.target is None else edge.target.name
        label = "; ".join(edge.label_lines()) or "(not in the table)"
        steps = f"   steps {step_numbers(edge.steps)}" if edge.steps else ""
        out.append(f"  {source:<9} --[{label}]--> {target}{steps}")
    group = [s.name for s in State if any(s in e.group for e in graph.edges)]
    if group:
        out.append(f"  (any) stands for each of {', '.join(group)}")
    return "\n".join(out)


def state_diagram(current: State | str | None = None, path: Route | None = None, show_errors: bool = False,
                  *, title: str = "", offered: Collection[str] | None = None) -> Diagram:
    """The SMTP server's state machine, drawn from ``TRANSITIONS`` and nothing else.

    ``current`` lights one state; ``path`` (a Transcript, a Pair or Client, or a
    list of states) draws the route a session took, each edge numbered with the
    steps that took it (the transcript's # column); ``show_errors`` adds the
    refusals as self-loops, because a refused command leaves the state unchanged.
    ``offered`` (the server's EHLO keywords) leaves out STARTTLS and AUTH when the
    server does not offer them; by default the whole table is drawn.
    """
    graph = state_graph(current, path, show_errors, offered)
    label = (title or "SMTP server states") + (f", now in {graph.current.name}" if graph.current else "")
    return Diagram(dot_source(graph, title), text_summary(graph), name="state diagram",
                   label=f"State diagram: {label}")
