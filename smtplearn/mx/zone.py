"""The offline "mini-Internet": DNS answers from zone text you write, with no network.

This file owns ``ZoneResolver``. It *is* a ``dns.resolver.Resolver``; only its
nameserver is different: an in-process object that answers from your zones the
way a recursive resolver in front of authoritative servers would. It follows
CNAMEs, answers NXDOMAIN for names that do not exist and "no error, no records"
(NODATA, dnspython's ``NoAnswer``) for names that exist without the asked type.
Because retries, CNAME chaining and the exceptions are dnspython's own code,
``lookup_mx(domain, resolver=ZoneResolver(...))`` runs exactly as it does against
a real DNS server; a lesson can show the same results on a train with no Wi-Fi.

Names outside every zone are REFUSED, as an authoritative-only server would;
``failures={"broken.test": "SERVFAIL"}`` (or "REFUSED", "timeout") simulates a
broken domain so a lesson can show temporary errors too. Wildcards and
delegations are not modelled: every zone answers for all names under its origin.

This module imports dnspython at the top (a class cannot subclass a lazy import);
``smtplearn.mx`` loads it only when ``ZoneResolver`` is first used.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Mapping
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import dns.zone

from smtplearn.mx.names import normalise_domain
from smtplearn.protocol.errors import UsageError

__all__ = ["ZoneNameserver", "ZoneResolver"]

FAILURE_KINDS = ("SERVFAIL", "REFUSED", "timeout")
DEFAULT_TTL = 300  # prepended as $TTL so small teaching zones need not give one (RFC 2308 §4)
MAX_CNAME_CHAIN = 16  # a loop guard; real resolvers give up after a handful of aliases too


class ZoneResolver(dns.resolver.Resolver):
    """A resolver whose whole world is the zones you give it.

    >>> zone = '''
    ... $ORIGIN example.
    ... @    MX 10 mx1
    ... mx1  A  192.0.2.1
    ... '''
    >>> [str(r) for r in ZoneResolver(zone).resolve("example.", "MX")]
    ['10 mx1.example.']
    """

    def __init__(
        self,
        *zones: str | dns.zone.Zone,
        origin: str | None = None,
        failures: Mapping[str, str] | None = None,
        lifetime: float = 5.0,
    ) -> None:
        super().__init__(configure=False)  # never read /etc/resolv.conf: no network at all
        if not zones:
            raise UsageError("ZoneResolver needs at least one zone: text with an $ORIGIN line, or origin=...")
        loaded = [_load(zone, origin) for zone in zones]
        origins = [zone.origin for zone in loaded]
        if len(set(origins)) != len(origins):
            raise UsageError(f"two zones have the same origin: {', '.join(map(str, origins))}")
        self.zones: tuple[dns.zone.Zone, ...] = tuple(loaded)
        self.nameservers = [ZoneNameserver(self.zones, _failures(failures or {}))]
        self.lifetime = lifetime
        self.timeout = min(self.timeout, lifetime)

    @property
    def questions(self) -> list[str]:
        """Every question asked so far, like ``"example.test. MX"``: see what lookup_mx asked."""
        return self.nameservers[0].questions  # type: ignore[union-attr]

    @property
    def origins(self) -> list[str]:
        """Each zone's origin as a domain, e.g. ``["school.test"]`` (no final dot)."""
        return [_origin(zone).to_text(omit_final_dot=True).lower() for zone in self.zones]

    def describe(self) -> str:
        origins = ", ".join(str(zone.origin) for zone in self.zones)
        return f"offline zones {origins} (ZoneResolver, no network)"

    def __repr__(self) -> str:
        return f"<ZoneResolver {' '.join(str(zone.origin) for zone in self.zones)}>"


class ZoneNameserver(dns.nameserver.Nameserver):
    """Answers dnspython's DNS messages from zones, in-process, as a recursive server would."""

    def __init__(self, zones: tuple[dns.zone.Zone, ...], failures: dict[dns.name.Name, str]) -> None:
        super().__init__()
        self.zones = zones
        self.failures = failures
        self.questions: list[str] = []

    def __str__(self) -> str:
        return "offline-zone"

    def kind(self) -> str:
        return "Zone"

    def is_always_max_size(self) -> bool:
        return False

    def answer_nameserver(self) -> str:
        return "offline-zone"

    def answer_port(self) -> int:
        return 0

    def query(self, request: dns.message.QueryMessage, timeout: float, *args: Any, **kwargs: Any) -> dns.message.Message:
        question = request.question[0]
        self.questions.append(f"{question.name} {dns.rdatatype.to_text(question.rdtype)}")
        failure = self._failure(question.name)
        if failure == "timeout":  # behave like a server that never answers
            time.sleep(timeout)
            raise dns.exception.Timeout(timeout=timeout)
        response = dns.message.make_response(request)
        response.flags |= dns.flags.RA  # we answer as a recursive resolver would
        if failure:
            response.set_rcode(dns.rcode.from_text(failure))
        else:
            response.set_rcode(self._answer(question.name, question.rdtype, response))
        # through the wire format and back, so the client sees exactly what a network would carry
        # want_shuffle=False: answer in zone order, so a lesson repeats exactly
        return dns.message.from_wire(response.to_wire(want_shuffle=False))

    def _answer(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, response: dns.message.Message
    ) -> dns.rcode.Rcode:
        """Fill the answer section, following CNAMEs across zones; return the rcode."""
        seen: set[dns.name.Name] = set()
        while True:
            zone = self._zone_for(qname)
            if zone is None:  # outside this mini-Internet; keep any CNAMEs already found
                return dns.rcode.NOERROR if response.answer else dns.rcode.REFUSED
            node = zone.get_node(qname)
            if node is None:
                exists = any(name.is_subdomain(qname) for name in zone.nodes)  # an empty non-terminal (RFC 8020)
                return self._negative(zone, response, dns.rcode.NOERROR if exists else dns.rcode.NXDOMAIN)
            found = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if found is not None:
                response.answer.append(_rrset(qname, found))
                return dns.rcode.NOERROR
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or rdtype == dns.rdatatype.CNAME:
                return self._negative(zone, response, dns.rcode.NOERROR)  # NODATA: the name exists
            # RFC 1034 §3.6.2: answer with the CNAME, then restart the query at its target
            response.answer.append(_rrset(qname, cname))
            seen.add(qname)
            qname = cname[0].target
            if qname in seen or len(seen) > MAX_CNAME_CHAIN:
                return dns.rcode.SERVFAIL

    def _negative(self, zone: dns.zone.Zone, response: dns.message.Message, rcode: dns.rcode.Rcode) -> dns.rcode.Rcode:
        # RFC 2308 §3: a negative answer carries the zone's SOA, whose TTL says how long to cache it
        origin = _origin(zone)
        soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
        if soa is not None:
            response.authority.append(_rrset(origin, soa))
        return rcode

    def _zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        """The zone with the longest origin that contains qname."""
        matches = [zone for zone in self.zones if qname.is_subdomain(_origin(zone))]
        return max(matches, key=lambda zone: len(_origin(zone)), default=None)

    def _failure(self, qname: dns.name.Name) -> str | None:
        for name, kind in self.failures.items():
            if qname.is_subdomain(name):
                return kind
        return None


def _load(zone: str | dns.zone.Zone, origin: str | None) -> dns.zone.Zone:
    if isinstance(zone, dns.zone.Zone):
        if zone.relativize:
            raise UsageError("pass a zone loaded with relativize=False, or pass its text")
        return zone
    try:
        return dns.zone.from_text(
            f"$TTL {DEFAULT_TTL}\n" + textwrap.dedent(zone),
            origin=origin,
            relativize=False,  # keep names absolute, as they travel in a DNS message
            check_origin=False,  # teaching zones may leave out SOA and NS
            idna_codec=dns.name.IDNA_2008_Practical,  # UTS #46, like lookup_mx's own names
        )
    except dns.zone.UnknownOrigin:
        raise UsageError("zone text needs an '$ORIGIN example.' line, or pass origin='example.'") from None
    except dns.exception.DNSException as exc:
        raise UsageError(f"zone text could not be read: {exc}") from None


def _origin(zone: dns.zone.Zone) -> dns.name.Name:
    assert zone.origin is not None, "zones are loaded with an origin"
    return zone.origin


def _failures(failures: Mapping[str, str]) -> dict[dns.name.Name, str]:
    kinds = {kind.lower(): kind for kind in FAILURE_KINDS}
    parsed = {}
    for name, kind in failures.items():
        if kind.lower() not in kinds:
            raise UsageError(f"failure {kind!r} for {name!r} is not one of {', '.join(FAILURE_KINDS)}")
        parsed[dns.name.from_text(normalise_domain(name)[0])] = kinds[kind.lower()]
    return parsed


def _rrset(name: dns.name.Name, rdataset: Any) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))
