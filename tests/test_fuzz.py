"""Property tests (hypothesis) on the parser and both state machines.

The invariant, for any bytes at all: a reply or a ProtocolError, never
another exception, and the state is always one the transition table allows
(the state after each exchange is ``state_after(before, trigger, code)``).
Also: the server's answers do not depend on how the bytes were cut, and a
client following the server through the same table always agrees with it.

Marked ``slow``: ``make fuzz`` runs them with SMTPLEARN_FUZZ=1 and many more
examples (20,000 per property instead of 300).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtplearn.protocol import (ClientSession, Exchange, Limits, ProtocolError, RemoteProtocolError,
                                ReplyReader, ServerSession, State, TRANSITIONS, parse_command,
                                state_after)
from smtplearn.protocol.auth import Credentials, plain_response

pytestmark = pytest.mark.slow

EXAMPLES = 20_000 if os.environ.get("SMTPLEARN_FUZZ") else 300
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: pieces a hostile client strings together: real commands, near misses, and raw bytes
TOKENS = [
    b"EHLO c.test\r\n", b"HELO c.test\r\n", b"MAIL FROM:<a@example.org>\r\n",
    b"MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME SMTPUTF8\r\n", b"RCPT TO:<b@example.org>\r\n",
    b"RCPT TO:<Postmaster>\r\n", b"DATA\r\n", b"RSET\r\n", b"NOOP\r\n", b"QUIT\r\n", b"VRFY a\r\n",
    b"EXPN a\r\n", b"HELP\r\n", b"STARTTLS\r\n", b"AUTH PLAIN\r\n", b"AUTH LOGIN\r\n",
    b"AUTH PLAIN " + plain_response("alice", "secret").encode() + b"\r\n",
    plain_response("alice", "secret").encode() + b"\r\n", b"YWxpY2U=\r\n", b"*\r\n", b"=\r\n",
    b".\r\n", b"\r\n.\r\n", b"\n.\n", b"\r.\r", b"..\r\n", b"\r\n", b"\n", b"\r", b"\x00", b".",
    b"MAIL FROM:", b"<", b">", b"@", b":", b" ", b"\xff", "é".encode(), b"A" * 600, b"x" * 1200,
    b"mail from:<<a@b>>\r\n", b"RCPT TO:<" + b"a" * 65 + b"@b.c>\r\n", b"SIZE=99999999999",
    b"EHLO c.test\n", b"SIZE=", b"BODY=", b"SIZE=1 SIZE=2",
]

#: characters str methods take for digits or ASCII but SMTP does not (issue 10 item 12:
#: "SIZE=\u00b2" crashed the server): non-ASCII digits (Arabic-Indic, Devanagari, Thai,
#: fullwidth, mathematical), superscripts and subscripts, fullwidth letters and symbols,
#: fractions, Roman numerals and other look-alikes of "<", ">", "@", ":" and "."
LOOKALIKES = ("\u00b2\u00b3\u00b9\u2070\u2074\u2079\u2080\u2089\u0660\u0663\u0669\u06f3\u0966\u096f"
              "\u0e53\uff10\uff13\uff19\U0001d7d9\u00bd\u2153\u2160\u216b\u2460\u2469"
              "\uff21\uff3a\uff41\uff5a\uff1c\uff1e\uff20\uff1a\uff0e\uff1d\u3002\u2024\ufe52"
              "\u0130\u0131\u017f\u212a\u00df\u00e9\u00a0\u2028\u0085")
lookalike_text = st.text(alphabet=LOOKALIKES + "0123456789SIZE=<>@:. ", max_size=12).map(
    lambda text: text.encode("utf-8"))
TOKENS += [f"MAIL FROM:<a@example.org> SIZE={c}\r\n".encode() for c in LOOKALIKES[:20]]
TOKENS += [f"EHLO {c}.example\r\n".encode() for c in LOOKALIKES[20:]]
TOKENS += ["EHLO [\u0663.1.1.1]\r\n".encode(), b"EHLO [300.1.1.1]\r\n", b"EHLO [IPv6:zzzz]\r\n"]

streams = st.lists(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=40), lookalike_text),
                   max_size=40).map(b"".join)
cuts = st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=40)


def new_server() -> ServerSession:
    session = ServerSession(tls_available=True, authenticator=Credentials({"alice": "secret"}),
                            auth_without_tls=True,
                            limits=Limits(refused_recipients=8, auth_failures_close=4, tarpit_after=2))
    session.start()
    session.data_to_send()  # the greeting
    return session


def pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    out, i, n = [], 0, 0
    while i < len(data):
        size = sizes[n % len(sizes)]
        out.append(data[i:i + size])
        i, n = i + size, n + 1
    return out


def feed_server(session: ServerSession, chunks: list[bytes], finish_tls: bool = True) -> tuple[list, bytes]:
    """Feed every chunk; the 'transport' finishes TLS at once whenever the server asks
    (so bytes after STARTTLS in the same chunk are dropped, those in later chunks are not)."""
    events, out = [], bytearray()
    for chunk in chunks:
        events += session.receive_data(chunk)
        out += session.data_to_send()
        if session.tls_pending and finish_tls:
            session.tls_started()
        assert session.state in TRANSITIONS
    return events, bytes(out)


def check_exchanges(events: list) -> None:
    for event in events:
        if isinstance(event, Exchange) and event.trigger is not None:
            assert event.after == state_after(event.before, event.trigger, event.reply.code)


@FUZZ
@given(st.binary(max_size=600) | streams)
def test_parse_command_gives_a_command_or_a_protocol_error(line):
    try:
        command = parse_command(line)
    except RemoteProtocolError as err:
        assert err.reply is not None and err.reply.code >= 500
    else:
        assert command.verb is not None


@FUZZ
@given(streams, cuts)
def test_server_session_never_crashes_and_stays_in_the_table(data, sizes):
    session = new_server()
    events, out = feed_server(session, pieces(data, sizes))
    check_exchanges(events)
    replies = ReplyReader().feed(out)  # everything written is well-formed replies
    assert len(replies) == sum(isinstance(e, Exchange) for e in events)
    events += session.connection_lost()
    assert session.state is State.CLOSED


@FUZZ
@given(streams, cuts)
def test_server_answers_do_not_depend_on_how_bytes_are_cut(data, sizes):
    # no TLS handshake here: with one, where the writes were cut decides what
    # was sent before it (and dropped) and what after it
    whole = new_server()
    _, whole_out = feed_server(whole, [data], finish_tls=False)
    cut = new_server()
    _, cut_out = feed_server(cut, pieces(data, sizes), finish_tls=False)
    assert cut_out == whole_out and cut.state is whole.state


@FUZZ
@given(st.binary(max_size=400) | st.lists(st.sampled_from([
    b"220 ok\r\n", b"250-x\r\n", b"250 y\r\n", b"354 go\r\n", b"421 bye\r\n", b"334 \r\n",
    b"235 2.7.0 ok\r\n", b"550 5.1.1 no\r\n", b"\r\n", b"2", b"99 x\r\n", b"250-", b"\xff\r\n",
]), max_size=20).map(b"".join))
def test_client_session_never_crashes_on_any_server_bytes(data):
    client = ClientSession()
    for verb_line in ("EHLO c.test", "MAIL FROM:<a@b.c>", "DATA"):
        client.send_line(verb_line)
    try:
        exchanges = client.receive_data(data)
    except ProtocolError:
        return
    for exchange in exchanges:
        assert exchange.after in TRANSITIONS


LINES = ["EHLO c.test", "HELO c.test", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>",
         "RCPT TO:<b@elsewhere.test>", "DATA", "RSET", "NOOP", "QUIT", "STARTTLS", "AUTH PLAIN",
         "AUTH LOGIN", plain_response("alice", "secret"), plain_response("alice", "wrong"),
         "YWxpY2U=", "c2VjcmV0", "*", ".", "..", "Subject: x", "", "BOGUS", "MAIL FROM:bad",
         "VRFY alice", "A" * 600, "é"]


@FUZZ
@given(st.lists(st.sampled_from(LINES), max_size=60))
def test_client_and_server_agree_on_the_state(lines):
    server = new_server()
    client = ClientSession()
    client.receive_data(b"220 mx ESMTP\r\n")
    for line in lines:
        if server.state is State.CLOSED:
            break
        payload = client.send_line(line)
        server.receive_data(payload)
        if server.tls_pending:
            server.tls_started()
        client.receive_data(server.data_to_send())
        if client.waiting == 0:
            assert client.state is server.state, f"after {line!r}"
