# python -m smtplearn send: against a real smtplearn.Server on 127.0.0.1 (--server), and by
# MX lookup through a real dnsmasq on loopback (--nameserver). Exit status 0/1/2/64.
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from smtplearn import Server
from smtplearn.commands import send as send_command
from smtplearn.mini_internet import MiniHost


def run_send(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="smtplearn send")
    send_command.add_arguments(parser)
    return send_command.run(parser.parse_args(argv))


@pytest.fixture
def server():
    with Server(local_domains=["example.org"], hostname="mx.example.org") as running:
        yield running


def at(server: Server) -> str:
    host, port = server.address
    return f"{host}:{port}"


def test_send_to_a_server_prints_the_transcript_and_exits_0(server, capsys):
    status = run_send(["--from", "alice@example.com", "--to", "bob@example.org", "--to", "carol@example.org",
                       "--server", at(server), "--subject", "Hi there", "--body", "one\n.two\n"])
    out = capsys.readouterr().out
    assert status == 0
    assert " -> MAIL FROM:<alice@example.com>" in out and " -> RCPT TO:<carol@example.org>" in out
    assert "<-  250 2.0.0 OK: queued as" in out
    assert "bob@example.org: delivered at" in out and "2 delivered, 0 deferred, 0 bounced" in out
    (message,) = server.mailbox
    assert message.rcpt_tos == ("bob@example.org", "carol@example.org")
    assert message.email["Subject"] == "Hi there" and message.email["Message-ID"].endswith("@example.com>")
    assert message.content.endswith(b"\r\n\r\none\r\n.two\r\n")  # the dot-stuffed line came back whole


def test_a_refused_recipient_exits_2(server, capsys):
    status = run_send(["--from", "a@example.com", "--to", "bob@example.org", "--to", "eve@elsewhere.test",
                       "--server", at(server)])
    out = capsys.readouterr().out
    assert status == 2
    assert "<** 550 5.7.1 Relaying denied" in out and "eve@elsewhere.test: bounced" in out
    assert [m.rcpt_tos for m in server.mailbox] == [("bob@example.org",)]


def test_a_temporary_refusal_exits_1(capsys):
    greylisting = MiniHost("grey.example.org", (), "greylist").handler
    with Server(handler=greylisting, hostname="grey.example.org") as grey:
        status = run_send(["--from", "a@example.com", "--to", "bob@example.org", "--server", at(grey)])
    assert status == 1
    assert "<** 450 4.2.0 Greylisted" in capsys.readouterr().out


def test_nothing_listening_exits_1_and_says_so(free_port, capsys):
    status = run_send(["--from", "a@example.com", "--to", "b@example.org", "--server", f"127.0.0.1:{free_port()}"])
    out = capsys.readouterr().out
    assert status == 1 and "connection refused" in out


def test_body_from_a_file(server, tmp_path, capsys):
    body = tmp_path / "body.txt"
    body.write_text("from a file\n", encoding="utf-8")
    assert run_send(["--from", "a@example.com", "--to", "b@example.org", "--server", at(server),
                     "--body-file", str(body)]) == 0
    assert server.mailbox[0].content.endswith(b"\r\n\r\nfrom a file\r\n")


@pytest.mark.parametrize("argv, says", [
    (["--server", "127.0.0.1:notaport"], "HOST:PORT"),
    (["--server", "127.0.0.1:1", "--nameserver", "dns.example"], ""),  # ignored with --server
    (["--nameserver", "dns.example"], "not an IP address"),
])
def test_malformed_input_exits_64(argv, says, capsys):
    status = run_send(["--from", "a@example.com", "--to", "b@example.org", "--timeout", "2", *argv])
    if says:
        assert status == send_command.EX_USAGE and says in capsys.readouterr().err
    else:
        assert status == 1  # refused at port 1: deferred, not a usage error


@pytest.mark.peers
def test_send_by_mx_lookup(dnsmasq, capsys):
    with Server(hostname="mx2.example.test") as mx:
        address, port = mx.address
        ns_host, ns_port = dnsmasq("--local=/test/", "--mx-host=example.test,mx1.example.test,10",
                                   "--mx-host=example.test,mx2.example.test,20",
                                   "--host-record=mx1.example.test,127.0.0.9",
                                   f"--host-record=mx2.example.test,{address}")
        status = run_send(["--from", "a@home.test", "--to", "bob@example.test", "--port", str(port),
                           "--nameserver", f"{ns_host}:{ns_port}", "--timeout", "5"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "DNS: MX example.test? → mx1.example.test (10), mx2.example.test (20)" in out
    assert "connect to mx1.example.test [127.0.0.9]" in out and "connection refused" in out
    assert "bob@example.test: delivered at mx2.example.test [127.0.0.1]" in out
    assert len(mx.mailbox) == 1


def test_python_dash_m_smtplearn_send(server):
    env = {**os.environ, "SMTPLEARN_NAMESERVER": "127.0.0.1:9"}  # never the machine's resolver
    done = subprocess.run([sys.executable, "-m", "smtplearn", "send", "--from", "a@example.com",
                           "--to", "b@example.org", "--server", at(server)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "1 delivered" in done.stdout and len(server.mailbox) == 1
