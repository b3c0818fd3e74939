"""Where does mail for a domain go? ``lookup_mx`` is RFC 5321 §5.1 written as code.

This file owns the rules: a domain name in; out comes an ordered list of mail
exchangers, each with the reason for its place, or an error that says whether a
sender should give up (permanent) or try again later (temporary). It also owns
RFC 7505's null MX ("this domain accepts no mail").

It asks DNS through one method only, ``resolver.resolve(name, rdtype)``, so the
real resolver (resolver.py) and the offline ``ZoneResolver`` (zone.py) run this
same code. Names are checked first (names.py: IDNA, lengths,
letters-digits-hyphens), before any packet is sent. dnspython is imported inside the functions, so
``import smtplearn`` stays light.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Protocol

from smtplearn.diagrams.diagram import Diagram
from smtplearn.mx.display import render_graph, render_html, render_text
from smtplearn.mx.errors import (DNSTimeout, DomainNotFound, MXLookupError, NameserversFailed, NoMailRecords,
                                 NoResolverConfigured)
from smtplearn.mx.names import normalise_domain, to_unicode
from smtplearn.mx.resolver import describe_resolver, make_resolver
from smtplearn.protocol.errors import UsageError

__all__ = [
    "DNSTimeout", "DomainNotFound", "MXHost", "MXLookupError", "MXResult", "NameserversFailed",
    "NoMailRecords", "NoResolverConfigured", "lookup_mx",
]

# RFC 5321 §5.1 / §4.5.4.1: what a sender does with each kind of failure.
TEMPORARY = "temporary: a sender keeps the message queued and retries later (RFC 5321 §5.1, §4.5.4.1)"
PERMANENT = ("permanent: a sender gives up, and a non-delivery report goes to the envelope's reverse-path "
             "(RFC 5321 §5.1, §6.1)")


class Resolves(Protocol):
    """The one method lookup_mx needs; dns.resolver.Resolver and ZoneResolver both have it."""

    def resolve(self, qname: str, rdtype: str) -> Any: ...


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class MXHost:
    """One mail exchanger, in the place a sender tries it, and why it is there."""

    preference: int
    name: str  # ASCII (A-label) form, lower case, no trailing dot: what DNS stores
    unicode_name: str  # what a person reads, e.g. mx.bücher.example
    ipv4: tuple[str, ...] = ()  # in the order DNS gave them: RFC 5321 §5.1 says try them in that order
    ipv6: tuple[str, ...] = ()
    why: str = ""
    problems: tuple[str, ...] = ()  # each reads after the name: "has no address ..."

    def __post_init__(self) -> None:
        # RFC 1035 §3.3.9: PREFERENCE is a 16-bit unsigned integer
        if not 0 <= self.preference <= 65535:
            raise UsageError(f"MX preference must be 0-65535, got {self.preference}")

    @property
    def addresses(self) -> tuple[str, ...]:
        """IPv4 then IPv6 (RFC 5321 §5.2: either or both may be present)."""
        return self.ipv4 + self.ipv6


@dataclass(frozen=True, repr=False)
class MXResult:
    """The answer to "where does mail for this domain go?", ready to display."""

    domain: str  # ASCII form as asked, lower case, no trailing dot
    unicode_domain: str
    canonical_name: str  # after following a CNAME; equal to domain when there was none
    hosts: tuple[MXHost, ...]  # in the order a sender tries them
    implicit: bool = False  # no MX records: the domain itself, RFC 5321 §5.1
    null_mx: bool = False  # RFC 7505: "MX 0 ." means the domain accepts no mail
    seed: int | None = None  # the seed that ordered ties, so the order can be repeated
    notes: tuple[str, ...] = ()
    source: str = ""  # who answered, e.g. "DNS server 127.0.0.1:53"

    def __post_init__(self) -> None:
        if self.null_mx and (self.hosts or self.implicit):
            raise UsageError("a null MX result has no hosts and is not implicit (RFC 7505)")

    @property
    def followed_cname(self) -> bool:
        return self.canonical_name != self.domain

    @property
    def usable(self) -> bool:
        """True when some host has an address a sender could connect to."""
        return any(host.addresses for host in self.hosts)

    def __str__(self) -> str:
        return render_text(self)

    __repr__ = __str__  # a REPL shows the same readable table as print()

    def _repr_html_(self) -> str:
        return render_html(self)

    def graph(self) -> Diagram:
        """domain → MX hosts (labelled with preference) → addresses: a ``Diagram`` like every
        picture of the package, drawn by graphviz."""
        return render_graph(self)


# ---------------------------------------------------------------- the lookup
def lookup_mx(
    domain: str,
    resolver: Resolves | None = None,
    *,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> MXResult:
    """Find the hosts that receive mail for ``domain``, in the order a sender tries them.

    ``resolver`` defaults to ``make_resolver()`` (``SMTPLEARN_NAMESERVER`` or the
    system resolver). Ties in preference are shuffled, as RFC 5321 §5.1 requires;
    pass ``seed`` (or your own ``rng``) to make the order repeatable. Without
    either, a seed is drawn and recorded in ``result.seed``.

    Raises ``UsageError`` (a ``ValueError``) for a malformed name and ``MXLookupError`` (with
    ``.permanent``) when DNS says no or cannot be reached.
    """
    import dns.exception

    ascii_name, unicode_name = normalise_domain(domain)
    rng, seed, seed_text = _choose_rng(seed, rng)
    if resolver is None:
        resolver = make_resolver()
    source = describe_resolver(resolver)
    try:
        mx_answer = _query(resolver, ascii_name, "MX")
        if mx_answer is None:
            # RFC 5321 §5.1: "If an empty list of MXs is returned, the address is treated as if
            # it was associated with an implicit MX RR, with a preference of 0"
            return _implicit_mx(resolver, ascii_name, unicode_name, source)
    except dns.exception.DNSException as exc:
        raise _explain(exc, unicode_name, source, resolver) from exc
    canonical = _text(mx_answer.canonical_name)
    notes = _cname_notes(ascii_name, unicode_name, canonical)
    records = [(int(r.preference), r.exchange) for r in mx_answer]
    if all(exchange == _root() for _, exchange in records):
        return _null_mx(ascii_name, unicode_name, canonical, records, notes, source)
    if any(exchange == _root() for _, exchange in records):
        # RFC 7505 §3: a domain with a null MX MUST NOT publish other MX records
        notes.append("an 'MX 0 .' (null MX) record sits beside real MX records, which RFC 7505 §3 "
                     "forbids; it is ignored and the real ones are used")
    names = [(pref, _text(exchange)) for pref, exchange in records if exchange != _root()]
    hosts = tuple(_exchange(resolver, pref, name, why) for pref, name, why in _order(names, rng, seed_text))
    notes += _order_notes(hosts, seed, seed_text)
    if not any(host.addresses for host in hosts):
        notes.append("none of these MX hosts has an address, so mail cannot be delivered: RFC 5321 §5.1 "
                     "says this MUST be reported as an error (and a sender MUST NOT fall back to the "
                     "domain's own A/AAAA records when MX records exist)")
    return MXResult(ascii_name, unicode_name, canonical, hosts, seed=seed, notes=tuple(notes), source=source)


def _implicit_mx(resolver: Resolves, ascii_name: str, unicode_name: str, source: str) -> MXResult:
    v4, v6 = _query(resolver, ascii_name, "A"), _query(resolver, ascii_name, "AAAA")
    if v4 is None and v6 is None:
        raise NoMailRecords(unicode_name, f"{unicode_name} exists but has no MX records and no address "
                            f"(A/AAAA) records, so it cannot receive mail; the implicit MX is unusable. {PERMANENT}")
    canonical = _text((v4 if v4 is not None else v6).canonical_name)
    host = MXHost(0, canonical, to_unicode(canonical), _addresses(v4), _addresses(v6),
                  why="implicit MX: domain's own address (no MX records, RFC 5321 §5.1)")
    notes = _cname_notes(ascii_name, unicode_name, canonical)
    notes.append(f"{unicode_name} has no MX records but has an address, so RFC 5321 §5.1 treats it as an "
                 "implicit MX with preference 0 pointing to the domain itself")
    return MXResult(ascii_name, unicode_name, canonical, (host,), implicit=True, notes=tuple(notes), source=source)


def _null_mx(ascii_name: str, unicode_name: str, canonical: str, records: list[tuple[int, Any]],
             notes: list[str], source: str) -> MXResult:
    # RFC 7505 §3: a null MX is one MX record, preference 0, exchange "." (the root). It means
    # "no mail here"; a sender must not fall back to A/AAAA, so we do not even ask for them.
    notes.append(f"{unicode_name} publishes a null MX (MX 0 .): it accepts no mail. A sender must not "
                 "fall back to its A/AAAA records and fails the message at once (RFC 7505)")
    if len(records) > 1 or records[0][0] != 0:
        notes.append("RFC 7505 §3 asks for exactly one 'MX 0 .' record; this one is not quite that, "
                     "but every exchange is '.', so the meaning is the same")
    return MXResult(ascii_name, unicode_name, canonical, (), null_mx=True, notes=tuple(notes), source=source)


def _order(records: list[tuple[int, str]], rng: random.Random, seed_text: str) -> list[tuple[int, str, str]]:
    """Sort by preference, shuffle ties; return (preference, name, why) in sending order."""
    groups: dict[int, list[str]] = {}
    for preference, name in records:
        groups.setdefault(preference, []).append(name)
    preferences = sorted(groups)  # RFC 5321 §5.1: "Lower numbers are more preferred"
    ordered = []
    for rank, preference in enumerate(preferences):
        # sorted first, so a seed gives the same order whatever order DNS listed the records in
        names = sorted(set(groups[preference]))
        # RFC 5321 §5.1: equal preferences, when "there is no clear reason to favor one", the
        # sender "MUST randomize them to spread the load"
        rng.shuffle(names)
        for name in names:
            if len(names) > 1:
                others = ", ".join(to_unicode(other) for other in names if other != name)
                why = f"tied at {preference} with {others}, order drawn at random ({seed_text})"
            elif rank == 0:
                why = f"preference {preference}, lowest first"
            else:
                why = f"preference {preference}, after preference {preferences[rank - 1]} (lowest first)"
            ordered.append((preference, name, why))
    return ordered


def _exchange(resolver: Resolves, preference: int, name: str, why: str) -> MXHost:
    """Resolve one exchange to A and AAAA; trouble becomes a note, not an exception."""
    import dns.exception
    import dns.resolver

    found: dict[str, tuple[str, ...]] = {"A": (), "AAAA": ()}
    problems: list[str] = []
    for rdtype in found:  # RFC 5321 §5.2: an exchange may have IPv4 (A), IPv6 (AAAA) or both
        try:
            answer = _query(resolver, name, rdtype)
        except dns.resolver.NXDOMAIN:
            problems.append("does not exist (NXDOMAIN): a sender skips this host")
            break
        except dns.exception.DNSException as exc:
            problems.append(f"could not be looked up for {rdtype} ({_short(exc)}); {TEMPORARY}")
            continue
        found[rdtype] = _addresses(answer)
        if answer is not None and _text(answer.canonical_name) != name and len(problems) == 0:
            # RFC 2181 §10.3: an MX must name a host, not an alias; RFC 5321 §5.1 puts such an
            # answer "outside the scope of this Standard"
            problems.append(f"is an alias (CNAME) for {_text(answer.canonical_name)}: it works here, "
                            "but RFC 2181 §10.3 says an MX must name the host itself, and RFC 5321 §5.1 "
                            "leaves an MX that leads to a CNAME outside its scope")
    if not found["A"] and not found["AAAA"] and not problems:
        problems.append("has no address (A/AAAA) records: a sender skips this host "
                        "(RFC 5321 §5.1: an MX name MUST return at least one address record)")
    return MXHost(preference, name, to_unicode(name), found["A"], found["AAAA"], why, tuple(problems))


def _order_notes(hosts: tuple[MXHost, ...], seed: int | None, seed_text: str) -> list[str]:
    preferences = [host.preference for host in hosts]
    if len(set(preferences)) == len(preferences):
        return []
    repeat = f"; pass seed={seed} to get this order again" if seed is not None else ""
    note = ("some hosts share a preference: when there is no clear reason to favor one, RFC 5321 §5.1 says "
            f"a sender MUST randomize them to spread the load, so this order was drawn at random "
            f"({seed_text}){repeat}")
    return [note]


def _cname_notes(ascii_name: str, unicode_name: str, canonical: str) -> list[str]:
    if canonical == ascii_name:
        return []
    note = (f"{unicode_name} is an alias (CNAME) for {to_unicode(canonical)}; RFC 5321 §5.1: the "
            "resulting name is processed as if it were the initial name")
    return [note]


# ---------------------------------------------------------------- DNS plumbing
def _query(resolver: Resolves, name: str, rdtype: str) -> Any:
    """Ask one question; ``None`` means the name exists but has no such records (NODATA)."""
    import dns.resolver

    try:
        # the final dot makes the name absolute, so no search domain is ever appended
        # (RFC 5321 §5.1: names are FQDNs; relays MUST NOT guess at partial names)
        return resolver.resolve(name + ".", rdtype)
    except dns.resolver.NoAnswer:
        return None


def _explain(exc: Exception, domain: str, source: str, resolver: Any) -> MXLookupError:
    """Turn a dnspython exception into an error a student can act on."""
    import dns.exception
    import dns.resolver

    if isinstance(exc, dns.resolver.NXDOMAIN):
        # RFC 5321 §5.1: "If a non-existent domain error is returned, this situation MUST be reported as an error"
        return DomainNotFound(domain, f"{domain}: this domain does not exist (DNS answered NXDOMAIN). {PERMANENT}")
    if isinstance(exc, dns.exception.Timeout):
        lifetime = getattr(resolver, "lifetime", None)
        within = f" within {lifetime:g} s" if isinstance(lifetime, (int, float)) else ""
        return DNSTimeout(domain, f"{domain}: no answer from {source}{within}. No DNS reachable? set "
                          "SMTPLEARN_NAMESERVER=IP[:PORT] or pass resolver=... to use a local resolver "
                          f"(for example a ZoneResolver, which needs no network). {TEMPORARY}")
    if isinstance(exc, dns.resolver.NoNameservers):
        return NameserversFailed(domain, f"{domain}: all nameservers failed ({_short(exc)}), so DNS could not "
                                 f"say where mail goes right now. {TEMPORARY}")
    return MXLookupError(domain, f"{domain}: DNS lookup failed ({exc}); treated as {TEMPORARY}")


def _short(exc: Exception) -> str:
    """'127.0.0.1:53 answered SERVFAIL' rather than dnspython's long message."""
    errors = getattr(exc, "kwargs", {}).get("errors") or []
    answers = sorted({f"{server} answered {error}" for server, _tcp, _port, error, *_ in errors})
    return "; ".join(answers) if answers else type(exc).__name__


def _addresses(answer: Any) -> tuple[str, ...]:
    return () if answer is None else tuple(record.address for record in answer)


def _text(name: Any) -> str:
    return name.to_text(omit_final_dot=True).lower()


def _root() -> Any:
    import dns.name

    return dns.name.root


def _choose_rng(seed: int | None, rng: random.Random | None) -> tuple[random.Random, int | None, str]:
    if seed is not None and rng is not None:
        raise UsageError("pass seed= or rng=, not both: seed makes a new random.Random(seed), rng uses yours")
    if rng is not None:
        return rng, None, "with your rng"
    if seed is None:  # draw one anyway and report it, so any lesson's order can be repeated
        seed = random.SystemRandom().randrange(1_000_000)
    return random.Random(seed), seed, f"seed {seed}"
