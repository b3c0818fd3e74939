"""STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954, RFC 4616).

Interop against real peers on 127.0.0.1: Python's smtplib, swaks, and our
own Client, all talking to the threaded Server through a class certificate
made by trustme. The rules checked: AUTH is offered only after STARTTLS by
default (538 before); bytes sent after STARTTLS but before the handshake are
thrown away (CVE-2011-0411); the session starts over after TLS (§4.2); the
transcript shows the base64 decoded.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
import subprocess
import time

import pytest

from smtplearn import Client, ProtocolError, Server, SMTPTLSError
from smtplearn.protocol import ClientSession, ServerSession, Signal, State, Verb
from smtplearn.protocol.auth import (Credentials, decode_plain, plain_response, shown_decoded)
from smtplearn.transports.tls import ClassCertificate, unverified_client_context
from wire import RawPeer as Raw, wait_for

pytest.importorskip("trustme")

USERS = {"alice": "secret", "bob": "pässwörd"}
MESSAGE = b"Subject: over TLS\r\n\r\nhello\r\n"


@pytest.fixture(scope="module")
def cert() -> ClassCertificate:
    return ClassCertificate()


@pytest.fixture
def server(cert):
    with Server(certificate=cert, users=USERS, idle_timeout=10) as srv:
        yield srv


# -- interop: smtplib ---------------------------------------------------------------
@pytest.mark.parametrize("verified", [True, False], ids=["class-CA", "unverified"])
def test_smtplib_starttls_login_sendmail(server, cert, verified):
    context = cert.client_context() if verified else unverified_client_context()
    with smtplib.SMTP(*server.address, local_hostname="client.test", timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls") and not smtp.has_extn("auth")
        assert smtp.starttls(context=context)[0] == 220
        smtp.ehlo()
        assert smtp.has_extn("auth") and not smtp.has_extn("starttls")
        assert "PLAIN" in smtp.esmtp_features["auth"] and "LOGIN" in smtp.esmtp_features["auth"]
        assert smtp.login("alice", "secret")[0] == 235
        assert smtp.sendmail("alice@example.org", ["bob@example.org"], MESSAGE) == {}
    assert wait_for(lambda: len(server.mailbox) == 1)
    stored = server.mailbox[0]
    assert stored.content == MESSAGE
    assert b"with ESMTPSA" in stored.received_header  # RFC 3848: TLS (S) and AUTH (A)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_smtplib_login_each_mechanism_and_wrong_password(server, cert, mechanism):
    with smtplib.SMTP(*server.address, timeout=10) as smtp:
        smtp.starttls(context=cert.client_context())
        smtp.ehlo()
        smtp.user, smtp.password = "bob", "wrong"
        method = getattr(smtp, f"auth_{mechanism.lower()}")
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.auth(mechanism, method, initial_response_ok=True)
        assert refused.value.smtp_code == 535
        smtp.user, smtp.password = "alice", "secret"  # smtplib encodes ASCII only
        assert smtp.auth(mechanism, method, initial_response_ok=False)[0] == 235


def test_non_ascii_password_is_utf8(server, cert):
    with Client(*server.address, tls_context=cert.client_context(), timeout=10) as client:
        client.ehlo(); client.starttls(); client.ehlo()
        assert client.login("bob", USERS["bob"], "LOGIN").code == 235  # UTF-8, RFC 4616 §2


# -- interop: swaks ---------------------------------------------------------------------
@pytest.mark.peers
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_swaks_tls_auth(server, system_binary, perl_module, mechanism):
    swaks = system_binary("swaks")
    perl_module("Net::SSLeay", "libnet-ssleay-perl")  # swaks' --tls needs it
    host, port = server.address
    done = subprocess.run(
        [swaks, "--server", host, "--port", str(port), "--tls", "--auth", mechanism,
         "--auth-user", "alice", "--auth-password", "secret", "--from", "alice@example.org",
         "--to", "bob@example.org", "--helo", "swaks.test", "--timeout", "10"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "235 2.7.0 Authentication successful" in done.stdout
    assert wait_for(lambda: len(server.mailbox) == 1)
    assert server.mailbox[0].rcpt_tos == ("bob@example.org",)


@pytest.mark.peers
def test_swaks_auth_without_tls_is_refused(server, system_binary):
    swaks = system_binary("swaks")
    host, port = server.address
    done = subprocess.run(
        [swaks, "--server", host, "--port", str(port), "--auth", "PLAIN", "--auth-user", "alice",
         "--auth-password", "secret", "--to", "bob@example.org", "--timeout", "10"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode != 0  # swaks sees no AUTH offered and gives up
    assert len(server.mailbox) == 0


# -- interop: our Client ------------------------------------------------------------------
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_our_client_starttls_login(server, cert, mechanism):
    with Client(*server.address, tls_context=cert.client_context(), timeout=10) as client:
        client.ehlo()
        assert "STARTTLS" in client.extensions
        assert client.starttls().code == 220
        assert client.state is State.GREETED and client.extensions == {}  # §4.2: forget it all
        client.ehlo()
        assert client.extensions["AUTH"] == "PLAIN LOGIN"
        assert client.login("alice", "secret", mechanism).code == 235
        assert client.send_mail("alice@example.org", "bob@example.org", MESSAGE).code == 250
    text = client.transcript.text()
    assert "=== TLS handshake: TLSv1." in text
    if mechanism == "PLAIN":
        assert "AUTH PLAIN AGFsaWNlAHNlY3JldA==   (decoded: \\0alice\\0secret)" in text
    else:
        assert "334 VXNlcm5hbWU6   (decoded: Username:)" in text
        assert "YWxpY2U=   (decoded: alice)" in text
    assert "decoded: " in client.transcript._repr_html_()
    assert wait_for(lambda: len(server.mailbox) == 1)
    server_text = server.transcripts[0].text()
    assert "=== TLS handshake" in server_text and "decoded: " in server_text


def test_our_client_verifies_the_certificate_by_default(server):
    with Client(*server.address, timeout=10) as client:
        client.ehlo()
        with pytest.raises(SMTPTLSError, match="certificate this client does not trust") as caught:
            client.starttls()  # the class CA is not in the system's trust store
        assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
        assert isinstance(caught.value, ProtocolError)  # one of the package's errors


def test_wrong_password_then_right_one(server, cert):
    with Client(*server.address, tls_context=cert.client_context(), timeout=10) as client:
        client.ehlo()
        client.starttls()
        client.ehlo()
        assert client.login("alice", "nope").code == 535
        assert client.state is State.READY
        assert client.login("alice", "secret", "LOGIN").code == 235
        assert client.login("alice", "secret").code == 503  # RFC 4954 §4: only once


# -- the default: AUTH only after STARTTLS ------------------------------------------------
def test_auth_before_starttls_is_538_and_not_offered(server):
    with Client(*server.address, timeout=10) as client:
        client.ehlo()
        assert "AUTH" not in client.extensions
        refused = client.login("alice", "secret")
        assert (refused.code, refused.enhanced) == (538, "5.7.11")
        assert client.state is State.READY


def test_auth_without_tls_is_an_opt_in_for_the_lesson(cert):
    with Server(users=USERS, auth_without_tls=True) as srv:
        with Client(*srv.address, timeout=10) as client:
            client.ehlo()
            assert "STARTTLS" not in client.extensions  # no certificate: no STARTTLS
            assert client.login("alice", "secret").code == 235


def test_no_users_no_auth(cert):
    with Server(certificate=cert) as srv, Client(*srv.address, tls_context=cert.client_context(),
                                                 timeout=10) as client:
        client.ehlo(); client.starttls(); client.ehlo()
        assert "AUTH" not in client.extensions
        assert client.login("alice", "secret").code == 502


# -- STARTTLS command injection (CVE-2011-0411) -------------------------------------------
def test_commands_buffered_before_tls_are_discarded(server, cert):
    raw = Raw(server.address)
    try:
        raw.reply()
        raw.send(b"EHLO evil.test\r\n")
        raw.reply()
        raw.send(b"STARTTLS\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.org>\r\n")
        assert raw.reply().startswith(b"220 2.0.0")
        assert raw.buffer == b""
        tls = cert.client_context().wrap_socket(raw.sock, server_hostname="127.0.0.1")
        tls.sendall(b"EHLO evil.test\r\nRCPT TO:<bob@example.org>\r\n")
        raw.sock, raw.buffer = tls, b""
        assert raw.reply().startswith(b"250-smtplearn.test greets evil.test")
        # no MAIL was taken from the clear-text bytes: the session is fresh (RFC 3207 §4.2)
        assert raw.reply().startswith(b"503 5.5.1 RCPT is not allowed before MAIL FROM")
    finally:
        raw.close()
    assert wait_for(lambda: server.active_connections == 0)
    verbs = [t.trigger for t in server.transcripts[0].turns]
    assert Verb.MAIL not in verbs


def test_starttls_only_in_ready_and_only_once(server, cert):
    with Client(*server.address, tls_context=cert.client_context(), timeout=10) as client:
        assert client.starttls().code == 503  # before EHLO
        client.ehlo()
        client.mail("alice@example.org")
        assert client.starttls().code == 503  # not inside a mail transaction
        client.rset()
        assert client.starttls().code == 220
        client.ehlo()
        assert client.mail("alice@example.org").code == 250
        assert client.rset().code == 250
        assert client.starttls().code == 502  # RFC 3207 §4: not offered once TLS is on


def test_session_starts_over_after_tls(server, cert):
    with Client(*server.address, tls_context=cert.client_context(), timeout=10) as client:
        client.ehlo()
        client.starttls()
        assert client.mail("alice@example.org").code == 503  # EHLO first again (§4.2)


def test_failed_handshake_closes_only_that_connection(server, cert):
    raw = Raw(server.address)
    raw.reply()
    raw.send(b"EHLO x.test\r\n")
    raw.reply()
    raw.send(b"STARTTLS\r\n")
    raw.reply()
    raw.send(b"this is not a TLS ClientHello\r\n" * 4)
    try:
        while raw.sock.recv(100):  # an alert, maybe; then the server hangs up
            pass
    except ConnectionResetError:
        pass
    raw.close()
    assert wait_for(lambda: server.active_connections == 0)
    assert "TLS handshake failed" in server.transcripts[0].text()
    with Client(*server.address, tls_context=cert.client_context(), timeout=10) as client:
        client.ehlo()
        assert client.starttls().code == 220


def test_tls_handshake_timeout_is_the_idle_timeout(cert):
    with Server(certificate=cert, idle_timeout=0.5) as srv:
        raw = Raw(srv.address)
        raw.reply()
        raw.send(b"EHLO x.test\r\nSTARTTLS\r\n")
        raw.reply(); raw.reply()
        started = time.monotonic()
        assert raw.sock.recv(100) == b""  # silent during the handshake: closed
        assert time.monotonic() - started < 5
        raw.close()


# -- sans-I/O: the exchange, step by step ------------------------------------------------
def session(**options) -> ServerSession:
    s = ServerSession(authenticator=Credentials(USERS), auth_without_tls=True, **options)
    s.start()
    s.receive_data(b"EHLO c.test\r\n")
    s.data_to_send()
    return s


def test_plain_helpers():
    assert plain_response("alice", "secret") == "AGFsaWNlAHNlY3JldA=="
    assert decode_plain(base64.b64decode("AGFsaWNlAHNlY3JldA==")) == ("", "alice", "secret")
    assert shown_decoded("AGFsaWNlAHNlY3JldA==") == "\\0alice\\0secret"
    assert shown_decoded("not base64!") is None
    with pytest.raises(ValueError):
        plain_response("al\0ice", "x")


@pytest.mark.parametrize("lines, codes, state", [
    ([b"AUTH PLAIN AGFsaWNlAHNlY3JldA=="], [235], State.READY),
    ([b"AUTH PLAIN", b"AGFsaWNlAHNlY3JldA=="], [334, 235], State.READY),
    ([b"AUTH PLAIN", b"*"], [334, 501], State.READY),
    ([b"AUTH LOGIN", b"*"], [334, 501], State.READY),
    ([b"AUTH LOGIN", b"YWxpY2U=", b"*"], [334, 334, 501], State.READY),
    ([b"AUTH LOGIN", b"YWxpY2U=", b"c2VjcmV0"], [334, 334, 235], State.READY),
    ([b"AUTH LOGIN YWxpY2U=", b"c2VjcmV0"], [334, 235], State.READY),
    ([b"AUTH PLAIN", b"not base64!"], [334, 501], State.READY),
    ([b"AUTH PLAIN", b"RSET"], [334, 501], State.READY),  # a command is not an answer
    ([b"AUTH PLAIN", b"QUIT"], [334, 501], State.READY),
    ([b"AUTH PLAIN", b"="], [334, 501], State.READY),
    ([b"AUTH PLAIN AGFsaWNlAHdyb25n"], [535], State.READY),
    ([b"AUTH CRAM-MD5"], [504], State.READY),
    ([b"AUTH"], [501], State.READY),
    ([b"AUTH PLAIN", b"\xff\xfe"], [334, 500], State.READY),
    ([b"MAIL FROM:<a@b.test>", b"AUTH PLAIN"], [250, 503], State.MAIL),
])
def test_auth_exchanges(lines, codes, state):
    s = session()
    got = []
    for line in lines:
        for event in s.receive_data(line + b"\r\n"):
            if hasattr(event, "reply"):
                got.append(event.reply.code)
                assert event.after in State  # always a state from the table
    assert (got, s.state) == (codes, state)
    assert s.authenticated_as == ("alice" if codes[-1] == 235 else None)


def test_auth_response_trigger_in_the_exchange():
    s = session()
    s.receive_data(b"AUTH PLAIN\r\n")
    (exchange,) = s.receive_data(b"AGFsaWNlAHNlY3JldA==\r\n")
    assert (exchange.trigger, exchange.before, exchange.after) == (
        Signal.AUTH_RESPONSE, State.AUTH, State.READY)


def test_tls_started_resets_the_session_and_drops_the_rest():
    s = ServerSession(tls_available=True, authenticator=Credentials(USERS))
    s.start()
    s.receive_data(b"EHLO c.test\r\n")
    assert b"STARTTLS" in s.data_to_send()
    s.receive_data(b"STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n")
    assert s.data_to_send() == b"220 2.0.0 Ready to start TLS\r\n"
    assert (s.state, s.tls_pending, s.discarded_before_tls) == (State.GREETED, True, len(b"MAIL FROM:<evil@x.test>\r\n"))
    assert s.receive_data(b"more clear text\r\n") == []  # still before the handshake
    s.tls_started()
    assert (s.helo, s.esmtp, s.tls_active, s.state) == (None, False, True, State.GREETED)
    s.receive_data(b"EHLO c.test\r\n")
    ehlo = s.data_to_send()
    assert b"AUTH PLAIN LOGIN" in ehlo and b"STARTTLS" not in ehlo


def test_tls_started_out_of_turn_is_a_local_error():
    from smtplearn.protocol import LocalProtocolError
    s = ServerSession(tls_available=True)
    s.start()
    with pytest.raises(LocalProtocolError):
        s.tls_started()


def test_client_drops_replies_injected_after_the_220():
    client = ClientSession()
    client.receive_data(b"220 mx ESMTP\r\n")
    client.send_line("EHLO c.test")
    client.receive_data(b"250-mx\r\n250 STARTTLS\r\n")
    client.send_line("STARTTLS")
    exchanges = client.receive_data(b"220 go\r\n250 injected by a man in the middle\r\n")
    assert [e.reply.code for e in exchanges] == [220]
    assert client.waiting == 0 and client.extensions == {} and client.state is State.GREETED


def test_stop_answers_a_tls_session_with_421(cert):
    srv = Server(certificate=cert, users=USERS, idle_timeout=30).start()
    client = Client(*srv.address, tls_context=cert.client_context(), timeout=10)
    client.ehlo(); client.starttls(); client.ehlo()
    assert client.login("alice", "secret").code == 235
    srv.stop()
    assert srv.active_connections == 0
    assert client.noop().code == 421  # read from the TLS stream: the 421 came encrypted
    client.close()


def test_idle_timeout_after_tls_is_421(cert):
    with Server(certificate=cert, idle_timeout=0.5) as srv:
        client = Client(*srv.address, tls_context=cert.client_context(), timeout=10)
        client.ehlo(); client.starttls(); client.ehlo()
        assert wait_for(lambda: srv.active_connections == 0)  # we stay silent; it gives up
        assert client.noop().code == 421
        client.close()
