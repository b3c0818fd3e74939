"""The types are checked, not only written: mypy runs as part of ``make test``.

``pyproject.toml`` ([tool.mypy]) holds the settings: strict on ``smtplearn/protocol/``
(the core students read first), mypy's default checks on the rest. A type error
anywhere fails this test, and so ``make test``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_type_errors() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert "No module named mypy" not in result.stderr, "mypy is missing: pip install -e '.[test]'"
    assert result.returncode == 0, f"mypy found type errors:\n{result.stdout}{result.stderr}"


def test_the_core_is_checked_strictly(tmp_path: Path) -> None:
    """The strict settings reach the protocol package: an unannotated function there is an error,
    the same function elsewhere is not (a fake module under each name, checked with the project's config)."""
    untyped = "def twice(x):\n    return 2 * x\n"
    core = tmp_path / "smtplearn" / "protocol"
    core.mkdir(parents=True)
    (tmp_path / "smtplearn" / "__init__.py").write_text("")
    (core / "__init__.py").write_text("")
    (core / "probe.py").write_text(untyped)
    (tmp_path / "smtplearn" / "probe.py").write_text(untyped)
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                             "--no-incremental", "smtplearn/protocol/probe.py", "smtplearn/probe.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert "smtplearn/protocol/probe.py:1: error: Function is missing a type annotation" in result.stdout
    assert "smtplearn/probe.py:" not in result.stdout
