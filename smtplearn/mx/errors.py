"""What can go wrong in an MX lookup, and whether a sender should retry (RFC 5321 §5.1).

Each error says ``permanent`` (give up and bounce) or not (keep the message
queued and retry). They live apart from the lookup so that ``resolver.py``,
which raises ``NoResolverConfigured``, and ``lookup.py``, which raises the
rest, both import them downward. All are ``smtplearn.Error``s.
"""

from __future__ import annotations

from smtplearn.protocol.errors import Error

__all__ = ["DNSTimeout", "DomainNotFound", "MXLookupError", "NameserversFailed", "NoMailRecords",
           "NoResolverConfigured"]


class MXLookupError(Error):
    """The lookup failed; ``permanent`` says whether retrying could ever help."""

    kind = "dns-error"
    permanent = False  # unknown DNS trouble is treated as temporary, the safe choice

    def __init__(self, domain: str | None, message: str) -> None:
        super().__init__(message)
        self.domain = domain
        self.message = message


class DomainNotFound(MXLookupError):
    """NXDOMAIN: the name does not exist. RFC 5321 §5.1: MUST be reported as an error."""

    kind, permanent = "nxdomain", True


class NoMailRecords(MXLookupError):
    """The name exists but has no MX and no address: nowhere to deliver (RFC 5321 §5.1)."""

    kind, permanent = "no-records", True


class NameserversFailed(MXLookupError):
    """Every nameserver answered SERVFAIL or refused: a temporary error (RFC 5321 §5.1)."""

    kind, permanent = "servfail", False


class DNSTimeout(MXLookupError):
    """No answer in time, often because no DNS is reachable from here."""

    kind, permanent = "timeout", False


class NoResolverConfigured(MXLookupError):
    """The machine has no resolver to ask (raised by make_resolver)."""

    kind, permanent = "no-resolver", False
