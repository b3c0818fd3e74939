"""The layout of a sequence diagram: one column per participant, one row per message.

graphviz is a poor fit for sequence diagrams (it re-solves a layout problem the
picture does not have, slowly, for 1000 rows), so the layout here is
deterministic arithmetic on the neutral model (``model.sequence_rows``):
columns are as wide as their longest label needs, rows as tall as their
lines, so labels can never overlap. ``svg.py`` draws it as SVG (the main
output, no graphviz needed); ``sequence_diagram.py`` pins the very same layout
in DOT for graphviz (PNG export) and puts both in one ``Diagram``.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtplearn.diagrams.sequence_model import Row, RowKind, SequenceModel
from smtplearn.diagrams.labels import text_width


FONT_SIZE = 12
CHAR = 7.25          # width of one monospace cell at FONT_SIZE (DejaVu Sans Mono, Menlo, Consolas)
LINE = 15            # baseline-to-baseline distance
HEAD_H = 30          # participant box height
PAD = 10             # space between an arrow's end and its text
MIN_GAP = 150        # narrowest distance between two lifelines
TOP = 78             # title and legend above the participant boxes
#: a notebook column with the file browser open is ~850 px: a diagram of three or more
#: participants that would be wider lets its labels run past a lifeline instead of pushing
#: the lifelines apart (each row has its own band, so labels still never overlap)
FIT_WIDTH = 840


@dataclass(frozen=True)
class Placed:
    """One row placed on the page: ``y`` of its arrow, ``top`` of its text block."""

    row: Row
    top: float
    y: float
    x1: float
    x2: float
    band: int  # which exchange it belongs to (rows of one exchange share a shade)


@dataclass(frozen=True)
class Layout:
    model: SequenceModel
    columns: dict[str, float]
    heads: dict[str, float]     # participant -> box width
    rows: tuple[Placed, ...]
    width: float
    height: float
    gutter: float               # left column: entry numbers (and times)
    states_x: float | None      # right column: the server's state after each reply
    body_top: float
    body_bottom: float
    timings: bool


def block_width(lines: tuple[str, ...]) -> float:
    return max((text_width(line) for line in lines), default=0) * CHAR


def _gaps(model: SequenceModel, heads: dict[str, float], *, fit_labels: bool = True) -> list[float]:
    """Distance between neighbouring lifelines: wide enough for every label that spans them
    (``fit_labels``), or only for the participant boxes."""
    names = list(model.participants)
    index = {name: i for i, name in enumerate(names)}
    if not fit_labels:  # boxes 12 px apart: the labels may cross lifelines
        return [max(MIN_GAP * 0.75, (heads[a] + heads[b]) / 2 + 12) for a, b in zip(names, names[1:])]
    gaps = [max(MIN_GAP, (heads[a] + heads[b]) / 2 + 24) for a, b in zip(names, names[1:])]
    spans: dict[tuple[int, int], float] = {}
    notes_right: dict[int, float] = {}
    for row in model.rows:
        a, b = sorted((index[row.source], index[row.target]))
        need = block_width(row.lines) + 2 * PAD + 16
        if a == b:
            notes_right[a] = max(notes_right.get(a, 0), need)
        else:
            spans[(a, b)] = max(spans.get((a, b), 0), need)
    for (a, b), need in sorted(spans.items(), key=lambda item: item[0][1] - item[0][0]):
        have = sum(gaps[a:b])
        if have < need:
            extra = (need - have) / (b - a)
            for i in range(a, b):
                gaps[i] += extra
    for i, need in notes_right.items():
        if i < len(gaps):
            gaps[i] = max(gaps[i], need)
    return gaps


def _columns(model: SequenceModel, heads: dict[str, float], gutter: float,
             gaps: list[float]) -> tuple[dict[str, float], float]:
    """Each lifeline's x, and the right edge of everything drawn (boxes, labels, notes)."""
    names = list(model.participants)
    x = gutter + 16 + heads[names[0]] / 2 if names else gutter
    columns = {}
    for i, name in enumerate(names):
        columns[name] = x
        if i < len(gaps):
            x += gaps[i]
    right = max((columns[n] + heads[n] / 2 for n in names), default=x)
    for row in model.rows:  # a label starts just right of its arrow's left end (a note: its lifeline)
        start = min(columns[row.source], columns[row.target]) + PAD
        extra = 16 if row.source == row.target else 0
        right = max(right, start + block_width(row.lines) + PAD + extra)
    return columns, right + 16


def layout(model: SequenceModel, *, timings: bool = False) -> Layout:
    names = list(model.participants)
    heads = {name: max(110.0, text_width(name) * CHAR + 28) for name in names}
    gutter = 46 + (88 if timings else 0)
    columns, right = _columns(model, heads, gutter, _gaps(model, heads))
    if right > FIT_WIDTH and len(names) > 2:
        columns, right = _columns(model, heads, gutter, _gaps(model, heads, fit_labels=False))
    has_states = any(r.state is not None for r in model.rows)
    states_x = right + 8 if has_states else None
    width = right + (112 if has_states else 0)

    y = TOP + HEAD_H + 14
    body_top = y - 8
    placed = []
    band, last_number = 0, None
    for row in model.rows:
        if row.number != last_number:
            band, last_number = band + 1, row.number
            y += 4
        top = y
        text_h = len(row.lines) * LINE
        arrow_y = top + text_h + (8 if row.kind is RowKind.BODY else 5)
        x1, x2 = columns[row.source], columns[row.target]
        placed.append(Placed(row, top, arrow_y, x1, x2, band))
        y = arrow_y + (16 if row.source == row.target else 9)
    body_bottom = y + 8
    height = body_bottom + HEAD_H + 16
    return Layout(model, columns, heads, tuple(placed), width, height, gutter, states_x,
                  body_top, body_bottom, timings)


# -- DOT, pinned: graphviz draws our layout (neato -n2), it does not make its own -----------
