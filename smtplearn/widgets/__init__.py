"""Interactive widgets for the course (ipywidgets 8, JupyterLab 4).

    from smtplearn.widgets import Console, Player, MXExplorer
    Console(Pair())              # press the SMTP commands, type raw lines, watch the state move
    Player(pair.transcript)      # step through a finished conversation at the projector
    MXExplorer(resolver)         # type a domain, see where its mail goes

Widgets are views: they call the library (``Conversation``, ``state_diagram``,
``lookup_mx``) and show what it says; they hold no protocol logic. Names load
on first use (PEP 562), so ``import smtplearn.widgets`` does not import
ipywidgets until a widget is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtplearn._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from smtplearn.widgets.console import Console
    from smtplearn.widgets.mx_explorer import MXExplorer
    from smtplearn.widgets.player import Player

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Console": "smtplearn.widgets.console",
    "Player": "smtplearn.widgets.player",
    "MXExplorer": "smtplearn.widgets.mx_explorer",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
