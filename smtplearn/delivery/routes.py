"""Where one domain's mail goes: the MX lookup as a sending MTA reads it (RFC 5321 §5.1).

``find_route`` turns a domain into a ``Route``: the (host, address) pairs to try
in order, or the outcome DNS already decided (no such domain, a null MX, DNS
down). It writes what DNS said into the delivery's transcript as it goes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smtplearn.delivery.report import Status
from smtplearn.mx.lookup import TEMPORARY, MXLookupError, MXResult, lookup_mx
from smtplearn.protocol.catalogue import reply
from smtplearn.protocol.errors import UsageError
from smtplearn.protocol.replies import Reply

__all__ = ["Route", "Decided", "find_route", "DNS"]

#: the name of the DNS lifeline in the transcript and the sequence diagram
DNS = "DNS"


@dataclass(frozen=True)
class Decided:
    """An outcome known without any SMTP connection (from DNS, or a malformed domain)."""

    status: Status
    reason: str
    reply: Reply | None = None  # e.g. 556 5.1.10 for a null MX (RFC 7505 §4)


@dataclass(frozen=True)
class Route:
    """The hosts to try for one domain, in order, or what DNS already decided."""

    domain: str
    pairs: tuple[tuple[str, str], ...] = ()  # (MX host name, one of its addresses)
    decided: Decided | None = None

    def __post_init__(self) -> None:
        if (self.decided is None) == (not self.pairs):
            raise UsageError("a Route has either addresses to try or an outcome, not both or neither")


Note = Callable[..., None]


def find_route(domain: str, resolver: Any, seed: int | None, routes: dict[str, Any], note: Note) -> Route:
    """The Route for ``domain`` (A-label form); ``routes`` collects each lookup's result."""
    if not domain:
        why = "no domain after the @: a sending MTA routes on the domain (RFC 5321 §2.3.5, §5.1)"
        return Route(domain, decided=Decided(Status.BOUNCED, why))
    literal = address_literal(domain)
    if literal is not None:
        # RFC 5321 §4.1.3, §5.1: an address literal names the host itself; no DNS is asked
        note(f"{domain} is an address literal: no MX lookup, straight to {literal} (RFC 5321 §4.1.3)")
        return Route(domain, ((literal, literal),))
    try:
        result = lookup_mx(domain, resolver, seed=seed)
    except ValueError as exc:
        note(f"DNS: MX {domain}? not asked: {exc}", DNS, kind="dns")
        return Route(domain, decided=Decided(Status.BOUNCED, str(exc)))
    except MXLookupError as exc:
        routes[domain] = exc
        note(f"DNS: MX {domain}? → {exc.kind}: {exc.message}", DNS, kind="dns")
        return Route(domain, decided=Decided(Status.BOUNCED if exc.permanent else Status.DEFERRED, exc.message))
    routes[domain] = result
    if result.null_mx:
        return _null_mx(domain, note)
    return _hosts(domain, result, note)


def _null_mx(domain: str, note: Note) -> Route:
    # RFC 7505 §4 (what a sender does): a null MX means "no mail here"; the sender fails the
    # message at once, with the reply RFC 7505 gives for it, 556 5.1.10, and never falls back to
    # A/AAAA records
    note(f"DNS: MX {domain}? → 0 . (null MX: this domain accepts no mail, RFC 7505)", DNS, kind="dns")
    answer = reply("null_mx", domain=domain)
    why = (f"{domain} publishes a null MX (MX 0 .): it accepts no mail, so the message fails at once without "
           f"any connection: {answer} (RFC 7505 §4)")
    return Route(domain, decided=Decided(Status.BOUNCED, why, answer))


def _hosts(domain: str, result: MXResult, note: Note) -> Route:
    answer = ", ".join(f"{h.name} ({h.preference})" for h in result.hosts)
    if result.implicit:
        answer = f"no MX records; implicit MX {answer} (the domain's own address, RFC 5321 §5.1)"
    note(f"DNS: MX {domain}? → {answer}", DNS, kind="dns")
    for host in result.hosts:
        found = ", ".join(host.addresses) or "no address: " + "; ".join(host.problems or ("skipped",))
        note(f"DNS: A/AAAA {host.name}? → {found}", DNS, kind="dns")
    pairs = tuple((host.name, address) for host in result.hosts for address in host.addresses)
    if pairs:
        return Route(domain, pairs)
    temporary = any(TEMPORARY in problem for host in result.hosts for problem in host.problems)
    why = f"none of the MX hosts of {domain} has an address, so there is nowhere to connect (RFC 5321 §5.1)"
    return Route(domain, decided=Decided(Status.DEFERRED if temporary else Status.BOUNCED, why))


def address_literal(domain: str) -> str | None:
    """The IP address in ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]``, or None."""
    if not (domain.startswith("[") and domain.endswith("]")):
        return None
    inner = domain[1:-1]
    inner = inner[5:] if inner.lower().startswith("ipv6:") else inner  # RFC 5321 §4.1.3 IPv6 tag
    try:
        return str(ipaddress.ip_address(inner))
    except ValueError:
        return None
