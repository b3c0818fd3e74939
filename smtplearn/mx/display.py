"""How an MX result looks: a plain-text table, an HTML table, a diagram (``Diagram``,
drawn by graphviz).

This file owns display only; it reads an ``MXResult`` and never changes it. The
text and HTML tables are both drawn from one column list, ``COLUMNS``, so they
always agree. graphviz is imported only when a diagram is asked for.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smtplearn.diagrams.diagram import Diagram
from smtplearn.render.html import PALETTE, html_table, reply_colour

#: a host or MX that takes no mail: the colour of a 5xx reply
REFUSED = reply_colour(500)

if TYPE_CHECKING:  # the values it shows (lookup.py imports this module to show them)
    from smtplearn.mx.lookup import MXHost, MXResult

__all__ = ["COLUMNS", "render_graph", "render_html", "render_text"]


def _host_label(host: MXHost) -> str:
    if host.unicode_name != host.name:
        return f"{host.unicode_name} ({host.name})"
    return host.name


def _addresses(host: MXHost) -> str:
    return ", ".join(host.addresses) if host.addresses else "(no address)"


# column heading -> how to fill it from (position, host); one table for every renderer
COLUMNS: tuple[tuple[str, Callable[[int, MXHost], str]], ...] = (
    ("#", lambda position, host: str(position)),
    ("preference", lambda position, host: str(host.preference)),
    ("host", lambda position, host: _host_label(host)),
    ("addresses", lambda position, host: _addresses(host)),
    ("why this order", lambda position, host: host.why),
)


def title(result: MXResult) -> str:
    """'MX for bücher.test (xn--bcher-kva.test), alias of ...' in one line."""
    name = result.unicode_domain
    if result.unicode_domain != result.domain:
        name += f" ({result.domain})"
    if result.followed_cname:
        name += f", an alias (CNAME) of {result.canonical_name}"
    return f"MX for {name}"


def summary(result: MXResult) -> str:
    """What a sender would do, in one sentence."""
    if result.null_mx:
        return "null MX (MX 0 .): this domain accepts no mail"
    if not result.usable:
        return "no MX host has an address: mail cannot be delivered"
    if result.implicit:
        return "implicit MX: no MX records, so mail goes to the domain's own address"
    return f"{len(result.hosts)} MX host(s); a sender tries them top to bottom until one accepts"


def all_notes(result: MXResult) -> list[str]:
    """The result's notes, then each host's problems, named."""
    return list(result.notes) + [f"{host.name} {problem}" for host in result.hosts for problem in host.problems]


def _rows(result: MXResult) -> list[list[str]]:
    return [[fill(position, host) for _, fill in COLUMNS] for position, host in enumerate(result.hosts, 1)]


def render_text(result: MXResult) -> str:
    """A fixed-width table for print(), the REPL and the command line."""
    lines = [title(result), f"  {summary(result)}"]
    if result.source:
        lines.append(f"  asked: {result.source}")
    rows = _rows(result)
    if rows:
        headings = [heading for heading, _ in COLUMNS]
        widths = [max(len(cell) for cell in column) for column in zip(headings, *rows)]
        for row in [headings, *rows]:
            lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    notes = all_notes(result)
    if notes:
        lines.append("notes:")
        lines.extend(f"  - {note}" for note in notes)
    return "\n".join(lines)


def render_html(result: MXResult) -> str:
    """The same table as HTML for Jupyter; every piece of text is escaped."""
    e = html.escape
    colour = reply_colour(500) if result.null_mx or not result.usable else "inherit"
    parts = [
        '<div class="smtplearn-mx">',
        f"<p><strong>{e(title(result))}</strong><br>",
        f'<span style="color:{colour}">{e(summary(result))}</span>',
        f"<br><small>asked: {e(result.source)}</small>" if result.source else "",
        "</p>",
    ]
    rows = _rows(result)
    if rows:
        parts.append(html_table([heading for heading, _ in COLUMNS], [[e(cell) for cell in row] for row in rows],
                                row_style="font-style:italic" if result.implicit else ""))
    notes = all_notes(result)
    if notes:
        parts.append("<ul>" + "".join(f"<li>{e(note)}</li>" for note in notes) + "</ul>")
    parts.append("</div>")
    return "".join(parts)


def render_graph(result: MXResult) -> Diagram:
    """domain → (CNAME →) MX hosts, edges labelled with preference → addresses.

    A null MX is a red octagon with no way onward; an implicit MX is a dashed edge
    from the domain to its own address. Labels are escaped with graphviz.escape.
    """
    import graphviz

    esc = graphviz.escape
    graph = graphviz.Digraph("mx", graph_attr={"rankdir": "LR", "label": esc(summary(result)), "labelloc": "t",
                                         "fontname": "Helvetica"},
                             node_attr={"fontname": "Helvetica", "fontsize": "11"},
                             edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    graph.node("domain", esc(result.unicode_domain), shape="box", style="rounded,filled", fillcolor=PALETTE.domain)
    origin = "domain"
    if result.followed_cname:
        graph.node("canonical", esc(result.canonical_name), shape="box", style="rounded")
        graph.edge("domain", "canonical", label="CNAME", style="dashed")
        origin = "canonical"
    if result.null_mx:
        graph.node("null", "MX 0 .\\nnull MX: accepts no mail", shape="octagon", color=REFUSED, fontcolor=REFUSED)
        graph.edge(origin, "null", label="MX 0 .", color=REFUSED)
        return _diagram(graph, result)
    for position, host in enumerate(result.hosts, 1):
        node = f"host{position}"
        label = esc(host.unicode_name) + (f"\\n{esc(host.name)}" if host.unicode_name != host.name else "")
        if result.implicit:
            graph.node(node, label + "\\n(implicit MX)", shape="box", style="dashed")
            graph.edge(origin, node, label=f"#{position} implicit, pref 0", style="dashed")
        else:
            graph.node(node, label, shape="box")
            graph.edge(origin, node, label=f"#{position} pref {host.preference}")
        for index, address in enumerate(host.addresses):
            graph.node(f"{node}_{index}", esc(address), shape="ellipse")
            graph.edge(node, f"{node}_{index}", label="A" if address in host.ipv4 else "AAAA")
        if not host.addresses:
            graph.node(f"{node}_none", "no address", shape="plaintext", fontcolor=REFUSED)  # WCAG AA: 5.4:1
            graph.edge(node, f"{node}_none", style="dotted", color=REFUSED)
    return _diagram(graph, result)


def _diagram(graph: Any, result: MXResult) -> Diagram:
    """The graph as a ``Diagram`` like every picture of the package (it fits its column and
    says what it shows to a screen reader)."""
    return Diagram(graph.source, render_text(result), name="MX graph",
                   label=f"MX graph of {result.unicode_domain}: {summary(result)}")
