"""Pair: our client and our server joined in memory, the notebooks' default."""

from __future__ import annotations

from datetime import datetime, timezone
from email.message import EmailMessage

import pytest

from smtplearn import LocalProtocolError, Pair, State, Verb
from smtplearn.protocol import Command, Limits


def test_a_lesson_session() -> None:
    pair = Pair()
    assert pair.greeting.code == 220 and pair.state is State.GREETED
    assert pair.ehlo().code == 250 and pair.state is State.READY
    assert "PIPELINING" in pair.extensions
    assert pair.mail("alice@example.org").code == 250 and pair.state is State.MAIL
    assert pair.rcpt("bob@example.org").code == 250 and pair.state is State.RCPT
    final = pair.data("Subject: hi\r\n\r\nhello\r\n")
    assert final.code == 250 and final.enhanced == "2.0.0" and pair.state is State.READY
    assert pair.noop().code == 250 and pair.rset().code == 250
    assert pair.vrfy("bob").code == 252 and pair.expn("staff").code == 252
    assert pair.help().code == 214
    assert pair.quit().code == 221 and pair.state is State.CLOSED
    [message] = pair.mailbox
    assert message.mail_from == "alice@example.org" and message.rcpt_tos == ("bob@example.org",)
    assert message.content == b"Subject: hi\r\n\r\nhello\r\n"
    assert message.email["Subject"] == "hi"
    assert [t.reply.code for t in pair.transcript.turns] == [220, 250, 250, 250, 354, 250, 250, 250,
                                                             252, 252, 214, 221]


def test_helo_is_accepted_too() -> None:
    pair = Pair()
    assert pair.helo().code == 250 and pair.extensions == {}


@pytest.mark.parametrize("message", [
    "Subject: s\n\n.dot first\nline\n",
    b"Subject: s\r\n\r\n.dot first\r\nline\r\n",
])
def test_data_takes_str_or_bytes_and_dot_stuffs(message: str | bytes) -> None:
    pair = Pair()
    assert pair.send_mail("a@example.org", "b@example.org", message).code == 250
    assert pair.mailbox[0].content == b"Subject: s\r\n\r\n.dot first\r\nline\r\n"


def test_data_takes_an_email_message() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.org", "b@example.org", "Grüße"
    msg.set_content("Hallo Welt\n")
    pair = Pair()
    assert pair.send_mail("a@example.org", ["b@example.org"], msg).code == 250
    assert pair.mailbox[0].email["Subject"] == "Grüße"
    assert pair.mailbox[0].email.get_content().splitlines() == ["Hallo Welt"]


def test_data_type_error_names_what_it_takes() -> None:
    pair = Pair()
    with pytest.raises(TypeError, match="str, bytes or an email.message.EmailMessage"):
        pair.data(42)  # type: ignore[arg-type]


def test_send_line_shows_the_refusal() -> None:
    pair = Pair()
    answer = pair.send_line("RCPT TO:<bob@example.org>")
    assert answer is not None and answer.code == 503
    assert "allowed now: HELO, EHLO" in answer.text
    assert pair.send_line("HELO") .code == 501  # type: ignore[union-attr]
    assert pair.send_line("FOO").code == 500  # type: ignore[union-attr]
    assert pair.state is State.GREETED


def test_send_line_can_type_a_whole_message() -> None:
    pair = Pair()
    for line in ("EHLO c.example", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>"):
        pair.send_line(line)
    assert pair.send_line("DATA").code == 354  # type: ignore[union-attr]
    assert pair.send_line("Subject: typed") is None
    assert pair.send_line("") is None
    assert pair.send_line("..one dot") is None
    final = pair.send_line(".")
    assert final is not None and final.code == 250
    assert pair.mailbox[0].content == b"Subject: typed\r\n\r\n.one dot\r\n"
    assert pair.transcript.turns[-1].sent == pair.mailbox[0].content


def test_data_refused_before_recipients_returns_the_503() -> None:
    pair = Pair()
    pair.ehlo()
    pair.mail("a@example.org")
    assert pair.data("x").code == 503 and pair.state is State.MAIL


def test_strict_pair_refuses_locally() -> None:
    pair = Pair(strict=True)
    with pytest.raises(LocalProtocolError, match="MAIL is not allowed before HELO/EHLO"):
        pair.mail("a@example.org")
    assert Verb.MAIL not in pair.allowed_verbs
    pair.ehlo()
    assert Verb.MAIL in pair.allowed_verbs


def test_pipeline() -> None:
    pair = Pair()
    pair.ehlo()
    replies = pair.pipeline(Command.mail("a@example.org"), Command.rcpt("b@example.org"),
                            Command.rcpt("c@elsewhere.test"), Command(Verb.DATA))
    assert [r.code for r in replies] == [250, 250, 250, 354]


def test_local_domains_and_limits_pass_through() -> None:
    pair = Pair(local_domains=["example.org"], limits=Limits(recipients=1))
    pair.ehlo()
    pair.mail("a@example.org")
    assert pair.rcpt("x@elsewhere.test").code == 550
    assert pair.rcpt("b@example.org").code == 250
    assert pair.rcpt("c@example.org").code == 452


def test_deterministic_with_a_clock() -> None:
    clock = lambda: datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)  # noqa: E731
    datas = []
    for _ in range(2):
        pair = Pair(clock=clock)
        pair.send_mail("a@example.org", "b@example.org", "hi")
        datas.append(pair.mailbox[0].data)
    assert datas[0] == datas[1]
    assert b"by mx.example.org (smtplearn) with ESMTP id PAIR0001" in datas[0]


def test_repr_and_html_show_the_state_and_transcript() -> None:
    pair = Pair()
    pair.ehlo()
    assert "state READY" in repr(pair) and " -> EHLO client.example" in repr(pair)
    assert "READY" in pair._repr_html_() and "<table" in pair._repr_html_()


def test_pipeline_keeps_rfc_2920s_grouping_rules() -> None:
    """RFC 2920 §3.1: "The EHLO, DATA, VRFY, EXPN, TURN, QUIT, and NOOP commands can only appear as
    the last command in a group"; §3: pipelining only once EHLO's reply "includes the EHLO keyword
    value PIPELINING"."""
    from smtplearn.protocol import LocalProtocolError
    pair = Pair()
    with pytest.raises(LocalProtocolError, match="has not offered PIPELINING .no EHLO reply"):
        pair.pipeline(Command(Verb.EHLO, "c.example"), Command.mail("a@example.org"))
    pair.ehlo()
    for early in (Command(Verb.DATA), Command(Verb.NOOP), Command(Verb.EHLO, "c.example"), Command(Verb.VRFY, "a")):
        with pytest.raises(LocalProtocolError, match=f"{early.verb.value} is command 1 of 2 .* only be the last"):
            pair.pipeline(early, Command.mail("a@example.org"))
    assert pair.session.waiting == 0 and pair.transcript.turns[-1].trigger is Verb.EHLO  # nothing was sent
    assert [r.code for r in pair.pipeline(Command(Verb.RSET), Command.mail("a@example.org"),
                                          Command.rcpt("b@example.org"), Command(Verb.NOOP))] == [250] * 4


def test_an_unchecked_bad_group_says_what_happened_not_that_the_server_closed() -> None:
    """RFC 2920 §3.1: DATA "can only appear as the last command in a group": after its 354 the
    server reads the NOOP as message text, so no reply to it comes; the server did not close."""
    pair = Pair()
    pair.ehlo()
    pair.mail("a@example.org")
    pair.rcpt("b@example.org")
    with pytest.raises(LocalProtocolError, match="waits for more in state DATA .*1 reply this client expects"):
        pair.pipeline(Command(Verb.DATA), Command(Verb.NOOP), check=False)
    assert pair.state is State.DATA
