"""MX lookup overhead: smtplearn.mx.lookup_mx vs the same queries in raw dnspython.

Both ask a real dnsmasq on a loopback port (started here, never forwarding
anywhere) for one domain's MX records and each exchange's A and AAAA: the
queries lookup_mx makes. The difference is what smtplearn adds (ordering,
notes, the result object).
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from bench.peers import free_port

DOMAIN = "example.test"
RECORDS = ("--local=/test/", "--mx-host=example.test,mx1.example.test,10",
           "--mx-host=example.test,mx2.example.test,20",
           "--host-record=mx1.example.test,127.0.0.2", "--host-record=mx2.example.test,127.0.0.3")


def start_dnsmasq(records: tuple[str, ...] = RECORDS) -> tuple[subprocess.Popen, int]:
    """A real dnsmasq on a free loopback port serving ``records`` (dnsmasq options), never forwarding."""
    import os
    import shutil

    binary = shutil.which("dnsmasq") or shutil.which("dnsmasq", path="/usr/sbin:/sbin")
    if not binary:
        raise FileNotFoundError("dnsmasq not found: install Debian's dnsmasq-base (make system-deps)")
    port = free_port()
    command = [binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
               f"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
               "--pid-file=", "--log-facility=-", *records]
    if os.geteuid() == 0:
        command.append("--user=root")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port


def wait_until_answering(port: int, seconds: float = 5.0) -> None:
    """Return once the dnsmasq on ``port`` answers a query (a bounded loop), else TimeoutError."""
    import dns.exception

    from smtplearn.mx import make_resolver
    resolver = make_resolver(f"127.0.0.1:{port}", timeout=0.5, lifetime=0.5)
    deadline = time.monotonic() + seconds
    while True:
        try:
            resolver.resolve("probe.invalid", "A")
            return
        except dns.exception.Timeout:  # silence: not listening yet
            if time.monotonic() > deadline:
                raise TimeoutError(f"dnsmasq on port {port} did not answer within {seconds:g} s") from None
            time.sleep(0.05)
        except dns.exception.DNSException:  # NXDOMAIN, REFUSED...: it answered
            return


def _raw(resolver: Any) -> None:
    import dns.resolver

    for record in resolver.resolve(DOMAIN, "MX"):
        name = record.exchange.to_text()
        for rdtype in ("A", "AAAA"):
            try:
                resolver.resolve(name, rdtype)
            except dns.resolver.NoAnswer:
                pass


def _timed(call: Any, count: int, max_seconds: float) -> float:
    """Median microseconds per call."""
    times: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(times) < count and time.perf_counter() < deadline:
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2] * 1e6


def run(max_seconds: float = 2.0, scale: float = 1.0) -> dict[str, Any]:
    from smtplearn.mx import lookup_mx, make_resolver

    try:
        process, port = start_dnsmasq()
    except FileNotFoundError as err:
        return {"rows": [], "errors": {"dnsmasq": str(err)}}
    try:
        resolver = make_resolver(f"127.0.0.1:{port}")
        try:
            wait_until_answering(port)
        except TimeoutError as err:
            return {"rows": [], "errors": {"dnsmasq": str(err)}}
        count = max(5, int(500 * scale))
        raw = _timed(lambda: _raw(resolver), count, max_seconds / 2)
        ours = _timed(lambda: lookup_mx(DOMAIN, resolver, seed=1), count, max_seconds / 2)
    finally:
        process.terminate()
        process.wait(5)
    return {"rows": [{"id": "mx/lookup", "unit": "µs",
                      "values": {"lookup_mx": round(ours, 1), "dnspython": round(raw, 1)}}],
            "errors": {}}
