"""``import smtplearn`` vs ``import smtplib``: best of N fresh interpreters.

Each probe is a new ``python -c`` that times only the import statement (not
the interpreter's own start), so the number is what a student waits for in a
REPL or a notebook. Heavy libraries (graphviz, ipywidgets, dnspython) must
load lazily for smtplearn to stay close to smtplib.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
MODULES = ("smtplearn", "smtplib")


def import_seconds(module: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], check=True,
                         capture_output=True, text=True, timeout=60)
    return float(out.stdout.strip())


def run(max_seconds: float = 5.0, scale: float = 1.0) -> dict[str, Any]:
    best = {module: float("inf") for module in MODULES}
    rounds = max(3, int(15 * scale))
    deadline = time.monotonic() + max_seconds
    for done in range(rounds):
        for module in MODULES:  # interleaved, so a busy moment hurts both alike
            best[module] = min(best[module], import_seconds(module))
        if done >= 2 and time.monotonic() > deadline:
            break
    return {"rows": [{"id": "import", "unit": "ms",
                      "values": {m: round(s * 1000, 3) for m, s in best.items()}}], "errors": {}}
