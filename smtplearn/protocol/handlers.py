"""Server decisions: who may send, who may receive, which messages are taken.

A handler *decides* and returns a reply; it never moves the state (the
server session does that, from the transition table). Each hook may return
None, meaning "accept, with the usual reply". This is aiosmtpd's idea of
per-command hooks, without the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from smtplearn.protocol.addresses import Params, domain_of
from smtplearn.protocol.catalogue import reply
from smtplearn.protocol.message import Message
from smtplearn.protocol.replies import Reply

if TYPE_CHECKING:
    from smtplearn.protocol.server import ServerSession


class Handler:
    """Accepts everything. Subclass and override the hooks you need."""

    def on_connect(self, session: ServerSession) -> Reply | None:
        """Return a 554 or 421 reply to refuse the connection (§3.1)."""
        return None

    def on_helo(self, session: ServerSession, hostname: str) -> Reply | None:
        return None

    def on_mail(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        return None

    def on_rcpt(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        return None

    def on_message(self, session: ServerSession, message: Message) -> Reply | None:
        """Called once the whole message is in. Return a refusal, or None to accept."""
        return None

    def on_vrfy(self, session: ServerSession, argument: str) -> Reply:
        # §3.5.3 / §7.3: do not confirm mailboxes to strangers; 252 is neither yes nor no
        return reply("vrfy_cannot")

    def on_expn(self, session: ServerSession, argument: str) -> Reply:
        # §7.3: list expansion hands spammers addresses, so it is off; a site that disables
        # EXPN for security reasons "MUST return a 252 response"
        return reply("expn_disabled")


class LocalDelivery(Handler):
    """The default: accept mail for ``local_domains`` only (or for any domain if none are given).

    With local domains set, RCPT to any other domain gets ``550 5.7.1
    relaying denied``: a server that forwards mail for anyone to anyone is an
    open relay (RFC 5321 §3.6.2, §7.9: a relay refused for policy reasons SHOULD get 550).
    ``<Postmaster>`` is always accepted (§4.5.1: it MUST be supported).
    """

    def __init__(self, local_domains: Iterable[str] | None = None) -> None:
        self.local_domains = (frozenset(d.lower().rstrip(".") for d in local_domains)
                              if local_domains is not None else None)

    def on_rcpt(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        if self.local_domains is None or address == "Postmaster":
            return None
        domain = domain_of(address)
        if domain not in self.local_domains:
            return reply("relay_denied", domain=domain)
        return None
