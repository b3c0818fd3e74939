"""``Diagram``: one picture, shown in Jupyter, saved as SVG, PNG or DOT.

A diagram always has its DOT source (``.source``), made by our own code, so
it is there even on a machine without graphviz. The SVG comes either from
our own renderer (sequence diagrams) or from graphviz's ``dot`` program
(state diagrams); graphviz's Python package is imported only here, and only
when a picture is actually rendered.

On a page (Jupyter's text/html, the widgets) every picture scales down with its
column instead of being clipped, and carries a text alternative (role="img",
aria-label, <title>, <desc>: WCAG 1.1.1). PNG is the SVG itself rendered by
librsvg's ``rsvg-convert``, so it shows everything the SVG does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from smtplearn.browser import in_browser
from smtplearn.diagrams.errors import DotNotFoundError, PngNotAvailableError
from smtplearn.diagrams.labels import printable
from smtplearn.diagrams.wasm import GraphvizLoading, mimebundle, worker_svg
from smtplearn.protocol.errors import UsageError

def run_graphviz(source: str, fmt: str, *, engine: str = "dot", neato_no_op: int | None = None) -> bytes:
    """``source`` drawn by graphviz as ``fmt`` ("svg", "png"); DotNotFoundError if it cannot be."""
    try:
        import graphviz
    except ImportError as exc:
        raise DotNotFoundError(source, "the graphviz Python package is missing too: "
                                       "pip install graphviz") from exc
    try:
        return graphviz.pipe(engine, fmt, source.encode("utf-8"), neato_no_op=neato_no_op)
    except graphviz.ExecutableNotFound as exc:
        raise DotNotFoundError(source, str(exc)) from None


_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="([^"]*)"')
_ACCESSIBLE = re.compile(r'\s(role|aria-label|aria-roledescription)="[^"]*"')
#: how long rsvg-convert may take for one picture (a 1000-row sequence diagram takes ~1 s)
PNG_TIMEOUT = 60


def accessible_svg(svg: str, label: str, description: str = "", *, fit: bool = False) -> str:
    """``svg`` with a text alternative: role="img", an aria-label, and <title> and <desc> as
    the root's first children (WCAG 1.1.1), so a screen reader says what the picture shows.

    ``fit`` makes it scale down with its column instead of being clipped: width 100% of the
    column, at most its natural width (CSS max-width), height from the viewBox's aspect ratio.
    """
    start = svg.find("<svg")
    match = _ROOT.search(svg, max(start, 0))
    if match is None:
        return svg
    tag = _ACCESSIBLE.sub("", match.group(0))
    sizes = dict(_SIZE.findall(tag))
    if fit and "width" in sizes:
        tag = _SIZE.sub("", tag)
        natural = sizes["width"] if sizes["width"][-1:].isalpha() else f'{sizes["width"]}px'
        style = f"max-width:{natural};height:auto"
        if ' style="' in tag:  # one style attribute (XML allows no second)
            tag = tag.replace(' style="', f' style="{style};', 1)
            tag = tag.replace("<svg", '<svg width="100%"', 1)
        else:
            tag = tag.replace("<svg", f'<svg width="100%" style="{style}"', 1)
    label, description = printable(label), printable(description.replace("\r\n", "\n"), keep="\n")
    tag = tag.replace("<svg", f'<svg role="img" aria-label="{escape(label)}"', 1)
    children = f"<title>{escape(label)}</title>" + (f"<desc>{escape(description)}</desc>" if description else "")
    # on a page the SVG is inline HTML: no XML declaration or DOCTYPE before it
    head = "" if fit else svg[:match.start()]
    return head + tag + children + svg[match.end():]


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """The SVG itself rendered as PNG (so the PNG has everything the SVG has: legend, badges):
    by librsvg's ``rsvg-convert`` (Debian: librsvg2-bin), else the cairosvg package."""
    program = shutil.which("rsvg-convert")
    if program is not None:
        done = subprocess.run([program, "--format=png", f"--zoom={scale:g}", "--background-color=white"],
                              input=svg.encode("utf-8"), capture_output=True, timeout=PNG_TIMEOUT, check=False)
        if done.returncode == 0:
            return done.stdout
        raise PngNotAvailableError(f"rsvg-convert failed: {done.stderr.decode('utf-8', 'replace')[:500]}")
    try:
        import cairosvg  # optional: pip install cairosvg
    except ImportError:
        raise PngNotAvailableError(
            "PNG export needs librsvg's rsvg-convert (apt-get install librsvg2-bin / brew install librsvg) "
            "or the cairosvg package (pip install cairosvg). SVG and DOT need neither: "
            "save('picture.svg') or save('picture.dot').") from None
    return bytes(cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale))


class Diagram:
    """A picture with its DOT source; displays itself in Jupyter as inline SVG (no JavaScript).

    ``svg_maker`` draws the SVG without graphviz when given; otherwise graphviz
    draws ``source`` with ``engine``. ``text`` is the plain-text fallback shown
    where no picture can be (a terminal, a doctest, a missing ``dot``).
    """

    def __init__(self, source: str, text: str, *, svg_maker: Callable[[], str] | None = None,
                 engine: str = "dot", neato_no_op: int | None = None, name: str = "diagram",
                 label: str = "", description: str = "") -> None:
        self.source = source
        self.text = text
        self.name = name
        #: the picture's text alternative: a short label and a longer description (what it shows)
        self.label = label or name
        self.description = description or text
        self._svg_maker = svg_maker
        self._engine = engine
        self._neato_no_op = neato_no_op
        self._svg: str | None = None

    def _drawn(self) -> str:
        """The SVG as drawn (cached: a diagram is a value, it never changes)."""
        if self._svg is None:
            if self._svg_maker is None and in_browser():  # no `dot` in a browser tab: see wasm.py
                svg = worker_svg(self.source, self._engine)
                if svg is None:
                    raise GraphvizLoading(self.source)
                self._svg = svg
            elif self._svg_maker is not None:
                self._svg = self._svg_maker()
            else:
                raw = run_graphviz(self.source, "svg", engine=self._engine, neato_no_op=self._neato_no_op)
                self._svg = raw.decode("utf-8")
        return self._svg

    def svg(self) -> str:
        """The picture as SVG for a page: it scales down with its column (never clipped,
        never wider than drawn) and carries its text alternative."""
        return accessible_svg(self._drawn(), self.label, self.description, fit=True)

    def standalone_svg(self) -> str:
        """The picture as an SVG file: its natural size, and its text alternative."""
        return accessible_svg(self._drawn(), self.label, self.description)

    def png(self) -> bytes:
        """The picture as PNG bytes: the SVG itself rendered (``svg_to_png``), so nothing the
        SVG shows is missing; without a renderer, graphviz draws the DOT source instead."""
        try:
            return svg_to_png(self.standalone_svg())
        except PngNotAvailableError:
            if self._svg_maker is not None:
                raise  # our own SVG: graphviz's drawing of the pinned layout lacks the legend
        try:
            return run_graphviz(self.source, "png", engine=self._engine, neato_no_op=self._neato_no_op)
        except DotNotFoundError as exc:
            raise PngNotAvailableError(
                "PNG export needs graphviz's `dot` (apt-get install graphviz / brew install graphviz / "
                "conda install -c conda-forge graphviz) or librsvg's rsvg-convert (apt-get install "
                "librsvg2-bin). SVG and DOT need neither: save('picture.svg') or save('picture.dot').") from exc

    def save(self, path: str | Path) -> Path:
        """Write the diagram; the suffix picks the format: .svg, .png or .dot (.gv)."""
        path = Path(path)
        suffix = path.suffix.lower()
        writers: dict[str, Callable[[], bytes]] = {
            ".svg": lambda: self.standalone_svg().encode("utf-8"),
            ".png": self.png,
            ".dot": lambda: self.source.encode("utf-8"),
            ".gv": lambda: self.source.encode("utf-8"),
        }
        if suffix not in writers:
            raise UsageError(f"cannot save a diagram as {suffix or 'a file without a suffix'!r}; "
                             "use a name ending in .svg, .png or .dot")
        data = writers[suffix]()
        path.write_bytes(data)
        return path

    # -- display (Jupyter, VS Code, GitHub: inline SVG and a text fallback) ----------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        # text/html first: JupyterLab shows image/svg+xml as an <img> with no alt text; inline,
        # the SVG's own title, desc and aria-label reach a screen reader, and it fits the column
        if self._svg_maker is None and in_browser():  # Graphviz in WebAssembly, in the worker or the page
            try:
                self.svg()
            except GraphvizLoading:
                return mimebundle(self.source, self.text, engine=self._engine)
        try:
            return {"text/html": f'<div class="smtplearn-diagram">{self.svg()}</div>',
                    "image/svg+xml": self.standalone_svg(), "text/plain": self.text}
        except DotNotFoundError as exc:
            return {"text/plain": f"{exc}\n\n{self.text}"}

    def __repr__(self) -> str:
        return f"<{self.name}>\n{self.text}"

    def __str__(self) -> str:
        return self.text
