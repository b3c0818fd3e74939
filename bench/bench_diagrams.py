"""How long the pictures take: the state diagram (graphviz) and sequence diagrams of
10, 100 and 1000 exchanges (our own SVG renderer). Issue 3 asks for "well under a
second" at 100 exchanges; this reports the real numbers.

    python bench/bench_diagrams.py      (or the bench runner, which calls run())
"""

from __future__ import annotations

import time
from typing import Any


def _transcript(exchanges: int) -> Any:
    """A real in-memory session: EHLO, then transactions and NOOPs up to ``exchanges``."""
    from smtplearn.transports.memory import Pair
    pair = Pair()
    pair.ehlo()
    count = 2  # greeting + EHLO
    while count + 5 <= exchanges:
        pair.mail("alice@example.org")
        pair.rcpt("bob@example.org")
        pair.data("Subject: bench\r\n\r\n" + "line\r\n" * 20)  # DATA + end of data
        pair.noop()
        count += 5
    while count < exchanges:
        pair.noop()
        count += 1
    return pair.transcript


def _best(fn: Any, deadline: float, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return best


def run(max_seconds: float = 30) -> dict[str, float]:
    """Render times in seconds (best of up to 3), keyed by what was drawn.
    The state diagram needs graphviz's `dot`; without it that entry is NaN."""
    from smtplearn.diagrams import DotNotFoundError, sequence_diagram, state_diagram
    deadline = time.perf_counter() + max_seconds
    results: dict[str, float] = {}
    try:
        results["state_diagram_svg"] = _best(lambda: state_diagram().svg(), deadline)
    except DotNotFoundError:
        results["state_diagram_svg"] = float("nan")
    for n in (10, 100, 1000):
        if time.perf_counter() > deadline:
            break
        transcript = _transcript(n)
        assert len(transcript.turns) == n
        results[f"sequence_{n}_svg"] = _best(lambda: sequence_diagram(transcript).svg(), deadline)
    return results


if __name__ == "__main__":
    for name, seconds in run().items():
        print(f"{name:<22} {seconds * 1000:9.1f} ms")
