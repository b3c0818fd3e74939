"""Reading SMTP replies from bytes: ``ReplyReader`` and ``parse_reply``.

The ``Reply`` value itself (and how it is written) lives in ``catalogue.py``,
beside the named replies it is made from and the meanings it explains itself
with; it is imported here so ``from smtplearn.protocol.replies import Reply``
keeps working.

RFC 5321 §4.2: a reply is a three-digit code and text; a multi-line reply
repeats the code on every line, with "-" after the code on every line but
the last, which has a space (§4.2.1). With ENHANCEDSTATUSCODES (RFC 2034 §4)
the text of every 2xx/4xx/5xx reply line other than the greeting and the
replies to HELO/EHLO starts with a code such as 2.1.5.
"""

from __future__ import annotations

import functools

from smtplearn.protocol.catalogue import ENHANCED_STATUS, Reply
from smtplearn.protocol.errors import RemoteProtocolError, UsageError

#: the most a client reads of one reply, all lines together: a server that never sends a
#: last line must not fill the client's memory (a 100-line EHLO reply is ~3 KiB)
MAX_REPLY_OCTETS = 1024 * 1024

__all__ = ["Reply", "ReplyReader", "parse_reply", "parse_reply_lines"]

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
    first = ENHANCED_STATUS.match(texts[0])
    if first is None or first.group(1) != str(code)[0]:
        return None, 0
    status = first.group(0).strip()
    for text in texts[1:]:
        match = ENHANCED_STATUS.match(text)
        if match is None or match.group(0).strip() != status:
            return None, 0
    return status, first.end()


def parse_reply(data: bytes) -> Reply:
    """Parse exactly one complete reply from ``data`` (a convenience for tests and lessons)."""
    replies = ReplyReader(max_line=max(len(data), 512)).feed(data)
    if len(replies) != 1:
        raise UsageError(f"expected one complete reply, found {len(replies)}")
    return replies[0]
