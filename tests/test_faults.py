"""Faults: clients that vanish, go silent, or keep failing; a server that stops or is full.

The promises (RFC 5321 §3.8, §4.5.3.2.7, and the rule that a message is the
server's responsibility once it has said 250, §4.1.1.4 and §6.1):
- a client that disconnects in the middle of DATA never yields a message,
  not even a partial one;
- a silent client is answered ``421 4.4.2`` and closed after ``idle_timeout``;
- ``stop()`` answers every open session with ``421 4.3.2`` and loses no
  message it already answered 250 for;
- unknown commands never close a session (§3.8); ``Limits.refused_recipients``
  RCPTs refused with 5yz in a row (default 20) get ``421 4.7.0`` and a close (§7.8);
- beyond ``max_connections`` a new client gets ``421 4.3.2`` at once.
All against a real ``Server`` on 127.0.0.1, with raw sockets where a polite
client would not misbehave.
"""

from __future__ import annotations

import threading
import time

import pytest

from smtplearn import Client, Server
from smtplearn.protocol import Handler, Limits, Verb, reply
from wire import RawPeer as Raw, wait_for


def open_transaction(address) -> Raw:
    raw = Raw(address)
    raw.reply()
    for line in (b"EHLO client.test", b"MAIL FROM:<a@example.org>", b"RCPT TO:<b@example.org>"):
        assert raw.ask(line)[:1] == b"2"
    assert raw.ask(b"DATA")[:3] == b"354"
    return raw


# -- a client vanishes in the middle of DATA --------------------------------------------------
@pytest.mark.parametrize("sent", [
    b"",
    b"Subject: half\r\n\r\nthe first half",
    b"Subject: half\r\n\r\nalmost done\r\n",
    b"Subject: half\r\n\r\nalmost done\r\n.",       # the end, but for its last CRLF
    b"Subject: half\r\n\r\nalmost done\r\n.\r",
    b"Subject: half\r\n\r\n" + b"x" * 998 + b"\r\n" * 200,
])
@pytest.mark.parametrize("how", ["close", "reset"])
def test_disconnect_in_data_yields_no_message(sent, how):
    with Server(idle_timeout=10) as srv:
        raw = open_transaction(srv.address)
        raw.send(sent)
        getattr(raw, how)()
        assert wait_for(lambda: srv.active_connections == 0)
        assert len(srv.mailbox) == 0
        turns = srv.transcripts[0].turns
        assert turns[-1].reply.code == 354  # nothing after DATA was answered


def test_complete_message_then_disconnect_is_kept():
    """The control: once <CRLF>.<CRLF> is in, the message is taken (and answered) first."""
    with Server(idle_timeout=10) as srv:
        raw = open_transaction(srv.address)
        raw.send(b"Subject: whole\r\n\r\ndone\r\n.\r\n")
        raw.close()
        assert wait_for(lambda: srv.active_connections == 0)
        assert len(srv.mailbox) == 1


# -- a client goes silent ---------------------------------------------------------------------
@pytest.mark.parametrize("where", ["greeted", "data"])
def test_silent_client_gets_421_after_the_idle_timeout(where):
    with Server(idle_timeout=0.5) as srv:
        if where == "data":
            raw = open_transaction(srv.address)
            raw.send(b"Subject: then silence\r\n")
        else:
            raw = Raw(srv.address)
            raw.reply()
        started = time.monotonic()
        reply = raw.reply()
        waited = time.monotonic() - started
        assert reply.startswith(b"421 4.4.2 smtplearn.test timeout")
        assert raw.closed()
        assert 0.3 < waited < 5
        assert wait_for(lambda: srv.active_connections == 0)
        assert len(srv.mailbox) == 0


# -- the server stops while sessions are open -----------------------------------------------------
def test_stop_answers_open_sessions_with_421():
    srv = Server(idle_timeout=30).start()
    idle = Raw(srv.address); idle.reply()
    ready = Raw(srv.address); ready.reply(); ready.ask(b"EHLO client.test")
    in_data = open_transaction(srv.address)
    in_data.send(b"Subject: never finished\r\n")
    assert wait_for(lambda: srv.active_connections == 3)
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 5
    for raw in (idle, ready, in_data):
        assert raw.reply().startswith(b"421 4.3.2 smtplearn.test shutting down")
        assert raw.closed()
        raw.close()
    assert len(srv.mailbox) == 0  # the unfinished message was never answered 250
    assert srv.active_connections == 0


def test_stop_loses_no_message_that_was_answered_250():
    srv = Server(idle_timeout=30).start()
    accepted: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(9)

    def sender(n: int) -> None:
        try:
            with Client(*srv.address, timeout=10) as client:
                client.ehlo()
                go.wait(10)
                for i in range(10_000):  # bounded; stop() ends it long before
                    reply = client.send_mail("a@example.org", "b@example.org",
                                             f"Subject: {n}-{i}\r\n\r\nbody {n} {i}\r\n")
                    if reply.code != 250:
                        return  # 421: the server is stopping
                    with lock:
                        accepted.append(reply.text.rsplit(" ", 1)[1])
        except (ConnectionError, OSError):
            return  # closed between two commands

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    go.wait(10)
    assert wait_for(lambda: len(accepted) >= 100)
    srv.stop()
    for t in threads:
        t.join(20)
        assert not t.is_alive()
    stored = {m.queue_id for m in srv.mailbox}
    assert set(accepted) <= stored, "a message answered 250 is missing after stop()"
    assert len(stored) == len(srv.mailbox)  # and none twice


# -- unknown commands, and the §7.8 close after refused recipients -------------------------------
def test_unknown_commands_never_close_the_connection():
    """RFC 5321 §3.8: "a server that closes connections in response to commands that are not
    understood is in violation of this specification." (A tiny tarpit step keeps this quick
    on a transport that sleeps ServerSession.reply_delay.)"""
    with Server(limits=Limits(tarpit_step=0.001, tarpit_max=0.01)) as srv:
        raw = Raw(srv.address)
        raw.reply()
        for _ in range(40):
            assert raw.ask(b"BOGUS")[:3] == b"500"
        assert raw.ask(b"EHLO client.test")[:3] == b"250"  # the session goes on
        raw.close()


@pytest.mark.parametrize("limit", [3, 20])
def test_refused_recipients_in_a_row_get_421(limit):
    """RFC 5321 §7.8: "if a server determines that a large number of RCPT TO commands are being
    sent, most or all with invalid addresses, as part of such an attack, it would be reasonable
    for the server to close the connection after generating an appropriate number of 5yz
    (normally 550) replies." """
    limits = Limits(refused_recipients=limit, tarpit_step=0.001)  # the 550s also feed the tarpit
    with Server(local_domains=["example.org"], limits=limits) as srv:
        raw = Raw(srv.address)
        raw.reply()
        assert raw.ask(b"EHLO client.test")[:3] == b"250"
        assert raw.ask(b"MAIL FROM:<a@example.net>")[:3] == b"250"
        for _ in range(limit - 1):
            assert raw.ask(b"RCPT TO:<x@elsewhere.test>")[:3] == b"550"
        assert raw.ask(b"RCPT TO:<bob@example.org>")[:3] == b"250"  # an accepted one starts again
        for _ in range(limit - 1):
            assert raw.ask(b"RCPT TO:<x@elsewhere.test>")[:3] == b"550"
        assert raw.ask(b"NOOP")[:3] == b"250"  # other commands do not reset the count
        assert raw.ask(b"RCPT TO:<x@elsewhere.test>")[:3] == b"550"  # the limit-th refusal...
        assert raw.reply().startswith(b"421 4.7.0 smtplearn.test too many refused recipients")
        assert raw.closed()
        raw.close()


def test_default_refused_recipient_count_is_20():
    assert Limits().refused_recipients == 20


def test_too_many_recipients_are_not_errors():
    """§4.5.3.1.10: 452 asks for the rest later; 150 recipients must not get the client cut off."""
    with Server() as srv, Client(*srv.address, timeout=10) as client:
        client.ehlo()
        client.mail("a@example.org")
        codes = [client.rcpt(f"r{n}@example.org").code for n in range(150)]
        assert codes == [250] * 100 + [452] * 50
        assert client.data("Subject: many\r\n\r\nhi\r\n").code == 250
        assert wait_for(lambda: len(srv.mailbox) == 1)
        assert len(srv.mailbox[0].rcpt_tos) == 100


# -- too many connections -------------------------------------------------------------------------
def test_max_connections_gets_421_beyond_it():
    with Server(max_connections=3, idle_timeout=30) as srv:
        clients = [Raw(srv.address) for _ in range(3)]
        for raw in clients:
            assert raw.reply().startswith(b"220")
        extra = Raw(srv.address)
        assert extra.reply().startswith(b"421 4.3.2 smtplearn.test too many connections")
        assert extra.closed()
        extra.close()
        clients[0].ask(b"QUIT")
        clients[0].close()
        assert wait_for(lambda: srv.active_connections == 2)
        again = Raw(srv.address)
        assert again.reply().startswith(b"220")  # a place came free
        for raw in (*clients[1:], again):
            raw.close()


def test_the_server_honours_the_sessions_reply_delay():
    """The tarpit over TCP: from the 3rd refusal in a row each reply waits longer
    (ServerSession.reply_delay), and the session still goes on (RFC 5321 §3.8)."""
    with Server(limits=Limits(tarpit_after=2, tarpit_step=0.3, tarpit_max=1.0)) as srv:
        raw = Raw(srv.address)
        raw.reply()
        waits = []
        for _ in range(4):
            started = time.monotonic()
            assert raw.ask(b"BOGUS")[:3] == b"500"
            waits.append(time.monotonic() - started)
        assert max(waits[:2]) < 0.25 and 0.25 <= waits[2] < 1.0 and waits[3] >= 0.55
        assert raw.ask(b"NOOP")[:3] == b"250"
        raw.close()


# -- a refused session: 554 greeting, then the server waits for QUIT ------------------------------
class _Refuse(Handler):
    def on_connect(self, session):  # type: ignore[no-untyped-def]
        return reply("session_refused", hostname=session.hostname, detail="this is a test")


def test_554_greeting_keeps_the_connection_until_quit():
    """RFC 5321 §3.1: "A server taking this approach MUST still wait for the client to send a
    QUIT (see Section 4.1.1.10) before closing the connection and SHOULD respond to any
    intervening commands with "503 bad sequence of commands"." """
    with Server(handler=_Refuse()) as srv:
        raw = Raw(srv.address)
        assert raw.reply().startswith(b"554 5.7.1 smtplearn.test no SMTP service here")
        assert raw.ask(b"EHLO client.test")[:3] == b"503"
        assert raw.ask(b"NOOP")[:3] == b"503"
        assert raw.ask(b"QUIT")[:3] == b"221"
        assert raw.closed()
        raw.close()


def test_our_client_says_quit_after_a_554_greeting():
    """The client's side of §3.1: it leaves a refused session with QUIT, not by hanging up."""
    with Server(handler=_Refuse()) as srv:
        with Client(*srv.address, timeout=10) as client:
            assert client.greeting.code == 554 and client.allowed_verbs == (Verb.QUIT,)
        assert wait_for(lambda: srv.transcripts and srv.transcripts[-1].turns[-1].reply.code == 221)
        assert [t.trigger for t in srv.transcripts[-1].turns] == [None, Verb.QUIT]
