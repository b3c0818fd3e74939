"""HTML views for Jupyter: a reply with its meaning, a transcript as a table.

Every piece of text from the wire is escaped (addresses hold ``<`` and ``>``).
Colours follow the reply's first digit (RFC 5321 §4.2.1), the same colours
the sequence diagram uses, so a student learns one palette.
"""

from __future__ import annotations

from html import escape
from smtplearn.protocol.catalogue import Reply
from smtplearn.render.text import auth_decoded
from smtplearn.transcript import Note, Transcript

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
            f'{text}</span><br><span style="font-family:sans-serif;color:#57606a">'
            f'{escape(answer.explanation)}</span></div>')


_STYLE = ("border-collapse:collapse;font-size:13px",
          "padding:2px 8px;border-bottom:1px solid #d0d7de;vertical-align:top;text-align:left")


def transcript_html(transcript: Transcript, *, body_lines: int = 8) -> str:
    table, cell = _STYLE
    rows = []
    for n, entry in enumerate(transcript.entries, start=1):
        if isinstance(entry, Note):
            rows.append(f'<tr><td style="{cell}">{n}</td><td style="{cell}">{entry.time * 1000:.1f}</td>'
                        f'<td style="{cell}" colspan="5"><i>{escape(entry.source)} → {escape(entry.target)}: '
                        f'{escape(entry.text)}</i></td></tr>')
            continue
        answer = entry.reply
        sent = "<br>".join(escape(line) for line in entry.sent_lines(body_lines)) or "<i>(connect)</i>"
        got = escape(str(answer)).replace("\n", "<br>")
        sent_decoded, challenge = auth_decoded(entry)
        if sent_decoded is not None:
            sent += f'<br><i style="color:#cf222e">decoded: {escape(sent_decoded)}</i>'
        if challenge is not None:
            got += f'<br><i>decoded: {escape(challenge)}</i>'
        rows.append(
            f'<tr><td style="{cell}">{n}</td><td style="{cell}">{entry.time * 1000:.1f}</td>'
            f'<td style="{cell}">{entry.before.name}</td>'
            f'<td style="{cell};font-family:monospace">{sent}</td>'
            f'<td style="{cell};font-family:monospace;color:{reply_colour(answer.code)}">{got}</td>'
            f'<td style="{cell}">{escape(answer.explanation)}</td>'
            f'<td style="{cell}"><b>{entry.after.name}</b></td></tr>')
    head = "".join(f'<th style="{cell}">{h}</th>' for h in
                   ("#", "ms", "state before", "client sent", "server replied", "what it means", "state after"))
    title = f"<b>{escape(transcript.title)}</b>" if transcript.title else ""
    return (f'{title}<table style="{table}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')
