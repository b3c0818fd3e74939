"""Domain names as DNS wants them: checked, lower case, IDNA-encoded.

Owns the rules a name must follow before any DNS question is sent (RFC 1035
§2.3.4 lengths, RFC 5321 §4.1.2 letters-digits-hyphens, IDNA for Unicode
names), so a typo gets a ``ValueError`` that says what is allowed instead of a
confusing DNS error.
"""

from __future__ import annotations

import ipaddress
import re

import idna

from smtplearn.protocol import addresses
from smtplearn.protocol.errors import UsageError, WrongTypeError

MAX_LABEL = 63  # RFC 1035 §2.3.4: labels are 63 octets or less
MAX_NAME = 253  # RFC 1035 §2.3.4: 255 octets on the wire, i.e. 253 characters without the final dot
# RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str] -- letters, digits, hyphens, not at either end
_LDH = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
NAME_RULES = ("allowed: labels of letters, digits and hyphens (not first or last), 1-63 characters each, "
              "253 in all, joined by dots; Unicode names such as bücher.example are converted with IDNA")


def normalise_domain(domain: str) -> tuple[str, str]:
    """Return ``(ascii, unicode)`` forms of a domain, or raise ValueError saying what is wrong.

    Upper case and a trailing dot are normalised away; Unicode is mapped with
    UTS #46 and encoded to A-labels (``xn--``) with IDNA, because DNS stores only
    ASCII (RFC 5890). IP addresses are refused: there is nothing to look up.
    """
    if not isinstance(domain, str):
        raise WrongTypeError(f"domain must be a str, not {type(domain).__name__}")
    text = domain.strip()
    if "@" in text:
        raise UsageError(f"{domain!r} looks like an email address; MX lookup takes only the domain after "
                         f"the '@', here {text.rpartition('@')[2]!r}")
    _refuse_address_literal(domain, text)
    try:
        mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except idna.IDNAError as exc:
        raise UsageError(f"{domain!r} is not a valid domain name ({exc}); {NAME_RULES}") from None
    mapped = mapped.removesuffix(".")  # RFC 1035 §5.1: a final dot means absolute
    if not mapped:
        raise UsageError(f"empty domain name {domain!r}; {NAME_RULES}")
    name = ".".join(_ascii_label(domain, label) for label in mapped.split("."))
    if len(name) > MAX_NAME:
        raise UsageError(f"{domain[:40]!r}... is {len(name)} characters long in DNS form; {NAME_RULES}")
    if name.rpartition(".")[2].isdigit():  # RFC 3696 §2: a top-level label is never all digits
        raise UsageError(f"{domain!r} ends in an all-digit label, so it is an IP address or a typo, "
                         f"not a domain name; {NAME_RULES}")
    return name, to_unicode(name)


def to_unicode(name: str) -> str:
    """``xn--bcher-kva.example`` -> ``bücher.example``; names that do not decode stay ASCII."""
    try:
        return ".".join(idna.ulabel(label) if label.startswith("xn--") else label for label in name.split("."))
    except idna.IDNAError:
        return name


def _ascii_label(domain: str, label: str) -> str:
    if not label:
        raise UsageError(f"{domain!r} has an empty label (two dots in a row, or a leading dot); {NAME_RULES}")
    if not label.isascii():
        try:
            label = idna.alabel(label).decode("ascii")
        except idna.IDNAError as exc:
            raise UsageError(f"label {label!r} of {domain!r} is not valid IDNA ({exc}); {NAME_RULES}") from None
    if len(label) > MAX_LABEL:
        raise UsageError(f"label {label[:12]}... is {len(label)} characters; {NAME_RULES}")
    if not _LDH.fullmatch(label):
        bad = next((c for c in label if not (c.isascii() and (c.isalnum() or c == "-"))), None)
        what = f"contains {bad!r}" if bad else "starts or ends with a hyphen"
        raise UsageError(f"label {label!r} of {domain!r} {what}; {NAME_RULES}")
    if label.startswith("xn--") and to_unicode(label) == label:
        raise UsageError(f"label {label!r} of {domain!r} starts with xn-- but is not valid punycode; {NAME_RULES}")
    return label


def _refuse_address_literal(domain: str, text: str) -> None:
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    inner = inner[5:] if inner.lower().startswith("ipv6:") else inner
    try:
        ipaddress.ip_address(inner)
    except ValueError:
        return
    # RFC 5321 §4.1.3 / §5.1: mail to an address literal goes straight to that address, no MX lookup
    raise UsageError(f"{domain!r} is an IP address, not a domain name, so there is no MX to look up: mail "
                     "to an address literal like [192.0.2.1] goes straight to that address (RFC 5321 "
                     "§4.1.3). Give a name such as example.com")


def domain_of(address: str) -> str:
    """The domain of a mailbox as a key to compare and route on ("" when there is none).

    The part after the last @, lower case (RFC 5321 §2.4: "Mailbox domains follow normal
    DNS rules and are hence not case sensitive"), without a final dot, and with Unicode
    labels as A-labels, so ``bücher.example`` and ``xn--bcher-kva.example`` are one domain
    (RFC 5890; RFC 6531 §3.2). A name IDNA refuses, or an address literal, stays as written.
    The mailbox is taken apart by ``smtplearn.protocol.addresses.domain_of``; this adds the A-labels.
    """
    return ascii_domain(addresses.domain_of(address))


def ascii_domain(domain: str) -> str:
    """``domain`` lower case, without a final dot, Unicode labels as A-labels (IDNA 2008)."""
    domain = domain.lower().removesuffix(".")
    if domain.isascii() or domain.startswith("["):
        return domain
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii").lower()
    except idna.IDNAError:
        return domain  # left as is: a lookup of it says what is wrong (normalise_domain)


def ascii_mailbox(address: str) -> str:
    """``address`` with its domain as A-labels (the local part is kept exactly: RFC 5321 §2.4
    says it is case sensitive); "" (the null path) and a bare local part stay as they are."""
    local, at, domain = address.rpartition("@")
    return f"{local}@{ascii_domain(domain)}" if at and local else address
