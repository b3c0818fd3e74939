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


def run(max_seconds: float = 1.0, scale: float = 1.0, servers: tuple[str, ...] = peers.SERVERS,
        rounds: int = 2) -> dict[str, Any]:
    """Rows of {id, unit, values: {server: number}}; errors per cell are recorded, not raised.

    All servers run at once (an idle one costs nothing) and each cell measures
    them in turn, ``rounds`` times, keeping each server's best: other work on
    the machine then slows every server alike instead of whichever ran last.
    """
    rows: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    messages = {name: clients.make_message(size) for name, size in SIZES.items()}
    running: dict[str, peers.RunningPeer] = {}
    for server in servers:
        try:
            running[server] = peers.start(server)
        except (peers.PeerMissing, RuntimeError) as err:
            errors[server] = str(err)

    def best(id_: str, unit: str, lower_is_better: bool, measure: Any) -> None:
        values = rows.setdefault(id_, {"id": id_, "unit": unit, "values": {}})["values"]
        for _ in range(rounds):
            for name, peer in running.items():
                try:
                    value = round(measure(peer), 3)
                except peers.PeerMissing as err:
                    errors["smtp-source"] = str(err)
                    return
                except Exception as err:  # one broken cell must not lose the others
                    errors[f"{id_} {name}"] = f"{type(err).__name__}: {str(err)[:300]}"
                    continue
                old = values.get(name)
                if old is None or (value < old if lower_is_better else value > old):
                    values[name] = value

    try:
        for peer in running.values():  # warm up: imports, first connections
            clients.smtplib_run(peer.host, peer.port, messages["1KiB"], "persistent", 50, 1.0)
        best("server/noop_roundtrip", "µs", True, lambda p: clients.noop_roundtrip_us(
            p.host, p.port, max(10, int(NOOP_COUNT * scale)), max_seconds))
        for (size, mode), (count, source_count) in COUNTS.items():
            unit = "msgs/s" if size == "1KiB" else "MB/s"

            def rate(m: clients.Measurement) -> float:
                return m.per_second if unit == "msgs/s" else m.mb_per_second

            smtplib_rates: dict[str, float] = {}

            def by_smtplib(p: peers.RunningPeer) -> float:
                m = clients.smtplib_run(p.host, p.port, messages[size], mode,
                                        max(2, int(count * scale)), max_seconds)
                smtplib_rates[p.name] = m.per_second
                return rate(m)

            def by_smtp_source(p: peers.RunningPeer) -> float:
                # smtp-source has no time limit: ask for what smtplib managed in max_seconds
                n = int(smtplib_rates.get(p.name, 100) * max_seconds)
                n = min(max(4, n), max(4, int(source_count * scale)))
                return rate(clients.smtp_source_run(p.host, p.port, SIZES[size], mode, n, max_seconds))

            best(row_id("smtplib", mode, size), unit, False, by_smtplib)
            best(row_id("smtp-source", mode, size), unit, False, by_smtp_source)
    finally:
        for peer in running.values():
            peer.stop()
    return {"rows": list(rows.values()), "errors": errors}
