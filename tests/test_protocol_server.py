"""ServerSession, bytes in and bytes out: every command and every refusal code.

Each conversation is fed three ways (h11's rule for readers): the whole input
in one write, byte by byte, and with a pipelined NOOP after it. All three must
give the same replies and the same states; the third must also answer the
trailing command, in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timezone

import pytest

from smtplearn.protocol import (CATALOGUE, TRANSITIONS, Closed, Exchange, Handler, Limits,
                                LocalDelivery, MessageAccepted, ServerSession, Signal, State, Verb,
                                explain)

FIXED_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
GREETING = b"220 mx.test ESMTP smtplearn ready\r\n"
NOOP_OK = b"250 2.0.0 OK\r\n"
EHLO = b"EHLO client.test\r\n"
EHLO_REPLY = (b"250-mx.test greets client.test\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n"
              b"250-PIPELINING\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n")
HELO_REPLY = b"250 mx.test greets client.test\r\n"
MAIL = b"MAIL FROM:<alice@example.org>\r\n"
MAIL_OK = b"250 2.1.0 Sender <alice@example.org> OK\r\n"
RCPT = b"RCPT TO:<bob@example.org>\r\n"
RCPT_OK = b"250 2.1.5 Recipient <bob@example.org> OK\r\n"
GO_AHEAD = b"354 End data with <CR><LF>.<CR><LF>\r\n"
QUEUED = b"250 2.0.0 OK: queued as Q1\r\n"


def new_session(**options: object) -> ServerSession:
    options.setdefault("hostname", "mx.test")
    queue_ids = (f"Q{n}" for n in itertools.count(1))
    session = ServerSession(clock=lambda: FIXED_TIME, queue_ids=queue_ids, **options)  # type: ignore[arg-type]
    session.start()
    assert session.data_to_send() == GREETING
    return session


def feed(chunks: Iterable[bytes], **options: object) -> tuple[bytes, list, ServerSession]:
    session = new_session(**options)
    out, events = bytearray(), []
    for chunk in chunks:
        events += session.receive_data(chunk)
        out += session.data_to_send()
    return bytes(out), events, session


def summary(events: list) -> list[tuple]:
    """What must not depend on how the bytes were cut: replies, triggers, states, messages."""
    rows: list[tuple] = []
    for e in events:
        if isinstance(e, Exchange):
            rows.append((e.trigger, e.reply.code, e.reply.lines, e.before, e.after))
        elif isinstance(e, MessageAccepted):
            rows.append(("accepted", e.message.data, e.message.rcpt_tos))
        else:
            rows.append(("closed", e.reason))
    return rows


def converse(data: bytes, **options: object) -> tuple[bytes, list, ServerSession]:
    """Feed ``data`` three ways; check they agree; return the whole-input result."""
    out, events, session = feed([data], **options)
    out_bytes, events_bytes, session_bytes = feed([data[i:i + 1] for i in range(len(data))], **options)
    assert out_bytes == out, "byte-by-byte input gave other replies than whole input"
    assert summary(events_bytes) == summary(events)
    assert session_bytes.state is session.state
    out_more, events_more, session_more = feed([data + b"NOOP\r\n"], **options)
    if session.state is State.CLOSED:
        assert out_more == out  # nothing is read after the session closed
    elif session.state is not State.DATA:  # in DATA, "NOOP" would be message text
        assert out_more == out + NOOP_OK, "a pipelined command after the input was not answered in order"
        assert summary(events_more)[:-1] == summary(events)
        assert session_more.state is session.state
    for e in events:  # every reply the server sends is named in the catalogue and explained
        if isinstance(e, Exchange):
            assert e.reply.name in CATALOGUE, e.reply
            assert e.reply.explanation == explain(e.reply)
            assert CATALOGUE[e.reply.name].explanation in e.reply.explanation
    return out, events, session


def replies(events: list) -> list[int]:
    return [e.reply.code for e in events if isinstance(e, Exchange)]


def names(events: list) -> list[str | None]:
    return [e.reply.name for e in events if isinstance(e, Exchange)]


# -- the happy path ------------------------------------------------------------------
def test_greeting_then_whole_transaction() -> None:
    data = EHLO + MAIL + RCPT + b"DATA\r\n" + b"Subject: hi\r\n\r\nhello\r\n.\r\n" + b"QUIT\r\n"
    out, events, session = converse(data)
    assert out == (EHLO_REPLY + MAIL_OK + RCPT_OK + GO_AHEAD + QUEUED
                   + b"221 2.0.0 mx.test closing connection\r\n")
    accepted = [e.message for e in events if isinstance(e, MessageAccepted)]
    assert len(accepted) == 1
    message = accepted[0]
    assert (message.mail_from, message.rcpt_tos) == ("alice@example.org", ("bob@example.org",))
    assert message.content == b"Subject: hi\r\n\r\nhello\r\n"
    assert session.state is State.CLOSED and isinstance(events[-1], Closed)
    states = [(e.before, e.after) for e in events if isinstance(e, Exchange)]
    assert states == [(State.GREETED, State.READY), (State.READY, State.MAIL), (State.MAIL, State.RCPT),
                      (State.RCPT, State.DATA), (State.DATA, State.READY), (State.READY, State.CLOSED)]


def test_message_accepted_comes_before_its_250() -> None:
    _, events, _ = converse(EHLO + MAIL + RCPT + b"DATA\r\nhi\r\n.\r\n")
    kinds = [type(e).__name__ for e in events]
    assert kinds[-2:] == ["MessageAccepted", "Exchange"]


def test_received_trace_header_rfc5321_4_4() -> None:
    _, events, _ = converse(EHLO + MAIL + RCPT + b"DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
                            peer="192.0.2.7")
    message = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert message.received_header == (
        b"Received: from client.test ([192.0.2.7])\r\n\tby mx.test (smtplearn) with ESMTP id Q1\r\n"
        b"\tfor <bob@example.org>;\r\n\tTue, 02 Jan 2024 03:04:05 +0000\r\n")
    assert message.data == message.received_header + message.content
    assert message.email["Received"].startswith("from client.test")
    assert message.email["Subject"] == "x"


def test_helo_is_plain_smtp_in_the_trace_header() -> None:
    _, events, _ = converse(b"HELO client.test\r\n" + MAIL + RCPT + b"DATA\r\nx\r\n.\r\n")
    message = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert b" with SMTP id " in message.received_header


def test_helo_reply_lists_no_extensions() -> None:
    out, _, session = converse(b"HELO client.test\r\n")
    assert out == HELO_REPLY and session.state is State.READY and not session.esmtp


def test_ehlo_advertises_what_is_implemented() -> None:
    out, events, _ = converse(EHLO)
    assert out == EHLO_REPLY
    lines = events[0].reply.lines[1:]
    for keyword in ("SIZE", "8BITMIME", "PIPELINING", "SMTPUTF8", "ENHANCEDSTATUSCODES", "HELP"):
        assert any(line.split(" ")[0] == keyword for line in lines), keyword
    assert not any(line.startswith(("STARTTLS", "AUTH")) for line in lines)


def test_size_advertised_follows_the_limit() -> None:
    out, _, _ = converse(EHLO, limits=Limits(message_size=5000))
    assert b"250-SIZE 5000\r\n" in out


@pytest.mark.parametrize("line", [b"ehlo client.test\r\n", b"EhLo client.test\r\n"])
def test_verbs_are_case_insensitive(line: bytes) -> None:
    out, _, _ = converse(line)
    assert out == EHLO_REPLY


def test_lowercase_mail_and_rcpt_keywords() -> None:
    out, _, _ = converse(EHLO + b"mail from:<alice@example.org>\r\nrcpt to:<bob@example.org>\r\n")
    assert out == EHLO_REPLY + MAIL_OK + RCPT_OK


def test_null_reverse_path() -> None:
    out, events, _ = converse(EHLO + b"MAIL FROM:<>\r\n" + RCPT + b"DATA\r\nbounce\r\n.\r\n")
    assert out.startswith(EHLO_REPLY + b"250 2.1.0 Sender <> OK\r\n")
    message = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert message.mail_from == ""


def test_null_path_is_not_a_recipient() -> None:
    out, _, session = converse(EHLO + MAIL + b"RCPT TO:<>\r\n")
    assert out.endswith(b"\r\n") and out.split(b"\r\n")[-2].startswith(b"501 5.1.3")
    assert session.state is State.MAIL


def test_rcpt_postmaster_without_domain_rfc5321_4_1_1_3() -> None:
    out, _, session = converse(EHLO + MAIL + b"RCPT TO:<Postmaster>\r\n" + b"RCPT TO:<postmaster>\r\n")
    assert out == EHLO_REPLY + MAIL_OK + b"250 2.1.5 Recipient <Postmaster> OK\r\n" * 2
    assert session.envelope.rcpt_tos == ["Postmaster", "Postmaster"]


def test_postmaster_is_accepted_even_with_local_domains() -> None:
    out, _, _ = converse(EHLO + MAIL + b"RCPT TO:<Postmaster>\r\n",
                         handler=LocalDelivery(["example.org"]))
    assert out.endswith(b"250 2.1.5 Recipient <Postmaster> OK\r\n")


def test_esmtp_parameters_size_body_smtputf8() -> None:
    line = "MAIL FROM:<jörg@exämple.org> SIZE=1000 BODY=8BITMIME SMTPUTF8\r\n".encode()
    out, _, session = converse(EHLO + line + "RCPT TO:<josé@exämple.org>\r\n".encode())
    assert out == (EHLO_REPLY + "250 2.1.0 Sender <jörg@exämple.org> OK\r\n".encode()
                   + "250 2.1.5 Recipient <josé@exämple.org> OK\r\n".encode())
    assert session.envelope.mail_params == (("SIZE", "1000"), ("BODY", "8BITMIME"), ("SMTPUTF8", None))
    assert session.envelope.smtputf8


def test_smtputf8_message_is_marked_utf8smtp() -> None:
    """RFC 6531 §4.3 registers the WITH protocol type "UTF8SMTP" for "ESMTP with SMTPUTF8"."""
    _, events, _ = converse(EHLO + "MAIL FROM:<jörg@exämple.org> SMTPUTF8\r\n".encode() + RCPT
                            + "DATA\r\nSubject: grüße\r\n\r\nä\r\n.\r\n".encode())
    message = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert b"with UTF8SMTP id" in message.received_header
    assert message.content == "Subject: grüße\r\n\r\nä\r\n".encode()


def test_body_7bit_accepted_and_parameters_case_insensitive() -> None:
    out, _, _ = converse(EHLO + b"MAIL FROM:<alice@example.org> body=7bit size=10\r\n")
    assert out == EHLO_REPLY + MAIL_OK


# -- §4.1.4: NOOP, RSET, VRFY, HELP, QUIT before HELO --------------------------------
@pytest.mark.parametrize("line, expected", [
    (b"NOOP\r\n", NOOP_OK),
    (b"NOOP anything at all\r\n", NOOP_OK),
    (b"RSET\r\n", b"250 2.0.0 Reset OK\r\n"),
    (b"VRFY bob\r\n", b"252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"),
    (b"HELP\r\n", b"214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET VRFY EXPN HELP NOOP QUIT\r\n"
                  b"214 2.0.0 See RFC 5321 section 4.1 for each command.\r\n"),
    (b"HELP MAIL\r\n", None),
    (b"QUIT\r\n", b"221 2.0.0 mx.test closing connection\r\n"),
])
def test_commands_accepted_before_helo(line: bytes, expected: bytes | None) -> None:
    out, events, session = converse(line)
    assert out.startswith(b"2")
    if expected is not None:
        assert out == expected
    assert session.state is (State.CLOSED if line.startswith(b"QUIT") else State.GREETED)


@pytest.mark.parametrize("state_input", [EHLO, EHLO + MAIL, EHLO + MAIL + RCPT])
@pytest.mark.parametrize("line, code", [(b"NOOP\r\n", 250), (b"VRFY bob\r\n", 252),
                                        (b"HELP\r\n", 214), (b"EXPN staff\r\n", 252)])
def test_anytime_commands_leave_the_state_alone(state_input: bytes, line: bytes, code: int) -> None:
    _, before_events, before = feed([state_input])
    _, events, session = converse(state_input + line)
    assert replies(events)[-1] == code
    assert session.state is before.state
    assert session.envelope == before.envelope


def test_vrfy_and_expn_252_with_their_reasons() -> None:
    """RFC 5321 §7.3: "If a site disables these commands for security reasons, the SMTP
    server MUST return a 252 response, rather than a code that could be confused with
    successful or unsuccessful verification." """
    _, events, _ = converse(b"VRFY bob\r\nEXPN staff\r\n")
    assert names(events) == ["vrfy_cannot", "expn_disabled"]
    assert replies(events) == [252, 252]
    assert "spammers" in events[1].reply.explanation and "§7.3" in events[1].reply.explanation


def test_rset_drops_the_transaction_but_keeps_the_hello() -> None:
    out, _, session = converse(EHLO + MAIL + RCPT + b"RSET\r\n" + b"DATA\r\n" + MAIL)
    assert out.split(b"\r\n")[-4].startswith(b"250 2.0.0 Reset OK")
    assert b"503 5.5.1 DATA is not allowed before MAIL FROM" in out
    assert out.endswith(MAIL_OK)
    assert session.state is State.MAIL and session.envelope.rcpt_tos == []


def test_ehlo_again_aborts_the_transaction() -> None:
    _, _, session = converse(EHLO + MAIL + RCPT + EHLO)
    assert session.state is State.READY and session.envelope.rcpt_tos == []


def test_quit_closes_and_ignores_the_rest() -> None:
    out, events, session = converse(b"QUIT\r\nNOOP\r\n")
    assert out == b"221 2.0.0 mx.test closing connection\r\n"
    assert events[-1] == Closed("quit") and session.state is State.CLOSED
    assert session.receive_data(b"NOOP\r\n") == [] and session.data_to_send() == b""


# -- 503: bad sequence, state unchanged ------------------------------------------------
@pytest.mark.parametrize("setup, line, where", [
    (b"", MAIL, "before HELO/EHLO"),
    (b"", RCPT, "before HELO/EHLO"),
    (b"", b"DATA\r\n", "before HELO/EHLO"),
    (EHLO, RCPT, "before MAIL FROM"),
    (EHLO, b"DATA\r\n", "before MAIL FROM"),
    (EHLO + MAIL, MAIL, "while a mail transaction is open (RSET ends it, RFC 5321 §4.1.4)"),
    (EHLO + MAIL, b"DATA\r\n", "before a recipient was accepted"),
    (EHLO + MAIL + RCPT, MAIL, "while a mail transaction is open (RSET ends it, RFC 5321 §4.1.4)"),
])
def test_bad_sequence_503_names_what_is_allowed(setup: bytes, line: bytes, where: str) -> None:
    _, _, before = feed([setup])
    out, events, session = converse(setup + line)
    last = events[-1]
    assert last.reply.code == 503 and last.reply.enhanced == "5.5.1" and last.reply.name == "bad_sequence"
    verb = line.split(b" ")[0].strip().decode()
    allowed = ", ".join(v.value for v in before.allowed_verbs)
    assert last.reply.text == f"{verb} is not allowed {where}; allowed now: {allowed}"
    assert session.state is before.state and last.before is last.after is before.state
    assert session.envelope == before.envelope


def test_mail_before_helo_message_matches_the_style_guide() -> None:
    out, _, _ = converse(MAIL)
    assert out == (b"503 5.5.1 MAIL is not allowed before HELO/EHLO; allowed now: "
                   b"HELO, EHLO, RSET, QUIT, NOOP, VRFY, EXPN, HELP\r\n")


def test_every_state_refuses_what_the_table_does_not_list() -> None:
    """The server's 503s are exactly the table's gaps (one table, many readers)."""
    setups = {State.GREETED: b"", State.READY: EHLO, State.MAIL: EHLO + MAIL, State.RCPT: EHLO + MAIL + RCPT}
    lines = {Verb.HELO: b"HELO client.test\r\n", Verb.EHLO: EHLO, Verb.MAIL: MAIL, Verb.RCPT: RCPT,
             Verb.DATA: b"DATA\r\n", Verb.RSET: b"RSET\r\n", Verb.NOOP: b"NOOP\r\n",
             Verb.VRFY: b"VRFY x\r\n", Verb.EXPN: b"EXPN x\r\n", Verb.HELP: b"HELP\r\n",
             Verb.QUIT: b"QUIT\r\n"}
    for state, setup in setups.items():
        for verb, line in lines.items():
            _, events, _ = feed([setup + line])
            last = [e for e in events if isinstance(e, Exchange)][-1]
            refused = last.reply.code == 503
            assert refused == (verb not in TRANSITIONS[state]), (state, verb)


# -- 500: unknown command, line too long -------------------------------------------
@pytest.mark.parametrize("line", [b"FOO\r\n", b"MAILFROM:<a@b.c>\r\n", b"\r\n", b"HELLO x\r\n"])
def test_unknown_command_500(line: bytes) -> None:
    out, events, session = converse(EHLO + line)
    assert events[-1].reply.code == 500 and events[-1].reply.name == "unknown_command"
    assert out.endswith(b"\r\n") and session.state is State.READY


def test_nul_and_invalid_utf8_are_refused_500() -> None:
    out, events, _ = converse(b"NOOP \x00\r\nNOOP \xff\r\n")
    assert names(events) == ["bad_bytes", "bad_bytes"]


def _noop_line(length: int, ending: bytes = b"\r\n") -> bytes:
    """A NOOP line of exactly ``length`` octets including ``ending``."""
    return b"NOOP " + b"x" * (length - 5 - len(ending)) + ending


def test_command_line_of_512_octets_is_accepted() -> None:
    out, _, _ = converse(_noop_line(512))
    assert out == NOOP_OK


def test_command_line_of_513_octets_is_refused_500() -> None:
    out, events, session = converse(_noop_line(513) + b"NOOP\r\n")
    assert out == b"500 5.5.2 Line too long (limit 512 octets including CRLF)\r\n" + NOOP_OK
    assert events[0].reply.name == "line_too_long" and session.state is State.GREETED


def test_long_line_without_crlf_yet_is_refused_once_and_skipped() -> None:
    session = new_session()
    events = session.receive_data(b"NOOP " + b"x" * 600)
    assert session.data_to_send() == b"500 5.5.2 Line too long (limit 512 octets including CRLF)\r\n"
    assert [e.reply.name for e in events] == ["line_too_long"]
    session.receive_data(b"y" * 5000)
    assert session.data_to_send() == b""  # the rest of that line is skipped, not answered
    session.receive_data(b"zz\r\nNOOP\r\n")
    assert session.data_to_send() == NOOP_OK


def test_long_line_limit_is_configurable() -> None:
    out, _, _ = converse(_noop_line(700), limits=Limits(command_line=1024))
    assert out == NOOP_OK


# -- 501: syntax ------------------------------------------------------------------------
@pytest.mark.parametrize("setup, line, name", [
    (b"", b"EHLO\r\n", "syntax_error"),
    (b"", b"HELO not a domain!\r\n", "syntax_error"),
    (EHLO, b"MAIL alice@example.org\r\n", "syntax_error"),
    (EHLO, b"MAIL FROM:alice@example.org\r\n", "bad_sender_address"),
    (EHLO, b"MAIL FROM:<alice>\r\n", "bad_sender_address"),
    (EHLO, b"MAIL FROM:<alice@example.org\r\n", "bad_sender_address"),
    (EHLO, b"MAIL FROM:<a..b@example.org>\r\n", "bad_sender_address"),
    (EHLO, b"MAIL FROM:<alice@-bad-.org>\r\n", "bad_sender_address"),
    (EHLO, b"MAIL FROM:<alice@example.org> SIZE=big\r\n", "syntax_error"),
    (EHLO, b"MAIL FROM:<alice@example.org> SMTPUTF8=yes\r\n", "syntax_error"),
    (EHLO, b"MAIL FROM:<" + b"a" * 65 + b"@example.org>\r\n", "sender_address_too_long"),
    (EHLO + MAIL, b"RCPT bob@example.org\r\n", "syntax_error"),
    (EHLO + MAIL, b"RCPT TO:<bob>\r\n", "bad_address"),
    (EHLO + MAIL + RCPT, b"DATA now\r\n", "syntax_error"),
    (b"", b"RSET please\r\n", "syntax_error"),
    (b"", b"QUIT now\r\n", "syntax_error"),
    (b"", b"VRFY\r\n", "syntax_error"),
    (b"", b"EXPN\r\n", "syntax_error"),
])
def test_syntax_errors_501_leave_the_state(setup: bytes, line: bytes, name: str) -> None:
    _, _, before = feed([setup])
    _, events, session = converse(setup + line)
    assert events[-1].reply.code == 501 and events[-1].reply.name == name
    assert session.state is before.state


def test_source_route_is_accepted_and_ignored_rfc5321_4_1_2() -> None:
    out, _, session = converse(EHLO + b"MAIL FROM:<@relay.example,@other.example:alice@example.org>\r\n")
    assert out == EHLO_REPLY + MAIL_OK and session.envelope.mail_from == "alice@example.org"


def test_quoted_local_part_and_address_literal() -> None:
    out, _, _ = converse(EHLO + b'MAIL FROM:<"john doe"@[192.0.2.1]>\r\n')
    assert out.endswith(b'250 2.1.0 Sender <"john doe"@[192.0.2.1]> OK\r\n')


# -- 502: not implemented ---------------------------------------------------------------
@pytest.mark.parametrize("line, verb", [(b"STARTTLS\r\n", b"STARTTLS"), (b"AUTH PLAIN\r\n", b"AUTH"),
                                        (b"starttls\r\n", b"STARTTLS")])
def test_extensions_not_offered_are_502(line: bytes, verb: bytes) -> None:
    out, events, session = converse(EHLO + line)
    assert out == EHLO_REPLY + b"502 5.5.1 " + verb + b" not implemented\r\n"
    assert session.state is State.READY


def test_expn_is_252_with_its_own_reason() -> None:
    out, _, _ = converse(EHLO + b"EXPN staff\r\n")
    assert out == EHLO_REPLY + b"252 2.0.0 Cannot EXPN: lists are not expanded here\r\n"


# -- 504 and 555: parameters -------------------------------------------------------------
def test_body_binarymime_is_504() -> None:
    out, _, session = converse(EHLO + b"MAIL FROM:<alice@example.org> BODY=BINARYMIME\r\n")
    assert out == EHLO_REPLY + b"504 5.5.4 Parameter value not implemented: BODY=BINARYMIME\r\n"
    assert session.state is State.READY


@pytest.mark.parametrize("setup, line, expected", [
    (EHLO, b"MAIL FROM:<alice@example.org> FOO=1\r\n", b"555 5.5.4 Unsupported MAIL parameter: FOO\r\n"),
    (EHLO, b"MAIL FROM:<alice@example.org> RET=HDRS\r\n", b"555 5.5.4 Unsupported MAIL parameter: RET\r\n"),
    (b"HELO client.test\r\n", b"MAIL FROM:<alice@example.org> SIZE=10\r\n",
     b"555 5.5.4 Unsupported MAIL parameter: SIZE\r\n"),  # HELO: no extensions, so no parameters
    (EHLO + MAIL, b"RCPT TO:<bob@example.org> NOTIFY=NEVER\r\n",
     b"555 5.5.4 Unsupported RCPT parameter: NOTIFY\r\n"),
])
def test_unknown_parameters_are_555(setup: bytes, line: bytes, expected: bytes) -> None:
    _, _, before = feed([setup])
    out, _, session = converse(setup + line)
    assert out.endswith(expected) and session.state is before.state


# -- 452: recipients; 552: size ------------------------------------------------------------
def test_more_than_100_recipients_get_452() -> None:
    rcpts = b"".join(b"RCPT TO:<r%d@example.org>\r\n" % i for i in range(102))
    out, events, session = converse(EHLO + MAIL + rcpts)
    codes = replies(events)[2:]
    assert codes == [250] * 100 + [452, 452]
    assert out.endswith(b"452 4.5.3 Too many recipients (limit 100)\r\n")
    assert len(session.envelope.rcpt_tos) == 100 and session.state is State.RCPT


def test_recipient_limit_is_configurable() -> None:
    _, events, _ = converse(EHLO + MAIL + RCPT * 3, limits=Limits(recipients=2))
    assert replies(events)[2:] == [250, 250, 452]


def test_declared_size_over_the_limit_is_552() -> None:
    out, _, session = converse(EHLO + b"MAIL FROM:<alice@example.org> SIZE=2000\r\n",
                               limits=Limits(message_size=1000))
    assert out.endswith(b"552 5.3.4 Message size exceeds fixed limit of 1000 octets\r\n")
    assert session.state is State.READY


def test_actual_size_over_the_limit_is_552_after_the_end() -> None:
    body = b"x" * 70 + b"\r\n"
    out, events, session = converse(EHLO + MAIL + RCPT + b"DATA\r\n" + body * 30 + b".\r\n",
                                    limits=Limits(message_size=1000))
    assert out.endswith(GO_AHEAD + b"552 5.3.4 Message size exceeds fixed limit of 1000 octets\r\n")
    assert not any(isinstance(e, MessageAccepted) for e in events)
    assert session.state is State.READY


def test_size_at_the_limit_is_accepted() -> None:
    body = b"x" * 98 + b"\r\n"
    _, events, _ = converse(EHLO + MAIL + RCPT + b"DATA\r\n" + body * 10 + b".\r\n",
                            limits=Limits(message_size=1000))
    assert replies(events)[-1] == 250


# -- 550/553 5.6.7: non-ASCII without SMTPUTF8 -------------------------------------------
def test_non_ascii_sender_without_smtputf8_is_550_5_6_7() -> None:
    out, _, session = converse(EHLO + "MAIL FROM:<jörg@example.org>\r\n".encode())
    assert out.endswith(b"550 5.6.7 Non-ASCII sender needs MAIL FROM with SMTPUTF8\r\n")
    assert session.state is State.READY


def test_non_ascii_recipient_without_smtputf8_is_553_5_6_7() -> None:
    out, _, session = converse(EHLO + MAIL + "RCPT TO:<josé@example.org>\r\n".encode())
    assert out.endswith(b"553 5.6.7 Non-ASCII recipient needs MAIL FROM with SMTPUTF8\r\n")
    assert session.state is State.MAIL


# -- handlers: relaying ------------------------------------------------------------------
def test_local_domains_refuse_relaying_550_5_7_1() -> None:
    handler = LocalDelivery(["example.org"])
    out, events, session = converse(EHLO + MAIL + RCPT + b"RCPT TO:<eve@elsewhere.test>\r\n"
                                    + b"RCPT TO:<carol@EXAMPLE.ORG>\r\n", handler=handler)
    assert replies(events)[2:] == [250, 550, 250]
    assert b"550 5.7.1 Relaying denied: elsewhere.test is not a local domain\r\n" in out
    assert session.envelope.rcpt_tos == ["bob@example.org", "carol@EXAMPLE.ORG"]


def test_a_handler_refusal_is_sent_and_the_state_stays() -> None:
    from smtplearn.protocol import reply

    class NoEve(Handler):
        def on_mail(self, session, address, params):  # type: ignore[no-untyped-def]
            return reply("sender_refused", address=address) if address.startswith("eve@") else None

    out, _, session = converse(EHLO + b"MAIL FROM:<eve@example.org>\r\n", handler=NoEve())
    assert out.endswith(b"550 5.7.1 Sender <eve@example.org> refused\r\n")
    assert session.state is State.READY


# -- PIPELINING (RFC 2920) ---------------------------------------------------------------
def test_pipelined_group_with_data_last_then_text_then_commands_after_the_dot() -> None:
    group = EHLO + MAIL + RCPT + b"RCPT TO:<carol@example.org>\r\n" + b"DATA\r\n"
    text_and_more = b"Subject: p\r\n\r\nhi\r\n.\r\n" + b"MAIL FROM:<>\r\n" + RCPT + b"DATA\r\nx\r\n.\r\nQUIT\r\n"
    out, events, session = converse(group + text_and_more)
    assert replies(events) == [250, 250, 250, 250, 354, 250, 250, 250, 354, 250, 221]
    assert out.startswith(EHLO_REPLY + MAIL_OK + RCPT_OK)
    assert out.count(b"OK: queued as") == 2
    assert session.state is State.CLOSED


def test_replies_come_in_the_order_of_the_commands_even_when_refused() -> None:
    out, _, _ = converse(EHLO + RCPT + MAIL + b"FOO\r\n" + RCPT + b"NOOP\r\n")
    codes = [line[:3] for line in out.split(b"\r\n") if line[3:4] == b" "]
    assert codes == [b"250", b"503", b"250", b"500", b"250", b"250"]


# -- unknown commands never close the session (RFC 5321 §3.8) -------------------------------
def test_unknown_commands_get_500_and_the_session_goes_on() -> None:
    """RFC 5321 §3.8: "a server that closes connections in response to commands that are
    not understood is in violation of this specification. Servers are expected to be
    tolerant of unknown commands, issuing a 500 reply and awaiting further instructions
    from the client." """
    out, events, session = converse(b"FOO\r\n" * 60 + EHLO)
    assert replies(events) == [500] * 60 + [250]
    assert session.state is State.READY and not any(isinstance(e, Closed) for e in events)


# -- the server closing: shutdown, timeout, lost connection ---------------------------------
@pytest.mark.parametrize("why, text", [
    ("shutdown", b"421 4.3.2 mx.test shutting down, closing connection\r\n"),
    ("timeout", b"421 4.4.2 mx.test timeout, closing connection\r\n"),
])
def test_close_sends_421_from_any_live_state(why: str, text: bytes) -> None:
    for setup in (b"", EHLO, EHLO + MAIL, EHLO + MAIL + RCPT + b"DATA\r\npart of a mess"):
        _, _, session = feed([setup])
        events = session.close(why)
        assert session.data_to_send() == text
        assert events[0].trigger is Signal.CLOSE_421 and session.state is State.CLOSED
        assert not any(isinstance(e, MessageAccepted) for e in events)
        assert session.close(why) == []


def test_connection_lost_delivers_nothing_half_sent() -> None:
    _, _, session = feed([EHLO + MAIL + RCPT + b"DATA\r\nhalf a message\r\n"])
    events = session.connection_lost()
    assert events == [Closed("connection lost")] and session.state is State.CLOSED
    assert session.data_to_send() == b""


def test_on_connect_421_closes_at_once() -> None:
    from smtplearn.protocol import reply

    class Busy(Handler):
        def on_connect(self, session):  # type: ignore[no-untyped-def]
            return reply("closing_busy", hostname=session.hostname)

    session = ServerSession(Busy(), hostname="mx.test")
    session.start()
    assert session.data_to_send() == b"421 4.3.2 mx.test too many connections, try again later\r\n"
    assert session.state is State.CLOSED


def test_allowed_verbs_leave_out_extensions_not_offered() -> None:
    _, _, session = feed([EHLO])
    assert Verb.STARTTLS not in session.allowed_verbs and Verb.AUTH not in session.allowed_verbs
    assert Verb.MAIL in session.allowed_verbs
