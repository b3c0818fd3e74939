"""Build the course as a JupyterLite site (``make lite``): a static folder that runs in the browser.

Everything comes from the package registries, so a fresh machine can build it:

- the Pyodide distribution (Python 3.14 compiled to WebAssembly) from the npm registry
  (``npm pack pyodide@PYODIDE``); the npm package carries the core only, so the pure-Python
  packages the kernel loads from it (micropip, IPython and friends, dnspython, idna) are
  taken from PyPI at the versions ``pyodide-lock.json`` names, put beside it, and their
  lock entries rewritten with the sha256 of the files we serve (Pyodide rebuilt some);
- the wheels the kernel installs with piplite (comm, ipywidgets, graphviz, smtplearn itself)
  from PyPI and from this checkout, served from the site's own ``pypi/`` folder;
- Graphviz compiled to WebAssembly (``@viz-js/viz`` from the npm registry), served under
  ``static/smtplearn/`` for the state diagram (smtplearn/diagrams/wasm.py);
- the notebooks of ``notebooks/`` as the site's files.

The site makes no request off its own origin: the kernel's settings point at the site's own
Pyodide, and PyPI fallback is off (lite/jupyter-lite.json). Downloads are cached in
``build/lite-cache/`` (a second build is offline). Output: ``_site/`` (git-ignored).

    python scripts/build_lite.py [--output _site]
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "build" / "lite-cache"
LITE_DIR = REPO / "lite"  # jupyter-lite.json, jupyter_lite_config.json

#: the Pyodide jupyterlite-pyodide-kernel 0.8.6 is made for (its constants.PYODIDE_VERSION)
PYODIDE = "314.0.6"
PYTHON_IN_BROWSER = "3.14"
VIZ = "3.31.0"

#: Pyodide packages the kernel and the course load from the lock (their dependencies follow):
#: micropip starts piplite; ipython and jedi are the kernel's; dnspython and idna are smtplearn's
LOCK_ROOTS = ["micropip", "ipython", "jedi", "packaging", "dnspython", "idna", "typing-extensions"]

#: wheels from PyPI that Pyodide's lock does not list: added to it, served beside Pyodide
#: (pinned: the site is tested with these; jupyterlab_widgets matches the lab extension's 3.x)
EXTRA_WHEELS = ["comm==0.2.3", "ipywidgets==8.1.9", "jupyterlab_widgets==3.0.17", "graphviz==0.21"]

#: the kernel extension's own wheels (piplite, the kernel, the ipykernel and widgetsnbextension shims)
KERNEL_WHEELS = ["piplite", "pyodide_kernel", "ipykernel", "widgetsnbextension-4"]

#: loaded by Pyodide while it starts, all at once, so the kernel installs nothing one by one and
#: `import smtplearn` works in the first cell. The kernel skips its own installs of the names
#: listed here (its worker checks them by these exact spellings).
PRELOAD = ["micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython",
           "ipywidgets", "smtplearn"]

KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"

#: not served by the site: pytest and hypothesis for running the core tests on Pyodide's Python
#: (tests/test_lite_pyodide.py, under Node); hypothesis 6.155.7 is the last pure-Python wheel
TEST_WHEELS = ["pytest==9.0.2", "pluggy==1.6.0", "iniconfig==2.3.0", "hypothesis==6.155.7",
               "sortedcontainers==2.4.0", "attrs==26.1.0"]
TEST_WHEEL_DIR = CACHE / "test-wheels"

#: how Requires-Dist markers read in the browser (PEP 508 environment of Pyodide)
BROWSER_MARKERS = {"python_version": PYTHON_IN_BROWSER, "python_full_version": PYTHON_IN_BROWSER + ".0",
                   "sys_platform": "emscripten", "platform_system": "Emscripten",
                   "os_name": "posix", "platform_machine": "wasm32",
                   "implementation_name": "cpython", "platform_python_implementation": "CPython",
                   "extra": ""}


def log(text: str) -> None:
    print(f"build-lite: {text}", flush=True)


def run(*command: str | Path, cwd: Path | None = None) -> None:
    log(" ".join(map(str, command)))
    subprocess.run([str(c) for c in command], cwd=cwd, check=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_pack(spec: str, into: Path) -> Path:
    """The registry tarball of ``spec`` (``name@version``), cached."""
    into.mkdir(parents=True, exist_ok=True)
    name, version = spec.rsplit("@", 1)
    tarball = into / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not tarball.exists():
        run("npm", "pack", "--silent", spec, cwd=into)
    return tarball


def pip_download(requirements: list[str], into: Path) -> None:
    """Wheels for Python 3.14 (the browser's), no dependencies: each one is named here."""
    into.mkdir(parents=True, exist_ok=True)
    run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--python-version", PYTHON_IN_BROWSER, "--dest", into, *requirements)


def wheel_for(name: str, version: str, folder: Path) -> Path:
    """The downloaded wheel of ``name`` ``version`` in ``folder`` (names normalised as in wheel files)."""
    stem = name.replace("-", "_").lower()
    for path in folder.glob("*.whl"):
        dist, ver = path.name.split("-")[:2]
        if dist.lower().replace("-", "_") == stem and ver == version:
            return path
    raise FileNotFoundError(f"no wheel for {name}=={version} in {folder}")


def lock_closure(packages: dict, roots: list[str]) -> list[str]:
    """``roots`` and everything they depend on, by the lock's own ``depends`` lists."""
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = normalise(todo.pop())
        if name not in seen:
            seen.append(name)
            todo.extend(packages[name]["depends"])
    return sorted(seen)


def normalise(name: str) -> str:
    """PEP 503 names, as the lock's keys spell them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_entry(wheel: Path) -> dict:
    """A pyodide-lock.json entry for a pure-Python wheel: its name, version, imports and the
    dependencies its METADATA requires in the browser (markers read as Pyodide would)."""
    from packaging.requirements import Requirement  # pip's own dependency; in every venv

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.HeaderParser().parsestr(zf.read(metadata_name).decode("utf-8"))
    depends = []
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(BROWSER_MARKERS):
            depends.append(normalise(requirement.name))
    imports = sorted({n.split("/")[0].removesuffix(".py") for n in names
                      if "/" in n and not n.split("/")[0].endswith((".dist-info", ".data"))
                      or n.endswith(".py") and "/" not in n})
    return {"name": normalise(metadata["Name"]), "version": metadata["Version"],
            "file_name": wheel.name, "install_dir": "site", "sha256": sha256(wheel),
            "package_type": "package", "imports": imports, "depends": sorted(set(depends)),
            "unvendored_tests": False, "shared_library": False}


def kernel_wheels() -> list[Path]:
    """The wheels jupyterlite-pyodide-kernel ships for the browser (in its lab extension)."""
    folder = Path(sys.prefix, "share", "jupyter", "labextensions", "@jupyterlite",
                  "pyodide-kernel-extension", "static", "pypi")
    wheels = []
    for stem in KERNEL_WHEELS:
        found = sorted(folder.glob(f"{stem}*-py3-none-any.whl"))
        if not found:
            raise SystemExit(f"build-lite: no {stem} wheel in {folder}: pip install -e '.[lite]'")
        wheels.append(found[-1])
    return wheels


def extra_wheels(work: Path) -> list[Path]:
    """EXTRA_WHEELS from PyPI (cached) and smtplearn's own wheel, built from this checkout."""
    cached = CACHE / "extra-wheels"
    wanted = {(normalise(r.split("==")[0]), r.split("==")[1]) for r in EXTRA_WHEELS}
    have = {(normalise(p.name.split("-")[0]), p.name.split("-")[1]) for p in cached.glob("*.whl")}
    if not wanted <= have:
        pip_download(EXTRA_WHEELS, cached)
    own = work / "own"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", own, REPO)
    return sorted(cached.glob("*.whl")) + sorted(own.glob("smtplearn-*.whl"))


def pyodide_tarball(work: Path) -> Path:
    """Pyodide from npm, the lock packages from PyPI and ours added to its lock, as the
    .tar.bz2 `jupyter lite build --pyodide` wants (one top folder named pyodide/)."""
    npm = npm_pack(f"pyodide@{PYODIDE}", CACHE / "npm")
    dist = work / "pyodide"
    with tarfile.open(npm) as tar:
        tar.extractall(work / "npm-pyodide", filter="data")
    shutil.move(work / "npm-pyodide" / "package", dist)

    lock_path = dist / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    packages = lock["packages"]

    # ours first: their dependencies may be lock packages that must then be served too
    ours_wheels = kernel_wheels() + extra_wheels(work)
    added = [wheel_entry(w) for w in ours_wheels]
    for entry, wheel in zip(added, ours_wheels):
        packages[entry["name"]] = entry
        shutil.copy2(wheel, dist / wheel.name)
    unknown = sorted({d for e in added for d in e["depends"] if d not in packages})
    if unknown:
        raise SystemExit(f"build-lite: no wheel for {', '.join(unknown)} (needed by "
                         f"{', '.join(e['name'] for e in added if set(e['depends']) & set(unknown))}): "
                         "add them to EXTRA_WHEELS in scripts/build_lite.py")

    ours = {e["name"] for e in added}
    wanted = [n for n in lock_closure(packages, LOCK_ROOTS + PRELOAD) if n not in ours]
    wheels = CACHE / "lock-wheels"
    missing = [f"{n}=={packages[n]['version']}" for n in wanted
               if not _cached(packages[n], wheels)]
    if missing:
        pip_download(missing, wheels)
    for name in wanted:
        entry = packages[name]
        wheel = wheel_for(entry["name"], entry["version"], wheels)
        shutil.copy2(wheel, dist / wheel.name)
        entry["file_name"] = wheel.name
    served = [packages[name] for name in wanted] + added
    # bytecode made by Pyodide itself: the kernel starts seconds sooner (IPython 2.6 s -> 1 s)
    run("node", REPO / "scripts" / "lite_pyc.mjs", dist, *[entry["file_name"] for entry in served])
    for entry in served:
        # PyPI's file is not byte for byte the one Pyodide built: the lock must name ours
        entry["sha256"] = sha256(dist / entry["file_name"])
    lock_path.write_text(json.dumps(lock, indent=1))
    log(f"Pyodide {PYODIDE}: {len(wanted)} lock packages from PyPI ({', '.join(wanted)}); "
        f"added {', '.join(sorted(ours))}")

    tarball = work / f"pyodide-{PYODIDE}.tar.bz2"
    with tarfile.open(tarball, "w:bz2", compresslevel=1) as tar:
        tar.add(dist, arcname="pyodide")
    return tarball


def _cached(entry: dict, folder: Path) -> bool:
    try:
        wheel_for(entry["name"], entry["version"], folder)
    except FileNotFoundError:
        return False
    return True


def test_wheels() -> None:
    """TEST_WHEELS into build/lite-cache/test-wheels (cached), for tests/test_lite_pyodide.py."""
    wanted = {(normalise(r.split("==")[0]), r.split("==")[1]) for r in TEST_WHEELS}
    have = {(normalise(p.name.split("-")[0]), p.name.split("-")[1]) for p in TEST_WHEEL_DIR.glob("*.whl")}
    if not wanted <= have:
        run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
            "--python-version", PYTHON_IN_BROWSER, "--platform", "any", "--dest", TEST_WHEEL_DIR, *TEST_WHEELS)


def viz_js(site: Path) -> None:
    """Graphviz in WebAssembly for the state diagram, where smtplearn/diagrams/wasm.py looks for it."""
    tgz = npm_pack(f"@viz-js/viz@{VIZ}", CACHE / "npm")
    target = site / "static" / "smtplearn"
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/dist/viz.js")
        assert member is not None
        (target / "viz.js").write_bytes(member.read())


def lite_config(work: Path) -> Path:
    """lite/ with the kernel told to preload PRELOAD from the site's own Pyodide."""
    folder = work / "lite"
    shutil.copytree(LITE_DIR, folder)
    config_path = folder / "jupyter-lite.json"
    config = json.loads(config_path.read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][KERNEL_PLUGIN]
    settings.setdefault("loadPyodideOptions", {})["packages"] = PRELOAD
    config_path.write_text(json.dumps(config, indent=2))
    return folder


#: a Markdown image from another site (the Binder badge): the page would fetch it
REMOTE_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>https?://[^)\s]+)\)")


def contents(work: Path) -> Path:
    """The course's notebooks, as the site's files (outputs are never committed, so none ship).

    A site that works offline fetches nothing from elsewhere: a remote image in Markdown
    becomes a plain link to it (the Binder badge reads "Launch on Binder")."""
    folder = work / "contents"
    shutil.copytree(REPO / "notebooks", folder,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for path in folder.rglob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                cell["source"] = REMOTE_IMAGE.sub(r"[\g<alt>](\g<src>)", text)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def build(output: Path) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smtplearn-lite-") as tmp:
        work = Path(tmp)
        pyodide = pyodide_tarball(work)
        notebooks = contents(work)
        lite_dir = lite_config(work)
        if output.exists():
            shutil.rmtree(output)
        jupyter = Path(sys.executable).with_name("jupyter")
        run(jupyter, "lite", "build", "--lite-dir", lite_dir, "--output-dir", output,
            "--pyodide", pyodide, "--contents", notebooks, cwd=work)
    viz_js(output)
    test_wheels()
    # the build leaves its bookkeeping beside the site; the site itself is the folder
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    log(f"site in {output} ({size / 1e6:.1f} MB) after {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=REPO / "_site", help="the site folder (default _site/)")
    args = parser.parse_args(argv)
    build(args.output.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
