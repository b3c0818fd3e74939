"""swaks (the Swiss Army Knife for SMTP, Debian package) against smtplearn.Server.

swaks prints its session as ``->``/``<-`` lines; our transcript prints the same
shape, so the two are compared line by line, and the message must arrive
byte-identical apart from our Received: line.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

import pytest

from smtplearn import Server, State
from smtplearn.render.text import CLIENT_MARK, REFUSAL_MARK, SERVER_MARK

pytestmark = pytest.mark.peers

BODY = (b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: from swaks\r\n\r\n"
        b"First line.\r\n.A line that starts with a dot.\r\n..two dots\r\n.\r\nLast line.\r\n")


@pytest.fixture
def swaks(system_binary):  # type: ignore[no-untyped-def]
    return system_binary("swaks")


def run_swaks(swaks: str, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    command = [swaks, "--server", f"127.0.0.1:{port}", "--helo", "client.test",
               "--from", "alice@example.org", "--to", "bob@example.org", "--timeout", "30", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def protocol_lines(text: str) -> list[str]:
    """The ->/<- lines (swaks prints <** for refusals, as we do)."""
    return [line for line in text.splitlines() if line.startswith((CLIENT_MARK, SERVER_MARK, REFUSAL_MARK))]


def closed_transcript(server: Server):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.transcripts and server.transcripts[-1].states[-1] is State.CLOSED:
            return server.transcripts[-1]
        time.sleep(0.01)
    pytest.fail("the server never recorded the end of the swaks session")


@pytest.mark.parametrize("pipeline", [False, True])
def test_swaks_sends_a_message(swaks: str, tmp_path: Path, pipeline: bool) -> None:
    data = tmp_path / "message.eml"
    data.write_bytes(BODY[:-2])  # swaks itself ends the text with <CRLF>.<CRLF>
    with Server(hostname="mx.test") as server:
        result = run_swaks(swaks, server.address[1], "--data", str(data), *(["--pipeline"] if pipeline else []))
        assert result.returncode == 0, result.stdout + result.stderr
        transcript = closed_transcript(server)
    [message] = server.mailbox
    assert hashlib.sha256(message.content).hexdigest() == hashlib.sha256(BODY).hexdigest()
    assert message.helo == "client.test" and message.rcpt_tos == ("bob@example.org",)
    assert message.data == message.received_header + BODY

    theirs, ours = protocol_lines(result.stdout), protocol_lines(transcript.text(body_lines=100))
    assert " -> MAIL FROM:<alice@example.org>" in theirs
    assert "<-  250 2.1.5 Recipient <bob@example.org> OK" in theirs
    assert "<-  221 2.0.0 mx.test closing connection" in theirs
    assert " -> ..A line that starts with a dot." in theirs  # swaks dot-stuffs, as it must
    if not pipeline:  # swaks prints each command and reply in wire order; so do we
        assert theirs == ours
    else:  # with --pipeline swaks prints the group first, then the replies
        assert sorted(theirs) == sorted(ours)
    assert [t.reply.code for t in transcript.turns] == [220, 250, 250, 250, 354, 250, 221]


def test_swaks_sees_our_refusals(swaks: str) -> None:
    with Server(hostname="mx.test", local_domains=["example.org"]) as server:
        result = run_swaks(swaks, server.address[1], "--to", "eve@elsewhere.test")
        transcript = closed_transcript(server)
    assert result.returncode != 0  # swaks exits non-zero when RCPT is refused
    assert "<** 550 5.7.1 Relaying denied: elsewhere.test is not a local domain" in result.stdout
    assert protocol_lines(result.stdout) == protocol_lines(transcript.text())
    assert len(server.mailbox) == 0


def test_swaks_quit_after_ehlo_shows_capabilities(swaks: str) -> None:
    with Server(hostname="mx.test") as server:
        result = run_swaks(swaks, server.address[1], "--quit-after", "EHLO")
    assert result.returncode == 0, result.stdout + result.stderr
    for keyword in ("SIZE 10485760", "8BITMIME", "PIPELINING", "SMTPUTF8", "ENHANCEDSTATUSCODES", "HELP"):
        assert any(line.startswith("<-  250") and line.endswith(keyword) for line in result.stdout.splitlines())
