"""Delivery across MX hosts: what a sending mail server does (RFC 5321 §5.1, §4.5.4).

    from smtplearn.delivery import deliver
    report = deliver(message, resolver=make_resolver("127.0.0.1:5353"))
    report.delivered, report.deferred, report.bounced
    report.transcript.sequence_diagram()        # sender → DNS → MX1 → MX2

Names load on first use, so importing this package costs nothing until used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from smtplearn.delivery.connectors import Connector, TCPConnector
    from smtplearn.delivery.mta import deliver
    from smtplearn.delivery.report import DeliveryReport, RecipientResult, Status

_EXPORTS: dict[str, str] = {
    "deliver": "smtplearn.delivery.mta",
    "DeliveryReport": "smtplearn.delivery.report",
    "RecipientResult": "smtplearn.delivery.report",
    "Status": "smtplearn.delivery.report",
    "Connector": "smtplearn.delivery.connectors",
    "TCPConnector": "smtplearn.delivery.connectors",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'smtplearn.delivery' has no attribute {name!r}; it exports {', '.join(__all__)}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
