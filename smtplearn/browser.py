"""Where smtplearn runs: in a normal Python, or in a browser tab (Pyodide, JupyterLite).

This file owns the one test for "in the browser" and the error for what cannot work
there. Pyodide is CPython compiled to WebAssembly; it reports ``sys.platform ==
"emscripten"``. A page has no sockets: it cannot listen on a port or open a TCP
connection, so the real ``Server``, ``Client`` and ``nc`` need a normal Python
(``make lab``, Binder). Everything that stays in memory works the same in both:
``Pair``, transcripts, the mini-Internet, ``ZoneResolver``, the widgets, the
diagrams; MX lookups go over DNS-over-HTTPS there (``smtplearn.mx.doh``).

For the notebook that needs sockets (07), ``recorded_run`` shows what it does on a normal
Python, recorded by ``scripts/record_runs.py`` (data in ``smtplearn/recorded_runs/``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any

from smtplearn.protocol.errors import Error
from smtplearn.transcript import Transcript

__all__ = ["IN_BROWSER", "NotInTheBrowser", "RecordedRun", "in_browser", "recorded_run", "require_sockets"]


def in_browser() -> bool:
    """True inside Pyodide (JupyterLite's kernel, a page's Python)."""
    return sys.platform == "emscripten"


IN_BROWSER = in_browser()


class NotInTheBrowser(Error, RuntimeError):
    """This needs a real network socket, which a page running Python in the browser does not have."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: the explanation is the whole story."""
        return [f"NotInTheBrowser: {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


def require_sockets(what: str) -> None:
    """Raise NotInTheBrowser, saying what to use instead, when called in the browser."""
    if in_browser():
        raise NotInTheBrowser(
            f"{what} needs real TCP sockets, and this Python runs inside your browser "
            "(JupyterLite/Pyodide), where a page can neither listen on a port nor connect to one.\n"
            "In the browser, use smtplearn.Pair() (client and server in memory, the same protocol "
            "code) or the mini-Internet (smtplearn.MiniInternet). To run a real server, open the "
            "course in a normal Jupyter: `make lab` on your machine, or the Binder link in the README.")


@dataclass(frozen=True)
class RecordedRun:
    """Transcripts recorded on a normal Python, shown where the live run cannot happen."""

    notebook: str
    recorded_with: str
    sessions: tuple[tuple[str, Any], ...]  # (title, Transcript)

    def __repr__(self) -> str:
        parts = [f"Recorded run of notebook {self.notebook} ({self.recorded_with}):"]
        parts += [f"\n== {title}\n{transcript.text()}" for title, transcript in self.sessions]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        parts = [f'<div class="smtplearn-recorded"><p><b>Recorded, not live:</b> this browser tab has no '
                 f'network sockets, so here is what the cells below do on a normal Python '
                 f'({escape(self.recorded_with)}). Run them for real with <code>make lab</code> or on '
                 f'Binder.</p>']
        for title, transcript in self.sessions:
            parts.append(f"<h4>{escape(title)}</h4>{transcript._repr_mimebundle_()['text/html']}")
        return "".join(parts) + "</div>"


def recorded_run(notebook: str) -> RecordedRun:
    """The recorded sessions of ``notebook`` (e.g. "07-real-software")."""
    source = resources.files("smtplearn.recorded_runs").joinpath(f"{notebook}.json")
    data = json.loads(source.read_text(encoding="utf-8"))
    sessions = tuple((s["title"], Transcript.from_json(json.dumps(s["transcript"]))) for s in data["sessions"])
    return RecordedRun(data["notebook"], data["recorded_with"], sessions)
