"""The server's state machine as a graphviz picture, drawn from its own table.

``state_diagram()`` turns ``model.state_graph()`` (which reads only
``TRANSITIONS``) into DOT text. Every label is an HTML-like label built with
``html.escape``, so nothing from the wire can break the DOT or the SVG.
Each edge carries a ``class`` naming its kind and its triggers
(``class="move MAIL"``), which ends up in the SVG: tests and stylesheets can
find "the MAIL edge" without parsing labels.
"""

from __future__ import annotations

from html import escape
from collections.abc import Collection
from typing import Any

from smtplearn.diagrams.state_model import (EdgeKind, Route, StateEdge, StateGraph, StateNode, state_graph,
                                            step_numbers)
from smtplearn.diagrams.diagram import Diagram
from smtplearn.protocol.states import INITIAL_STATE, State

FONT = "Helvetica,Arial,sans-serif"
MONO = "Courier,monospace"
#: CLOSED is drawn level with this state, beside the main flow
RANK_WITH_CLOSED = State.DATA
PATH_COLOUR = "#8250df"  # a session's route: purple, unlike any reply class colour

#: edge kind -> DOT attributes (one style table, no branching in the writer)
EDGE_STYLE: dict[EdgeKind, dict[str, str]] = {
    EdgeKind.START: {"color": "#24292f", "penwidth": "1.4"},
    EdgeKind.MOVE: {"color": "#24292f", "penwidth": "1.4"},
    EdgeKind.ANYTIME: {"color": "#8c959f", "fontcolor": "#6e7781", "style": "dashed", "arrowsize": "0.7"},
    EdgeKind.CLOSE: {"color": "#d0d7de", "fontcolor": "#8c959f", "style": "dashed", "arrowsize": "0.6",
                     "constraint": "false", "fontsize": "9"},
    EdgeKind.REFUSAL: {"color": "#cf222e", "fontcolor": "#cf222e", "style": "dotted", "arrowsize": "0.7"},
    EdgeKind.PATH: {"color": PATH_COLOUR, "style": "dashed", "penwidth": "2", "constraint": "false"},
}
ON_PATH = {"color": PATH_COLOUR, "penwidth": "2.6", "fontcolor": "#24292f"}

#: self-loops of different kinds go on different sides, so their labels never overlap
LOOP_PORTS: dict[EdgeKind, dict[str, str]] = {
    EdgeKind.REFUSAL: {"tailport": "s", "headport": "s"},
}

NODE_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "#f6f8fa", "color": "#57606a",
              "penwidth": "1.2", "fontname": FONT, "margin": "0.16,0.06"}
CURRENT_STYLE = {"fillcolor": "#fff8c5", "color": "#bf8700", "penwidth": "3"}


def _attrs(attrs: dict[str, str]) -> str:
    parts = []
    for key, value in attrs.items():
        if value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")  # an HTML-like label, already escaped
        else:
            parts.append(f'{key}="{value}"'.replace("\\", "\\\\") if "\\" in value else f'{key}="{value}"')
    return "[" + " ".join(parts) + "]"


def _node(node: StateNode, main: list[State]) -> str:
    name = escape(node.state.name)
    detail = escape(node.detail)
    now = '<BR/><FONT POINT-SIZE="10" COLOR="#9a6700"><B>◀ now</B></FONT>' if node.current else ""
    label = (f'<<B>{name}</B><BR/><FONT POINT-SIZE="9" COLOR="#57606a">{detail}</FONT>{now}>')
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
LINE_COLOUR = {EdgeKind.ANYTIME: "#6e7781", EdgeKind.CLOSE: "#8c959f", EdgeKind.REFUSAL: "#cf222e"}


def _edge_label(edge: StateEdge) -> str:
    shown = []
    for line in edge.lines:
        if line.kind is EdgeKind.ANYTIME:
            continue
        colour = LINE_COLOUR.get(line.kind) if line.kind is not edge.kind or line.kind is EdgeKind.CLOSE else None
        text = escape(line.text)
        shown.append(f'<FONT COLOR="{colour}">{text}</FONT>' if colour else text)
    # the any-time commands share one line, last
    anytime = [escape(line.text) for line in edge.lines if line.kind is EdgeKind.ANYTIME]
    if anytime:
        shown.append(f'<FONT COLOR="{LINE_COLOUR[EdgeKind.ANYTIME]}">{" ".join(anytime)}</FONT>')
    if edge.kind is EdgeKind.PATH:
        shown.append('<FONT COLOR="#6e7781">(not in the table)</FONT>')
    if edge.steps:
        shown.append(f'<FONT COLOR="{PATH_COLOUR}" FACE="{FONT}"><B>{escape(step_numbers(edge.steps))}</B></FONT>')
    return f'<<FONT FACE="{MONO}">{"<BR/>".join(shown)}</FONT>>'


def depths(graph: StateGraph) -> dict[State, int]:
    """How many moves each state is from the start (breadth first over the table's edges):
    the main flow runs down the page in this order."""
    depth = {INITIAL_STATE: 0}
    frontier = [INITIAL_STATE]
    while frontier:
        nxt = []
        for edge in graph.edges:
            if edge.source in frontier and edge.target not in depth and edge.kind is EdgeKind.MOVE:
                depth[edge.target] = depth[edge.source] + 1
                nxt.append(edge.target)
        frontier = nxt
    return depth


def main_line(graph: StateGraph, depth: dict[State, int]) -> list[State]:
    """The longest run of forward moves from the start (GREETED, READY, MAIL, RCPT, DATA):
    drawn in one straight row, the way a successful transaction reads."""
    forward: dict[State, list[State]] = {}
    for edge in graph.edges:
        if (edge.kind is EdgeKind.MOVE and edge.source is not None
                and depth.get(edge.target, -1) == depth.get(edge.source, -2) + 1):
            forward.setdefault(edge.source, []).append(edge.target)

    def longest(state: State) -> list[State]:
        tails = [longest(t) for t in forward.get(state, [])]
        return [state, *max(tails, key=len, default=[])]
    return longest(INITIAL_STATE)


def _placement(edge: StateEdge, depth: dict[State, int]) -> dict[str, str]:
    """Ports and weights so the picture reads top to bottom: forward moves straight down,
    moves back up on the left, arrows into CLOSED on the right, loops on the sides."""
    if edge.source is None:
        return {"weight": "10"}
    if edge.target is State.CLOSED:
        return {"tailport": "e", "constraint": "false"}
    if edge.source is edge.target:
        return LOOP_PORTS.get(edge.kind, {})
    down = depth.get(edge.target, 99) > depth.get(edge.source, 99)
    # an arrow back up is written downwards with dir=back: dot then routes it beside
    # the column instead of looping round the whole picture
    return {"weight": "100"} if down else {"dir": "back", "weight": "1"}


def _edge(edge: StateEdge, depth: dict[State, int]) -> str:
    source = "start" if edge.source is None else edge.source.name
    target = edge.target.name
    names = " ".join("connect" if t is None else t.name for t in edge.triggers)
    attrs = {"label": _edge_label(edge), "class": f"{edge.kind.value} {names}".strip(),
             "fontname": MONO, "fontsize": "10"}
    attrs.update(EDGE_STYLE[edge.kind])
    attrs.update(_placement(edge, depth))
    if attrs.get("dir") == "back":
        source, target = target, source
    if edge.steps:
        attrs.update(ON_PATH)
        attrs["class"] += " path"
    return f"  {source} -> {target} {_attrs(attrs)};"


def dot_source(graph: StateGraph, title: str = "") -> str:
    node_defaults = _attrs(NODE_STYLE)
    heading = title or "SMTP server states (drawn from smtplearn.protocol.states.TRANSITIONS)"
    lines = [
        "digraph smtp_states {",
        f'  graph [rankdir="LR" bgcolor="white" fontname="{FONT}" fontsize="13" nodesep="0.5" '
        f'ranksep="0.45" pad="0.25" labelloc="t" label=<<B>{escape(heading)}</B>>];',
        f"  node {node_defaults};",
        f'  edge [fontname="{MONO}" fontsize="10"];',
        '  start [shape="circle" style="filled" fillcolor="#24292f" color="#24292f" label="" '
        'width="0.18" fixedsize="true" class="start"];',
    ]
    depth = depths(graph)
    main = main_line(graph, depth)
    lines += [_node(n, main) for n in graph.nodes]
    lines.append(f"  {{rank=same; {RANK_WITH_CLOSED.name}; CLOSED;}}")
    lines += [_edge(e, depth) for e in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def text_summary(graph: StateGraph) -> str:
    """The same graph as lines of text: the fallback where no picture can be shown."""
    out = ["SMTP server states (from TRANSITIONS)"
           + (f"; now in {graph.current.name}" if graph.current else "")]
    for edge in graph.edges:
        source = "(connect)" if edge.source is None else edge.source.name
        label = "; ".join(edge.label_lines()) or "(not in the table)"
        steps = f"   steps {step_numbers(edge.steps)}" if edge.steps else ""
        out.append(f"  {source:<9} --[{label}]--> {edge.target.name}{steps}")
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
    return Diagram(dot_source(graph, title), text_summary(graph), name="state diagram")
