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
from smtplearn.protocol.states import State


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
        colour, mark = ("#1a7f37", "✅ Well done!") if self.passed else ("#9a6700", "💡 Not yet.")
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
    from smtplearn.protocol.limits import Limits
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
    """06: a delivery to the greylisting domain: deferred first, delivered when retried."""
    if _unanswered(report) or not hasattr(report, "outcomes"):
        return _hint("Pass the report that deliver(...) returned for the retry.")
    statuses = {str(getattr(o, "status", "")).lower() for o in report.outcomes}
    if any("delivered" in s for s in statuses):
        return _ok("Greylisting answered 450 the first time; the retry was accepted (RFC 5321 §4.5.4.1).")
    if any("deferred" in s for s in statuses):
        return _hint("Still deferred: a greylisting server accepts only when the same sender tries again.")
    return _hint("Nothing was delivered or deferred: check the recipient's domain.")


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
        return _ok("550 5.7.1: the server is not an open relay (RFC 5321 §3.6.2, §7.1).")
    if reply.code == 250:
        return _hint("It was accepted: give the server local_domains=[...] and use a recipient outside them.")
    return _hint(f"{reply.code} is a refusal, but not the relay refusal: was the command in the right order?")


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
}


def check(exercise: str, answer: Any) -> Feedback:
    """Mark ``answer`` for ``exercise`` (a notebook name such as "03-data")."""
    try:
        _, checker = EXERCISES[exercise]
    except KeyError:
        raise KeyError(f"no exercise {exercise!r}; known: {', '.join(EXERCISES)}") from None
    return checker(answer)
