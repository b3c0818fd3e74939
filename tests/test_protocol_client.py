"""ClientSession: predicting the server's state from the same table, strict mode,
reply matching (pipelining), and malformed replies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtplearn.protocol import (ClientSession, Command, LocalProtocolError, RemoteProtocolError,
                                ServerSession, Signal, State, Verb)

GREETING = b"220 mx.example ESMTP\r\n"
EHLO_REPLY = b"250-mx.example\r\n250-SIZE 1000\r\n250-PIPELINING\r\n250 8BITMIME\r\n"


def greeted(**options: object) -> ClientSession:
    client = ClientSession(**options)  # type: ignore[arg-type]
    [exchange] = client.receive_data(GREETING)
    assert exchange.trigger is None and exchange.after is State.GREETED
    return client


def test_a_whole_session_follows_the_replies() -> None:
    client = greeted()
    assert client.send(Command(Verb.EHLO, "client.example")) == b"EHLO client.example\r\n"
    [ex] = client.receive_data(EHLO_REPLY)
    assert (ex.before, ex.after) == (State.GREETED, State.READY)
    assert client.extensions == {"SIZE": "1000", "PIPELINING": "", "8BITMIME": ""}
    client.send(Command.mail("a@example.org"))
    client.send(Command.rcpt("b@example.org"))
    client.send(Command(Verb.DATA))
    exchanges = client.receive_data(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n")
    assert [e.after for e in exchanges] == [State.MAIL, State.RCPT, State.DATA]
    payload = client.send_message(b".hidden\nline")
    assert payload == b"..hidden\r\nline\r\n.\r\n"
    [done] = client.receive_data(b"250 2.0.0 queued\r\n")
    assert done.trigger is Signal.END_OF_DATA and done.sent == b".hidden\r\nline\r\n"
    assert done.after is State.READY


def test_refusals_leave_the_predicted_state() -> None:
    client = greeted()
    client.send(Command(Verb.EHLO, "c.example"))
    client.receive_data(EHLO_REPLY)
    client.send(Command.mail("a@example.org"))
    [ex] = client.receive_data(b"550 5.7.1 no\r\n")
    assert ex.after is State.READY and ex.reply.enhanced == "5.7.1"


def test_replies_split_anywhere_are_matched_in_order() -> None:
    client = greeted()
    client.send(Command(Verb.NOOP))
    client.send(Command(Verb.NOOP))
    data = b"250 2.0.0 one\r\n250-two\r\n250 two b\r\n"
    got = [e for i in range(len(data)) for e in client.receive_data(data[i:i + 1])]
    assert [e.reply.lines for e in got] == [("one",), ("two", "two b")]
    assert client.waiting == 0


def test_strict_mode_refuses_locally_and_names_what_is_allowed() -> None:
    client = greeted(strict=True)
    with pytest.raises(LocalProtocolError) as caught:
        client.send(Command.mail("a@example.org"))
    assert str(caught.value) == ("MAIL is not allowed before HELO/EHLO; allowed now: "
                                 "HELO, EHLO, RSET, QUIT, NOOP, VRFY, EXPN, HELP")
    assert caught.value.reply is not None and caught.value.reply.code == 503
    assert client.waiting == 0  # nothing was queued


def test_strict_mode_checks_against_the_pipelined_prediction() -> None:
    client = greeted(strict=True)
    client.send(Command(Verb.EHLO, "c.example"))
    client.send(Command.mail("a@example.org"))  # allowed: EHLO is predicted to succeed
    with pytest.raises(LocalProtocolError, match="DATA is not allowed before a recipient"):
        client.send(Command(Verb.DATA))


def test_lenient_mode_sends_anything_and_the_server_decides() -> None:
    client = greeted()
    assert client.send(Command.mail("a@example.org")) == b"MAIL FROM:<a@example.org>\r\n"
    [ex] = client.receive_data(b"503 5.5.1 no\r\n")
    assert ex.after is State.GREETED


def test_allowed_verbs_follow_the_state_and_the_offered_extensions() -> None:
    client = greeted()
    assert Verb.MAIL not in client.allowed_verbs
    client.send(Command(Verb.EHLO, "c.example"))
    assert Verb.MAIL in client.allowed_verbs  # predicted
    client.receive_data(EHLO_REPLY)
    assert Verb.STARTTLS not in client.allowed_verbs and Verb.AUTH not in client.allowed_verbs
    client.send(Command(Verb.EHLO, "c.example"))
    client.receive_data(b"250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
    assert Verb.STARTTLS in client.allowed_verbs and Verb.AUTH in client.allowed_verbs


def test_send_message_only_after_data() -> None:
    client = greeted()
    with pytest.raises(LocalProtocolError, match="send DATA first"):
        client.send_message(b"hello")


def test_send_line_types_raw_lines_and_message_text() -> None:
    client = greeted()
    for line in ("EHLO c.example", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA"):
        client.send_line(line)
    client.receive_data(b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
    assert client.state is State.DATA
    assert client.send_line("..dotted") == b"..dotted\r\n" and client.waiting == 0
    assert client.send_line(".") == b".\r\n" and client.next_trigger is Signal.END_OF_DATA
    [ex] = client.receive_data(b"250 queued\r\n")
    assert ex.sent == b".dotted\r\n"
    client.send_line("bogus words")
    assert client.next_trigger is None
    with pytest.raises(LocalProtocolError, match="leave out CR and LF"):
        client.send_line("NOOP\r\nQUIT")


@pytest.mark.parametrize("data", [b"hello\r\n", b"2x0 ok\r\n", b"250-a\r\n550 b\r\n"])
def test_malformed_replies_raise_remote_protocol_error(data: bytes) -> None:
    client = greeted()
    client.send(Command(Verb.NOOP))
    with pytest.raises(RemoteProtocolError):
        client.receive_data(data)


def test_a_reply_nobody_asked_for_is_an_error() -> None:
    client = greeted()
    with pytest.raises(RemoteProtocolError, match="nobody asked for"):
        client.receive_data(b"250 surprise\r\n")


def test_a_554_greeting_leaves_only_quit() -> None:
    """RFC 5321 §3.1: "A server taking this approach MUST still wait for the client to send
    a QUIT ... before closing the connection"; §4.1.4 / §3.1 the client should send QUIT."""
    client = ClientSession(strict=True)
    [ex] = client.receive_data(b"554 no SMTP service here\r\n")
    assert (ex.before, ex.after) == (State.CONNECTED, State.REFUSED)
    assert client.allowed_verbs == (Verb.QUIT,)
    with pytest.raises(LocalProtocolError, match="allowed now: QUIT"):
        client.send(Command(Verb.EHLO, "client.test"))
    client.send(Command(Verb.QUIT))
    [bye] = client.receive_data(b"221 bye\r\n")
    assert bye.after is State.CLOSED


def test_a_421_greeting_closes() -> None:
    client = ClientSession()
    [ex] = client.receive_data(b"421 busy\r\n")
    assert ex.after is State.CLOSED


def test_client_and_server_sessions_agree_on_every_state() -> None:
    """Joined by hand: the client's predicted state equals the server's after each reply."""
    server, client = ServerSession(hostname="mx.test"), ClientSession(strict=True)
    server.start()
    client.receive_data(server.data_to_send())
    commands = [Command(Verb.EHLO, "c.test"), Command.mail("a@example.org"), Command.rcpt("b@example.org"),
                Command.rcpt("bad"), Command(Verb.DATA)]
    for command in commands:
        if command.address == "bad":
            server.receive_data(b"RCPT TO:<bad>\r\n")
            client.send_line("RCPT TO:<bad>")
        else:
            server.receive_data(client.send(command))
        client.receive_data(server.data_to_send())
        assert client.state is server.state
    server.receive_data(client.send_message(b"hi"))
    client.receive_data(server.data_to_send())
    assert client.state is server.state is State.READY


def test_an_unknown_raw_line_is_not_taken_for_the_greeting() -> None:
    """A line with no known verb, typed after EHLO, leaves the predicted state where it was
    (it used to look like the greeting, so the client predicted GREETED until the reply came)."""
    from smtplearn.protocol import ClientSession, State, parse_reply
    client = ClientSession()
    client.receive_data(b"220 mx.example.org ready\r\n")
    client.send_line("EHLO client.example")
    client.receive_data(b"250 mx.example.org\r\n")
    client.send_line("FOO")
    assert client._predicted_state() is State.READY
    assert "MAIL" in {v.value for v in client.allowed_verbs}
    client.receive_data(parse_reply(b"500 5.5.2 Command not recognized: FOO\r\n").to_bytes())
    assert client.state is State.READY


# ---------------------------------------------------------------- positive replies a command cannot earn
def test_354_to_mail_is_an_error_and_the_state_does_not_move() -> None:
    """RFC 5321 §4.3.2: "MAIL ... S: 250"; only DATA has "I: 354". A 354 to MAIL is a broken server."""
    from smtplearn.protocol.client import UnexpectedReplyError
    client = greeted()
    client.send(Command(Verb.EHLO, "c.example"))
    client.receive_data(EHLO_REPLY)
    client.send(Command.mail("a@example.org"))
    with pytest.raises(UnexpectedReplyError, match="answered 354 to MAIL") as caught:
        client.receive_data(b"354 go ahead\r\n")
    assert caught.value.reply.code == 354 and client.state is State.READY and client.waiting == 0
    assert [e.reply.code for e in caught.value.exchanges] == [354]


def test_2xx_to_data_is_an_error_never_an_accepted_message() -> None:
    """RFC 5321 §4.3.2: "DATA ... I: 354 -> data -> S: 250": DATA itself has no 2xx reply."""
    from smtplearn.protocol.client import UnexpectedReplyError
    client = greeted()
    for command in (Command(Verb.EHLO, "c.example"), Command.mail("a@example.org"), Command.rcpt("b@example.org"),
                    Command(Verb.DATA)):
        client.send(command)
    with pytest.raises(UnexpectedReplyError, match="DATA's only positive reply is 354"):
        client.receive_data(EHLO_REPLY + b"250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n")
    assert client.state is State.RCPT


def test_intermediate_replies_where_the_table_expects_them() -> None:
    """RFC 4954 §4: AUTH may get 334 (a challenge) or 235 at once; RFC 5321 §4.3.2: DATA gets 354."""
    client = greeted()
    client.send(Command(Verb.EHLO, "c.example"))
    client.send(Command(Verb.AUTH, "PLAIN AGFAYg=="))
    [_, auth] = client.receive_data(EHLO_REPLY + b"235 2.7.0 ok\r\n")
    assert auth.reply.code == 235


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"220 ok\r\n", b"250-x\r\n", b"250 y\r\n", b"354 go\r\n", b"235 ok\r\n",
                                 b"334 \r\n", b"000 z\r\n", b"199 z\r\n", b"600 z\r\n", b"250 a\rb\r\n",
                                 b"550 no\r\n"]), max_size=12).map(b"".join),
       st.integers(min_value=1, max_value=7))
def test_any_server_bytes_give_exchanges_or_a_remote_error(data: bytes, size: int) -> None:
    """RFC 5321 §4.2 (codes 2-5 only) and §4.3.2 (which positive reply each command earns):
    whatever a server sends, the client gives exchanges or a RemoteProtocolError, never a crash."""
    client = ClientSession()
    for line in ("EHLO c.test", "MAIL FROM:<a@b.c>", "RCPT TO:<d@e.f>", "DATA"):
        client.send_line(line)
    try:
        for start in range(0, len(data), size):
            client.receive_data(data[start:start + size])
    except RemoteProtocolError:
        return
