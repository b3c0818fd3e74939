"""swaks-like text for transcripts: `` -> `` client, ``<-  `` server, ``<** `` refusals.

swaks (the Swiss Army Knife for SMTP) prints sessions this way, so a class
that also uses swaks sees the same picture from both tools.
"""

from __future__ import annotations

from smtplearn.protocol.auth import decoded_in_transcript
from smtplearn.protocol.catalogue import Reply
from smtplearn.transcript import Note, Transcript, Turn

CLIENT_MARK = " -> "
SERVER_MARK = "<-  "
REFUSAL_MARK = "<** "
NOTE_MARK = "=== "


def reply_lines(answer: Reply) -> list[str]:
    mark = REFUSAL_MARK if answer.code >= 400 else SERVER_MARK
    return [mark + line for line in str(answer).split("\n")]


def turn_lines(turn: Turn, body_lines: int = 12) -> list[str]:
    out = [CLIENT_MARK + line for line in turn.sent_lines(body_lines)]
    sent_decoded, challenge = auth_decoded(turn)
    if sent_decoded is not None and out:
        out[-1] += f"   (decoded: {sent_decoded})"
    lines = reply_lines(turn.reply)
    if challenge is not None:
        lines[-1] += f"   (decoded: {challenge})"
    return out + lines


def auth_decoded(turn: Turn) -> tuple[str | None, str | None]:
    """The base64 of an AUTH exchange, decoded: base64 hides nothing (RFC 4954 §4)."""
    return decoded_in_transcript(turn.trigger, turn.sent, turn.reply.code, turn.reply.text)


def transcript_text(transcript: Transcript, *, body_lines: int = 12) -> str:
    out: list[str] = []
    server = None
    many = len(transcript.participants) > 2
    for entry in transcript.entries:
        if isinstance(entry, Note):
            out.append(f"{NOTE_MARK}{entry.text}")
            continue
        if many and entry.server != server:
            out.append(f"{NOTE_MARK}{entry.client} talks to {entry.server}")
        server = entry.server
        out += turn_lines(entry, body_lines)
    return "\n".join(out)
