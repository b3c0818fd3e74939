"""A real SMTP server on TCP: one asyncio event loop, in a background thread, for every connection.

The loop lives in its own thread, so ``Server`` works the same from a script,
the REPL and a notebook cell (Jupyter already runs its own loop in the
kernel's main thread; ours never touches it). This module only moves bytes
between sockets and ``ServerSession``s; every protocol decision is the
session's. It binds 127.0.0.1 by default: a teaching server is not for the
open Internet.

What the transport guarantees (README "Bounds"):

- no polling: every timeout is a deadline on the loop's clock;
- backpressure: while a client's replies are unsent, the server stops reading
  that client, and no reply is ever dropped (RFC 5321 §4.2: every command gets one);
- a message is stored *before* its 250 is written; a failed store is answered
  451 4.3.0 (452 4.3.1 when the disk is full) instead (RFC 5321 §4.2.3);
- ``stop()`` answers every open session 421 4.3.2 and returns within about a second;
- memory is bounded: connections, transcripts kept, turns per transcript,
  message text per turn, and messages kept (see the constants below).
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import itertools
import os
import socket
import ssl
import sys
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Literal, Union

from smtplearn.browser import require_sockets
from smtplearn.protocol import (Exchange, Handler, Limits, LocalDelivery, Reply, ServerSession,
                                Signal, State, reply)
from smtplearn.protocol.auth import Authenticator, Credentials
from smtplearn.protocol.errors import NotNowError, UsageError
from smtplearn.protocol.events import Event
from smtplearn.protocol.message import Message
from smtplearn.protocol.server import queue_id_sequence
from smtplearn.transcript import Note, Transcript
from smtplearn.transports.mailbox import Mailbox
from smtplearn.transports.tls import ClassCertificate

#: a certificate as given to Server(certificate=...): a ClassCertificate, "self-signed" for a
#: new one, or the paths (certfile, keyfile) of a real one
Certificate = Union[ClassCertificate, tuple[str, str]]
CertificateSpec = Union[Certificate, Literal["self-signed"], None]

#: RFC 5321 §4.5.3.2.7: a server SHOULD wait at least 5 minutes for the next command
DEFAULT_IDLE_TIMEOUT = 300.0
#: connections served at once; one more is greeted 421 4.3.2 and closed (RFC 5321 §4.2.3:
#: "421 <domain> Service not available, closing transmission channel")
DEFAULT_MAX_CONNECTIONS = 1000
#: transcripts kept (newest last); older ones are forgotten
KEEP_TRANSCRIPTS = 100
#: turns kept per transcript: the first KEEP_FIRST_TURNS, then the newest; the ones
#: between are summarised in one note ("… 999,000 NOOPs …")
TURNS_PER_TRANSCRIPT = 200
KEEP_FIRST_TURNS = 20
#: octets of message text a transcript keeps per message (the mailbox has all of it)
TRANSCRIPT_TEXT = 16 * 1024
#: messages kept in RAM without a Maildir (with one: index entries; the text is on disk)
KEEP_MESSAGES = 1000
#: octets read from a socket at a time
READ_BUFFER = 64 * 1024
#: octets received on one connection after which its end gives freed memory back (glibc)
BIG_SESSION = 4 * 2**20
#: how long a TLS connection waits for the client's close_notify after ours (seconds)
TLS_SHUTDOWN = 5.0
#: start_tls takes ssl_shutdown_timeout from Python 3.11 on; 3.10 uses its own default
_SHUTDOWN_TIMEOUT: dict[str, Any] = {"ssl_shutdown_timeout": TLS_SHUTDOWN} if sys.version_info >= (3, 11) else {}
#: how long stop() lets the 421s reach the clients before it cuts the rest off (seconds)
STOP_GRACE = 0.5


class BoundedTranscript(Transcript):
    """A transcript that keeps its first and newest turns and counts the ones between.

    A client can send a million NOOPs; the server's record of it stays a few
    hundred entries: the first ``KEEP_FIRST_TURNS``, one note counting what
    was left out by command, and the newest ones. Message text is cut to
    ``TRANSCRIPT_TEXT`` octets (the mailbox keeps the whole message).
    """

    def __init__(self, title: str = "", *, max_entries: int = TURNS_PER_TRANSCRIPT,
                 keep_first: int = KEEP_FIRST_TURNS, text_limit: int = TRANSCRIPT_TEXT) -> None:
        super().__init__(title=title)
        self.max_entries, self.text_limit = max(max_entries, 4), text_limit
        self.keep_first = min(keep_first, self.max_entries // 2)
        #: what was left out, by command ("NOOP": 999000)
        self.left_out: Counter[str] = Counter()

    def record(self, exchange: Exchange, **kwargs: Any) -> Any:
        if exchange.trigger is Signal.END_OF_DATA and len(exchange.sent) > self.text_limit:
            cut = len(exchange.sent) - self.text_limit
            exchange = dataclasses.replace(
                exchange, sent=exchange.sent[:self.text_limit] + f"\r\n[… {cut:,} more octets]\r\n".encode())
        turn = super().record(exchange, **kwargs)
        if len(self.entries) >= self.max_entries + self.max_entries // 4:
            self._fold()
        return turn

    def _fold(self) -> None:
        """Summarise the oldest entries after the first ones (in batches: amortised O(1))."""
        start = self.keep_first + (1 if self.left_out else 0)
        end = start + len(self.entries) - self.max_entries
        self.left_out.update(map(_label, self.entries[start:end]))
        when = self.entries[start].time
        del self.entries[start:end]
        summary = ", ".join(f"{n:,} {label}" for label, n in self.left_out.most_common())
        note = Note(when, "client", "client", f"… {summary} not kept …", "summary")
        if start > self.keep_first:
            self.entries[self.keep_first] = note
        else:
            self.entries.insert(self.keep_first, note)


def _label(entry: Any) -> str:
    trigger = getattr(entry, "trigger", None)
    if trigger is None:
        return "notes" if isinstance(entry, Note) else "greetings"
    if trigger is Signal.END_OF_DATA:
        return "message texts"
    return f"{trigger.value}s"


class _Storing(Handler):
    """The server's handler: the user's, plus storing each message before its 250.

    RFC 5321 §4.2.3: when the message cannot be stored, 451 (local error) or
    452 (insufficient system storage) tells the client to keep it and retry,
    instead of a 250 for a message that was lost.
    """

    def __init__(self, inner: Handler, server: Server) -> None:
        self._inner, self._server = inner, server
        # every other hook is the user's own (an instance attribute wins over Handler's default)
        for name in vars(Handler):
            if name.startswith("on_") and name != "on_message":
                setattr(self, name, getattr(inner, name))

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name.startswith("on_"):
            # the user's hook, kept: otherwise every hook call first fails the normal look-up
            # (an AttributeError made and dropped; ~1 us each, four per connection)
            setattr(self, name, value)
        return value

    def on_message(self, session: ServerSession, message: Message) -> Reply | None:
        refusal = self._inner.on_message(session, message)
        if refusal is not None:
            return refusal
        try:
            self._server.mailbox.append(message)
        except OSError as err:
            where = self._server.mailbox.maildir_path
            self._server.log(f"cannot store message {message.queue_id} in {where}: {err}")
            full = err.errno in (errno.ENOSPC, errno.EDQUOT)
            return reply("storage_full" if full else "temporary_failure")
        return None


# reasons to stop reading a client (bit flags): its replies are unsent, they are being
# held back (tarpit), or the TLS handshake is about to start
_WRITE_BLOCKED, _DELAYED, _TLS = 1, 2, 4


class _Connection(asyncio.BufferedProtocol):
    """One client on the loop: its transport, session and transcript.

    A buffered protocol: the loop reads into one 64 KiB buffer that every
    connection of the server shares (the loop runs one read at a time, and each
    read is copied out at once), instead of allocating a 256 KiB bytes object
    for every read; an idle connection costs no buffer at all.
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        assert server._loop is not None, "connections are made by the server's running loop"
        self.loop: asyncio.AbstractEventLoop = server._loop
        self.transport: Any = None
        self.session: ServerSession | None = None
        self.transcript: BoundedTranscript | None = None
        self.paused = 0
        self.last_activity = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.delayed = bytearray()
        self.early = bytearray()
        self.received = 0
        self.buffer = server._read_buffer
        self.closed = False

    # -- asyncio callbacks ---------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        server = self.server
        self.transport = transport
        if len(server._live) >= server.max_connections or server._closing:
            # a client beyond the limit gets a 421 greeting and the close (RFC 5321 §4.2.3)
            transport.write(reply("closing_busy", hostname=server.hostname).to_bytes())
            transport.close()
            self.closed = True
            return
        server._connections.add(self)
        server._live.add(self)
        peer = transport.get_extra_info("peername") or ("?", 0)
        self.session = ServerSession(server._session_handler, hostname=server.hostname,
                                     limits=server.limits, peer=str(peer[0]),
                                     queue_ids=server._queue_ids,
                                     tls_available=server.tls_context is not None,
                                     authenticator=server.authenticator,
                                     auth_without_tls=server.auth_without_tls)
        self.transcript = BoundedTranscript(f"{peer[0]}:{peer[1]} -> {server.hostname}",
                                            max_entries=server.turns_per_transcript)
        server.transcripts.append(self.transcript)
        self.last_activity = self.loop.time()
        self.timer = self.loop.call_at(self.last_activity + server.idle_timeout, self._check_idle)
        self._deliver(self.session.start())

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self.buffer[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        self.last_activity = self.loop.time()
        self.received += len(data)
        if self.paused & _TLS:
            # decrypted bytes can arrive before start_tls() returns to us: keep them for the
            # new session (what came before the handshake was thrown away, CVE-2011-0411)
            self.early += data
            return
        assert self.session is not None
        self._deliver(self.session.receive_data(data))

    def eof_received(self) -> bool:
        """The client closed its side: close ours after the replies already written.

        Replies held back (tarpit) cannot be pending here: reading is paused while they
        wait, so the end of the input is only seen once they are written.
        """
        return False  # asyncio closes after the buffered replies (connection_lost follows)

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone()

    def pause_writing(self) -> None:
        """The socket's send buffer is full: the client is not reading its replies."""
        self._pause(_WRITE_BLOCKED)

    def resume_writing(self) -> None:
        self.last_activity = self.loop.time()
        self._resume(_WRITE_BLOCKED)

    # -- moving bytes ----------------------------------------------------------------
    def _pause(self, reason: int) -> None:
        if not self.paused and not self.closed:
            self.transport.pause_reading()
        self.paused |= reason

    def _resume(self, reason: int) -> None:
        was = self.paused
        self.paused &= ~reason
        if was and not self.paused and not self.closed:
            self.transport.resume_reading()

    def _deliver(self, events: list[Event], *, write: bool = True) -> None:
        """Record the events, then send the replies (each accepted message is already stored)."""
        session, transcript, on_event = self.session, self.transcript, self.server._on_event
        assert session is not None and transcript is not None
        for event in events:
            if isinstance(event, Exchange):
                transcript.record(event, client=session.peer or "client", server=self.server.hostname)
            if on_event is not None:
                on_event(transcript, event)
        # the session's defences (tarpit, failed AUTH) ask us to wait before replying;
        # read before data_to_send(), which resets it
        delay = session.reply_delay
        out = session.data_to_send()
        if not write or self.closed:
            return
        if out and (delay > 0 or self.delayed):
            self.delayed += out
            if not self.paused & _DELAYED:
                self._pause(_DELAYED)
                self.loop.call_later(max(delay, 0.0), self._send_delayed)
        elif out:
            self.transport.write(out)
        if session.tls_pending and not self.paused & _TLS:
            self._pause(_TLS)  # the ClientHello must reach the TLS layer, not the session
            self.loop.create_task(self._start_tls())
        if session.state is State.CLOSED and not self.delayed:
            self._close()

    def _send_delayed(self) -> None:
        if self.closed:
            return
        out, self.delayed = bytes(self.delayed), bytearray()
        self.transport.write(out)
        assert self.session is not None
        if self.session.state is State.CLOSED:
            self._close()
        else:
            self._resume(_DELAYED)

    async def _start_tls(self) -> None:
        """After our 220 to STARTTLS: the handshake, then a fresh session (RFC 3207 §4.2).

        The handshake gets the idle timeout as its deadline; when it fails there is
        no channel left to answer on, so the connection is closed.
        """
        server, session, transcript = self.server, self.session, self.transcript
        assert server.tls_context is not None and session is not None and transcript is not None
        if self.delayed:
            self._send_delayed()
        try:
            tls_transport = await self.loop.start_tls(
                self.transport, self, server.tls_context, server_side=True,
                ssl_handshake_timeout=server.idle_timeout, **_SHUTDOWN_TIMEOUT)
        except Exception as err:  # noqa: BLE001 -- ssl.SSLError, a timeout, a reset: all end it
            transcript.note(f"TLS handshake failed: {err or type(err).__name__}",
                            source=server.hostname, kind="tls")
            self._close(abort=True)
            self._gone()  # the TLS layer does not tell us connection_lost before a handshake
            return
        if self.closed:
            return
        self.transport = tls_transport
        session.tls_started()
        transcript.note(f"TLS handshake: {_describe(tls_transport)}",
                        source=session.peer or "client", target=server.hostname, kind="tls")
        self.last_activity = self.loop.time()
        self._resume(_TLS)
        if self.early:
            early, self.early = bytes(self.early), bytearray()
            self.data_received(early)

    def _check_idle(self) -> None:
        """The idle deadline came: 421 when the client was silent for idle_timeout (§4.5.3.2.7)."""
        if self.closed:
            return
        deadline = self.last_activity + self.server.idle_timeout
        if self.paused & _TLS:  # the handshake has its own deadline (start_tls)
            deadline = self.loop.time() + self.server.idle_timeout
        if self.loop.time() < deadline:
            self.timer = self.loop.call_at(deadline, self._check_idle)
            return
        if self.paused & _WRITE_BLOCKED:  # it has not read our replies for that long either
            self._close(abort=True)
            return
        assert self.session is not None
        self._deliver(self.session.close("timeout"))

    def shut_down(self) -> None:
        """stop(): send what is held back, then 421 4.3.2 (§3.8) and close.

        Each data_received runs to its end before this can run, so a command in
        progress is finished; a message half received is dropped (never answered 250).
        """
        if self.closed or self.session is None:
            return
        if self.paused & _TLS:  # in the middle of a handshake: nothing can be said in clear
            self._close(abort=True)
            return
        if self.delayed:
            self._send_delayed()
        if not self.closed:
            self._deliver(self.session.close("shutdown"))
            self._close()

    def _close(self, abort: bool = False) -> None:
        """End the session and close (after what is buffered is written, unless ``abort``)."""
        self.closed = True
        if abort:
            self.transport.abort()
        else:
            self.transport.close()  # a TLS close_notify may take a while: the session is over now
        self._end_session()

    def _end_session(self) -> None:
        """The session is over: tell it (if it did not know), forget it as an active connection."""
        if self.timer is not None:
            self.timer.cancel()
        self.closed = True
        if self.session is not None and self.session.state is not State.CLOSED:
            self._deliver(self.session.connection_lost(), write=False)
        self.server._connections.discard(self)

    def _gone(self) -> None:
        """The transport is closed: its socket is free."""
        self._end_session()
        if self.received > BIG_SESSION:
            _give_back_memory()
        server = self.server
        server._live.discard(self)
        if server._closing and not server._live and server._all_closed is not None:
            server._all_closed.set()


class Server:
    """The teaching server. Use it as a context manager, or call ``start``/``stop``.

    >>> with Server() as server:          # doctest: +SKIP
    ...     host, port = server.address

    Handler hooks run on the server's loop thread: keep them quick (a slow hook
    holds up every session).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, handler: Handler | None = None,
                 hostname: str = "smtplearn.test", local_domains: Iterable[str] | None = None,
                 limits: Limits | None = None, maildir: str | Path | None = None,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS,
                 keep_transcripts: int = KEEP_TRANSCRIPTS,
                 turns_per_transcript: int = TURNS_PER_TRANSCRIPT,
                 keep_messages: int = KEEP_MESSAGES,
                 on_event: Callable[[Transcript, Event], None] | None = None,
                 log: Callable[[str], None] | None = None,
                 tls_context: ssl.SSLContext | None = None, certificate: CertificateSpec = None,
                 users: Mapping[str, str] | None = None, authenticator: Authenticator | None = None,
                 auth_without_tls: bool = False) -> None:
        require_sockets("smtplearn.Server")
        self.host, self.port = host, port
        self.handler = handler or LocalDelivery(local_domains)
        self._session_handler = _Storing(self.handler, self)
        self.hostname = hostname
        self.limits = limits or Limits()
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.turns_per_transcript = turns_per_transcript
        #: accepted messages (newest keep_messages; with a Maildir the text is only on disk)
        self.mailbox = Mailbox(maildir, keep=keep_messages)
        #: one transcript per connection, newest last (bounded, so a long run does not grow forever)
        self.transcripts: deque[Transcript] = deque(maxlen=keep_transcripts)
        self._on_event = on_event
        #: where the server says what went wrong on its side (a failed Maildir write)
        self.log = log or _stderr
        self._queue_ids = queue_id_sequence(itertools.count(1))
        #: STARTTLS is offered when there is a context: pass one, or certificate="self-signed"
        #: (a throw-away class CA, see smtplearn.transports.tls), or certificate=(certfile, keyfile)
        self.certificate = _class_certificate(certificate)
        self.tls_context = tls_context or _server_context(self.certificate)
        #: AUTH PLAIN/LOGIN is offered (after STARTTLS, unless auth_without_tls) when set
        self.authenticator = authenticator or (Credentials(dict(users)) if users else None)
        self.auth_without_tls = auth_without_tls
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._aserver: asyncio.base_events.Server | None = None
        self._address: tuple[str, int] | None = None
        #: sessions open (active_connections), and connections whose socket is still open
        self._connections: set[_Connection] = set()
        self._live: set[_Connection] = set()
        self._closing = False
        self._all_closed: asyncio.Event | None = None
        #: where the loop reads any connection's bytes (one read at a time, copied out at once)
        self._read_buffer = memoryview(bytearray(READ_BUFFER))

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> Server:
        """Open the listening socket and start the loop's thread; returns the server."""
        if self._thread is not None:
            return self
        listener = self._listen()
        self._closing = False
        loop = self._loop = new_event_loop()
        ready: list[BaseException | None] = []
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._aserver = loop.run_until_complete(loop.create_server(
                    lambda: _Connection(self), sock=listener, backlog=1024))
            except BaseException as err:  # noqa: BLE001 -- handed to the caller of start()
                ready.append(err)
                started.set()
                return
            ready.append(None)
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="smtplearn-server", daemon=True)
        self._thread.start()
        started.wait()
        if ready[0] is not None:
            self._thread.join()
            self._thread = None
            listener.close()
            raise ready[0]
        self._address = tuple(listener.getsockname()[:2])
        return self

    def _listen(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
        except OSError as err:
            listener.close()
            raise OSError(err.errno, f"cannot listen on {self.host}:{self.port}: {err.strerror}. "
                          "Pick another port (port=0 lets the system choose one); ports below "
                          "1024, such as 25, need root.") from err
        listener.listen(1024)
        listener.setblocking(False)
        return listener

    def stop(self, timeout: float = 1.0) -> None:
        """Stop listening, answer every open session 421 (§3.8), close; returns within ~``timeout``.

        Every message already answered with 250 is in the mailbox: it was stored first.
        """
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if threading.current_thread() is thread:
            raise NotNowError("stop() was called from the server's own loop (a handler or on_event "
                               "callback); call it from another thread, e.g. the notebook cell")
        future = asyncio.run_coroutine_threadsafe(self._shut_down(timeout), loop)
        try:
            future.result(timeout + 1.0)
        except (FutureTimeout, RuntimeError):
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout + 1.0)
        self._thread = self._loop = self._aserver = None
        self._address = None

    async def _shut_down(self, timeout: float) -> None:
        self._closing = True
        self._all_closed = asyncio.Event()
        if self._aserver is not None:
            self._aserver.close()  # no new connections
        for conn in list(self._connections):
            conn.shut_down()
        if self._live:
            try:  # the 421s and the last replies go out; a client that does not read is cut off
                await asyncio.wait_for(self._all_closed.wait(), min(STOP_GRACE, timeout))
            except asyncio.TimeoutError:
                pass
        for conn in list(self._live):
            conn.transport.abort()
            conn._gone()
        for _ in range(3):  # let the transports' close callbacks run (they close the sockets)
            await asyncio.sleep(0)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) clients connect to."""
        if self._address is None:
            raise NotNowError("the server is not running: call start() or use 'with Server() as s:'")
        return self._address

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._closing

    @property
    def active_connections(self) -> int:
        return len(self._connections)

    def __repr__(self) -> str:
        where = f"{self.address[0]}:{self.address[1]}" if self._address else "stopped"
        return f"<Server {self.hostname} on {where}, {self.mailbox.total} message(s)>"


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The server's loop: uvloop's when it is installed (``pip install smtplearn[fast]``),
    else asyncio's. ``SMTPLEARN_UVLOOP=0`` in the environment picks asyncio's anyway.

    Either runs in the server's own thread, so a notebook's loop is never replaced.
    """
    # uvloop: server CPU per smtplib connection 630 -> 504 us, per 1 MiB message 5.3 -> 4.5 ms
    if os.environ.get("SMTPLEARN_UVLOOP", "1") != "0":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _give_back_memory() -> None:
    """Return freed heap pages to the system after a session that moved big messages.

    glibc raises its mmap threshold after the first big buffer is freed, so later
    10 MB buffers come from the heap and stay in the process when freed (issue 11:
    15 messages of 10 MB left +33 MiB; with this, +2 MiB). Only on glibc.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


def _stderr(text: str) -> None:
    print(f"smtplearn server: {text}", file=sys.stderr, flush=True)


def _describe(transport: Any) -> str:
    """What a handshake agreed, for a transcript note: "TLSv1.3, TLS_AES_256_GCM_SHA384"."""
    tls = transport.get_extra_info("ssl_object")
    cipher = tls.cipher() if tls is not None else None
    return f"{tls.version() if tls else 'TLS'}, {cipher[0] if cipher else 'no cipher'}"


def _class_certificate(certificate: CertificateSpec) -> Certificate | None:
    """A throw-away class certificate for "self-signed"; any other certificate as given."""
    if certificate == "self-signed":
        return ClassCertificate()
    if certificate is None or isinstance(certificate, ClassCertificate):
        return certificate
    if isinstance(certificate, (tuple, list)) and len(certificate) == 2:
        return (str(certificate[0]), str(certificate[1]))
    raise UsageError("certificate must be 'self-signed', a smtplearn.transports.tls.ClassCertificate, "
                     f"or (certfile, keyfile); got {certificate!r}")


def _server_context(certificate: Certificate | None) -> ssl.SSLContext | None:
    """An ssl context from certificate=ClassCertificate or (certfile, keyfile); None without."""
    if certificate is None:
        return None
    if isinstance(certificate, ClassCertificate):
        return certificate.server_context()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context
