"""The course widgets, driven from Python the way a student drives them in the browser.

Buttons are clicked with ``button.click()``; lines are typed into the raw-line box
and submitted the way the browser does it (a custom "submit" message on Enter).
After every step the console's enabled buttons must equal what the transition
table allows -- the widget may not have an opinion of its own.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("ipywidgets", reason="the widgets need ipywidgets: pip install -e '.[lab]'")

from smtplearn import Pair, Server  # noqa: E402
from smtplearn.protocol.states import State, Verb, allowed_verbs  # noqa: E402
from smtplearn.transports.client import Client  # noqa: E402
from smtplearn.widgets import Console, MXExplorer, Player  # noqa: E402
from smtplearn.widgets.console import BUTTONS  # noqa: E402

ZONE = """
$ORIGIN school.test.
@       MX 10 mail
@       MX 20 backup
mail    A  192.0.2.10
backup  A  192.0.2.20
"""


def table_allows(console: Console) -> set[Verb]:
    """The console's buttons the transition table allows now (read from the table itself)."""
    return set(allowed_verbs(console.state)) & set(BUTTONS)


def assert_buttons_follow_table(console: Console) -> None:
    assert console.enabled_verbs == table_allows(console), console.state
    assert console.enabled_verbs == set(console.conversation.allowed_verbs) & set(BUTTONS)


def type_and_enter(console: Console, text: str) -> None:
    """What the browser does: the value syncs as it is typed, then Enter sends a 'submit' message."""
    console.raw.value = text
    console.raw._handle_custom_msg({"event": "submit"}, [])


def lit_state(svg_html: str) -> str | None:
    """The state the SVG state diagram lights: its node carries the class "current"."""
    import re
    found = re.search(r'class="node state current">\s*<title>(\w+)</title>', svg_html)
    return found.group(1) if found else None


def shown_state(widget) -> str:
    value = widget.state_label.value
    return value.split('data-state="', 1)[1].split('"', 1)[0]


# -- the import stays light ----------------------------------------------------------------
def test_import_smtplearn_and_widgets_package_do_not_import_ipywidgets():
    code = ("import sys, smtplearn, smtplearn.widgets; smtplearn.Pair; "
            "assert 'ipywidgets' not in sys.modules, 'ipywidgets was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- console -------------------------------------------------------------------------------
def test_console_opens_with_the_greeting_and_the_greeted_buttons():
    console = Console()
    assert console.state is State.GREETED
    assert "220" in console.reply.value
    assert_buttons_follow_table(console)
    assert Verb.MAIL not in console.enabled_verbs and Verb.EHLO in console.enabled_verbs
    assert "not allowed before HELO/EHLO" in console.buttons[Verb.MAIL].tooltip
    assert shown_state(console) == "GREETED"


def test_every_button_has_a_stable_class_for_the_browser():
    console = Console()
    for verb, button in console.buttons.items():
        assert f"smtplearn-cmd-{verb.value}" in button._dom_classes
        assert button.description == verb.value
    assert "smtplearn-state" in console.state_label._dom_classes
    assert "smtplearn-raw" in console.raw._dom_classes


def test_buttons_follow_the_table_through_a_whole_session():
    pair = Pair()
    console = Console(pair)
    steps = [
        ("EHLO", State.READY), ("MAIL", State.MAIL), ("RCPT", State.RCPT), ("NOOP", State.RCPT),
        ("VRFY", State.RCPT), ("HELP", State.RCPT), ("RSET", State.READY), ("HELO", State.READY),
        ("MAIL", State.MAIL), ("RCPT", State.RCPT), ("DATA", State.DATA),
    ]
    for verb, state in steps:
        button = console.buttons[Verb(verb)]
        assert not button.disabled, f"{verb} should be pressable in {console.state.name}"
        button.click()
        assert console.state is state, (verb, console.state)
        assert_buttons_follow_table(console)
    assert console.enabled_verbs == set()  # in DATA every line is message text (§4.1.1.4)
    for line in ("Subject: console", "", "hello", "."):
        type_and_enter(console, line)
        assert_buttons_follow_table(console)
    assert console.state is State.READY
    console.buttons[Verb.QUIT].click()
    assert console.state is State.CLOSED
    assert console.enabled_verbs == set() and console.raw.disabled and console.send_button.disabled
    assert [t.after for t in pair.transcript.turns][-1] is State.CLOSED


def test_data_through_the_raw_line_box_delivers_a_message():
    pair = Pair()
    console = Console(pair, sender="alice@example.org", recipient="<bob@example.org>")
    for verb in ("EHLO", "MAIL", "RCPT", "DATA"):
        console.buttons[Verb(verb)].click()
    assert "354" in console.reply.value
    type_and_enter(console, "Subject: typed by hand")
    console.send_button.click()  # the Send button with an empty box: the blank line before the body
    assert "only after" in console.reply.value  # message lines get no reply (§4.1.1.4)
    type_and_enter(console, "..a line that starts with a dot")  # dot-stuffed by hand (§4.5.2)
    assert len(pair.mailbox) == 0
    type_and_enter(console, ".")
    assert "250" in console.reply.value and "queued" in console.reply.value
    assert len(pair.mailbox) == 1
    message = pair.mailbox[0]
    assert message.mail_from == "alice@example.org"
    assert message.rcpt_tos == ["bob@example.org"] or tuple(message.rcpt_tos) == ("bob@example.org",)
    assert str(message.email["Subject"]) == "typed by hand"
    assert ".a line that starts with a dot" in message.email.get_payload()
    assert not message.email.get_payload().startswith("..")
    assert console.raw.value == ""  # the box empties after each line


def test_an_out_of_order_raw_line_is_refused_and_the_state_stays():
    pair = Pair()
    console = Console(pair)
    reply = console.type_line("RCPT TO:<bob@example.org>")
    assert reply is not None and reply.code == 503
    assert "503" in console.reply.value and "C: RCPT TO:&lt;bob@example.org&gt;" in console.reply.value
    assert reply.explanation.split(" (")[0][:20] in console.reply.value  # the explanation is shown
    assert console.state is State.GREETED
    assert_buttons_follow_table(console)


def test_a_bad_address_gets_the_servers_answer_not_a_crash():
    console = Console(sender="not an address")
    console.buttons[Verb.EHLO].click()
    console.buttons[Verb.MAIL].click()
    assert console.state is State.READY
    assert "501" in console.reply.value or "553" in console.reply.value


def test_a_line_with_a_newline_shows_the_libraries_advice():
    console = Console()
    assert console.type_line("EHLO a\nMAIL FROM:<x@y>") is None
    assert "leave out CR and LF" in console.reply.value
    assert console.state is State.GREETED


def test_console_on_a_real_server_over_tcp():
    with Server() as server:
        host, port = server.address
        client = Client(host, port, timeout=5)
        try:
            console = Console(client)
            assert_buttons_follow_table(console)
            for verb in ("EHLO", "MAIL", "RCPT", "DATA"):
                console.buttons[Verb(verb)].click()
                assert_buttons_follow_table(console)
            for line in ("Subject: over TCP", "", "hi", "."):
                type_and_enter(console, line)
            console.buttons[Verb.QUIT].click()
        finally:
            client.close()
        deadline = time.monotonic() + 5
        while not len(server.mailbox) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(server.mailbox) == 1
        assert str(server.mailbox[0].email["Subject"]) == "over TCP"
    assert console.state is State.CLOSED


def test_console_refuses_something_that_is_not_a_conversation():
    with pytest.raises(TypeError, match="Pair or a Client"):
        Console("mx.example.org")  # type: ignore[arg-type]


@pytest.mark.dot
def test_console_shows_both_diagrams_as_svg(system_binary):
    system_binary("dot")
    console = Console()
    console.buttons[Verb.EHLO].click()
    assert "<svg" in console.state_svg.value and "smtplearn-state-diagram" in console.state_svg.value
    assert lit_state(console.state_svg.value) == "READY"
    assert "<svg" in console.sequence_svg.value and "EHLO" in console.sequence_svg.value
    before = console.sequence_svg.value
    console.buttons[Verb.MAIL].click()
    assert console.sequence_svg.value != before and "MAIL FROM" in console.sequence_svg.value
    assert lit_state(console.state_svg.value) == "MAIL"
    assert "<?xml" not in console.state_svg.value  # inline SVG starts at <svg>


# -- player --------------------------------------------------------------------------------
def finished_pair() -> Pair:
    pair = Pair()
    pair.send_mail("alice@example.org", ["bob@example.org"], "Subject: hi\r\n\r\nhello\r\n")
    pair.quit()
    return pair


def test_player_step_box_moves_the_highlighted_state():
    pair = finished_pair()
    player = Player(pair.transcript)
    expected = [turn.after for turn in pair.transcript.turns]
    assert player.step_box.max == len(expected)
    seen = []
    for step in range(1, len(expected) + 1):
        player.step_box.value = step
        seen.append(player.state)
        assert shown_state(player) == player.state.name
        assert f"<b>{step}</b> of {len(expected)}" in player.step_label.value
    assert seen == expected
    assert State.DATA in seen and seen[-1] is State.CLOSED


def test_player_previous_and_next_buttons_step_and_stop_at_the_ends():
    player = Player(finished_pair())  # a Pair is accepted: its transcript is used
    assert player.step == 1 and player.previous.disabled and not player.next.disabled
    assert "220" in player.exchange_view.value
    player.next.click()
    assert player.step == 2 and player.state is State.READY and "EHLO" in player.exchange_view.value
    player.previous.click()
    assert player.step == 1
    player.show(1000)
    assert player.step == player.step_box.max and player.next.disabled and player.state is State.CLOSED
    player.show(-3)
    assert player.step == 1


def test_player_shows_the_transcript_only_up_to_the_step():
    player = Player(finished_pair())
    player.show(2)
    assert "EHLO" in player.transcript_view.value and "MAIL FROM" not in player.transcript_view.value
    player.show(3)
    assert "MAIL FROM" in player.transcript_view.value


def test_player_of_an_empty_transcript_says_what_to_do():
    from smtplearn.transcript import Transcript
    with pytest.raises(ValueError, match="no exchanges yet"):
        Player(Transcript())


@pytest.mark.dot
def test_player_diagrams_follow_the_step(system_binary):
    system_binary("dot")
    player = Player(finished_pair())
    player.show(2)
    state_at_2, sequence_at_2 = player.state_svg.value, player.sequence_svg.value
    assert "<svg" in state_at_2 and "<svg" in sequence_at_2
    assert "MAIL FROM" not in sequence_at_2
    assert lit_state(state_at_2) == "READY"
    player.show(3)
    assert lit_state(player.state_svg.value) == "MAIL"
    assert "MAIL FROM" in player.sequence_svg.value
    for step, turn in enumerate(player.turns, start=1):  # the step box moves the lit state
        player.step_box.value = step
        assert lit_state(player.state_svg.value) == turn.after.name


# -- MX explorer ---------------------------------------------------------------------------
def zone_resolver(**options):
    from smtplearn.mx import ZoneResolver
    return ZoneResolver(ZONE, **options)


def test_mx_explorer_shows_the_ordered_table_offline():
    explorer = MXExplorer(zone_resolver(), seed=1, background=False)
    assert explorer.domain.value == "school.test"  # the mini-Internet's domains are offered
    explorer.button.click()
    result = explorer.result
    assert [host.name for host in result.hosts] == ["mail.school.test", "backup.school.test"]
    table = explorer.table.value
    assert table.index("mail.school.test") < table.index("backup.school.test")
    assert "192.0.2.10" in table
    assert "2 MX host(s)" in table and "answered in" in explorer.status.value
    assert not explorer.busy


def test_mx_explorer_explains_a_domain_that_does_not_exist():
    explorer = MXExplorer(zone_resolver(), background=False)
    error = explorer.lookup("nope.school.test")
    assert getattr(error, "permanent", None) is True
    assert "does not exist" in explorer.table.value and "nxdomain" in explorer.status.value
    assert explorer.graph.value == ""


def test_mx_explorer_refuses_a_malformed_name_with_advice():
    explorer = MXExplorer(zone_resolver(), background=False)
    error = explorer.lookup("two..dots.test")
    assert isinstance(error, ValueError) and "empty label" in explorer.table.value


def test_mx_explorer_times_out_gracefully():
    explorer = MXExplorer(zone_resolver(failures={"slow.school.test": "timeout"}, lifetime=0.5))
    explorer.domain.value = "slow.school.test"
    started = time.monotonic()
    explorer.button.click()  # a worker thread, as in the browser
    error = explorer.wait(10)
    assert time.monotonic() - started < 5
    assert getattr(error, "kind", None) == "timeout"
    assert "no answer" in explorer.table.value and "SMTPLEARN_NAMESERVER" in explorer.table.value
    assert "lookup failed (timeout)" in explorer.status.value and not explorer.busy


class GatedResolver:
    """The real offline resolver, held at a gate so the test can look while a lookup is running."""

    def __init__(self, inner) -> None:
        self.inner, self.entered, self.gate, self.lifetime = inner, threading.Event(), threading.Event(), 5.0

    def describe(self) -> str:
        return self.inner.describe()

    def resolve(self, name, rdtype):
        self.entered.set()
        assert self.gate.wait(10), "the test never opened the gate"
        return self.inner.resolve(name, rdtype)


def test_mx_explorer_shows_progress_while_a_lookup_runs():
    resolver = GatedResolver(zone_resolver())
    explorer = MXExplorer(resolver, domain="school.test", seed=1)
    explorer.button.click()
    try:
        assert resolver.entered.wait(5)
        assert explorer.busy  # one lookup at a time
        deadline = time.monotonic() + 5
        while " s (gives up after" not in explorer.status.value and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "looking up school.test" in explorer.status.value
        assert " s (gives up after 5 s)" in explorer.status.value
    finally:
        resolver.gate.set()
    result = explorer.wait(10)
    assert [host.name for host in result.hosts][0] == "mail.school.test"
    assert "looking up" not in explorer.status.value and not explorer.busy


@pytest.mark.peers
def test_mx_explorer_asks_the_nameserver_a_student_configures(dnsmasq, monkeypatch):
    host, port = dnsmasq("--mx-host=course.test,mx1.course.test,10",
                         "--mx-host=course.test,mx2.course.test,20",
                         "--host-record=mx1.course.test,127.0.0.11",
                         "--host-record=mx2.course.test,127.0.0.12")
    monkeypatch.setenv("SMTPLEARN_NAMESERVER", f"{host}:{port}")
    explorer = MXExplorer(domain="course.test", timeout=3, background=False)  # resolver=None: the student's path
    explorer.button.click()
    assert [h.name for h in explorer.result.hosts] == ["mx1.course.test", "mx2.course.test"]
    assert f"{host}:{port}" in explorer.table.value


# -- the notebook's exercise, solved with the console ------------------------------------------
def test_the_console_exercise_is_solved_by_its_solution_and_hints_along_the_way():
    from smtplearn.exercises import check
    pair = Pair()
    console = Console(pair)
    assert not check("09-console-lab", pair) and "EHLO" in check("09-console-lab", pair).message
    for verb in ("EHLO", "MAIL", "RCPT"):
        console.press(verb)
    assert "DATA" in check("09-console-lab", pair).message
    console.press("DATA")
    assert "'.'" in check("09-console-lab", pair).message
    for line in ("Subject: Hello from the console", "", "Hi Bob!", "."):
        console.type_line(line)
    assert "QUIT" in check("09-console-lab", pair).message
    console.press("QUIT")
    assert check("09-console-lab", pair)


def test_player_play_button_steps_to_the_end_by_itself(monkeypatch):
    from smtplearn.widgets import player as player_module
    monkeypatch.setattr(player_module, "PLAY_INTERVAL", 0.01)
    player = Player(finished_pair())
    assert player.play.description == "play"  # a button with words: it has an accessible name
    player.play.value = True
    player._player.join(5)
    assert player.step == len(player.turns) and player.play.value is False


def test_console_draws_an_unknown_command_as_a_command(system_binary):
    """Issue 12: typed `HELLO mx.example.org` (500) showed as a second "(connect)" arrow and
    put its number on the connect edge of the state diagram ("1, 3")."""
    system_binary("dot")
    console = Console()
    console.press("EHLO")
    assert console.type_line("HELLO mx.example.org").code == 500
    assert console.sequence_svg.value.count("(connect)") == 1
    assert "HELLO mx.example.org" in console.sequence_svg.value
    state_svg = console.state_svg.value
    assert ">1, 3<" not in state_svg and ">1<" in state_svg  # the connect edge carries step 1 only
