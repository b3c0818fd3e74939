"""Where smtplearn runs: in a normal Python, or in a browser tab (Pyodide, JupyterLite).

This file owns the one test for "in the browser" and the error for what cannot work
there. Pyodide is CPython compiled to WebAssembly; it reports ``sys.platform ==
"emscripten"``. A page has no sockets: it cannot listen on a port or open a TCP
connection, so the real ``Server``, ``Client`` and ``nc`` need a normal Python
(``make lab``, Binder). Everything that stays in memory works the same in both:
``Pair``, transcripts, the mini-Internet, ``ZoneResolver``, the widgets, the
diagrams; MX lookups go over DNS-over-HTTPS there (``smtplearn.mx.doh``).
"""

from __future__ import annotations

import sys

__all__ = ["IN_BROWSER", "NotInTheBrowser", "in_browser", "require_sockets"]


def in_browser() -> bool:
    """True inside Pyodide (JupyterLite's kernel, a page's Python)."""
    return sys.platform == "emscripten"


IN_BROWSER = in_browser()


class NotInTheBrowser(RuntimeError):
    """This needs a real network socket, which a page running Python in the browser does not have."""


def require_sockets(what: str) -> None:
    """Raise NotInTheBrowser, saying what to use instead, when called in the browser."""
    if in_browser():
        raise NotInTheBrowser(
            f"{what} needs real TCP sockets, and this Python runs inside your browser "
            "(JupyterLite/Pyodide), where a page can neither listen on a port nor connect to one.\n"
            "In the browser, use smtplearn.Pair() (client and server in memory, the same protocol "
            "code) or the mini-Internet (smtplearn.MiniInternet). To run a real server, open the "
            "course in a normal Jupyter: `make lab` on your machine, or the Binder link in the README.")
