"""Layers import only downward, with no circles (STYLE.md, "Layers import downward only").

The package is read as a graph: every ``import`` of an smtplearn module is an edge,
found by parsing the source (``ast``), so the test sees what a reader sees. From the
bottom up the layers are::

    protocol (standard library only)
      <- transcript, render (records and their text/HTML views)
      <- diagrams
      <- transports, mx
      <- delivery, mini-Internet
      <- widgets, CLI, exercises

A module imports its own layer and the layers below it. A lower layer that must show
itself with an upper layer's code (a ``Reply`` or a ``Transcript`` in Jupyter) names
the view in ``smtplearn.protocol.views.UPWARD_VIEWS``: the only upward reach, and it is
not an import statement. A function-local import of our own module is allowed only
for a module that loads graphviz, ipywidgets or dnspython when imported.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import smtplearn
from smtplearn.protocol.views import UPWARD_VIEWS

PACKAGE_DIR = Path(smtplearn.__file__).parent

#: lowest first; a module belongs to the first entry whose prefix names it
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("smtplearn._lazy", "smtplearn.recorded_runs")),
    ("protocol", ("smtplearn.protocol",)),
    ("records", ("smtplearn.transcript", "smtplearn.render", "smtplearn.browser")),
    ("diagrams", ("smtplearn.diagrams",)),
    ("transports, mx", ("smtplearn.transports", "smtplearn.conversation", "smtplearn.mx",
                        "smtplearn.authentication")),
    ("delivery, mini-Internet", ("smtplearn.delivery", "smtplearn.mini_internet")),
    ("widgets, CLI", ("smtplearn.widgets", "smtplearn.cli", "smtplearn.commands",
                      "smtplearn.exercises", "smtplearn.__main__", "smtplearn")),
)

#: packages too slow to load with ``import smtplearn`` (STYLE.md rule 10); asyncio (+25 ms,
#: only the TCP server uses it) is why ``smtplearn.transports`` keeps its lazy table
HEAVY_PACKAGES = {"graphviz", "ipywidgets", "IPython", "dns", "asyncio"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def layer_of(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to docs/architecture.md)")


@dataclass(frozen=True)
class Import:
    source: str
    target: str      # an smtplearn module (the longest name that exists), or a third-party top name
    line: int
    in_function: bool
    type_only: bool  # under ``if TYPE_CHECKING:``: never runs


def _resolve(source: str, node: ast.ImportFrom | ast.Import, alias: ast.alias) -> str:
    if isinstance(node, ast.Import):
        return alias.name
    base = node.module or ""
    if node.level:
        package = source.split(".") if MODULES[source].name == "__init__.py" else source.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    submodule = f"{base}.{alias.name}"
    return submodule if submodule in MODULES else base


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(source: str) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for alias in child.names:
                    found.append(Import(source, _resolve(source, child, alias), child.lineno,
                                        in_function, type_only))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, True, type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                for inner in child.body:
                    visit(ast.Module(body=[inner], type_ignores=[]), in_function, True)
                for inner in child.orelse:
                    visit(ast.Module(body=[inner], type_ignores=[]), in_function, type_only)
            else:
                visit(child, in_function, type_only)

    visit(ast.parse(MODULES[source].read_text(encoding="utf-8")), False, False)
    return found


ALL_IMPORTS = [imp for module in MODULES for imp in imports_of(module)]
OWN = [imp for imp in ALL_IMPORTS if imp.target.split(".")[0] == "smtplearn"]


def _heavy_modules() -> set[str]:
    """Our modules that load a heavy package when imported, directly or through another of ours."""
    heavy = {imp.source for imp in ALL_IMPORTS
             if not imp.in_function and not imp.type_only and imp.target.split(".")[0] in HEAVY_PACKAGES}
    grew = True
    while grew:
        more = {imp.source for imp in OWN if not imp.in_function and not imp.type_only and imp.target in heavy}
        grew = not more <= heavy
        heavy |= more
    return heavy


HEAVY_MODULES = _heavy_modules()


def test_the_graph_is_read() -> None:
    assert len(MODULES) > 40
    assert any(imp.target == "smtplearn.protocol.states" for imp in OWN)
    assert "smtplearn.mx.zone" in HEAVY_MODULES  # a class cannot subclass a lazy import


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def _names_a_view_type(imp: Import) -> bool:
    """A type-only import from a package of UPWARD_VIEWS: the type of what a named view returns."""
    return imp.type_only and any(imp.target == m or imp.target.startswith(m + ".") for m in UPWARD_VIEWS.values())


def test_imports_go_downward() -> None:
    """An upper layer may use a lower one, never the other way round. Type-only imports count
    too (a lower layer that names an upper layer's types depends on it), except the types the
    named views of UPWARD_VIEWS return. ``smtplearn/__init__.py`` is the top: it exports all."""
    upward = [f"{imp.source}:{imp.line} imports {imp.target} "
              f"({LAYERS[layer_of(imp.source)][0]} -> {LAYERS[layer_of(imp.target)][0]})"
              for imp in OWN if layer_of(imp.target) > layer_of(imp.source) and not _names_a_view_type(imp)]
    assert not upward, "upward imports; use smtplearn.protocol.views for a display hook:\n" + "\n".join(upward)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            strongconnect(node)
    return sorted(found)


def test_no_import_circles() -> None:
    """Every import that runs, at the top or inside a function, counts: a circle dodged with a
    function-local import is still a circle. (Type-only imports never run; they are held to the
    layer rule above.)"""
    edges: dict[str, set[str]] = {}
    for imp in OWN:
        if not imp.type_only and imp.target != imp.source:
            edges.setdefault(imp.source, set()).add(imp.target)
    assert _cycles(edges) == []


def test_a_circle_is_found() -> None:
    """The circle finder itself finds the circles the first review reported."""
    edges = {"replies": {"catalogue", "render.html"}, "catalogue": {"replies"},
             "render.html": {"transcript"}, "transcript": {"render.html"}, "states": set()}
    assert _cycles(edges) == [["catalogue", "replies"], ["render.html", "transcript"]]


def test_function_local_imports_only_for_heavy_modules() -> None:
    """A function-local import of our own module dodges a circle (fix the circle) unless the module
    loads graphviz, ipywidgets or dnspython, which ``import smtplearn`` must not."""
    local = [f"{imp.source}:{imp.line} imports {imp.target} inside a function"
             for imp in OWN if imp.in_function and not imp.type_only and imp.target not in HEAVY_MODULES]
    assert not local, "make these normal imports at the top of the module:\n" + "\n".join(local)


def test_upward_views_are_the_named_hooks() -> None:
    """Each entry of UPWARD_VIEWS reaches up (else it should be a plain import) to a function that exists."""
    for name, module in UPWARD_VIEWS.items():
        assert layer_of(module) > layer_of("smtplearn.protocol.views"), name
        assert callable(getattr(importlib.import_module(module), name)), f"{module} has no {name}"


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True)
    return set(json.loads(result.stdout))


def test_importing_the_protocol_loads_only_the_protocol() -> None:
    loaded = {m for m in _modules_after("import smtplearn.protocol") if m.split(".")[0] == "smtplearn"}
    outside = sorted(m for m in loaded
                     if m not in ("smtplearn", "smtplearn._lazy") and not m.startswith("smtplearn.protocol"))
    assert outside == []
    assert "smtplearn.protocol.server" in loaded


@pytest.mark.parametrize("subpackage", ["delivery", "mini_internet", "render", "commands", "transports", "mx",
                                        "widgets", "diagrams", "protocol"])
def test_light_subpackages_have_no_lazy_table(subpackage: str) -> None:
    """Only ``smtplearn`` itself and subpackages with a heavy module keep a lazy export table
    (``_lazy.lazy_exports``); the others import their names plainly."""
    init = f"smtplearn.{subpackage}"
    uses_lazy = any(imp.target == "smtplearn._lazy" for imp in OWN if imp.source == init)
    heavy_inside = any(m.startswith(init + ".") for m in HEAVY_MODULES)
    assert not uses_lazy or heavy_inside


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end >= 0 else None]


def test_the_layout_docs_name_every_folder_and_module() -> None:
    """README's "How the code is laid out" and docs/architecture.md match the folders: every
    subpackage and every top-level module is named in both (and nothing that is gone)."""
    root = PACKAGE_DIR.parent
    readme = _section((root / "README.md").read_text(encoding="utf-8"), "## How the code is laid out")
    architecture = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    names = {p.name + "/" for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").exists()}
    names |= {p.name for p in PACKAGE_DIR.glob("*.py") if not p.name.startswith("_")}
    names -= {"commands/"}  # written "cli.py + commands/" in the tree
    for doc_name, text in (("README.md", readme), ("docs/architecture.md", architecture)):
        missing = sorted(n for n in names if n not in text and n.removesuffix("/") not in text)
        assert not missing, f"{doc_name} does not name {missing}"
    written = re.findall(r"`(?:smtplearn/)?([\w/]+(?:\.py|/))`", readme)
    gone = sorted(name for name in written if not ((PACKAGE_DIR / name).exists() or (root / name).exists()
                                                   or ("/" not in name and any(PACKAGE_DIR.rglob(name)))))
    assert len(written) > 10 and not gone, f"README names {gone}, which are not in smtplearn/"
