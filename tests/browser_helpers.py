"""A throw-away JupyterLab for the real-browser test, and the checks that need it.

JupyterLab runs as a subprocess on a free loopback port with a random token, in
a temporary root holding a copy of notebooks/ (so running cells can never save
outputs into the committed files), with its config, settings, workspaces and
runtime files in temporary directories (so every run starts clean). It is
stopped, with its kernels, when the ``with`` block ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 90.0  # seconds for JupyterLab to answer /api/status (first start builds nothing, but is slow)
POLL = 0.25

#: Debian's chromium, started the way the brief asks (never a downloaded browser)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]

#: JupyterLab settings for a calm, repeatable page: every cell in the DOM (no windowing, so
#: widgets scrolled out of view can still be found), the notebook's kernel started without
#: asking, no autosave, no news or update checks
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        '{"windowingMode": "none", "autoStartDefaultKernel": true}',
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": '{"autosave": false}',
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it is, how to get in, and its log."""

    url: str
    token: str
    root: Path
    log: Path

    def lab_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"


@contextmanager
def jupyterlab(tmp: Path, port: int, env: dict[str, str] | None = None) -> Iterator[Lab]:
    """Start JupyterLab on 127.0.0.1:``port`` serving a copy of notebooks/; stop it afterwards.
    ``env`` adds to its environment (and its kernels'), e.g. SMTPLEARN_NAMESERVER."""
    root = tmp / "root"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    settings = tmp / "lab-settings"
    for name, text in SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    token = secrets.token_hex(16)
    env = dict(os.environ, **(env or {}),
               JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
               IPYTHONDIR=str(tmp / "ipython"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    log = tmp / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.token={token}",
               "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0", "--allow-root",
               f"--ServerApp.root_dir={root}"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root,
                                start_new_session=True)  # its kernels share its process group
    lab = Lab(f"http://127.0.0.1:{port}", token, root, log)
    try:
        _wait_ready(proc, lab)
        yield lab
    finally:
        _stop(proc)


def _wait_ready(proc: subprocess.Popen, lab: Lab) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    status = f"{lab.url}/api/status?token={lab.token}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{lab.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(status, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(POLL)
    raise RuntimeError(f"JupyterLab did not answer {lab.url} within {READY_TIMEOUT:g} s:\n"
                       f"{lab.log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM lets the server shut its kernels down; then the group we started, if anything is left."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # only our own session: a leftover kernel, if any
    except ProcessLookupError:
        pass


# -- what a student sees in a notebook's output areas, measured in the page -------------------------

#: every picture in an output area (an outermost svg, or an img), its size and its output area's
DIAGRAM_SIZES = """() => [...document.querySelectorAll('.jp-OutputArea-output')].flatMap(out => {
    const area = out.getBoundingClientRect();
    return [...out.querySelectorAll('svg, img')]
        .filter(el => !el.parentElement.closest('svg') && !el.closest('button'))
        .map(el => {
            const box = el.getBoundingClientRect();
            const texts = [...el.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)
                .filter(h => h > 0);
            return {label: el.getAttribute('aria-label') || el.getAttribute('alt') || el.tagName,
                    width: box.width, left: box.left, right: box.right,
                    areaLeft: area.left, areaRight: area.left + out.clientWidth,
                    smallestText: texts.length ? Math.min(...texts) : null};
        });
})"""


def too_wide(pictures: list[dict]) -> list[dict]:
    """The pictures that stick out of their output area (clipped, or the student must scroll)."""
    return [p for p in pictures if p["width"] > 0 and
            (p["right"] > p["areaRight"] + 1 or p["left"] < p["areaLeft"] - 1)]


def serious_violations(results: dict) -> list[str]:
    """axe-core's serious and critical violations, one line per element."""
    return [f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')[:300]}"
            for v in results["violations"] if v.get("impact") in ("serious", "critical")
            for node in v["nodes"]]


def run_axe(page, selector: str) -> dict:
    """axe-core (the copy axe-playwright-python ships) on every element ``selector`` matches."""
    from axe_playwright_python.sync_playwright import Axe
    page.evaluate(Axe().axe_script)
    return page.evaluate("(selector) => axe.run(document.querySelectorAll(selector), "
                         "{resultTypes: ['violations']})", selector)
