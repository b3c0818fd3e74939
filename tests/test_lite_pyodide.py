"""The core test files, run on the Python the browser runs: the site's own Pyodide (CPython 3.14 in
WebAssembly) under Node, with pytest from local wheels. Everything that needs no socket is here:
the protocol core, Pair, transcripts, sequence diagrams, ZoneResolver and the mini-Internet."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lite_site import SITE, require_fresh_site

pytestmark = [pytest.mark.lite, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parent.parent
WHEELS = REPO / "build" / "lite-cache" / "test-wheels"
CORE = ["test_protocol_server.py", "test_protocol_client.py", "test_protocol_commands.py",
        "test_protocol_data.py", "test_protocol_replies.py", "test_protocol_states.py", "test_pair.py",
        "test_transcript.py", "test_diagrams_sequence.py", "test_mx_zone.py", "test_mini_internet.py"]


def test_core_tests_pass_on_pyodide_python_3_14():
    require_fresh_site()
    node = shutil.which("node")
    if node is None or not (SITE / "static/pyodide/pyodide.mjs").exists() or not any(WHEELS.glob("pytest-*.whl")):
        pytest.fail("needs node (scripts/system-deps.sh installs npm) and `make lite` (the site and the test wheels)")
    done = subprocess.run([node, str(REPO / "tests/pyodide_pytest.mjs"), str(SITE), str(REPO), str(WHEELS), *CORE],
                          capture_output=True, text=True, timeout=540)
    output = done.stdout + done.stderr
    assert "python 3.14" in output and "emscripten" in output, output[-3000:]
    assert done.returncode == 0, output[-5000:]
    passed = int(re.search(r"(\d+) passed", output).group(1))
    print(f"on Pyodide: {passed} passed")
    assert passed > 400 and " failed" not in output
