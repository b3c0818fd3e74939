# The command line as README describes it: `--version`, usage errors that exit 64 (EX_USAGE,
# README's exit tables) instead of argparse's 2, malformed addresses refused before any DNS or
# TCP, a malformed transcript file explained instead of a raw KeyError, and `nc` (which the
# course's terminal exercise uses) installed on Debian and on Binder.
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import smtplearn
from smtplearn.cli import EX_USAGE, main
from smtplearn.transcript import Transcript, TranscriptFormatError

REPO = Path(__file__).resolve().parent.parent


def smtplearn_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMTPLEARN_NAMESERVER": "127.0.0.1:9"}  # never the machine's resolver
    return subprocess.run([sys.executable, "-m", "smtplearn", *argv], capture_output=True, text=True,
                          timeout=60, env=env)


def test_version():
    done = smtplearn_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"smtplearn {smtplearn.__version__}"


@pytest.mark.parametrize("argv, says", [
    (["send", "--from", "alice"], "the following arguments are required: --to"),
    (["send", "--from", "alice", "--to", "bob@example.org", "--server", "127.0.0.1:9"], "--from 'alice'"),
    (["send", "--from", "alice@example.org", "--to", "bob", "--server", "127.0.0.1:9"], "--to 'bob'"),
    (["send", "--from", "a@example.org", "--to", "b@exa mple.org", "--server", "127.0.0.1:9"], "--to"),
    (["mx"], "the following arguments are required: DOMAIN"),
    (["nosuchcommand"], "invalid choice"),
])
def test_usage_errors_exit_64_as_the_readme_says(argv, says):
    """README: exit 64 = malformed input (address, server, nameserver)."""
    done = smtplearn_cli(*argv)
    assert done.returncode == EX_USAGE == 64, (done.returncode, done.stderr)
    assert says in done.stderr and "Traceback" not in done.stderr
    assert "<-" not in done.stdout  # refused before any connection


def test_readme_exit_table_says_64():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "| 64 | malformed input" in readme


def test_help_still_exits_0(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["send", "--help"])
    assert stop.value.code == 0 and "--from" in capsys.readouterr().out


# ---------------------------------------------------------------- transcript files
GOOD = Transcript([]).to_json()


@pytest.mark.parametrize("text, says", [
    ("not json at all", "not JSON"),
    ('{"turns": []}', '"entries" list'),
    ("[1, 2]", '"entries" list'),
    ('{"entries": [{"time": 0}]}', "entry 0 is not a turn or a note: missing field"),
    ('{"entries": [{"note": "hi", "time": 0, "source": "a", "target": "b", "kind": "dns"}, 5]}', "entry 1"),
])
def test_a_malformed_transcript_says_what_is_wrong(text, says, tmp_path):
    path = tmp_path / "session.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TranscriptFormatError, match=None) as error:
        Transcript.load(path)
    assert says in str(error.value) and str(path) in str(error.value)
    assert isinstance(error.value, ValueError)  # callers that catch ValueError keep working


def test_the_diagram_command_explains_a_bad_transcript(tmp_path):
    path = tmp_path / "session.json"
    path.write_text(json.dumps({"title": "no entries"}), encoding="utf-8")
    done = smtplearn_cli("diagram", "sequence", str(path), "--out", str(tmp_path / "s.svg"))
    assert done.returncode == 1
    assert done.stderr.startswith("smtplearn diagram: ") and '"entries" list' in done.stderr
    assert "KeyError" not in done.stderr and "Traceback" not in done.stderr


def test_a_good_transcript_still_loads(tmp_path):
    pair = smtplearn.Pair()
    pair.ehlo()
    path = pair.transcript.save(tmp_path / "ok.json")
    assert len(Transcript.load(path).turns) == len(pair.transcript.turns) == 2


# ---------------------------------------------------------------- nc for the terminal exercise
def test_nc_is_installed_for_the_course_on_debian_and_on_binder():
    """Notebook 07 and README tell students to type SMTP with `nc -C`; both set-ups must install it."""
    apt = (REPO / "binder" / "apt.txt").read_text(encoding="utf-8").split()
    assert "netcat-openbsd" in apt  # its nc has -C (send CRLF)
    deps = (REPO / "scripts" / "system-deps.sh").read_text(encoding="utf-8")
    assert "netcat-openbsd" in deps
