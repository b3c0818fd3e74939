"""A client and a server joined in memory: the notebooks' default transport.

No sockets, no threads, no ports: every byte the client writes goes straight
into the server session, and the server's replies straight back. The result
is deterministic, so a lesson shows the same thing on every run.
"""

from __future__ import annotations

import itertools
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from smtplearn.conversation import DEFAULT_CLIENT_NAME, Conversation
from smtplearn.transports.mailbox import Mailbox
from smtplearn.transports.memory_tls import MemoryTLS, WireView
from smtplearn.protocol import (Handler, Limits, LocalDelivery, LocalProtocolError, MessageAccepted, ServerSession,
                                State)
from smtplearn.protocol.auth import Credentials


class Pair(Conversation):
    """Our client talking to our server, in memory.

    >>> pair = Pair()
    >>> pair.ehlo().code
    250
    >>> pair.send_line("RCPT TO:<bob@example.org>").code   # out of order
    503

    ``tls=True`` (or a ``ClassCertificate``) gives the server a class-CA certificate and
    STARTTLS, run in memory with ``ssl.MemoryBIO`` (transports/memory_tls.py); ``users``
    lets clients log in (AUTH, offered once TLS is on); ``on_path`` edits what the server
    sends while the connection is in clear text (an attacker); ``client_context`` is
    what the client trusts (default: the class CA).
    """

    def __init__(self, handler: Handler | None = None, *, hostname: str = "mx.example.org",
                 local_domains: Iterable[str] | None = None, limits: Limits | None = None,
                 strict: bool = False, local_hostname: str = DEFAULT_CLIENT_NAME,
                 clock: Callable[[], datetime] | None = None, mailbox: Mailbox | None = None,
                 peer: str = "in-memory", queue_ids: Iterator[str] | None = None, tls: Any = False,
                 users: Mapping[str, str] | None = None, client_context: ssl.SSLContext | None = None,
                 on_path: Callable[[bytes], bytes] | None = None) -> None:
        # mailbox/peer/queue_ids let an in-memory host (the mini-Internet) keep one mailbox
        # and one queue-id sequence across many connections, and name who connected
        super().__init__(strict=strict, local_hostname=local_hostname)
        self.client_name, self.server_name = local_hostname, hostname
        queue_ids = queue_ids or (f"PAIR{n:04d}" for n in itertools.count(1))
        #: the TLS side of the connection (None: this server has no certificate, no STARTTLS)
        self.tls = (MemoryTLS(hostname, local_hostname, certificate=None if tls is True else tls,
                              client_context=client_context, on_path=on_path) if tls else None)
        authenticator = None
        if users:
            authenticator = Credentials(dict(users))
        self.server = ServerSession(handler or LocalDelivery(local_domains), hostname=hostname,
                                    limits=limits, peer=peer, clock=clock, queue_ids=queue_ids,
                                    tls_available=self.tls is not None, authenticator=authenticator)
        self.mailbox = mailbox if mailbox is not None else Mailbox()
        self._replies = bytearray()
        self._notes: list[str] = []
        self._take(self.server.start())
        #: the server's first words (§3.1)
        self.greeting = self._greet()

    def _take(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, MessageAccepted):
                self.mailbox.append(event.message)
            elif getattr(event, "note", ""):  # what the server noted (bare LF, a delayed reply)
                self._notes.append(event.note)
        # the delay a TCP transport would sleep (ServerSession.reply_delay): in memory it is
        # only noted, so a lesson runs at once
        out = self.server.data_to_send()
        self._replies += self.tls.to_client(out) if self.tls is not None else out

    def _await_replies(self, sent_at: float) -> list[Any]:
        exchanges = super()._await_replies(sent_at)
        for note in self._notes:  # after the turns they are about, as a server transcript has them
            self.transcript.note(note, source=self.server_name, kind="rfc")
        self._notes.clear()
        return exchanges

    def _write(self, data: bytes) -> None:
        self._take(self.server.receive_data(self.tls.to_server(data) if self.tls is not None else data))

    def _start_tls(self) -> str:
        """After the server's 220 to STARTTLS: the handshake in memory, then a fresh session (RFC 3207 §4.2)."""
        if self.tls is None:
            return super()._start_tls()  # says how to get a server with a certificate
        agreed = self.tls.start(self.transcript.note)
        self.server.tls_started()
        return agreed

    @property
    def wire(self) -> WireView:
        """The bytes on the wire since STARTTLS (ciphertext) beside what they carried (plaintext)."""
        return self.tls.wire if self.tls is not None else WireView([])

    def _read(self) -> bytes:
        out = bytes(self._replies)
        self._replies.clear()
        return out

    def _no_reply(self) -> Exception:
        # in memory, nothing to read means the server answered all it was sent: it may still be open
        if self.server.state is State.CLOSED:
            return super()._no_reply()
        waiting = self.session.waiting
        more = (" (after 354 it reads message text until a line with only a dot, RFC 5321 §4.1.1.4)"
                if self.server.state is State.DATA else "")
        return LocalProtocolError(
            f"the server has answered everything it was sent and waits for more in state "
            f"{self.server.state.name}{more}; the {waiting} repl{'y' if waiting == 1 else 'ies'} this "
            "client expects will not come: what it sent was not read as the commands it meant")

    @property
    def state(self) -> State:
        """The server's current state (the one the transition table moved it to)."""
        return self.server.state

    def __repr__(self) -> str:
        return f"<Pair {self.client_name} -> {self.server_name}, state {self.state.name}>\n{self.transcript.text()}"

    def _repr_html_(self) -> str:
        return (f"<p>Server state: <b>{self.state.name}</b> · {len(self.mailbox)} message(s) delivered</p>"
                + self.transcript._repr_html_())
