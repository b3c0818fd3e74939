"""The message text after DATA: only <CRLF>.<CRLF> ends it, dots are unstuffed,
bare CR/LF follows the chosen policy, long lines are refused.

RFC 5321 §4.1.1.4 (end of data), §4.5.2 (transparency), §2.3.8 (lines end in
CRLF), §4.5.3.1.6 (text line 1000 octets). Every conversation is fed three
ways by ``converse`` (whole, byte by byte, with a pipelined command after).
"""

from __future__ import annotations

import pytest
from test_protocol_server import EHLO, GO_AHEAD, MAIL, RCPT, converse, feed, replies

from smtplearn.protocol import BareNewlinePolicy, Limits, MessageAccepted, State, dot_stuff, dot_unstuff
from smtplearn.protocol.data import DataReader, crlf_lines, text_problem

START = EHLO + MAIL + RCPT + b"DATA\r\n"


def accepted(events: list) -> list[bytes]:
    return [e.message.content for e in events if isinstance(e, MessageAccepted)]


# -- dot-stuffing (§4.5.2) ---------------------------------------------------------------
@pytest.mark.parametrize("body, wire", [
    (b"hello\r\n", b"hello\r\n.\r\n"),
    (b".hidden\r\n", b"..hidden\r\n.\r\n"),
    (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\r\n..two\r\n", b"a\r\n...two\r\n.\r\n"),
    (b"", b".\r\n"),
    (b"no final newline", b"no final newline\r\n.\r\n"),
])
def test_dot_stuff(body: bytes, wire: bytes) -> None:
    assert dot_stuff(body) == wire


@pytest.mark.parametrize("body", [b"hello\r\n", b".a\r\n..b\r\n.\r\n...\r\n", b"", b"x.\r\n.y\r\n"])
def test_dot_unstuff_undoes_dot_stuff(body: bytes) -> None:
    assert dot_unstuff(dot_stuff(body)[:-3]) == body


def test_crlf_lines_normalises_every_line_ending() -> None:
    assert crlf_lines(b"a\nb\rc\r\nd") == b"a\r\nb\r\nc\r\nd\r\n"


# -- end of data only at <CRLF>.<CRLF> ----------------------------------------------------------
def test_leading_dots_are_unstuffed_by_the_server() -> None:
    out, events, _ = converse(START + b"..one\r\n...two\r\n.three.\r\n.\r\n")
    assert accepted(events) == [b".one\r\n..two\r\nthree.\r\n"]


def test_empty_message_is_just_the_dot_line() -> None:
    _, events, _ = converse(START + b".\r\n")
    assert accepted(events) == [b""]


def test_a_lone_dot_on_the_first_line_ends_data_and_the_rest_is_commands() -> None:
    out, events, session = converse(START + b".\r\nNOOP\r\n")
    assert replies(events)[-2:] == [250, 250] and session.state is State.READY


@pytest.mark.parametrize("lookalike", [
    b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r\n.\r", b"\n.\r",
])
def test_bare_newline_lookalikes_never_end_data(lookalike: bytes) -> None:
    """SMTP smuggling (CVE-2023-51764): only CRLF . CRLF ends DATA; the look-alike
    stays in the message, and the "second message" after it is text, not commands."""
    smuggled = b"MAIL FROM:<eve@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nforged\r\n"
    data = START + b"Subject: real\r\n\r\nbody" + lookalike + smuggled + b".\r\n"
    # REJECT (the default): the whole message, smuggled part included, is refused once
    out, events, session = converse(data)
    assert replies(events)[-1] == 554 and events[-1].reply.name == "bare_newline"
    assert out.endswith(GO_AHEAD + b"554 5.6.0 Message refused: bare CR or LF in message, "
                        b"lines must end with CRLF\r\n")
    assert accepted(events) == [] and session.state is State.READY
    # KEEP (aiosmtpd 1.4.5's way): one message, the look-alike kept as is
    _, events, _ = converse(data, limits=Limits(bare_newline=BareNewlinePolicy.KEEP))
    # (a "." right after a real CRLF is unstuffed like any other, §4.5.2)
    assert accepted(events) == [dot_unstuff(b"Subject: real\r\n\r\nbody" + lookalike + smuggled)]
    assert replies(events).count(250) == 4  # EHLO MAIL RCPT and the one message: no smuggled MAIL


@pytest.mark.parametrize("text", [b"line\nline\r\n", b"line\rline\r\n", b"a\r\r\n", b"a\n\r\n"])
def test_bare_cr_or_lf_policy(text: bytes) -> None:
    _, events, _ = converse(START + text + b".\r\n")
    assert replies(events)[-1] == 554
    _, events, _ = converse(START + text + b".\r\n", limits=Limits(bare_newline=BareNewlinePolicy.KEEP))
    assert accepted(events) == [text]


def test_end_mark_split_over_chunks() -> None:
    for cut in range(1, 5):
        mark = b"\r\n.\r\n"
        out, events, _ = feed([START + b"text" + mark[:cut], mark[cut:]])
        assert accepted(events) == [b"text\r\n"], cut


def test_text_line_of_1000_octets_is_accepted_1001_refused() -> None:
    ok = b"x" * 998 + b"\r\n"
    _, events, _ = converse(START + ok + b".\r\n")
    assert accepted(events) == [ok]
    out, events, session = converse(START + b"x" * 999 + b"\r\n.\r\n")
    assert out.endswith(b"554 5.6.0 Message refused: a line is longer than 1000 octets\r\n")
    assert events[-1].reply.name == "data_line_too_long" and session.state is State.READY


def test_text_line_limit_counts_dot_stuffed_text_after_unstuffing() -> None:
    _, events, _ = converse(START + b"." + b"." + b"x" * 997 + b"\r\n.\r\n")
    assert accepted(events) == [b"." + b"x" * 997 + b"\r\n"]


def test_text_line_limit_is_configurable() -> None:
    _, events, _ = converse(START + b"x" * 1500 + b"\r\n.\r\n", limits=Limits(text_line=2000))
    assert replies(events)[-1] == 250


def test_text_problem_is_fast_on_long_lines() -> None:
    """1 MiB of 998-octet lines: one pass, not one restart per octet (was 5 s)."""
    import time
    body = (b"x" * 998 + b"\r\n") * 1050
    started = time.perf_counter()
    assert text_problem(body, Limits()) is None
    assert time.perf_counter() - started < 1.0


# -- DataReader -----------------------------------------------------------------------------
def test_data_reader_returns_content_and_rest() -> None:
    reader = DataReader(100)
    assert reader.feed(b"a\r\n") == (None, b"")
    assert reader.feed(b".\r\nNOOP\r\n") == (b"a\r\n", b"NOOP\r\n")


def test_data_reader_forgets_text_past_the_limit_but_still_finds_the_end() -> None:
    reader = DataReader(10)
    for _ in range(1000):
        assert reader.feed(b"0123456789\r\n") == (None, b"")
    assert len(reader._buffer) < 32  # it does not keep what it will refuse
    content, rest = reader.feed(b".\r\nQUIT\r\n")
    assert (content, rest, reader.too_big) == (b"", b"QUIT\r\n", True)
    assert reader.size == 12000


def test_message_of_exactly_the_size_limit_byte_by_byte() -> None:
    text = b"x" * 98 + b"\r\n"
    reader = DataReader(100)
    for byte in text + b".\r":
        assert reader.feed(bytes([byte])) == (None, b"")
    assert reader.feed(b"\n") == (text, b"") and not reader.too_big
