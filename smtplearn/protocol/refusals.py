"""Refusing: the catalogue reply a server answers with, and the error that carries it.

One way to refuse. The parsers (commands, addresses, AUTH) and the server's
checks ``raise refusal(name, **fields)``: a ``RemoteProtocolError`` whose
``reply`` is the catalogue reply ``name`` and whose message is that reply's
text, so the error a student reads is the line the server sends. The server
catches it and sends ``err.reply``; nothing else builds such an error.

``bad_sequence`` is the 503 reply for a command the state table does not allow
now (RFC 5321 §4.1.4); the server sends it, the strict client raises it
locally, both worded the same.
"""

from __future__ import annotations

from smtplearn.protocol.catalogue import Reply, reply
from smtplearn.protocol.errors import RemoteProtocolError
from smtplearn.protocol.states import WHERE, WHERE_FOR, State, Verb


def refusal(name: str, **fields: object) -> RemoteProtocolError:
    """The error to raise for catalogue reply ``name`` (filled with ``fields``)."""
    answer = reply(name, **fields)
    return RemoteProtocolError(answer.text, answer)


def bad_sequence(state: State, verb: Verb, allowed: tuple[Verb, ...], *, where: str | None = None) -> Reply:
    """503, naming what was wrong and what is allowed instead (§4.1.4).
    ``where`` overrides the table's wording (``WHERE_FOR`` for this command, else ``WHERE``)."""
    return reply("bad_sequence", verb=verb.value, where=where or WHERE_FOR.get((state, verb)) or WHERE[state],
                 allowed=", ".join(v.value for v in allowed))
