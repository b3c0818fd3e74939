"""Where accepted messages go: a list you can look at, and optionally a Maildir.

The transport appends a message *before* it sends the 250 that accepts it,
so a message the client saw accepted is always here (no loss on shutdown).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from html import escape
from pathlib import Path

from smtplearn.protocol.message import Message


class Mailbox:
    """Accepted messages, in order. Thread-safe; optionally also written to a Maildir."""

    def __init__(self, maildir: str | Path | None = None) -> None:
        self._messages: list[Message] = []
        self._lock = threading.Lock()
        self.maildir_path = Path(maildir) if maildir is not None else None
        self._maildir = None
        if self.maildir_path is not None:
            import mailbox  # stdlib; only needed when storing to disk
            self._maildir = mailbox.Maildir(self.maildir_path, create=True)

    def append(self, message: Message) -> None:
        with self._lock:
            if self._maildir is not None:
                self._maildir.add(message.delivered)  # RFC 5321 §4.4: Return-Path first
            self._messages.append(message)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def __iter__(self) -> Iterator[Message]:
        with self._lock:
            return iter(list(self._messages))

    def __len__(self) -> int:
        return len(self._messages)

    def __getitem__(self, index: int) -> Message:
        return self._messages[index]

    def __repr__(self) -> str:
        lines = [f"<Mailbox: {len(self)} message{'s' if len(self) != 1 else ''}>"]
        lines += [f"  {m!r}" for m in self]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{escape(m.queue_id)}</td><td>&lt;{escape(m.mail_from)}&gt;</td>"
            f"<td>{escape(', '.join(f'<{r}>' for r in m.rcpt_tos))}</td>"
            f"<td>{escape(str(m.email.get('Subject', '')))}</td><td>{len(m.content)}</td></tr>"
            for m in self)
        return ("<table><thead><tr><th>id</th><th>MAIL FROM (envelope)</th><th>RCPT TO (envelope)</th>"
                f"<th>Subject</th><th>octets</th></tr></thead><tbody>{rows}</tbody></table>"
                + ("" if len(self) else "<i>no messages yet</i>"))
