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

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'smtplearn.widgets' has no attribute {name!r}; "
                             f"it exports {', '.join(__all__)}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
