"""Colours a student can read: WCAG 2.1 AA contrast, computed, for the palette and every SVG we draw.

WCAG 2.1 SC 1.4.3: "The visual presentation of text and images of text has a contrast ratio
of at least 4.5:1"; SC 1.4.11: "graphical objects required to understand the content" need
3:1 against adjacent colours. The ratio is (L1 + 0.05) / (L2 + 0.05) of the relative
luminances (WCAG 2.1, "contrast ratio" and "relative luminance" definitions).
Colour is never the only carrier of meaning: a reply's class is also its first digit,
a refusal is dotted as well as red, the route is thicker as well as purple.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import smtplearn
from smtplearn.diagrams import state_diagram
from smtplearn.protocol.states import State
from smtplearn.render.html import REPLY_CLASSES, transcript_html

SVG = "{http://www.w3.org/2000/svg}"
TEXT_AA = 4.5
GRAPHIC_AA = 3.0
WHITE = "#ffffff"


def luminance(colour: str) -> float:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_matches_wcag_examples():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast("#767676", "#ffffff") >= TEXT_AA


def test_reply_palette_is_readable_on_white_and_on_the_band_shade():
    for code, (colour, meaning) in REPLY_CLASSES.items():
        for background in (WHITE, "#f6f8fa"):
            assert contrast(colour, background) >= TEXT_AA, (code, meaning, colour, background)
        assert meaning[0] == str(code)  # the legend names the digit, not only the colour


def test_transcript_table_colours():
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.send_line("RCPT TO:<bob@example.org>")
    colours = set(re.findall(r"color:(#[0-9a-fA-F]{6})", transcript_html(pair.transcript)))
    assert colours
    for colour in colours:
        assert contrast(colour, WHITE) >= TEXT_AA, colour


def colour_of(element: ET.Element, attribute: str) -> str | None:
    value = element.get(attribute)
    return value if value and re.fullmatch(r"#[0-9a-fA-F]{6}", value) else None


def check_svg(svg: str) -> list[str]:
    """Every text colour against every light fill the picture has (any could be behind it),
    and every line or arrow against white."""
    root = ET.fromstring(svg)
    light = {WHITE} | {c for e in root.iter() if e.tag in (f"{SVG}rect", f"{SVG}polygon", f"{SVG}path",
                                                           f"{SVG}ellipse")
                       if (c := colour_of(e, "fill")) and luminance(c) > 0.5}
    problems = []
    for text in root.iter(f"{SVG}text"):
        ink = colour_of(text, "fill") or "#000000"
        for background in light:
            if contrast(ink, background) < TEXT_AA:
                problems.append(f"text {text.text!r} {ink} on {background}: {contrast(ink, background):.2f}")
    for element in root.iter():
        if element.tag in (f"{SVG}line", f"{SVG}path") and (stroke := colour_of(element, "stroke")):
            if element.get("fill") not in (None, "none") and luminance(element.get("fill")) > 0.5:
                continue  # a box's outline: the text inside it carries the meaning
            if contrast(stroke, WHITE) < GRAPHIC_AA:
                problems.append(f"line {stroke} on white: {contrast(stroke, WHITE):.2f}")
    return problems


def a_session() -> smtplearn.Pair:
    pair = smtplearn.Pair()
    pair.ehlo()
    pair.send_line("HELLO mx.example.org")
    pair.mail("alice@example.org")
    pair.rcpt("bob@example.org")
    pair.data("Subject: hi\r\n\r\nhello\r\n")
    pair.quit()
    return pair


def test_sequence_diagram_colours():
    pair = a_session()
    svg = pair.transcript.sequence_diagram(timings=True).svg()
    assert not check_svg(svg)


@pytest.mark.dot
def test_state_diagram_colours(system_binary):
    system_binary("dot")
    pair = a_session()
    for diagram in (state_diagram(), state_diagram(current=State.MAIL, show_errors=True),
                    state_diagram(path=pair, show_errors=True)):
        assert not check_svg(diagram.svg())


def test_the_check_finds_a_pale_grey():
    bad = ('<svg xmlns="http://www.w3.org/2000/svg"><text fill="#8c959f">1</text>'
           '<line stroke="#d0d7de"/></svg>')
    assert len(check_svg(bad)) == 2
