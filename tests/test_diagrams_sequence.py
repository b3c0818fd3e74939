"""Sequence diagrams: our own SVG, read back with xml.etree (no `dot` needed)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import smtplearn
from smtplearn.diagrams import sequence_diagram
from smtplearn.diagrams.sequence_model import sequence_rows
from smtplearn.render.html import REPLY_CLASSES
from smtplearn.transcript import Transcript

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def rows(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "row" in g.get("class", "").split()]


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def session() -> smtplearn.Pair:
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.send_line("RCPT TO:<bob@example.org>")  # 503
    pair.mail("alice@example.org")
    pair.rcpt("bob@example.org")
    pair.data("From: a@example.org\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\nline 3\r\nline 4\r\n")
    pair.quit()
    return pair


def test_lifelines_and_arrows_in_time_order():
    pair = session()
    root = parse(pair.transcript.sequence_diagram().svg())
    all_text = texts(root)
    assert all_text.count("client.example") == 2 and all_text.count("mx.example.org") == 2  # top and bottom
    found = [(int(g.get("data-n")), g.get("class").split()[1]) for g in rows(root)]
    expected = []
    for n, turn in enumerate(pair.transcript.turns, start=1):
        first = "connect" if turn.trigger is None else "body" if turn.sent and n == 7 else "command"
        expected += [(n, first), (n, "reply")]
    assert found == expected
    labels = [texts(g)[0] for g in rows(root)]
    assert labels[:4] == ["(connect)", "220 mx.example.org ESMTP smtplearn ready",
                          "EHLO client.example", "250-mx.example.org greets client.example [in-memory]"]


def test_multiline_reply_keeps_every_line():
    pair = session()
    root = parse(pair.transcript.sequence_diagram().svg())
    ehlo_reply = rows(root)[3]
    lines = [t for t in texts(ehlo_reply) if t.startswith("250")]
    assert lines == str(pair.transcript.turns[1].reply).split("\n")


def test_reply_colours_follow_the_table_palette():
    root = parse(session().transcript.sequence_diagram().svg())
    seen = set()
    for g in rows(root):
        cls = g.get("class").split()
        if "reply" not in cls:
            continue
        digit = int(next(c for c in cls if c[0] == "r" and c[1:].isdigit())[1])
        line = g.find(f"{SVG}line")
        assert line.get("stroke") == REPLY_CLASSES[digit][0]
        seen.add(digit)
    assert seen == {2, 3, 5}
    legend = texts(root)
    for _, label in REPLY_CLASSES.values():
        assert label in legend


def test_data_body_is_summarised_with_its_size():
    pair = session()
    model = sequence_rows(pair.transcript, body_lines=3)
    body = next(r for r in model.rows if r.kind.value == "body")
    assert body.lines[:3] == ("From: a@example.org", "Subject: hi", "")
    assert body.lines[3].startswith("[... 4 more lines, ") and body.lines[3].endswith(" octets in all]")
    assert body.lines[-1] == "."


def test_wire_text_is_escaped():
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.send_line('MAIL FROM:<"a&b"<x>@example.org>')
    pair.send_line("NOOP \x00\x1b[31m")
    svg = pair.transcript.sequence_diagram().svg()
    root = parse(svg)  # well-formed XML despite <, >, & and control characters
    assert '"a&b"<x>' in " ".join(texts(root))
    assert "&lt;&quot;a&amp;b&quot;&lt;x&gt;@example.org&gt;" in svg or "&lt;\"a&amp;b\"&lt;x&gt;" in svg
    assert "\x00" not in svg and "\u2400" in svg  # NUL shown as the control picture ␀
    dot = pair.transcript.sequence_diagram().source
    assert "&amp;b" in dot and "<x>" not in dot


def test_more_participants_for_a_delivery():
    t = Transcript(title="delivery")
    t.note("MX example.org?", source="sender", target="DNS", kind="dns")
    t.note("10 mx1.example, 20 mx2.example", source="DNS", target="sender", kind="dns")
    t.note("connect mx1.example:25: refused", source="sender", target="mx1.example", kind="error")
    pair = smtplearn.Pair(hostname="mx2.example")
    pair.ehlo()
    pair.quit()
    for turn in pair.transcript.turns:
        t.record(turn.exchange, client="sender", server="mx2.example")
    root = parse(t.sequence_diagram().svg())
    heads = [(float(x.get("x")), x.text) for x in root.iter(f"{SVG}text")
             if x.text in ("sender", "DNS", "mx1.example", "mx2.example") and x.get("font-weight") == "bold"]
    top = sorted(heads[:4])
    assert [name for _, name in top] == ["sender", "DNS", "mx1.example", "mx2.example"]
    notes = [g for g in rows(root) if "note" in g.get("class")]
    assert [texts(g)[0] for g in notes] == ["MX example.org?", "10 mx1.example, 20 mx2.example",
                                            "connect mx1.example:25: refused"]


def test_rows_never_overlap_and_long_lines_wrap():
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.send_line("NOOP " + "x" * 300)
    from smtplearn.diagrams.sequence import layout
    lay = layout(sequence_rows(pair.transcript, width=72))
    for a, b in zip(lay.rows, lay.rows[1:]):
        assert b.top > a.y  # the next text block starts below the previous arrow
    long_row = next(p.row for p in lay.rows if p.row.full.startswith("NOOP xxx"))
    assert len(long_row.lines) > 1 and long_row.lines[1].startswith("↪ ")
    assert "".join(piece.removeprefix("↪ ") for piece in long_row.lines) == long_row.full


def test_timings_are_optional():
    pair = session()
    plain = texts(parse(pair.transcript.sequence_diagram().svg()))
    timed = texts(parse(pair.transcript.sequence_diagram(timings=True).svg()))
    assert not any(t.endswith(" ms") for t in plain)
    assert sum(t.endswith(" ms") for t in timed) >= len(pair.transcript.turns)


def test_a_thousand_exchanges_render_quickly():
    pair = smtplearn.Pair()
    pair.ehlo()
    for _ in range(998):
        pair.noop()
    started = time.perf_counter()
    svg = pair.transcript.sequence_diagram().svg()
    elapsed = time.perf_counter() - started
    assert len(rows(parse(svg))) == 2 * 1000
    assert elapsed < 10, f"1000 exchanges took {elapsed:.1f} s (bench/bench_diagrams.py has the real figures)"


def test_transcript_display_shows_diagram_and_table():
    pair = session()
    bundle = pair.transcript._repr_mimebundle_()
    assert bundle["text/html"].startswith("<div><svg") and "<table" in bundle["text/html"]
    assert bundle["image/svg+xml"].startswith("<svg")
    assert "EHLO client.example" in bundle["text/plain"]
    assert "<table" in pair.transcript._repr_html_()
    empty = Transcript()._repr_mimebundle_()
    assert "image/svg+xml" not in empty
    assert sequence_diagram(pair.transcript)._repr_mimebundle_()["text/plain"] == pair.transcript.text(body_lines=3)


def test_an_unknown_command_is_a_command_not_the_connection():
    """Issue 12: `HELLO mx.example.org` (500, RFC 5321 §4.2.2 "Syntax error, command
    unrecognized") was drawn as a dashed "(connect)" arrow, like the greeting."""
    pair = smtplearn.Pair()
    pair.ehlo()
    assert pair.send_line("HELLO mx.example.org").code == 500
    model = sequence_rows(pair.transcript)
    kinds = [(row.number, row.kind.value, row.lines[0]) for row in model.rows if row.kind.value != "reply"]
    assert kinds == [(1, "connect", "(connect)"), (2, "command", "EHLO client.example"),
                     (3, "command", "HELLO mx.example.org")]
    root = parse(pair.transcript.sequence_diagram().svg())
    assert texts(root).count("(connect)") == 1


def test_legend_entries_do_not_overlap():
    """Each legend entry (a coloured line, then its words) ends before the next one's line starts,
    measured with the widest glyph of the legend's font (an 11 px sans-serif "m" is < 7 px)."""
    from smtplearn.diagrams.svg import LEGEND_CHAR
    root = parse(session().transcript.sequence_diagram().svg())
    legend_y = 50.0
    lines = sorted(float(e.get("x1")) for e in root.iter(f"{SVG}line") if float(e.get("y1")) == legend_y)
    words = sorted((float(t.get("x")), t.text) for t in root.iter(f"{SVG}text")
                   if t.get("font-size") == "11" and float(t.get("y")) == legend_y + 4)
    assert len(lines) == len(words) == len(REPLY_CLASSES) + 1
    assert words[0][1] == "command"
    for (x, text), next_line in zip(words, lines[1:]):
        assert x + len(text) * LEGEND_CHAR < next_line, (text, x, next_line)
    assert LEGEND_CHAR >= 0.6 * 11  # wide enough for a sans-serif "m"


def test_every_sequence_svg_says_what_it_shows():
    """WCAG 1.1.1: a text alternative: role="img", aria-label, <title> and <desc>."""
    pair = session()
    for svg in (pair.transcript.sequence_diagram().svg(), pair.transcript.sequence_diagram().standalone_svg()):
        root = parse(svg)
        assert root.get("role") == "img"
        label = root.get("aria-label")
        assert label.startswith("Sequence diagram:") and "8 exchanges" in label and "mx.example.org" in label
        assert root[0].tag == f"{SVG}title" and root[0].text == label
        assert root[1].tag == f"{SVG}desc" and "RCPT TO:<bob@example.org>" in root[1].text


def test_the_page_svg_scales_with_its_column():
    """Inline, the SVG is as wide as its column but never wider than drawn (so it is never
    clipped); its height follows the viewBox. The file keeps its natural size."""
    d = session().transcript.sequence_diagram()
    page, file = parse(d.svg()), parse(d.standalone_svg())
    width = float(file.get("width"))
    assert page.get("width") == "100%" and page.get("height") is None
    assert f"max-width:{width:.0f}px" in page.get("style") and "height:auto" in page.get("style")
    assert page.get("viewBox") == file.get("viewBox") == f"0 0 {width:.0f} {float(file.get('height')):.0f}"
    assert "white-space:pre" in page.get("style")  # the drawing's own style is kept, in the one attribute
