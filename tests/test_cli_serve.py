"""``python -m smtplearn serve``: a real subprocess on a free port, smtplib as the
client, the printed narration checked, then SIGINT (Ctrl-C) and a clean exit 0."""

from __future__ import annotations

import io
import mailbox
import re
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtplearn.cli import build_parser
from smtplearn.commands.serve import Narrator


class ServeProcess:
    """The CLI in a subprocess, its stdout collected by a reader thread."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "smtplearn", "serve", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, fragment: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if fragment in self.text:
                return
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        pytest.fail(f"{fragment!r} never appeared in the output:\n{self.text}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        return code


@pytest.fixture
def serve(free_port) -> Iterator:  # type: ignore[no-untyped-def]
    started: list[ServeProcess] = []

    def start(*args: str) -> tuple[ServeProcess, int]:
        for _ in range(3):  # the free port may be taken between the check and the bind
            port = free_port()
            process = ServeProcess("--port", str(port), "--hostname", "mx.test", *args)
            started.append(process)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and process.proc.poll() is None:
                if "Press Ctrl-C to stop." in process.text:
                    return process, port
                time.sleep(0.02)
            process.stop(signal.SIGKILL)
        pytest.fail(f"serve did not start:\n{started[-1].text}")

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.stop(signal.SIGKILL)


def test_serve_narrates_a_session_and_stops_on_ctrl_c(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    process, port = serve("--maildir", str(tmp_path / "Maildir"))
    banner = process.text
    assert f"listening on 127.0.0.1:{port}" in banner
    assert f"nc -C 127.0.0.1 {port}" in banner and f"telnet 127.0.0.1 {port}" in banner
    assert f"swaks --server 127.0.0.1:{port}" in banner
    assert "Ctrl-C" in banner and "Maildir" in banner

    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as smtp:
        smtp.sendmail("alice@example.org", ["bob@example.org"],
                      b"Subject: hello class\r\n\r\n.dotted\r\nhi\r\n")
        assert smtp.docmd("FOO")[0] == 500
    process.wait_for("session closed (quit)")
    out = process.text
    assert "<-  220 mx.test ESMTP smtplearn ready" in out
    assert " -> ehlo client.test" in out
    assert "<-  250-PIPELINING" in out
    assert " -> mail FROM:<alice@example.org> size=" in out
    assert "<-  250 2.1.5 Recipient <bob@example.org> OK" in out
    assert " -> Subject: hello class" in out and " -> ..dotted" in out
    assert "<** 500 5.5.2 Command not recognized: FOO" in out
    # every reply explained from the catalogue, with the state it led to
    assert "# The server does not know this command at all. (RFC 5321 §4.2.4) [stays READY]" in out
    assert "# The reverse-path (where bounces go) is accepted" in out and "[READY -> MAIL]" in out
    lines = process.lines
    queued = next(i for i, line in enumerate(lines) if "OK: queued as" in line)
    assert "message SL00000001 accepted: MAIL FROM:<alice@example.org> RCPT TO:<bob@example.org>" in lines[queued + 2]
    prefix = lines[queued].split(" ")[0]
    assert prefix.startswith("[127.0.0.1:") and prefix.endswith("]")

    assert process.stop(signal.SIGINT) == 0
    assert "stopped. 1 message(s) accepted." in process.text
    assert "Traceback" not in process.text
    [stored] = list(mailbox.Maildir(tmp_path / "Maildir"))
    assert stored["Subject"] == "hello class"


def test_ctrl_c_sends_421_to_a_connected_client(serve) -> None:  # type: ignore[no-untyped-def]
    process, port = serve()
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    assert sock.recv(200).startswith(b"220 mx.test")
    process.wait_for("[CONNECTED -> GREETED]")
    assert process.stop(signal.SIGINT) == 0
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(200)
        if not chunk:
            break
        data += chunk
    sock.close()
    assert data == b"421 4.3.2 mx.test shutting down, closing connection\r\n"
    assert "session closed (421" in process.text


def test_sigterm_stops_cleanly_too(serve) -> None:  # type: ignore[no-untyped-def]
    process, _ = serve()
    assert process.stop(signal.SIGTERM) == 0
    assert "stopped. 0 message(s) accepted." in process.text


def test_local_domains_refuse_relaying(serve) -> None:  # type: ignore[no-untyped-def]
    process, port = serve("--local-domain", "example.org", "--local-domain", "example.net")
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("a@example.org", ["x@elsewhere.test"], b"hi\r\n")
        assert smtp.sendmail("a@example.org", ["y@example.net"], b"hi\r\n") == {}
    process.wait_for("session closed (quit)")
    assert "<** 550 5.7.1 Relaying denied: elsewhere.test is not a local domain" in process.text
    assert process.stop() == 0


def test_port_in_use_is_an_error_with_advice(serve) -> None:  # type: ignore[no-untyped-def]
    _, port = serve()
    second = subprocess.run([sys.executable, "-m", "smtplearn", "serve", "--port", str(port)],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == 1
    assert "port=0 lets the system choose" in second.stderr


def test_arguments_and_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.maildir, args.hostname, args.local_domains) == (
        "127.0.0.1", 2525, None, "smtplearn.test", None)
    help_text = build_parser()._subparsers._group_actions[0].choices["serve"].format_help()  # type: ignore[union-attr]
    assert "nc -C" in help_text and "--local-domain" in help_text


def test_narrator_lines_without_a_network() -> None:
    """The view alone: a Pair's server events, narrated to a string."""
    from smtplearn.protocol import ServerSession
    from smtplearn.transcript import Transcript

    out = io.StringIO()
    narrator, transcript = Narrator(out), Transcript(title="192.0.2.1:1234 -> mx")
    session = ServerSession(hostname="mx.test")
    for event in session.start() + session.receive_data(b"EHLO c.test\r\nRCPT TO:<a@b.example>\r\n"):
        narrator(transcript, event)
    text = out.getvalue()
    assert text.startswith("[192.0.2.1:1234] <-  220 mx.test ESMTP smtplearn ready\n")
    assert "[192.0.2.1:1234] <** 503 5.5.1 RCPT is not allowed before MAIL FROM" in text
    assert "Commands must come in order" in text


# -- issue 11: a busy server stops promptly; the narration never holds the server ------------
def test_sigterm_to_a_busy_server_exits_within_5_s_and_keeps_every_acknowledged_message(
        serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 11 item 2: 8 clients sending non-stop; SIGTERM; every message answered 250 is in
    the Maildir (RFC 5321 §6.1: once it has sent "250 OK", the receiver-SMTP "MUST NOT lose the
    message for frivolous reasons")."""
    from test_transport_network import run_busy_clients

    process, port = serve("--maildir", str(tmp_path / "Maildir"))
    threads, acknowledged, outcome = run_busy_clients(("127.0.0.1", port), 8)
    started = time.monotonic()
    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(timeout=5) == 0
    took = time.monotonic() - started
    for thread in threads:
        thread.join(10)
    stored = {re.search(rb"id (SL[0-9A-F]{8})", path.read_bytes()).group(1).decode()  # type: ignore[union-attr]
              for path in (tmp_path / "Maildir" / "new").iterdir()}
    assert set(acknowledged) <= stored, "a message answered 250 is missing from the Maildir"
    assert len(outcome) == 8 and all(o.startswith("421 4.3.2") for o in outcome), outcome
    assert took < 5


def serve_unread(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    """The CLI with a stdout pipe nobody reads after the banner (a paused terminal,
    `serve | slow-program`). Port 0: the system picks one, the banner says which."""
    proc = subprocess.Popen([sys.executable, "-m", "smtplearn", "serve", "--port", "0",
                             "--hostname", "mx.test", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    banner = b""
    for _ in range(40):  # the banner is a dozen lines
        line = proc.stdout.readline()  # type: ignore[union-attr]
        banner += line
        if not line or b"Press Ctrl-C to stop." in line:
            break
    found = re.search(rb"listening on 127\.0\.0\.1:(\d+)", banner)
    if found is None:
        proc.kill()
        pytest.fail(f"serve did not start: {banner!r}")
    return proc, int(found.group(1))


def noop_flood(port: int, count: int) -> int:
    """Pipeline ``count`` NOOPs on one connection; the number of 250 replies read back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"EHLO flood.test\r\n" + b"NOOP\r\n" * count + b"QUIT\r\n")
        data = bytearray()
        while chunk := sock.recv(1 << 16):
            data += chunk
    return data.count(b"250 2.0.0")


def test_an_unread_stdout_never_blocks_sessions_or_sigterm() -> None:
    """Issue 11 item 8: the narration goes through a bounded queue; lines are dropped and
    counted when the terminal cannot keep up, never sessions."""
    proc, port = serve_unread()
    try:
        assert noop_flood(port, 20_000) == 20_000  # ~60,000 lines: far more than a pipe holds
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=10) as smtp:
            assert smtp.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\r\n\r\nhi\r\n") == {}
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def test_dropped_narration_is_counted_when_the_output_catches_up() -> None:
    proc, port = serve_unread()
    try:
        assert noop_flood(port, 20_000) == 20_000
        out = bytearray()
        reader = threading.Thread(target=lambda: out.extend(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
        reader.start()  # the reader comes back: the narration goes on, with a count of what was lost
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=10) as smtp:
            smtp.noop()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        reader.join(5)
        assert re.search(rb"\.\.\. [\d,]+ lines not shown|\xe2\x80\xa6 [\d,]+ lines not shown", bytes(out))
        assert b"stopped. 0 message(s) accepted." in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_closed_stdout_keeps_the_server_serving() -> None:
    """Issue 11 item 8: `serve | head -1` used to drop every connection."""
    proc, port = serve_unread()
    try:
        proc.stdout.close()  # type: ignore[union-attr]  # like head after its first line
        for _ in range(3):
            with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=10) as smtp:
                assert smtp.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\r\n\r\nhi\r\n") == {}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("strict", [False, True])
def test_plain_nc_bare_lf_commands_in_class(serve, strict: bool) -> None:  # type: ignore[no-untyped-def]
    """``serve`` opts in to the named classroom deviation (Limits.bare_lf_commands) and says so
    each time: RFC 5321 §2.3.8 "Conforming implementations MUST NOT recognize or generate any
    other character or character sequence as a line terminator". --strict-line-ends keeps the RFC."""
    process, port = serve(*(["--strict-line-ends"] if strict else []))
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220 mx.test")
        sock.sendall(b"NOOP\n")  # what plain nc sends
        answer = reader.readline()
        sock.sendall(b"QUIT\r\n")
        while not reader.readline().startswith(b"221"):
            pass
    if strict:
        assert answer.startswith(b"500 5.5.2 Command line must end with CRLF")
    else:
        assert answer == b"250 2.0.0 OK\r\n"
        process.wait_for("this line ended with a bare LF, not CRLF; RFC 5321 §2.3.8")
    assert process.stop(signal.SIGINT) == 0
