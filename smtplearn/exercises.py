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
from smtplearn.authentication import check_spf
from smtplearn.authentication.dns_hooks import DNSUnavailable, txt_records


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
#: 00: wrong codes a student reads off the transcript, and what each one really answered
_START_HINTS = {
    354: "354 is the go-ahead after DATA ('send the message'); the server has not accepted anything yet. "
         "Look at the reply to the line that ends the message (<CRLF>.<CRLF>).",
    221: "221 is the answer to QUIT (§4.1.1.10). Look at the reply just before it.",
    220: "220 is the greeting the server sends when the client connects (§3.1), before any message.",
}


def _start_here(answer: Any) -> Feedback:
    """00: the reply code that accepted the message (the reply to the end of data)."""
    if _unanswered(answer):
        return _hint("Replace ... with a number, the code of the reply to the message's end mark.")
    if isinstance(answer, str) and answer.strip().isdigit():
        return _hint("Close: write the code as a number, without quotes (250, not '250').")
    if answer == 250:
        return _ok("250 after the end of data means the server took responsibility for the message "
                   "(RFC 5321 §4.1.1.4).")
    if answer in _START_HINTS:
        return _hint(_START_HINTS[answer])
    return _hint("That code is not in this conversation's replies to the message: look at the last reply "
                 "before QUIT's 221 in the transcript above.")


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
                     "same sender tries again after a while. Move the lesson's clock on (RFC 5321 §4.5.4.1: "
                     "at least 30 minutes), then call .retry() on this report and pass the new report.")
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
    if not server.running:
        return _hint("The server is stopped (server.stop() ran), so nothing can connect: run the notebook's "
                     "first code cell again for a new server, then sendmail to it.")
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


# -- part two: the mail system around the conversation ---------------------------------
def _host_name(answer: Any) -> str:
    return str(answer).strip().rstrip(".").lower()


#: 10: wrong host names for "who wrote the oldest Received: line" -> what to look at next
_OLDEST_RECEIVED_HINTS = {
    "mx.school.test": "mx.school.test wrote the top line: the newest. Each server prepends its line, "
                      "so the oldest is at the bottom (RFC 5321 §4.4).",
    "out.home.test": "out.home.test wrote the middle line. Look at the lowest Received: line.",
    "laptop.home.test": "laptop.home.test is in the 'from' part: the client, as it named itself. The server "
                        "that wrote a line follows 'by'.",
}


def _mail_system(answer: Any) -> Feedback:
    """10: the server that wrote the oldest (bottom) Received: line of Bob's copy: the MSA."""
    if _unanswered(answer):
        return _hint("Replace ... with a host name (a string), e.g. from HeaderView(bobs_copy).")
    name = _host_name(answer)
    if name == "smtp.home.test":
        return _ok("smtp.home.test, the MSA: the first server that took the message (on port 587, after "
                   "AUTH). Its line is at the bottom because every later server prepends (RFC 5321 §4.4).")
    return _hint(_OLDEST_RECEIVED_HINTS.get(name, "That host wrote none of the lines. Find the lowest "
                                                  "Received: line and read the name after 'by'."))


#: 12: values of the loop's bounce a student may pick up instead of its Status
_BOUNCE_HINTS = {
    "5.1.1": "5.1.1 was the first bounce (nobody@school.test). Parse the loop's bounce: "
             "loop_journey.delivered['alice@home.test'].",
    "554": "554 is the SMTP reply code. The Status field holds the enhanced code: class.subject.detail "
           "(RFC 3463 §2), three numbers with dots.",
    "failed": "That is the Action field. Take the Status field of the same block.",
}


def _trace_and_bounces(answer: Any) -> Feedback:
    """12: the Status field of the DSN that the mail loop produced."""
    if _unanswered(answer):
        return _hint("Replace ... with the Status field of the loop's bounce (a string).")
    if isinstance(answer, (bytes, bytearray)) or hasattr(answer, "get_payload"):
        return _hint("That is the whole bounce. Parse it with email.message_from_bytes, take the second part "
                     "(message/delivery-status) and read the Status field of the block for bob@school.test.")
    text = str(answer).strip()
    if text == "5.4.6":
        return _ok("5.4.6: class 5 permanent, subject 4 network and routing, detail 6 routing loop detected "
                   "(RFC 3463 §3.5). The hop count stopped the loop (RFC 5321 §6.3).")
    if "5.4.6" in text:
        return _hint("Close: the code is in there, but store only the Status value, e.g. '9.9.9'.")
    return _hint(_BOUNCE_HINTS.get(text, "Look at the per-recipient block of the message/delivery-status part: "
                                         "the field named Status."))


#: 14: the SPF result for a host that is NOT the relay -> what the record is missing
_SPF_OTHERS = {
    "pass": "The record lets every host send for club.test (is there a '+all' or '?all', or a mechanism that "
            "matches everyone?). End it with -all so that all other hosts fail (RFC 7208 §5.1).",
    "neutral": "Other hosts get 'neutral' ('?all'): club.test says nothing about them. End with -all.",
    "softfail": "Other hosts get 'softfail': that is '~all'. The exercise wants a plain 'fail': '-all'.",
}


def _who_sent_this(system: Any) -> Feedback:
    """14: club.test publishes SPF: out.home.test may send for it (pass), any other host fails."""
    if _unanswered(system) or not hasattr(system, "net"):
        return _hint("Pass the MailSystem whose zones you changed: check('14-who-sent-this', system).")
    resolver = system.net.resolver
    try:
        records = [r for r in txt_records(resolver, "club.test") if r.lower().startswith(b"v=spf1")]
    except DNSUnavailable:
        records = []
    if not records:
        return _hint("club.test publishes no SPF record yet: system.net.add_record('club.test', 'TXT', "
                     "'\"v=spf1 ...\"') (the record is TXT text starting with v=spf1, RFC 7208 §3).")
    relay = system.net.host("out.home.test").addresses[0]
    mine = check_spf(relay, "info@club.test", "out.home.test", resolver)
    if mine.result != "pass":
        return _hint(f"out.home.test gets '{mine.result}' ({mine.explanation}). Name it in the record, "
                     "e.g. with the a:out.home.test mechanism (RFC 7208 §5.3).")
    other = check_spf("203.0.113.66", "info@club.test", "forger.example", resolver)
    if other.result != "fail":
        return _hint(_SPF_OTHERS.get(other.result, f"Another host gets '{other.result}' ({other.explanation})."))
    return _ok("out.home.test passes and every other host fails: club.test's mail can only come from its "
               "provider's relay (RFC 7208 §4.6.2, §5.1). With DKIM and a DMARC policy, a forged From: "
               "club.test would now be refused.")


def _international(answer: Any) -> Feedback:
    """13: the message 'Grüße aus Köln' / 'Schöne Grüße!' as bytes an old, 7-bit server may take."""
    from email import policy
    from email.parser import BytesParser
    if _unanswered(answer):
        return _hint("Replace ... with the bytes of your message: message.as_bytes(policy=...).")
    if isinstance(answer, str) or hasattr(answer, "as_bytes"):
        return _hint("Pass bytes, what goes on the wire: message.as_bytes(policy=policy.SMTP).")
    if not isinstance(answer, (bytes, bytearray)):
        return _hint("Pass the message as bytes (message.as_bytes(policy=policy.SMTP)).")
    head, _, body = bytes(answer).partition(b"\r\n\r\n")
    if not head.isascii():
        return _hint("The header section has 8-bit bytes. Headers are always ASCII without SMTPUTF8 "
                     "(RFC 5321 §2.3.1): as_bytes(policy=policy.SMTP) writes encoded words (=?utf-8?...?=).")
    if not body.isascii():
        return _hint("The body has 8-bit bytes, which a server without 8BITMIME must not get (RFC 5321 §2.4). "
                     "Use set_content(text, cte='quoted-printable') or cte='base64'.")
    parsed = BytesParser(policy=policy.default).parsebytes(bytes(answer))
    if str(parsed.get("Subject", "")) != "Grüße aus Köln":
        return _hint(f"All ASCII, but the Subject decodes to {str(parsed.get('Subject', ''))!r}, "
                     "not 'Grüße aus Köln'. Set it as normal text; the policy encodes it.")
    text = parsed.get_body(preferencelist=("plain",))
    content = text.get_content().strip() if text is not None else ""
    if content != "Schöne Grüße!":
        return _hint(f"All ASCII, but the body decodes to {content!r}, not 'Schöne Grüße!'.")
    return _ok("Pure ASCII on the wire, and the reader still sees 'Grüße aus Köln': an encoded word in the "
               "header, a Content-Transfer-Encoding in the body. Any server since 1982 can carry it.")


def _starttls_auth(answer: Any) -> Feedback:
    """11: the password inside a captured 'AUTH PLAIN AGJvYgBzd29yZGZpc2g=' line."""
    if _unanswered(answer):
        return _hint("Replace ... with the password, as a string: decode the base64 with base64.b64decode.")
    if isinstance(answer, (bytes, bytearray)):
        if bytes(answer) == b"\x00bob\x00swordfish":
            return _hint("Decoded! The PLAIN message is authzid NUL user NUL password (RFC 4616 §2): "
                         "take the part after the last NUL, as text.")
        answer = bytes(answer).decode("utf-8", "replace")
    text = str(answer)
    if text == "swordfish":
        return _ok("swordfish: base64 is an encoding, not encryption. Anyone who sees the line reads the "
                   "password, which is why AUTH PLAIN belongs inside TLS (RFC 4954 §6, §14).")
    if text.strip("\x00") == "bob\x00swordfish" or "swordfish" in text:
        return _hint("Almost: keep only the password, the part after the last NUL (\\x00) (RFC 4616 §2).")
    if text == "bob":
        return _hint("bob is the user name. The password comes after the second NUL.")
    if text.startswith("AGJv"):
        return _hint("That is still base64. Decode it: base64.b64decode('AGJvYgBzd29yZGZpc2g=').")
    return _hint("Decode the base64 after 'AUTH PLAIN ' and split it at the NUL octets (RFC 4616 §2).")


#: notebook name -> (what the exercise asks, checker)
EXERCISES: dict[str, tuple[str, Callable[[Any], Feedback]]] = {
    "00-start-here": ("the reply code that accepted the message", _start_here),
    "01-greeting": ("the SIZE limit from the EHLO reply", _greeting),
    "02-envelope": ("a Bcc: two envelope recipients, one header recipient", _envelope),
    "03-data": ("the bytes sent after 354 for '.hidden' / 'end'", _data),
    "04-state-machine": ("reach RCPT, then abort the transaction", _state_machine),
    "05-mx-lookups": ("the first host to try for school.test", _mx),
    "06-delivery": ("deliver through greylisting", _delivery),
    "07-real-software": ("smtplib to our server, two recipients", _real_software),
    "08-security": ("prove the server refuses to relay", _security),
    "09-console-lab": ("a message to bob@example.org typed in the console, then QUIT", _console_lab),
    "10-mail-system": ("the server that wrote the oldest Received: line", _mail_system),
    "11-starttls-auth": ("the password in a captured AUTH PLAIN line", _starttls_auth),
    "12-trace-and-bounces": ("the Status of the mail loop's bounce", _trace_and_bounces),
    "13-international": ("a 7-bit message with a German Subject and body", _international),
    "14-who-sent-this": ("an SPF record for club.test: its relay passes, others fail", _who_sent_this),
}


def check(exercise: str, answer: Any) -> Feedback:
    """Mark ``answer`` for ``exercise`` (a notebook name such as "03-data")."""
    try:
        _, checker = EXERCISES[exercise]
    except KeyError:
        raise NotFoundError(f"no exercise {exercise!r}; known: {', '.join(EXERCISES)}") from None
    return checker(answer)
