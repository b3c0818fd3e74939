"""Transcripts: swaks-like text, an HTML table that explains every code, and JSON
that loads back equal."""

from __future__ import annotations

from html import escape
from pathlib import Path

from smtplearn import Pair, Transcript
from smtplearn.protocol import Signal, State, explain


def session() -> Pair:
    pair = Pair(hostname="mx.test")
    pair.ehlo("client.test")
    pair.send_line("RCPT TO:<early@example.org>")
    pair.mail("alice@example.org")
    pair.rcpt("bob@example.org")
    pair.data(b"Subject: hi\r\n\r\n.leading dot\r\n" + b"line\r\n" * 20)
    pair.send_line("VRFY bob")
    pair.send_line("NOOP \xe9t\xe9")
    pair.quit()
    return pair


def test_text_is_swaks_like() -> None:
    text = session().transcript.text()
    lines = text.split("\n")
    assert lines[0] == "<-  220 mx.test ESMTP smtplearn ready"
    assert lines[1] == " -> EHLO client.test"
    assert lines[2] == "<-  250-mx.test greets client.test [in-memory]"
    assert " -> RCPT TO:<early@example.org>" in lines
    assert any(line.startswith("<** 503 5.5.1 RCPT is not allowed before MAIL FROM") for line in lines)
    assert "<-  354 End data with <CR><LF>.<CR><LF>" in lines
    assert " -> ..leading dot" in lines  # shown as it travelled, dot-stuffed
    assert " -> [... 11 more lines, " in text
    assert lines[lines.index("<-  354 End data with <CR><LF>.<CR><LF>") + 14] == " -> ."
    assert "<-  250 2.0.0 OK: queued as PAIR0001" in lines
    assert lines[-1] == "<-  221 2.0.0 mx.test closing connection"
    assert str(session().transcript) == text
    assert repr(session().transcript).startswith("<Transcript 10 exchanges>\n<-  220")


def test_html_table_explains_every_code() -> None:
    transcript = session().transcript
    html = transcript._repr_html_()
    assert html.count("<tr>") == len(transcript.entries) + 1  # one per exchange, plus the header
    for turn in transcript.turns:  # (a client reads codes, not names: explained by code)
        assert escape(explain(turn.reply)) in html, turn.reply
    assert "&lt;alice@example.org&gt;" in html and "<alice@example.org>" not in html
    assert "what it means" in html and "#cf222e" in html  # the 503 in red


def test_states_and_turn_shortcuts() -> None:
    transcript = session().transcript
    assert transcript.states[:4] == [State.CONNECTED, State.GREETED, State.READY, State.READY]
    assert transcript.states[-1] is State.CLOSED
    data_turn = next(t for t in transcript.turns if t.trigger is Signal.END_OF_DATA)
    assert data_turn.before is State.DATA and data_turn.after is State.READY
    assert data_turn.sent.startswith(b"Subject: hi\r\n") and data_turn.exchange.size > len(data_turn.sent)
    assert transcript.participants == ["server", "client"] or len(transcript.participants) == 2


def test_json_round_trip_is_equal(tmp_path: Path) -> None:
    transcript = session().transcript
    transcript.note("looked up MX for example.org", source="client", target="dns", kind="dns")
    loaded = Transcript.from_json(transcript.to_json())
    assert loaded.title == transcript.title and loaded.started == transcript.started
    assert loaded.entries == transcript.entries
    assert loaded.text() == transcript.text()
    path = transcript.save(tmp_path / "t.json")
    assert Transcript.load(path).entries == transcript.entries


def test_json_keeps_bytes_that_are_not_utf8() -> None:
    pair = Pair()
    pair.send_line("EHLO client.test")
    pair._write(b"NOOP \xff\r\n")  # what a broken client might send
    pair._take([])
    transcript = Transcript()
    for turn in pair.transcript.turns:
        transcript.record(turn.exchange)
    # the raw server side, recorded from the session itself
    from smtplearn.protocol import Exchange, ServerSession
    server = ServerSession()
    server.start()
    for event in server.receive_data(b"NOOP \xff\r\n"):
        if isinstance(event, Exchange):
            transcript.record(event)
    text = transcript.to_json()
    assert '"base64"' in text
    assert Transcript.from_json(text).entries == transcript.entries


def test_extend_and_notes_show_in_text() -> None:
    first, second = Pair(hostname="mx1.test").transcript, Pair(hostname="mx2.test").transcript
    first.note("connect to mx1.test", kind="connect")
    both = Transcript(title="delivery")
    both.extend(first)
    both.extend(second)
    assert "=== connect to mx1.test" in both.text()
    assert len(both) == len(first) + len(second)
