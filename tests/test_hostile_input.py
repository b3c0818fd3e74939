"""Hostile input against the real TCP server: the right reply, no crash, no hang,
no state corruption -- and the safe defaults (loopback only, no relaying).

Every case runs on a raw socket to a ``Server`` on 127.0.0.1, because a
student's ``nc`` session is exactly that. After each hostile line the test
checks the session still works and is in the state it should be in, by
sending a command whose reply depends on that state.
"""

from __future__ import annotations

import socket
import time

import pytest

from smtplearn import Client, Server
from smtplearn.protocol import BelowRFCMinimumWarning, Limits
from wire import RawPeer as Raw, wait_for

GREETING = b"220 "


@pytest.fixture(scope="module")
def server():
    with pytest.warns(BelowRFCMinimumWarning):  # 20 kB: below §4.5.3.1.7's 64K, for a quick test
        # no tarpit: hundreds of hostile lines, and a transport that sleeps reply_delay
        limits = Limits(message_size=20_000, tarpit_step=0.0)
    with Server(limits=limits, idle_timeout=20) as srv:
        yield srv


@pytest.fixture
def raw(server):
    peer = Raw(server.address)
    assert peer.reply().startswith(GREETING)
    yield peer
    peer.close()


# State probes: a command whose reply tells which state the session is in.
def in_greeted(raw: Raw) -> bool:
    return raw.ask_code(b"MAIL FROM:<probe@example.org>") == 503


def in_ready(raw: Raw) -> bool:
    """READY: RCPT is refused (no MAIL) but a MAIL would be taken; leave it READY."""
    return raw.ask_code(b"RCPT TO:<probe@example.org>") == 503 and raw.ask_code(b"NOOP") == 250


def in_mail(raw: Raw) -> bool:
    return raw.ask_code(b"DATA") == 503 and raw.ask_code(b"MAIL FROM:<x@example.org>") == 503


def in_rcpt(raw: Raw) -> bool:
    return raw.ask_code(b"MAIL FROM:<x@example.org>") == 503 and raw.ask_code(b"NOOP") == 250


def ready(raw: Raw) -> Raw:
    assert raw.ask_code(b"EHLO client.test") == 250
    return raw


LOCAL_65 = b"a" * 65
# a path of exactly 256 octets with its brackets (§4.5.3.1.3): < + 64 + @ + 189 + >
DOMAIN_189 = b".".join([b"d" * 62, b"d" * 62, b"d" * 63])
assert len(DOMAIN_189) == 189


# -- commands ------------------------------------------------------------------------------
@pytest.mark.parametrize("line, code", [
    (b"NOOP " + b"x" * 505, 250),                # 512 octets with CRLF: the limit, allowed
    (b"NOOP " + b"x" * 506, 500),                # 513: too long (§4.5.3.1.4)
    (b"NOOP " + b"x" * 995, 500),                # a 1000-octet "text line" is no command line
    (b"A" * 5000, 500),
    (b"NO\x00OP", 500),                          # NUL
    (b"\x00", 500),
    (b"NO\rOP", 500),                            # bare CR inside a line (was a crash)
    (b"\xff\xfe\xfd", 500),                      # invalid UTF-8
    ("NÖOP".encode(), 500),                      # non-ASCII verb: unknown command
    (b"\x1b[2J\x1b[H", 500),                     # terminal escapes are just an unknown command
    (b"", 500),
    (b"HELO", 501),
    (b"EHLO \xc3", 500),
    (b"EHLO bad..name", 501),
    (b"MAIL FROM:alice", 501),                   # no angle brackets
    (b"MAIL FROM:<<a@b.example>>", 501),
    (b"MAIL FROM:<" + LOCAL_65 + b"@example.org>", 501),  # local part > 64 (§4.5.3.1.1)
    (b"MAIL FROM:<" + b"a" * 64 + b"@" + DOMAIN_189 + b"x>", 501),  # 257-octet path
    (b"MAIL FROM:<a\x00b@example.org>", 500),
    (b"MAIL FROM:<\xff@example.org>", 500),
    ("MAIL FROM:<jörg@example.org>".encode(), 550),   # non-ASCII needs SMTPUTF8 (RFC 6531)
    (b"MAIL FROM:<a@example.org> FOO=BAR", 555),      # unknown ESMTP parameter
    (b"MAIL FROM:<a@example.org> SIZE=20001", 552),   # declared size over the limit
    (b"MAIL FROM:<a@example.org> SIZE=lots", 501),
    (b"MAIL FROM:<a@example.org> SIZE=" + b"9" * 30, 501),
    (b"MAIL FROM:<a@example.org> BODY=BINARYMIME", 504),
    (b"MAIL FROM:<a@example.org> =x", 501),
    (b"RCPT TO:<b@example.org>", 503),
    (b"DATA", 503),
    (b"AUTH PLAIN AGFsaWNlAHNlY3JldA==", 502),   # no users configured: AUTH not offered
    (b"STARTTLS", 502),                          # no certificate: STARTTLS not offered
])
def test_hostile_command_in_ready(raw, line, code):
    ready(raw)
    assert raw.ask_code(line) == code
    assert in_ready(raw)


def test_path_of_exactly_256_octets_is_accepted(raw):
    ready(raw)
    assert raw.ask_code(b"MAIL FROM:<" + b"a" * 64 + b"@" + DOMAIN_189 + b">") == 250
    assert in_mail(raw)


def test_smtputf8_address_with_the_parameter(raw):
    ready(raw)
    assert raw.ask_code("MAIL FROM:<jörg@example.org> SMTPUTF8".encode()) == 250
    assert raw.ask_code("RCPT TO:<zoë@exämple.org>".encode()) == 250
    assert in_rcpt(raw)


@pytest.mark.parametrize("line, code", [
    (b"RCPT TO:<b@example.org> NOTIFY=NEVER", 555),   # no RCPT parameters offered
    (b"RCPT TO:b@example.org", 501),
    (b"RCPT TO:<>", 501),
    ("RCPT TO:<zoë@example.org>".encode(), 553),
    (b"RCPT TO:<" + LOCAL_65 + b"@example.org>", 501),
    (b"RCPT TO:<b\xc3@example.org>", 500),
])
def test_hostile_recipient(raw, line, code):
    ready(raw)
    raw.ask_code(b"MAIL FROM:<a@example.org>")
    assert raw.ask_code(line) == code
    assert in_mail(raw)


def test_long_line_without_crlf_in_pieces_gets_one_500(raw):
    ready(raw)
    for _ in range(20):
        raw.send(b"X" * 300)  # 6000 octets, never a line end
    assert raw.code() == 500
    raw.send(b"tail of the long line\r\nNOOP\r\n")
    assert raw.code() == 250  # one 500 for the whole line, then the next command
    assert in_ready(raw)


@pytest.mark.parametrize("chunks, code", [
    ([b"NOOP\r", b"\n"], 250),                        # CRLF split between writes
    ([b"NO", b"OP", b"\r\n"], 250),
    ([b"NOOP\n"], 500),  # RFC 5321 §2.3.8: a bare LF ends no line (Limits.bare_lf_commands would)
])
def test_split_and_bare_lf_commands(raw, chunks, code):
    ready(raw)
    raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each write its own segment
    for chunk in chunks:
        raw.send(chunk)
    assert raw.code() == code
    assert raw.ask_code(b"NOOP") == 250


# -- messages ------------------------------------------------------------------------------
def transaction(raw: Raw, recipients: int = 1) -> None:
    ready(raw)
    assert raw.ask_code(b"MAIL FROM:<a@example.org>") == 250
    for n in range(recipients):
        assert raw.ask_code(b"RCPT TO:<r%d@example.org>" % n) == 250
    assert raw.ask_code(b"DATA") == 354


def test_oversize_message_actual_size(server, raw):
    before = len(server.mailbox)
    transaction(raw)
    for _ in range(50):
        raw.send(b"x" * 998 + b"\r\n")  # 50 kB, limit is 20 kB
    raw.send(b".\r\n")
    assert raw.code() == 552
    assert len(server.mailbox) == before
    assert in_ready(raw)


def test_text_line_over_1000_octets_refused(server, raw):
    before = len(server.mailbox)
    transaction(raw)
    raw.send(b"y" * 999 + b"\r\n.\r\n")  # 1001 octets with its CRLF (§4.5.3.1.6)
    assert raw.code() == 554
    transaction_ok = raw.ask_code(b"NOOP") == 250
    assert transaction_ok and len(server.mailbox) == before


def test_text_line_of_1000_octets_accepted(server, raw):
    transaction(raw)
    raw.send(b"y" * 998 + b"\r\n.\r\n")
    assert raw.code() == 250


def test_101_recipients(server, raw):
    transaction_recipients = 100
    ready(raw)
    raw.ask_code(b"MAIL FROM:<a@example.org>")
    for n in range(transaction_recipients):
        assert raw.ask_code(b"RCPT TO:<r%d@example.org>" % n) == 250
    for n in range(100, 105):
        assert raw.ask_code(b"RCPT TO:<r%d@example.org>" % n) == 452  # §4.5.3.1.10
    assert raw.ask_code(b"DATA") == 354
    raw.send(b"Subject: many\r\n\r\nhi\r\n.\r\n")
    reply = raw.reply()
    assert reply.startswith(b"250")
    queue_id = reply.rsplit(b" ", 1)[1].decode()
    stored = next(m for m in server.mailbox if m.queue_id == queue_id)
    assert len(stored.rcpt_tos) == 100


def test_commands_during_data_are_message_text(server, raw):
    transaction(raw)
    body = (b"Subject: sneaky\r\n\r\nRSET\r\nQUIT\r\nMAIL FROM:<evil@example.org>\r\n"
            b"RCPT TO:<victim@example.org>\r\nDATA\r\n")
    raw.send(body + b".\r\n")
    reply = raw.reply()
    assert reply.startswith(b"250")
    assert raw.buffer == b""  # exactly one reply for all that text
    queue_id = reply.rsplit(b" ", 1)[1].decode()
    stored = next(m for m in server.mailbox if m.queue_id == queue_id)
    assert stored.content == body and stored.mail_from == "a@example.org"
    assert in_ready(raw)


def test_nul_and_invalid_utf8_in_message_text_are_kept(server, raw):
    transaction(raw)
    body = b"Subject: bytes\r\n\r\n\x00\xff\xfe\r\n"
    raw.send(body + b".\r\n")
    reply = raw.reply()
    assert reply.startswith(b"250")
    stored = next(m for m in server.mailbox if m.queue_id == reply.rsplit(b" ", 1)[1].decode())
    assert stored.content == body


# -- RSET everywhere -------------------------------------------------------------------------
def test_rset_in_greeted(raw):
    assert raw.ask_code(b"RSET") == 250
    assert in_greeted(raw)


def test_rset_in_ready(raw):
    ready(raw)
    assert raw.ask_code(b"RSET") == 250
    assert in_ready(raw)


def test_rset_in_mail(raw):
    ready(raw)
    raw.ask_code(b"MAIL FROM:<a@example.org>")
    assert raw.ask_code(b"RSET") == 250
    assert in_ready(raw)


def test_rset_in_rcpt(server, raw):
    ready(raw)
    raw.ask_code(b"MAIL FROM:<a@example.org>")
    raw.ask_code(b"RCPT TO:<b@example.org>")
    assert raw.ask_code(b"RSET") == 250
    assert in_ready(raw)
    assert raw.ask_code(b"MAIL FROM:<c@example.org>") == 250  # a fresh envelope, not the old one
    assert raw.ask_code(b"RCPT TO:<d@example.org>") == 250
    assert raw.ask_code(b"DATA") == 354
    raw.send(b"x\r\n.\r\n")
    reply = raw.reply()
    stored = next(m for m in server.mailbox if m.queue_id == reply.rsplit(b" ", 1)[1].decode())
    assert (stored.mail_from, stored.rcpt_tos) == ("c@example.org", ("d@example.org",))


def test_rset_in_data_is_text(server, raw):
    transaction(raw)
    raw.send(b"RSET\r\n.\r\n")
    reply = raw.reply()
    stored = next(m for m in server.mailbox if m.queue_id == reply.rsplit(b" ", 1)[1].decode())
    assert stored.content == b"RSET\r\n"


def test_rset_in_auth_is_not_an_answer():
    with Server(users={"alice": "secret"}, auth_without_tls=True) as srv:
        raw = Raw(srv.address)
        raw.reply()
        ready(raw)
        assert raw.ask_code(b"AUTH PLAIN") == 334
        assert raw.ask_code(b"RSET") == 501  # in AUTH a line is base64 (RFC 4954 §4), not a command
        assert in_ready(raw)
        assert raw.ask_code(b"AUTH LOGIN") == 334
        assert raw.ask_code(b"RSET") == 334  # "RSET" is valid base64 of a (strange) user name...
        assert raw.ask_code(b"*") == 501     # ...and "*" cancels
        assert in_ready(raw)
        raw.close()


# -- a client that never ends its line --------------------------------------------------------
def test_client_that_never_sends_crlf_gets_500_once_then_421():
    with Server(idle_timeout=0.5) as srv:
        raw = Raw(srv.address)
        raw.reply()
        started = time.monotonic()
        raw.send(b"EHLO " + b"x" * 600)
        assert raw.code() == 500
        for _ in range(5):
            raw.send(b"y" * 100)  # keeps trickling, still no line end
        reply = raw.reply()
        assert reply.startswith(b"421 4.4.2")  # timeout, §4.5.3.2.7 and §3.8
        assert raw.closed()
        assert time.monotonic() - started < 10
        raw.close()


# -- safe defaults ---------------------------------------------------------------------------
def test_binds_loopback_by_default():
    with Server() as srv:
        assert srv.address[0] == "127.0.0.1"


def test_relay_refused_with_an_explanation_when_local_domains_are_set():
    with Server(local_domains=["example.org"]) as srv, Client(*srv.address, timeout=10) as client:
        client.ehlo()
        client.mail("alice@example.org")
        refused = client.rcpt("victim@elsewhere.test")
        assert (refused.code, refused.enhanced) == (550, "5.7.1")
        assert "Relaying denied: elsewhere.test is not a local domain" in refused.text
        assert wait_for(lambda: len(srv.transcripts) == 1)
        on_server = [t.reply for t in srv.transcripts[0].turns if t.reply.code == 550]
        assert "open relay" in on_server[0].explanation  # the transcript teaches why
        assert client.rcpt("bob@EXAMPLE.org").code == 250  # domains are case-insensitive
        assert client.rcpt("Postmaster").code == 250  # §4.5.1: always accepted


def test_never_relays_mail_is_only_stored_locally():
    with Server() as srv, Client(*srv.address, timeout=10) as client:
        assert client.send_mail("a@example.org", "b@elsewhere.test", "hi").code == 250
        assert wait_for(lambda: len(srv.mailbox) == 1)  # in the local mailbox, sent nowhere
