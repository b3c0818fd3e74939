"""The class's working copy of the course, and a free port for ``make lab``.

``make lab`` never serves the committed ``notebooks/``: JupyterLab autosaves, and
outputs saved into the committed files would make ``git status`` dirty and fail
the "committed without outputs" test. Students work in a git-ignored copy,
``my-notebooks/``, made from ``notebooks/`` (solutions included) on the first
run. Later runs only add files the copy lacks, so a student's work is never
overwritten; ``make lab-reset`` moves the old copy aside (nothing is deleted)
and makes a fresh one for the next class. Binder's ``binder/postBuild`` runs the
same ``copy``.

    python scripts/lab.py copy [DIR]     # make DIR, or add what it lacks
    python scripts/lab.py reset [DIR]    # DIR -> DIR-YYYYmmdd-HHMMSS, then a fresh copy
    python scripts/lab.py serve [DIR] --port 8888 [--fixed]   # what `make lab` runs

``serve`` makes the copy, finds a free port *before* printing the URL (the next
free one, or with ``--fixed``, for a port the user chose, a clear error and exit
64), then replaces itself with JupyterLab. Kernels get CurveZMQ keys from the
server (``KernelManager.transport_encryption=auto``; the ipykernel kernelspec
declares ``supported_encryption: curve``), so their traffic on 127.0.0.1 is
encrypted and no kernel prints ipykernel's "Kernel is running over TCP without
encryption" warning (one per kernel start: dozens in a lesson). Where pyzmq lacks
CurveZMQ, kernels use local sockets instead (``transport=ipc``), which silences
it as well. Server and lab extension log at WARN, so the URL stays on screen.

Standard library only (``copy`` and ``reset`` run before the virtual environment exists).
"""

from __future__ import annotations

import argparse
import errno
import os
import secrets
import shutil
import socket
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "notebooks"
DEFAULT_COPY = REPO / "my-notebooks"
PORT_TRIES = 20  # how many ports after a busy one `port` looks at
EX_USAGE = 64  # sysexits.h
#: never copied: editor and Jupyter leftovers
SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


def course_files(source: Path = SOURCE) -> list[Path]:
    """Every file of the course under ``source``, as paths relative to it."""
    return sorted(path.relative_to(source) for path in source.rglob("*")
                  if path.is_file() and not any(part in (".ipynb_checkpoints", "__pycache__")
                                                for part in path.relative_to(source).parts))


def copy(target: Path, source: Path = SOURCE) -> list[Path]:
    """Make ``target`` a copy of ``source``, or add the files it lacks; return what was added."""
    added = []
    for relative in course_files(source):
        destination = target / relative
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, destination)
            added.append(relative)
    return added


def reset(target: Path, source: Path = SOURCE) -> Path | None:
    """Move ``target`` aside (its name plus a timestamp), then make a fresh copy; return where it went."""
    moved = None
    if target.exists():
        moved = target.with_name(f"{target.name}-{time.strftime('%Y%m%d-%H%M%S')}")
        target.rename(moved)
    copy(target, source)
    return moved


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Can a server listen on host:port? (SO_REUSEADDR, as Jupyter's server sets it.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen(1)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port(port: int, *, fixed: bool = False) -> int:
    """``port`` if it is free; else the next free one (or ValueError when ``fixed``)."""
    if port_is_free(port):
        return port
    if fixed:
        raise ValueError(f"port {port} is already in use (another JupyterLab or `make lab`?). "
                         f"Stop that one, or choose another port: make lab PORT={port + 1}")
    for candidate in range(port + 1, port + 1 + PORT_TRIES):
        if port_is_free(candidate):
            return candidate
    raise ValueError(f"ports {port}-{port + PORT_TRIES} are all in use; choose one with make lab PORT=N")


def jupyter_command(target: Path, port: int, page: str) -> list[str]:
    """The JupyterLab command line ``serve`` runs (the token travels in JUPYTER_TOKEN, not argv)."""
    browser = [] if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") else ["--no-browser"]
    return [sys.executable, "-m", "jupyter", "lab", *browser, "--allow-root",
            "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={target}", f"--LabApp.default_url={page}",
            kernel_transport(),  # no "Kernel is running over TCP without encryption" per kernel
            "--ServerApp.log_level=WARN", "--LabApp.log_level=WARN"]  # errors still show


def kernel_transport() -> str:
    """Encrypted kernel channels when pyzmq has CurveZMQ, else local (IPC) sockets."""
    try:
        import zmq
    except ImportError:  # not in the lab's environment: let JupyterLab report it
        return "--KernelManager.transport_encryption=disabled"
    return "--KernelManager.transport_encryption=auto" if zmq.has("curve") else "--KernelManager.transport=ipc"


def serve(target: Path, port: int, *, fixed: bool) -> int:
    """Copy, choose the port, print the URL, then become JupyterLab (never returns on success)."""
    try:
        chosen = free_port(port, fixed=fixed)
    except ValueError as exc:
        print(f"make lab: {exc}", file=sys.stderr)
        return EX_USAGE
    if chosen != port:
        print(f"make lab: port {port} is in use; using {chosen} instead.")
    _say_copied(target, copy(target))
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(16)  # only this user can open it
    page = "/lab/tree/00-start-here.ipynb"
    print(f"\n  Your copy of the course: {target}/   (a fresh one for the next class: make lab-reset)")
    print(f"  Open in your browser:  http://127.0.0.1:{chosen}{page}?token={token}")
    print("  (stop with Ctrl-C twice)\n", flush=True)
    command = jupyter_command(target, chosen, page)
    os.execve(command[0], command, {**os.environ, "JUPYTER_TOKEN": token})


def _say_copied(target: Path, added: list[Path]) -> None:
    if added and len(added) == len(course_files()):
        print(f"Made your working copy of the course in {target}/ (git ignores it).")
    elif added:
        print(f"Added to {target}/: {', '.join(map(str, added))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/lab.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    for action in ("copy", "reset", "serve"):
        one = sub.add_parser(action)
        one.add_argument("target", nargs="?", type=Path, default=DEFAULT_COPY)
    serving = sub.choices["serve"]
    serving.add_argument("--port", type=int, default=8888)
    serving.add_argument("--fixed", action="store_true", help="the user chose the port: that one or an error")
    args = parser.parse_args(argv)
    if args.action == "serve":
        return serve(args.target, args.port, fixed=args.fixed)
    if args.action == "reset":
        moved = reset(args.target)
        if moved:
            print(f"The old copy is now {moved} (nothing was deleted).")
        print(f"A fresh copy of the course is in {args.target}.")
        return 0
    _say_copied(args.target, copy(args.target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
