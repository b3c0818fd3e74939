"""What happened to each recipient of one delivery, and one transcript of every hop.

A sending MTA owes each recipient an outcome (RFC 5321 §4.5.4, §6.1): it was
*delivered* (some MX answered 250 to the end of data), it is *deferred* (only
temporary failures so far: the message stays queued and is retried), or it
*bounced* (a permanent failure: a non-delivery report goes to the envelope's
reverse-path, unless that is the null path <>). A fourth case is no choice but a
fact: when no reply to the final dot came in time, the outcome is *unknown* (the
server may have the message, RFC 5321 §4.5.3.2.6), and nobody retries.
This file owns that record and its views; mta.py fills it in.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from smtplearn.diagrams.diagram import Diagram
from smtplearn.mx.names import domain_of
from smtplearn.protocol.errors import NotFoundError, NotNowError, UsageError
from smtplearn.render.html import REPLY_CLASSES, Cell, html_table
from smtplearn.transcript import Transcript

if TYPE_CHECKING:
    from smtplearn.protocol.replies import Reply

__all__ = ["Status", "RecipientResult", "DeliveryReport", "EXIT_CODES"]


class Status(enum.Enum):
    """The outcome for one recipient."""

    DELIVERED = "delivered"  # an MX took responsibility: 250 to the end of data (§4.1.1.4)
    DEFERRED = "deferred"    # temporary trouble only (4xx, no connection, DNS down): retry later (§4.5.4.1)
    BOUNCED = "bounced"      # permanent: 5xx, no such domain, null MX; a report goes to the reverse-path (§6.1)
    UNKNOWN = "outcome unknown"  # no reply to the final dot in time: the MX may have it; no retry (§4.5.3.2.6)

    def __str__(self) -> str:
        return self.value


#: exit status of ``python -m smtplearn send``: the highest wins
EXIT_CODES = {Status.DELIVERED: 0, Status.DEFERRED: 1, Status.BOUNCED: 2, Status.UNKNOWN: 3}

# the colours of the transcript's reply classes (render/html.py), so one palette is learnt
_COLOURS = {status: REPLY_CLASSES[digit][0]
            for status, digit in ((Status.DELIVERED, 2), (Status.DEFERRED, 4), (Status.BOUNCED, 5),
                                  (Status.UNKNOWN, 4))}

#: RFC 5321 §6.1: "if this address is null ("<>"), the receiver-SMTP MUST NOT send a notification"
NO_NOTIFICATION = ("the reverse-path is null (<>), so no non-delivery report is sent to anyone "
                   "(RFC 5321 §6.1, §4.5.5)")


@dataclass(frozen=True)
class RecipientResult:
    """One recipient's outcome: where it went, or why not."""

    recipient: str
    status: Status
    reason: str
    host: str = ""      # the MX that accepted (or gave the last answer)
    address: str = ""   # the IP address that host was reached at
    reply: Reply | None = None  # the deciding SMTP reply, when there was one

    @property
    def domain(self) -> str:
        """The recipient's domain as routed: lower case, no final dot, A-labels (``domain_of``)."""
        return domain_of(self.recipient)

    def __str__(self) -> str:
        where = f" at {self.host} [{self.address}]" if self.host and self.address else ""
        return f"{self.recipient}: {self.status.value}{where}: {self.reason}"


@dataclass
class DeliveryReport:
    """Per-recipient outcomes plus the one transcript that spans DNS and every MX tried."""

    sender: str
    results: list[RecipientResult]
    transcript: Transcript
    #: domain -> what the MX lookup returned (an MXResult) or the error it raised
    routes: dict[str, Any] = field(default_factory=dict)
    _retry: Callable[[list[str]], DeliveryReport] | None = field(default=None, repr=False)
    #: the bounce (an RFC 3464 DSN, smtplearn.delivery.dsn.make_dsn) this delivery produced, if any
    dsn: Any = field(default=None, repr=False)

    # -- reading ----------------------------------------------------------------
    def _with(self, status: Status) -> list[str]:
        return [r.recipient for r in self.results if r.status is status]

    @property
    def outcomes(self) -> list[RecipientResult]:
        """The per-recipient results (another name for ``results``)."""
        return self.results

    @property
    def delivered(self) -> list[str]:
        return self._with(Status.DELIVERED)

    @property
    def deferred(self) -> list[str]:
        return self._with(Status.DEFERRED)

    @property
    def bounced(self) -> list[str]:
        return self._with(Status.BOUNCED)

    @property
    def unknown(self) -> list[str]:
        """Recipients whose outcome is unknown (no reply to the final dot in time): check, do not resend."""
        return self._with(Status.UNKNOWN)

    @property
    def ok(self) -> bool:
        """True when every recipient was delivered."""
        return all(r.status is Status.DELIVERED for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 all delivered, 1 some deferred (none bounced), 2 some bounced, 3 some outcome unknown."""
        return max((EXIT_CODES[r.status] for r in self.results), default=0)

    def __getitem__(self, recipient: str) -> RecipientResult:
        for result in self.results:
            if result.recipient == recipient:
                return result
        raise NotFoundError(f"{recipient!r} was not a recipient; recipients: {', '.join(r.recipient for r in self.results)}")

    def retry(self) -> DeliveryReport:
        """Try the deferred recipients again, as an MTA's queue does later (RFC 5321 §4.5.4.1).

        Never those whose outcome is unknown: the server may already have the message.
        """
        if self._retry is None:
            raise NotNowError("this report cannot retry: it was not made by deliver()")
        if not self.deferred:
            raise UsageError("nothing to retry: no recipient is deferred "
                             f"(delivered: {len(self.delivered)}, bounced: {len(self.bounced)}, "
                             f"outcome unknown: {len(self.unknown)}, never retried: the server may have it)")
        return self._retry(self.deferred)

    def sequence_diagram(self, **options: Any) -> Diagram:
        """sender → DNS → each MX tried, as a sequence diagram (SVG drawn by smtplearn.diagrams)."""
        return self.transcript.sequence_diagram(**options)

    # -- views --------------------------------------------------------------------
    def _counts(self) -> str:
        unknown = f", {len(self.unknown)} outcome unknown" if self.unknown else ""
        return f"{len(self.delivered)} delivered, {len(self.deferred)} deferred, {len(self.bounced)} bounced{unknown}"

    @property
    def notification(self) -> str | None:
        """Who hears of the bounces: the reverse-path, or nobody when it is null (RFC 5321 §6.1)."""
        if not self.bounced:
            return None
        if not self.sender:
            return NO_NOTIFICATION
        return f"a non-delivery report for the bounced recipient(s) goes to the reverse-path <{self.sender}> (RFC 5321 §6.1)"

    def summary(self) -> str:
        lines = [f"{len(self.results)} recipient(s) of <{self.sender}>: {self._counts()}"]
        lines += [f"  {result}" for result in self.results]
        return "\n".join(lines + ([self.notification] if self.notification else []))

    def __str__(self) -> str:
        return self.transcript.text() + "\n\n" + self.summary()

    def __repr__(self) -> str:
        return f"<DeliveryReport>\n{self.summary()}"

    def _repr_html_(self) -> str:
        rows: list[list[str | Cell]] = []
        for r in self.results:
            where = f"{escape(r.host)}<br><small>{escape(r.address)}</small>" if r.host else ""
            answer = escape(str(r.reply)).replace("\n", "<br>") if r.reply is not None else ""
            rows.append([escape(r.recipient), Cell(r.status.value, f"color:{_COLOURS[r.status]};font-weight:bold"),
                         where, Cell(answer, "font-family:monospace"), escape(r.reason)])
        notification = f"<p>{escape(self.notification)}</p>" if self.notification else ""
        return (f"<p>Delivery from <code>&lt;{escape(self.sender)}&gt;</code>: {escape(self._counts())}</p>"
                + html_table(("recipient", "status", "where", "reply", "why"), rows) + notification
                + "<details><summary>Transcript of every hop</summary>"
                f"{self.transcript._repr_html_()}</details>")
