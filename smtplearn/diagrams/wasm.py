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
"""

from __future__ import annotations

import html
import json
import uuid

__all__ = ["VIZ_PATH", "mimebundle", "BROWSER_NO_DOT"]

#: where scripts/build_lite.py puts viz.js, from the site's root
VIZ_PATH = "static/smtplearn/viz.js"

BROWSER_NO_DOT = ("in the browser there is no `dot` program: the diagram is drawn by Graphviz in "
                  "WebAssembly when it is displayed (put it last in a cell), and its DOT source is "
                  "diagram.source")

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
