"""The targets of issues 7 and 11, as data: which row, which two columns, which bound.

A ratio is ours / theirs (for a single-column target, the value itself).
"higher" means the ratio must be at least ``bound``; "lower" at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    label: str
    row: str
    ours: str
    theirs: str | None
    better: str  # "higher" or "lower"
    bound: float

    def ratio(self, rows: dict[str, dict[str, Any]]) -> float | None:
        values = rows.get(self.row, {}).get("values", {})
        if self.ours not in values or (self.theirs and not values.get(self.theirs)):
            return None
        return values[self.ours] / values[self.theirs] if self.theirs else values[self.ours]

    def passed(self, ratio: float | None) -> bool | None:
        if ratio is None:
            return None
        return ratio >= self.bound if self.better == "higher" else ratio <= self.bound

    @property
    def wanted(self) -> str:
        return f"{'≥' if self.better == 'higher' else '≤'} {self.bound:g}"


TARGETS = (
    Target("server, smtplib, 1 conn/msg vs aiosmtpd", "server/smtplib/per_connection/1KiB",
           "smtplearn", "aiosmtpd", "higher", 2.0),
    Target("server, smtplib, 1 conn/msg vs smtp-sink", "server/smtplib/per_connection/1KiB",
           "smtplearn", "smtp-sink", "higher", 0.5),
    Target("server, smtplib, persistent vs aiosmtpd", "server/smtplib/persistent/1KiB",
           "smtplearn", "aiosmtpd", "higher", 2.5),
    Target("server, smtplib, 1 MiB MB/s vs aiosmtpd", "server/smtplib/persistent/1MiB",
           "smtplearn", "aiosmtpd", "higher", 3.0),
    Target("server, smtp-source, 1 MiB MB/s vs aiosmtpd", "server/smtp-source/persistent/1MiB",
           "smtplearn", "aiosmtpd", "higher", 3.0),
    Target("NOOP round trip vs smtp-sink", "server/noop_roundtrip", "smtplearn", "smtp-sink",
           "lower", 1.3),
    Target("client vs smtplib (persistent, 1 KiB)", "client/persistent/1KiB", "smtplearn.Client",
           "smtplib", "higher", 1.0),
    Target("import smtplearn vs import smtplib", "import", "smtplearn", "smtplib", "lower", 1.5),
    Target("1,000 idle connections: server RSS growth (MiB)", "memory/idle_connections/1000",
           "smtplearn", None, "lower", 100.0),
    Target("server peak RSS for 25 MiB / size", "memory/peak_rss_per_message_size/25MiB",
           "smtplearn", None, "lower", 3.0),
)
