"""DNS answers for pyspf, dkimpy and authheaders, from any dnspython resolver.

Each library asks DNS its own way; this module owns the small adapters:

* pyspf calls a module-level ``DNSLookup(name, qtype, strict, timeout)`` that returns
  ``[((name, qtype), value), ...]`` (its own test suite swaps it the same way);
* dkimpy calls ``dnsfunc(name, timeout=...)`` and wants the TXT record as bytes;
* authheaders' DMARC lookup calls ``dnsfunc(name)`` and wants the TXT text as str.

A name that does not exist, or has no record of that type, is "no answer"; a
resolver that cannot answer (SERVFAIL, REFUSED, timeout) is a temporary error,
which SPF reports as ``temperror`` (RFC 7208 §2.6.6).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from smtplearn.protocol.errors import Error

__all__ = ["txt_records", "dkim_dnsfunc", "dmarc_dnsfunc", "pyspf_dns"]

_PYSPF_LOCK = threading.Lock()


class DNSUnavailable(Error):
    """The resolver could not answer (a temporary error, not "no such record")."""


def _answers(resolver: Any, name: str, qtype: str) -> list[Any]:
    import dns.exception
    import dns.resolver
    try:
        return list(resolver.resolve(name, qtype, search=False))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.resolver.NoNameservers, dns.exception.Timeout) as err:
        raise DNSUnavailable(f"DNS could not answer {qtype} {name}: {err}") from err


def txt_records(resolver: Any, name: str) -> list[bytes]:
    """Every TXT record at ``name``, each one's strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2)."""
    return [b"".join(record.strings) for record in _answers(resolver, name, "TXT")]


def dkim_dnsfunc(resolver: Any) -> Callable[..., bytes | None]:
    """dkimpy's ``dnsfunc``: the first TXT record at a ``selector._domainkey.domain`` name."""
    def lookup(name: str | bytes, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii") if isinstance(name, bytes) else name
        try:
            found = txt_records(resolver, text)
        except DNSUnavailable as err:
            import dkim
            raise dkim.DnsTimeoutError(str(err)) from err
        return found[0] if found else None
    return lookup


def dmarc_dnsfunc(resolver: Any) -> Callable[[str], str | None]:
    """authheaders' DMARC ``dnsfunc``: the DMARC record at ``_dmarc.domain`` as text (RFC 7489 §6.1)."""
    def lookup(name: str) -> str | None:
        for record in txt_records(resolver, name):
            if record.lower().startswith(b"v=dmarc1"):
                return record.decode("ascii", "replace")
        return None
    return lookup


def _pyspf_lookup(resolver: Any) -> Callable[..., list[tuple[tuple[str, str], Any]]]:
    def lookup(name: str, qtype: str, strict: Any = True, timeout: float = 20) -> list[tuple[tuple[str, str], Any]]:
        import spf
        try:
            records = _answers(resolver, name, qtype)
        except DNSUnavailable as err:
            raise spf.TempError(str(err)) from err
        values = {
            "A": lambda r: r.address, "AAAA": lambda r: r.address,
            "MX": lambda r: (r.preference, r.exchange), "PTR": lambda r: r.target.to_text(True),
            "TXT": lambda r: r.strings, "SPF": lambda r: r.strings,
        }
        if qtype not in values:
            return []
        return [((name, qtype), values[qtype](r)) for r in records]
    return lookup


@contextmanager
def pyspf_dns(resolver: Any) -> Iterator[None]:
    """While inside, pyspf asks ``resolver`` (pyspf has one module-wide DNS function)."""
    import spf
    with _PYSPF_LOCK:
        saved = spf.DNSLookup
        spf.DNSLookup = _pyspf_lookup(resolver)
        try:
            yield
        finally:
            spf.DNSLookup = saved
