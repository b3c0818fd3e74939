"""The sans-I/O SMTP core: parsing, writing and both sides' state machines.

Imports only the standard library (a test checks this): no sockets,
threads, printing, graphviz or IPython. Transports in ``smtplearn`` feed
bytes in and write bytes out; this package decides what they mean.
"""

from smtplearn.protocol.catalogue import CATALOGUE, CODE_MEANINGS, explain, reply
from smtplearn.protocol.client import ClientSession
from smtplearn.protocol.commands import Command, parse_command
from smtplearn.protocol.data import dot_stuff, dot_unstuff
from smtplearn.protocol.errors import (Error, LocalProtocolError, NotFoundError, NotNowError, ProtocolError,
                                       RemoteProtocolError, UsageError, WrongTypeError)
from smtplearn.protocol.events import Closed, Event, Exchange, MessageAccepted
from smtplearn.protocol.handlers import Handler, LocalDelivery
from smtplearn.protocol.limits import BareNewlinePolicy, BelowRFCMinimumWarning, Limits
from smtplearn.protocol.message import Envelope, Message
from smtplearn.protocol.refusals import bad_sequence, refusal
from smtplearn.protocol.replies import Reply, ReplyReader, parse_reply
from smtplearn.protocol.server import ServerSession
from smtplearn.protocol.states import (INITIAL_STATE, START_STATE, TRANSITIONS, Signal, State, Transition,
                                       Trigger, Verb, allowed, allowed_verbs, state_after)

__all__ = [
    "CATALOGUE", "CODE_MEANINGS", "INITIAL_STATE", "START_STATE", "TRANSITIONS", "BareNewlinePolicy",
    "BelowRFCMinimumWarning", "ClientSession", "Closed", "Command", "Envelope", "Error", "Event", "Exchange",
    "Handler", "Limits", "LocalDelivery", "LocalProtocolError", "Message", "MessageAccepted", "NotFoundError",
    "NotNowError",
    "ProtocolError", "RemoteProtocolError", "Reply", "ReplyReader", "ServerSession",
    "Signal", "State", "Transition", "Trigger", "UsageError", "Verb", "WrongTypeError", "allowed", "allowed_verbs",
    "bad_sequence", "dot_stuff", "dot_unstuff", "explain", "parse_command", "parse_reply", "refusal", "reply",
    "state_after",
]
