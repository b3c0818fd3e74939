"""The roles of the mail system in the mini-Internet (notebooks 10 and 12): submission with AUTH,
relays, final delivery with Return-Path, loop detection, and bounces as RFC 3464 DSNs."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from smtplearn.delivery.dsn import make_dsn
from smtplearn.mini_internet.roles import (MAX_HOPS, MailSystem, Role, count_received, final_delivery)
from smtplearn.protocol.message import Message
from smtplearn.render.headers import HeaderView, received_parts

TO_BOB = "From: Alice <alice@home.test>\r\nTo: bob@school.test\r\nSubject: Lunch?\r\n\r\nNoon?\r\n"


@pytest.fixture
def system() -> MailSystem:
    return MailSystem()


def test_one_message_passes_msa_relay_and_mx(system):
    journey = system.send(TO_BOB)
    assert [(h.client, h.server, h.role, h.port) for h in journey.hops] == [
        ("laptop.home.test", "smtp.home.test", Role.MSA, 587),
        ("smtp.home.test", "out.home.test", Role.RELAY, 25),
        ("out.home.test", "mx.school.test", Role.MX, 25),
    ]
    assert list(journey.delivered) == ["bob@school.test"]
    assert system.mailboxes["bob@school.test"] == [journey.delivered["bob@school.test"]]


def test_each_hop_prepends_one_received_line(system):
    """RFC 5321 §4.4: "SMTP servers MUST prepend Received lines to messages; they MUST NOT change
    the order of existing lines"."""
    journey = system.send(TO_BOB)
    for n, hop in enumerate(journey.hops):
        assert count_received(hop.message.content) == n  # what arrived at this hop
        assert hop.message.data.startswith(hop.message.received_header)
        assert f"by {hop.server} " in hop.received
    # newest first: the MX's line on top, the MSA's at the bottom
    assert [received_parts(line)["by"] for line in journey.received()] == [
        "mx.school.test", "out.home.test", "smtp.home.test"]
    assert "with ESMTPSA" in journey.received()[-1]  # RFC 3848: S = over TLS, A = authenticated


def test_final_delivery_adds_return_path_first(system):
    """RFC 5321 §4.4: "When the delivery SMTP server makes the 'final delivery' of a message, it
    inserts a return-path line at the beginning of the mail data"."""
    stored = system.send(TO_BOB).delivered["bob@school.test"]
    assert stored.startswith(b"Return-Path: <alice@home.test>\r\nReceived: ")


def test_final_delivery_replaces_an_old_return_path():
    """RFC 5321 §4.4: servers making final delivery "MAY remove Return-path header fields before
    adding their own" -- exactly one ends up in the mailbox."""
    message = Message("alice@home.test", ("bob@school.test",),
                      b"Return-Path: <forged@elsewhere.example>\r\nSubject: x\r\n\r\nhi\r\n")
    stored = final_delivery(message)
    assert stored.count(b"Return-Path:") == 1 and stored.startswith(b"Return-Path: <alice@home.test>")


def test_msa_wants_auth_before_mail(system):
    """RFC 6409 §4.3: "The MSA MUST, by default, issue an error response to the MAIL command if
    the session has not been authenticated"."""
    laptop = system.connect("smtp.home.test", "smtp.home.test", 587, local_hostname="laptop.home.test")
    laptop.ehlo()
    refused = laptop.mail("alice@home.test")
    assert (refused.code, refused.enhanced) == (530, "5.7.0")
    assert laptop.login("alice", "wonderland").code == 538  # no password before TLS (RFC 4954 §6)
    assert laptop.starttls().code == 220
    laptop.ehlo()
    assert laptop.login("alice", "nope").code == 535
    assert laptop.login("alice", "wonderland").code == 235
    assert laptop.mail("alice@home.test").code == 250


def test_wrong_password_delivers_nothing(system):
    journey = system.send(TO_BOB, password="guess")
    assert journey.hops == [] and journey.delivered == {}
    assert [r.code for r in journey.submission.transcript.replies] == [220, 250, 220, 250, 535, 530, 221]


@pytest.mark.parametrize(("host", "port"), [("smtp.home.test", 25), ("mx.school.test", 587),
                                            ("out.home.test", 465)])
def test_each_server_listens_on_its_own_port(system, host, port):
    with pytest.raises(ConnectionRefusedError):
        system.connect(host, host, port, local_hostname="laptop.home.test")


def test_the_relay_is_not_open(system):
    """RFC 5321 §3.6.2: "If it declines to relay mail to a particular address for policy reasons,
    a 550 response SHOULD be returned"."""
    stranger = system.connect("out.home.test", "out.home.test", 25, local_hostname="bulk.example")
    stranger.ehlo()
    stranger.mail("x@bulk.example")
    answer = stranger.rcpt("bob@school.test")
    assert (answer.code, answer.enhanced) == (550, "5.7.1")


# ---------------------------------------------------------------- bounces (RFC 3464)
def bounced_journey(system: MailSystem):
    system.net.host("mx.school.test", rejects=["nobody@school.test"])
    return system.send("From: alice@home.test\r\nTo: nobody@school.test, bob@school.test\r\n"
                       "Subject: Hello\r\nMessage-ID: <m1@home.test>\r\n\r\nHi\r\n")


def test_a_refused_recipient_bounces_to_the_reverse_path(system):
    """RFC 5321 §3.6.3: the relay "MUST construct an 'undeliverable mail' notification message and
    send it to the originator of the undeliverable mail (as indicated by the reverse-path)"."""
    journey = bounced_journey(system)
    assert set(journey.delivered) == {"bob@school.test", "alice@home.test"}
    assert len(journey.dsns) == 1
    relay_report = next(r for r in journey.reports if r.bounced)
    assert relay_report.dsn is journey.dsns[0]  # the report links to the DSN it produced
    into_alice = [h for h in journey.hops if h.server == "mx.home.test"][0].message
    assert into_alice.mail_from == ""  # RFC 3464 §2: "MAIL FROM command MUST use a NULL return address"


def test_the_dsn_has_rfc_3464s_required_fields(system):
    """RFC 3464 §3: "A minimal implementation of this specification need generate only the
    Reporting-MTA per-message field, and the Final-Recipient, Action, and Status fields for each
    attempt"; §2: multipart/report with report-type "delivery-status"."""
    stored = bounced_journey(system).delivered["alice@home.test"]
    dsn = message_from_bytes(stored, policy=policy.default)
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    assert dsn["To"].addresses[0].addr_spec == "alice@home.test"  # §2: addressed to the return address
    human, status, original = dsn.get_payload()
    assert human.get_content_type() == "text/plain" and "nobody@school.test" in human.get_content()
    assert status.get_content_type() == "message/delivery-status"
    per_message, per_recipient = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; out.home.test"
    assert per_recipient["Final-Recipient"] == "rfc822; nobody@school.test"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "5.1.1"
    assert per_recipient["Remote-MTA"] == "dns; mx.school.test"
    assert per_recipient["Diagnostic-Code"].startswith("smtp; 550 5.1.1 ")
    assert original.get_content_type() == "text/rfc822-headers"
    assert "Message-ID: <m1@home.test>" in original.get_content()


def test_no_dsn_about_a_dsn(system):
    """RFC 5321 §6.1: the notification's recipient is the envelope return path, "However, if this
    address is null ("<>"), the receiver-SMTP MUST NOT send a notification."."""
    system.net.host("mx.school.test", rejects=["nobody@school.test"])
    journey = system.send("From: alice@home.test\r\nTo: nobody@school.test\r\n\r\nHi\r\n", sender="")
    assert journey.dsns == [] and journey.delivered == {}
    report = next(r for r in journey.reports if r.bounced)
    assert make_dsn(report, b"Subject: x\r\n\r\n", reporting_mta="out.home.test") is None
    assert any("never bounced" in note.text for note in journey.transcript.entries if hasattr(note, "text"))


def test_a_mail_loop_is_stopped_by_the_hop_count(system):
    """RFC 5321 §6.3: servers counting Received: lines "SHOULD use a large rejection threshold,
    normally at least 100 Received entries" and "MUST contain provisions for detecting and
    stopping trivial loops"."""
    system.forward("mx.school.test", to="out.home.test")  # a misconfigured MX: sends everything back
    journey = system.send(TO_BOB)
    assert MAX_HOPS >= 100
    stopped = next(r for r in journey.reports if r.bounced)
    reply = stopped["bob@school.test"].reply
    assert (reply.code, reply.enhanced) == (554, "5.4.6")
    assert len(journey.hops) >= MAX_HOPS
    dsn = message_from_bytes(journey.delivered["alice@home.test"], policy=policy.default)
    assert dsn.get_payload()[1].get_payload()[1]["Status"] == "5.4.6"
    assert "bob@school.test" not in journey.delivered


# ---------------------------------------------------------------- the header view
def test_received_parts_of_a_real_world_line():
    parts = received_parts("from mail.example.com (mail.example.com [203.0.113.9])\r\n\tby mx.google.com "
                           "with ESMTPS id abc123\r\n\tfor <bob@gmail.com>; Mon, 1 Jan 2024 10:00:00 -0800")
    assert parts == {"claim": "mail.example.com", "observed": "(mail.example.com [203.0.113.9])",
                     "by": "mx.google.com", "with": "ESMTPS", "id": "abc123", "for": "<bob@gmail.com>",
                     "date": "Mon, 1 Jan 2024 10:00:00 -0800"}


def test_header_view_explains_trace_fields_and_escapes(system):
    stored = system.send(TO_BOB).delivered["bob@school.test"]
    html = HeaderView(stored.replace(b"Subject: Lunch?", b"Subject: <b>hi</b>"))._repr_html_()
    assert "<b>hi</b>" not in html and "&lt;b&gt;hi&lt;/b&gt;" in html
    assert html.count("<details>") == 4  # Return-Path and three Received lines
    assert "a claim" in html and "an observation" in html
    assert repr(HeaderView(stored)).startswith("* Return-Path: <alice@home.test>")


def test_a_careful_mail_program_stops_when_starttls_is_stripped(system):
    """RFC 8314 §5.2: an MUA requiring confidentiality "MUST NOT attempt to perform any operation
    other than capability discovery, or STARTTLS ... unless the minimum level of confidentiality
    is provided by that connection"."""
    from smtplearn.transports.memory_tls import strip_starttls
    system.on_path["smtp.home.test"] = strip_starttls
    careful = system.send(TO_BOB)
    assert careful.problem and careful.hops == [] and careful.delivered == {}
    assert [t.command.verb.value for t in careful.submission.transcript.turns if t.command] == ["EHLO", "QUIT"]
    careless = system.send(TO_BOB, require_tls=False)
    sent = [t.sent for t in careless.submission.transcript.turns]
    assert any(line.startswith(b"AUTH PLAIN ") for line in sent)  # the password crossed in clear ...
    assert careless.delivered == {}  # ... and still nothing was accepted: 538, then 530 to MAIL
    assert [r.code for r in careless.submission.transcript.replies][2:4] == [538, 530]
