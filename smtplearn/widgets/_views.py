"""What the widgets share: diagrams as inline SVG, the reply view, one style sheet.

Views only: every function here reads a library object and returns HTML text.
A missing ``dot`` program (graphviz) or any other trouble drawing a picture
becomes a readable message in the widget instead of a traceback, so the rest
of the console keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from smtplearn.diagrams.diagram import Diagram, accessible_svg
from smtplearn.protocol.catalogue import Reply
from smtplearn.render.html import PALETTE, reply_colour, reply_html

#: one style sheet for every smtplearn widget; classes are also what the browser test finds
STYLE = f"""<style>
.smtplearn-widget {{ font-family: var(--jp-ui-font-family, sans-serif); }}
.smtplearn-widget .widget-html-content {{ line-height: 1.4; }}
.smtplearn-reply {{ padding: 4px 2px; }}
.smtplearn-mx p {{ margin: 0 0 6px 0; }}
.smtplearn-title {{ font-size: 15px; font-weight: 600; }}
.smtplearn-state-badge {{ display:inline-block; padding:2px 10px; border-radius:12px;
  background:{PALETTE.badge}; color:{PALETTE.badge_ink}; font-weight:600; font-family:monospace; }}
.smtplearn-panel {{ border:1px solid {PALETTE.line}; border-radius:6px; padding:6px; background:{PALETTE.paper}; }}
.smtplearn-panel-title {{ font-size:13px; color:{PALETTE.muted}; margin-bottom:4px; }}
.smtplearn-svg svg {{ max-width:100%; height:auto; display:block; }}
.smtplearn-pictures {{ display:flex; flex-flow:row wrap; gap:8px; align-items:flex-start; }}
.smtplearn-pictures > * {{ flex:1 1 600px; min-width:0; }}
.smtplearn-widget button:focus-visible, .smtplearn-widget input:focus-visible {{
  outline:2px solid {PALETTE.focus}; outline-offset:1px; }}
.smtplearn-scroll {{ max-height:480px; overflow:auto; display:flex; flex-direction:column-reverse; }}
.smtplearn-sent {{ font-family:monospace; color:{PALETTE.ink}; }}
.smtplearn-error {{ color:{reply_colour(500)}; }}
.smtplearn-hint {{ color:{PALETTE.muted}; font-size:13px; }}
.smtplearn-cmd button, button.smtplearn-cmd {{ font-family:monospace; font-weight:600; }}
</style>"""


def svg_text(diagram: Diagram) -> str:
    """The SVG markup of a diagram, ready to sit inside a page."""
    return _strip_prolog(diagram.svg())


def _strip_prolog(text: str) -> str:
    """Inline SVG must start at <svg>: drop the XML declaration and DOCTYPE graphviz writes."""
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def diagram_panel(title: str, draw: Callable[[], Diagram], css_class: str, *, scroll: bool = False) -> str:
    """A titled panel holding ``draw()``'s picture, or the reason it could not be drawn."""
    try:
        svg = svg_text(draw())
        if 'role="img"' not in svg[:svg.find(">")]:  # a graphviz picture: give it its text alternative
            svg = accessible_svg(svg, title, fit=True)
        body = f'<div class="smtplearn-svg {css_class}">{svg}</div>'
    except Exception as exc:  # a picture failing must not break the console: say why instead
        body = (f'<div class="smtplearn-error {css_class}-error">Could not draw this diagram: '
                f'{escape(str(exc) or type(exc).__name__)}</div>')
    inner = f'<div class="smtplearn-scroll">{body}</div>' if scroll else body
    return (f'<div class="smtplearn-panel"><div class="smtplearn-panel-title">{escape(title)}</div>'
            f'{inner}</div>')


def reply_view(sent: str | None, answer: Reply) -> str:
    """What the client sent (if anything) and the server's reply with its explanation."""
    shown = f'<div class="smtplearn-sent">C: {escape(sent)}</div>' if sent is not None else ""
    return f'<div class="smtplearn-reply">{shown}{reply_html(answer)}</div>'


def message_view(sent: str | None, text: str, *, error: bool = False) -> str:
    """A line of our own (not a server reply): a hint, or an error that says what to do."""
    shown = f'<div class="smtplearn-sent">C: {escape(sent)}</div>' if sent is not None else ""
    kind = "smtplearn-error" if error else "smtplearn-hint"
    return f'<div class="smtplearn-reply">{shown}<div class="{kind}">{escape(text)}</div></div>'


def picture_layout() -> Any:
    """The layout of one picture in a ``pictures`` row: at least 600 px, or the whole row."""
    import ipywidgets as widgets
    return widgets.Layout(flex="1 1 600px", min_width="0")


def pictures(*children: Any) -> Any:
    """A row of pictures that wraps: side by side where the column is wide enough for each
    at a readable size, one above the other in a notebook column (~850 px)."""
    import ipywidgets as widgets
    box = widgets.Box(list(children), layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start",
                                                            width="100%"))
    box.add_class("smtplearn-pictures")
    return box
