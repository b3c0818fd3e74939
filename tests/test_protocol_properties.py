"""Property tests (hypothesis): whatever a client sends, the server answers or
raises a ProtocolError, never anything else, and its state is always one the
table knows; dot-stuffing round-trips any body; the parsers never crash.

``make test`` runs a moderate number of examples; ``make fuzz``
(SMTPLEARN_FUZZ=1, marker ``slow``) runs many more.
"""

from __future__ import annotations

import os
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtplearn.protocol import (TRANSITIONS, BareNewlinePolicy, Exchange, Limits, ProtocolError,
                                ReplyReader, ServerSession, State, dot_stuff, dot_unstuff, parse_command)
from smtplearn.protocol.addresses import parse_path
from smtplearn.protocol.data import DataReader
from smtplearn.protocol.limits import BelowRFCMinimumWarning

FUZZ = os.environ.get("SMTPLEARN_FUZZ", "") not in ("", "0")
MODERATE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LARGE = settings(max_examples=5_000 if FUZZ else 300, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def slow(test):  # type: ignore[no-untyped-def]
    """Long runs: ``make fuzz`` only, with room beyond the suite's 300 s timeout."""
    return pytest.mark.slow(pytest.mark.timeout(1800)(test))

# Byte streams that look enough like SMTP to get past the first checks.
WORDS = [b"EHLO c.test", b"HELO c.test", b"MAIL FROM:<a@b.test>", b"MAIL FROM:<>", b"RCPT TO:<x@y.test>",
         b"RCPT TO:<Postmaster>", b"DATA", b"RSET", b"NOOP", b"QUIT", b"VRFY x", b"EXPN x", b"HELP",
         b"STARTTLS", b"AUTH PLAIN", b".", b"..", b"", b"MAIL FROM:<a@b.test> SIZE=10 BODY=8BITMIME",
         b"MAIL FROM:<\xc3\xa9@b.test> SMTPUTF8", b"\x00", b"\xff",
         # non-ASCII digits, superscripts and fullwidth forms: str.isdigit() says yes, SMTP says no
         *(f"MAIL FROM:<a@b.test> SIZE={c}".encode() for c in "\u00b2\u0663\uff13\u2079\u0e53\U0001d7d9"),
         "EHLO \uff43.test".encode(), "EHLO [\u0663.1.1.1]".encode(), b"EHLO [300.1.1.1]",
         b"EHLO [IPv6:zzzz]", "RCPT TO:<x@[\uff11.2.3.4]>".encode(), b"SIZE=1 SIZE=2"]
SEPARATORS = [b"\r\n", b"\n", b"\r", b"\r\n.\r\n", b"\n.\n", b""]
LOOKALIKES = "\u00b2\u00b3\u2070\u2079\u2082\u0660\u0669\u06f3\u0966\uff10\uff19\uff21\uff1c\uff1e\uff20\uff1a\u00bd\u2160"
lookalikes = st.text(alphabet=LOOKALIKES + "0123456789=<>@:. ", max_size=10).map(lambda t: t.encode("utf-8"))
smtpish = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(SEPARATORS), st.binary(max_size=40),
                             lookalikes), max_size=40).map(b"".join)
any_bytes = st.one_of(st.binary(max_size=2000), smtpish)
chunkings = st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=20)
def _demo_limits(**values: object) -> Limits:
    with warnings.catch_warnings():  # tiny sizes are below the RFC minimums on purpose
        warnings.simplefilter("ignore", BelowRFCMinimumWarning)
        return Limits(**values)  # type: ignore[arg-type]


small_limits = st.builds(_demo_limits, recipients=st.integers(1, 5), message_size=st.integers(1, 300),
                         refused_recipients=st.integers(1, 30), tarpit_after=st.integers(1, 5),
                         auth_failures_close=st.integers(1, 5), bare_lf_commands=st.booleans(),
                         bare_newline=st.sampled_from(list(BareNewlinePolicy)))


def _cut(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, i = [], 0
    while i < len(data):
        size = sizes[len(chunks) % len(sizes)]
        chunks.append(data[i:i + size])
        i += size
    return chunks


def check_server(data: bytes, sizes: list[int], limits: Limits) -> None:
    session = ServerSession(hostname="mx.test", limits=limits)
    session.start()
    out = bytearray(session.data_to_send())
    for chunk in _cut(data, sizes):
        try:
            events = session.receive_data(chunk)
        except ProtocolError:
            continue
        assert session.state in TRANSITIONS
        for event in events:
            if isinstance(event, Exchange):
                assert event.reply.name is not None, event.reply
                assert event.after in TRANSITIONS
        out += session.data_to_send()
    replies = ReplyReader(max_line=10**6).feed(bytes(out))  # everything it wrote is valid SMTP
    assert replies and replies[0].code == 220
    session.close()
    assert session.state is State.CLOSED


@MODERATE
@given(any_bytes, chunkings, small_limits)
def test_any_byte_stream_gives_replies_or_protocol_errors(data: bytes, sizes: list[int], limits: Limits) -> None:
    check_server(data, sizes, limits)


@slow
@LARGE
@given(any_bytes, chunkings, small_limits)
def test_any_byte_stream_many_examples(data: bytes, sizes: list[int], limits: Limits) -> None:
    check_server(data, sizes, limits)


@MODERATE
@given(any_bytes, chunkings)
def test_cutting_does_not_change_the_replies(data: bytes, sizes: list[int]) -> None:
    """Whole input and any chunking give the same bytes back (when no error is raised)."""
    def run(chunks: list[bytes]) -> bytes:
        session = ServerSession(hostname="mx.test", queue_ids=iter(f"Q{n}" for n in range(10**6)))
        session.start()
        for chunk in chunks:
            session.receive_data(chunk)
        return session.data_to_send()
    assert run(_cut(data, sizes)) == run([data])


# Bodies made of CRLF-terminated lines (what SMTP can carry), with many leading dots.
line = st.lists(st.sampled_from([b".", b"..", b"a", b" ", b"\xc3\xa9", b"x" * 10]), max_size=8).map(b"".join)
bodies = st.lists(line, max_size=30).map(lambda lines: b"".join(l + b"\r\n" for l in lines))


@MODERATE
@given(bodies)
def test_dot_stuff_then_unstuff_returns_the_body(body: bytes) -> None:
    wire = dot_stuff(body)
    assert wire.endswith(b".\r\n")
    assert dot_unstuff(wire[:-3]) == body


@MODERATE
@given(bodies, chunkings)
def test_data_reader_returns_the_body_however_it_is_cut(body: bytes, sizes: list[int]) -> None:
    reader = DataReader(10**6)
    results = [reader.feed(chunk) for chunk in _cut(dot_stuff(body) + b"NOOP\r\n", sizes)]
    done = [r for r in results if r[0] is not None]
    assert done and done[0][0] == body


@slow
@LARGE
@given(bodies)
def test_dot_stuff_round_trip_many_examples(body: bytes) -> None:
    assert dot_unstuff(dot_stuff(body)[:-3]) == body


@MODERATE
@given(st.text(max_size=600))
def test_the_command_parser_never_crashes(text: str) -> None:
    try:
        parse_command(text)
    except ProtocolError as err:
        assert err.reply is not None and err.reply.code in (500, 501)


@MODERATE
@given(st.text(alphabet=st.sampled_from('<>@."\\,:[]- aé=1x'), max_size=300))
def test_the_path_parser_never_crashes_or_hangs(text: str) -> None:
    for prefix in ("MAIL FROM:", "RCPT TO:"):
        try:
            parse_command(prefix + text)
        except ProtocolError as err:
            assert err.reply is not None
    try:
        parse_path(text, allow_null=True, allow_postmaster=True)
    except ProtocolError:
        pass


@slow
@LARGE
@given(st.text(max_size=600))
def test_the_command_parser_many_examples(text: str) -> None:
    try:
        parse_command(text)
    except ProtocolError as err:
        assert err.reply is not None


@MODERATE
@given(st.binary(max_size=500), chunkings)
def test_the_reply_reader_gives_replies_or_remote_errors(data: bytes, sizes: list[int]) -> None:
    reader = ReplyReader()
    try:
        for chunk in _cut(data, sizes):
            reader.feed(chunk)
    except ProtocolError:
        pass
