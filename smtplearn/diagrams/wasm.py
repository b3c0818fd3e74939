"""Graphviz drawings in the browser, where there is no ``dot`` program (JupyterLite, Pyodide).

This file owns that one route. The same DOT source that ``dot`` draws on a normal
machine is handed to Graphviz compiled to WebAssembly (the npm package
``@viz-js/viz``, which ``make lite`` serves with the site as
``static/smtplearn/viz.js``): the same layout engine on the same input, so the same
drawing, not an imitation. Python cannot wait for the page (the kernel runs in a
worker), so the diagram displays as a small HTML output: the DOT text and a module
script that loads the site's viz.js once per page and puts the SVG in place of the
text. Where scripts do not run (a saved notebook opened again, untrusted), the
plain-text summary stays visible.

Widgets (the console, the player) need the SVG text in Python, at once. For them the
kernel's worker loads the same viz.js in the background the first time a picture is
asked for (``worker_svg``); once it is there, ``Diagram.svg()`` draws synchronously,
and until then the panel says the drawing is on its way (the next step shows it).
"""

from __future__ import annotations

import html
import json
import uuid

from smtplearn.diagrams.errors import DotNotFoundError
from smtplearn.protocol.errors import NotNowError

__all__ = ["VIZ_PATH", "GraphvizLoading", "mimebundle", "worker_svg", "STILL_LOADING"]

#: where scripts/build_lite.py puts viz.js, from the site's root
VIZ_PATH = "static/smtplearn/viz.js"

STILL_LOADING = ("Graphviz (WebAssembly) is still loading in this browser tab; the picture appears "
                 "at the next step (the DOT source is diagram.source)")


class GraphvizLoading(DotNotFoundError):
    """In the browser, viz.js is not loaded into the kernel's worker yet (it is on its way)."""

    def __init__(self, source: str) -> None:
        RuntimeError.__init__(self, STILL_LOADING)
        self.source = source

#: the page-side half. The site root comes from JupyterLite's page config (baseUrl, relative to
#: the page); every app (lab/, notebooks/, repl/) sits one folder below it, hence the "../" fallback.
_SCRIPT = """
const box = document.getElementById(%(id)s);
const config = document.getElementById("jupyter-config-data");
let base = "../";
try { base = JSON.parse(config.textContent).baseUrl || base; } catch (e) {}
const url = new URL(%(path)s, new URL(base, document.baseURI)).href;
window.smtplearnViz ??= import(url).then((viz) => viz.instance());
window.smtplearnViz
  .then((viz) => {
    const svg = viz.renderSVGElement(%(dot)s, {engine: %(engine)s});
    svg.classList.add("smtplearn-diagram");
    box.replaceChildren(svg);
  })
  .catch((error) => {
    box.querySelector(".smtplearn-diagram-note").textContent =
      "Graphviz (WebAssembly) could not draw this diagram: " + error;
    console.error("smtplearn: viz.js", error);
  });
"""


def mimebundle(source: str, text: str, *, engine: str = "dot") -> dict[str, str]:
    """A display bundle that draws ``source`` with viz.js in the page; ``text`` is the fallback."""
    box = f"smtplearn-diagram-{uuid.uuid4().hex}"
    script = _SCRIPT % {"id": json.dumps(box), "path": json.dumps(VIZ_PATH),
                        "dot": json.dumps(source), "engine": json.dumps(engine)}
    page = (f'<div id="{box}" class="smtplearn-wasm-diagram">'
            f'<div class="smtplearn-diagram-note">drawing with Graphviz (WebAssembly)…</div>'
            f'<pre>{html.escape(text)}</pre></div>'
            f'<script type="module">{script}</script>')
    return {"text/html": page, "text/plain": text}


#: the worker-side loader: the kernel runs in a worker under the site's extensions/ folder
_WORKER_LOAD = """
self.smtplearnViz ??= import(%(url)s).then((viz) => viz.instance()).then((viz) => {
  self.smtplearnVizReady = viz;
  return viz;
});
"""


def site_root(worker_url: str) -> str:
    """The site's root URL, from the URL of the kernel's worker script (…/extensions/…/x.js)."""
    head, found, _ = worker_url.partition("/extensions/")
    if not found:
        raise NotNowError(f"cannot tell the JupyterLite site's root from {worker_url!r}")
    return head + "/"


def worker_svg(source: str, engine: str = "dot") -> str | None:
    """``source`` drawn as SVG text by viz.js in the kernel's worker; None while it is loading."""
    import js  # Pyodide's bridge to the worker's JavaScript globals
    from pyodide.code import run_js
    from pyodide.ffi import to_js

    ready = getattr(js, "smtplearnVizReady", None)
    if ready is None:
        run_js(_WORKER_LOAD % {"url": json.dumps(site_root(str(js.location.href)) + VIZ_PATH)})
        return None
    options = to_js({"format": "svg", "engine": engine}, dict_converter=js.Object.fromEntries)
    return str(ready.renderString(source, options))
