"""The recorded run notebook 07 shows in the browser is what the notebook really does today."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from smtplearn.browser import NotInTheBrowser, recorded_run, require_sockets

REPO = Path(__file__).resolve().parent.parent


def _recorder():
    spec = importlib.util.spec_from_file_location("record_runs", REPO / "scripts" / "record_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recording_matches_a_fresh_run_on_loopback():
    """If the server's replies change, `python scripts/record_runs.py` must be run again."""
    from smtplearn.transcript import Transcript
    import json

    fresh = _recorder().record_07()
    shown = recorded_run("07-real-software")
    assert [title for title, _ in shown.sessions] == [s["title"] for s in fresh["sessions"]]
    for (title, recorded), session in zip(shown.sessions, fresh["sessions"]):
        now = Transcript.from_json(json.dumps(session["transcript"]))
        assert recorded.text() == now.text(), f"{title}: run scripts/record_runs.py again"
    html = shown._repr_html_()
    assert "Recorded, not live" in html and "<svg" in html


def test_socket_transports_refuse_clearly_in_the_browser(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    import smtplearn

    for make, name in ((smtplearn.Server, "smtplearn.Server"), (lambda: smtplearn.Client("127.0.0.1", 9), "smtplearn.Client")):
        with pytest.raises(NotInTheBrowser, match=f"{name} needs real TCP sockets") as caught:
            make()
        assert "smtplearn.Pair()" in str(caught.value)
        # IPython shows the explanation only, no traceback
        assert caught.value._render_traceback_()[0].startswith("NotInTheBrowser: ")
    monkeypatch.setattr(sys, "platform", "linux")
    require_sockets("anything")  # a normal Python: nothing to say
