"""Serve the built JupyterLite site on loopback and drive it in Debian's Chromium (tests/test_lite.py).

A static site needs only a file server, but one that names JavaScript modules and WebAssembly
by their types (browsers refuse a module script served as text/plain). ``serve_site`` runs one
in a thread; ``Browser`` wraps Playwright's page with what the tests read: every request the
page and its workers make (to fail on any off the site's origin), console errors, and helpers
to open a notebook, run all cells and wait for the kernel to be idle.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from browser_helpers import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "_site"

TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
         ".json": "application/json", ".whl": "application/zip", ".zip": "application/zip",
         ".ipynb": "application/json", ".svg": "image/svg+xml", ".css": "text/css"}


def require_fresh_site(site: Path = SITE) -> Path:
    """The built site, or a test failure saying to build it (again) when smtplearn or the notebooks
    changed after it was built (`make test` always builds it first)."""
    import pytest

    stamp = site / "jupyter-lite.json"
    if not stamp.exists():
        pytest.fail("no JupyterLite site in _site/: `make lite` builds it (`make test` does so first)")
    sources = [p for folder in ("smtplearn", "notebooks") for p in (REPO / folder).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts]
    newer = [p for p in sources if p.stat().st_mtime > stamp.stat().st_mtime]
    if newer:
        pytest.fail(f"_site/ is older than {newer[0].relative_to(REPO)} (and {len(newer) - 1} more): "
                    "run `make lite` again")
    return site


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format: str, *args: object) -> None:  # quiet: the test records requests itself
        pass


@contextmanager
def serve_site(site: Path = SITE) -> Iterator[str]:
    """The site on http://127.0.0.1:<free port>, for the ``with`` block."""
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Traffic:
    """What the browser asked for, seen from the page (workers included)."""

    origin: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def off_origin(self) -> list[str]:
        allowed = (self.origin + "/", "data:", "blob:")
        return [url for url in self.requests + self.failed if not url.startswith(allowed)]

    def attach(self, context) -> None:
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("requestfailed", lambda request: self.failed.append(
            f"{request.url} ({request.failure})"))
        context.on("response", lambda response: response.status == 404 and self.not_found.append(response.url))


def launch(playwright, *, user_data: Path | None = None):
    """Debian's Chromium, headless, with no background traffic of its own."""
    args = ["--headless=new", "--disable-quic", *CHROMIUM_ARGS]
    if user_data is not None:
        return playwright.chromium.launch_persistent_context(
            str(user_data), executable_path=CHROMIUM, args=args, headless=True,
            viewport={"width": 1400, "height": 1000})
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)


def wait_idle(page, timeout: float = 120.0) -> float:
    """Seconds until the notebook's kernel reports idle (JupyterLab's status bar / toolbar)."""
    started = time.monotonic()
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=timeout * 1000)
    return time.monotonic() - started


#: every code cell's prompt: "[*]:" while queued or running, "[3]:" when run, "[ ]:" never run
_PROMPTS = "Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(e => e.innerText.trim())"
ERRORS_JS = """Array.from(document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output.jp-mod-error'
)).map(e => e.innerText.slice(0, 1500))"""


def run_all(page, timeout: float = 300.0) -> float:
    """Run every cell (Run menu > Run All Cells); seconds until none is queued and the last has run
    or one failed (JupyterLab stops at an error)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        prompts = page.evaluate(_PROMPTS)
        busy = any("*" in p for p in prompts)
        if prompts and not busy and (prompts[-1] not in ("[ ]:", "") or page.evaluate(ERRORS_JS)):
            return time.monotonic() - started
        page.wait_for_timeout(250)
    raise TimeoutError(f"cells still running after {timeout:g} s: {page.evaluate(_PROMPTS)}")
