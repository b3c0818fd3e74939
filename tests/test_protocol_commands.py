"""Reading and writing command lines (RFC 5321 §4.1): one reader per verb.

Parsing is checked on the raw line, on the line without CRLF, and written back
with ``Command.line`` (what a client sends), so reading and writing agree.
"""

from __future__ import annotations

import pytest

from smtplearn.protocol import Command, RemoteProtocolError, Verb, parse_command
from smtplearn.protocol.commands import ARGUMENT_READERS


@pytest.mark.parametrize("line, verb, argument", [
    ("HELO client.example", Verb.HELO, "client.example"),
    ("EHLO client.example", Verb.EHLO, "client.example"),
    ("EHLO [192.0.2.1]", Verb.EHLO, "[192.0.2.1]"),
    ("EHLO [IPv6:2001:db8::1]", Verb.EHLO, "[IPv6:2001:db8::1]"),
    ("EHLO xn--bcher-kva.example", Verb.EHLO, "xn--bcher-kva.example"),
    ("DATA", Verb.DATA, ""),
    ("RSET", Verb.RSET, ""),
    ("NOOP", Verb.NOOP, ""),
    ("NOOP ignored text", Verb.NOOP, "ignored text"),
    ("QUIT", Verb.QUIT, ""),
    ("VRFY bob", Verb.VRFY, "bob"),
    ("EXPN staff", Verb.EXPN, "staff"),
    ("HELP", Verb.HELP, ""),
    ("HELP MAIL", Verb.HELP, "MAIL"),
    ("STARTTLS", Verb.STARTTLS, ""),
    ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", Verb.AUTH, "PLAIN AGFsaWNlAHNlY3JldA=="),
])
def test_each_verb(line: str, verb: Verb, argument: str) -> None:
    for raw in (line, line + "\r\n", (line + "\r\n").encode(), line.lower() if verb not in
                (Verb.EHLO, Verb.HELO, Verb.AUTH) else line):
        command = parse_command(raw)
        assert command.verb is verb
    command = parse_command(line)
    assert command.argument == argument
    assert command.line == line
    assert command.to_bytes() == (line + "\r\n").encode()


def test_every_verb_has_an_argument_reader() -> None:
    assert set(ARGUMENT_READERS) == set(Verb)


@pytest.mark.parametrize("line, address, params", [
    ("MAIL FROM:<alice@example.org>", "alice@example.org", ()),
    ("mail from:<alice@example.org>", "alice@example.org", ()),
    ("MAIL FROM:<>", "", ()),
    ("MAIL FROM:<> SIZE=0", "", (("SIZE", "0"),)),
    ("MAIL FROM:<a@b.example> SIZE=42 BODY=8BITMIME SMTPUTF8", "a@b.example",
     (("SIZE", "42"), ("BODY", "8BITMIME"), ("SMTPUTF8", None))),
    ("MAIL FROM:<a@b.example> size=42 body=8bitmime", "a@b.example", (("SIZE", "42"), ("BODY", "8bitmime"))),
    ("MAIL FROM: <alice@example.org>", "alice@example.org", ()),  # tolerated space
    ('MAIL FROM:<"odd > name"@example.org>', '"odd > name"@example.org', ()),
    ("MAIL FROM:<@a.example,@b.example:alice@example.org>", "alice@example.org", ()),
    ("MAIL FROM:<jörg@exämple.org> SMTPUTF8", "jörg@exämple.org", (("SMTPUTF8", None),)),
    ("RCPT TO:<bob@example.org>", "bob@example.org", ()),
    ("RCPT TO:<Postmaster>", "Postmaster", ()),
    ("RCPT TO:<POSTMASTER>", "Postmaster", ()),
    ("RCPT TO:<postmaster@example.org>", "postmaster@example.org", ()),
    ("RCPT TO:<bob@[192.0.2.1]>", "bob@[192.0.2.1]", ()),
])
def test_paths_and_parameters(line: str, address: str, params: tuple) -> None:
    command = parse_command(line)
    assert command.address == address and command.params == params
    again = parse_command(command.line)  # what a client writes reads back the same
    assert (again.verb, again.address, again.params) == (command.verb, command.address, command.params)


@pytest.mark.parametrize("line, code, fragment", [
    ("FOO", 500, "Command not recognized: FOO"),
    ("", 500, "(empty line)"),
    ("MAILFROM:<a@b.example>", 500, "MAILFROM"),
    ("EHLO", 501, "EHLO needs your host's domain name"),
    ("HELO -bad-", 501, "HELO needs"),
    ("DATA x", 501, "DATA takes no argument"),
    ("QUIT now", 501, "QUIT takes no argument"),
    ("VRFY ", 501, "VRFY needs an argument"),
    ("MAIL TO:<a@b.example>", 501, "MAIL must be written MAIL FROM:<address>"),
    ("RCPT FROM:<a@b.example>", 501, "RCPT must be written RCPT TO:<address>"),
    ("MAIL FROM:a@b.example", 501, "angle brackets"),
    ("MAIL FROM:<a@b.example", 501, "missing closing '>'"),
    ("MAIL FROM:<<a@b.example>>", 501, "one pair of angle brackets"),
    ("MAIL FROM:<a@b.example>junk", 501, "unexpected text after the path"),
    ("MAIL FROM:<a@b.example> =x", 501, "is not KEYWORD or KEYWORD=VALUE"),
    ("MAIL FROM:<Postmaster>", 501, "needs a local part and a domain"),
    ("RCPT TO:<>", 501, "only allowed as a reverse-path"),
    ("RCPT TO:<a b@c.example>", 501, "characters that need quoting"),
    ("RCPT TO:<.a@c.example>", 501, "stray dots"),
    ("RCPT TO:<a@c..example>", 501, "is not a domain name"),
    ("RCPT TO:<" + "a" * 65 + "@c.example>", 501, "local part is 65 octets, at most 64"),
    ("RCPT TO:<a@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 60 + "." + "f" * 20 + ">",
     501, "path is 268 octets, at most 256"),
    ("AUTH", 501, "AUTH needs a mechanism"),
    ("AUTH PLAIN a b", 501, "AUTH needs a mechanism"),
])
def test_refusals_carry_the_reply_to_send(line: str, code: int, fragment: str) -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        parse_command(line)
    answer = caught.value.reply
    assert answer is not None and answer.code == code, answer
    assert fragment in answer.text
    assert answer.name is not None and answer.explanation


@pytest.mark.parametrize("raw, what", [(b"NOOP \x00", "a NUL byte"), (b"NOOP \xff\xfe", "invalid UTF-8")])
def test_bytes_a_command_cannot_hold(raw: bytes, what: str) -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        parse_command(raw)
    assert caught.value.reply is not None and caught.value.reply.text == f"Command contains {what}"


def test_command_constructors_and_params() -> None:
    command = Command.mail("alice@example.org", size=1234, smtputf8=True, body=None)
    assert command.line == "MAIL FROM:<alice@example.org> SIZE=1234 SMTPUTF8"
    assert command.param("size") == "1234" and command.param("SMTPUTF8") == "" and command.param("BODY") is None
    assert Command.rcpt("Postmaster").line == "RCPT TO:<Postmaster>"
    assert Command.mail("").line == "MAIL FROM:<>"
    assert str(Command("noop")) == "NOOP" and Command("noop").verb is Verb.NOOP


def test_command_validates_itself() -> None:
    with pytest.raises(ValueError, match="needs an address"):
        Command(Verb.MAIL)
    with pytest.raises(ValueError, match="CR or LF"):
        Command(Verb.NOOP, "a\r\nQUIT")
    with pytest.raises(ValueError):
        Command("BOGUS")
