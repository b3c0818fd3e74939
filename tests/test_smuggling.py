"""SMTP smuggling: no end-of-data look-alike may end DATA early or make a second message.

The 2023 research (Timo Longin, SEC Consult; CVE-2023-51764 Postfix,
CVE-2023-51765 sendmail, CVE-2023-51766 Exim) and its follow-ups showed
servers that took ``<LF>.<LF>`` and friends for the end of data. An
attacker then hides "MAIL FROM... RCPT TO... DATA..." after the look-alike,
and a server that stops there sends a second, forged message. Here only
``<CR><LF>.<CR><LF>`` ends DATA (RFC 5321 §4.1.1.4), under both
``BareNewlinePolicy`` values: with REJECT the message holding a bare CR or
LF is refused whole (554 5.6.0); with KEEP it is accepted as one message
with the look-alike as text.

Each case runs through ``ServerSession`` (whole, and byte by byte) and
through the real TCP ``Server`` with a raw socket.
"""

from __future__ import annotations

import socket
import time

import pytest

from smtplearn import Server
from smtplearn.protocol import (BareNewlinePolicy, Exchange, Limits, MessageAccepted, ServerSession,
                                Signal, State)

#: name -> the bytes a smuggler puts where a real end-of-data would be
LOOK_ALIKES = {
    "LF.LF": b"\n.\n",
    "LF.CRLF": b"\n.\r\n",
    "CR.CR": b"\r.\r",
    "CR.LF": b"\r.\n",
    "CR.CRLF": b"\r.\r\n",
    "LF.CR": b"\n.\r",
    "CRLF.LF": b"\r\n.\n",
    "CRLF.CR": b"\r\n.\r",
    "CRCRLF.CRCRLF": b"\r\r\n.\r\r\n",
    "CRLF.CRCRLF": b"\r\n.\r\r\n",
    "CRLF-NUL.CRLF": b"\r\n\x00.\r\n",
    "CRLF.NUL-CRLF": b"\r\n.\x00\r\n",
    "CRLF-space.CRLF": b"\r\n .\r\n",
    "CRLF.space-CRLF": b"\r\n. \r\n",
    "LF-LF.LF": b"\n\n.\n",
}

#: the second message a smuggler hopes the server will see
SMUGGLED = (b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
            b"From: ceo@bank.example\r\nSubject: smuggled\r\n\r\nPay now.\r\n")
HEAD = b"From: attacker@evil.example\r\nSubject: innocent\r\n\r\nhello"
END = b"\r\n.\r\n"
SETUP = b"EHLO evil.example\r\nMAIL FROM:<attacker@evil.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"


def has_bare_newline(data: bytes) -> bool:
    crlf = data.count(b"\r\n")
    return data.count(b"\n") != crlf or data.count(b"\r") != crlf


def expected_code(look_alike: bytes, policy: BareNewlinePolicy) -> int:
    if policy is BareNewlinePolicy.REJECT and has_bare_newline(look_alike):
        return 554
    return 250


CASES = [pytest.param(name, data, smuggle, policy, id=f"{name}-{'smuggle' if smuggle else 'plain'}-{policy.value}")
         for name, data in LOOK_ALIKES.items() for smuggle in (False, True)
         for policy in BareNewlinePolicy]


def body(look_alike: bytes, smuggle: bool) -> bytes:
    return HEAD + look_alike + (SMUGGLED if smuggle else b"more text\r\n")


def expected_content(look_alike: bytes, smuggle: bool) -> bytes:
    """What the one message holds: everything before the real end, unstuffed (§4.5.2)."""
    text = body(look_alike, smuggle) + b"\r\n"
    return (b"\r\n" + text).replace(b"\r\n.", b"\r\n")[2:]


def run_session(chunks: list[bytes], policy: BareNewlinePolicy) -> tuple[list, ServerSession]:
    session = ServerSession(limits=Limits(bare_newline=policy))
    session.start()
    events: list = []
    for chunk in chunks:
        events += session.receive_data(chunk)
    return events, session


@pytest.mark.parametrize("name, look_alike, smuggle, policy", CASES)
@pytest.mark.parametrize("cut", ["whole", "bytes"])
def test_session_sees_one_message(name, look_alike, smuggle, policy, cut):
    stream = SETUP + body(look_alike, smuggle) + END + b"NOOP\r\n"
    chunks = [stream] if cut == "whole" else [stream[i:i + 1] for i in range(len(stream))]
    events, session = run_session(chunks, policy)
    ends = [e for e in events if isinstance(e, Exchange) and e.trigger is Signal.END_OF_DATA]
    accepted = [e for e in events if isinstance(e, MessageAccepted)]
    mails = [e for e in events if isinstance(e, Exchange) and e.command and e.command.verb.value == "MAIL"]
    assert len(ends) == 1, "DATA must end exactly once, at the real <CRLF>.<CRLF>"
    assert len(mails) == 1, "the smuggled MAIL FROM must never be read as a command"
    assert ends[0].reply.code == expected_code(look_alike, policy)
    if ends[0].reply.code == 250:
        assert len(accepted) == 1
        assert accepted[0].message.content == expected_content(look_alike, smuggle)
        assert accepted[0].message.mail_from == "attacker@evil.example"
    else:
        assert accepted == [] and ends[0].reply.name == "bare_newline"
    last = [e for e in events if isinstance(e, Exchange)][-1]
    assert (last.command.verb.value, last.reply.code, session.state) == ("NOOP", 250, State.READY)


@pytest.mark.parametrize("name, look_alike", list(LOOK_ALIKES.items()))
def test_look_alike_right_after_354_is_text_too(name, look_alike):
    """At the very start of the text the CRLF before the dot is the DATA line's own."""
    stream = SETUP + look_alike + SMUGGLED + END
    events, _ = run_session([stream], BareNewlinePolicy.KEEP)
    ends = [e for e in events if isinstance(e, Exchange) and e.trigger is Signal.END_OF_DATA]
    assert len(ends) == 1 and sum(isinstance(e, MessageAccepted) for e in events) <= 1


def test_the_real_end_then_a_pipelined_transaction_is_two_messages():
    """The control: <CRLF>.<CRLF> does end DATA, so a real pipelined second message works."""
    stream = SETUP + HEAD + END + SMUGGLED + b".\r\n"
    events, _ = run_session([stream], BareNewlinePolicy.REJECT)
    assert sum(isinstance(e, MessageAccepted) for e in events) == 2


# -- through the real TCP server -----------------------------------------------------------
@pytest.fixture(scope="module", params=list(BareNewlinePolicy), ids=lambda p: p.value)
def server(request):
    with Server(limits=Limits(bare_newline=request.param), idle_timeout=20) as srv:
        yield srv


def read_replies(sock: socket.socket, count: int, timeout: float = 10.0) -> list[bytes]:
    """``count`` whole replies (multi-line ones joined)."""
    data, replies = b"", []
    deadline = time.monotonic() + timeout
    while len(replies) < count:
        assert time.monotonic() < deadline, f"only {replies} within {timeout} s"
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        replies, current = [], []
        for line in data.split(b"\r\n")[:-1]:
            current.append(line)
            if line[3:4] != b"-":
                replies.append(b"\r\n".join(current))
                current = []
    return replies


@pytest.mark.parametrize("name, look_alike", list(LOOK_ALIKES.items()))
@pytest.mark.parametrize("smuggle", [False, True], ids=["plain", "smuggle"])
def test_tcp_server_sees_one_message(server, name, look_alike, smuggle):
    policy = server.limits.bare_newline
    before = len(server.mailbox)
    with socket.create_connection(server.address, timeout=10) as sock:
        # everything in one write, the way the smuggling research sent it
        sock.sendall(SETUP + body(look_alike, smuggle) + END + b"QUIT\r\n")
        replies = read_replies(sock, 7)
        assert sock.recv(100) == b""  # closed after 221: nothing more was answered
    codes = [int(r[:3]) for r in replies]
    assert codes == [220, 250, 250, 250, 354, expected_code(look_alike, policy), 221], replies
    added = list(server.mailbox)[before:]  # this module's server is used one test at a time
    if codes[5] == 250:
        assert len(added) == 1 and added[0].content == expected_content(look_alike, smuggle)
    else:
        assert added == []
