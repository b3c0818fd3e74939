"""What a session reports after it handles input (the h11 "events").

Every request/response pair becomes one ``Exchange``: the client's bytes,
the command or signal they meant, the reply, and the state before and
after. Transcripts, diagrams and widgets are built from these alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smtplearn.protocol.commands import Command
from smtplearn.protocol.message import Message
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import State, Trigger


# slots: a transcript keeps every Exchange; without a __dict__ each costs the garbage
# collector (and memory) less
@dataclass(frozen=True, slots=True)
class Exchange:
    """One turn of the conversation.

    ``trigger`` is None for the server's greeting (nothing was sent first).
    ``sent`` is what the client sent: a command line, or the message text for
    END_OF_DATA (the unstuffed content, not copied again).
    """

    trigger: Trigger | None
    sent: bytes
    command: Command | None
    reply: Reply
    before: State
    after: State
    #: octets the client sent for the message (END_OF_DATA only)
    size: int = 0
    #: what a reader should know about this turn that the bytes do not say: the line
    #: ended with a bare LF (a classroom deviation), the reply was delayed (a tarpit).
    #: Transcripts show it as a note; it is not part of what the two sides exchanged,
    #: so two Exchanges that differ only in their note are equal.
    note: str = field(default="", compare=False)


@dataclass(frozen=True)
class MessageAccepted:
    """The server answered 250 to the end of data: the message is its responsibility now."""

    message: Message


@dataclass(frozen=True)
class Closed:
    """The session is over; ``reason`` says why (quit, 421, connection lost)."""

    reason: str


Event = Exchange | MessageAccepted | Closed
