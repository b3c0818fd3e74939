"""Which DNS server to ask: ``make_resolver`` and the ``SMTPLEARN_NAMESERVER`` setting.

This file owns the choice of nameserver, nothing else. ``lookup_mx`` (lookup.py)
only ever calls ``resolver.resolve(name, rdtype)``, so anything with that method
works: the resolver made here, a plain ``dns.resolver.Resolver``, or the offline
``ZoneResolver`` (zone.py).

The order of choice, so a lesson runs the same on a laptop, on Binder and in a
sealed test sandbox:

1. an explicit ``nameserver="IP"``, ``"IP:PORT"`` or ``"[IPv6]:PORT"``;
2. else the environment variable ``SMTPLEARN_NAMESERVER`` (same syntax);
3. else the system resolver (``/etc/resolv.conf``), the right default for real use;
   in a browser tab (JupyterLite), DNS-over-HTTPS instead (``smtplearn.mx.doh``).

dnspython is imported inside the functions, so ``import smtplearn`` stays light.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import TYPE_CHECKING, Any

from smtplearn.browser import in_browser
from smtplearn.mx.errors import NoResolverConfigured
from smtplearn.protocol.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import dns.resolver

ENV_VAR = "SMTPLEARN_NAMESERVER"
DNS_PORT = 53  # RFC 1035 §4.2: DNS over UDP and TCP uses port 53

NAMESERVER_SYNTAX = "allowed forms: 'IP', 'IP:PORT' or '[IPv6]:PORT', e.g. '127.0.0.1:5353' or '[::1]:5353'"

_BRACKETED = re.compile(r"\[(?P<ip>[^\]]+)\](?::(?P<port>[^:]*))?")


def parse_nameserver(text: str) -> tuple[str, int]:
    """Split ``"IP"``, ``"IP:PORT"`` or ``"[IPv6]:PORT"`` into ``(ip, port)``.

    Only IP addresses are accepted, never host names: to turn a name into an
    address we would need DNS, which is what we are trying to configure.
    """
    spec = text.strip()
    if not spec:
        raise UsageError(f"empty nameserver; {NAMESERVER_SYNTAX}")
    bracketed = _BRACKETED.fullmatch(spec)
    if bracketed:
        host, port_text = bracketed["ip"], bracketed["port"]
    elif _is_ip(spec):  # a bare IPv4 or IPv6 address, default port
        host, port_text = spec, None
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
    elif ":" in spec:
        raise UsageError(
            f"nameserver {text!r}: an IPv6 address with a port needs brackets; {NAMESERVER_SYNTAX}"
        )
    else:
        host, port_text = spec, None
    if not _is_ip(host):
        raise UsageError(
            f"nameserver {text!r}: {host!r} is not an IP address (a name would need DNS to find DNS); "
            f"{NAMESERVER_SYNTAX}"
        )
    return str(ipaddress.ip_address(host)), _parse_port(text, port_text)


def make_resolver(
    nameserver: str | None = None,
    *,
    timeout: float = 2.0,
    lifetime: float = 5.0,
    cache: bool | Any = False,
) -> dns.resolver.Resolver:
    """Return a ``dns.resolver.Resolver`` aimed at the chosen nameserver.

    ``timeout`` bounds one try at one server; ``lifetime`` bounds a whole
    ``resolve()`` call, retries included, so a lesson never hangs for long when
    no DNS is reachable. ``cache=True`` adds a fresh ``dns.resolver.Cache``
    (answers are kept for their TTL); pass a cache object to share one.
    """
    import dns.resolver

    if timeout <= 0 or lifetime <= 0:
        raise UsageError(f"timeout and lifetime must be positive seconds, got {timeout} and {lifetime}")
    spec = nameserver if nameserver is not None else os.environ.get(ENV_VAR, "").strip() or None
    if spec is not None:
        try:
            ip, port = parse_nameserver(spec)
        except ValueError as exc:
            source = "nameserver=" if nameserver is not None else f"environment variable {ENV_VAR}"
            raise UsageError(f"{source}: {exc}") from None
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [ip]
        resolver.port = port
    elif in_browser():  # a browser tab has no UDP and no resolv.conf: DNS-over-HTTPS (mx/doh.py)
        from smtplearn.mx.doh import DoHResolver
        # no fallback here: an unreachable endpoint fails like a dead DNS server, so the caller
        # (notebook 05's live_or_recorded) can tell live from recorded answers and say which
        resolver = DoHResolver(fallback=False)
    else:
        resolver = _system_resolver()
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    if cache is True:
        resolver.cache = dns.resolver.Cache()
    elif cache:
        resolver.cache = cache
    return resolver


def describe_resolver(resolver: object) -> str:
    """One line saying who answers, for result notes and error messages."""
    describe = getattr(resolver, "describe", None)
    if callable(describe):  # ZoneResolver and other teaching resolvers
        return str(describe())
    servers = getattr(resolver, "nameservers", None)
    if not servers:
        return type(resolver).__name__
    port = getattr(resolver, "port", DNS_PORT)
    shown = []
    for server in servers:
        text = str(server)
        if _is_ip(text):
            text = f"[{text}]:{port}" if ":" in text else f"{text}:{port}"
        shown.append(text)
    return "DNS server " + ", ".join(shown)


def _system_resolver() -> dns.resolver.Resolver:
    import dns.resolver

    try:
        return dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration as exc:
        raise NoResolverConfigured(
            None,
            "this machine has no DNS resolver configured (no nameservers in /etc/resolv.conf); "
            f"set {ENV_VAR}=IP[:PORT] or pass resolver=... (e.g. a ZoneResolver for an offline mini-Internet)",
        ) from exc


def _parse_port(text: str, port_text: str | None) -> int:
    if port_text is None:
        return DNS_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"nameserver {text!r}: port {port_text!r} must be a number 1-65535; {NAMESERVER_SYNTAX}")
    return int(port_text)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
