"""Names that load on first use (PEP 562), shared by every package ``__init__``.

``import smtplearn`` must stay as quick as ``import smtplib``: graphviz,
ipywidgets and dnspython load only when a diagram, widget or lookup is
asked for. Each package lists ``name -> module`` once and gets its
``__getattr__`` and ``__dir__`` from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(namespace: dict[str, Any], exports: Mapping[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose ``globals()`` is ``namespace``."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}; "
                                 f"it exports {', '.join(sorted(exports))}")
        value = getattr(importlib.import_module(module_name), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
