"""Python's smtplib against smtplearn.Server over 127.0.0.1.

Every message must arrive byte-identical apart from our Received: trace line
(compared by SHA-256 of ``message.content``, and ``message.data`` is the
trace line plus that content).
"""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage

import pytest

from smtplearn import Server

CLIENT = "client.test"  # always explicit: nothing may depend on this machine's name


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with Server(hostname="mx.test") as running:
        yield running


@pytest.fixture
def smtp(server: Server):  # type: ignore[no-untyped-def]
    host, port = server.address
    with smtplib.SMTP(host, port, local_hostname=CLIENT, timeout=30) as client:
        yield client


def only_message(server: Server):  # type: ignore[no-untyped-def]
    [message] = server.mailbox
    assert message.data == message.received_header + message.content
    assert message.received_header.startswith(b"Received: from client.test ([127.0.0.1])\r\n")
    return message


def test_sendmail(server: Server, smtp: smtplib.SMTP) -> None:
    body = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello Bob.\r\n"
    assert smtp.sendmail("alice@example.org", ["bob@example.org"], body) == {}
    message = only_message(server)
    assert sha(message.content) == sha(body)
    assert (message.mail_from, message.rcpt_tos) == ("alice@example.org", ("bob@example.org",))
    assert smtp.does_esmtp and smtp.has_extn("pipelining") and smtp.has_extn("smtputf8")
    assert int(smtp.esmtp_features["size"]) == server.limits.message_size


def test_send_message(server: Server, smtp: smtplib.SMTP) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@example.org", "bob@example.org, carol@example.org", "hello"
    msg.set_content("Line one.\n.Line with a dot.\n")
    assert smtp.send_message(msg) == {}
    message = only_message(server)
    assert message.rcpt_tos == ("bob@example.org", "carol@example.org")
    sent = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    assert sha(message.content) == sha(sent)
    assert message.email["Subject"] == "hello"


def test_one_mebibyte_message(server: Server, smtp: smtplib.SMTP) -> None:
    line = b"0123456789abcdef" * 4 + b"\r\n"
    body = b"Subject: big\r\n\r\n" + line * (1024 * 1024 // len(line) + 1)
    assert len(body) >= 1024 * 1024
    assert smtp.sendmail("alice@example.org", "bob@example.org", body) == {}
    message = only_message(server)
    assert len(message.content) == len(body) and sha(message.content) == sha(body)


def test_message_over_the_size_limit_is_refused_552() -> None:
    from smtplearn.protocol import Limits
    with Server(hostname="mx.test", limits=Limits(message_size=10_000)) as server:
        with smtplib.SMTP(*server.address, local_hostname=CLIENT, timeout=30) as smtp:
            with pytest.raises(smtplib.SMTPSenderRefused) as caught:  # smtplib declares SIZE=
                smtp.sendmail("a@example.org", "b@example.org", b"x" * 20_000)
            assert caught.value.smtp_code == 552
            with pytest.raises(smtplib.SMTPDataError) as data_error:  # and without SIZE=
                smtp.esmtp_features.pop("size")
                smtp.sendmail("a@example.org", "b@example.org", b"x" * 70 + b"\r\n" * 1 + b"y\r\n" * 5000)
            assert data_error.value.smtp_code == 552
        assert len(server.mailbox) == 0


def test_150_recipients_100_accepted_the_rest_452(server: Server, smtp: smtplib.SMTP) -> None:
    recipients = [f"r{n:03d}@example.org" for n in range(150)]
    refused = smtp.sendmail("alice@example.org", recipients, b"Subject: many\r\n\r\nhi\r\n")
    # smtplib raises SMTPRecipientsRefused only when *all* are refused; here it reports the 50
    assert sorted(refused) == recipients[100:]
    assert all(code == 452 for code, _ in refused.values())
    assert all(b"4.5.3 Too many recipients" in text for _, text in refused.values())
    message = only_message(server)
    assert message.rcpt_tos == tuple(recipients[:100])
    assert b"\tfor <" not in message.received_header  # several recipients: no "for" clause


def test_all_recipients_refused_raises(server: Server) -> None:
    with Server(hostname="mx.test", local_domains=["example.org"]) as strict:
        with smtplib.SMTP(*strict.address, local_hostname=CLIENT, timeout=30) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
                smtp.sendmail("a@example.org", ["x@elsewhere.test"], b"hi\r\n")
            assert caught.value.recipients["x@elsewhere.test"][0] == 550
        assert len(strict.mailbox) == 0


def test_smtputf8_addresses(server: Server, smtp: smtplib.SMTP) -> None:
    body = "From: jörg@exämple.org\r\nSubject: Grüße\r\n\r\nHallö\r\n".encode()
    refused = smtp.sendmail("jörg@exämple.org", ["josé@exämple.org"], body,
                            mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert refused == {}
    message = only_message(server)
    assert (message.mail_from, message.rcpt_tos) == ("jörg@exämple.org", ("josé@exämple.org",))
    assert ("SMTPUTF8", None) in message.mail_params
    assert sha(message.content) == sha(body)
    assert b" with UTF8SMTP id " in message.received_header


def test_non_ascii_without_smtputf8_is_refused(server: Server, smtp: smtplib.SMTP) -> None:
    smtp.command_encoding = "utf-8"  # smtplib would refuse to encode it otherwise
    with pytest.raises(smtplib.SMTPSenderRefused) as caught:
        smtp.sendmail("jörg@exämple.org", ["b@example.org"], b"hi\r\n")
    assert caught.value.smtp_code == 550 and b"5.6.7" in caught.value.smtp_error


@pytest.mark.parametrize("body", [
    b".\r\n",
    b"..\r\n",
    b".leading\r\n..two\r\n...three\r\n",
    b"Subject: dots\r\n\r\n.\r\n.\r\nend\r\n",
    b"text\r\n.\r\n\r\n.x\r\n",
])
def test_bodies_with_leading_dots(server: Server, smtp: smtplib.SMTP, body: bytes) -> None:
    assert smtp.sendmail("alice@example.org", "bob@example.org", body) == {}
    assert sha(only_message(server).content) == sha(body)


def test_several_messages_on_one_connection_and_rset(server: Server, smtp: smtplib.SMTP) -> None:
    for n in range(3):
        smtp.sendmail("a@example.org", "b@example.org", b"n=%d\r\n" % n)
    smtp.rset()
    assert smtp.noop()[0] == 250
    assert smtp.verify("bob")[0] == 252
    assert smtp.expn("staff")[0] == 252  # RFC 5321 §7.3: disabled for security, 252
    assert [m.content for m in server.mailbox] == [b"n=0\r\n", b"n=1\r\n", b"n=2\r\n"]
    assert len({m.queue_id for m in server.mailbox}) == 3


def test_helo_only_client(server: Server) -> None:
    with smtplib.SMTP(*server.address, local_hostname=CLIENT, timeout=30) as smtp:
        assert smtp.helo()[0] == 250
        assert smtp.sendmail("a@example.org", "b@example.org", b"plain\r\n") == {}
    assert b" with SMTP id " in only_message(server).received_header
