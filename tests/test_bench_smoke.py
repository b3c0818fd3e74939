# The benchmark runner works end to end with tiny counts: it starts and stops its
# peers, writes its JSON and prints the targets. Numbers are not checked here (a
# loaded test machine says nothing about speed); `make bench` is for that.
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.peers
def test_quick_run_writes_results_and_prints_targets(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "server,client,pair,import,memory,mx",
         "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    rows = {row["id"]: row for r in results["results"].values() for row in r["rows"]}
    assert rows["pair/sessions"]["values"]["smtplearn.Pair"] > 0
    assert set(rows["import"]["values"]) == {"smtplearn", "smtplib"}
    assert rows["server/smtplib/persistent/1KiB"]["values"]["smtplearn"] > 0
    assert "aiosmtpd" in rows["server/smtplib/persistent/1KiB"]["values"]
    assert any(line.startswith(("PASS", "FAIL")) for line in run.stdout.splitlines())
    assert len(results["targets"]) >= 7


def test_unknown_benchmark_is_refused_with_the_known_names() -> None:
    run = subprocess.run([sys.executable, "-m", "bench", "--only", "nope"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "known: server" in run.stderr
