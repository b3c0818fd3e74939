# The offline mini-Internet: zone-text DNS + in-process servers, and the same deliver() on top.
# No sockets at all: every test here runs with no network, not even loopback.
from __future__ import annotations

import re

import pytest

from smtplearn.delivery import DeliveryReport, Status
from smtplearn.mini_internet import LESSONS, SAMPLE_MESSAGE, Behaviour, MiniInternet

MESSAGE = "From: Alice <alice@home.test>\r\nTo: {to}\r\nSubject: hi\r\n\r\nHello.\r\n"


def send(net: MiniInternet, *recipients: str, **options) -> DeliveryReport:
    return net.deliver(MESSAGE.format(to=", ".join(recipients)), **options)


@pytest.fixture
def net() -> MiniInternet:
    return MiniInternet.classroom()


def pair_world(first: str, **first_options) -> MiniInternet:
    """example.test: MX 10 mx1 (given behaviour), MX 20 mx2 (normal)."""
    world = MiniInternet().add_domain("example.test", mx=[("mx1.example.test", 10), ("mx2.example.test", 20)])
    world.host("mx1.example.test", behaviour=first, **first_options)
    return world


def senders_connections(report: DeliveryReport) -> list[str]:
    """The servers the sender talked to, in order, from the transcript's turns."""
    servers: list[str] = []
    for turn in report.transcript.turns:
        if not servers or servers[-1] != turn.server:
            servers.append(turn.server)
    return servers


# ---------------------------------------------------------------- failover
def test_failover_after_a_dead_host(net):
    report = send(net, "bob@school.test")
    assert report.delivered == ["bob@school.test"] and report.exit_code == 0
    assert report["bob@school.test"].host == "mx2.school.test"
    assert net.host("mx1.school.test").connections == 1  # it was tried first
    assert len(net.mailbox("mx1.school.test")) == 0 and len(net.mailbox("mx2.school.test")) == 1
    kinds = [(e.kind, e.target) for e in report.transcript.entries if not hasattr(e, "exchange")]
    assert ("connect", "mx1.school.test") in kinds
    assert "connection refused" in report.transcript.text()


def test_failover_after_421_greeting(net):
    report = send(net, "carol@post.test")
    assert report["carol@post.test"].host == "mx2.post.test"
    assert senders_connections(report) == ["mx1.post.test", "mx2.post.test"]
    first = report.transcript.turns[0]
    assert first.server == "mx1.post.test" and first.reply.code == 421


@pytest.mark.parametrize("behaviour, code, stage", [("greylist", 450, "RCPT"), ("tempfail", 451, "MAIL")])
def test_failover_after_4xx_to_mail_or_rcpt(behaviour, code, stage):
    world = pair_world(behaviour)
    report = send(world, "bob@example.test")
    assert report["bob@example.test"].status is Status.DELIVERED
    assert report["bob@example.test"].host == "mx2.example.test"
    refusal = next(t for t in report.transcript.turns if t.reply.code == code)
    assert refusal.server == "mx1.example.test" and refusal.sent.startswith(stage.encode())
    assert senders_connections(report) == ["mx1.example.test", "mx2.example.test"]


def test_every_host_failing_temporarily_defers():
    world = pair_world("down")
    world.host("mx2.example.test", behaviour="busy")
    report = send(world, "bob@example.test")
    result = report["bob@example.test"]
    assert result.status is Status.DEFERRED and report.exit_code == 1
    assert result.reply is not None and result.reply.code == 421
    assert "retries later" in result.reason


# ---------------------------------------------------------------- bounces
def test_5xx_to_one_rcpt_bounces_only_that_recipient(net):
    report = send(net, "carol@post.test", "nobody@post.test")
    assert report["nobody@post.test"].status is Status.BOUNCED
    assert report["nobody@post.test"].reply.code == 550
    assert report.delivered == ["carol@post.test"] and report.exit_code == 2
    (message,) = net.mailbox("mx2.post.test")
    assert message.rcpt_tos == ("carol@post.test",)


def test_a_5xx_is_not_retried_at_the_next_mx():
    world = pair_world("normal", rejects=["bob@example.test"])
    report = send(world, "bob@example.test")
    assert report.bounced == ["bob@example.test"]
    assert world.host("mx2.example.test").connections == 0  # permanent: no other MX is asked


def test_null_mx_bounces_without_any_connection(net):
    report = send(net, "x@nomail.test")
    result = report["x@nomail.test"]
    assert result.status is Status.BOUNCED and "RFC 7505" in result.reason
    assert report.transcript.turns == [] and sum(h.connections for h in net.hosts) == 0
    assert any("null MX" in e.text for e in report.transcript.entries if e.target == "DNS")


def test_no_such_domain_bounces_and_broken_dns_defers(net):
    net.break_dns("grey.test", "SERVFAIL")
    report = send(net, "q@nowhere.test", "y@grey.test")
    assert report["q@nowhere.test"].status is Status.BOUNCED
    assert "does not exist" in report["q@nowhere.test"].reason
    assert report["y@grey.test"].status is Status.DEFERRED


# ---------------------------------------------------------------- the rest of §5.1
def test_two_domains_in_one_call_one_session_each(net):
    report = send(net, "bob@school.test", "carol@post.test", "dave@school.test")
    assert report.delivered == ["bob@school.test", "carol@post.test", "dave@school.test"]
    (school,) = net.mailbox("mx2.school.test")
    assert school.rcpt_tos == ("bob@school.test", "dave@school.test")  # grouped: one transaction
    assert senders_connections(report) == ["mx2.school.test", "mx1.post.test", "mx2.post.test"]
    assert report.transcript.participants == ["client.example", "DNS", "mx1.school.test", "mx2.school.test",
                                              "mx1.post.test", "mx2.post.test"]


def test_greylisting_defers_then_the_retry_is_delivered(net):
    first = send(net, "y@grey.test")
    assert first.deferred == ["y@grey.test"] and first.exit_code == 1
    assert first["y@grey.test"].reply.code == 450
    second = first.retry()
    assert second.delivered == ["y@grey.test"] and second.exit_code == 0
    assert len(net.mailbox("mx.grey.test")) == 1
    with pytest.raises(ValueError, match="nothing to retry"):
        second.retry()


def test_implicit_mx_delivers_to_the_domain_itself(net):
    report = send(net, "z@solo.test")
    assert report["z@solo.test"].host == "solo.test"
    assert "implicit MX" in report.transcript.text()
    assert len(net.mailbox("solo.test")) == 1


def test_equal_preferences_follow_the_seed():
    def world(seed: int) -> MiniInternet:
        return MiniInternet(seed=seed).add_domain("even.test", mx=[("a.even.test", 10), ("b.even.test", 10)])
    firsts = {seed: send(world(seed), "u@even.test")["u@even.test"].host for seed in range(12)}
    assert set(firsts.values()) == {"a.even.test", "b.even.test"}  # both orders happen
    assert all(send(world(seed), "u@even.test")["u@even.test"].host == host for seed, host in firsts.items())


def test_the_classroom_world_is_deterministic():
    """Same world, same conversation, line for line -- except the Date: field deliver() adds
    from the wall clock (RFC 5322 §3.6), which may tick between the two runs."""
    text = [send(MiniInternet.classroom(), *(f"u@{d}" for d in LESSONS)).transcript.text() for _ in range(2)]
    undated = [re.sub(r"(?m)^( *-> Date: ).*$", r"\1<now>", t) for t in text]
    assert undated[0].count("<now>") >= 1  # the field is there (once per server that got the message)
    assert undated[0] == undated[1]


# ---------------------------------------------------------------- envelope and headers
def test_bcc_is_in_the_envelope_but_not_transmitted(net):
    message = ("From: alice@home.test\r\nTo: bob@school.test\r\nBcc: secret@school.test,\r\n"
               " other@school.test\r\nSubject: hi\r\n\r\nbody\r\n")
    report = net.deliver(message)
    assert report.delivered == ["bob@school.test", "secret@school.test", "other@school.test"]
    (stored,) = net.mailbox("mx2.school.test")
    assert b"Bcc" not in stored.content and b"secret" not in stored.content
    assert b"Subject: hi\r\n" in stored.content


def test_the_envelope_can_differ_from_the_headers(net):
    report = net.deliver(SAMPLE_MESSAGE, sender="", recipients=["z@solo.test"])  # a bounce's null path
    (stored,) = net.mailbox("solo.test")
    assert report.sender == "" and stored.mail_from == "" and stored.rcpt_tos == ("z@solo.test",)
    assert b"To: bob@school.test" in stored.content


def test_bare_newlines_are_sent_as_crlf(net):
    report = net.deliver("From: a@home.test\nTo: z@solo.test\n\nline one\nline two\n")
    assert report.ok
    assert net.mailbox("solo.test")[0].content.endswith(b"line one\r\nline two\r\n")


@pytest.mark.parametrize("message, says", [
    ("Subject: no one\r\n\r\nhi\r\n", "no sender"),
    ("From: a@home.test\r\n\r\nhi\r\n", "no recipients"),
])
def test_a_message_without_an_envelope_says_what_to_pass(net, message, says):
    with pytest.raises(ValueError, match=says):
        net.deliver(message)


def test_a_recipient_without_a_domain_bounces(net):
    report = net.deliver(SAMPLE_MESSAGE, recipients=["postmaster", "z@solo.test"])
    assert report["postmaster"].status is Status.BOUNCED and report["z@solo.test"].status is Status.DELIVERED


# ---------------------------------------------------------------- building worlds
def test_a_world_from_zone_text():
    zone = """
        $ORIGIN example.test.
        @      MX 10 mx1
        @      MX 20 mx2
        mx1    A  192.0.2.1
        mx2    A  192.0.2.2
        mx2    A  192.0.2.3
        """
    world = MiniInternet(zone)
    world.host("mx1.example.test", behaviour=Behaviour.DOWN)
    assert set(world.host("mx2.example.test").addresses) == {"192.0.2.2", "192.0.2.3"}
    route = world.lookup_mx("example.test")
    assert [h.name for h in route.hosts] == ["mx1.example.test", "mx2.example.test"]
    report = send(world, "bob@example.test")
    assert report["bob@example.test"].address == route.hosts[1].addresses[0]  # DNS order (RFC 5321 §5.1)
    again = MiniInternet(zone)
    again.host("mx1.example.test", behaviour=Behaviour.DOWN)
    assert send(again, "bob@example.test")["bob@example.test"].address == report["bob@example.test"].address


def test_the_builder_adds_to_your_zone_text():
    world = MiniInternet("$ORIGIN example.test.\n@ MX 10 mx1\nmx1 A 192.0.2.1\n")
    world.add_domain("other.test", mx=["mx.other.test"]).add_domain("sub.example.test", mx=["mx1.example.test"])
    assert "sub.example.test. IN MX 10 mx1.example.test." in world.zone_texts()[0]
    report = send(world, "a@other.test", "b@sub.example.test", "c@example.test")
    assert report.ok
    # both domains have the one MX mx1.example.test: one transaction, one copy (RFC 5321 §4.5.4.1)
    assert [m.rcpt_tos for m in world.mailbox("mx1.example.test")] == [("b@sub.example.test", "c@example.test")]


def test_a_host_refuses_relaying_for_domains_it_does_not_serve(net):
    report = net.deliver(SAMPLE_MESSAGE, recipients=["bob@post.test"], relay=("mx2.school.test", 25))
    assert report["bob@post.test"].reply.code == 550 and "relay" in report["bob@post.test"].reason.lower()


def test_mistakes_are_explained():
    world = MiniInternet()
    with pytest.raises(KeyError, match="add_host"):
        world.host("nobody.test")
    with pytest.raises(ValueError, match="choose one of"):
        world.add_host("x.test", behaviour="sleepy")
    with pytest.raises(ValueError, match="RFC 7505"):
        world.add_domain("x.test", mx=["mx.x.test"], null_mx=True)


def test_views_show_the_world_and_the_report(net):
    report = send(net, "bob@school.test", "x@nomail.test", "y@grey.test")
    html = report._repr_html_()
    assert all(word in html for word in ("delivered", "bounced", "deferred", "mx2.school.test"))
    assert "1 delivered, 1 deferred, 1 bounced" in repr(report)
    assert "mx1.school.test" in net._repr_html_() and "IN MX 0 ." in net.zone_text
    assert re.search(r"mx1\.school\.test\s+192\.0\.2\.\d+\s+down", net.describe())


def test_mail_from_carries_the_parameters_the_message_needs(net):
    report = net.deliver("From: a@home.test\r\nTo: josé@solo.test\r\nSubject: café\r\n\r\nçà\r\n".encode())
    assert report.ok, report
    mail = next(t for t in report.transcript.turns if t.sent.startswith(b"MAIL"))
    assert b" SMTPUTF8" in mail.sent and b" BODY=8BITMIME" in mail.sent and b" SIZE=" in mail.sent
    (stored,) = net.mailbox("solo.test")
    assert stored.rcpt_tos == ("josé@solo.test",)


def test_each_classroom_lesson_has_the_outcome_it_teaches(net):
    report = send(net, *(f"student@{domain}" for domain in LESSONS))
    assert {r.domain: r.status.value for r in report.results} == {
        "school.test": "delivered", "post.test": "delivered", "grey.test": "deferred",
        "nomail.test": "bounced", "solo.test": "delivered"}
