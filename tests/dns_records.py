"""One record table, two DNS servers: dnsmasq options for the same (name, type, data) rows.

Tests describe a small DNS world once, as rows such as ("example.test", "MX",
"10 mx1.example.test"), and serve it from a real dnsmasq on a loopback port.
"""

from __future__ import annotations

Record = tuple[str, str, str]


def dnsmasq_options(world: tuple[Record, ...], local_domains: tuple[str, ...] = ("test",)) -> list[str]:
    """dnsmasq flags serving exactly ``world``; every other name under ``local_domains`` is NXDOMAIN."""
    options = [f"--local=/{domain}/" for domain in local_domains]
    for name, rdtype, data in world:
        if rdtype == "MX" and data.split()[1] == ".":
            # dnsmasq has no syntax for a root exchange (RFC 7505 null MX); give the raw RDATA:
            # preference 0 (0000) then the root name, a single zero-length label (00)
            options.append(f"--dns-rr={name},15,000000")
        elif rdtype == "MX":
            preference, exchange = data.split()
            options.append(f"--mx-host={name},{exchange},{preference}")
        elif rdtype in ("A", "AAAA"):
            options.append(f"--host-record={name},{data}")
        elif rdtype == "CNAME":
            options.append(f"--cname={name},{data}")
        elif rdtype == "TXT":
            options.append(f"--txt-record={name},{data}")
        else:
            raise ValueError(f"no dnsmasq mapping for {rdtype} records")
    return options


# The DNS world the course's kernel sees (tests/test_notebooks.py, bench/bench_notebooks.py): (name, type, data). The MX structure copies the real
# domains notebook 05 looks up (as published in 2024); the addresses are documentation
# ranges (RFC 5737, RFC 3849), since no test ever connects to them.
COURSE_WORLD: tuple[Record, ...] = (
    ("python.org", "MX", "50 mail.python.org"),
    ("mail.python.org", "A", "192.0.2.50"),
    ("mail.python.org", "AAAA", "2001:db8::50"),
    ("gmail.com", "MX", "5 gmail-smtp-in.l.google.com"),
    ("gmail.com", "MX", "10 alt1.gmail-smtp-in.l.google.com"),
    ("gmail.com", "MX", "20 alt2.gmail-smtp-in.l.google.com"),
    ("gmail.com", "MX", "30 alt3.gmail-smtp-in.l.google.com"),
    ("gmail.com", "MX", "40 alt4.gmail-smtp-in.l.google.com"),
    ("gmail-smtp-in.l.google.com", "A", "192.0.2.5"),
    ("gmail-smtp-in.l.google.com", "AAAA", "2001:db8::5"),
    ("alt1.gmail-smtp-in.l.google.com", "A", "192.0.2.10"),
    ("alt2.gmail-smtp-in.l.google.com", "A", "192.0.2.20"),
    ("alt3.gmail-smtp-in.l.google.com", "A", "192.0.2.30"),
    ("alt4.gmail-smtp-in.l.google.com", "A", "192.0.2.40"),
    ("yahoo.com", "MX", "1 mta5.am0.yahoodns.net"),
    ("yahoo.com", "MX", "1 mta6.am0.yahoodns.net"),
    ("yahoo.com", "MX", "1 mta7.am0.yahoodns.net"),
    ("mta5.am0.yahoodns.net", "A", "198.51.100.5"),
    ("mta6.am0.yahoodns.net", "A", "198.51.100.6"),
    ("mta7.am0.yahoodns.net", "A", "198.51.100.7"),
    ("example.com", "MX", "0 ."),  # RFC 7505 null MX, as example.com really publishes
    ("example.com", "A", "192.0.2.80"),  # a web address a sender must NOT fall back to
    # notebook 14's SPF and DMARC records, as gmail.com published them (2024)
    ("gmail.com", "TXT", "v=spf1 redirect=_spf.google.com"),
    ("_dmarc.gmail.com", "TXT", "v=DMARC1; p=none; sp=quarantine; rua=mailto:mailauth-reports@google.com"),
)
# Answer NXDOMAIN for every other name under these, so nothing is ever forwarded
# (dnsmasq runs with --no-resolv anyway) and "no-such-school.invalid" does not exist.
COURSE_LOCAL_DOMAINS = ("com", "org", "net", "invalid", "test")
