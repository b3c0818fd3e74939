"""Peak memory a server spends on one large message (25 MiB by default).

The server runs in its own process; we read its resident set from
/proc/<pid>/status before the message (VmRSS, after resetting the peak) and
its peak after the message is accepted (VmHWM). The difference, divided by
the message size, is how many copies of the message the server held at once.
The stored message itself is one of them (the mailbox keeps it).
"""

from __future__ import annotations

import smtplib
from typing import Any

from bench import clients, peers

SIZE = 25 * 1024 * 1024


def peak_cost(server: str, size: int) -> float:
    """Peak RSS growth of ``server`` while receiving one message of ``size`` octets, in bytes."""
    message = clients.make_message(size)
    with peers.start(server) as peer:
        with smtplib.SMTP(peer.host, peer.port, local_hostname=clients.CLIENT_NAME, timeout=60) as smtp:
            smtp.sendmail(clients.SENDER, [clients.RECIPIENT], clients.make_message(4096))  # warm up
            peer.reset_peak()
            before = peer.memory_kib()["VmRSS"]
            smtp.sendmail(clients.SENDER, [clients.RECIPIENT], message)
            peak = peer.memory_kib()["VmHWM"]
    return (peak - before) * 1024


def run(max_seconds: float = 30.0, scale: float = 1.0, servers: tuple[str, ...] = ("smtplearn", "aiosmtpd")) -> dict[str, Any]:
    size = max(1024 * 1024, int(SIZE * scale))
    values: dict[str, float] = {}
    errors: dict[str, str] = {}
    for server in servers:
        try:
            values[server] = round(peak_cost(server, size) / size, 2)
        except Exception as err:
            errors[server] = f"{type(err).__name__}: {err}"
    return {"rows": [{"id": f"memory/peak_rss_per_message_size/{size // (1024 * 1024)}MiB",
                      "unit": "x size", "values": values}], "errors": errors}
