"""``MiniInternet``: an offline world of DNS zones and mail servers, for class.

DNS answers come from zone text read by dnspython (``smtplearn.mx.ZoneResolver``,
no network); every address in the zones that a sender connects to is an
in-process smtplearn server (``MiniHost``). ``net.deliver(...)`` runs the very
same ``smtplearn.deliver`` a real sender runs: only the resolver and the
connector are swapped. Nothing is random unless you ask: equal MX preferences
are shuffled with ``seed`` (0 by default), so every run of a lesson matches.
"""

from __future__ import annotations

import errno
import itertools
import textwrap
from collections.abc import Iterable, Sequence
from email.message import Message as EmailBase
from html import escape
from typing import TYPE_CHECKING, Any

from smtplearn.conversation import DEFAULT_CLIENT_NAME
from smtplearn.delivery.mta import deliver
from smtplearn.delivery.report import DeliveryReport
from smtplearn.mini_internet.classroom import DOMAINS as CLASSROOM_DOMAINS, HOSTS as CLASSROOM_HOSTS
from smtplearn.mini_internet.hosts import Behaviour, MiniHost
from smtplearn.mx.lookup import MXResult, lookup_mx
from smtplearn.protocol.errors import NotFoundError, UsageError
from smtplearn.render.html import html_table
from smtplearn.transports.mailbox import Mailbox
from smtplearn.transports.memory import Pair

if TYPE_CHECKING:  # zone.py loads dnspython when imported: it is imported where a resolver is made
    from smtplearn.mx.zone import ZoneResolver

__all__ = ["MiniInternet", "SMTP_PORT"]

SMTP_PORT = 25  # RFC 5321 §4.5.4.2: "the SMTP port (specified by IANA as port 25)"
# RFC 5737 documentation ranges: addresses that can never reach a real machine
HOST_NET = "192.0.2."      # TEST-NET-1: the mini-Internet's servers
SENDER_ADDRESS = "198.51.100.7"  # TEST-NET-2: where the sender connects from

# an empty world still needs one zone; .invalid is reserved never to exist (RFC 2606 §2)
EMPTY_ZONE = "$ORIGIN invalid.\n"

MXSpec = Sequence[tuple[str, int]] | Sequence[str]


class MiniInternet:
    """An offline mail world. Build it from zone text, or domain by domain:

    >>> net = MiniInternet()
    >>> net.add_domain("example.test", mx=[("mx1.example.test", 10), ("mx2.example.test", 20)])
    <MiniInternet: 1 zone(s), 2 host(s)>
    >>> net.host("mx1.example.test", behaviour="down").behaviour.value
    'down'
    >>> report = net.deliver("From: a@home.test\\r\\nTo: bob@example.test\\r\\n\\r\\nhi\\r\\n")
    >>> report.delivered, len(net.mailbox("mx2.example.test"))
    (['bob@example.test'], 1)
    """

    def __init__(self, *zones: str, seed: int = 0, sender_address: str = SENDER_ADDRESS) -> None:
        self.seed = seed
        #: the address the sender connects from (greylisting remembers it)
        self.sender_address = sender_address
        # dedented, so records the builder appends line up with yours (indent means "same owner")
        self._user_zones = [textwrap.dedent(zone).strip() + "\n" for zone in zones]
        self._records: list[tuple[str, str, str]] = []  # (owner, type, rdata), absolute names
        self._hosts: dict[str, MiniHost] = {}
        self._dns_failures: dict[str, str] = {}
        self._free_addresses = (f"{HOST_NET}{n}" for n in itertools.count(10))
        self._resolver: ZoneResolver | None = None
        if zones:
            self.resolver  # read the zones now, so a typo is reported here  # noqa: B018

    @classmethod
    def classroom(cls, seed: int = 0) -> MiniInternet:
        """The course's ready-made world (see smtplearn/mini_internet/classroom.py for its lessons)."""
        net = cls(seed=seed)
        for domain, options in CLASSROOM_DOMAINS.items():
            net.add_domain(domain, **options)
        for host, options in CLASSROOM_HOSTS.items():
            net.host(host, **options)
        return net

    # -- building the world ---------------------------------------------------------
    def add_domain(self, domain: str, mx: MXSpec | None = None, *, null_mx: bool = False,
                   address: str | bool | None = None) -> MiniInternet:
        """Publish a domain: its MX hosts (``[(name, preference), ...]`` or names, preferences
        10, 20, ...), or a null MX (RFC 7505), and/or an address of its own (implicit MX)."""
        domain = domain.lower().rstrip(".")
        if null_mx and mx:
            raise UsageError(f"{domain}: a null MX (MX 0 .) must be the only MX record (RFC 7505 §3); "
                             "pass mx=... or null_mx=True, not both")
        if null_mx:
            self._records.append((domain, "MX", "0 ."))
        entries: Sequence[tuple[str, int] | str] = mx or ()
        for n, entry in enumerate(entries):
            if isinstance(entry, str):
                name, preference = entry, 10 * (n + 1)
            else:
                name, preference = entry
            self._records.append((domain, "MX", f"{preference} {name.lower().rstrip('.')}."))
            if not self._has_address(name.lower().rstrip(".")):
                self.add_host(name)
        if address:
            self.add_host(domain, *([] if address is True else [str(address)]))
        self._changed()
        return self

    def add_host(self, name: str, *addresses: str, behaviour: Behaviour | str = Behaviour.NORMAL) -> MiniHost:
        """Give ``name`` address records (a fresh 192.0.2.x when none are given) and a server."""
        name = name.lower().rstrip(".")
        for address in addresses or (next(self._free_addresses),):
            self._records.append((name, "AAAA" if ":" in address else "A", address))
        self._changed()
        host = self.host(name)
        host.behaviour = Behaviour.of(behaviour)
        return host

    def add_record(self, owner: str, rtype: str, rdata: str) -> MiniInternet:
        """Publish one more record, in zone-file syntax: ``add_record("home.test", "TXT",
        '"v=spf1 -all"')`` (SPF, DKIM keys and DMARC policies are TXT records)."""
        self._records.append((owner.lower().rstrip("."), rtype.upper(), rdata))
        self._changed()
        return self

    def host(self, name: str, *, behaviour: Behaviour | str | None = None,
             rejects: Iterable[str] | None = None) -> MiniHost:
        """The server called ``name`` (changing its behaviour or refused users if given)."""
        name = name.lower().rstrip(".")
        self.resolver  # noqa: B018 - rebuilds addresses and domains after a change
        host = self._hosts.get(name)
        if host is None:
            raise NotFoundError(f"no host {name!r} in this mini-Internet; hosts: {', '.join(self._hosts) or 'none'}. "
                           "Give it an address first: net.add_host(name) or an A record in the zone")
        if behaviour is not None:
            host.behaviour = Behaviour.of(behaviour)
        if rejects is not None:
            host.rejects = {r.lower() for r in rejects}
        return host

    def break_dns(self, domain: str, kind: str = "SERVFAIL") -> MiniInternet:
        """Make DNS fail for ``domain``: "SERVFAIL", "REFUSED" or "timeout" (a temporary error)."""
        self._dns_failures[domain] = kind
        self._changed()
        return self

    # -- what a sender uses -----------------------------------------------------------
    @property
    def resolver(self) -> ZoneResolver:
        """A ``ZoneResolver`` over this world's zones: DNS with no network."""
        if self._resolver is None:
            from smtplearn.mx.zone import ZoneResolver  # dnspython: loaded when first needed
            self._resolver = ZoneResolver(*self.zone_texts(), failures=self._dns_failures, lifetime=1.0)
            self._read_zones(self._resolver.zones)
        return self._resolver

    def connect(self, host: str, address: str, port: int, *, local_hostname: str = DEFAULT_CLIENT_NAME,
                timeout: float | None = None) -> Pair:
        """The connector: open an in-memory SMTP session with the server at ``address``."""
        self.resolver  # noqa: B018
        # the server at that address: the one called ``host`` if several names share the address;
        # for relay=(name, port) the "address" is a name, as a socket would resolve it
        names = self._by_address.get(address) or ([address.lower()] if address.lower() in self._hosts else [])
        target = host.lower() if host.lower() in names else (names[0] if names else None)
        if target is None:
            raise OSError(errno.EHOSTUNREACH, f"no host has the address {address} in this mini-Internet")
        server = self._hosts[target]
        server.connections += 1
        if server.behaviour is Behaviour.DOWN or port != SMTP_PORT:
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"nothing listens on {address}:{port}")
        return Pair(server.handler, hostname=server.name, local_hostname=local_hostname,
                    mailbox=server.mailbox, peer=self.sender_address, queue_ids=server.queue_ids)

    def deliver(self, message: str | bytes | EmailBase, **options: Any) -> DeliveryReport:
        """``smtplearn.deliver`` in this world: same code, this resolver, in-memory connections."""
        options.setdefault("seed", self.seed)
        return deliver(message, resolver=self.resolver, connector=self.connect, **options)

    def lookup_mx(self, domain: str) -> MXResult:
        """``smtplearn.lookup_mx`` against this world's DNS."""
        return lookup_mx(domain, self.resolver, seed=self.seed)

    def mailbox(self, host: str) -> Mailbox:
        """The messages ``host`` has accepted."""
        return self.host(host).mailbox

    @property
    def hosts(self) -> list[MiniHost]:
        self.resolver  # noqa: B018
        return list(self._hosts.values())

    # -- zones ---------------------------------------------------------------------------
    def zone_texts(self) -> list[str]:
        """The zone files this world answers from: yours, with the built records added."""
        texts = list(self._user_zones)
        origins = _origins(texts)
        extra: dict[str, list[str]] = {}
        for owner, rtype, rdata in self._records:
            line = f"{owner}. IN {rtype} {rdata}"
            inside = max((o for o in origins if owner == o or owner.endswith("." + o)), key=len, default=None)
            if inside is not None:
                texts[origins.index(inside)] += "\n" + line
            else:  # one zone per top-level domain for what the builder adds
                extra.setdefault(owner.rpartition(".")[2], []).append(line)
        texts += [f"$ORIGIN {tld}.\n" + "\n".join(lines) + "\n" for tld, lines in extra.items()]
        return texts or [EMPTY_ZONE]

    @property
    def zone_text(self) -> str:
        return "\n".join(text.strip() for text in self.zone_texts())

    def _changed(self) -> None:
        self._resolver = None

    def _has_address(self, name: str) -> bool:
        return any(owner == name and rtype in ("A", "AAAA") for owner, rtype, _ in self._records)

    def _read_zones(self, zones: Iterable[Any]) -> None:
        """Addresses -> host names and host -> the domains it is MX for, from the zones themselves."""
        import dns.rdataclass
        import dns.rdatatype
        self._by_address: dict[str, list[str]] = {}
        named: dict[str, list[str]] = {}
        serves: dict[str, set[str]] = {}
        for zone in zones:
            for owner, node in zone.nodes.items():
                name = owner.to_text(omit_final_dot=True).lower()
                for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    for record in node.get_rdataset(dns.rdataclass.IN, rdtype) or ():
                        self._by_address.setdefault(record.address, []).append(name)
                        named.setdefault(name, []).append(record.address)
                        serves.setdefault(name, set()).add(name)  # its own name: an implicit MX
                for record in node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.MX) or ():
                    exchange = record.exchange.to_text(omit_final_dot=True).lower()
                    serves.setdefault(exchange, set()).add(name)
        for name, found in named.items():
            addresses = tuple(found)
            host = self._hosts.get(name)
            if host is None:
                host = self._hosts[name] = MiniHost(name, addresses)
            host.addresses, host.domains = addresses, frozenset(serves.get(name, ()))

    # -- views -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<MiniInternet: {len(self.zone_texts())} zone(s), {len(self.hosts)} host(s)>"

    def describe(self) -> str:
        lines = [repr(self)]
        for host in self.hosts:
            serves = ", ".join(sorted(host.domains - {host.name})) or "-"
            lines.append(f"  {host.name:<24} {', '.join(host.addresses):<16} {host.behaviour.value:<9} "
                         f"MX for {serves}; {len(host.mailbox)} message(s)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [[f"<code>{escape(h.name)}</code>", escape(", ".join(h.addresses)), h.behaviour.value,
                 escape(", ".join(sorted(h.domains - {h.name})) or "-"), str(len(h.mailbox))] for h in self.hosts]
        return (html_table(("host", "address", "behaviour", "MX for", "messages"), rows)
                + "<details><summary>Zone text (what DNS answers from)</summary>"
                f"<pre>{escape(self.zone_text)}</pre></details>")


def _origins(texts: list[str]) -> list[str]:
    if not texts:
        return []
    from smtplearn.mx.zone import ZoneResolver  # dnspython: loaded when first needed
    return [ZoneResolver(text).origins[0] for text in texts]
