# The end-of-notebook exercises (smtplearn/exercises.py): every exercise has a solution
# in notebooks/solutions/ that passes its checker, the set-up a solution repeats still
# matches its notebook, and the answers students typically give first get a hint that
# says what to look at next (Feedback.passed False), never a bare "wrong" or a crash.
from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import smtplearn
from smtplearn.exercises import EXERCISES, Feedback, check

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"
SETUP_MARK, ANSWER_MARK = "# -- as in the notebook --", "# -- the answer --"


def solution_path(name: str) -> Path:
    return SOLUTIONS_DIR / f"{name}.py"


def run_solution(name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run a solution file as a student would (%run, from notebooks/) and return its globals."""
    monkeypatch.chdir(NOTEBOOKS_DIR)
    return runpy.run_path(str(solution_path(name)), run_name="__main__")


# ---------------------------------------------------------------- solutions
@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_passes(name, monkeypatch, capsys):
    path = solution_path(name)
    assert path.exists(), f"no solution for {name}: write {path.relative_to(NOTEBOOKS_DIR.parent)}"
    feedback = run_solution(name, monkeypatch)["feedback"]
    assert isinstance(feedback, Feedback)
    assert feedback.passed, f"the solution of {name} does not pass: {feedback.message}"
    assert "✅" in capsys.readouterr().out  # it shows the student the same feedback


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_repeats_the_notebooks_setup(name):
    """The lines a solution copies from its notebook are still there, so the two cannot drift."""
    text = solution_path(name).read_text(encoding="utf-8")
    assert ANSWER_MARK in text, f"{name}: mark where the answer starts with '{ANSWER_MARK}'"
    if SETUP_MARK not in text:
        return  # the exercise needs no set-up from the notebook
    notebook = NOTEBOOKS_DIR / f"{name}.ipynb"
    assert notebook.exists(), f"{name} has a solution but no notebook"
    import nbformat

    code = {line.strip() for cell in nbformat.read(notebook, as_version=4).cells
            if cell.cell_type == "code" for line in cell.source.splitlines()}
    setup = text.split(SETUP_MARK, 1)[1].split(ANSWER_MARK, 1)[0]
    stale = [line for line in setup.splitlines() if line.strip() and line.strip() not in code]
    assert not stale, f"{name}: these set-up lines are no longer in {notebook.name}: {stale}"


def test_every_solution_has_an_exercise():
    orphans = sorted(path.stem for path in SOLUTIONS_DIR.glob("*.py") if path.stem not in EXERCISES)
    assert not orphans, f"solutions without an exercise in smtplearn.exercises.EXERCISES: {orphans}"


def test_no_notebook_runs_a_solution():
    """Solutions live in their own folder, never in a notebook's code cells."""
    import nbformat

    for notebook in NOTEBOOKS_DIR.glob("*.ipynb"):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "code":
                assert "%run solutions/" not in cell.source, f"{notebook.name} runs a solution for the student"


# ---------------------------------------------------------------- wrong answers
# What a student builds on the way to each answer.
def pair_until(*steps: str, to: tuple[str, ...] = ("bob@example.net",), header_to: str = "bob@example.net",
               local_domains: list[str] | None = None) -> smtplearn.Pair:
    pair = smtplearn.Pair(local_domains=local_domains) if local_domains else smtplearn.Pair()
    for step in steps:
        if step == "ehlo":
            pair.ehlo()
        elif step == "mail":
            pair.mail("alice@example.org")
        elif step == "rcpt":
            for rcpt in to:
                pair.rcpt(rcpt)
        elif step == "data":
            pair.data(f"From: alice@example.org\r\nTo: {header_to}\r\nSubject: Hi\r\n\r\nHello\r\n")
        else:
            getattr(pair, step)()
    return pair


def server_with(*recipient_lists: list[str]) -> Any:
    import smtplib

    server = smtplearn.Server(hostname="mx.class.test").start()
    try:
        for recipients in recipient_lists:
            with smtplib.SMTP(*server.address, local_hostname="laptop.example", timeout=10) as smtp:
                smtp.sendmail("alice@example.org", recipients, "Subject: hi\r\n\r\nHello\r\n")
    finally:
        server.stop()
    return server


def grey_report(*, retried: bool = False, to: str = "zoe@grey.test", rejects: tuple[str, ...] = ()) -> Any:
    from smtplearn.mini_internet import MiniInternet

    net = MiniInternet.classroom()
    if rejects:
        net.host("mx.grey.test", rejects=rejects)
    report = net.deliver(f"From: alice@home.test\r\nTo: {to}\r\nSubject: hi\r\n\r\nHi\r\n")
    return report.retry() if retried else report


def console_pair(*actions: tuple[str, str]) -> smtplearn.Pair:
    from smtplearn.widgets import Console

    pair = smtplearn.Pair()
    console = Console(pair)
    for kind, value in actions:
        console.press(value) if kind == "press" else console.type_line(value)
    return pair


SEND = (("press", "EHLO"), ("press", "MAIL"), ("press", "RCPT"), ("press", "DATA"))
BODY = (("line", "Subject: Hello"), ("line", ""), ("line", "Hi Bob!"), ("line", "."))
UNANSWERED = ("unanswered", lambda: ..., "Replace")

# exercise -> [(what the student did, how to build that answer, a word the hint must contain)]
WRONG: dict[str, list[tuple[str, Callable[[], Any], str]]] = {
    "01-greeting": [
        UNANSWERED,
        ("the text, not a number", lambda: "10485760", "int("),
        ("another number", lambda: 1000, "SIZE"),
    ],
    "02-envelope": [
        ("nothing passed", lambda: ..., "check('02-envelope', pair)"),
        ("nothing delivered", lambda: pair_until("ehlo", "mail", "rcpt"), "DATA"),
        ("one recipient", lambda: pair_until("ehlo", "mail", "rcpt", "data"), "two RCPT TO"),
        ("both in To:", lambda: pair_until("ehlo", "mail", "rcpt", "data", to=("b@x.example", "c@x.example"),
                                           header_to="b@x.example, c@x.example"), "Leave one out"),
    ],
    "03-data": [
        UNANSWERED,
        ("a str", lambda: "..hidden\r\nend\r\n.\r\n", "bytes"),
        ("dot not doubled", lambda: b".hidden\r\nend\r\n.\r\n", "double it"),
        ("no end mark", lambda: b"..hidden\r\nend\r\n", "<CRLF>.<CRLF>"),
        ("LF only", lambda: b"..hidden\nend\n.\n", "<CRLF>"),
        ("dot added at the start of every line", lambda: b"..hidden\r\n.end\r\n.\r\n", "dot_stuff"),
    ],
    "04-state-machine": [
        ("nothing passed", lambda: ..., "Pass the Pair"),
        ("never reached RCPT", lambda: pair_until("ehlo", "mail"), "never reached RCPT"),
        ("stayed in RCPT", lambda: pair_until("ehlo", "mail", "rcpt"), "RCPT"),
        ("closed with QUIT", lambda: pair_until("ehlo", "mail", "rcpt", "quit"), "CLOSED"),
        ("delivered", lambda: pair_until("ehlo", "mail", "rcpt", "data"), "delivered"),
    ],
    "05-mx-lookups": [
        UNANSWERED,
        ("the backup (larger preference)", lambda: "backup.school.test", "Lower numbers are tried first"),
        ("an address, not a name", lambda: "192.0.2.10", "zone resolver"),
        ("the web server", lambda: "www.school.test", "preference"),
    ],
    "06-delivery": [
        ("nothing passed", lambda: ..., "report"),
        ("the first, deferred try", lambda: grey_report(), ".retry()"),
        ("another domain", lambda: grey_report(to="zoe@school.test"), "grey.test"),
        ("a refused recipient", lambda: grey_report(rejects=("zoe@grey.test",)), "4xx"),
    ],
    "07-real-software": [
        ("nothing passed", lambda: ..., "Pass the Server"),
        ("no mail sent", lambda: server_with(), "sendmail"),
        ("one recipient", lambda: server_with(["bob@example.net"]), "list of two"),
    ],
    "08-security": [
        ("unanswered", lambda: ..., "Store the Reply"),
        ("an open relay accepted it", lambda: pair_until("ehlo", "mail").rcpt("x@elsewhere.example"),
         "local_domains"),
        ("RCPT before MAIL", lambda: pair_until("ehlo", local_domains=["school.test"]).rcpt("x@elsewhere.example"),
         "order"),
    ],
    "09-console-lab": [
        ("nothing passed", lambda: ..., "check('09-console-lab', pair)"),
        ("only connected", lambda: console_pair(), "EHLO"),
        ("stopped in MAIL", lambda: console_pair(*SEND[:2]), "RCPT TO names a recipient"),
        ("no Subject", lambda: console_pair(*SEND, *BODY[1:]), "Subject"),
        ("forgot QUIT", lambda: console_pair(*SEND, *BODY), "QUIT"),
    ],
    "10-mail-system": [
        UNANSWERED,
        ("the newest line's server", lambda: "mx.school.test", "oldest is at the bottom"),
        ("the client's own name", lambda: "laptop.home.test", "follows 'by'"),
        ("the middle line", lambda: "out.home.test", "lowest"),
    ],
    "11-starttls-auth": [
        UNANSWERED,
        ("still base64", lambda: "AGJvYgBzd29yZGZpc2g=", "b64decode"),
        ("the user name", lambda: "bob", "second NUL"),
        ("the decoded bytes", lambda: b"\x00bob\x00swordfish", "RFC 4616"),
        ("user and password", lambda: "bob\x00swordfish", "only the password"),
    ],
    "12-trace-and-bounces": [
        UNANSWERED,
        ("the first bounce's status", lambda: "5.1.1", "loop_journey"),
        ("the reply code", lambda: "554", "class.subject.detail"),
        ("the Action field", lambda: "failed", "Status"),
        ("the Diagnostic-Code", lambda: "smtp; 554 5.4.6 Too many hops", "only the Status"),
        ("the bounce's bytes", lambda: b"From: Mail Delivery System", "message_from_bytes"),
    ],
    "13-international": [
        UNANSWERED,
        ("a str", lambda: "Subject: Grüße aus Köln\r\n\r\nSchöne Grüße!\r\n", "bytes"),
        ("raw UTF-8 headers", lambda: german_message(header_policy="SMTPUTF8"), "encoded words"),
        ("an 8-bit body", lambda: german_message(cte="8bit"), "quoted-printable"),
        ("the subject lost", lambda: german_message(subject="Gruesse aus Koeln"), "Subject decodes"),
        ("the body lost", lambda: german_message(body="Schone Grusse!"), "body decodes"),
    ],
    "14-who-sent-this": [
        ("nothing passed", lambda: ..., "check('14-who-sent-this', system)"),
        ("no record yet", lambda: club_system(), "add_record"),
        ("the relay not named", lambda: club_system('"v=spf1 ip4:192.0.2.99 -all"'), "a:out.home.test"),
        ("everyone allowed", lambda: club_system('"v=spf1 a:out.home.test +all"'), "-all"),
        ("softfail for others", lambda: club_system('"v=spf1 a:out.home.test ~all"'), "'~all'"),
    ],
}


def german_message(*, header_policy: str = "SMTP", cte: str = "quoted-printable",
                   subject: str = "Grüße aus Köln", body: str = "Schöne Grüße!") -> bytes:
    from email import policy
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "alice@home.test"
    message["Subject"] = subject
    message.set_content(body + "\n", cte=cte)
    return message.as_bytes(policy=getattr(policy, header_policy))


def club_system(spf: str | None = None) -> Any:
    from smtplearn.mini_internet.roles import MailSystem

    system = MailSystem().authenticate_mail()
    if spf is not None:
        system.net.add_record("club.test", "TXT", spf)
    return system


def _wrong_cases() -> list[Any]:
    return [pytest.param(name, build, hint, id=f"{name}-{what}")
            for name, cases in WRONG.items() for what, build, hint in cases]


@pytest.mark.parametrize(("name", "build", "hint"), _wrong_cases())
def test_wrong_answer_gets_a_hint(name, build, hint):
    feedback = check(name, build())
    assert isinstance(feedback, Feedback)
    assert not feedback.passed, f"{name} passed a wrong answer: {feedback.message}"
    assert hint in feedback.message, f"{name}: expected a hint mentioning {hint!r}, got: {feedback.message}"
    assert len(feedback.message.split()) >= 5, f"{name}: a hint should say what to look at: {feedback.message}"
    assert "💡" in repr(feedback) and "Not yet" in feedback._repr_html_()


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_has_wrong_answers_tested(name):
    assert len(WRONG.get(name, [])) >= 2, f"add typical wrong answers for {name} to WRONG"


def test_equivalent_spellings_pass():
    """A right answer written another way is still right."""
    assert check("05-mx-lookups", "MAIL.school.test.").passed  # case and a final dot do not matter in DNS
    assert check("01-greeting", 10485760).passed


def test_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match="05-mx-lookups"):
        check("5-mx", "mail.school.test")


def test_feedback_html_is_escaped():
    html = Feedback(False, "<script>alert(1)</script>")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
