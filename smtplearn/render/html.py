"""HTML views for Jupyter: a reply with its meaning, a transcript as a table; the one palette.

Every piece of text from the wire is escaped (addresses hold ``<`` and ``>``).
Colours follow the reply's first digit (RFC 5321 §4.2.1), the same colours
the sequence diagram uses, so a student learns one palette: ``PALETTE`` and
``REPLY_CLASSES`` here are the only place a colour is written, and
``html_table`` the only way a table is (transcripts, delivery reports, MX
results, the mini-Internet, mailboxes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from smtplearn.protocol.catalogue import Reply
from smtplearn.render.text import auth_decoded
from smtplearn.transcript import Note, Transcript

@dataclass(frozen=True)
class Palette:
    """The colours every view uses (GitHub's Primer greys, so they read on light themes)."""

    ink: str = "#24292f"        # text and arrows
    muted: str = "#57606a"      # explanations, box edges
    grey: str = "#6e7781"       # secondary labels
    faint: str = "#8c959f"      # numbers, dashed lines
    line: str = "#d0d7de"       # table rules, panel borders
    band: str = "#f6f8fa"       # shaded backgrounds
    paper: str = "#ffffff"
    note: str = "#fff8c5"       # notes and the current state
    note_edge: str = "#bf8700"
    note_line: str = "#d4a72c"  # a note's border in the sequence diagram
    note_ink: str = "#6f4e00"   # text on the note shade (the server state column)
    now: str = "#7d4e00"        # "now" beside the current state
    current_edge: str = "#9a6700"  # the current state's border
    domain: str = "#eaeef2"     # the domain asked, in an MX graph
    path: str = "#8250df"       # a session's route: purple, unlike any reply class
    focus: str = "#0969da"      # the outline of the focused button or box
    badge: str = "#ddf4ff"
    badge_ink: str = "#0550ae"


PALETTE = Palette()

#: first digit of a reply -> (colour, what the digit means)
REPLY_CLASSES = {
    2: ("#1a7f37", "2xx success"),
    3: ("#0969da", "3xx go on"),
    4: ("#9a6700", "4xx try again later"),
    5: ("#cf222e", "5xx refused"),
}


def reply_colour(code: int) -> str:
    return REPLY_CLASSES[code // 100][0]


def reply_html(answer: Reply) -> str:
    colour = reply_colour(answer.code)
    text = escape(str(answer)).replace("\n", "<br>")
    return (f'<div style="font-family:monospace"><span style="color:{colour};font-weight:bold">'
            f'{text}</span><br><span style="font-family:sans-serif;color:{PALETTE.muted}">'
            f'{escape(answer.explanation)}</span></div>')


TABLE_STYLE = "border-collapse:collapse;font-size:13px"
CELL_STYLE = f"padding:2px 8px;border-bottom:1px solid {PALETTE.line};vertical-align:top;text-align:left"


@dataclass(frozen=True)
class Cell:
    """A table cell: HTML the caller has escaped, extra CSS for it, columns it spans."""

    html: str
    style: str = ""
    span: int = 1


def html_table(head: Sequence[str], rows: Iterable[Sequence[str | Cell]], *, row_style: str = "") -> str:
    """A table in the house style. ``head`` is plain text (escaped here); a cell is HTML the
    caller has escaped, or a ``Cell`` for one with its own style or span."""
    def td(cell: str | Cell, tag: str = "td") -> str:
        cell = cell if isinstance(cell, Cell) else Cell(cell)
        style = f"{CELL_STYLE};{cell.style}" if cell.style else CELL_STYLE
        span = f' colspan="{cell.span}"' if cell.span > 1 else ""
        return f'<{tag} style="{style}"{span}>{cell.html}</{tag}>'

    header = "".join(td(escape(title), "th") for title in head)
    row_attr = f' style="{row_style}"' if row_style else ""
    body = "".join(f"<tr{row_attr}>{''.join(td(cell) for cell in row)}</tr>" for row in rows)
    return f'<table style="{TABLE_STYLE}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def transcript_html(transcript: Transcript, *, body_lines: int = 8) -> str:
    rows: list[list[str | Cell]] = []
    for n, entry in enumerate(transcript.entries, start=1):
        if isinstance(entry, Note):
            rows.append([str(n), f"{entry.time * 1000:.1f}",
                         Cell(f"<i>{escape(entry.source)} → {escape(entry.target)}: {escape(entry.text)}</i>",
                              span=5)])
            continue
        answer = entry.reply
        sent = "<br>".join(escape(line) for line in entry.sent_lines(body_lines)) or "<i>(connect)</i>"
        got = escape(str(answer)).replace("\n", "<br>")
        sent_decoded, challenge = auth_decoded(entry)
        if sent_decoded is not None:
            sent += f'<br><i style="color:{reply_colour(500)}">decoded: {escape(sent_decoded)}</i>'
        if challenge is not None:
            got += f'<br><i>decoded: {escape(challenge)}</i>'
        rows.append([str(n), f"{entry.time * 1000:.1f}", entry.before.name,
                     Cell(sent, "font-family:monospace"),
                     Cell(got, f"font-family:monospace;color:{reply_colour(answer.code)}"),
                     escape(answer.explanation), f"<b>{entry.after.name}</b>"])
    title = f"<b>{escape(transcript.title)}</b>" if transcript.title else ""
    return title + html_table(("#", "ms", "state before", "client sent", "server replied", "what it means",
                               "state after"), rows)
