"""smtplearn.Server and smtplearn.Client over real TCP on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from smtplearn import Client, Server, SMTPConnectError, SMTPTimeoutError, State
from smtplearn.protocol import CATALOGUE, Command, Verb
from wire import wait_for


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with Server(hostname="mx.test") as running:
        yield running


def test_client_sends_a_message(server: Server) -> None:
    host, port = server.address
    assert host == "127.0.0.1" and port > 0
    with Client(host, port, local_hostname="client.test", timeout=10) as client:
        assert client.greeting.code == 220
        assert client.ehlo().code == 250 and "SMTPUTF8" in client.extensions
        reply = client.send_mail("alice@example.org", ["bob@example.org", "carol@example.org"],
                                 "Subject: tcp\r\n\r\n.dot\r\nhello\r\n")
        assert reply.code == 250 and client.state is State.READY
    [message] = server.mailbox
    assert message.rcpt_tos == ("bob@example.org", "carol@example.org")
    assert message.content == b"Subject: tcp\r\n\r\n.dot\r\nhello\r\n"
    assert message.peer == "127.0.0.1" and message.helo == "client.test"
    assert message.data.startswith(b"Received: from client.test ([127.0.0.1])\r\n\tby mx.test (smtplearn)")
    assert wait_for(lambda: len(server.transcripts) == 1 and server.transcripts[0].states[-1] is State.CLOSED)


def test_server_transcript_names_every_reply(server: Server) -> None:
    with Client(*server.address, local_hostname="client.test", timeout=10) as client:
        client.send_line("MAIL FROM:<a@example.org>")
        client.ehlo()
        client.send_line("FOO")
        client.vrfy("bob")
    assert wait_for(lambda: server.transcripts and server.transcripts[0].states[-1] is State.CLOSED)
    transcript = server.transcripts[0]
    assert [t.reply.code for t in transcript.turns] == [220, 503, 250, 500, 252, 221]
    for turn in transcript.turns:
        assert turn.reply.name in CATALOGUE
        assert CATALOGUE[turn.reply.name].explanation in turn.reply.explanation
    assert transcript.title.startswith("127.0.0.1:")
    assert "<** 503 5.5.1 MAIL is not allowed before HELO/EHLO" in transcript.text()


def test_refusals_are_replies_not_exceptions(server: Server) -> None:
    with Client(*server.address, local_hostname="client.test", timeout=10) as client:
        assert client.rcpt("bob@example.org").code == 503
        assert client.expn("staff").code == 252  # RFC 5321 §7.3
        assert client.send_line("STARTTLS").code == 502  # type: ignore[union-attr]


def test_pipelining_over_tcp(server: Server) -> None:
    with Client(*server.address, local_hostname="client.test", timeout=10) as client:
        client.ehlo()
        replies = client.pipeline(Command.mail("a@example.org"), Command.rcpt("b@example.org"),
                                  Command.rcpt("c@example.org"), Command(Verb.DATA))
        assert [r.code for r in replies] == [250, 250, 250, 354]
        final = client._roundtrip(client.session.send_message(b"pipelined\r\n"))
        assert final.code == 250
    assert server.mailbox[0].content == b"pipelined\r\n"


def test_many_clients_at_once(server: Server) -> None:
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            with Client(*server.address, local_hostname=f"c{n}.test", timeout=20) as client:
                for i in range(3):
                    assert client.send_mail(f"s{n}@example.org", f"r{n}@example.org", f"n={n} i={i}").code == 250
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(server.mailbox) == 30
    assert len({m.queue_id for m in server.mailbox}) == 30
    assert wait_for(lambda: server.active_connections == 0)


def test_on_event_sees_every_event_in_order() -> None:
    seen: list[object] = []
    with Server(hostname="mx.test", on_event=lambda transcript, event: seen.append(event)) as server:
        with Client(*server.address, local_hostname="client.test", timeout=10) as client:
            client.send_mail("a@example.org", "b@example.org", "x")
        assert wait_for(lambda: server.active_connections == 0)
    kinds = [type(e).__name__ for e in seen]
    assert kinds[0] == "Exchange" and "MessageAccepted" in kinds and kinds[-1] == "Closed"
    assert kinds.index("MessageAccepted") < len(kinds) - 3


def test_maildir_storage(tmp_path: Path) -> None:
    import mailbox
    with Server(hostname="mx.test", maildir=tmp_path / "Maildir") as server:
        with Client(*server.address, local_hostname="client.test", timeout=10) as client:
            client.send_mail("a@example.org", "b@example.org", "Subject: stored\r\n\r\nhi\r\n")
    [stored] = list(mailbox.Maildir(tmp_path / "Maildir"))
    assert stored["Subject"] == "stored" and stored["Received"].startswith("from client.test")


def test_local_domains_over_tcp() -> None:
    with Server(hostname="mx.test", local_domains=["example.org"]) as server:
        with Client(*server.address, local_hostname="client.test", timeout=10) as client:
            client.ehlo()
            client.mail("a@example.org")
            answer = client.rcpt("x@elsewhere.test")
    assert (answer.code, answer.enhanced) == (550, "5.7.1")


def test_stop_sends_421_to_open_sessions() -> None:
    server = Server(hostname="mx.test").start()
    sock = socket.create_connection(server.address, timeout=10)
    assert sock.recv(100).startswith(b"220 ")
    sock.sendall(b"EHLO client.test\r\n")
    received = b""
    while not received.endswith(b"250 HELP\r\n"):
        received += sock.recv(1000)
    server.stop()
    assert sock.recv(1000) == b"421 4.3.2 mx.test shutting down, closing connection\r\n"
    assert sock.recv(1000) == b""
    sock.close()
    assert not server.running


def test_idle_timeout_gives_421() -> None:
    with Server(hostname="mx.test", idle_timeout=0.3) as server:
        sock = socket.create_connection(server.address, timeout=10)
        data = b""
        deadline = time.monotonic() + 10
        while b"421" not in data and time.monotonic() < deadline:
            chunk = sock.recv(1000)
            if not chunk:
                break
            data += chunk
        sock.close()
    assert data.endswith(b"421 4.4.2 mx.test timeout, closing connection\r\n")


def test_max_connections_refuses_with_421() -> None:
    with Server(hostname="mx.test", max_connections=1) as server:
        first = socket.create_connection(server.address, timeout=10)
        assert first.recv(100).startswith(b"220")
        second = socket.create_connection(server.address, timeout=10)
        assert second.recv(200) == b"421 4.3.2 mx.test too many connections, try again later\r\n"
        first.close()
        second.close()


def test_half_sent_message_is_not_delivered() -> None:
    with Server(hostname="mx.test") as server:
        sock = socket.create_connection(server.address, timeout=10)
        sock.sendall(b"EHLO c.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nhalf")
        received = b""
        while b"354" not in received:
            received += sock.recv(1000)
        sock.close()
        assert wait_for(lambda: server.active_connections == 0)
        assert len(server.mailbox) == 0


def test_client_connect_error_gives_advice(free_port) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SMTPConnectError, match="Nothing listens there"):
        Client("127.0.0.1", free_port(), connect_timeout=5)


def test_client_timeout_names_the_rfc() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        with pytest.raises(SMTPTimeoutError, match="no reply to the greeting .* within 0.2 s"):
            Client(*listener.getsockname(), timeout=0.2)
    finally:
        listener.close()


def test_server_bind_error_says_what_to_do() -> None:
    with Server() as first:
        with pytest.raises(OSError, match="port=0 lets the system choose"):
            Server(port=first.address[1]).start()


def test_repr_of_server_and_client(server: Server) -> None:
    assert "smtplearn" not in repr(server) or "on 127.0.0.1:" in repr(server)
    with Client(*server.address, local_hostname="client.test", timeout=10) as client:
        client.noop()
        assert "state GREETED" in repr(client) and " -> NOOP" in repr(client)
        assert "<table" in client._repr_html_()
