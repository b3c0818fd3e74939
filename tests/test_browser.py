"""The course in a real browser: JupyterLab on a loopback port, driven by headless Chromium.

``test_notebook_in_jupyterlab`` opens EVERY notebook in notebooks/ the way a student with the
file browser open sees it (1280x900), runs all cells from the Run menu, and checks what the
page shows: no error outputs (outside cells tagged raises-exception), no picture wider than
its output area (measured in the page), no diagram text shrunk below a readable size, and
axe-core finds no serious or critical accessibility violation in the output areas.
Screenshots of every output with a picture go to tests/artifacts/<notebook>/ (gitignored).

The console test opens notebooks/09-console-lab.ipynb, runs all cells, and then
does what a student does: presses console buttons, types message lines into the
raw-line box, looks a domain up in the MX explorer and steps the player. It
checks that the widgets really render (not "Loading widget..." or their text
fallback), that replies appear, that the lit state in the SVG state diagram
moves, and that the diagrams are SVG in the page. Screenshots go to
tests/artifacts/ (gitignored).

Playwright drives Debian's chromium (/usr/bin/chromium); no browser is ever
downloaded. Without chromium or the playwright package the test skips, except
under CI, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from browser_helpers import (CHROMIUM, CHROMIUM_ARGS, DIAGRAM_SIZES, jupyterlab, run_axe, serious_violations,
                             too_wide)
from dns_records import COURSE_LOCAL_DOMAINS, COURSE_WORLD, dnsmasq_options

pytestmark = [pytest.mark.browser, pytest.mark.dot, pytest.mark.timeout(400)]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
NOTEBOOK = "notebooks/09-console-lab.ipynb"
#: a laptop screen; with the file browser open the notebook's output area is ~850 px wide
VIEWPORT = {"width": 1280, "height": 900}
RUN_ALL_TIMEOUT = 300.0  # s: every cell of the slowest notebook (kernel start, dot, DNS)
#: the smallest a diagram's text may be drawn (px, the height of a text box) and still be read
SMALLEST_TEXT = 8.0  # px; boxes are measured in 1/2048 px steps, hence the 0.01 below
RENDER_TIMEOUT = 120_000  # ms: kernel start + every cell (dot draws several diagrams)
STEP_TIMEOUT = 20_000  # ms: one click's round trip through the kernel


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _missing(message: str) -> None:
    if _in_ci():
        pytest.fail(f"{message} [CI=true: CI installs every browser dependency]", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package is missing: pip install -e '.[test]'")
    return sync_playwright


@pytest.fixture
def browser(sync_playwright, system_binary):
    system_binary("dot")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"{CHROMIUM} not found; install with: make system-deps (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def lit_state(page, scope: str) -> str:
    """The state the SVG state diagram lights (the node with class "current")."""
    return page.locator(f"{scope} .smtplearn-state-diagram g.current title").first.text_content().strip()


def wait_until_lit(page, scope: str, state: str) -> None:
    """Wait until both the state label and the SVG diagram (updated just after it) show ``state``."""
    page.wait_for_function(
        """([scope, state]) => {
            const lit = document.querySelector(`${scope} .smtplearn-state-diagram g.current title`);
            const label = document.querySelector(`${scope} .smtplearn-state .smtplearn-state-badge`);
            return lit?.textContent.trim() === state && label?.textContent.trim() === state;
        }""", arg=[scope, state], timeout=STEP_TIMEOUT)


def badge(page, scope: str) -> str:
    return page.locator(f"{scope} .smtplearn-state .smtplearn-state-badge").first.inner_text().strip()


def run_all_cells(page) -> None:
    """Run menu -> Run All Cells, as a student would; again if the first click came too early."""
    for _attempt in range(4):
        # the notebook must be the current widget (the file browser may have taken focus)
        page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-item:visible", has_text="Run All Cells").first.click()
        try:  # a first code cell that ran or is running shows [1] or [*]
            page.wait_for_selector(".jp-InputPrompt:text-matches('\\[(\\*|\\d+)\\]')", timeout=20_000)
            return
        except Exception:  # playwright's TimeoutError: the menu or the kernel was not ready yet
            page.keyboard.press("Escape")
    raise AssertionError("Run > Run All Cells did not start any cell (4 tries, 20 s each)")


def window_at(page, selector: str, path: Path) -> None:
    """A screenshot of the window as the student sees it, scrolled to ``selector``."""
    page.locator(selector).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=path)


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_console_lab_runs_in_jupyterlab_and_the_console_answers(browser, tmp_path, free_port):
    ARTIFACTS.mkdir(exist_ok=True)
    with jupyterlab(tmp_path, free_port()) as lab:
        page = browser.new_page(viewport=VIEWPORT)
        console_errors: list[str] = []
        page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
        try:
            # the kernel starts by itself (autoStartDefaultKernel); should JupyterLab still ask, accept
            open_notebook(page, lab, Path(NOTEBOOK).name)
            run_all_cells(page)

            console = ".smtplearn-console"
            page.wait_for_selector(f"{console} button.smtplearn-cmd-EHLO", timeout=RENDER_TIMEOUT)
            page.wait_for_selector(".smtplearn-player .smtplearn-state-diagram svg", timeout=RENDER_TIMEOUT)
            page.wait_for_selector(".smtplearn-mx-explorer button.smtplearn-mx-lookup", timeout=RENDER_TIMEOUT)
            body = page.locator("body").inner_text()
            assert "Loading widget" not in body and "Error displaying widget" not in body
            assert "run it in Jupyter" not in body  # the widgets' text fallback would say this
            page.locator(console).scroll_into_view_if_needed()
            window_at(page, console, ARTIFACTS / "console-0-greeted.png")

            # the greeting, the table's buttons, and the diagrams as SVG
            assert "220" in page.locator(f"{console} .smtplearn-reply-box").inner_text()
            assert badge(page, console) == "GREETED" and lit_state(page, console) == "GREETED"
            assert page.locator(f"{console} button.smtplearn-cmd-MAIL").is_disabled()
            assert page.locator(f"{console} .smtplearn-state-diagram svg").count() == 1
            assert page.locator(f"{console} .smtplearn-sequence-diagram svg").count() == 1

            # a notebook column is too narrow for both pictures side by side: they stack, each
            # as wide as the console, instead of shrinking the state diagram's labels to ~3 px
            states, sequence = (box(page, f"{console} .smtplearn-{kind}-diagram-box")
                                for kind in ("state", "sequence"))
            assert states["y"] + states["height"] <= sequence["y"] + 1, (states, sequence)
            assert states["width"] >= 0.9 * box(page, console)["width"]

            # EHLO from the keyboard: Tab from the recipient box past HELO, Enter presses it
            page.locator(f"{console} .smtplearn-arg-recipient input").focus()
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.classList.contains('smtplearn-cmd-EHLO')")
            page.keyboard.press("Enter")
            wait_until_lit(page, console, "READY")
            reply = page.locator(f"{console} .smtplearn-reply-box").inner_text()
            assert "250" in reply and "EHLO" in reply and "(RFC 5321" in reply
            assert lit_state(page, console) == "READY"
            assert page.locator(f"{console} button.smtplearn-cmd-MAIL").is_enabled()
            window_at(page, console, ARTIFACTS / "console-1-ehlo.png")

            # MAIL and RCPT move the lit state on; the sequence diagram grows
            for verb, state in (("MAIL", "MAIL"), ("RCPT", "RCPT"), ("DATA", "DATA")):
                page.locator(f"{console} button.smtplearn-cmd-{verb}").click()
                wait_until_lit(page, console, state)
                assert lit_state(page, console) == state
            sequence = page.locator(f"{console} .smtplearn-sequence-diagram svg").text_content()
            assert "MAIL FROM" in sequence and "RCPT TO" in sequence
            assert "354" in page.locator(f"{console} .smtplearn-reply-box").inner_text()
            assert all(page.locator(f"{console} button.smtplearn-cmd-{verb}").is_disabled()
                       for verb in ("HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"))

            # the message, typed line by line into the raw-line box (Enter sends)
            raw = page.locator(f"{console} .smtplearn-raw input")
            for line in ("Subject: typed in a browser", "", "Hello from Chromium.", "."):
                raw.fill(line)
                raw.press("Enter")
                page.wait_for_function(
                    f"() => document.querySelector('.smtplearn-console .smtplearn-reply-box')"
                    f"?.textContent.includes({('C: ' + line)!r})", timeout=STEP_TIMEOUT)
            wait_until_lit(page, console, "READY")
            assert "queued" in page.locator(f"{console} .smtplearn-reply-box").inner_text()
            window_at(page, console, ARTIFACTS / "console-2-delivered.png")

            # the MX explorer on the offline mini-Internet: a lookup from a worker thread
            explorer = page.locator(".smtplearn-mx-explorer").first
            explorer.locator("button.smtplearn-mx-lookup").click()
            page.wait_for_function(
                "() => document.querySelector('.smtplearn-mx-explorer .smtplearn-mx-table')"
                "?.textContent.includes('mx2.school.test')", timeout=STEP_TIMEOUT)
            page.wait_for_selector(".smtplearn-mx-explorer .smtplearn-mx-graph svg", timeout=STEP_TIMEOUT)
            assert "answered in" in explorer.locator(".smtplearn-mx-status").inner_text()
            # the graph sits beside or below the table, never over it
            table, graph = (box(page, f".smtplearn-mx-explorer .smtplearn-mx-{part}") for part in ("table", "graph"))
            assert (table["x"] + table["width"] <= graph["x"] + 1 or table["y"] + table["height"] <= graph["y"] + 1), \
                (table, graph)
            window_at(page, ".smtplearn-mx-explorer", ARTIFACTS / "mx-explorer.png")

            # the player: next moves the lit state
            player = ".smtplearn-player"
            assert badge(page, player) == "GREETED"
            page.locator(f"{player} button.smtplearn-next").click()
            wait_until_lit(page, player, "READY")
            assert lit_state(page, player) == "READY"
            window_at(page, player, ARTIFACTS / "player.png")
            page.screenshot(path=ARTIFACTS / "notebook-09.png", full_page=True)
            assert not [e for e in console_errors if "widget" in e.lower()], console_errors
        except BaseException:
            page.screenshot(path=ARTIFACTS / "failure.png", full_page=True)
            raise


# -- every notebook, as a student with the file browser open sees it --------------------------------
@pytest.fixture
def lab_env(dnsmasq) -> dict[str, str]:
    """Notebook 05's lookups go to a real dnsmasq on loopback (as in test_notebooks.py)."""
    host, port = dnsmasq(*dnsmasq_options(COURSE_WORLD, COURSE_LOCAL_DOMAINS))
    return {"SMTPLEARN_NAMESERVER": f"{host}:{port}"}


def open_notebook(page, lab, name: str) -> None:
    page.goto(lab.lab_url(f"notebooks/{name}"), wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.jp-Dialog') || "
        "document.querySelector('#jp-main-statusbar')?.textContent.includes('| Idle')", timeout=60_000)
    if page.locator(".jp-Dialog").count():
        page.locator(".jp-Dialog button.jp-mod-accept").click()
    if not page.locator("#filebrowser").is_visible():  # the student keeps the file browser open
        page.locator(".jp-SideBar [data-id='filebrowser']").first.click()
        page.wait_for_selector("#filebrowser", state="visible", timeout=10_000)


def wait_for_run_all(page, cells: int) -> None:
    """Until no cell is running and every code cell ran, or the kernel sits idle (a cell failed
    and Run All stopped there), bounded by RUN_ALL_TIMEOUT."""
    deadline = time.monotonic() + RUN_ALL_TIMEOUT
    idle_since = None
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        running = any("*" in p for p in prompts)
        done = sum(bool(re.search(r"\[\d+\]", p)) for p in prompts)
        idle = "| Idle" in (page.locator("#jp-main-statusbar").text_content() or "")
        if not running and done == cells and idle:
            return
        idle_since = (idle_since or time.monotonic()) if idle and not running else None
        if idle_since and time.monotonic() - idle_since > 15:
            return  # Run All stopped (a cell failed): the saved outputs will say which
        time.sleep(0.5)
    raise AssertionError(f"Run All did not finish within {RUN_ALL_TIMEOUT:g} s")


def save_and_read(page, lab, name: str) -> nbformat.NotebookNode:
    """Save the notebook (Ctrl+S in the page; the lab serves a copy) and read its outputs back."""
    path = lab.root / "notebooks" / name
    before = path.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    return nbformat.read(path, as_version=4)


def shut_down_kernels(lab) -> None:
    """One kernel at a time: the machine is small and the next notebook starts its own."""
    with urllib.request.urlopen(f"{lab.url}/api/kernels?token={lab.token}", timeout=10) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        request = urllib.request.Request(f"{lab.url}/api/kernels/{kernel['id']}?token={lab.token}",
                                         method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def unexpected_errors(notebook: nbformat.NotebookNode) -> list[str]:
    out = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        if cell.execution_count is None:
            out.append(f"cell {index} never ran")
        out += [f"cell {index}: {o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
    return out


def screenshot_pictures(page, folder: Path) -> int:
    """A screenshot of every output area holding a picture, in order, as a student scrolls to it."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = page.locator(".jp-OutputArea-output:has(svg), .jp-OutputArea-output:has(img)")
    for n in range(outputs.count()):  # the window as the student sees it, scrolled to the picture
        outputs.nth(n).evaluate("el => el.scrollIntoView({block: 'start'})")
        page.screenshot(path=folder / f"output-{n + 1:02d}.png")
    page.screenshot(path=folder / "page.png")
    return outputs.count()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(notebook, browser, tmp_path, free_port, lab_env):
    folder = ARTIFACTS / notebook.stem
    cells = sum(c.cell_type == "code" for c in nbformat.read(notebook, as_version=4).cells)
    with jupyterlab(tmp_path, free_port(), env=lab_env) as lab:
        page = browser.new_page(viewport=VIEWPORT)
        try:
            open_notebook(page, lab, notebook.name)
            run_all_cells(page)
            wait_for_run_all(page, cells)
            page.wait_for_function("() => !document.body.innerText.includes('Loading widget')", timeout=60_000)
            errors = unexpected_errors(save_and_read(page, lab, notebook.name))
            assert not errors, f"{notebook.name}: {errors}"
            pictures = page.evaluate(DIAGRAM_SIZES)
            screenshot_pictures(page, folder)
            wide = too_wide(pictures)
            assert not wide, f"{notebook.name}: pictures wider than their output area: {wide}"
            tiny = [p for p in pictures if p["smallestText"] is not None and p["smallestText"] < SMALLEST_TEXT - 0.01]
            assert not tiny, f"{notebook.name}: diagram text drawn too small to read: {tiny}"
            if page.locator(".jp-OutputArea-output").count():
                violations = serious_violations(run_axe(page, ".jp-OutputArea-output"))
                assert not violations, f"{notebook.name}: axe-core:\n" + "\n".join(violations)
        except BaseException:
            page.screenshot(path=folder.with_name(f"{notebook.stem}-failure.png"))
            raise
        finally:
            shut_down_kernels(lab)
