"""The sequence diagram of a transcript: one layout, drawn twice, in one ``Diagram``.

``sequence.py`` places every row (deterministic arithmetic, labels never overlap);
``svg.py`` draws that layout as SVG, the main output, with no graphviz; ``dot_source``
here pins the very same coordinates in DOT for graphviz (PNG export, or for anyone who
wants the DOT). This module sits above both, so neither imports the other's user.
"""

from __future__ import annotations

from html import escape

from smtplearn.diagrams.diagram import Diagram
from smtplearn.diagrams.sequence import HEAD_H, LINE, PAD, TOP, Layout, block_width, layout
from smtplearn.diagrams.sequence_model import RowKind, SequenceModel, sequence_rows
from smtplearn.diagrams.svg import arrow_colour, svg_document, text_colour
from smtplearn.render.html import PALETTE
from smtplearn.transcript import Transcript


def _text_node(name: str, x: float, y: float, lines: tuple[str, ...], colour: str) -> str:
    body = "<BR ALIGN=\"LEFT\"/>".join(escape(line) for line in lines) + '<BR ALIGN="LEFT"/>'
    w = block_width(lines) + 4
    h = len(lines) * LINE
    return (f'  {name} [shape="plaintext" pos="{x + w / 2:.1f},{y - h / 2:.1f}!" width="{w / 72:.3f}" '
            f'height="{h / 72:.3f}" fixedsize="true" label=<<FONT COLOR="{colour}">{body}</FONT>>];')


def dot_source(lay: Layout) -> str:
    """The layout as DOT with every position pinned (render with ``neato -n2``)."""
    flip = lay.height  # graphviz's y axis points up

    def point(name: str, x: float, y: float) -> str:
        return f'  {name} [shape="point" width="0.01" pos="{x:.1f},{flip - y:.1f}!"];'

    out = ["digraph sequence {",
           f'  graph [bgcolor="white" splines="line" bb="0,0,{lay.width:.0f},{lay.height:.0f}"];',
           '  node [fontname="DejaVu Sans Mono,Courier,monospace" fontsize="11" margin="0"];',
           '  edge [arrowsize="0.7"];']
    for i, (name, x) in enumerate(lay.columns.items()):
        w = lay.heads[name]
        for where, y in (("top", TOP + HEAD_H / 2), ("bottom", lay.body_bottom + HEAD_H / 2)):
            out.append(f'  head{i}{where} [shape="box" style="rounded,filled" fillcolor="{PALETTE.band}" '
                       f'color="{PALETTE.muted}" pos="{x:.1f},{flip - y:.1f}!" width="{w / 72:.3f}" '
                       f'height="{HEAD_H / 72:.3f}" fixedsize="true" label=<<B>{escape(name)}</B>>];')
        out.append(f'  head{i}top -> head{i}bottom [style="dashed" color="{PALETTE.grey}" arrowhead="none"];')
    for n, p in enumerate(lay.rows):
        row = p.row
        colour = arrow_colour(row)
        out.append(_text_node(f"t{n}", min(p.x1, p.x2) + PAD, flip - p.top, row.lines, text_colour(row)))
        if p.x1 == p.x2:
            continue
        out.append(point(f"a{n}", p.x1, p.y))
        out.append(point(f"b{n}", p.x2, p.y))
        style = "dashed" if row.kind in (RowKind.NOTE, RowKind.CONNECT) else "solid"
        out.append(f'  a{n} -> b{n} [color="{colour}" style="{style}"];')
        if row.kind is RowKind.REPLY:
            continue
        out.append(f'  n{n} [shape="plaintext" fontcolor="{PALETTE.muted}" fontsize="10" label="{row.number}" '
                   f'pos="{lay.gutter - 8:.1f},{flip - p.y:.1f}!"];')
    out.append("}")
    return "\n".join(out) + "\n"


#: where long lines wrap (characters), widest first: a diagram with many lifelines wraps its
#: labels narrower until it fits READABLE_WIDTH (a label near the last lifeline adds its whole
#: length to the page width)
WRAP_WIDTHS = (72, 56, 44, 36)
#: the widest diagram whose smallest text (an ~11.5 px box) stays about 8 px in an ~830 px notebook column
READABLE_WIDTH = 1200


def sequence_diagram(transcript: Transcript, *, timings: bool = False, body_lines: int = 3,
                     width: int | None = None, title: str | None = None) -> Diagram:
    """The transcript as a sequence diagram (SVG drawn by our own code; DOT on request).

    ``timings`` adds when each exchange started and how long the reply took;
    ``body_lines`` is how many lines of a message to show before "[… N more lines]";
    ``width`` is where long lines wrap (in characters), so nothing runs off the page
    (default: 72, or narrower when that is what it takes to stay readable in a notebook).
    """
    for wrap_at in (width,) if width is not None else WRAP_WIDTHS:
        model = sequence_rows(transcript, body_lines=body_lines, width=wrap_at)
        if title is not None:
            model = SequenceModel(model.participants, model.rows, title)
        lay = layout(model, timings=timings)
        if lay.width <= READABLE_WIDTH:
            break
    who = " and ".join(model.participants)
    return Diagram(dot_source(lay), transcript.text(body_lines=body_lines),
                   svg_maker=lambda: svg_document(lay), engine="neato", neato_no_op=2,
                   name=f"sequence diagram, {len(transcript.turns)} exchanges",
                   label=f"Sequence diagram: {model.title or 'SMTP conversation'}, "
                         f"{len(transcript.turns)} exchanges between {who}")
