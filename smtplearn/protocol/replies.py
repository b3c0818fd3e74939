"""SMTP replies: the ``Reply`` value, writing it, and reading it from bytes.

RFC 5321 §4.2: a reply is a three-digit code and text; a multi-line reply
repeats the code on every line, with "-" after the code on every line but
the last, which has a space (§4.2.1). With ENHANCEDSTATUSCODES (RFC 2034 §4)
the text of every 2xx/4xx/5xx reply line other than the greeting and the
replies to HELO/EHLO starts with a code such as 2.1.5.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from smtplearn.protocol.errors import RemoteProtocolError

#: the most a client reads of one reply, all lines together: a server that never sends a
#: last line must not fill the client's memory (a 100-line EHLO reply is ~3 KiB)
MAX_REPLY_OCTETS = 1024 * 1024

# RFC 3463 §2: class "." subject "." detail, where the class matches the reply's first digit
_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?: |$)")


@dataclass(frozen=True)
class Reply:
    """One server reply, possibly multi-line.

    ``lines`` is the text of each line without the code and without the
    enhanced status code; ``enhanced`` is that code (e.g. "2.1.5") or None.
    """

    code: int
    lines: tuple[str, ...] = ("",)
    enhanced: str | None = None
    #: the catalogue entry this reply was made from, when known (for teaching)
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 200 <= self.code <= 599:
            raise ValueError(f"reply code must be 200..599 (RFC 5321 §4.2), got {self.code}")
        if isinstance(self.lines, str):
            object.__setattr__(self, "lines", tuple(self.lines.split("\n")))
        if not self.lines:
            object.__setattr__(self, "lines", ("",))
        for line in self.lines:
            if "\r" in line or "\n" in line:
                raise ValueError("a reply line cannot contain CR or LF; pass several lines instead")
        if self.enhanced is not None and not _agrees(self.enhanced, self.code):
            raise ValueError(
                f"enhanced status {self.enhanced!r} must look like {str(self.code)[0]}.X.Y "
                "and agree with the reply's first digit (RFC 3463 §2)")

    # -- what a student asks of a reply -------------------------------------
    @property
    def text(self) -> str:
        """All lines joined with newlines."""
        return "\n".join(self.lines)

    @property
    def kind(self) -> str:
        """The meaning of the first digit (RFC 5321 §4.2.1)."""
        return {2: "positive completion", 3: "positive intermediate",
                4: "transient negative", 5: "permanent negative"}[self.code // 100]

    @property
    def is_positive(self) -> bool:
        return self.code < 400

    @property
    def is_transient(self) -> bool:
        """4xx: try again later (§4.2.1)."""
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        """5xx: do not repeat the same request (§4.2.1)."""
        return self.code >= 500

    @property
    def explanation(self) -> str:
        """A one-line plain-English explanation, from the reply catalogue."""
        from smtplearn.protocol.catalogue import explain
        return explain(self)

    # -- wire format ---------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The reply as it travels, every line ending in CRLF (§4.2.1)."""
        # Written once per Reply and kept (the catalogue sends its fixed replies again
        # and again). Not functools.cached_property: on Python 3.11 it takes a lock.
        wire = self.__dict__.get("_wire")
        if wire is None:
            wire = self.__dict__["_wire"] = self._format()
        return wire

    def _format(self) -> bytes:
        prefix = f"{self.enhanced} " if self.enhanced else ""
        last = len(self.lines) - 1
        out = []
        for i, line in enumerate(self.lines):
            sep = " " if i == last else "-"
            text = f"{self.code}{sep}{prefix}{line}".rstrip(" ")
            if self.code == 334 and i == last and text == "334":
                text = "334 "  # RFC 4954 §4: an empty challenge is "334 ", the space kept
            out.append(text + "\r\n")
        return "".join(out).encode("utf-8")

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8").rstrip("\r\n").replace("\r\n", "\n")

    def __repr__(self) -> str:
        return f"<Reply {str(self)!r}>"

    def _repr_html_(self) -> str:
        from smtplearn.render.html import reply_html
        return reply_html(self)


@functools.lru_cache(maxsize=64)
def _agrees(enhanced: str, code: int) -> bool:
    """True when ``enhanced`` is X.Y.Z with X the reply's first digit (RFC 3463 §2).
    Kept per pair: a session sends and reads the same few codes again and again."""
    match = _ENHANCED.fullmatch(enhanced)
    return match is not None and match.group(1) == str(code)[0]


class ReplyReader:
    """Turns bytes from a server into ``Reply`` objects (sans-I/O).

    Feed any chunks with ``feed``; complete replies come out in order.
    Lines may end in CRLF or a bare LF: a leniency towards broken servers that RFC 5321
    §2.3.8 does not grant ("Conforming implementations MUST NOT recognize or generate any
    other character or character sequence as a line terminator"). Whatever a server sends, memory
    stays bounded: a line longer than ``max_line`` or a reply larger than
    ``max_reply`` octets (all its lines together), a line that does not start
    with three digits, or a code outside 200-599 is a ``RemoteProtocolError``
    that says what the server did.
    """

    def __init__(self, max_line: int = 512 * 8, max_reply: int = MAX_REPLY_OCTETS) -> None:
        self._partial = b""  # the start of a line whose LF has not come yet
        self._lines: list[bytes] = []
        self._size = 0  # octets in self._lines: the reply read so far
        self._max_line = max_line
        self._max_reply = max_reply

    def feed(self, data: bytes) -> list[Reply]:
        if (data[3:4] == b" " and data.find(b"\n") == len(data) - 1 and len(data) <= self._max_line
                and not (self._partial or self._lines)):
            return [_one_line_reply(bytes(data).rstrip(b"\r\n"))]  # the usual chunk: one one-line reply
        *complete, self._partial = (self._partial + bytes(data)).split(b"\n")
        if len(self._partial) > self._max_line:
            raise RemoteProtocolError(f"the server sent a reply line longer than {self._max_line} octets "
                                      "without ending it (RFC 5321 §4.5.3.1.5 allows 512)")
        replies: list[Reply] = []
        for line in complete:
            line = line.rstrip(b"\r")
            if line[3:4] == b" " and not self._lines and len(line) <= self._max_line:
                replies.append(_one_line_reply(line))  # the usual case, e.g. "250 2.1.0 Ok"
                continue
            self._add_line(line)
            if line[3:4] != b"-":
                replies.append(parse_reply_lines(self._lines))
                self._lines, self._size = [], 0
        return replies

    def _add_line(self, line: bytes) -> None:
        _check_line(line)
        if len(line) > self._max_line:
            raise RemoteProtocolError(f"the server sent a reply line of {len(line)} octets; this client "
                                      f"reads at most {self._max_line} (RFC 5321 §4.5.3.1.5 allows 512)")
        self._size += len(line) + 2
        if self._size > self._max_reply:
            raise RemoteProtocolError(
                f"the server sent {len(self._lines) + 1} lines ({self._size} octets) of one reply without "
                f"its last line (a line with a space after the code, RFC 5321 §4.2.1); this client stops "
                f"reading one reply at {self._max_reply} octets")
        self._lines.append(line)

    @property
    def pending(self) -> bool:
        """True while part of a reply has arrived but not its last line."""
        return bool(self._lines or self._partial)


def _check_line(line: bytes) -> None:
    if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in (b"", b" ", b"-"):
        raise RemoteProtocolError(f"malformed reply line from server: {line[:80]!r}")
    if line[:1] not in b"2345":
        # RFC 5321 §4.2: servers "MUST NOT send reply codes whose first digits are other than
        # 2, 3, 4, or 5"; clients "SHOULD normally treat them as fatal errors"
        raise RemoteProtocolError(
            f"the server sent reply code {line[:3].decode()} ({line[:80]!r}): reply codes start with "
            "2, 3, 4 or 5 (RFC 5321 §4.2), so this is not SMTP; the transaction is given up")


@functools.lru_cache(maxsize=256)
def _one_line_reply(line: bytes) -> Reply:
    """A one-line reply, parsed and checked once per distinct line: a server says the
    same few lines again and again ("250 2.1.0 Ok"), and a ``Reply`` is immutable, so
    sessions can share it. A malformed line raises, and an exception is never cached."""
    _check_line(line)
    return parse_reply_lines([line])


def parse_reply_lines(lines: list[bytes]) -> Reply:
    """Build one Reply from its raw lines (no line endings)."""
    if len(lines) > 1 and any(line[:3] != lines[0][:3] for line in lines):
        codes = sorted({line[:3] for line in lines})
        raise RemoteProtocolError(f"multi-line reply mixes codes {codes} (RFC 5321 §4.2.1)")
    code = int(lines[0][:3])
    texts = [line[4:].decode("utf-8", "replace") for line in lines]
    enhanced, length = _enhanced_status(texts, code)
    if enhanced is not None:
        texts = [t[length:] for t in texts]
    try:
        return Reply(code, tuple(texts), enhanced)
    except ValueError as exc:  # e.g. a bare CR inside a line: the peer's fault, not ours
        raise RemoteProtocolError(f"malformed reply from server ({exc}): {lines[0][:80]!r}") from None


def _enhanced_status(texts: list[str], code: int) -> tuple[str | None, int]:
    """The enhanced status code (RFC 2034 §4) that starts every line, and how many
    characters it takes with its space; (None, 0) unless all lines agree."""
    if texts[0][1:2] != ".":  # a quick "no" for most replies that have none
        return None, 0
    first = _ENHANCED.match(texts[0])
    if first is None or first.group(1) != str(code)[0]:
        return None, 0
    status = first.group(0).strip()
    for text in texts[1:]:
        match = _ENHANCED.match(text)
        if match is None or match.group(0).strip() != status:
            return None, 0
    return status, first.end()


def parse_reply(data: bytes) -> Reply:
    """Parse exactly one complete reply from ``data`` (a convenience for tests and lessons)."""
    replies = ReplyReader(max_line=max(len(data), 512)).feed(data)
    if len(replies) != 1:
        raise ValueError(f"expected one complete reply, found {len(replies)}")
    return replies[0]
