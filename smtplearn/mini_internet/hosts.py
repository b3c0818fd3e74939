"""The mail servers of the mini-Internet: what each one does when a sender calls.

A host is an in-process smtplearn server (a ``ServerSession`` behind a ``Pair``)
with one ``Behaviour``: the handful of situations a lesson on mail routing needs.
The behaviour only *decides* replies from the catalogue (STYLE.md rule 3); the
session moves the state, exactly as it does on a real socket.
"""

from __future__ import annotations

import enum
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smtplearn.transports.mailbox import Mailbox
from smtplearn.mx.names import domain_of
from smtplearn.protocol.catalogue import reply
from smtplearn.protocol.errors import UsageError
from smtplearn.protocol.handlers import Handler

if TYPE_CHECKING:
    from smtplearn.protocol.addresses import Params
    from smtplearn.protocol.replies import Reply
    from smtplearn.protocol.server import ServerSession

__all__ = ["Behaviour", "MiniHost", "HostHandler"]


class Behaviour(enum.Enum):
    """How a mini-Internet host answers. A sender's view of each is in the comment."""

    NORMAL = "normal"      # accepts mail for the domains whose MX (or implicit MX) it is
    DOWN = "down"          # nothing listens: connection refused, try the next MX (RFC 5321 §5.1)
    BUSY = "busy"          # greets with 421 and closes: try the next MX (RFC 5321 §4.2.3, §3.8)
    GREYLIST = "greylist"  # 450 to the first try of each (client, sender, recipient), then accepts (RFC 6647)
    TEMPFAIL = "tempfail"  # 451 to every MAIL FROM: a server with a local problem (§4.2.3)

    @classmethod
    def of(cls, value: Behaviour | str) -> Behaviour:
        try:
            return value if isinstance(value, Behaviour) else cls(value.lower())
        except ValueError:
            raise UsageError(f"unknown behaviour {value!r}; choose one of "
                             f"{', '.join(b.value for b in cls)}") from None


@dataclass(eq=False)
class MiniHost:
    """One mail server of the mini-Internet: its name, addresses, behaviour and mailbox."""

    name: str
    addresses: tuple[str, ...]
    behaviour: Behaviour = Behaviour.NORMAL
    #: recipients this host refuses with 550 5.1.1 "no such user"
    rejects: set[str] = field(default_factory=set)
    #: the domains whose mail it takes (from the zone's MX records); others get "relaying denied"
    domains: frozenset[str] = frozenset()
    mailbox: Mailbox = field(default_factory=Mailbox)
    #: connection attempts made to this host, refused ones included
    connections: int = 0
    #: greylisting memory (RFC 6647): (client address, sender, recipient) -> when it was first seen
    seen: dict[tuple[str, str, str], float] = field(default_factory=dict)
    #: greylisting: seconds a triplet must wait before a retry is accepted; a sooner retry gets
    #: 450 again (RFC 5321 §4.5.4.1: "The sender MUST delay retrying"; 0 accepts any retry)
    greylist_delay: float = 0.0
    #: seconds, for greylist_delay; a lesson can pass its own clock to show "later" without waiting
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.behaviour = Behaviour.of(self.behaviour)
        self.handler = HostHandler(self)
        stem = "".join(label[:3] for label in self.name.split(".")[:2]).upper()
        # one queue-id sequence per host, across all its connections
        self.queue_ids: Iterator[str] = (f"{stem}{n:04d}" for n in itertools.count(1))

    def __repr__(self) -> str:
        return (f"<MiniHost {self.name} [{', '.join(self.addresses)}] {self.behaviour.value}, "
                f"{len(self.mailbox)} message(s)>")


class HostHandler(Handler):
    """The decisions of one ``MiniHost``, read from its fields at every command."""

    def __init__(self, host: MiniHost) -> None:
        self.host = host

    def on_connect(self, session: ServerSession) -> Reply | None:
        if self.host.behaviour is Behaviour.BUSY:
            return reply("closing_busy", hostname=session.hostname)
        return None

    def on_mail(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        if self.host.behaviour is Behaviour.TEMPFAIL:
            return reply("temporary_failure")
        return None

    def on_rcpt(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        domain = domain_of(address)
        if self.host.domains and domain not in self.host.domains:
            # RFC 5321 §3.6.2, §7.9: an MX takes mail for its own domains only, not an open relay
            return reply("relay_denied", domain=domain)
        if address.lower() in self.host.rejects:
            return reply("no_such_user", address=address)
        if self.host.behaviour is Behaviour.GREYLIST:
            triplet = (session.peer, session.envelope.mail_from or "", address.lower())
            now, first_seen = self.host.clock(), self.host.seen.get(triplet)
            if first_seen is None:
                self.host.seen[triplet] = now
                return reply("greylisted")
            if now - first_seen < self.host.greylist_delay:
                return reply("greylisted")  # retried too soon: the same answer, the clock keeps running
        return None
