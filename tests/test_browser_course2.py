"""Course part two (notebooks 10-14) in a real browser: JupyterLab on a loopback port, headless Chromium.

For each notebook: open it, Run All Cells from the Run menu as a student would, wait until the
exercise check at the end has answered, and check that no cell shows a traceback, that the
sequence diagrams are SVG in the page, and that the header view opens when a student clicks a
trace field (its explanation appears). One JupyterLab serves all five notebooks.
"""

from __future__ import annotations

import pytest

from browser_helpers import jupyterlab
from test_browser import ARTIFACTS, RENDER_TIMEOUT, browser, run_all_cells, sync_playwright  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.dot, pytest.mark.timeout(900)]

#: notebook -> text the page must show once every cell has run (one per lesson)
NOTEBOOKS = {
    "10-mail-system": "with ESMTPSA",
    "11-starttls-auth": "what an eavesdropper sees",
    "12-trace-and-bounces": "delivery-status",
    "13-international": "xn--bcher-kva.example",
    "14-who-sent-this": "dmarc=fail",
}
#: the notebooks with a HeaderView whose Received: rows open on click
HEADER_VIEWS = ("10-mail-system", "12-trace-and-bounces", "14-who-sent-this")


def run_notebook(page, lab, name: str) -> str:  # type: ignore[no-untyped-def]
    # a workspace of its own (reset), so the page shows this notebook alone, not the last one's tabs
    url = f"{lab.url}/lab/workspaces/w{name[:2]}/tree/notebooks/{name}.ipynb?reset&token={lab.token}"
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.jp-Dialog') || "
        "document.querySelector('#jp-main-statusbar')?.textContent.includes('| Idle')", timeout=60_000)
    if page.locator(".jp-Dialog").count():
        page.locator(".jp-Dialog button.jp-mod-accept").click()
    run_all_cells(page)
    # the exercise check is the last code cell: with ... it answers "Not yet"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-OutputArea-output')].some(o => o.textContent.includes('Not yet'))",
        timeout=RENDER_TIMEOUT)
    return page.locator(".jp-NotebookPanel:visible").inner_text()


def test_course_part_two_runs_in_jupyterlab(browser, tmp_path, free_port):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    with jupyterlab(tmp_path, free_port()) as lab:
        for name, expected in NOTEBOOKS.items():
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            try:
                text = run_notebook(page, lab, name)
                assert "Traceback" not in text, f"{name}: a cell shows a traceback"
                assert expected in text, f"{name}: {expected!r} not shown"
                if name in ("10-mail-system", "11-starttls-auth"):  # the sequence diagrams
                    assert page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output svg").count() >= 1
                if name in HEADER_VIEWS:
                    summary = page.locator("details summary", has_text="by mx.school.test").first
                    summary.scroll_into_view_if_needed()
                    summary.click()
                    page.wait_for_selector("details[open] li", timeout=10_000)
                    opened = page.locator("details[open]").first.inner_text()
                    assert "a claim" in opened and "an observation" in opened
                page.screenshot(path=ARTIFACTS / f"notebook-{name}.png", full_page=False)
            except BaseException:
                page.screenshot(path=ARTIFACTS / f"failure-{name}.png", full_page=True)
                raise
            finally:
                page.close()
