"""An SMTP client over a real TCP connection, to our server or anyone's.

The same command methods as ``Pair`` (from ``Conversation``); this module
only opens the socket and applies the per-command timeouts of RFC 5321
§4.5.3.2. A refusal is a ``Reply`` to look at; only a broken connection or
a silent server raises.
"""

from __future__ import annotations

import socket
import ssl
import time
from types import MappingProxyType
from typing import Any

from smtplearn.browser import require_sockets
from smtplearn.conversation import DEFAULT_CLIENT_NAME, Conversation, SMTPTimeoutError
from smtplearn.protocol import Error, ProtocolError, Signal, State, Verb
from smtplearn.transports.tls import describe

#: RFC 5321 §4.5.3.2: how long a client waits for each reply, in seconds
RFC_TIMEOUTS = MappingProxyType({
    None: 300.0,                # §4.5.3.2.1 initial 220 message: 5 minutes
    Verb.MAIL: 300.0,           # §4.5.3.2.2 MAIL: 5 minutes
    Verb.RCPT: 300.0,           # §4.5.3.2.3 RCPT: 5 minutes
    Verb.DATA: 120.0,           # §4.5.3.2.4 DATA initiation: 2 minutes
    Signal.END_OF_DATA: 600.0,  # §4.5.3.2.6 DATA termination: 10 minutes
})
#: RFC 5321 §4.5.3.2.5 data block: 3 minutes for each send of a chunk of the message text
DATA_BLOCK_TIMEOUT = 180.0
#: the RFC gives no time for the TLS handshake (RFC 3207); we allow what a command gets
TLS_HANDSHAKE_TIMEOUT = 300.0


class SMTPConnectError(Error, ConnectionError):
    """No SMTP conversation could be opened (refused, unreachable, timed out)."""


class SMTPTLSError(ProtocolError):
    """STARTTLS was accepted (220) but no TLS session came of it (RFC 3207 §4).

    The message says what the server did: sent something that is not TLS, closed
    the connection, or showed a certificate the client does not trust.
    """


class Client(Conversation):
    """Talk SMTP to a real server.

    >>> with Client("127.0.0.1", 2525) as c:     # doctest: +SKIP
    ...     c.ehlo(); c.send_mail("a@example.org", ["b@example.org"], "Subject: hi\\r\\n\\r\\nhello")
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 25, *, timeout: float | None = None,
                 connect_timeout: float = 30.0, local_hostname: str = DEFAULT_CLIENT_NAME,
                 strict: bool = False, server_name: str | None = None,
                 tls_context: ssl.SSLContext | None = None) -> None:
        require_sockets("smtplearn.Client")
        super().__init__(strict=strict, local_hostname=local_hostname)
        self.host, self.port = host, port
        self.client_name = local_hostname
        self.server_name = server_name or f"{host}:{port}"
        #: one timeout for every reply (seconds), or None for the RFC's per-command ones
        self.timeout = timeout
        #: used by starttls(); None: the system's CAs, with host name checks
        self.tls_context = tls_context
        # the deadline of the reply being read: set when session.waiting changes
        self._waiting_for, self._wait, self._deadline = -1, 0.0, 0.0
        try:
            self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        except OSError as err:
            raise SMTPConnectError(_connect_advice(host, port, err)) from err
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        #: the server's first words (§3.1)
        self.greeting = self._greet()

    def _send_data_block(self, block: bytes) -> None:
        # Conversation.send_text calls this once per block of the message text; it goes through
        # _write like any other bytes, only under the data-block deadline
        wait = self.timeout if self.timeout is not None else DATA_BLOCK_TIMEOUT
        if self.sock.gettimeout() != wait:
            self.sock.settimeout(wait)
        try:
            self._write(block)
        except TimeoutError:
            raise SMTPTimeoutError(f"{self.host}:{self.port} took no more of the message within {wait:g} s "
                                   "(RFC 5321 §4.5.3.2.5: 3 minutes per send)") from None

    def _start_tls(self) -> str:
        """Wrap the socket in TLS after the server's 220 to STARTTLS (RFC 3207 §4).

        A failed handshake is an ``SMTPTLSError`` that says what the server did.
        """
        context = self.tls_context or ssl.create_default_context()
        wait = self.timeout if self.timeout is not None else TLS_HANDSHAKE_TIMEOUT
        self.sock.settimeout(wait)
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=self.host)
        except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
            self.close()
            raise SMTPTLSError(_tls_failure(f"{self.host}:{self.port}", err, wait)) from err
        return describe(self.sock)

    def _read(self) -> bytes:
        """Bytes from the server, within the deadline of the reply being waited for.

        The deadline is per reply, not per read: a server dripping one byte at a
        time cannot hold the client past it (RFC 5321 §4.5.3.2 gives the times).
        """
        session, sock = self.session, self.sock
        waiting = session.waiting
        try:
            if waiting != self._waiting_for:  # a new reply is awaited: its own deadline
                trigger = session.next_trigger
                wait = self.timeout if self.timeout is not None else RFC_TIMEOUTS.get(trigger, 300.0)
                self._wait, self._waiting_for = wait, waiting
                self._deadline = time.monotonic() + wait
                if sock.gettimeout() != wait:
                    sock.settimeout(wait)  # a system call, so only when it changes
            else:  # more of the same reply: only what is left of its deadline
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
            return sock.recv(65536)
        except TimeoutError:
            self._waiting_for = -1
            trigger = session.next_trigger
            what = "the greeting" if trigger is None else getattr(trigger, "value", str(trigger))
            raise SMTPTimeoutError(f"no reply to {what} from {self.host}:{self.port} within "
                                   f"{self._wait:g} s (RFC 5321 §4.5.3.2)") from None
        except ConnectionResetError:
            return b""

    def _write(self, data: bytes) -> None:
        self._waiting_for = -1  # the next read waits for a new reply
        self.sock.sendall(data)

    def close(self) -> None:
        """Close the socket (without QUIT; ``quit()`` is the polite way)."""
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self.session.state is not State.CLOSED:
                self.quit()
        except (OSError, ProtocolError):  # a broken peer: the error that matters was raised already
            pass
        finally:
            self.close()

    def __repr__(self) -> str:
        return f"<Client to {self.host}:{self.port}, state {self.state.name}>\n{self.transcript.text()}"

    def _repr_html_(self) -> str:
        return f"<p>Server state: <b>{self.state.name}</b></p>" + self.transcript._repr_html_()


def _tls_failure(server: str, err: Exception, wait: float) -> str:
    """What the server did when the TLS handshake after its 220 to STARTTLS failed."""
    start = f"{server} answered STARTTLS with 220 but "
    if isinstance(err, ssl.SSLCertVerificationError):
        return (start + f"showed a certificate this client does not trust ({err.verify_message}). "
                "Give Client(tls_context=...) the CA that signed it (a class server: "
                "ClassCertificate.client_context()).")
    if isinstance(err, TimeoutError):
        return start + f"did not complete the TLS handshake within {wait:g} s."
    if isinstance(err, (ssl.SSLEOFError, ConnectionError)) or "EOF" in str(err):
        return start + "closed the connection during the TLS handshake."
    reason = getattr(err, "reason", None) or str(err)
    return (start + f"then sent bytes that are not TLS ({reason}): it did not start TLS, "
            "or something between you rewrote the connection. RFC 3207 §4: after the 220 "
            "the TLS negotiation starts, so every byte from then on is TLS.")


def _connect_advice(host: str, port: int, err: OSError) -> str:
    base = f"cannot connect to {host}:{port}: {err.strerror or err}"
    if isinstance(err, ConnectionRefusedError):
        return (base + ". Nothing listens there: start a server (python -m smtplearn serve "
                "--port 2525) or check the port.")
    if port == 25:
        return (base + ". Many networks (and Binder) block outgoing port 25 to stop spam; "
                "try the course's mini-Internet, or a server on 127.0.0.1.")
    return base + ". Check the host name, the port, and that the server is running."
