"""How a sending MTA opens an SMTP conversation with one address of one MX host.

``deliver`` never opens sockets itself: it asks a *connector* for a
``Conversation`` (the command methods every transport shares). Swap the
connector and the same delivery code talks to real servers over TCP
(``TCPConnector``) or to in-process hosts of the mini-Internet
(``smtplearn.mini_internet``). A connector either returns a conversation whose
greeting has been read, or raises ``OSError`` (refused, unreachable, timed out).
"""

from __future__ import annotations

import errno
from typing import Protocol

from smtplearn.conversation import Conversation
from smtplearn.transports.client import Client

__all__ = ["Connector", "TCPConnector", "connect_failure_text", "CONNECT_TIMEOUT"]

#: seconds to wait for a TCP connection (RFC 5321 §4.5.3.2 gives none; 5 minutes for the greeting)
CONNECT_TIMEOUT = 30.0


class Connector(Protocol):
    """Open an SMTP conversation with ``host`` at ``address``:``port``.

    ``host`` is the MX name (it names the server in the transcript); ``address``
    is one of its IP addresses; ``local_hostname`` is what the client says in EHLO;
    ``timeout`` bounds each wait for a reply (None: RFC 5321 §4.5.3.2's per-command
    values). The conversation's ``greeting`` has been read when it is returned.
    """

    def __call__(self, host: str, address: str, port: int, *, local_hostname: str,
                 timeout: float | None) -> Conversation: ...


class TCPConnector:
    """Real TCP with ``smtplearn.Client``: what a mail server on the Internet does."""

    def __call__(self, host: str, address: str, port: int, *, local_hostname: str,
                 timeout: float | None) -> Conversation:
        # timeout=None: the RFC's per-command timeouts (§4.5.3.2: 10 minutes after the final
        # dot, so a slow server is not taken for a dead one and sent a second copy)
        return Client(address, port, timeout=timeout,
                      connect_timeout=CONNECT_TIMEOUT if timeout is None else timeout,
                      local_hostname=local_hostname, server_name=host)

    def __repr__(self) -> str:
        return "TCPConnector()"


# errno -> what it means for a sender, in words a student can act on
_FAILURES = {
    errno.ECONNREFUSED: "connection refused: nothing listens on that port",
    errno.ETIMEDOUT: "no answer (timed out)",
    errno.EHOSTUNREACH: "no route to that host",
    errno.ENETUNREACH: "no route to that network",
    errno.ECONNRESET: "the connection was reset",
}

PORT_25_ADVICE = ("many networks (home ISPs, clouds, Binder) block outgoing port 25 to stop spam, "
                  "so from here a real MX may be unreachable: try the offline mini-Internet "
                  "(smtplearn.MiniInternet.classroom()) or a server of your own on 127.0.0.1")


def connect_failure_text(error: OSError) -> str:
    """A short reason for a failed connection attempt."""
    cause = error.__cause__ if isinstance(error.__cause__, OSError) else error
    if isinstance(cause, TimeoutError) and cause.errno is None:
        return _FAILURES[errno.ETIMEDOUT]
    return _FAILURES.get(cause.errno or 0, str(cause.strerror or cause))
