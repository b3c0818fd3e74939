"""Peak memory a server spends on one large message (25 MiB by default).

The server runs in its own process; we read its resident set from
/proc/<pid>/status before the message (VmRSS, after resetting the peak) and
its peak after the message is accepted (VmHWM). The difference, divided by
the message size, is how many copies of the message the server held at once.
The stored message itself is one of them (the mailbox keeps it).

Then the cost of a crowd: RSS growth while 1,000 connections sit idle.
"""

from __future__ import annotations

import smtplib
from typing import Any

from bench import clients, peers

SIZE = 25 * 1024 * 1024
#: idle connections held open at once (issue 11: they must cost < 100 MiB)
IDLE_CONNECTIONS = 1000


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


def idle_connections_cost(server: str, count: int) -> float:
    """RSS growth of ``server`` (MiB) while ``count`` connections sit idle after the greeting."""
    import resource
    import socket

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, count + 256), hard), hard))
    socks: list[socket.socket] = []
    with peers.start(server) as peer:
        try:
            before = peer.memory_kib()["VmRSS"]
            for _ in range(count):
                sock = socket.create_connection((peer.host, peer.port), timeout=30)
                socks.append(sock)
            for sock in socks:
                sock.recv(512)  # the greeting: the server has set the session up
            return (peer.memory_kib()["VmRSS"] - before) / 1024
        finally:
            for sock in socks:
                sock.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def run(max_seconds: float = 30.0, scale: float = 1.0, servers: tuple[str, ...] = ("smtplearn", "aiosmtpd")) -> dict[str, Any]:
    size = max(1024 * 1024, int(SIZE * scale))
    values: dict[str, float] = {}
    errors: dict[str, str] = {}
    for server in servers:
        try:
            values[server] = round(peak_cost(server, size) / size, 2)
        except Exception as err:
            errors[server] = f"{type(err).__name__}: {err}"
    idle: dict[str, float] = {}
    count = max(10, int(IDLE_CONNECTIONS * min(scale, 1.0)))
    for server in servers:
        try:
            idle[server] = round(idle_connections_cost(server, count), 1)
        except Exception as err:
            errors[f"idle {server}"] = f"{type(err).__name__}: {err}"
    return {"rows": [{"id": f"memory/peak_rss_per_message_size/{size // (1024 * 1024)}MiB",
                      "unit": "x size", "values": values},
                     {"id": f"memory/idle_connections/{count}", "unit": "MiB", "values": idle}],
            "errors": errors}
