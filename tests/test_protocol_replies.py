"""Replies: writing them, reading them (whole, byte by byte, with trailing bytes),
multi-line replies, enhanced status codes, and the catalogue that names them all.
"""

from __future__ import annotations

import pytest

from smtplearn.protocol.catalogue import catalogue_name
from smtplearn.protocol import (CATALOGUE, CODE_MEANINGS, RemoteProtocolError, Reply, ReplyReader,
                                explain, parse_reply, reply)

EHLO_BYTES = (b"250-mx.example greets client\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
              b"250 PIPELINING\r\n")


def read_three_ways(data: bytes) -> list[Reply]:
    whole = ReplyReader().feed(data)
    reader = ReplyReader()
    bytewise = [r for i in range(len(data)) for r in reader.feed(data[i:i + 1])]
    assert bytewise == whole and not reader.pending
    reader = ReplyReader()
    trailing = reader.feed(data + b"250 2.0.0 next\r\n220 partial")
    assert trailing == [*whole, Reply(250, ("next",), "2.0.0")] and reader.pending
    return whole


def test_single_line_reply_with_enhanced_code() -> None:
    [answer] = read_three_ways(b"250 2.1.5 Recipient OK\r\n")
    assert (answer.code, answer.enhanced, answer.lines) == (250, "2.1.5", ("Recipient OK",))
    assert answer.to_bytes() == b"250 2.1.5 Recipient OK\r\n"
    assert answer.is_positive and not answer.is_transient and answer.kind == "positive completion"


def test_multi_line_reply() -> None:
    [answer] = read_three_ways(EHLO_BYTES)
    assert answer.code == 250 and answer.enhanced is None
    assert answer.lines == ("mx.example greets client", "SIZE 1000", "8BITMIME", "PIPELINING")
    assert answer.to_bytes() == EHLO_BYTES


def test_multi_line_reply_with_the_same_enhanced_code_on_every_line() -> None:
    [answer] = read_three_ways(b"214-2.0.0 Commands: HELO EHLO\r\n214 2.0.0 See RFC 5321\r\n")
    assert answer.enhanced == "2.0.0" and answer.lines == ("Commands: HELO EHLO", "See RFC 5321")


def test_several_replies_in_one_chunk_come_out_in_order() -> None:
    replies = read_three_ways(b"250 2.1.0 ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n")
    assert [r.code for r in replies] == [250, 550, 354]
    assert replies[1].is_permanent and replies[2].enhanced is None


def test_bare_lf_and_code_only_lines_are_read() -> None:
    assert read_three_ways(b"250 ok\n250\r\n") == [Reply(250, ("ok",)), Reply(250, ("",))]


def test_enhanced_code_must_agree_with_the_first_digit_when_reading() -> None:
    [answer] = read_three_ways(b"250 5.1.1 odd\r\n")
    assert answer.enhanced is None and answer.lines == ("5.1.1 odd",)


@pytest.mark.parametrize("data", [b"hello\r\n", b"25 ok\r\n", b"2500 ok\r\n", b"abc ok\r\n",
                                  b"250_ok\r\n", b"250-a\r\n251 b\r\n"])
def test_malformed_replies_are_remote_protocol_errors(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        ReplyReader().feed(data)


def test_overlong_reply_line_is_an_error() -> None:
    with pytest.raises(RemoteProtocolError, match="longer than"):
        ReplyReader(max_line=100).feed(b"250 " + b"x" * 200)


def test_parse_reply_wants_exactly_one() -> None:
    assert parse_reply(b"221 2.0.0 bye\r\n").code == 221
    with pytest.raises(ValueError):
        parse_reply(b"250 a\r\n250 b\r\n")


@pytest.mark.parametrize("kwargs, message", [
    ({"code": 199}, "200..599"), ({"code": 600}, "200..599"),
    ({"code": 250, "enhanced": "5.0.0"}, "agree"), ({"code": 250, "enhanced": "2.x.0"}, "agree"),
    ({"code": 250, "lines": ("a\r\nb",)}, "CR or LF"),
])
def test_reply_validates_itself(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Reply(**kwargs)


def test_reply_from_a_string_splits_lines() -> None:
    assert Reply(250, "a\nb").lines == ("a", "b")  # type: ignore[arg-type]
    assert str(Reply(250, ("a", "b"), "2.0.0")) == "250-2.0.0 a\n250 2.0.0 b"


# -- the catalogue ---------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_catalogue_entry_is_a_valid_reply_with_its_source_and_meaning(name: str) -> None:
    entry = CATALOGUE[name]
    assert entry.section.startswith("RFC ") and "§" in entry.section
    assert entry.explanation.endswith(".") and len(entry.explanation) > 20
    fields = {"hostname": "h", "client": "c", "address": "a@b", "queue_id": "Q", "verb": "V",
              "limit": 1, "detail": "d", "what": "w", "where": "here", "allowed": "NOOP",
              "param": "P", "commands": "C", "domain": "d.example", "challenge": "xyz"}
    answer = reply(name, **fields)
    assert answer.name == name and answer.code == entry.code and answer.enhanced == entry.enhanced
    assert "{" not in answer.text, "every template field is filled"
    assert parse_reply(answer.to_bytes()) == answer  # writes what the reader reads
    assert explain(answer) == f"{entry.explanation} ({entry.section})" == answer.explanation


def test_unknown_catalogue_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: greeting"):
        reply("no_such_reply")


def test_codes_from_other_servers_are_explained_too() -> None:
    for code, (section, meaning) in CODE_MEANINGS.items():
        assert explain(code) == f"{meaning} ({section})"
        if catalogue_name(Reply(code)) is None:  # e.g. 334 "" is shaped like our auth challenge
            assert explain(Reply(code)) == explain(code)
    assert "first digit" in explain(Reply(299))
    assert explain(Reply(599)).startswith("Permanent failure")


def test_explain_552_knows_mailbox_full_and_the_too_many_recipients_advice() -> None:
    """RFC 3463 X.2.2 "Mailbox full ... This code should be used as a persistent transient failure";
    RFC 5321 §4.5.3.1.10: "Clients SHOULD treat a 552 code in this case as a temporary, rather
    than permanent, failure"."""
    text = explain(552)
    assert "mailbox is full" in text and "X.2.2" in text
    assert "too many recipients" in text and "temporary" in text and "§4.5.3.1.10" in text


def test_explain_556_is_rfc_7505_null_mx() -> None:
    """RFC 7505 §4: a domain with a null MX accepts no mail; its reply is 556 5.1.10."""
    assert "null MX" in explain(556) and "5.1.10" in explain(556) and "RFC 7505 §4" in explain(556)
    assert "RFC 7505 §4" in explain(reply("null_mx", domain="nomail.example"))


@pytest.mark.parametrize("name, section", [
    ("relay_denied", "§7.9"),       # "a 550 code SHOULD be used" for relay refused for policy reasons
    ("expn_disabled", "§7.3"),      # "the SMTP server MUST return a 252 response"
    ("greylisted", "RFC 6647"),     # greylisting is RFC 6647, the retry delay §4.5.4.1
    ("size_exceeded", "RFC 1870 §4, §6.1"),
])
def test_catalogue_cites_the_section_that_says_it(name: str, section: str) -> None:
    """RFC 5321 §7.9: "When mail is rejected for these or other policy reasons, a 550 code SHOULD
    be used"; §7.1 is about spoofing, not relaying. §7.3: "If a site disables these commands for
    security reasons, the SMTP server MUST return a 252 response". RFC 1870 §4: a message larger than
    the limit "will be rejected with a permanent failure (552) reply code"; §6.1: "552 message size
    exceeds fixed maximium message size"."""
    assert section in CATALOGUE[name].section
    assert "§7.1" not in CATALOGUE["relay_denied"].section


def test_every_catalogue_code_has_a_general_meaning() -> None:
    assert {e.code for e in CATALOGUE.values()} <= set(CODE_MEANINGS)


def test_replies_read_off_the_wire_find_their_catalogue_entry() -> None:
    """A Pair's client parses bytes, so its replies carry no name; explain() still finds
    the specific entry by code, enhanced status and text shape (EHLO vs HELO by line count)."""
    from smtplearn import Pair
    pair = Pair()
    pair.helo()
    pair.ehlo()
    pair.mail("alice@example.org")
    pair.noop()
    names = [catalogue_name(t.reply) for t in pair.transcript.turns]
    assert names == ["greeting", "helo_ok", "ehlo_ok", "mail_ok", "noop_ok"]
    assert catalogue_name(Reply(250, ("Ok: queued as 12345",), "2.0.0")) is None  # Postfix's words


# ---------------------------------------------------------------- what a broken server sends (issue 11 item 9)
@pytest.mark.parametrize("code", [b"000", b"199", b"600", b"999"])
def test_reply_codes_outside_200_599_are_a_remote_protocol_error(code: bytes) -> None:
    """RFC 5321 §4.2: servers "MUST NOT send reply codes whose first digits are other than 2, 3, 4,
    or 5. Clients that receive such out-of-range codes SHOULD normally treat them as fatal errors"."""
    for data in (code + b" odd\r\n", b"250-fine\r\n" + code + b" odd\r\n"):
        with pytest.raises(RemoteProtocolError, match=f"reply code {code.decode()}"):
            ReplyReader().feed(data)
        reader = ReplyReader()
        with pytest.raises(RemoteProtocolError, match=f"reply code {code.decode()}"):
            for i in range(len(data)):  # byte by byte: the same verdict
                reader.feed(data[i:i + 1])


def test_a_reply_without_a_last_line_is_cut_off_at_max_reply() -> None:
    """RFC 5321 §4.2.1: every line but the last has "-" after the code; a reader stops at 1 MiB of one reply."""
    reader = ReplyReader()
    chunk = b"250-" + b"x" * 60 + b"\r\n"
    with pytest.raises(RemoteProtocolError, match="without its last line"):
        for _ in range(1024 * 1024 // len(chunk) + 2):
            reader.feed(chunk * 1)
    small = ReplyReader(max_reply=100)
    assert small.feed(b"250-a\r\n250 b\r\n")[0].lines == ("a", "b")
    with pytest.raises(RemoteProtocolError, match="stops reading one reply at 100 octets"):
        small.feed(b"250-" + b"y" * 60 + b"\r\n250-" + b"y" * 60 + b"\r\n")


def test_a_long_one_line_reply_is_refused_even_in_one_chunk() -> None:
    """RFC 5321 §4.5.3.1.5: "The maximum total length of a reply line including the reply code and
    the <CRLF> is 512 octets"; this reader allows 8 times that, then refuses."""
    with pytest.raises(RemoteProtocolError, match="reply line of 5004 octets"):
        ReplyReader().feed(b"250 " + b"x" * 5000 + b"\r\n")


def test_a_bare_cr_inside_a_reply_line_is_the_servers_fault() -> None:
    """RFC 5321 §2.3.8: "Conforming implementations MUST NOT recognize or generate any other character
    or character sequence as a line terminator": a bare CR inside a reply is the server's error
    (RemoteProtocolError), not a ValueError from our code."""
    with pytest.raises(RemoteProtocolError, match="malformed reply"):
        ReplyReader().feed(b"250-one\rtwo\r\n250 end\r\n")


def test_catalogue_keeps_replies_it_made_but_never_mixes_their_texts() -> None:
    """reply() hands out the same frozen Reply for the same text fields, a new one for other
    values (1000 and 1000.0 are one dict key, not one text), and keeps at most MADE_KEPT."""
    from smtplearn.protocol import catalogue

    assert catalogue.reply("greeting", hostname="mx.test") is catalogue.reply("greeting", hostname="mx.test")
    assert catalogue.reply("greeting", hostname="a.test").to_bytes() == b"220 a.test ESMTP smtplearn ready\r\n"
    assert catalogue.reply("greeting", hostname="b.test").to_bytes() == b"220 b.test ESMTP smtplearn ready\r\n"
    assert str(catalogue.reply("too_many_recipients", limit=100)).endswith("(limit 100)")
    assert str(catalogue.reply("too_many_recipients", limit=100.0)).endswith("(limit 100.0)")
    for n in range(catalogue.MADE_KEPT + 10):
        catalogue.reply("mail_ok", address=f"user{n}@example.org")
    assert len(catalogue._MADE) <= catalogue.MADE_KEPT
