"""How long each course notebook takes to run, and the whole course (kernel start excluded).

Each notebook gets a fresh kernel (started before the clock starts, as a
student's is), then every cell runs in order with nbclient, exactly as the
test suite does. Notebook 05's real lookups go to a dnsmasq on a loopback port
serving the course's DNS world (tests/dns_records.py), through
SMTPLEARN_NAMESERVER: the benchmark runs with no network, as the tests do.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT = 300


def time_notebook(path: Path) -> float:
    """Seconds to execute every cell of ``path`` in a kernel that is already running."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        started = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        return time.perf_counter() - started


@contextmanager
def course_dns() -> Any:
    """SMTPLEARN_NAMESERVER -> a local dnsmasq with the course's records, for the kernels we start."""
    sys.path.insert(0, str(NOTEBOOKS.parent / "tests"))
    from dns_records import COURSE_LOCAL_DOMAINS, COURSE_WORLD, dnsmasq_options

    from bench.bench_mx import start_dnsmasq, wait_until_answering
    process, port = start_dnsmasq(tuple(dnsmasq_options(COURSE_WORLD, COURSE_LOCAL_DOMAINS)))
    saved = os.environ.get("SMTPLEARN_NAMESERVER")
    try:
        wait_until_answering(port)
        os.environ["SMTPLEARN_NAMESERVER"] = f"127.0.0.1:{port}"
        yield
    finally:
        if saved is None:
            os.environ.pop("SMTPLEARN_NAMESERVER", None)
        else:
            os.environ["SMTPLEARN_NAMESERVER"] = saved
        process.kill()
        process.wait()


def run(max_seconds: float = 600.0, scale: float = 1.0) -> dict[str, Any]:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        return {"rows": [], "errors": {}, "skipped": f"no notebooks in {NOTEBOOKS} yet"}
    try:
        import nbclient  # noqa: F401
    except ImportError:
        return {"rows": [], "errors": {}, "skipped": "nbclient missing: pip install -e '.[test]'"}
    values: dict[str, float] = {}
    errors: dict[str, str] = {}
    deadline = time.monotonic() + max_seconds
    with course_dns():
        _time_all(paths, deadline, max_seconds, values, errors)
    if values:
        values["whole course"] = round(sum(values.values()), 3)
    return {"rows": [{"id": "notebooks", "unit": "s", "values": values}], "errors": errors}


def _time_all(paths: list[Path], deadline: float, max_seconds: float,
              values: dict[str, float], errors: dict[str, str]) -> None:
    for path in paths:
        if time.monotonic() > deadline:
            errors[path.name] = f"not run: the {max_seconds:g} s budget was spent"
            continue
        try:
            values[path.name] = round(time_notebook(path), 3)
        except Exception as err:  # a broken notebook is a result, not a crash of the bench
            last = str(err).strip().splitlines()[-1:] or [""]  # the exception line, not the cell
            errors[path.name] = f"{type(err).__name__}: {last[0][:300]}"
