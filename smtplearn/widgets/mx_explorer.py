"""The MX explorer: type a domain, see where its mail goes (RFC 5321 §5.1).

This file owns the explorer's layout and its waiting, nothing else: the lookup
is ``smtplearn.mx.lookup_mx`` and the table and graph are ``MXResult``'s own
displays. A lookup may take seconds (a slow or unreachable DNS server), so a
button press runs it in a worker thread while a label counts the seconds; the
resolver's lifetime bounds it, and a timeout arrives as ``MXLookupError`` with
its friendly advice. ``lookup()`` itself is synchronous, which is what the
tests and a notebook cell call.

ipywidgets is imported at the top; ``smtplearn.widgets`` loads this module
only when ``MXExplorer`` is first used.
"""

from __future__ import annotations

import threading
import time
from html import escape
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from smtplearn.mx.errors import MXLookupError
from smtplearn.mx.lookup import MXResult, Resolves, lookup_mx
from smtplearn.mx.resolver import describe_resolver, make_resolver
from smtplearn.protocol.errors import UsageError
from smtplearn.widgets._views import STYLE, diagram_panel, pictures

#: what a lookup gives: the result, or the error that says what went wrong and what to do
Outcome = MXResult | MXLookupError | ValueError

#: how often the "looking up…" label counts the seconds
TICK = 0.25


class MXExplorer(widgets.VBox):
    """Type a domain, press Lookup, see the ordered MX hosts and a graph.

    ``resolver``: anything with ``resolve(name, rdtype)`` -- a ``ZoneResolver``
    (the offline mini-Internet), ``make_resolver("127.0.0.1:5353")``, or None for
    ``make_resolver()`` (``SMTPLEARN_NAMESERVER`` or the system resolver) with
    ``timeout`` seconds in all. ``seed`` makes the order of equal preferences repeatable.
    ``suggestions`` fill the domain box's list (default: the domains with MX records in a
    ``ZoneResolver``'s zones). ``background=False`` runs button presses in the caller's thread (for tests).
    """

    def __init__(self, resolver: Resolves | None = None, *, domain: str = "", suggestions: Iterable[str] | None = None,
                 timeout: float = 5.0, seed: int | None = None, background: bool = True) -> None:
        if timeout <= 0:
            raise UsageError(f"timeout must be a positive number of seconds, got {timeout}")
        self.resolver, self.timeout, self.seed, self.background = resolver, timeout, seed, background
        #: the last lookup's outcome: an MXResult, an error, or None before the first lookup
        self.result: Outcome | None = None
        self._worker: threading.Thread | None = None
        #: seconds the last lookup took
        self.took = 0.0
        names = list(suggestions) if suggestions is not None else _mail_domains(resolver)
        self.domain = widgets.Combobox(value=domain or (names[0] if names else ""), options=names,
                                       placeholder="a domain, e.g. example.com", description="domain",
                                       ensure_option=False, layout=widgets.Layout(width="50%"))
        self.domain.add_class("smtplearn-mx-domain")
        self.domain.on_msg(self._on_domain_message)  # Enter in the box sends {"event": "submit"}
        self.button = widgets.Button(description="Lookup", icon="search", button_style="primary",
                                     tooltip="ask DNS for this domain's MX records")
        self.button.add_class("smtplearn-mx-lookup")
        self.button.on_click(lambda _: self.start())
        self.status = widgets.HTML()
        self.status.add_class("smtplearn-mx-status")
        # the table keeps its own width (it never slides under the graph); the graph takes
        # the rest of the row, or a row of its own in a narrow column
        self.table = widgets.HTML(layout=widgets.Layout(flex="0 1 auto", max_width="100%", overflow="auto"))
        self.table.add_class("smtplearn-mx-table")
        self.graph = widgets.HTML(layout=widgets.Layout(flex="1 1 360px", min_width="0"))
        self.graph.add_class("smtplearn-mx-graph")
        where = ("asking " + describe_resolver(resolver) if resolver is not None
                 else "asking the DNS server SMTPLEARN_NAMESERVER names, or your computer's resolver")
        super().__init__(children=[
            widgets.HTML(f'{STYLE}<span class="smtplearn-title">MX explorer</span> '
                         f'<span class="smtplearn-hint">{escape(where)}</span>'),
            widgets.HBox([self.domain, self.button, self.status], layout=widgets.Layout(align_items="center")),
            pictures(self.table, self.graph),
        ])
        self.add_class("smtplearn-widget")
        self.add_class("smtplearn-mx-explorer")

    def __repr__(self) -> str:
        return f"<MXExplorer domain {self.domain.value!r}; run it in Jupyter to look domains up>"

    # -- looking up ------------------------------------------------------------
    def lookup(self, domain: str | None = None) -> Outcome:
        """Look ``domain`` (default: the text box) up now, show it, and return the MXResult or the error."""
        if domain is not None:
            self.domain.value = domain
        return self._display(self._query())

    def _query(self) -> Outcome:
        """The lookup itself: an MXResult, or the error that says what went wrong and what to do."""
        name = self.domain.value.strip()
        if not name:
            return UsageError("type a domain first, e.g. example.com")
        self._busy(True, f"looking up {name}…")
        started = time.monotonic()
        try:
            return lookup_mx(name, self._resolver(), seed=self.seed)
        except (MXLookupError, ValueError) as exc:  # both already say what to do
            return exc
        finally:
            self.took = time.monotonic() - started
            self.button.disabled = False

    def start(self) -> None:
        """What the Lookup button does: ``lookup()`` in a worker thread (or here, if not background)."""
        if not self.background:
            self.lookup()
            return
        if self._worker is not None and self._worker.is_alive():
            return  # one lookup at a time; the button is disabled meanwhile anyway
        self._worker = threading.Thread(target=self._run_with_progress, name="smtplearn-mx-lookup", daemon=True)
        self._worker.start()

    def wait(self, timeout: float | None = None) -> Outcome | None:
        """Wait for a lookup started by the button (at most ``timeout`` s); return its outcome."""
        if self._worker is not None:
            self._worker.join(self.timeout + 5 if timeout is None else timeout)
        return self.result

    @property
    def busy(self) -> bool:
        return self.button.disabled

    def _run_with_progress(self) -> None:
        done = threading.Event()
        ticker = threading.Thread(target=self._count_seconds, args=(done, self.domain.value.strip()),
                                  name="smtplearn-mx-progress", daemon=True)
        ticker.start()
        try:
            outcome = self._query()
        finally:
            done.set()
            ticker.join(1.0)  # stopped before the outcome is shown, so it cannot overwrite it
        self._display(outcome)

    def _count_seconds(self, done: threading.Event, name: str) -> None:
        """Show the seconds waited; bounded by the lookup's own time limit (plus a margin)."""
        started = time.monotonic()
        limit = getattr(self.resolver, "lifetime", None) or self.timeout
        while not done.wait(TICK) and time.monotonic() - started < limit + 5:
            self.status.value = (f'<span class="smtplearn-hint">looking up {escape(name)}… '
                                 f'{time.monotonic() - started:.1f} s (gives up after {limit:g} s)</span>')

    def _resolver(self) -> Resolves:
        if self.resolver is not None:
            return self.resolver
        return make_resolver(timeout=min(2.0, self.timeout), lifetime=self.timeout)

    # -- showing ---------------------------------------------------------------
    def _busy(self, busy: bool, text: str = "") -> None:
        self.button.disabled = busy
        if text:
            self.status.value = f'<span class="smtplearn-hint">{escape(text)}</span>'

    def _display(self, outcome: Outcome) -> Outcome:
        self.result = outcome
        if isinstance(outcome, Exception):
            kind = getattr(outcome, "kind", "error")
            self.status.value = f'<span class="smtplearn-error">lookup failed ({escape(kind)})</span>'
            self.table.value = f'<div class="smtplearn-error smtplearn-mx-error">{escape(str(outcome))}</div>'
            self.graph.value = ""
            return outcome
        self.status.value = f'<span class="smtplearn-hint">answered in {self.took * 1000:.0f} ms</span>'
        self.table.value = outcome._repr_html_()
        self.graph.value = diagram_panel("where the mail goes", outcome.graph, "smtplearn-mx-diagram")
        return outcome

    def _on_domain_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("event") == "submit":
            self.start()


def _mail_domains(resolver: Resolves | None) -> list[str]:
    """The names that own MX records in an offline resolver's zones (none for a real resolver)."""
    found = []
    for zone in getattr(resolver, "zones", ()):
        for name, node in zone.nodes.items():
            if any(rdataset.rdtype == _MX for rdataset in node.rdatasets):
                found.append(name.derelativize(zone.origin).to_text(omit_final_dot=True))
    return sorted(found)


_MX = 15  # the MX record type (RFC 1035 §3.3.9)
