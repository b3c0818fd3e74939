"""A record of everything said in one or more SMTP sessions.

Every transport records here: who spoke to whom, the raw bytes, the parsed
command or reply, the state before and after, and when. Entries are kept as
the session made them (no copies of message text, no parsing), so recording
stays on even under load. A transcript shows itself as swaks-like text,
an HTML table with each reply explained, and a sequence diagram; it can be
saved as JSON and loaded again.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from smtplearn.protocol.commands import Command, parse_command
from smtplearn.protocol.errors import Error, RemoteProtocolError
from smtplearn.protocol.events import Exchange
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import Signal, State, Trigger, Verb
from smtplearn.protocol.views import view

#: a transcript's own Jupyter display draws its sequence diagram up to this many entries
DISPLAY_LIMIT = 200

if TYPE_CHECKING:  # the type of the picture an upper layer draws (never imported at run time)
    from smtplearn.diagrams.diagram import Diagram


# slots: no __dict__ per turn, so a long transcript costs less memory and the garbage
# collector less to walk
@dataclass(frozen=True, slots=True)
class Turn:
    """One exchange between ``client`` and ``server`` at ``time`` (seconds from the start)."""

    time: float
    client: str
    server: str
    exchange: Exchange
    #: seconds from sending to the reply, when the transport measured it
    duration: float | None = None

    # shortcuts a lesson reads well
    @property
    def reply(self) -> Reply:
        return self.exchange.reply

    @property
    def command(self) -> Command | None:
        return self.exchange.command

    @property
    def sent(self) -> bytes:
        return self.exchange.sent

    @property
    def before(self) -> State:
        return self.exchange.before

    @property
    def after(self) -> State:
        return self.exchange.after

    @property
    def trigger(self) -> Trigger | None:
        return self.exchange.trigger

    @property
    def is_greeting(self) -> bool:
        """True for the server's greeting: the turn where the client sent nothing (§3.1). A line
        the server could not parse (``HELLO x`` -> 500) has no trigger either, but it was sent."""
        return (self.trigger is None and not self.sent) or self.trigger is Signal.CONNECT

    def sent_lines(self, body_lines: int = 12) -> list[str]:
        """What the client sent, as lines to show: the one summary every view uses.

        A command is its line (no CRLF); the greeting, which answers a connection,
        is no line at all. A message is its first ``body_lines`` lines as they
        travelled (a line starting with "." went dot-stuffed, RFC 5321 §4.5.2),
        then how much was left out, then the "." line that ended it.
        """
        if self.is_greeting:
            return []
        text = self.sent.decode("utf-8", "replace")
        if self.trigger is not Signal.END_OF_DATA:
            return [text.removesuffix("\r\n")]
        lines = text.split("\r\n")
        if lines and lines[-1] == "":
            lines.pop()
        shown = [("." + line if line.startswith(".") else line) for line in lines[:body_lines]]
        if len(lines) > body_lines:
            shown.append(f"[... {len(lines) - body_lines} more lines, "
                         f"{self.exchange.size or len(self.sent)} octets in all]")
        return shown + ["."]


@dataclass(frozen=True)
class Note:
    """Something that is not an SMTP exchange: a DNS query, a connection attempt, a TLS handshake.

    ``source`` and ``target`` name the participants an arrow joins
    (the same one for a note beside a lifeline); ``kind`` is a short tag
    such as "dns", "connect", "tls" or "error".
    """

    time: float
    source: str
    target: str
    text: str
    kind: str = "note"


Entry = Turn | Note


@dataclass
class Transcript:
    """The exchanges of one conversation (or of one delivery across several servers)."""

    entries: list[Entry] = field(default_factory=list)
    title: str = ""
    started: float = field(default_factory=time.time)
    _origin: float = field(default_factory=time.perf_counter, repr=False)

    # -- recording ------------------------------------------------------------
    def now(self) -> float:
        return time.perf_counter() - self._origin

    def record(self, exchange: Exchange, *, client: str = "client", server: str = "server",
               duration: float | None = None) -> Turn:
        """Add one exchange; what the session noted about it (a command line that ended with
        a bare LF, RFC 5321 §2.3.8; a delayed reply) follows as a note beside the server."""
        turn = Turn(self.now(), client, server, exchange, duration)
        self.entries.append(turn)
        if exchange.note:
            self.note(exchange.note, source=server, kind="rfc")
        return turn

    def note(self, text: str, *, source: str = "client", target: str | None = None,
             kind: str = "note") -> Note:
        entry = Note(self.now(), source, target or source, text, kind)
        self.entries.append(entry)
        return entry

    # -- reading ----------------------------------------------------------------
    @property
    def turns(self) -> list[Turn]:
        return [e for e in self.entries if isinstance(e, Turn)]

    @property
    def replies(self) -> list[Reply]:
        return [t.reply for t in self.turns]

    @property
    def states(self) -> list[State]:
        """The states the session went through, in order, starting with the first 'before'."""
        turns = self.turns
        return [turns[0].before, *(t.after for t in turns)] if turns else []

    @property
    def participants(self) -> list[str]:
        """Everyone who speaks, in order of first appearance (lifelines of a sequence diagram)."""
        seen: dict[str, None] = {}
        for entry in self.entries:
            if isinstance(entry, Turn):
                seen.setdefault(entry.client)
                seen.setdefault(entry.server)
            else:
                seen.setdefault(entry.source)
                seen.setdefault(entry.target)
        return list(seen)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> Entry:
        return self.entries[index]

    def extend(self, other: Transcript) -> None:
        """Append ``other``'s entries, shifted to follow on in time."""
        shift = other._origin - self._origin
        for entry in other.entries:
            self.entries.append(_shifted(entry, shift))

    # -- display (views only: renderers never change the transcript) -------------
    # The renderers sit above this module; they are reached through the named hook
    # smtplearn.protocol.views, never imported here (docs/architecture.md).
    def text(self, *, body_lines: int = 12) -> str:
        """swaks-like text: ``->`` what the client sent, ``<-`` what the server answered."""
        text: str = view("transcript_text")(self, body_lines=body_lines)
        return text

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Transcript {len(self.turns)} exchanges>\n{self.text()}"

    def _repr_html_(self) -> str:
        html: str = view("transcript_html")(self)
        return html

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter shows the sequence diagram above the table (inline SVG, no JavaScript);
        long transcripts show the table only (draw them with .sequence_diagram())."""
        table = self._repr_html_()
        bundle = {"text/html": table, "text/plain": repr(self)}
        if self.turns and len(self.entries) <= DISPLAY_LIMIT:
            svg = self.sequence_diagram().svg()
            bundle["text/html"] = f"<div>{svg}</div>{table}"
            bundle["image/svg+xml"] = svg
        return bundle

    def sequence_diagram(self, **options: Any) -> Diagram:
        """The conversation as a sequence diagram (our own SVG, no graphviz needed; see smtplearn.diagrams)."""
        diagram: Diagram = view("sequence_diagram")(self, **options)
        return diagram

    # -- saving -------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({"title": self.title, "started": self.started,
                           "entries": [_entry_to_dict(e) for e in self.entries]}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        """Read what ``to_json`` wrote; anything else is a ``TranscriptFormatError`` saying what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TranscriptFormatError(f"not JSON ({exc}); a transcript file is what "
                                        "Transcript.save() writes") from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise TranscriptFormatError('not a transcript: expected a JSON object with an "entries" list '
                                        "(what Transcript.save() writes)")
        entries = []
        for index, entry in enumerate(data["entries"]):
            try:
                entries.append(_entry_from_dict(entry))
            except (KeyError, TypeError, ValueError) as exc:
                what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                raise TranscriptFormatError(f"entry {index} is not a turn or a note: {what}") from None
        return cls(entries, data.get("title", ""), data.get("started", 0.0))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Transcript:
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except TranscriptFormatError as exc:
            raise TranscriptFormatError(f"{path}: {exc}") from None


class TranscriptFormatError(Error, ValueError):
    """A transcript file that ``Transcript.load`` cannot read; the message says what is wrong."""


class HasTranscript(Protocol):
    """A Pair or a Client: anything that records its session in ``.transcript``."""

    @property
    def transcript(self) -> Transcript: ...


def _shifted(entry: Entry, shift: float) -> Entry:
    if isinstance(entry, Turn):
        return Turn(entry.time + shift, entry.client, entry.server, entry.exchange, entry.duration)
    return Note(entry.time + shift, entry.source, entry.target, entry.text, entry.kind)


# -- JSON: raw bytes as text when they are UTF-8, base64 otherwise ---------------------
def _bytes_to_json(raw: bytes) -> dict[str, str]:
    try:
        return {"text": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}


def _bytes_from_json(data: dict[str, str]) -> bytes:
    return data["text"].encode("utf-8") if "text" in data else base64.b64decode(data["base64"])


def _trigger_from_json(value: str | None) -> Trigger | None:
    if value is None:
        return None
    try:
        return Verb(value)
    except ValueError:
        return Signal(value)  # "<CRLF>.<CRLF>", "auth response", "421 closing"


def _entry_to_dict(entry: Entry) -> dict[str, Any]:
    if isinstance(entry, Note):
        return {"note": entry.text, "time": entry.time, "source": entry.source,
                "target": entry.target, "kind": entry.kind}
    ex = entry.exchange
    return {"time": entry.time, "client": entry.client, "server": entry.server,
            "duration": entry.duration,
            "trigger": ex.trigger.value if ex.trigger is not None else None,
            "sent": _bytes_to_json(ex.sent), "size": ex.size,
            "reply": {"code": ex.reply.code, "lines": list(ex.reply.lines),
                      "enhanced": ex.reply.enhanced, "name": ex.reply.name},
            "before": ex.before.value, "after": ex.after.value}


def _entry_from_dict(data: dict[str, Any]) -> Entry:
    if "note" in data:
        return Note(data["time"], data["source"], data["target"], data["note"], data["kind"])
    trigger = _trigger_from_json(data["trigger"])
    sent = _bytes_from_json(data["sent"])
    command = None
    if isinstance(trigger, Verb):
        try:
            command = parse_command(sent)
        except RemoteProtocolError:
            command = None
    r = data["reply"]
    answer = Reply(r["code"], tuple(r["lines"]), r["enhanced"], name=r.get("name"))
    exchange = Exchange(trigger, sent, command, answer, State(data["before"]),
                        State(data["after"]), data.get("size", 0))
    return Turn(data["time"], data["client"], data["server"], exchange, data.get("duration"))
