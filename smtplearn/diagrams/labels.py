"""Text from the wire made safe and measurable for a picture.

Both diagrams show bytes a client or server sent; control characters become
visible symbols and widths are counted in terminal cells, so labels line up.
"""

from __future__ import annotations

import unicodedata

def printable(text: str, keep: str = "") -> str:
    """``text`` with control characters shown as their Unicode "control pictures".

    Wire text may hold a bare CR (RFC 5321 §2.3.8 allows CR only before LF) or a
    NUL (outside RFC 5322 §3.5's ``text``), which is exactly when a student wants to
    *see* them; other control characters such as ESC are legal but unprintable. XML
    cannot carry most of them at all, so a NUL becomes ␀ and a bare CR ␍ instead of
    breaking the picture.
    Characters in ``keep`` (say "\n" for a many-line description) are left as they are.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if char in keep:  # e.g. the line breaks of a long description
            out.append(char)
        elif code < 0x20:
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif not char.isprintable() and char != " ":
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def text_width(text: str) -> int:
    """Width of ``text`` in monospace cells (wide East Asian characters take two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
