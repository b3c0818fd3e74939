"""smtplearn.Client against Postfix's smtp-sink (Debian package postfix).

smtp-sink is run directly (the postfix daemon is never started). With -d it
dumps each transaction to a file: its own X-* lines and a three-line
Received: header, then the message with LF line ends, then an empty line.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtplearn import Client, State
from smtplearn.protocol import Command, Verb

pytestmark = pytest.mark.peers


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def smtp_sink(system_binary, free_port, tmp_path: Path) -> Iterator[tuple[int, Path]]:  # type: ignore[no-untyped-def]
    binary = system_binary("smtp-sink")
    dump = tmp_path / "dump"
    dump.mkdir()
    user = ["-u", "root"] if os.geteuid() == 0 else []  # required (and only allowed) as root
    for _ in range(3):
        port = free_port()
        proc = subprocess.Popen([binary, *user, "-h", "sink.test", "-d", f"{dump}/%H%M%S.",
                                 f"127.0.0.1:{port}", "100"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None and not _listening(port):
            time.sleep(0.02)
        if proc.poll() is None and _listening(port):
            break
        proc.kill()
        proc.wait()
    else:
        pytest.fail("smtp-sink did not start listening on 127.0.0.1")
    yield port, dump
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def dumped(dump: Path, count: int) -> list[tuple[dict[str, list[str]], bytes]]:
    """(smtp-sink's X- fields, the message text with CRLF restored), oldest first."""
    deadline = time.monotonic() + 10
    while len(list(dump.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    out = []
    for path in sorted(dump.iterdir(), key=lambda p: p.stat().st_mtime_ns):
        lines = path.read_bytes().split(b"\n")
        fields: dict[str, list[str]] = {}
        i = 0
        while not lines[i].startswith(b"Received: "):
            key, _, value = lines[i].decode().partition(": ")
            fields.setdefault(key, []).append(value)
            i += 1
        text = lines[i + 3:]            # after the three-line Received: header
        assert text[-2:] == [b"", b""]  # the dump adds one empty line
        out.append((fields, b"".join(line + b"\r\n" for line in text[:-2])))
    return out


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_client_sends_to_smtp_sink(smtp_sink) -> None:  # type: ignore[no-untyped-def]
    port, dump = smtp_sink
    body = b"From: alice@example.org\r\nSubject: to the sink\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n"
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        assert client.greeting.text == "sink.test ESMTP"
        assert client.ehlo().code == 250 and "PIPELINING" in client.extensions
        reply = client.send_mail("alice@example.org", ["bob@example.org", "carol@example.org"], body)
        assert (reply.code, reply.enhanced) == (250, "2.0.0")
    [(fields, content)] = dumped(dump, 1)
    assert fields["X-Helo-Args"] == ["client.test"]
    assert fields["X-Mail-Args"] == ["<alice@example.org>"]
    assert fields["X-Rcpt-Args"] == ["<bob@example.org>", "<carol@example.org>"]
    assert sha(content) == sha(body)
    assert client.transcript.states[-1] is State.CLOSED


def test_pipelined_transactions_to_smtp_sink(smtp_sink) -> None:  # type: ignore[no-untyped-def]
    port, dump = smtp_sink
    bodies = [b"Subject: %d\r\n\r\nmessage %d\r\n" % (n, n) for n in range(3)]
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        client.ehlo()
        for n, body in enumerate(bodies):
            replies = client.pipeline(Command.mail(f"s{n}@example.org"), Command.rcpt(f"r{n}@example.org"),
                                      Command(Verb.DATA))
            assert [r.code for r in replies] == [250, 250, 354]
            assert client._roundtrip(client.session.send_message(body)).code == 250
    got = dumped(dump, 3)
    assert sorted(sha(content) for _, content in got) == sorted(sha(b) for b in bodies)


def test_one_mebibyte_to_smtp_sink(smtp_sink) -> None:  # type: ignore[no-untyped-def]
    port, dump = smtp_sink
    body = b"Subject: big\r\n\r\n" + (b"y" * 98 + b"\r\n") * 10_500
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=60) as client:
        assert client.send_mail("a@example.org", "b@example.org", body).code == 250
    [(_, content)] = dumped(dump, 1)
    assert len(content) == len(body) and sha(content) == sha(body)
