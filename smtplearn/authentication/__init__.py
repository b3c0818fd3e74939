"""Who really sent this? SPF (RFC 7208), DKIM (RFC 6376) and DMARC (RFC 7489), offline.

The checks themselves are done by well-kept libraries -- ``pyspf`` (SPF, with its
macro expansion), ``dkimpy`` (DKIM canonicalisation, signing, verification) and
``authheaders``/``authres`` (DMARC alignment and the ``Authentication-Results:``
header) -- never rewritten here. This package only feeds them DNS answers from
any dnspython resolver: the mini-Internet's zones (``MiniInternet.resolver``) or,
on a machine with DNS, ``smtplearn.make_resolver()``.

The libraries come with the ``auth`` extra (``pip install 'smtplearn[auth]'``)
and load on first use, so ``import smtplearn`` does not load them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtplearn._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from smtplearn.authentication.checks import AuthenticationReport, authenticate, check_spf, verify_dkim
    from smtplearn.authentication.signing import DKIMKey

_EXPORTS: dict[str, str] = {
    "DKIMKey": "smtplearn.authentication.signing",
    "check_spf": "smtplearn.authentication.checks",
    "verify_dkim": "smtplearn.authentication.checks",
    "authenticate": "smtplearn.authentication.checks",
    "AuthenticationReport": "smtplearn.authentication.checks",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
