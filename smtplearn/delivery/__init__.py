"""Delivery across MX hosts: what a sending mail server does (RFC 5321 §5.1, §4.5.4).

    from smtplearn.delivery import deliver
    report = deliver(message, resolver=make_resolver("127.0.0.1:5353"))
    report.delivered, report.deferred, report.bounced
    report.transcript.sequence_diagram()        # sender → DNS → MX1 → MX2

Names load on first use, so importing this package costs nothing until used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtplearn._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from smtplearn.delivery.connectors import Connector, TCPConnector
    from smtplearn.delivery.envelope import OutgoingMessage, make_message
    from smtplearn.delivery.mta import deliver
    from smtplearn.delivery.report import DeliveryReport, RecipientResult, Status

_EXPORTS: dict[str, str] = {
    "deliver": "smtplearn.delivery.mta",
    "DeliveryReport": "smtplearn.delivery.report",
    "RecipientResult": "smtplearn.delivery.report",
    "Status": "smtplearn.delivery.report",
    "OutgoingMessage": "smtplearn.delivery.envelope",
    "make_message": "smtplearn.delivery.envelope",
    "Connector": "smtplearn.delivery.connectors",
    "TCPConnector": "smtplearn.delivery.connectors",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
