"""Mail addresses as RFC 5321 §4.1.2 writes them inside ``<`` and ``>``.

Owns the syntax of a path (``<alice@example.org>``, the null reverse-path
``<>``, ``<Postmaster>``), its length limits (§4.5.3.1.1-3), and the
ESMTP parameters that may follow it (§4.1.2 Mail-parameters). Non-ASCII
characters are allowed by the syntax (RFC 6531 §3.3 extends it); whether a
session *may* use them (the SMTPUTF8 parameter) is the server's decision.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from smtplearn.protocol.errors import RemoteProtocolError
from smtplearn.protocol.refusals import refusal

# RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3), extended with UTF-8 by RFC 6531 §3.3
_ATEXT = r"(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|[^\x00-\x7f])"
_DOT_STRING = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
# Quoted-string: qtextSMTP is %d32-33 / %d35-91 / %d93-126, quoted-pairSMTP is "\" %d32-126
_QUOTED_STRING = re.compile(r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|[^\x00-\x7f]|\\[\x20-\x7e])*"')
# Domain: sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str] (U-labels allowed, RFC 6531)
_LET_DIG = r"(?:[A-Za-z0-9]|[^\x00-\x7f])"  # negated classes compile fast; huge ranges do not
_LABEL = rf"{_LET_DIG}(?:(?:{_LET_DIG}|-)*{_LET_DIG})?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# address-literal (§4.1.3): "[" ( IPv4-address-literal / IPv6-address-literal /
# General-address-literal ) "]". [0-9], never \d: \d also matches "٣" and other non-ASCII digits.
_IPV4_LITERAL = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
_IPV6_LITERAL = re.compile(r"[0-9A-Fa-f:.]+")
# General-address-literal = Standardized-tag ":" 1*dcontent (tag: Ldh-str; dcontent: %d33-90 / %d94-126)
_GENERAL_LITERAL = re.compile(r"[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+")
# Mail-parameters: esmtp-keyword ["=" esmtp-value] (§4.1.2)
_PARAM = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*)(?:=((?:[\x21-\x3c\x3e-\x7e]|[^\x00-\x7f])+))?")
# source route (§4.1.2 A-d-l): §4.1.1.3 says receivers "MUST recognize source route syntax but
# SHOULD strip off the source route": "@one,@two:"
_SOURCE_ROUTE = re.compile(rf"@{_DOMAIN.pattern}(?:,@{_DOMAIN.pattern})*:")

MAX_LOCAL_PART = 64   # §4.5.3.1.1
MAX_DOMAIN = 255      # §4.5.3.1.2
MAX_PATH = 256        # §4.5.3.1.3, including the angle brackets

Params = tuple[tuple[str, "str | None"], ...]


def _bad(detail: str, sender: bool = False) -> RemoteProtocolError:
    # RFC 3463 §3.2: X.1.7 "Bad sender's mailbox address syntax", X.1.3 the destination's
    return refusal("bad_sender_address" if sender else "bad_address", detail=detail)


def _too_long(detail: str, sender: bool = False) -> RemoteProtocolError:
    return refusal("sender_address_too_long" if sender else "address_too_long", detail=detail)


def is_domain(text: str) -> bool:
    """True for a domain name or an address literal (what HELO/EHLO take)."""
    return bool(_DOMAIN.fullmatch(text)) or is_address_literal(text)


def is_address_literal(text: str) -> bool:
    """True for ``[192.0.2.1]``, ``[IPv6:2001:db8::1]`` or a tagged literal (§4.1.3).

    >>> is_address_literal("[300.1.1.1]"), is_address_literal("[IPv6:zzzz]")
    (False, False)
    """
    if not (text.startswith("[") and text.endswith("]")):
        return False
    inner = text[1:-1]
    ipv4 = _IPV4_LITERAL.fullmatch(inner)
    if ipv4:
        # §4.1.3: Snum = 1*3DIGIT ; representing a decimal integer value in the range 0 through 255
        return all(int(part) <= 255 for part in ipv4.groups())
    if inner[:5].upper() == "IPV6:":
        return _is_ipv6_literal(inner[5:])
    return bool(_GENERAL_LITERAL.fullmatch(inner))


# kept per address: every Received: line names the client's (ipaddress parsing is ~4 us)
@functools.lru_cache(maxsize=256)
def address_literal(address: str) -> str:
    """``[192.0.2.1]`` or ``[IPv6:2001:db8::1]`` for an IP address (§4.1.3); "" for
    anything else (an in-memory peer has no address to show).

    >>> address_literal("::1"), address_literal("in-memory")
    ('[IPv6:::1]', '')
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    return f"[{ip}]" if ip.version == 4 else f"[IPv6:{ip}]"


def _is_ipv6_literal(text: str) -> bool:
    """§4.1.3's IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp, in ASCII."""
    if not _IPV6_LITERAL.fullmatch(text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    if "::" not in text:
        return True
    # IPv6-comp: "No more than 6 groups in addition to the '::' may be present";
    # IPv6v4-comp: "No more than 4 groups in addition to the '::' and IPv4-address-literal"
    groups = [g for g in text.replace("::", ":").split(":") if g]
    if "." in text:
        return len(groups) - 1 <= 4
    return len(groups) <= 6


def check_mailbox(mailbox: str, *, sender: bool = False) -> None:
    """Raise RemoteProtocolError unless ``mailbox`` is local-part@domain (§4.1.2).
    ``sender``: it is a reverse-path, so the refusal says 5.1.7 rather than 5.1.3."""
    local, at, domain = mailbox.rpartition("@")
    if not at or not local:
        raise _bad(f"<{mailbox}> needs a local part and a domain, like <alice@example.org>", sender)
    if not (_DOT_STRING.fullmatch(local) or _QUOTED_STRING.fullmatch(local)):
        raise _bad(f"local part {local!r} has characters that need quoting, or stray dots", sender)
    if not is_domain(domain):
        raise _bad(f"domain {domain!r} is not a domain name or an address literal like [192.0.2.1]", sender)
    if len(local.encode()) > MAX_LOCAL_PART:
        raise _too_long(f"local part is {len(local.encode())} octets, at most {MAX_LOCAL_PART}", sender)
    if len(domain.encode()) > MAX_DOMAIN:
        raise _too_long(f"domain is {len(domain.encode())} octets, at most {MAX_DOMAIN}", sender)


def parse_path(text: str, *, allow_null: bool, allow_postmaster: bool,
               sender: bool | None = None) -> tuple[str, Params]:
    """Split ``<path> [params]`` into the mailbox ("" for ``<>``) and its parameters.
    ``sender`` (by default: ``allow_null``, which only a reverse-path allows) picks the
    enhanced codes of the refusals: 5.1.7 for MAIL, 5.1.3 for RCPT (RFC 3463 §3.2).

    >>> parse_path("<alice@example.org> SIZE=100", allow_null=True, allow_postmaster=False)
    ('alice@example.org', (('SIZE', '100'),))
    """
    sender = allow_null if sender is None else sender
    text = text.lstrip(" ")  # "MAIL FROM: <a@b>" is common; RFC 5321 has no space, we tolerate it
    if not text.startswith("<"):
        raise _bad("the address must be in angle brackets, e.g. <alice@example.org>", sender)
    end = _closing_bracket(text, sender)
    path, rest = text[1:end], text[end + 1:]
    if len(path.encode()) + 2 > MAX_PATH:
        raise _too_long(f"path is {len(path.encode()) + 2} octets, at most {MAX_PATH}", sender)
    route = _SOURCE_ROUTE.match(path)
    if route:
        path = path[route.end():]
    if path == "":
        if not allow_null:
            raise _bad("the null path <> is only allowed as a reverse-path (MAIL FROM:<>)", sender)
    elif path.lower() == "postmaster" and allow_postmaster:
        path = "Postmaster"  # §4.1.1.3's syntax allows <Postmaster> without a domain; §4.5.1: MUST be supported
    else:
        check_mailbox(path, sender=sender)
    return path, parse_params(rest, sender)


def _closing_bracket(text: str, sender: bool = False) -> int:
    """Index of the ">" that closes the path, skipping quoted local parts."""
    end = text.find(">")
    if end > 0 and '"' not in text[:end]:  # the usual case, no quoted local part: found in C
        if "<" in text[1:end]:
            raise _bad("a path has one pair of angle brackets, e.g. <alice@example.org>", sender)
        return end
    quoted = escaped = False
    for i, ch in enumerate(text[1:], start=1):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            raise _bad("a path has one pair of angle brackets, e.g. <alice@example.org>", sender)
        elif ch == ">" and not quoted:
            return i
    raise _bad("missing closing '>'", sender)


def parse_params(text: str, sender: bool = False) -> Params:
    """Parse ``" KEY=VALUE KEY"`` (§4.1.2); keywords come back upper case."""
    if not text:
        return ()
    if not text.startswith(" "):
        raise _bad(f"unexpected text after the path: {text[:40]!r}", sender)
    params = []
    for word in text.split():
        match = _PARAM.fullmatch(word)
        if not match:
            raise refusal("syntax_error", detail=f"parameter {word[:40]!r} is not KEYWORD or KEYWORD=VALUE")
        params.append((match.group(1).upper(), match.group(2)))
    return tuple(params)


def format_path(mailbox: str) -> str:
    """``<mailbox>``; the inverse of parse_path for a client writing commands."""
    return f"<{mailbox}>"


def domain_of(address: str) -> str:
    """The domain of a mailbox, as a key to compare on ("" when there is no local part and @).

    The part after the last @, lower case (RFC 5321 §2.4: "Mailbox domains follow normal
    DNS rules and are hence not case sensitive") and without a final dot. The one place
    that takes a mailbox apart for its domain; ``smtplearn.mx.names.domain_of`` gives the
    same domain in A-labels, for routing.
    """
    local, at, domain = address.rpartition("@")
    return domain.lower().removesuffix(".") if at and local else ""
