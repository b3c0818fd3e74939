"""smtplearn: see how mail moves.

A readable SMTP client and server (RFC 5321) for Jupyter: a sans-I/O
protocol core (``smtplearn.protocol``), an in-memory ``Pair`` and a real
``Server``/``Client`` over TCP, transcripts that explain every reply, state
and sequence diagrams drawn from the server's own transition table, and real
MX lookups.

Names are loaded on first use, so ``import smtplearn`` stays as quick as
``import smtplib``: graphviz, ipywidgets and dnspython load only when a
diagram, widget or lookup is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtplearn._lazy import lazy_exports

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # the protocol core
    "State": "smtplearn.protocol.states",
    "Verb": "smtplearn.protocol.states",
    "Signal": "smtplearn.protocol.states",
    "TRANSITIONS": "smtplearn.protocol.states",
    "Command": "smtplearn.protocol.commands",
    "Reply": "smtplearn.protocol.replies",
    "CATALOGUE": "smtplearn.protocol.catalogue",
    "explain": "smtplearn.protocol.catalogue",
    "Limits": "smtplearn.protocol.limits",
    "BareNewlinePolicy": "smtplearn.protocol.limits",
    "Handler": "smtplearn.protocol.handlers",
    "LocalDelivery": "smtplearn.protocol.handlers",
    "Message": "smtplearn.protocol.message",
    "ServerSession": "smtplearn.protocol.server",
    "ClientSession": "smtplearn.protocol.client",
    "ProtocolError": "smtplearn.protocol.errors",
    "LocalProtocolError": "smtplearn.protocol.errors",
    "RemoteProtocolError": "smtplearn.protocol.errors",
    # every error smtplearn raises on purpose derives from Error
    "Error": "smtplearn.protocol.errors",
    "UsageError": "smtplearn.protocol.errors",
    "NotFoundError": "smtplearn.protocol.errors",
    "WrongTypeError": "smtplearn.protocol.errors",
    "NotNowError": "smtplearn.protocol.errors",
    # transports and records
    "Pair": "smtplearn.transports.memory",
    "Server": "smtplearn.transports.server",
    "Client": "smtplearn.transports.client",
    "SMTPConnectError": "smtplearn.transports.client",
    "SMTPTimeoutError": "smtplearn.transports.client",
    "SMTPTLSError": "smtplearn.transports.client",
    "Mailbox": "smtplearn.transports.mailbox",
    "Transcript": "smtplearn.transcript",
    # pictures (graphviz, loaded on use)
    "Diagram": "smtplearn.diagrams",
    "state_diagram": "smtplearn.diagrams",
    "sequence_diagram": "smtplearn.diagrams",
    # mail routing (dnspython, loaded on use)
    "lookup_mx": "smtplearn.mx",
    "make_resolver": "smtplearn.mx",
    "MXLookupError": "smtplearn.mx",
    # delivery across MX hosts, and the offline mini-Internet for class
    "deliver": "smtplearn.delivery",
    "DeliveryReport": "smtplearn.delivery",
    "MiniInternet": "smtplearn.mini_internet",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs; nothing is imported at run time
    from smtplearn.delivery import DeliveryReport, deliver
    from smtplearn.diagrams import Diagram, sequence_diagram, state_diagram
    from smtplearn.mini_internet import MiniInternet
    from smtplearn.mx import MXLookupError, lookup_mx, make_resolver
    from smtplearn.protocol import (CATALOGUE, TRANSITIONS, BareNewlinePolicy, ClientSession,
                                    Command, Error, Handler, Limits, LocalDelivery, LocalProtocolError,
                                    Message, NotFoundError, NotNowError, ProtocolError,
                                    RemoteProtocolError, Reply, ServerSession, Signal, State,
                                    UsageError, Verb, WrongTypeError, explain)
    from smtplearn.transports.client import Client, SMTPConnectError, SMTPTimeoutError, SMTPTLSError
    from smtplearn.transports.mailbox import Mailbox
    from smtplearn.transports.memory import Pair
    from smtplearn.transports.server import Server
    from smtplearn.transcript import Transcript
