"""``Diagram``: one picture, shown in Jupyter, saved as SVG, PNG or DOT.

A diagram always has its DOT source (``.source``), made by our own code, so
it is there even on a machine without graphviz. The SVG comes either from
our own renderer (sequence diagrams) or from graphviz's ``dot`` program
(state diagrams); graphviz's Python package is imported only here, and only
when a picture is actually rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smtplearn.protocol.errors import Error, UsageError

INSTALL_GRAPHVIZ = """\
graphviz's `dot` program is needed to draw this diagram, and it was not found on PATH.
Install it with one of:
    sudo apt-get install graphviz          (Debian, Ubuntu)
    brew install graphviz                  (macOS)
    conda install -c conda-forge graphviz  (conda)
then restart the kernel. The DOT source is still available: diagram.source,
or diagram.save("picture.dot")."""


class DotNotFoundError(Error, RuntimeError):
    """graphviz's ``dot`` program (or its Python package) is missing; the message says how to install it."""

    def __init__(self, source: str, detail: str = "") -> None:
        super().__init__(INSTALL_GRAPHVIZ + (f"\n({detail})" if detail else ""))
        #: the DOT source, so nothing is lost: paste it into any graphviz viewer
        self.source = source


class PngNotAvailableError(Error, RuntimeError):
    """No way to turn this SVG into PNG on this machine; the message names what to install."""


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


class Diagram:
    """A picture with its DOT source; displays itself in Jupyter as inline SVG (no JavaScript).

    ``svg_maker`` draws the SVG without graphviz when given; otherwise graphviz
    draws ``source`` with ``engine``. ``text`` is the plain-text fallback shown
    where no picture can be (a terminal, a doctest, a missing ``dot``).
    """

    def __init__(self, source: str, text: str, *, svg_maker: Callable[[], str] | None = None,
                 engine: str = "dot", neato_no_op: int | None = None, name: str = "diagram") -> None:
        self.source = source
        self.text = text
        self.name = name
        self._svg_maker = svg_maker
        self._engine = engine
        self._neato_no_op = neato_no_op
        self._svg: str | None = None

    def svg(self) -> str:
        """The picture as SVG text (cached: a diagram is a value, it never changes)."""
        if self._svg is None:
            if self._svg_maker is not None:
                self._svg = self._svg_maker()
            else:
                raw = run_graphviz(self.source, "svg", engine=self._engine, neato_no_op=self._neato_no_op)
                self._svg = raw.decode("utf-8")
        return self._svg

    def png(self) -> bytes:
        """The picture as PNG bytes. Our own SVG goes through cairosvg when it is
        installed; otherwise graphviz draws the DOT source (same layout, pinned)."""
        if self._svg_maker is not None:
            try:
                import cairosvg  # optional: pip install cairosvg
            except ImportError:
                pass
            else:
                return cairosvg.svg2png(bytestring=self.svg().encode("utf-8"), scale=2)
        try:
            return run_graphviz(self.source, "png", engine=self._engine, neato_no_op=self._neato_no_op)
        except DotNotFoundError as exc:
            raise PngNotAvailableError(
                "PNG export needs graphviz's `dot` (apt-get install graphviz / brew install graphviz / "
                "conda install -c conda-forge graphviz) or the cairosvg package (pip install cairosvg). "
                "SVG and DOT need neither: save('picture.svg') or save('picture.dot').") from exc

    def save(self, path: str | Path) -> Path:
        """Write the diagram; the suffix picks the format: .svg, .png or .dot (.gv)."""
        path = Path(path)
        suffix = path.suffix.lower()
        writers: dict[str, Callable[[], bytes]] = {
            ".svg": lambda: self.svg().encode("utf-8"),
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
        try:
            return {"image/svg+xml": self.svg(), "text/plain": self.text}
        except DotNotFoundError as exc:
            return {"text/plain": f"{exc}\n\n{self.text}"}

    def __repr__(self) -> str:
        return f"<{self.name}>\n{self.text}"

    def __str__(self) -> str:
        return self.text
