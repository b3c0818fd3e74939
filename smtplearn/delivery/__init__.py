"""Delivery across MX hosts: what a sending mail server does (RFC 5321 §5.1, §4.5.4).

    from smtplearn.delivery import deliver
    report = deliver(message, resolver=make_resolver("127.0.0.1:5353"))
    report.delivered, report.deferred, report.bounced
    report.transcript.sequence_diagram()        # sender → DNS → MX1 → MX2

Importing this package loads none of graphviz, ipywidgets or dnspython.
"""

from smtplearn.delivery.connectors import Connector, TCPConnector
from smtplearn.delivery.envelope import OutgoingMessage, make_message
from smtplearn.delivery.mta import deliver
from smtplearn.delivery.report import DeliveryReport, RecipientResult, Status

__all__ = ["Connector", "DeliveryReport", "OutgoingMessage", "RecipientResult", "Status", "TCPConnector",
           "deliver", "make_message"]
