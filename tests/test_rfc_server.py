"""RFC conformance of the server side (issue 10, items 1-16; issue 11's AUTH limit).

Sans-I/O: bytes into a ``ServerSession``, bytes and events out; no sockets, no
sleeps. Each test quotes the sentence of the RFC it enforces.
"""

from __future__ import annotations

import base64
import warnings
from datetime import datetime, timedelta, timezone

import pytest

from smtplearn import Mailbox, Pair
from smtplearn.protocol import (Closed, Exchange, Handler, Limits, MessageAccepted, ServerSession, State,
                                Verb, reply)
from smtplearn.protocol.addresses import address_literal, is_address_literal
from smtplearn.protocol.auth import Credentials, plain_response
from smtplearn.protocol.limits import BelowRFCMinimumWarning
from smtplearn.protocol.server import BARE_LF_NOTE
from smtplearn.transcript import Note, Transcript

EHLO = b"EHLO client.test\r\n"
MAIL = b"MAIL FROM:<alice@example.org>\r\n"
RCPT = b"RCPT TO:<bob@example.org>\r\n"
CLOCK = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))


def session(**options: object) -> ServerSession:
    options.setdefault("hostname", "mx.test")
    s = ServerSession(clock=lambda: CLOCK, **options)  # type: ignore[arg-type]
    s.start()
    s.data_to_send()
    return s


def talk(data: bytes, **options: object) -> tuple[list[bytes], list, ServerSession]:
    """Feed ``data``; the reply lines that came out, the events, the session."""
    s = session(**options)
    events = s.receive_data(data)
    return s.data_to_send().split(b"\r\n")[:-1], events, s


def exchanges(events: list) -> list[Exchange]:
    return [e for e in events if isinstance(e, Exchange)]


def codes(events: list) -> list[int]:
    return [e.reply.code for e in exchanges(events)]


# -- 1. the 554 greeting -------------------------------------------------------------------------
class Refuse(Handler):
    def on_connect(self, session):  # type: ignore[no-untyped-def]
        return reply("session_refused", hostname=session.hostname, detail="no mail accepted from you")


def test_554_greeting_waits_for_quit_and_answers_503_meanwhile() -> None:
    """RFC 5321 §3.1: "A server taking this approach MUST still wait for the client to send a
    QUIT (see Section 4.1.1.10) before closing the connection and SHOULD respond to any
    intervening commands with "503 bad sequence of commands"." """
    s = ServerSession(Refuse(), hostname="mx.test")
    [greeting] = s.start()
    assert s.data_to_send().startswith(b"554 5.7.1 mx.test no SMTP service here")
    assert (greeting.before, greeting.after, s.state) == (State.CONNECTED, State.REFUSED, State.REFUSED)
    events = s.receive_data(EHLO + b"NOOP\r\n" + MAIL + b"HELP\r\nFOO\r\n")
    assert codes(events) == [503, 503, 503, 503, 500]
    assert not any(isinstance(e, Closed) for e in events) and s.state is State.REFUSED
    out = s.data_to_send()
    assert b"503 5.5.1 EHLO is not allowed after the server refused the session (554 greeting); " \
           b"allowed now: QUIT\r\n" in out
    events = s.receive_data(b"QUIT\r\n")
    assert codes(events) == [221] and s.state is State.CLOSED and isinstance(events[-1], Closed)


def test_our_client_sends_quit_after_a_554_greeting() -> None:
    """RFC 5321 §3.1 (the server waits for QUIT), so the client must say it: the Pair's client
    follows the table to REFUSED, where QUIT is the one command it may send."""
    pair = Pair(Refuse())
    assert pair.greeting.code == 554 and pair.state is State.REFUSED
    assert pair.allowed_verbs == (Verb.QUIT,)
    assert pair.ehlo().code == 503
    assert pair.quit().code == 221 and pair.state is State.CLOSED


# -- 2. unknown commands: 500, the session goes on, the replies slow down -------------------------
def test_unknown_commands_get_500_forever_with_a_growing_delay() -> None:
    """RFC 5321 §3.8: "Servers are expected to be tolerant of unknown commands, issuing a 500
    reply and awaiting further instructions from the client." The defence is a tarpit the
    transport honours (``reply_delay``), never a close."""
    s = session(limits=Limits(tarpit_after=3, tarpit_step=0.5, tarpit_max=2.0))
    delays = []
    for _ in range(10):
        events = s.receive_data(b"FOO\r\n")
        assert codes(events) == [500]
        delays.append(s.reply_delay)
        s.data_to_send()
        assert s.reply_delay == 0.0  # written: the next batch starts from nothing
    assert delays == [0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.0, 2.0, 2.0]
    assert s.state is State.GREETED
    assert "tarpit" in exchanges(events)[0].note and "§3.8" in exchanges(events)[0].note
    s.receive_data(b"NOOP\r\n")  # an accepted command starts the count again
    assert s.reply_delay == 0.0 and codes(s.receive_data(b"FOO\r\n")) == [500] and s.reply_delay == 0.0


def test_pipelined_refusals_add_up_their_delays() -> None:
    """Each reply earns its own wait, so pipelining (RFC 2920) cannot dodge the tarpit."""
    s = session(limits=Limits(tarpit_after=1, tarpit_step=1.0, tarpit_max=5.0))
    s.receive_data(b"FOO\r\n" * 4)
    assert s.reply_delay == 0 + 1 + 2 + 3


def test_default_tarpit_numbers() -> None:
    limits = Limits()
    assert (limits.tarpit_after, limits.tarpit_step, limits.tarpit_max) == (10, 1.0, 30.0)
    assert (limits.auth_failures_slow, limits.auth_failures_close) == (3, 10)


def test_pair_notes_the_delay_in_its_transcript() -> None:
    pair = Pair(limits=Limits(tarpit_after=1))
    pair.send_line("FOO")
    pair.send_line("FOO")
    notes = [e for e in pair.transcript.entries if isinstance(e, Note)]
    assert [n.text.split(":")[0] for n in notes] == ["the server waits 1 s before sending this reply"]
    assert pair.transcript.entries[-1] is notes[0]  # after the turn it is about


# -- 3. bare LF ends no command unless the classroom option says so ------------------------------
def test_bare_lf_command_is_refused_by_default() -> None:
    """RFC 5321 §2.3.8: "Conforming implementations MUST NOT recognize or generate any other
    character or character sequence as a line terminator." (§4.1.1.4 likewise.)"""
    lines, events, s = talk(b"EHLO client.test\n" + b"NOOP\r\n")
    assert lines == [b"500 5.5.2 Command line must end with CRLF, not a bare LF (use nc -C)", b"250 2.0.0 OK"]
    assert exchanges(events)[0].trigger is Verb.EHLO and s.state is State.GREETED and s.helo is None


def test_bare_lf_command_is_refused_whatever_the_message_policy() -> None:
    """RFC 5321 §2.3.8 "MUST NOT recognize ... any other character or character sequence as a
    line terminator": REJECT and KEEP only choose what happens to message text."""
    from smtplearn.protocol import BareNewlinePolicy
    for policy in BareNewlinePolicy:
        lines, _, _ = talk(b"NOOP\n", limits=Limits(bare_newline=policy))
        assert lines[0].startswith(b"500 5.5.2")


def test_classroom_option_accepts_bare_lf_with_a_note_in_the_transcript() -> None:
    """The deviation is named (``Limits.bare_lf_commands``) and visible: the transcript says
    the line ended with a bare LF and quotes RFC 5321 §2.3.8."""
    lines, events, s = talk(b"EHLO client.test\nNOOP\r\n", limits=Limits(bare_lf_commands=True))
    assert lines[0] == b"250-mx.test greets client.test" and s.state is State.READY
    first, second = exchanges(events)
    assert first.note == BARE_LF_NOTE and "RFC 5321 §2.3.8" in first.note and second.note == ""
    transcript = Transcript()
    for exchange in exchanges(events):
        transcript.record(exchange, client="c", server="s")
    assert isinstance(transcript.entries[1], Note) and "bare LF" in transcript.entries[1].text
    assert "bare LF" in transcript.text()


def test_bare_lf_never_ends_data_even_in_the_classroom() -> None:
    """RFC 5321 §4.1.1.4: the end of mail data is "<CRLF>.<CRLF>"."""
    _, events, s = talk(EHLO + MAIL + RCPT + b"DATA\r\nhi\n.\n", limits=Limits(bare_lf_commands=True))
    assert s.state is State.DATA and codes(events)[-1] == 354


# -- 4. EXPN ---------------------------------------------------------------------------------------
def test_expn_disabled_answers_252() -> None:
    """RFC 5321 §7.3: "If a site disables these commands for security reasons, the SMTP server
    MUST return a 252 response, rather than a code that could be confused with successful or
    unsuccessful verification." """
    lines, _, _ = talk(b"EXPN staff\r\n")
    assert lines[0].startswith(b"252 ")


# -- 5. 503 texts name the right reason, and list only what may succeed -----------------------------
@pytest.mark.parametrize("setup", [EHLO + MAIL, EHLO + MAIL + RCPT])
def test_second_mail_is_refused_because_a_transaction_is_open(setup: bytes) -> None:
    """RFC 5321 §4.1.4: "MAIL (or SEND, SOML, or SAML) MUST NOT be sent if a mail transaction is
    already open"."""
    lines, _, _ = talk(setup + MAIL)
    assert lines[-1].startswith(b"503 5.5.1 MAIL is not allowed while a mail transaction is open")


@pytest.mark.parametrize("setup", [EHLO + MAIL, EHLO + MAIL + RCPT])
def test_auth_during_a_transaction_names_rfc_4954(setup: bytes) -> None:
    """RFC 4954 §4: "The AUTH command is not permitted during a mail transaction. An AUTH
    command issued during a mail transaction MUST be rejected with a 503 reply." """
    lines, _, _ = talk(setup + b"AUTH PLAIN\r\n", authenticator=Credentials({"a": "b"}), auth_without_tls=True)
    assert lines[-1].startswith(b"503 5.5.1 AUTH is not allowed during a mail transaction (RFC 4954 \xc2\xa74)")


def test_starttls_during_a_transaction_names_the_transaction() -> None:
    """RFC 5321 §4.1.4: a mail transaction "may be aborted by the RSET, a new EHLO, or the QUIT
    command" -- the 503 says the transaction is what stands in the way."""
    lines, _, _ = talk(EHLO + MAIL + b"STARTTLS\r\n", tls_available=True)
    assert lines[-1].startswith(b"503 5.5.1 STARTTLS is not allowed while a mail transaction is open")


def test_allowed_now_leaves_out_auth_once_authenticated() -> None:
    """RFC 4954 §4: "After a successful AUTH command completes, a server MUST reject any
    further AUTH commands with a 503 reply" -- so the list never offers AUTH again."""
    auth = b"AUTH PLAIN " + plain_response("a", "b").encode() + b"\r\n"
    lines, _, s = talk(EHLO + auth + auth + b"DATA\r\n", authenticator=Credentials({"a": "b"}),
                       auth_without_tls=True)
    refusals = [line for line in lines if line.startswith(b"503")]
    assert len(refusals) == 2 and all(b"AUTH" not in r.partition(b"allowed now:")[2] for r in refusals)
    assert Verb.AUTH not in s.allowed_verbs


# -- 6. Return-Path at final delivery ---------------------------------------------------------------
def test_delivered_message_starts_with_return_path(tmp_path) -> None:
    """RFC 5321 §4.4: "When the delivery SMTP server makes the "final delivery" of a message, it
    inserts a return-path line at the beginning of the mail data." """
    _, events, _ = talk(EHLO + MAIL + RCPT + b"DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n"
                        + b"MAIL FROM:<>\r\n" + RCPT + b"DATA\r\nSubject: bounce\r\n\r\nhi\r\n.\r\n")
    first, bounce = [e.message for e in events if isinstance(e, MessageAccepted)]
    assert first.delivered.startswith(b"Return-Path: <alice@example.org>\r\nReceived: from client.test")
    assert bounce.delivered.startswith(b"Return-Path: <>\r\n")
    assert first.email["Return-Path"] == "<alice@example.org>"
    mailbox = Mailbox(tmp_path / "Maildir")
    mailbox.append(first)
    [stored] = list((tmp_path / "Maildir" / "new").iterdir())
    assert stored.read_bytes().startswith(b"Return-Path: <alice@example.org>\r\n")


# -- 7. the Received: line ---------------------------------------------------------------------------
@pytest.mark.parametrize("peer, tcp_info", [("192.0.2.7", b"([192.0.2.7])"),
                                            ("2001:db8::1", b"([IPv6:2001:db8::1])")])
def test_received_tcp_info_is_an_address_literal(peer: str, tcp_info: bytes) -> None:
    """RFC 5321 §4.4: From-domain = "FROM" FWS Extended-Domain; Extended-Domain = Domain /
    ( Domain FWS "(" TCP-info ")" ) / ...; TCP-info = address-literal / ( Domain FWS
    address-literal )."""
    _, events, _ = talk(EHLO + MAIL + RCPT + b"DATA\r\nx\r\n.\r\n", peer=peer)
    message = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert message.received_header.startswith(b"Received: from client.test " + tcp_info + b"\r\n")


def test_received_date_is_local_time_with_its_offset() -> None:
    """RFC 5321 §4.4: "Local time (with an offset) SHOULD be used rather than UT"."""
    _, events, _ = talk(EHLO + MAIL + RCPT + b"DATA\r\nx\r\n.\r\n")
    message = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert message.received_header.endswith(b"Tue, 02 Jan 2024 03:04:05 +0200\r\n")
    default = ServerSession()._clock()
    assert default.utcoffset() == datetime.now().astimezone().utcoffset()


@pytest.mark.parametrize("smtputf8, tls, auth, protocol", [
    (False, False, False, b"ESMTP"), (False, True, False, b"ESMTPS"), (False, False, True, b"ESMTPA"),
    (False, True, True, b"ESMTPSA"), (True, False, False, b"UTF8SMTP"), (True, True, False, b"UTF8SMTPS"),
    (True, False, True, b"UTF8SMTPA"), (True, True, True, b"UTF8SMTPSA"),
])
def test_with_protocol_names(smtputf8: bool, tls: bool, auth: bool, protocol: bytes) -> None:
    """RFC 3848 registers ESMTPA, ESMTPS and ESMTPSA; RFC 6531 §4.3 registers UTF8SMTP ("ESMTP
    with SMTPUTF8"), UTF8SMTPA ("ESMTP with SMTPUTF8 and AUTH"), UTF8SMTPS and UTF8SMTPSA."""
    s = session(authenticator=Credentials({"a": "b"}), auth_without_tls=True, tls_available=True)
    s.tls_active = tls
    if auth:
        s.receive_data(EHLO + b"AUTH PLAIN " + plain_response("a", "b").encode() + b"\r\n")
    mail = b"MAIL FROM:<alice@example.org>" + (b" SMTPUTF8" if smtputf8 else b"") + b"\r\n"
    events = s.receive_data(EHLO + mail + RCPT + b"DATA\r\nx\r\n.\r\n")
    message = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert b" with " + protocol + b" id " in message.received_header


# -- 8. the EHLO name is ASCII ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["bücher.example", "ｅxample.org", "[١٩٢.0.2.1]", "exa\u00a0mple.org"])
def test_non_ascii_ehlo_name_is_refused_and_not_echoed(name: str) -> None:
    """RFC 6531 §3.7.1: "the SMTPUTF8-aware SMTP client MUST send only ASCII (LDH label or
    A-label [RFC5890]) domains in the EHLO command"; RFC 5321 §4.1.2: Domain is Ldh-str labels."""
    lines, events, s = talk(f"EHLO {name}\r\n".encode())
    assert lines[0].startswith(b"501 5.5.4") and lines[0].isascii()
    assert s.state is State.GREETED and s.helo is None


def test_a_label_ehlo_name_is_accepted() -> None:
    """RFC 6531 §3.7.1: "LDH label or A-label" domains in EHLO are what a client MUST send."""
    lines, _, s = talk(b"EHLO xn--bcher-kva.example\r\n")
    assert lines[0] == b"250-mx.test greets xn--bcher-kva.example" and s.state is State.READY


# -- 9. reply lines fit in 512 octets --------------------------------------------------------------
def test_reply_lines_never_pass_512_octets() -> None:
    """RFC 5321 §4.5.3.1.5: "The maximum total length of a reply line including the reply code
    and the <CRLF> is 512 octets." A 505-octet EHLO name must not make the greeting longer."""
    name = ("a" * 60 + ".") * 8 + "example"
    line = b"EHLO " + name.encode() + b"\r\n"
    assert len(line) <= 512
    s = session(peer="192.0.2.7")
    s.receive_data(line + b"MAIL FROM:<" + b"a" * 64 + b"@" + ("b" * 60 + ".").encode() * 3 + b"org>\r\n")
    out = s.data_to_send()
    assert all(len(reply_line) + 2 <= 512 for reply_line in out.split(b"\r\n"))
    assert out.startswith(b"250-mx.test greets " + name[:100].encode())
    assert b"...\r\n" in out.split(b"250-SIZE")[0] + b"\r\n"


# -- 10. SIZE does not count dot-stuffing ----------------------------------------------------------
def test_message_size_excludes_doubled_dots_and_the_final_dot() -> None:
    """RFC 1870 §5: "The message size is defined as the number of octets, including CR-LF pairs,
    but not the SMTP DATA command's terminating dot or doubled quoting dots"."""
    content = b".\r\n" * 30_000  # 90,000 octets; 120,000 on the wire after stuffing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BelowRFCMinimumWarning)
        limits = Limits(message_size=len(content))
    stuffed = content.replace(b".", b"..")
    _, events, _ = talk(EHLO + MAIL + RCPT + b"DATA\r\n" + stuffed + b".\r\n", limits=limits)
    assert codes(events)[-1] == 250
    accepted = next(e.message for e in events if isinstance(e, MessageAccepted))
    assert accepted.content == content
    _, events, _ = talk(EHLO + MAIL + RCPT + b"DATA\r\n" + stuffed + b"x\r\n.\r\n", limits=limits)
    assert codes(events)[-1] == 552  # three octets over: refused


def test_a_huge_message_is_still_refused_without_being_kept() -> None:
    """RFC 1870 §5: "An attempt to transfer any message larger than the fixed maximum message
    size will always fail." The server keeps no more than 4/3 of the limit while it reads on
    to <CRLF>.<CRLF>."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BelowRFCMinimumWarning)
        s = session(limits=Limits(message_size=1000))
    s.receive_data(EHLO + MAIL + RCPT + b"DATA\r\n")
    for _ in range(100):
        s.receive_data(b"y" * 998 + b"\r\n")
    assert len(s._data._buffer) < 2000  # type: ignore[union-attr]
    assert codes(s.receive_data(b".\r\n")) == [552]


# -- 11. duplicate MAIL parameters -----------------------------------------------------------------
@pytest.mark.parametrize("params", [b"SIZE=100 SIZE=200", b"BODY=7BIT BODY=8BITMIME", b"SMTPUTF8 SMTPUTF8",
                                    b"size=1 SIZE=1"])
def test_a_parameter_given_twice_is_501(params: bytes) -> None:
    """RFC 1870 §6: "Only one SIZE parameter may be specified in a single MAIL command."
    RFC 6152 §3: "Only one BODY parameter may be used in a single MAIL command." RFC 5321
    §4.2.3: 501 "Syntax error in parameters or arguments"."""
    lines, _, s = talk(EHLO + b"MAIL FROM:<alice@example.org> " + params + b"\r\n")
    assert lines[-1].startswith(b"501 5.5.4 Parameter") and s.state is State.READY


# -- 12. only ASCII digits count -------------------------------------------------------------------
@pytest.mark.parametrize("value", ["²", "٣", "３", "⁹", "๓", "𝟙", "1²", "½"])
def test_size_takes_ascii_digits_only(value: str) -> None:
    """RFC 1870 §3: size-value ::= 1*20DIGIT, the ASCII digits 0-9 only; RFC 1870 §6: "The value
    associated with the SIZE parameter is a decimal representation of the declared message
    size in octets"."""
    lines, events, s = talk(EHLO + f"MAIL FROM:<a@b.org> SIZE={value}\r\n".encode())
    assert lines[-1].startswith(b"501 5.5.4 Syntax error: SIZE needs a number")
    assert s.state is State.READY and s.envelope.mail_from is None


# -- 13. enhanced status codes ---------------------------------------------------------------------
def test_bad_sender_syntax_is_5_1_7_and_bad_recipient_5_1_3() -> None:
    """RFC 3463 §3.2: X.1.7 "Bad sender's mailbox address syntax"; X.1.3 "Bad destination
    mailbox address syntax"."""
    lines, _, _ = talk(EHLO + b"MAIL FROM:<alice>\r\n" + MAIL + b"RCPT TO:<bob>\r\n")
    assert lines[-3].startswith(b"501 5.1.7") and lines[-1].startswith(b"501 5.1.3")


def test_non_base64_auth_response_is_501_5_5_2() -> None:
    """RFC 4954 §4: "If the server cannot [BASE64] decode any client response, it MUST reject
    the AUTH command with a 501 reply (and an enhanced status code of 5.5.2)." """
    auth = dict(authenticator=Credentials({"a": "b"}), auth_without_tls=True)
    lines, _, s = talk(EHLO + b"AUTH PLAIN\r\n!!!not base64!!!\r\n", **auth)
    assert lines[-1].startswith(b"501 5.5.2") and s.state is State.READY
    lines, _, _ = talk(EHLO + b"AUTH PLAIN @@@\r\n", **auth)
    assert lines[-1].startswith(b"501 5.5.2")


# -- 14. the empty challenge -------------------------------------------------------------------------
def test_empty_auth_challenge_is_334_space() -> None:
    """RFC 4954 §4: "a server challenge that contains no data is defined as a 334 reply with no
    text part. Note that there is still a space following the reply code, so the complete
    response line is "334 "." """
    s = session(authenticator=Credentials({"a": "b"}), auth_without_tls=True)
    s.receive_data(EHLO)
    s.data_to_send()
    s.receive_data(b"AUTH PLAIN\r\n")
    assert s.data_to_send() == b"334 \r\n"


# -- 15. address literals -------------------------------------------------------------------------
@pytest.mark.parametrize("literal, ok", [
    ("[192.0.2.1]", True), ("[0.0.0.0]", True), ("[255.255.255.255]", True),
    ("[300.1.1.1]", False), ("[1.2.3.256]", False), ("[1.2.3]", False), ("[١.2.3.4]", False),
    ("[IPv6:2001:db8::1]", True), ("[IPv6:::1]", True), ("[IPv6:1:2:3:4:5:6:7:8]", True),
    ("[IPv6:::ffff:192.0.2.1]", True), ("[IPv6:1:2:3:4:5:6:192.0.2.1]", True),
    ("[IPv6:zzzz]", False), ("[IPv6:1:2:3:4:5:6:7:8:9]", False), ("[IPv6:1::2::3]", False),
    ("[IPv6:1:2:3:4:5:6:7::]", False),  # '::' stands for at least 2 groups: at most 6 beside it
    ("[IPv6:1:2:3:4:5::192.0.2.1]", False),  # at most 4 groups beside '::' and the IPv4 part
    ("[IPv6:fe80::1%eth0]", False), ("[IPv6:::１]", False), ("[x-tag:anything]", True),
])
def test_address_literals_follow_section_4_1_3(literal: str, ok: bool) -> None:
    """RFC 5321 §4.1.3: Snum = 1*3DIGIT ; "representing a decimal integer value in the range 0
    through 255"; IPv6-comp: "The "::" represents at least 2 16-bit groups of zeros. No more
    than 6 groups in addition to the "::" may be present."; IPv6v4-comp: "No more than 4
    groups in addition to the "::" and IPv4-address-literal may be present." """
    assert is_address_literal(literal) is ok
    lines, _, _ = talk(f"EHLO {literal}\r\n".encode())
    assert lines[0][:3] == (b"250" if ok else b"501")


def test_recipient_with_a_bad_literal_is_refused() -> None:
    """RFC 5321 §4.1.3: Snum is "a decimal integer value in the range 0 through 255"."""
    lines, _, _ = talk(EHLO + MAIL + b"RCPT TO:<bob@[300.1.1.1]>\r\n")
    assert lines[-1].startswith(b"501 5.1.3")


# -- 16. limits below the RFC minimums ----------------------------------------------------------------
@pytest.mark.parametrize("name, value, section", [
    ("message_size", 1000, "§4.5.3.1.7"), ("recipients", 5, "§4.5.3.1.8"),
    ("command_line", 100, "§4.5.3.1.4"), ("text_line", 200, "§4.5.3.1.6"),
])
def test_limits_below_the_rfc_minimum_warn_and_say_so(name: str, value: int, section: str) -> None:
    """RFC 5321 §4.5.3.1.7: "The maximum total length of a message content ... MUST BE at least
    64K octets"; §4.5.3.1.8: "The minimum total number of recipients that MUST be buffered is
    100 recipients." Allowed for a demonstration, never silently."""
    with pytest.warns(BelowRFCMinimumWarning, match=section):
        limits = Limits(**{name: value})
    assert getattr(limits, name) == value
    [line] = [d for d in limits.describe() if d.startswith(name)]
    assert "BELOW the RFC minimum" in line and section in line
    assert limits.below_rfc_minimum()


def test_default_limits_are_not_below_any_minimum() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        limits = Limits()
    assert limits.below_rfc_minimum() == []
    assert not any("BELOW" in line for line in limits.describe())


# -- issue 11: failed AUTH attempts -----------------------------------------------------------------
def _login_failure() -> bytes:
    """One failed AUTH LOGIN exchange: two 334 challenges, then 535."""
    user = base64.b64encode(b"alice") + b"\r\n"
    return b"AUTH LOGIN\r\n" + user + base64.b64encode(b"wrong") + b"\r\n"


def test_failed_auth_is_counted_per_connection_then_421() -> None:
    """RFC 4954 §9: "Servers MAY implement a policy whereby the connection is dropped after a
    number of failed authentication attempts. If they do so, they SHOULD NOT drop the
    connection until at least 3 attempts to authenticate have failed." RFC 5321 §7.8 allows
    closing under attack. Our numbers: slower replies from the 3rd failure, 421 at the 10th;
    neither the 334 challenges nor a NOOP in between reset the count."""
    s = session(authenticator=Credentials({"alice": "secret"}), auth_without_tls=True,
                limits=Limits(tarpit_step=1.0, tarpit_max=30.0))
    s.receive_data(EHLO)
    s.data_to_send()
    delays = []
    for attempt in range(1, 11):
        events = s.receive_data(_login_failure() + b"NOOP\r\n")
        assert codes(events)[:3] == [334, 334, 535]
        delays.append(s.reply_delay)
        out = s.data_to_send()
        if attempt < 10:
            assert codes(events)[3] == 250 and s.state is State.READY
    assert delays[:2] == [0.0, 0.0] and delays[2] > 0 and delays == sorted(delays)
    assert out.endswith(b"421 4.7.0 mx.test too many failed authentications, closing connection\r\n")
    assert s.state is State.CLOSED and isinstance(events[-1], Closed)
    assert "failed AUTH attempts" in exchanges(events)[-2].note


def test_closing_before_3_failed_auth_attempts_warns_and_says_so() -> None:
    """RFC 4954 §9: servers that drop the connection after failed authentications "SHOULD NOT
    drop the connection until at least 3 attempts to authenticate have failed". Fewer is
    allowed for a demonstration, never silently (as with the RFC 5321 §4.5.3.1 minimums)."""
    with pytest.warns(BelowRFCMinimumWarning, match="RFC 4954 §9"):
        limits = Limits(auth_failures_close=2)
    assert any("auth_failures_close" in p and "RFC 4954 §9" in p for p in limits.below_rfc_minimum())
    assert any("auth_failures_close = 2" in line and "BELOW" in line for line in limits.describe())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Limits(auth_failures_close=3).below_rfc_minimum() == []


def test_a_success_after_failures_still_works_and_does_not_slow_a_good_client() -> None:
    s = session(authenticator=Credentials({"alice": "secret"}), auth_without_tls=True)
    events = s.receive_data(EHLO + _login_failure() + b"AUTH PLAIN " + plain_response("alice", "secret").encode()
                            + b"\r\n")
    assert codes(events)[-1] == 235 and s.reply_delay == 0.0


def test_limits_reject_nonsense() -> None:
    for bad in (dict(recipients=0), dict(tarpit_step=-1), dict(auth_failures_close=0)):
        with pytest.raises(ValueError):
            Limits(**bad)  # type: ignore[arg-type]


def test_close_before_the_greeting_is_a_421_greeting() -> None:
    """RFC 5321 §3.8: 421 "can be issued ... if necessary, asynchronously from command receipt";
    before the greeting it is the CONNECTED row's CLOSE_421 entry."""
    s = ServerSession(hostname="mx.test")
    [exchange, closed] = s.close("busy")
    assert s.data_to_send() == b"421 4.3.2 mx.test too many connections, try again later\r\n"
    assert (exchange.before, exchange.after) == (State.CONNECTED, State.CLOSED) and isinstance(closed, Closed)


def test_address_literal_of_a_peer() -> None:
    assert [address_literal(p) for p in ("192.0.2.7", "2001:db8::1", "in-memory")] == [
        "[192.0.2.7]", "[IPv6:2001:db8::1]", ""]


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_a_line_refused_for_its_form_during_auth_ends_the_exchange(ending: bytes) -> None:
    """RFC 4954 §4: in AUTH the next line is the client's response; one the server refuses
    (too long, §4.5.3.1.4; a bare LF, §2.3.8) ends the exchange, as the client predicts."""
    auth = dict(authenticator=Credentials({"a": "b"}), auth_without_tls=True)
    for line in (b"A" * 600 + ending, b"QUFB" + (b"\n" if ending == b"\n" else b"A" * 600 + ending)):
        whole = talk(EHLO + b"AUTH PLAIN\r\n" + line + b"NOOP\r\n", **auth)
        s = session(**auth)
        for byte in EHLO + b"AUTH PLAIN\r\n" + line + b"NOOP\r\n":
            s.receive_data(bytes([byte]))
        assert whole[2].state is s.state is State.READY
        assert codes(whole[1])[-2:] == [500, 250]
