"""Where accepted messages go: a bounded list you can look at, or a Maildir.

The transport stores a message *before* it sends the 250 that accepts it,
so a message the client saw accepted is always here (no loss on shutdown).
A failed write raises ``OSError``; the server then answers 451/452 instead
of 250 (RFC 5321 §4.2.3), so nothing answered 250 is ever missing.

Memory stays bounded: without a Maildir the newest ``keep`` messages are
kept (``total`` still counts them all); with a Maildir the message text is
on disk only, and RAM keeps a small index (envelope and file name) of the
newest ``keep``, read back from disk when you look at one.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import deque
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any, overload

from smtplearn.protocol.message import Message
from smtplearn.render.html import html_table

#: a Maildir is these three folders (maildir(5)): written in tmp/, moved to new/
MAILDIR_FOLDERS = ("tmp", "new", "cur")


class Mailbox:
    """Accepted messages, in order. Thread-safe; optionally written to a Maildir.

    ``keep``: how many messages (or, with a Maildir, index entries) stay in RAM;
    None keeps all (the in-memory ``Pair`` and the mini-Internet, which are small).
    """

    def __init__(self, maildir: str | Path | None = None, *, keep: int | None = None) -> None:
        self._messages: deque[Message] = deque(maxlen=keep)
        #: Maildir file names of the messages in _messages (same order), with a Maildir
        self._keys: deque[tuple[str, int]] = deque(maxlen=keep)
        #: every message stored since the start (or the last clear()), kept or not
        self.total = 0
        self._lock = threading.Lock()
        self.maildir_path = Path(maildir) if maildir is not None else None
        self._maildir: Any = None
        if self.maildir_path is not None:
            try:
                self._open_maildir()
            except OSError:
                pass  # tried again at the first message, whose 451 then says why

    def _open_maildir(self) -> None:
        """Open the Maildir, making it first if it is missing or an empty folder.

        ``mailbox.Maildir(create=True)`` only creates a folder that does not exist;
        an existing folder without tmp/new/cur (what ``mkdir mail`` gives) would
        fail at the first message, so the three folders are made here.
        """
        import mailbox  # stdlib; only needed when storing to disk
        assert self.maildir_path is not None
        for folder in MAILDIR_FOLDERS:
            os.makedirs(self.maildir_path / folder, exist_ok=True)
        self._maildir = mailbox.Maildir(self.maildir_path, create=False)

    def append(self, message: Message) -> None:
        """Store ``message``; raises ``OSError`` when the Maildir cannot take it."""
        with self._lock:
            if self.maildir_path is not None:
                key, offset = self._write(message)
                self._keys.append((key, offset))
                message = dataclasses.replace(message, content=b"")  # the text stays on disk
            self._messages.append(message)
            self.total += 1

    def _write(self, message: Message) -> tuple[str, int]:
        """Write to the Maildir; a removed Maildir is made again once, then retried."""
        data = message.delivered  # RFC 5321 §4.4: Return-Path first, at final delivery
        offset = len(data) - len(message.content)  # where the content starts in the file
        if self._maildir is None:
            self._open_maildir()
        try:
            return self._maildir.add(data), offset
        except FileNotFoundError:
            self._open_maildir()  # someone removed it: make it again (raises if we cannot)
            return self._maildir.add(data), offset

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._keys.clear()
            self.total = 0

    def _load(self, index: int) -> Message:
        message = self._messages[index]
        if self.maildir_path is None:
            return message
        key, offset = self._keys[index]
        try:
            content = self._maildir.get_bytes(key)[offset:]
        except (KeyError, OSError):  # moved or deleted by a mail reader since
            return message
        return dataclasses.replace(message, content=content)

    def __iter__(self) -> Iterator[Message]:
        with self._lock:
            count = len(self._messages)
            return iter([self._load(i) for i in range(count)])

    def __len__(self) -> int:
        return len(self._messages)

    @overload
    def __getitem__(self, index: int) -> Message: ...
    @overload
    def __getitem__(self, index: slice) -> list[Message]: ...

    def __getitem__(self, index: int | slice) -> Message | list[Message]:
        with self._lock:
            if isinstance(index, slice):  # mailbox[-3:], as with a list
                return [self._load(i) for i in range(len(self._messages))[index]]
            return self._load(index)

    def __repr__(self) -> str:
        shown = len(self)
        more = f" ({self.total - shown} older not kept in memory)" if self.total > shown else ""
        lines = [f"<Mailbox: {shown} message{'s' if shown != 1 else ''}{more}>"]
        lines += [f"  {m!r}" for m in self]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [[escape(m.queue_id), f"&lt;{escape(m.mail_from)}&gt;",
                 escape(", ".join(f"<{r}>" for r in m.rcpt_tos)), escape(str(m.email.get("Subject", ""))),
                 str(len(m.content))] for m in self]
        return (html_table(("id", "MAIL FROM (envelope)", "RCPT TO (envelope)", "Subject", "octets"), rows)
                + ("" if len(self) else "<i>no messages yet</i>"))
