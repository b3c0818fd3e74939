"""Recorded DNS answers for the real domains the course looks up, for a class with no DNS.

This file owns two things: the records (``RECORDED_ZONES``, zone text, dated) and the
one check notebook 05 makes before its lessons (``live_or_recorded``): ask a DNS server
one quick question; if none answers (a laptop offline, a classroom firewall), say so
plainly and hand back a ``ZoneResolver`` that answers from the recorded zones. Every
lesson then still shows, through the same ``lookup_mx`` code, for the same domains.

What was recorded, and how far to trust it:

* the **MX records** (names and preferences) of python.org, gmail.com and yahoo.com, and
  example.com's null MX (RFC 7505), as these domains published them in 2024 -- the same
  structure ``tests/dns_records.py`` serves to the test suite;
* **addresses** for each mail host as published answers showed them: Gmail's from one
  answer of Google's own nameserver (October 2022), Yahoo's as Postfix logs record
  them, mail.python.org's as python.org's SPF record also lists them. Big providers
  answer with different addresses depending on where and when you ask, and change
  them often: read these as examples, not as where the mail goes today;
* ``.invalid`` exists in no DNS at all (RFC 2606 §2), so every name under it is NXDOMAIN,
  as on the real Internet.

A name outside these zones gets REFUSED, which ``lookup_mx`` reports as a temporary
error: with recorded answers, only the recorded domains can be looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from smtplearn.mx.lookup import MXLookupError
from smtplearn.mx.resolver import describe_resolver, make_resolver

__all__ = ["RECORDED_DOMAINS", "RECORDED_ON", "RECORDED_ZONES", "DNSChoice", "live_or_recorded",
           "recorded_resolver"]

#: when the MX records below were published as shown
RECORDED_ON = "2024"
#: the domains notebook 05 looks up, which the recording covers
RECORDED_DOMAINS = ("python.org", "gmail.com", "yahoo.com", "example.com", "no-such-school.invalid")
PROBE_DOMAIN = "python.org"  # the notebook's first lookup, asked once to see whether DNS answers
PROBE_TIMEOUT = 1.5  # seconds: a working resolver answers in milliseconds, a missing one never

RECORDED_ZONES: tuple[str, ...] = (
    # mail.python.org's addresses are also in python.org's SPF record (ip4:/ip6:)
    """
    $ORIGIN python.org.
    @       MX    50 mail
    mail    A     188.166.95.178
    mail    AAAA  2a03:b0c0:2:d0::71:1
    """,
    """
    $ORIGIN gmail.com.
    @       MX    5  gmail-smtp-in.l.google.com.
    @       MX    10 alt1.gmail-smtp-in.l.google.com.
    @       MX    20 alt2.gmail-smtp-in.l.google.com.
    @       MX    30 alt3.gmail-smtp-in.l.google.com.
    @       MX    40 alt4.gmail-smtp-in.l.google.com.
    """,
    # the addresses ns1.google.com gave with gmail.com's MX answer in October 2022
    """
    $ORIGIN l.google.com.
    gmail-smtp-in       A     142.251.8.27
    gmail-smtp-in       AAAA  2404:6800:4008:c15::1b
    alt1.gmail-smtp-in  A     142.250.141.27
    alt1.gmail-smtp-in  AAAA  2607:f8b0:4023:c0b::1b
    alt2.gmail-smtp-in  A     142.250.115.26
    alt2.gmail-smtp-in  AAAA  2607:f8b0:4023:1004::1a
    alt3.gmail-smtp-in  A     64.233.171.27
    alt3.gmail-smtp-in  AAAA  2607:f8b0:4003:c15::1a
    alt4.gmail-smtp-in  A     142.250.152.27
    alt4.gmail-smtp-in  AAAA  2607:f8b0:4001:c56::1b
    """,
    """
    $ORIGIN yahoo.com.
    @       MX    1 mta5.am0.yahoodns.net.
    @       MX    1 mta6.am0.yahoodns.net.
    @       MX    1 mta7.am0.yahoodns.net.
    """,
    # one or two of the several addresses each host answers with, as Postfix logs show them
    """
    $ORIGIN am0.yahoodns.net.
    mta5    A     67.195.204.72
    mta5    A     67.195.168.230
    mta6    A     67.195.228.94
    mta7    A     63.250.192.46
    """,
    # RFC 7505's null MX, and the web addresses (2024) a sender must NOT fall back to
    """
    $ORIGIN example.com.
    @       MX    0 .
    @       A     93.184.215.14
    @       AAAA  2606:2800:21f:cb07:6820:80da:af6b:8b2c
    """,
    # no such zone exists (RFC 2606 §2): the root's servers answer NXDOMAIN for every name
    # under .invalid, with an SOA that says how long to remember that (RFC 2308 §3)
    """
    $ORIGIN invalid.
    @       SOA   a.root-servers.net. nstld.verisign-grs.com. 2024010100 1800 900 604800 86400
    """,
)


def recorded_resolver() -> Any:
    """A ``ZoneResolver`` over ``RECORDED_ZONES``: no network, the same answers every time."""
    from smtplearn.mx.zone import ZoneResolver  # imports dnspython: loaded only when used

    class RecordedResolver(ZoneResolver):
        def describe(self) -> str:
            return (f"recorded answers for {', '.join(RECORDED_DOMAINS[:4])} (MX records as published in "
                    f"{RECORDED_ON}; ZoneResolver, no network)")

        def __repr__(self) -> str:
            return f"<RecordedResolver {RECORDED_ON}>"

    return RecordedResolver(*RECORDED_ZONES)


@dataclass(frozen=True)
class DNSChoice:
    """Which resolver the lessons use, and a sentence saying why."""

    resolver: Any
    live: bool
    message: str

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "DNS answers.") if self.live else ("#9a6700", "No DNS server answered.")
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px">'
                f'<b style="color:{colour}">{mark}</b> {escape(self.message.split(": ", 1)[1])}</div>')


def live_or_recorded(resolver: Any = None, *, probe: str = PROBE_DOMAIN,
                     timeout: float = PROBE_TIMEOUT) -> DNSChoice:
    """Ask one DNS question (at most ``timeout`` seconds); on no answer, use the recorded zones.

    ``resolver`` defaults to ``make_resolver()`` (``SMTPLEARN_NAMESERVER``, else the
    system resolver). Any answer counts, even "no such domain": a server answered.
    A timeout, every server failing or refusing, or no resolver configured at all
    means the lessons run on ``recorded_resolver()`` instead.
    """
    import dns.exception  # dnspython loads on first use, never with `import smtplearn`
    import dns.resolver

    try:
        live = resolver if resolver is not None else make_resolver()
    except MXLookupError as exc:  # NoResolverConfigured: no nameservers in /etc/resolv.conf
        return _recorded(f"this computer has no DNS resolver configured ({exc.message.split(';')[0]})")
    source = describe_resolver(live)
    try:
        live.resolve(probe + ".", "MX", lifetime=timeout)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        pass  # a server answered, just not with records: DNS works
    except dns.exception.Timeout:
        return _recorded(f"{source} did not answer a question about {probe} within {timeout:g} s")
    except dns.resolver.NoNameservers:
        return _recorded(f"{source} could not answer a question about {probe} (it failed or refused)")
    return DNSChoice(live, True, f"DNS answers: the lookups below are live, asked of {source}.")


def _recorded(why: str) -> DNSChoice:
    message = (f"No DNS server answered: {why}. This computer cannot reach DNS right now (offline, or a "
               f"firewall). The lookups below use recorded answers instead: the MX records of "
               f"{', '.join(RECORDED_DOMAINS[:4])} as published in {RECORDED_ON}, with example addresses, "
               "served by a ZoneResolver through the same lookup_mx code (smtplearn/mx/recorded.py says where "
               "each record comes from). Only these domains are recorded; with a network, run this cell "
               "again for live answers.")
    return DNSChoice(recorded_resolver(), False, message)
