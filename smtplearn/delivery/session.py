"""One SMTP session of a sending MTA with one address of one MX host.

``run_session`` says EHLO, checks the server offers what the message needs
(SMTPUTF8, 8BITMIME), sends MAIL, one RCPT per recipient and DATA, says QUIT,
and classifies every answer into a ``RecipientResult``. It returns an
``Attempt``: mta.py decides from it whether the next MX address is tried.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from smtplearn.conversation import Conversation
from smtplearn.delivery.envelope import OutgoingMessage
from smtplearn.delivery.report import NO_NOTIFICATION, RecipientResult, Status
from smtplearn.mx.names import ascii_mailbox
from smtplearn.protocol.errors import ProtocolError
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import Signal, State

__all__ = ["Attempt", "run_session", "TRY_NEXT", "UNKNOWN"]

TRY_NEXT = "temporary, so the next MX address is tried (RFC 5321 §5.1, §4.2.1)"
UNKNOWN = ("outcome unknown: the server had the whole message and may have accepted it, so it is neither "
           "sent to another MX nor retried, which could deliver a second copy (RFC 5321 §4.5.3.2.6, §6.1); "
           "ask the receiving side before sending it again")


@dataclass(frozen=True)
class Attempt:
    """What one connection to one address gave: a result per recipient, or why it failed.

    ``move_on``: this server cannot take the message whatever the answers (a 5xx
    greeting, a missing extension), so the next MX is tried anyway; the results
    stand only if no other MX takes the message.
    """

    results: tuple[RecipientResult, ...] = ()
    failure: str | None = None  # the connection could not be opened: why
    move_on: bool = False


def give_up(sender: str) -> str:
    """What a permanent failure means for the sender of this message (RFC 5321 §4.2.1, §6.1)."""
    told = (NO_NOTIFICATION if not sender else
            f"a non-delivery report goes to the reverse-path <{sender}> (RFC 5321 §6.1)")
    return f"permanent: the message bounces for this recipient, no retry (RFC 5321 §4.2.1); {told}"


def run_session(conv: Conversation, host: str, address: str, message: OutgoingMessage,
                pending: list[str]) -> Attempt:
    """EHLO, MAIL, one RCPT per recipient, DATA, QUIT; classify every answer."""

    def refused(answer: Reply, stage: str, *, move_on: bool = False) -> Attempt:
        _quit(conv)
        return Attempt(tuple(_refusal(r, answer, stage, host, address, message.sender) for r in pending),
                       move_on=move_on)

    greeting = conv.greeting
    if greeting is not None and not greeting.is_positive:
        if greeting.is_permanent:
            # RFC 5321 §3.1: a server that greets with 554 "MUST still wait for the client to send a
            # QUIT"; §5.1: the client tries each address "in order, until a delivery attempt
            # succeeds" (Postfix does the same: smtp_skip_5xx_greeting = yes)
            return refused(greeting, "the greeting", move_on=True)
        return refused(greeting, "the greeting")  # 421: the server closes (§3.8); try the next MX
    hello = conv.ehlo()
    if hello.code in (500, 502):  # RFC 5321 §3.2: EHLO "not recognized": the client SHOULD fall back to HELO
        hello = conv.helo()
    if not hello.is_positive:
        return refused(hello, "HELO/EHLO")
    missing = missing_extension(conv.extensions, message, pending, host)
    if missing is not None:
        _quit(conv)
        why = f"{missing}; {give_up(message.sender)}"
        return Attempt(tuple(RecipientResult(r, Status.BOUNCED, why, host, address) for r in pending),
                       move_on=True)
    mail = conv.mail(ascii_mailbox(message.sender), **mail_params(conv.extensions, message, pending))
    if not mail.is_positive:
        return refused(mail, "MAIL FROM")
    return Attempt(tuple(_transaction(conv, host, address, message, pending)))


def _transaction(conv: Conversation, host: str, address: str, message: OutgoingMessage,
                 pending: list[str]) -> list[RecipientResult]:
    results: dict[str, RecipientResult] = {}
    accepted = []
    for rcpt in pending:  # RFC 5321 §3.3: each recipient is accepted or refused on its own
        answer = conv.rcpt(ascii_mailbox(rcpt))
        if answer.is_positive:
            accepted.append(rcpt)
        else:
            results[rcpt] = _refusal(rcpt, answer, "RCPT TO", host, address, message.sender)
    if accepted:
        try:
            final = conv.data(message.content, crlf_done=True)
        except (OSError, ProtocolError) as err:
            if conv.session.next_trigger is not Signal.END_OF_DATA:
                raise  # the message was not complete: no server has it, try elsewhere
            # the final dot went out and no reply came: a timeout (FinalReplyTimeout) or a broken
            # connection; either way the server may have the message (§4.5.3.2.6, §6.1, RFC 1047)
            why = f"no reply from {host} to the end of data ({err}); {UNKNOWN}"
            return [results.get(r) or RecipientResult(r, Status.UNKNOWN, why, host, address) for r in pending]
        for rcpt in accepted:
            results[rcpt] = (RecipientResult(rcpt, Status.DELIVERED, f"accepted by {host}: {final.text}",
                                             host, address, final)
                             if final.code == 250 else _refusal(rcpt, final, "DATA", host, address, message.sender))
    _quit(conv)
    return [results[r] for r in pending]


def missing_extension(extensions: dict[str, str], message: OutgoingMessage, rcpts: list[str],
                      host: str) -> str | None:
    """What the message needs that the server did not offer in EHLO, in words; None if nothing."""
    needs = message.needs_smtputf8(rcpts)
    if needs is not None and "SMTPUTF8" not in extensions:
        return (f"the message needs SMTPUTF8 ({needs}) and {host} does not offer it: RFC 6531 §3.2 says the "
                "client \"MUST NOT transmit an internationalized email address and MUST NOT transmit a mail "
                "message containing internationalized mail headers\" to such a server, and \"SHOULD reject "
                "the message\"")
    if message.body_8bit and "8BITMIME" not in extensions:
        return (f"the body has 8-bit octets and {host} does not offer 8BITMIME: RFC 5321 §2.4 says a client "
                "that has not negotiated it \"MUST NOT transmit messages with information in the high-order "
                "bit of octets\" (RFC 6152 §3: treat it as a permanent error or convert to 7-bit MIME)")
    return None


def mail_params(extensions: dict[str, str], message: OutgoingMessage, rcpts: list[str]) -> dict[str, object]:
    """The MAIL FROM parameters this message needs (the server offered them: missing_extension checked)."""
    params: dict[str, object] = {}
    if "SIZE" in extensions:  # RFC 1870 §4, §6: say the size up front, so a too-big message is refused at once
        params["SIZE"] = len(message.content)
    if message.body_8bit:
        params["BODY"] = "8BITMIME"  # RFC 6152 §3: a MIME body with octets above 127
    if message.needs_smtputf8(rcpts) is not None:
        # RFC 6531 §3.4: "MUST supply the SMTPUTF8 parameter" when the envelope or message needs it
        params["SMTPUTF8"] = True
    return params


#: RFC 5321 §4.5.3.1.10: RFC 821 listed "too many recipients" as 552; "Clients SHOULD treat a 552
#: code in this case as a temporary, rather than permanent, failure". The case is recognised by its
#: enhanced status, RFC 3463 X.5.3 "Too many recipients" (a bare 552 may mean a full mailbox or a
#: message too big for this recipient, RFC 1870 §6.4, which must not be retried)
TOO_MANY_AS_552 = ("552 with 5.5.3 means too many recipients, which RFC 5321 §4.5.3.1.10 says a client SHOULD "
                   "treat as temporary, like 452")


def _refusal(rcpt: str, answer: Reply, stage: str, host: str, address: str, sender: str) -> RecipientResult:
    too_many = stage == "RCPT TO" and answer.code == 552 and answer.enhanced == "5.5.3"
    status, meaning = ((Status.DEFERRED, f"{TOO_MANY_AS_552}: {TRY_NEXT}" if too_many else TRY_NEXT)
                       if answer.is_transient or too_many else (Status.BOUNCED, give_up(sender)))
    if stage == "the greeting" and answer.is_permanent:
        meaning = "this server takes no mail from us (RFC 5321 §3.1); " + give_up(sender)
    first = answer.lines[0] if answer.lines else ""
    return RecipientResult(rcpt, status, f"{host} answered {answer.code} to {stage} ({first}): {meaning}",
                           host, address, answer)


def _quit(conv: Conversation) -> None:
    """Say goodbye if the session is still open (§4.1.1.10); a broken one is just closed.
    After a 554 greeting too: the server waits for QUIT (§3.1)."""
    greeting = conv.greeting
    refused_at_greeting = greeting is not None and greeting.is_permanent
    if conv.state is State.CLOSED and not refused_at_greeting:
        return
    try:
        conv.quit()
    except (OSError, ProtocolError):
        pass


def as_final(result: RecipientResult, note: str) -> RecipientResult:
    """``result`` with ``note`` added to its reason (when no other MX changed the outcome)."""
    return replace(result, reason=f"{result.reason}; {note}")
