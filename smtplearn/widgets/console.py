"""The SMTP console: press the commands, type raw lines, watch the state machine move.

This file owns the console's layout and wiring, nothing else. Which buttons
are enabled comes from ``conversation.allowed_verbs`` (that is, from the one
transition table, ``smtplearn.protocol.states.TRANSITIONS``); what a button
sends is built by ``Command``; the reply, its explanation and both diagrams are
drawn by the library's renderers. So a student who discovers that MAIL stays
grey until EHLO is answered is reading RFC 5321 §4.1.4 through the table the
server itself runs.

ipywidgets is imported here, at the top: ``smtplearn.widgets`` loads this
module only when ``Console`` is first used, so ``import smtplearn`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from types import MappingProxyType
from typing import Any

import ipywidgets as widgets

from smtplearn.conversation import Conversation
from smtplearn.transports.memory import Pair
from smtplearn.protocol import Command, ProtocolError, Reply, State, Verb, WrongTypeError
from smtplearn.protocol.states import WHERE
from smtplearn.widgets._views import STYLE, diagram_panel, message_view, picture_layout, pictures, reply_view

#: the buttons, in the order a session usually meets them (RFC 5321 §4.1.1)
BUTTONS: tuple[Verb, ...] = (Verb.HELO, Verb.EHLO, Verb.MAIL, Verb.RCPT, Verb.DATA,
                             Verb.RSET, Verb.NOOP, Verb.VRFY, Verb.HELP, Verb.QUIT)

#: which text box gives a command its argument (absent: the command takes none)
ARGUMENT_BOX: Mapping[Verb, str] = MappingProxyType({
    Verb.HELO: "domain",     # §4.1.1.1 HELO <domain>
    Verb.EHLO: "domain",     # §4.1.1.1 EHLO <domain>
    Verb.MAIL: "sender",     # §4.1.1.2 MAIL FROM:<reverse-path>
    Verb.RCPT: "recipient",  # §4.1.1.3 RCPT TO:<forward-path>
    Verb.VRFY: "recipient",  # §4.1.1.6 VRFY <string>
})

#: how a command is built from its argument (the rest: ``Command(verb, argument)``)
BUILD: Mapping[Verb, Callable[[str], Command]] = MappingProxyType({
    Verb.MAIL: Command.mail,
    Verb.RCPT: Command.rcpt,
})

#: one line per button, for its tooltip
PURPOSE: Mapping[Verb, str] = MappingProxyType({
    Verb.HELO: "say hello (the old way, no extensions)",
    Verb.EHLO: "say hello and ask for the server's extensions",
    Verb.MAIL: "start a mail transaction: the envelope sender, where bounces go",
    Verb.RCPT: "add a recipient to the envelope",
    Verb.DATA: "ask to send the message text (then type lines, and a lone '.')",
    Verb.RSET: "abandon the current transaction",
    Verb.NOOP: "do nothing; the server answers 250",
    Verb.VRFY: "ask whether a mailbox exists (servers rarely say)",
    Verb.HELP: "ask the server for help",
    Verb.QUIT: "say goodbye; the server answers 221 and closes",
})


def _address(typed: str) -> str:
    """What was typed in an address box; angle brackets are added by the command, so drop typed ones."""
    text = typed.strip()
    return text[1:-1] if text.startswith("<") and text.endswith(">") else text


class Console(widgets.VBox):
    """An SMTP console on a ``Pair`` (in memory) or a ``Client`` (a real socket).

    >>> console = Console()              # its own Pair
    >>> console.press("EHLO").code
    250
    >>> console.enabled_verbs == set(console.conversation.allowed_verbs) & set(BUTTONS)
    True
    """

    def __init__(self, pair_or_client: Conversation | None = None, *,
                 sender: str = "alice@example.org", recipient: str = "bob@example.org") -> None:
        if pair_or_client is None:
            pair_or_client = Pair()
        if not isinstance(pair_or_client, Conversation):
            raise WrongTypeError("Console needs a Pair or a Client (an smtplearn Conversation), "
                            f"not {type(pair_or_client).__name__}; try Console(Pair())")
        self.conversation = pair_or_client
        self.domain = self._box("domain", pair_or_client.local_hostname, "HELO/EHLO domain")
        self.sender = self._box("sender", sender, "MAIL FROM address")
        self.recipient = self._box("recipient", recipient, "RCPT TO / VRFY address")
        self.buttons: dict[Verb, widgets.Button] = {verb: self._button(verb) for verb in BUTTONS}
        self.raw = widgets.Text(placeholder="a raw line, e.g. MAIL FROM:<alice@example.org>, or message text after 354",
                                layout=widgets.Layout(width="60%"))
        self.raw.add_class("smtplearn-raw")
        self.raw.on_msg(self._on_raw_message)  # Enter in the box sends {"event": "submit"}
        self.send_button = widgets.Button(description="Send line", tooltip="send the raw line (CRLF is added)",
                                          icon="paper-plane")
        self.send_button.add_class("smtplearn-send")
        self.send_button.on_click(lambda _: self.submit())
        self.state_label = widgets.HTML()
        self.state_label.add_class("smtplearn-state")
        self.reply = widgets.HTML()
        self.reply.add_class("smtplearn-reply-box")
        # side by side only where both fit at a readable size (each at least 600 px);
        # in a notebook column they stack, each as wide as the column
        self.state_svg = widgets.HTML(layout=picture_layout())
        self.state_svg.add_class("smtplearn-state-diagram-box")
        self.sequence_svg = widgets.HTML(layout=picture_layout())
        self.sequence_svg.add_class("smtplearn-sequence-diagram-box")
        self.transcript_view = widgets.HTML()
        transcript_box = widgets.Accordion(children=[self.transcript_view], titles=("Transcript (table)",))
        transcript_box.selected_index = None
        header = widgets.HTML(f'{STYLE}<span class="smtplearn-title">SMTP console</span> '
                              f'<span class="smtplearn-hint">{escape(self.conversation.client_name)} → '
                              f'{escape(self.conversation.server_name)}</span>')
        super().__init__(children=[
            widgets.HBox([header, self.state_label], layout=widgets.Layout(justify_content="space-between")),
            widgets.HBox([self.domain, self.sender, self.recipient]),
            widgets.HBox(list(self.buttons.values()), layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.raw, self.send_button]),
            self.reply,
            pictures(self.state_svg, self.sequence_svg),
            transcript_box,
        ])
        self.add_class("smtplearn-widget")
        self.add_class("smtplearn-console")
        greeting = getattr(self.conversation, "greeting", None)
        self.reply.value = (reply_view(None, greeting) if isinstance(greeting, Reply)
                            else message_view(None, "Connected. Press a command."))
        self.refresh()

    def __repr__(self) -> str:
        return (f"<Console {self.conversation.client_name} -> {self.conversation.server_name}, "
                f"state {self.state.name}; run it in Jupyter to press the buttons>")

    # -- building -------------------------------------------------------------
    @staticmethod
    def _box(name: str, value: str, placeholder: str) -> widgets.Text:
        box = widgets.Text(value=value, placeholder=placeholder, description=name,
                           layout=widgets.Layout(width="33%"), style={"description_width": "70px"})
        box.add_class(f"smtplearn-arg-{name}")
        return box

    def _button(self, verb: Verb) -> widgets.Button:
        button = widgets.Button(description=verb.value, layout=widgets.Layout(width="auto", min_width="64px"))
        button.add_class("smtplearn-cmd")
        button.add_class(f"smtplearn-cmd-{verb.value}")
        button.on_click(lambda _b, verb=verb: self.press(verb))
        return button

    # -- what a student does --------------------------------------------------
    def press(self, verb: Verb | str) -> Reply | None:
        """What pressing ``verb``'s button does: send the command with its box's argument."""
        verb = Verb(str(verb.value if isinstance(verb, Verb) else verb).upper())
        box = ARGUMENT_BOX.get(verb)
        argument = getattr(self, box).value if box else ""
        if box in ("sender", "recipient"):
            argument = _address(argument)
        try:
            command = BUILD[verb](argument) if verb in BUILD else Command(verb, argument.strip())
        except ValueError as exc:
            self._show(message_view(verb.value, str(exc), error=True))
            return None
        return self._exchange(command.line, lambda: self.conversation.command(command))

    def type_line(self, text: str) -> Reply | None:
        """Send ``text`` as one raw line, exactly as typed (a command, or message text after 354)."""
        return self._exchange(text, lambda: self.conversation.send_line(text))

    def submit(self) -> Reply | None:
        """Send what is in the raw-line box and empty the box (Enter, or the Send button)."""
        text, self.raw.value = self.raw.value, ""
        return self.type_line(text)

    def _on_raw_message(self, _widget: Any, content: Mapping[str, Any], _buffers: Any) -> None:
        if content.get("event") == "submit":
            self.submit()

    def _exchange(self, shown: str, send: Callable[[], Reply | None]) -> Reply | None:
        try:
            answer = send()
        except (ProtocolError, ValueError, OSError) as exc:  # the library's errors already teach
            self._show(message_view(shown, str(exc), error=True))
            return None
        if answer is None:
            self._show(message_view(shown, "message text sent; the server answers only after "
                                           "a line holding just \".\" (RFC 5321 §4.1.1.4)"))
        else:
            self._show(reply_view(shown, answer))
        return answer

    def _show(self, html: str) -> None:
        self.reply.value = html
        self.refresh()

    # -- what the console shows ------------------------------------------------
    @property
    def state(self) -> State:
        return self.conversation.state

    @property
    def enabled_verbs(self) -> set[Verb]:
        """The commands whose buttons can be pressed now."""
        return {verb for verb, button in self.buttons.items() if not button.disabled}

    def refresh(self) -> None:
        """Redraw everything from the conversation: buttons, state, diagrams, transcript."""
        state, allowed = self.state, set(self.conversation.allowed_verbs)
        for verb, button in self.buttons.items():
            button.disabled = verb not in allowed
            button.button_style = "info" if verb in allowed else ""
            button.tooltip = (f"{verb.value}: {PURPOSE[verb]}" if verb in allowed
                              else f"{verb.value} is not allowed {WHERE[state]}")
        self.send_button.disabled = self.raw.disabled = state is State.CLOSED
        self.state_label.value = (f'state <span class="smtplearn-state-badge" data-state="{state.name}">'
                                  f'{state.name}</span>')
        transcript = self.conversation.transcript
        self.state_svg.value = diagram_panel(
            "state machine (from the server's own table)",
            lambda: self.conversation.state_diagram(), "smtplearn-state-diagram")
        self.sequence_svg.value = diagram_panel(
            "the conversation so far", transcript.sequence_diagram, "smtplearn-sequence-diagram", scroll=True)
        self.transcript_view.value = transcript._repr_html_()
