"""Real MX lookups: where does mail for a domain go? (RFC 5321 §5.1, RFC 7505 null MX)

    from smtplearn.mx import lookup_mx, make_resolver, ZoneResolver
    lookup_mx("example.com")                                   # the system resolver
    lookup_mx("example.com", make_resolver("127.0.0.1:5353"))  # a DNS server you choose
    lookup_mx("example.test", ZoneResolver(zone_text))         # offline: no network

Names are loaded on first use (PEP 562), so ``import smtplearn.mx`` pulls in
neither dnspython nor graphviz: ``zone.py`` imports dnspython when it is imported
(a class cannot subclass a lazy import), so this package keeps a lazy table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtplearn._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from smtplearn.mx.errors import MXLookupError
    from smtplearn.mx.lookup import MXHost, MXResult, lookup_mx
    from smtplearn.mx.resolver import make_resolver
    from smtplearn.mx.doh import DoHResolver
    from smtplearn.mx.zone import ZoneResolver

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "lookup_mx": "smtplearn.mx.lookup",
    "MXResult": "smtplearn.mx.lookup",
    "MXHost": "smtplearn.mx.lookup",
    "MXLookupError": "smtplearn.mx.errors",
    "make_resolver": "smtplearn.mx.resolver",
    "ZoneResolver": "smtplearn.mx.zone",
    "DoHResolver": "smtplearn.mx.doh",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
