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
