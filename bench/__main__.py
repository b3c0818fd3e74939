"""Run every benchmark, write bench/results/latest.json, print a table and the targets.

    python -m bench                 # the full run (a few minutes)
    python -m bench --quick         # tiny counts: proves it works (the smoke test uses it)
    python -m bench --only server,import

Each benchmark is a module with ``run(max_seconds, scale) -> dict`` returning
``rows`` ({id, unit, values: {column: number}}), ``errors`` and maybe
``skipped``. A benchmark that breaks is reported, and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench.targets import TARGETS

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

#: name -> (module, seconds per measured loop in a full run)
BENCHMARKS = {
    "server": ("bench.bench_server", 1.0),
    "client": ("bench.bench_client", 1.5),
    "pair": ("bench.bench_pair", 2.0),
    "import": ("bench.bench_import", 10.0),
    "memory": ("bench.bench_memory", 60.0),
    "notebooks": ("bench.bench_notebooks", 600.0),
    "diagrams": ("bench.bench_diagrams", 20.0),  # written by the diagrams engineer; optional
    "mx": ("bench.bench_mx", 4.0),
}


def run_one(module_name: str, max_seconds: float, scale: float) -> dict[str, Any]:
    if importlib.util.find_spec(module_name) is None:
        return {"rows": [], "errors": {}, "skipped": f"{module_name} does not exist yet"}
    module = importlib.import_module(module_name)
    started = time.perf_counter()
    try:
        try:
            result = module.run(max_seconds, scale)
        except TypeError:  # bench_diagrams takes run(max_seconds) only
            result = module.run(max_seconds)
    except Exception as err:
        result = {"rows": [], "errors": {module_name: f"{type(err).__name__}: {err}"}}
    result = result if "rows" in result else {"rows": [_row_from(module_name, result)], "raw": result}
    result.setdefault("errors", {})
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _row_from(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """A row from a result without ``rows``: its numeric values, flattened."""
    values: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}{key}/" if prefix or key else "", inner)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values[prefix.rstrip("/")] = value

    walk("", result)
    return {"id": name.rsplit(".", 1)[-1], "unit": str(result.get("unit", "")), "values": values}


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, result in results.items():
        if result.get("skipped"):
            lines.append(f"{name}: skipped ({result['skipped']})")
        for row in result["rows"]:
            cells = "  ".join(f"{column} {_num(value)}" for column, value in row["values"].items())
            lines.append(f"{row['id']:<38} {row['unit']:<10} {cells}")
        for who, error in result.get("errors", {}).items():
            lines.append(f"{name}: ERROR {who}: {error}")
    return "\n".join(lines)


def target_report(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = {row["id"]: row for result in results.values() for row in result["rows"]}
    report = []
    for target in TARGETS:
        ratio = target.ratio(rows)
        report.append({"target": target.label, "row": target.row, "ratio": ratio,
                       "wanted": target.wanted, "passed": target.passed(ratio)})
    return report


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts and time limits")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    chosen = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
    scale = 0.01 if args.quick else 1.0
    started = time.time()
    results = {}
    for name in chosen:
        module_name, seconds = BENCHMARKS[name]
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = run_one(module_name, seconds * (0.1 if args.quick else 1.0), scale)
    report = target_report(results)
    print(table(results))
    print()
    for item in report:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[item["passed"]]
        ratio = "-" if item["ratio"] is None else f"{item['ratio']:.2f}"
        print(f"{verdict}  {item['target']:<44} {ratio:>6}  (want {item['wanted']})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1), "quick": args.quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "results": results, "targets": report}, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
