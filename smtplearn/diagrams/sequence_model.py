"""A transcript as lifelines and rows, in time order: what sequence.py draws.

Nothing here knows about SVG or DOT; every wire text is made printable and
wrapped here, so no renderer can be fed raw bytes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smtplearn.diagrams.labels import printable, text_width
from smtplearn.protocol.states import Signal, State
from smtplearn.transcript import Note, Transcript


class RowKind(enum.Enum):
    CONNECT = "connect"    # the TCP connection the 220 greeting answers
    COMMAND = "command"    # a command line, client -> server
    BODY = "body"          # the message text and <CRLF>.<CRLF>, summarised
    REPLY = "reply"        # server -> client, coloured by its first digit
    NOTE = "note"          # a DNS query, a connection attempt: between two participants


@dataclass(frozen=True)
class Row:
    """One arrow (or a note beside one lifeline when source == target)."""

    kind: RowKind
    source: str
    target: str
    lines: tuple[str, ...]
    number: int               # the transcript's # column (entry number)
    time: float
    code: int | None = None   # replies only
    duration: float | None = None
    state: State | None = None  # the server's state after a reply, when it changed
    #: the whole wire text when ``lines`` wrap or summarise it (tooltips)
    full: str = ""


@dataclass(frozen=True)
class SequenceModel:
    participants: tuple[str, ...]
    rows: tuple[Row, ...]
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def wrap(line: str, width: int) -> list[str]:
    """Cut a long line into pieces of at most ``width`` cells; pieces after the first
    start with "↪ " so a student sees one wire line, not several."""
    if text_width(line) <= width:
        return [line]
    pieces, rest, first = [], line, True
    while rest:
        room = width if first else width - 2
        cut = room
        while text_width(rest[:cut]) > room:
            cut -= 1
        space = rest.rfind(" ", room // 2, cut + 1) if len(rest) > cut else -1
        if space > 0:
            cut = space + 1
        pieces.append(("" if first else "↪ ") + rest[:cut].rstrip(" "))
        rest, first = rest[cut:], False
    return pieces


def sequence_rows(transcript: Transcript, *, body_lines: int = 3, width: int = 72) -> SequenceModel:
    """The transcript as rows, in time order, every wire text made printable and wrapped."""

    def fit(texts: Iterable[str]) -> tuple[str, ...]:
        return tuple(piece for text in texts for piece in wrap(printable(text), width))

    rows: list[Row] = []
    last_state: dict[str, State] = {}
    for number, entry in enumerate(transcript.entries, start=1):
        if isinstance(entry, Note):
            rows.append(Row(RowKind.NOTE, entry.source, entry.target, fit(entry.text.split("\n")),
                            number, entry.time, full=entry.text))
            continue
        client, server, sent = entry.client, entry.server, entry.sent
        if entry.is_greeting:
            rows.append(Row(RowKind.CONNECT, client, server, ("(connect)",), number, entry.time))
        elif entry.trigger is Signal.END_OF_DATA:
            rows.append(Row(RowKind.BODY, client, server, fit(entry.sent_lines(body_lines)), number, entry.time,
                            full=sent.decode("utf-8", "replace")))
        else:
            line = entry.sent_lines()[0]
            rows.append(Row(RowKind.COMMAND, client, server, fit([line]), number, entry.time, full=line))
        answer = str(entry.reply)
        changed = last_state.get(server) is not entry.after
        last_state[server] = entry.after
        rows.append(Row(RowKind.REPLY, server, client, fit(answer.split("\n")), number, entry.time,
                        code=entry.reply.code, duration=entry.duration,
                        state=entry.after if changed else None, full=answer))
    return SequenceModel(tuple(transcript.participants), tuple(rows), transcript.title)
