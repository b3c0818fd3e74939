"""The one place a lower layer reaches up: how a value shows itself with an upper layer's code.

Layers import only downward (docs/architecture.md). Two values must still show
themselves in Jupyter with code that sits above them: a ``Reply`` (protocol) as
HTML made by ``smtplearn.render``, and a ``Transcript`` as text, HTML and a
sequence diagram made by ``smtplearn.render`` and ``smtplearn.diagrams``.
Instead of importing upwards, they ask for a view by name here; its module is
imported the first time the view is used. ``UPWARD_VIEWS`` is the whole list;
tests/test_architecture.py allows exactly these reaches and no upward import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

#: view (a function's name) -> the module above the caller that defines it
UPWARD_VIEWS: Mapping[str, str] = MappingProxyType({
    "reply_html": "smtplearn.render.html",          # Reply._repr_html_
    "transcript_text": "smtplearn.render.text",     # Transcript.text(), str(), repr()
    "transcript_html": "smtplearn.render.html",     # Transcript._repr_html_
    "sequence_diagram": "smtplearn.diagrams",       # Transcript.sequence_diagram(), _repr_mimebundle_
})


def view(name: str) -> Callable[..., Any]:
    """The view function ``name`` from ``UPWARD_VIEWS`` (imported on first use)."""
    function: Callable[..., Any] = getattr(importlib.import_module(UPWARD_VIEWS[name]), name)
    return function
