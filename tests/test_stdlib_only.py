"""The protocol core imports only the standard library and does no I/O;
``import smtplearn`` stays light (STYLE.md rules 2 and 10)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import smtplearn.protocol

PROTOCOL_DIR = Path(smtplearn.protocol.__file__).parent
MODULES = sorted(PROTOCOL_DIR.glob("*.py"))
#: standard-library modules that do I/O or concurrency: the transports' business
FORBIDDEN = {"socket", "ssl", "threading", "asyncio", "selectors", "select", "subprocess",
             "multiprocessing", "concurrent", "socketserver", "smtplib", "http", "urllib"}


def imported_modules(tree: ast.AST) -> set[str]:
    """Every module ``tree`` imports, inside functions too (a value shows itself with an upper
    layer's code through smtplearn.protocol.views, which imports nothing of ours)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            pytest.fail("relative import in smtplearn/protocol: write 'from smtplearn.protocol... import'")
    return names


def test_there_are_protocol_modules() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_protocol_module_imports_only_the_standard_library(path: Path) -> None:
    for name in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
        top = name.split(".")[0]
        if top == "smtplearn":
            assert name.startswith("smtplearn.protocol"), f"{path.name} imports {name}: the core stands alone"
            continue
        assert top in sys.stdlib_module_names or top == "__future__", f"{path.name} imports {name}"
        assert top not in FORBIDDEN, f"{path.name} imports {name}: no I/O in the protocol core"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_protocol_module_never_prints_or_opens_files(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("print", "open", "input"), \
                f"{path.name}:{node.lineno} calls {node.func.id}(): the core does no I/O"


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            check=True)
    return set(json.loads(result.stdout))


HEAVY = ("graphviz", "ipywidgets", "dns", "IPython")


@pytest.mark.parametrize("code", ["import smtplearn", "import smtplearn.protocol",
                                  "import smtplearn; smtplearn.Pair().ehlo()"])
def test_import_smtplearn_stays_light(code: str) -> None:
    loaded = _modules_after(code)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert not heavy, f"{code!r} imported {heavy}; import them inside the functions that need them"


def test_protocol_package_loads_no_threads_or_event_loops() -> None:
    # (socket does get loaded: the standard library's email.utils imports it for make_msgid)
    loaded = _modules_after("import smtplearn.protocol") - _modules_after("")
    assert not {"threading", "asyncio"} & {m.split(".")[0] for m in loaded}
