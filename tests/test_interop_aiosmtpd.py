"""smtplearn.Client against aiosmtpd (a real asyncio SMTP server in its own thread).

Messages must arrive byte-identical (aiosmtpd adds no trace header; its
``original_content`` is the unstuffed text, as ours is).
"""

from __future__ import annotations

import hashlib

import pytest

from smtplearn import Client, State

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class Collector:
    """An aiosmtpd handler that keeps every message and refuses one recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes, list[str]]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                              list(envelope.mail_options)))
        return "250 2.0.0 stored"


@pytest.fixture
def aiosmtpd(free_port):  # type: ignore[no-untyped-def]
    """aiosmtpd on 127.0.0.1. Its Controller checks readiness by connecting to
    the port it was given, so port 0 cannot work: take a free one (retry if raced)."""
    handler = Collector()
    for _ in range(3):
        port = free_port()
        controller = aiosmtpd_controller.Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="aiosmtpd.test",  # no getfqdn()
            enable_SMTPUTF8=True, ready_timeout=10)
        try:
            controller.start()
            break
        except (OSError, TimeoutError, RuntimeError):  # port taken meanwhile
            continue
    else:
        pytest.fail("aiosmtpd did not start on 127.0.0.1")
    yield port, handler
    controller.stop()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_client_sends_to_aiosmtpd(aiosmtpd) -> None:  # type: ignore[no-untyped-def]
    port, handler = aiosmtpd
    body = b"From: alice@example.org\r\nSubject: hi\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n"
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        assert client.greeting.code == 220 and "aiosmtpd.test" in client.greeting.text
        assert client.ehlo().code == 250 and "SMTPUTF8" in client.extensions
        reply = client.send_mail("alice@example.org", ["bob@example.org", "carol@example.org"], body)
        assert (reply.code, reply.enhanced) == (250, "2.0.0") and client.state is State.READY
    [(sender, recipients, content, _)] = handler.messages
    assert (sender, recipients) == ("alice@example.org", ["bob@example.org", "carol@example.org"])
    assert sha(content) == sha(body)
    states = client.transcript.states
    assert states[:6] == [State.CONNECTED, State.GREETED, State.READY, State.MAIL, State.RCPT, State.RCPT]
    assert states[-1] is State.CLOSED


def test_one_mebibyte_to_aiosmtpd(aiosmtpd) -> None:  # type: ignore[no-untyped-def]
    port, handler = aiosmtpd
    body = b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 13_700
    assert len(body) > 1024 * 1024
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=60) as client:
        assert client.send_mail("a@example.org", "b@example.org", body).code == 250
    assert sha(handler.messages[0][2]) == sha(body)


def test_refusals_from_aiosmtpd_are_replies(aiosmtpd) -> None:  # type: ignore[no-untyped-def]
    port, handler = aiosmtpd
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        assert client.rcpt("bob@example.org").code == 503  # before MAIL
        client.ehlo()
        client.mail("a@example.org")
        refused = client.rcpt("nobody@example.org")
        assert (refused.code, refused.enhanced) == (550, "5.1.1") and client.state is State.MAIL
        assert refused.explanation.startswith("Not taken")  # explained by its code
        assert client.send_line("FOO").code == 500  # type: ignore[union-attr]
        assert client.expn("staff").code == 502
        assert client.vrfy("bob").code == 252
    assert handler.messages == []


def test_smtputf8_to_aiosmtpd(aiosmtpd) -> None:  # type: ignore[no-untyped-def]
    port, handler = aiosmtpd
    body = "Subject: Grüße\r\n\r\nHallö\r\n".encode()
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        client.ehlo()
        assert client.mail("jörg@exämple.org", SMTPUTF8=True, BODY="8BITMIME").code == 250
        assert client.rcpt("josé@exämple.org").code == 250
        assert client.data(body).code == 250
    [(sender, recipients, content, options)] = handler.messages
    assert (sender, recipients) == ("jörg@exämple.org", ["josé@exämple.org"])
    assert "SMTPUTF8" in options and sha(content) == sha(body)


def test_pipelined_commands_to_aiosmtpd(aiosmtpd) -> None:  # type: ignore[no-untyped-def]
    """RFC 2920 §3: "If the server SMTP responds with code 250 to the EHLO command, and the
    response includes the EHLO keyword value PIPELINING, then the server SMTP has indicated
    that it can accommodate SMTP command pipelining." aiosmtpd does not advertise PIPELINING,
    so pipeline() refuses; with check=False (a careless client) it still reads them in order."""
    from smtplearn.protocol import Command, LocalProtocolError, Verb
    port, handler = aiosmtpd
    group = (Command.mail("a@example.org"), Command.rcpt("b@example.org"), Command(Verb.NOOP))
    with Client("127.0.0.1", port, local_hostname="client.test", timeout=30) as client:
        client.ehlo()
        with pytest.raises(LocalProtocolError, match="has not offered PIPELINING"):
            client.pipeline(*group)
        assert client.session.waiting == 0  # nothing was sent
        replies = client.pipeline(*group, check=False)
        assert [r.code for r in replies] == [250, 250, 250]

