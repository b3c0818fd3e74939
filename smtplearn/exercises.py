"""The end-of-notebook exercises and the checkers that mark them.

Each exercise is a small function that looks at what the student built
(a Pair, a Server, a value) and returns ``Feedback``: a pass, or a hint that
says what to look at next -- never just "wrong". The notebooks call
``check("03-data", answer)``; the test suite calls the same checkers with the
solutions in ``notebooks/solutions/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from smtplearn.protocol.data import dot_stuff
from smtplearn.protocol.errors import NotFoundError
from smtplearn.protocol.limits import Limits
from smtplearn.protocol.states import State
from smtplearn.render.html import reply_colour


@dataclass(frozen=True)
class Feedback:
    """The result of a check: ``passed``, and a message for the student."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return ("✅ " if self.passed else "💡 Not yet: ") + self.message

    def _repr_html_(self) -> str:
        colour, mark = (reply_colour(250), "✅ Well done!") if self.passed else (reply_colour(450), "💡 Not yet.")
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px">'
                f'<b style="color:{colour}">{mark}</b> {escape(self.message)}</div>')


def _ok(message: str) -> Feedback:
    return Feedback(True, message)


def _hint(message: str) -> Feedback:
    return Feedback(False, message)


def _unanswered(answer: Any) -> bool:
    return answer is ... or answer is None


# -- one checker per notebook -------------------------------------------------------
def _greeting(answer: Any) -> Feedback:
    """01: the SIZE limit the server advertised in its EHLO reply, as an int."""
    expected = Limits().message_size
    if _unanswered(answer):
        return _hint("Replace ... with a number: look for the line starting 'SIZE' in the EHLO reply.")
    if isinstance(answer, str) and answer.strip().isdigit():
        return _hint("Close: that is the right text, but make it a number with int(...).")
    if answer == expected:
        return _ok(f"SIZE {expected}: the server takes messages up to {expected:,} octets (RFC 1870).")
    return _hint("That is not the SIZE value. Print pair.extensions, or look at the EHLO reply's lines.")


def _envelope(pair: Any) -> Feedback:
    """02: one message, two envelope recipients, only one of them in the To: header (a Bcc)."""
    if _unanswered(pair) or not hasattr(pair, "mailbox"):
        return _hint("Pass the Pair you used: check('02-envelope', pair).")
    if not len(pair.mailbox):
        return _hint("No message was delivered yet: did DATA end with a 250 reply?")
    message = pair.mailbox[-1]
    if len(message.rcpt_tos) < 2:
        return _hint("The envelope needs two RCPT TO commands (two recipients) before DATA.")
    to_header = str(message.email.get("To", ""))
    hidden = [r for r in message.rcpt_tos if r.lower() not in to_header.lower()]
    if not hidden:
        return _hint("Every recipient is in the To: header. Leave one out: it then receives a 'blind' copy.")
    return _ok(f"{hidden[0]} got the message without appearing in To:. The envelope, "
               "not the header, decides who receives mail (RFC 5321 §2.3.1, §3.3).")


def _data(answer: Any) -> Feedback:
    """03: the exact bytes a client sends after 354 for the body '.hidden\\r\\nend\\r\\n'."""
    expected = dot_stuff(b".hidden\r\nend\r\n")
    if _unanswered(answer):
        return _hint("Replace ... with a bytes value such as b'...\\r\\n'.")
    if isinstance(answer, str):
        return _hint("Write it as bytes (b'...'): SMTP sends octets.")
    if answer == expected:
        return _ok("The leading dot is doubled (§4.5.2) and the text ends with <CRLF>.<CRLF> (§4.1.1.4).")
    if answer == b".hidden\r\nend\r\n.\r\n":
        return _hint("A line starting with '.' would be read as part of the end mark: double it (§4.5.2).")
    if answer.endswith(b"\r\n.") or not answer.endswith(b".\r\n"):
        return _hint("The end mark is a line holding only a period: <CRLF>.<CRLF>, so the last bytes are '\\r\\n.\\r\\n'.")
    return _hint("Compare with smtplearn.protocol.dot_stuff(...) byte by byte.")


def _state_machine(pair: Any) -> Feedback:
    """04: reach RCPT, then abort with RSET: the session is READY again, with nothing delivered."""
    if _unanswered(pair) or not hasattr(pair, "transcript"):
        return _hint("Pass the Pair you used: check('04-state-machine', pair).")
    states = pair.transcript.states
    if State.RCPT not in states:
        return _hint("The session never reached RCPT: send EHLO, MAIL FROM and an accepted RCPT TO first.")
    if pair.state is not State.READY:
        return _hint(f"The session is in {pair.state.name}. Which command throws the transaction away "
                     "but keeps the session? (§4.1.1.5)")
    if len(pair.mailbox):
        return _hint("A message was delivered: abort the transaction before DATA this time.")
    return _ok("RSET dropped the sender and recipients; the session is back in READY (§4.1.1.5).")


def _mx(answer: Any) -> Feedback:
    """05: the host a sender tries first for school.test in the exercise zone."""
    if _unanswered(answer):
        return _hint("Replace ... with a host name (a string).")
    if str(answer).rstrip(".").lower() == "backup.school.test":
        return _hint("That host has the larger preference number. Lower numbers are tried first (§5.1).")
    if str(answer).rstrip(".").lower() == "mail.school.test":
        return _ok("mail.school.test has the lowest preference (10), so it is tried first (RFC 5321 §5.1).")
    return _hint("Look up the MX records of school.test with the zone resolver and sort by preference.")


def _delivery(report: Any) -> Feedback:
    """06: a delivery to the greylisting domain grey.test: deferred first, delivered when retried."""
    if _unanswered(report) or not hasattr(report, "results"):
        return _hint("Pass the DeliveryReport that net.deliver(...) or report.retry() returned.")
    grey = [r for r in report.results if r.domain == "grey.test"]
    if not grey:
        sent_to = ", ".join(r.recipient for r in report.results) or "nobody"
        return _hint(f"This report is for {sent_to}. The greylisting host is mx.grey.test, the MX of "
                     "grey.test: send to an address such as zoe@grey.test.")
    status = grey[0].status.value  # "delivered", "deferred" or "bounced" (smtplearn.delivery.Status)
    if status == "delivered":
        return _ok("Greylisting (RFC 6647) answered 450 the first time; the retry was accepted "
                   "(RFC 5321 §4.5.4.1: a sender MUST wait before retrying).")
    if status == "deferred":
        return _hint("Deferred: 450 means 'try again later', and a greylisting server accepts only when the "
                     "same sender tries again. Call .retry() on this report and pass the new report.")
    return _hint(f"It bounced ({grey[0].reason}). Greylisting answers 4xx, never 5xx: was the address right?")


def _real_software(server: Any) -> Feedback:
    """07: smtplib delivered one message with two recipients to our Server."""
    if _unanswered(server) or not hasattr(server, "mailbox"):
        return _hint("Pass the Server you started: check('07-real-software', server).")
    for message in server.mailbox:
        if len(message.rcpt_tos) >= 2:
            return _ok("Python's smtplib and smtplearn spoke RFC 5321 to each other over TCP.")
    if len(server.mailbox):
        return _hint("A message arrived, but with one recipient: give smtplib.sendmail a list of two.")
    return _hint("No message yet: call smtp.sendmail(sender, [two recipients], message) inside the with-block.")


def _security(reply: Any) -> Feedback:
    """08: the reply to RCPT TO a foreign domain on a server with local domains."""
    if _unanswered(reply) or not hasattr(reply, "code"):
        return _hint("Store the Reply that pair.rcpt(...) returned.")
    if reply.code == 550 and reply.enhanced == "5.7.1":
        return _ok("550 5.7.1: the server is not an open relay (RFC 5321 §3.6.2, §7.9).")
    if reply.code == 250:
        return _hint("It was accepted: give the server local_domains=[...] and use a recipient outside them.")
    return _hint(f"{reply.code} is a refusal, but not the relay refusal: was the command in the right order?")


#: 09: where a console session stands, and the next thing to press (the state is the hint)
_CONSOLE_NEXT = {
    State.GREETED: "Nothing delivered yet. Start with EHLO: before it, MAIL stays grey (RFC 5321 §4.1.4).",
    State.READY: "You are in READY: press MAIL to give the envelope sender (where bounces go).",
    State.MAIL: "You are in MAIL: put bob@example.org in the 'recipient' box and press RCPT. "
                "RCPT TO names a recipient, not the sender.",
    State.RCPT: "You are in RCPT: press DATA and wait for 354.",
    State.DATA: "You are in DATA: type the message in the raw-line box, one line at a time "
                "(Subject: ..., an empty line, the body), then a line holding only '.'.",
    State.CLOSED: "The session is closed and nothing reached bob@example.org. Run the console cell "
                  "again for a fresh Pair, and QUIT only at the end.",
}


def _console_lab(pair: Any) -> Feedback:
    """09: with the console only, a message with a Subject to bob@example.org, then QUIT."""
    if _unanswered(pair) or not hasattr(pair, "mailbox"):
        return _hint("Pass the Pair the console drives: check('09-console-lab', pair).")
    to_bob = [m for m in pair.mailbox if "bob@example.org" in (r.lower() for r in m.rcpt_tos)]
    if not to_bob:
        if len(pair.mailbox):
            return _hint("A message was delivered, but not to bob@example.org: check the 'recipient' box.")
        return _hint(_CONSOLE_NEXT.get(pair.state, f"The session is in {pair.state.name}."))
    if not str(to_bob[-1].email.get("Subject", "")).strip():
        return _hint("Bob got a message without a Subject: the lines right after 354 are headers, so "
                     "type 'Subject: ...' first, then an empty line, then the body.")
    if pair.state is not State.CLOSED:
        return _hint("Delivered! Now end the session politely: press QUIT and read the 221 (§4.1.1.10).")
    return _ok("EHLO, MAIL, RCPT, DATA, your lines, '.', QUIT: a whole SMTP session by hand, "
               "in the only order the server's table allows.")


#: notebook name -> (what the exercise asks, checker)
EXERCISES: dict[str, tuple[str, Callable[[Any], Feedback]]] = {
    "01-greeting": ("the SIZE limit from the EHLO reply", _greeting),
    "02-envelope": ("a Bcc: two envelope recipients, one header recipient", _envelope),
    "03-data": ("the bytes sent after 354 for '.hidden' / 'end'", _data),
    "04-state-machine": ("reach RCPT, then abort the transaction", _state_machine),
    "05-mx-lookups": ("the first host to try for school.test", _mx),
    "06-delivery": ("deliver through greylisting", _delivery),
    "07-real-software": ("smtplib to our server, two recipients", _real_software),
    "08-security": ("prove the server refuses to relay", _security),
    "09-console-lab": ("a message to bob@example.org typed in the console, then QUIT", _console_lab),
}


def check(exercise: str, answer: Any) -> Feedback:
    """Mark ``answer`` for ``exercise`` (a notebook name such as "03-data")."""
    try:
        _, checker = EXERCISES[exercise]
    except KeyError:
        raise NotFoundError(f"no exercise {exercise!r}; known: {', '.join(EXERCISES)}") from None
    return checker(answer)
