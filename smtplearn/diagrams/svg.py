"""SVG for a laid-out sequence diagram: plain shapes and text, no scripts, no ids.

Inline SVG must work in JupyterLab, classic Notebook, VS Code and GitHub's
preview, so this uses nothing but rect, line, polygon and text (arrowheads
are polygons, not markers: markers need ids, and two diagrams in one notebook
would share them). Every piece of text is escaped with ``html.escape``.
Colours come from ``smtplearn.render.html.REPLY_CLASSES``, so the diagram
and the transcript table speak the same palette.
"""

from __future__ import annotations

from html import escape

from smtplearn.diagrams.sequence_model import Row, RowKind
from smtplearn.diagrams.labels import printable
from smtplearn.diagrams.sequence import FONT_SIZE, HEAD_H, LINE, PAD, TOP, Layout, Placed, block_width
from smtplearn.render.html import PALETTE, REPLY_CLASSES, reply_colour

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace"
SANS = "-apple-system, 'Segoe UI', Helvetica, Arial, 'DejaVu Sans', sans-serif"
INK = PALETTE.ink
GREY = PALETTE.muted   # secondary text: 6.0:1 on the band shade (WCAG AA)
FAINT = PALETTE.grey  # lifelines, connect and note arrows: 4.3:1 (non-text needs 3:1)
BAND = PALETTE.band
#: the widest a character of the 11 px sans-serif legend gets (an "m" or "w"; "command" is ~50 px)
LEGEND_CHAR = 7.0


def reply_class(row: Row) -> int | None:
    return None if row.code is None else row.code // 100


def arrow_colour(row: Row) -> str:
    if row.kind is RowKind.REPLY and row.code is not None:
        return reply_colour(row.code)
    if row.kind in (RowKind.NOTE, RowKind.CONNECT):
        return FAINT
    return INK


def text_colour(row: Row) -> str:
    if row.kind is RowKind.NOTE:
        return GREY
    return arrow_colour(row) if row.kind is RowKind.REPLY else INK


def _t(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def _arrow(p: Placed, colour: str, dashed: bool) -> str:
    direction = 1 if p.x2 > p.x1 else -1
    tip = p.x2 - direction * 1
    back = tip - direction * 9
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    return (f'<line x1="{p.x1:.1f}" y1="{p.y:.1f}" x2="{back:.1f}" y2="{p.y:.1f}" stroke="{colour}" '
            f'stroke-width="1.6"{dash}/>'
            f'<polygon points="{tip:.1f},{p.y:.1f} {back:.1f},{p.y - 4.5:.1f} {back:.1f},{p.y + 4.5:.1f}" '
            f'fill="{colour}"/>')


def _row(p: Placed, lay: Layout) -> list[str]:
    row = p.row
    colour, ink = arrow_colour(row), text_colour(row)
    left = min(p.x1, p.x2) + PAD
    out = [f'<g class="row {row.kind.value}{_class_suffix(row)}" data-n="{row.number}">']
    if row.full:
        tip = "\n".join(printable(line) for line in row.full.replace("\r\n", "\n").split("\n"))
        out.append(f"<title>{escape(tip)}</title>")
    if row.kind is RowKind.BODY:  # message text: a paper-like box, so it reads as content
        w = block_width(row.lines) + 12  # in cells: a wide character takes two
        out.append(f'<rect x="{left - 6:.1f}" y="{p.top - 2:.1f}" width="{w:.1f}" '
                   f'height="{len(row.lines) * LINE + 6:.1f}" rx="3" fill="{PALETTE.paper}" stroke="{PALETTE.line}"/>')
    if p.x1 == p.x2:  # a note beside one lifeline
        w = block_width(row.lines) + 14
        out.append(f'<rect x="{p.x1 + 6:.1f}" y="{p.top - 3:.1f}" width="{w:.1f}" '
                   f'height="{len(row.lines) * LINE + 8:.1f}" rx="3" fill="{PALETTE.note}" stroke="{PALETTE.note_line}"/>')
        left = p.x1 + 13
    style = {"font_style": "italic"} if row.kind in (RowKind.NOTE, RowKind.CONNECT) else {}
    for k, line in enumerate(row.lines):
        faint = row.kind is RowKind.BODY and line.startswith("[")
        out.append(_t(left, p.top + LINE * (k + 1) - 3.5, line, fill=GREY if faint else ink, **style))
    if p.x1 != p.x2:
        out.append(_arrow(p, colour, row.kind in (RowKind.NOTE, RowKind.CONNECT)))
    if row.kind is not RowKind.REPLY or row.code is None:
        out.append(_t(lay.gutter - 8, p.y + 4, str(row.number), fill=GREY, text_anchor="end",
                      font_size="10"))
    if lay.timings:
        when = f"{row.time * 1000:.1f} ms" if row.kind is not RowKind.REPLY else (
            f"+{row.duration * 1000:.2f} ms" if row.duration is not None else "")
        out.append(_t(8, p.y + 4, when, fill=GREY, font_size="10", font_family=SANS))
    if row.state is not None and lay.states_x is not None:
        name = row.state.name
        w = len(name) * 7 + 14
        out.append(f'<rect x="{lay.states_x:.1f}" y="{p.y - 9:.1f}" width="{w}" height="18" rx="9" '
                   f'fill="{PALETTE.note}" stroke="{PALETTE.note_edge}"/>')
        out.append(_t(lay.states_x + w / 2, p.y + 4, name, fill=PALETTE.note_ink, text_anchor="middle",
                      font_size="10", font_family=SANS, font_weight="bold"))
    out.append("</g>")
    return out


def _class_suffix(row: Row) -> str:
    cls = reply_class(row)
    return f" r{cls}" if cls is not None else ""


def _heads(lay: Layout, y: float) -> list[str]:
    out = []
    for name, x in lay.columns.items():
        w = lay.heads[name]
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y:.1f}" width="{w:.1f}" height="{HEAD_H}" rx="6" '
                   f'fill="{PALETTE.band}" stroke="{PALETTE.muted}" stroke-width="1.2"/>')
        out.append(_t(x, y + HEAD_H / 2 + 4.5, name, fill=INK, text_anchor="middle", font_weight="bold"))
    return out


def _legend(lay: Layout) -> list[str]:
    out = []
    x = 16.0
    y = 50.0
    items = [(colour, label) for colour, label in REPLY_CLASSES.values()]
    items.insert(0, (INK, "command"))
    for colour, label in items:
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 22:.1f}" y2="{y:.1f}" stroke="{colour}" '
                   f'stroke-width="2.4"/>')
        out.append(_t(x + 28, y + 4, label, fill=INK, font_family=SANS, font_size="11"))
        x += 28 + len(label) * LEGEND_CHAR + 18  # an entry never reaches the next one's line
    if lay.states_x is not None:
        out.append(_t(lay.states_x, TOP + HEAD_H / 2 + 4, "server state", fill=GREY, font_family=SANS,
                      font_size="11"))
    if lay.timings:
        out.append(_t(8, TOP + HEAD_H / 2 + 4, "ms", fill=GREY, font_family=SANS, font_size="11"))
    return out


def svg_document(lay: Layout) -> str:
    """The whole picture as one standalone SVG document."""
    title = lay.model.title or "SMTP conversation"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height:.0f}" '
           f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" font-family="{MONO}" font-size="{FONT_SIZE}" '
           f'style="white-space:pre" xml:space="preserve" class="smtplearn-sequence">',
           f'<rect width="100%" height="100%" fill="{PALETTE.paper}"/>',
           _t(16, 26, title, fill=INK, font_family=SANS, font_size="15", font_weight="bold")]
    out += _legend(lay)
    # alternate shading per exchange: a long session reads as a list of turns
    bands: dict[int, list[float]] = {}
    for p in lay.rows:
        span = bands.setdefault(p.band, [p.top, p.y])
        span[0], span[1] = min(span[0], p.top), max(span[1], p.y)
    for band, (top, bottom) in bands.items():
        if band % 2 == 0:
            out.append(f'<rect x="0" y="{top - 4:.1f}" width="{lay.width:.0f}" height="{bottom - top + 10:.1f}" '
                       f'fill="{BAND}"/>')
    for x in lay.columns.values():
        out.append(f'<line x1="{x:.1f}" y1="{TOP + HEAD_H:.1f}" x2="{x:.1f}" y2="{lay.body_bottom:.1f}" '
                   f'stroke="{FAINT}" stroke-width="1" stroke-dasharray="4 4"/>')
    out += _heads(lay, TOP)
    for p in lay.rows:
        out += _row(p, lay)
    out += _heads(lay, lay.body_bottom)
    out.append("</svg>")
    return "\n".join(out) + "\n"
