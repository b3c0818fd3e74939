"""What a receiving server checks: SPF, DKIM and DMARC, and the header it writes.

* SPF (RFC 7208): may the connecting address send for the MAIL FROM domain
  (or, for ``MAIL FROM:<>``, the HELO name, §2.3)? pyspf evaluates the TXT record.
* DKIM (RFC 6376): does the ``DKIM-Signature:`` verify against the public key the
  signing domain ``d=`` publishes? dkimpy verifies it.
* DMARC (RFC 7489): does SPF or DKIM pass *for the domain in From:* (alignment,
  §3.1), and what does that domain ask receivers to do when not (``p=``, §6.3)?
  authheaders evaluates it.

``authenticate(...)`` runs all three and writes the ``Authentication-Results:``
field (with authres), as a receiving server adds it (RFC 7208 §9.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smtplearn.authentication.dns_hooks import dkim_dnsfunc, dmarc_dnsfunc, pyspf_dns

__all__ = ["SPFResult", "check_spf", "verify_dkim", "AuthenticationReport", "authenticate"]


@dataclass(frozen=True)
class SPFResult:
    """pass, fail, softfail, neutral, none, temperror or permerror (RFC 7208 §2.6), and why."""

    result: str
    explanation: str
    ip: str
    mail_from: str
    helo: str

    def __str__(self) -> str:
        return f"spf={self.result} ({self.explanation})"


def check_spf(ip: str, mail_from: str, helo: str, resolver: Any) -> SPFResult:
    """Evaluate SPF for a client at ``ip`` that said ``helo`` and ``MAIL FROM:<mail_from>``."""
    import spf
    with pyspf_dns(resolver):
        result, explanation = spf.check2(i=ip, s=mail_from, h=helo)
    return SPFResult(result, explanation, ip, mail_from, helo)


def verify_dkim(message: bytes, resolver: Any) -> str:
    """"pass", "fail", or "none" when the message carries no DKIM-Signature (RFC 6376 §6)."""
    import dkim
    if not _has_field(message, b"dkim-signature"):
        return "none"
    try:
        return "pass" if dkim.verify(message, dnsfunc=dkim_dnsfunc(resolver)) else "fail"
    except dkim.DnsTimeoutError:
        return "temperror"


@dataclass(frozen=True)
class AuthenticationReport:
    """The three verdicts and the header a receiving server writes with them."""

    spf: str
    dkim: str
    dkim_domain: str
    dmarc: str
    #: the From: domain's DMARC policy (none, quarantine, reject), "" when it publishes none
    policy: str
    header: str
    #: the domain in From: that DMARC checked (RFC 7489 §3.1: the RFC5322.From domain)
    header_from: str = ""

    @property
    def disposition(self) -> str:
        """What the From: domain asks the receiver to do with this message (RFC 7489 §6.3 p=)."""
        if self.dmarc != "fail":
            return "deliver"
        return {"reject": "reject", "quarantine": "quarantine (spam folder)"}.get(self.policy, "deliver")

    def __str__(self) -> str:
        return self.header


def authenticate(message: bytes, *, ip: str, mail_from: str, helo: str, resolver: Any,
                 authserv_id: str) -> AuthenticationReport:
    """SPF, DKIM and DMARC for ``message`` as received from ``ip``; the Authentication-Results field."""
    from authheaders import check_dmarc, check_spf as spf_result_of
    from authres import AuthenticationResultsHeader
    from authres.core import DKIMAuthenticationResult

    _reserved_suffixes_known()
    with pyspf_dns(resolver):
        spf_result = spf_result_of(ip, mail_from, helo)
    dkim_verdict = verify_dkim(message, resolver)
    dkim_domain = _signing_domain(message) if dkim_verdict != "none" else ""
    dkim_result = DKIMAuthenticationResult(result=dkim_verdict, header_d=dkim_domain or None)
    spf_verdict = spf_result.result
    dmarc_result = check_dmarc(message, spf_result, dkim_result, dnsfunc=dmarc_dnsfunc(resolver))
    results = [spf_result, dkim_result, dmarc_result]
    header = str(AuthenticationResultsHeader(authserv_id=authserv_id, results=results))
    return AuthenticationReport(spf_verdict, dkim_verdict, dkim_domain, dmarc_result.result,
                                getattr(dmarc_result, "policy", "") or "", header,
                                getattr(dmarc_result, "header_from", "") or "")


#: RFC 2606 §2 reserves these top-level names for tests and examples; the mini-Internet lives under
#: them. The Public Suffix List does not list them, so without this its library would take "test"
#: itself as every .test domain's organizational domain (RFC 7489 §3.2) and align any two of them.
RESERVED_SUFFIXES = ("test", "example", "invalid", "localhost")


def _reserved_suffixes_known() -> None:
    """Give authheaders the Public Suffix List plus the reserved names, through its own hook:
    it reads the list from ``authheaders.findpsl.location`` when that module exists."""
    import importlib.resources
    import sys
    import tempfile
    import types
    if getattr(sys.modules.get("authheaders.findpsl"), "smtplearn", False):
        return
    bundled = (importlib.resources.files("authheaders") / "public_suffix_list.txt").read_text(encoding="utf-8")
    extra = "\n// RFC 2606 reserved names (smtplearn's mini-Internet)\n" + "\n".join(RESERVED_SUFFIXES) + "\n"
    with tempfile.NamedTemporaryFile("w", suffix="-psl.txt", delete=False, encoding="utf-8") as out:
        out.write(bundled + extra)
    hook = types.ModuleType("authheaders.findpsl")
    hook.location = out.name  # type: ignore[attr-defined]
    hook.smtplearn = True  # type: ignore[attr-defined]
    sys.modules["authheaders.findpsl"] = hook


def _has_field(message: bytes, name: bytes) -> bool:
    head = message.partition(b"\r\n\r\n")[0]
    return any(line.lower().startswith(name + b":") for line in head.split(b"\r\n"))


def _signing_domain(message: bytes) -> str:
    import dkim
    try:
        parsed = dkim.DKIM(message)
        sig = [v for k, v in parsed.headers if k.lower() == b"dkim-signature"]
        tags = dkim.util.parse_tag_value(sig[0]) if sig else {}
        return tags.get(b"d", b"").decode("ascii")
    except Exception:  # a malformed signature has no usable d=; verify_dkim already said "fail"
        return ""
