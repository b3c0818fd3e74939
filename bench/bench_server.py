"""Server throughput and NOOP latency: smtplearn.Server vs aiosmtpd vs smtp-sink.

Every server is driven by the same clients (smtplib and smtp-source), in the
same run, one server at a time (so they never compete for the two cores):
one connection per message, one persistent connection, PARALLEL connections;
1 KiB and 1 MiB messages. 1 KiB results are in messages/s, 1 MiB in MB/s.
"""

from __future__ import annotations

from typing import Any

from bench import clients, peers

SIZES = {"1KiB": 1024, "1MiB": 1024 * 1024}
#: messages per cell before scaling: (smtplib's upper bound, smtp-source's exact count)
COUNTS = {
    ("1KiB", "per_connection"): (3000, 600),
    ("1KiB", "persistent"): (10000, 3000),
    ("1KiB", "parallel"): (10000, 3000),
    ("1MiB", "per_connection"): (80, 30),
    ("1MiB", "persistent"): (120, 40),
    ("1MiB", "parallel"): (120, 40),
}
NOOP_COUNT = 3000


def row_id(client: str, mode: str, size: str) -> str:
    return f"server/{client}/{mode}/{size}"


def run(max_seconds: float = 1.5, scale: float = 1.0, servers: tuple[str, ...] = peers.SERVERS) -> dict[str, Any]:
    """Rows of {id, unit, values: {server: number}}; errors per server are recorded, not raised."""
    rows: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    messages = {name: clients.make_message(size) for name, size in SIZES.items()}

    def put(id_: str, unit: str, server: str, value: float) -> None:
        rows.setdefault(id_, {"id": id_, "unit": unit, "values": {}})["values"][server] = round(value, 3)

    for server in servers:
        try:
            peer = peers.start(server)
        except (peers.PeerMissing, RuntimeError) as err:
            errors[server] = str(err)
            continue
        with peer:
            try:
                clients.smtplib_run(peer.host, peer.port, messages["1KiB"], "persistent", 50, 1.0)  # warm up
                put("server/noop_roundtrip", "µs", server, clients.noop_roundtrip_us(
                    peer.host, peer.port, max(10, int(NOOP_COUNT * scale)), max_seconds))
                for (size, mode), (count, source_count) in COUNTS.items():
                    unit = "msgs/s" if size == "1KiB" else "MB/s"
                    m = clients.smtplib_run(peer.host, peer.port, messages[size], mode,
                                            max(2, int(count * scale)), max_seconds)
                    put(row_id("smtplib", mode, size), unit, server,
                        m.per_second if unit == "msgs/s" else m.mb_per_second)
                    try:
                        m = clients.smtp_source_run(peer.host, peer.port, SIZES[size], mode,
                                                    max(4, int(source_count * scale)), max_seconds)
                    except peers.PeerMissing as err:
                        errors["smtp-source"] = str(err)
                        continue
                    put(row_id("smtp-source", mode, size), unit, server,
                        m.per_second if unit == "msgs/s" else m.mb_per_second)
            except Exception as err:  # one broken peer must not lose the others' results
                errors[server] = f"{type(err).__name__}: {err}"
    return {"rows": list(rows.values()), "errors": errors}
