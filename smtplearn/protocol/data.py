"""The message text after DATA: transparency and the end-of-data mark.

RFC 5321 §4.1.1.4: the message ends with a line holding only a period, that
is the five octets <CRLF>.<CRLF> (the CRLF that ends the last text line,
then ".", then CRLF). It is *not* "a CRLF and a period". §4.5.2
(transparency): the client doubles a period at the start of a line ("dot-
stuffing"); the server removes it again. This module owns both directions
and the checks on the received text; it never sees a socket.
"""

from __future__ import annotations

import re

from smtplearn.protocol.limits import BareNewlinePolicy, Limits

END_OF_DATA = b"\r\n.\r\n"  # §4.1.1.4


def crlf_lines(body: bytes) -> bytes:
    """``body`` with every line ending a CRLF, the last one too (§2.3.8 allows no other)."""
    crlf = body.count(b"\r\n")
    if body.count(b"\n") != crlf or body.count(b"\r") != crlf:  # only then rewrite (a regex is slow)
        body = re.sub(rb"\r\n|\r|\n", b"\r\n", body)
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


def dot_stuff(body: bytes) -> bytes:
    """What the client sends after 354: lines starting with "." get one more (§4.5.2),
    the text ends with CRLF, and then comes the ".<CRLF>" line.
    """
    return stuff_crlf_text(crlf_lines(body))


def stuff_crlf_text(body: bytes) -> bytes:
    """``dot_stuff`` for ``body`` that already went through ``crlf_lines``."""
    stuffed = body.replace(b"\r\n.", b"\r\n..")  # every line but the first...
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed                   # ...and the first
    return stuffed + b".\r\n"


def dot_unstuff(text: bytes) -> bytes:
    """Undo ``dot_stuff`` for text *without* its final ".<CRLF>" line (§4.5.2:
    a line that starts with a period has that period removed)."""
    return (b"\r\n" + text).replace(b"\r\n.", b"\r\n")[2:]


def text_problem(content: bytes, limits: Limits) -> str | None:
    """The catalogue name of the reply that refuses ``content``, or None if it is fine.

    Scans with C-speed operations (count, splitlines), never line by line in Python.
    """
    line_ends, longest = line_ends_and_longest(content)
    # §2.3.8: CR and LF only as a pair. splitlines counts a CRLF, a lone CR and a lone LF
    # once each, so the text is clean exactly when it found as many line ends as there
    # are CRs and as there are LFs (no slower count of the two-octet b"\r\n" needed)
    if limits.bare_newline is BareNewlinePolicy.REJECT and not (
            line_ends == content.count(b"\n") == content.count(b"\r")):
        return "bare_newline"
    # §4.5.3.1.6: a line may hold text_line - 2 octets before its CRLF
    if longest > limits.text_line - 2:
        return "data_line_too_long"
    return None


def line_ends_and_longest(content: bytes, window: int = 1 << 20) -> tuple[int, int]:
    """How many line ends (CRLF, CR or LF) ``content`` has, and the octets in its
    longest line (not counting the line end).

    ``splitlines`` is forty times quicker than a regular expression here; it runs
    on one window (about 1 MiB, cut after an LF) at a time, so a 25 MiB message
    is never copied whole.
    """
    line_ends, longest, start = 0, 0, 0
    while start < len(content):
        end = content.find(b"\n", start + window)
        end = len(content) if end < 0 else end + 1
        lines = content[start:end].splitlines()
        line_ends += len(lines)
        longest = max(longest, max(map(len, lines), default=0))
        start = end
    if content and content[-1:] not in (b"\r", b"\n"):
        line_ends -= 1  # the last line has no end
    return line_ends, longest


class DataReader:
    """Collects message text until <CRLF>.<CRLF>, chunk by chunk.

    Searches each new chunk once (with four octets of overlap), so a 1 MiB
    message costs one pass, not one per line. The size limit is checked on
    the message as RFC 1870 §5 defines its size: "the number of octets,
    including CR-LF pairs, but not the SMTP DATA command's terminating dot
    or doubled quoting dots". Dot-stuffing adds at most one octet per line
    of at least three (".<CRLF>" becomes "..<CRLF>"), so once the stuffed text
    passes 4/3 of ``max_size`` it is surely too big: from then on only the
    last four octets are kept, looking for the end without storing the text.
    """

    def __init__(self, max_size: int) -> None:
        # Start with the CRLF that ended the DATA line, so an empty message
        # (".\r\n" straight after 354) ends like any other (§4.1.1.4), and so
        # a period at the start of the first line is unstuffed like the rest.
        self._buffer = bytearray(b"\r\n")
        self._max_size = max_size
        self._surely_too_big = max_size * 4 // 3 + 4
        self._dropped = 0
        self.too_big = False

    @property
    def size(self) -> int:
        """Octets of (stuffed) message text received so far: what the client sent."""
        return self._dropped + len(self._buffer) - 2

    def feed(self, data: bytes | bytearray) -> tuple[bytes | None, bytes]:
        """Add ``data``. Returns (content, rest): content is the unstuffed message
        ending in CRLF (b"" if empty or refused as too big), or None while the
        end has not arrived; rest is whatever followed the end-of-data line.
        """
        buffer = self._buffer
        start = max(len(buffer) - 4, 0)
        buffer += data
        end = buffer.find(END_OF_DATA, start)
        if end < 0:
            if self.size > self._surely_too_big:
                self._forget_all_but_tail()
            return None, b""
        rest = bytes(buffer[end + 5:])
        del buffer[end + 2:]
        if self.too_big:
            return b"", rest
        self._dropped, self._buffer = self.size, bytearray(b"\r\n")
        # §4.5.2: a period that starts a line is removed. One copy out of the buffer (without
        # the CRLF it started with), then one pass that returns the same object when nothing
        # was stuffed (1 MiB message, server CPU: three copies -> one)
        content = bytes(memoryview(buffer)[2:]).replace(b"\r\n.", b"\r\n")
        if buffer[2:3] == b".":
            content = content[1:]  # the first line was stuffed too
        del buffer
        if len(content) > self._max_size:  # RFC 1870 §5: the size after unstuffing
            self.too_big = True
            return b"", rest
        return content, rest

    def _forget_all_but_tail(self) -> None:
        self.too_big = True
        self._dropped += len(self._buffer) - 6
        del self._buffer[2:-4]
