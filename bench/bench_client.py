"""Client throughput: smtplearn.Client vs smtplib, both against Postfix's smtp-sink.

smtp-sink is C and answers at once, so the client is what is measured. Both
clients say EHLO, then MAIL, RCPT, DATA and the text, one round trip each.
"""

from __future__ import annotations

from typing import Any

from bench import clients, peers

CASES = (  # (mode, size name, size, count before scaling)
    ("per_connection", "1KiB", 1024, 3000),
    ("persistent", "1KiB", 1024, 10000),
    ("persistent", "1MiB", 1024 * 1024, 150),
)
DRIVERS = {"smtplearn.Client": clients.smtplearn_run, "smtplib": clients.smtplib_run}


def run(max_seconds: float = 1.5, scale: float = 1.0, rounds: int = 2) -> dict[str, Any]:
    try:
        peer = peers.start("smtp-sink")
    except (peers.PeerMissing, RuntimeError) as err:
        return {"rows": [], "errors": {"smtp-sink": str(err)}}
    rows = []
    with peer:
        for mode, size_name, size, count in CASES:
            message = clients.make_message(size)
            unit = "msgs/s" if size_name == "1KiB" else "MB/s"
            values: dict[str, float] = {}
            for _ in range(rounds):  # interleaved, best of each: the machine may be shared
                for name, drive in DRIVERS.items():
                    drive(peer.host, peer.port, message, mode, 20, 0.5)  # warm up
                    m = drive(peer.host, peer.port, message, mode, max(2, int(count * scale)), max_seconds)
                    value = round(m.per_second if unit == "msgs/s" else m.mb_per_second, 3)
                    values[name] = max(value, values.get(name, 0.0))
            rows.append({"id": f"client/{mode}/{size_name}", "unit": unit, "values": values})
    return {"rows": rows, "errors": {}}
