"""A real SMTP server on TCP, one thread per connection, in the background.

Threads (not asyncio) so it runs inside a Jupyter kernel without touching
the kernel's event loop. This module only moves bytes between sockets and
``ServerSession``s; every protocol decision is the session's. It binds
127.0.0.1 by default: a teaching server is not for the open Internet.
"""

from __future__ import annotations

import itertools
import queue
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from smtplearn.mailbox import Mailbox
from smtplearn.protocol import (Exchange, Handler, Limits, LocalDelivery, MessageAccepted,
                                ServerSession, State, reply)
from smtplearn.protocol.auth import Authenticator, Credentials
from smtplearn.protocol.events import Event
from smtplearn.protocol.server import queue_id_sequence
from smtplearn.transcript import Transcript

#: RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command
DEFAULT_IDLE_TIMEOUT = 300.0
#: how often a connection's thread checks for stop() while its client is silent (seconds)
POLL_INTERVAL = 0.2
#: how long a thread that finished with one client waits for the next (seconds). Starting a
#: thread costs ~150 µs of CPU, as much as a few SMTP commands, so busy servers reuse them.
THREAD_KEEPALIVE = 2.0


class _Connection:
    """One client: its socket, session and transcript. Only the connection's own thread
    touches the session and writes to the socket (a TLS socket must not be written from two
    threads); ``stopping`` asks that thread to answer 421 and close."""

    def __init__(self, sock: socket.socket, session: ServerSession, transcript: Transcript) -> None:
        self.sock, self.session, self.transcript = sock, session, transcript
        self.stopping = threading.Event()
        #: set once the socket is closed and the connection forgotten
        self.finished = threading.Event()


class Server:
    """The teaching server. Use it as a context manager, or call ``start``/``stop``.

    >>> with Server() as server:          # doctest: +SKIP
    ...     host, port = server.address
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, handler: Handler | None = None,
                 hostname: str = "smtplearn.test", local_domains: Iterable[str] | None = None,
                 limits: Limits | None = None, maildir: str | Path | None = None,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT, max_connections: int = 100,
                 keep_transcripts: int = 1000,
                 on_event: Callable[[Transcript, Event], None] | None = None,
                 tls_context: ssl.SSLContext | None = None, certificate: Any = None,
                 users: Mapping[str, str] | None = None, authenticator: Authenticator | None = None,
                 auth_without_tls: bool = False) -> None:
        self.host, self.port = host, port
        self.handler = handler or LocalDelivery(local_domains)
        self.hostname = hostname
        self.limits = limits or Limits()
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.mailbox = Mailbox(maildir)
        #: one transcript per connection, newest last (bounded, so a long run does not grow forever)
        self.transcripts: deque[Transcript] = deque(maxlen=keep_transcripts)
        self._on_event = on_event
        self._queue_numbers = itertools.count(1)
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._connections: set[_Connection] = set()
        self._connections_lock = threading.Lock()
        #: threads waiting for their next connection, and the queue that hands it to them
        self._idle_threads = 0
        self._handoff: queue.SimpleQueue[_Connection | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        #: STARTTLS is offered when there is a context: pass one, or certificate="self-signed"
        #: (a throw-away class CA, see smtplearn.tls), or certificate=(certfile, keyfile)
        self.certificate = _class_certificate(certificate)
        self.tls_context = tls_context or _server_context(self.certificate)
        #: AUTH PLAIN/LOGIN is offered (after STARTTLS, unless auth_without_tls) when set
        self.authenticator = authenticator or (Credentials(dict(users)) if users else None)
        self.auth_without_tls = auth_without_tls

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> Server:
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
        listener.listen(128)
        listener.settimeout(POLL_INTERVAL)  # so the accept loop notices stop() promptly
        self._listener = listener
        self._stopping.clear()
        self._accept_thread = threading.Thread(target=self._accept_loop, name="smtplearn-accept",
                                               daemon=True)
        self._accept_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening, answer every open session with 421 (§3.8), and wait for the threads.

        Every message already answered with 250 is in the mailbox: it was stored first.
        """
        self._stopping.set()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._connections_lock:
            open_connections = list(self._connections)
            idle, self._idle_threads = self._idle_threads, 0
        for _ in range(idle):
            self._handoff.put(None)  # an idle thread ends
        for conn in open_connections:
            conn.stopping.set()  # each thread sees it within POLL_INTERVAL
        for conn in open_connections:
            conn.finished.wait(timeout)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) clients connect to."""
        if self._listener is None:
            raise RuntimeError("the server is not running: call start() or use 'with Server() as s:'")
        host, port = self._listener.getsockname()[:2]
        return host, port

    @property
    def running(self) -> bool:
        return self._listener is not None and not self._stopping.is_set()

    @property
    def active_connections(self) -> int:
        with self._connections_lock:
            return len(self._connections)

    # -- threads ------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        listener = self._listener
        while not self._stopping.is_set():
            try:
                sock, peer = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.active_connections >= self.max_connections:
                self._refuse_busy(sock)
                continue
            conn = self._new_connection(sock, peer)
            with self._connections_lock:
                self._connections.add(conn)
                reuse = self._idle_threads > 0
                if reuse:
                    self._idle_threads -= 1
                    self._handoff.put(conn)
            if not reuse:
                threading.Thread(target=self._work, args=(conn,), daemon=True,
                                 name="smtplearn-connection").start()

    def _new_connection(self, sock: socket.socket, peer: Any) -> _Connection:
        session = ServerSession(self.handler, hostname=self.hostname, limits=self.limits,
                                peer=str(peer[0]), queue_ids=queue_id_sequence(self._queue_numbers),
                                tls_available=self.tls_context is not None,
                                authenticator=self.authenticator,
                                auth_without_tls=self.auth_without_tls)
        return _Connection(sock, session, Transcript(title=f"{peer[0]}:{peer[1]} -> {self.hostname}"))

    def _refuse_busy(self, sock: socket.socket) -> None:
        """§3.8: 421 to a client beyond max_connections, then close."""
        try:
            sock.sendall(reply("closing_busy", hostname=self.hostname).to_bytes())
        except OSError:
            pass
        _shutdown(sock)

    def _work(self, conn: _Connection | None) -> None:
        """A connection thread: serve a client, then the next one if it comes soon."""
        while conn is not None:
            self._serve(conn)
            conn = self._next_connection()

    def _next_connection(self) -> _Connection | None:
        """Wait up to THREAD_KEEPALIVE for the accept loop to hand over a connection."""
        with self._connections_lock:
            if self._stopping.is_set():
                return None
            self._idle_threads += 1
        try:
            return self._handoff.get(timeout=THREAD_KEEPALIVE)
        except queue.Empty:
            with self._connections_lock:  # the accept loop hands over under this lock too
                try:
                    return self._handoff.get_nowait()  # it counted on us just as we gave up
                except queue.Empty:
                    self._idle_threads -= 1
                    return None

    def _serve(self, conn: _Connection) -> None:
        sock = conn.sock
        self.transcripts.append(conn.transcript)
        # wake up every POLL_INTERVAL to notice stop() and the idle timeout
        sock.settimeout(min(self.idle_timeout, POLL_INTERVAL))
        idle_until = time.monotonic() + self.idle_timeout
        try:
            self._deliver(conn, conn.session.start())
            while conn.session.state is not State.CLOSED:
                if conn.session.tls_pending and not self._start_tls(conn):
                    break
                try:
                    data = conn.sock.recv(65536)
                except TimeoutError:
                    if conn.stopping.is_set():  # stop(): §3.8, 421 to an open session
                        self._deliver(conn, conn.session.close("shutdown"))
                        break
                    if time.monotonic() >= idle_until:
                        self._deliver(conn, conn.session.close("timeout"))
                        break
                    continue
                except OSError:
                    data = b""
                idle_until = time.monotonic() + self.idle_timeout
                if not data:
                    self._deliver(conn, conn.session.connection_lost())
                    break
                self._deliver(conn, conn.session.receive_data(data))
        finally:
            _shutdown(conn.sock)
            if conn.sock is not sock:
                _shutdown(sock)
            with self._connections_lock:
                self._connections.discard(conn)
            conn.finished.set()

    def _start_tls(self, conn: _Connection) -> bool:
        """After our 220 to STARTTLS: the handshake, then a fresh session (RFC 3207 §4.2).

        False when the handshake failed; the connection is then closed, as §4.1 allows.
        """
        assert self.tls_context is not None
        try:
            tls_sock = self.tls_context.wrap_socket(conn.sock, server_side=True)
        except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
            conn.transcript.note(f"TLS handshake failed: {err}", source=self.hostname, kind="tls")
            self._deliver(conn, conn.session.connection_lost())
            return False
        from smtplearn.tls import describe
        conn.sock = tls_sock
        conn.session.tls_started()
        conn.transcript.note(f"TLS handshake: {describe(tls_sock)}",
                             source=conn.session.peer or "client", target=self.hostname, kind="tls")
        return True

    def _deliver(self, conn: _Connection, events: list[Event]) -> None:
        """Store accepted messages and record the transcript, *then* send the replies."""
        for event in events:
            if isinstance(event, MessageAccepted):
                self.mailbox.append(event.message)
            elif isinstance(event, Exchange):
                conn.transcript.record(event, client=conn.session.peer or "client",
                                       server=self.hostname)
            if self._on_event is not None:
                self._on_event(conn.transcript, event)
        # the session's defences (tarpit, failed AUTH): wait before replying, but wake for stop()
        if conn.session.reply_delay:
            conn.stopping.wait(conn.session.reply_delay)
        out = conn.session.data_to_send()
        if out:
            try:
                conn.sock.sendall(out)
            except OSError:
                pass  # the client is gone; connection_lost follows on the next recv

    def __repr__(self) -> str:
        where = f"{self.address[0]}:{self.address[1]}" if self._listener else "stopped"
        return f"<Server {self.hostname} on {where}, {len(self.mailbox)} message(s)>"


def _class_certificate(certificate: Any) -> Any:
    if certificate == "self-signed":
        from smtplearn.tls import ClassCertificate
        return ClassCertificate()
    return certificate


def _server_context(certificate: Any) -> ssl.SSLContext | None:
    """An ssl context from certificate=ClassCertificate or (certfile, keyfile); None without."""
    if certificate is None:
        return None
    if hasattr(certificate, "server_context"):
        return certificate.server_context()
    if isinstance(certificate, (tuple, list)) and len(certificate) == 2:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        return context
    raise ValueError("certificate must be 'self-signed', a smtplearn.tls.ClassCertificate, "
                     f"or (certfile, keyfile); got {certificate!r}")


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
