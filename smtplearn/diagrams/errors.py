"""What can stop a picture from being drawn: no graphviz, no way to make PNG.

Both errors say what to install; ``DotNotFoundError`` keeps the DOT source, so
nothing is lost. They live apart from ``diagram.py`` so that ``wasm.py`` (the
browser's Graphviz, which ``diagram.py`` uses) can derive from them without a
circle. Both are ``smtplearn.Error``s.
"""

from __future__ import annotations

from smtplearn.protocol.errors import Error

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
