"""Bounces: the delivery status notification (DSN) an MTA sends when it cannot deliver.

RFC 5321 §3.6.3 and §6.1: a server that accepted a message and then cannot
deliver it MUST tell the reverse-path (MAIL FROM), and SHOULD use the format
of RFC 3464. That format is a MIME message (built here with the standard
library's ``email`` package, never by hand):

    multipart/report; report-type=delivery-status      (RFC 3464 §2 (a))
      1. text/plain                 for people          (§2 (b))
      2. message/delivery-status    for programs        (§2 (c), §2.2, §2.3)
      3. text/rfc822-headers        the original headers (§2 (d))

A DSN is sent with the null reverse-path ``MAIL FROM:<>`` (RFC 3464 §2,
RFC 5321 §4.5.5), and a message that arrived with ``<>`` never gets one:
otherwise two broken mail systems could bounce bounces to each other forever.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtplearn.delivery.report import DeliveryReport, RecipientResult

__all__ = ["make_dsn", "dsn_status", "NO_ROUTE_STATUS"]

#: RFC 3463 §3.5 X.4.4 "Unable to route": when no server replied (a null MX, a DNS failure)
NO_ROUTE_STATUS = "5.4.4"


def dsn_status(result: RecipientResult) -> str:
    """The RFC 3463 class.subject.detail for one failed recipient (RFC 3464 §2.3.4: required).

    The server's own enhanced code when its reply had one (RFC 2034), else the
    reply's class with "0.0" (RFC 3463 §2: X.0.0 "other undefined status").
    """
    reply = result.reply
    if reply is None:
        return NO_ROUTE_STATUS
    if reply.enhanced:
        return str(reply.enhanced)
    return f"{reply.code // 100}.0.0"


def _per_recipient(result: RecipientResult, when: datetime) -> Message:
    """One recipient's block of RFC 3464 §2.3 fields."""
    block = Message()
    block["Final-Recipient"] = f"rfc822; {result.recipient}"          # §2.3.2, required
    block["Action"] = "failed"                                        # §2.3.3, required
    block["Status"] = dsn_status(result)                              # §2.3.4, required
    if result.host:
        block["Remote-MTA"] = f"dns; {result.host}"                   # §2.3.5
    if result.reply is not None:
        # §2.3.6: "smtp; " and the reply's first line as the remote server sent it
        first = str(result.reply).split("\n")[0]
        block["Diagnostic-Code"] = f"smtp; {first}"
    block["Last-Attempt-Date"] = format_datetime(when)                # §2.3.7
    return block


def make_dsn(report: DeliveryReport, original: bytes, *, reporting_mta: str,
             arrival: datetime | None = None, now: datetime | None = None) -> EmailMessage | None:
    """The DSN for the bounced recipients of ``report``, or None when none is due.

    None when nothing bounced, and when the message came with the null
    reverse-path ``<>``: RFC 5321 §6.1 / RFC 3464 §2 -- a DSN is never sent about a DSN.
    """
    failed = [r for r in report.results if r.status.value == "bounced"]
    if not failed or not report.sender:
        return None
    when = now or datetime.now(timezone.utc)
    dsn = EmailMessage(policy=policy.SMTP)
    # RFC 3464 §2: From SHOULD reach a human who runs the mail system; To is the reverse-path
    dsn["From"] = f"Mail Delivery System <postmaster@{reporting_mta}>"
    dsn["To"] = f"<{report.sender}>"
    dsn["Subject"] = "Undelivered Mail Returned to Sender"
    dsn["Date"] = format_datetime(when)
    dsn["Message-ID"] = make_msgid(domain=reporting_mta)
    dsn.set_content(_human_text(failed, reporting_mta))
    dsn.make_mixed()  # multipart/mixed for now; the type is set to multipart/report below

    status = EmailMessage(policy=policy.SMTP)
    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"            # §2.2.2, required
    if arrival is not None:
        per_message["Arrival-Date"] = format_datetime(arrival)        # §2.2.5
    # the email package writes a message/delivery-status payload as blocks of fields,
    # one blank line between them (§2.1: per-message block, then one per recipient)
    status.set_type("message/delivery-status")
    status.set_payload([per_message, *(_per_recipient(r, when) for r in failed)])
    del status["MIME-Version"]
    dsn.attach(status)

    headers = EmailMessage(policy=policy.SMTP)
    head = original.partition(b"\r\n\r\n")[0] + b"\r\n"
    headers.set_content(head.decode("ascii", "replace"), subtype="rfc822-headers")  # §2 (d)
    del headers["MIME-Version"]
    dsn.attach(headers)
    dsn.set_type("multipart/report")
    dsn.set_param("report-type", "delivery-status")                   # §2 (a)
    return dsn


def _human_text(failed: list[RecipientResult], reporting_mta: str) -> str:
    """The first part, for people (RFC 3464 §2 (b)): who failed and what the remote server said."""
    lines = [f"This is the mail system at {reporting_mta}.", "",
             "Your message could not be delivered to the recipient(s) below.",
             "This is a permanent error: the mail system will not try again.", ""]
    for result in failed:
        said = str(result.reply).split("\n")[0] if result.reply is not None else result.reason
        where = f"{result.host} said: " if result.host and result.reply is not None else ""
        lines.append(f"<{result.recipient}>: {where}{said}")
    return "\n".join(lines) + "\n"
