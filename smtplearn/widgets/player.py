"""The step-through player: a finished transcript, one exchange at a time, for the projector.

This file owns the player's layout and stepping. At step ``i`` it shows the
``i``-th exchange (what the client sent, the reply and its explanation), the
transcript up to it, the state diagram with the state *after* that exchange
lit, and the sequence diagram up to it. Every picture comes from the library
(``state_diagram``, ``Transcript.sequence_diagram``); pictures are drawn once
per step and kept, so stepping back and forth in front of a class is instant.

ipywidgets is imported at the top; ``smtplearn.widgets`` loads this module
only when ``Player`` is first used.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import Any

import ipywidgets as widgets

from smtplearn.diagrams import Diagram, state_diagram
from smtplearn.protocol import State, UsageError, WrongTypeError
from smtplearn.transcript import HasTranscript, Transcript, Turn
from smtplearn.widgets._views import STYLE, diagram_panel, picture_layout, pictures, reply_view


def _sent_text(turn: Turn) -> str | None:
    """What the client sent in ``turn``, as one line to show (None: the greeting)."""
    return None if turn.is_greeting else " ".join(turn.sent_lines(body_lines=0))


#: seconds between two steps when the player plays by itself
PLAY_INTERVAL = 1.5


class Player(widgets.VBox):
    """Step through ``transcript`` (or a Pair/Client's transcript) with previous/next and a step box.

    >>> from smtplearn import Pair
    >>> pair = Pair(); _ = pair.ehlo(); _ = pair.quit()
    >>> player = Player(pair.transcript)
    >>> player.show(2); player.state.name
    'READY'
    """

    def __init__(self, transcript: Transcript | HasTranscript, *, step: int = 1) -> None:
        transcript = getattr(transcript, "transcript", transcript)  # a Pair or Client is fine too
        if not isinstance(transcript, Transcript):
            raise WrongTypeError(f"Player needs a Transcript (or a Pair/Client), not {type(transcript).__name__}")
        self.transcript = transcript
        self._pictures: dict[tuple[int, int], tuple[str, str]] = {}
        self.previous = widgets.Button(description="previous", icon="step-backward",
                                       tooltip="one exchange back", layout=widgets.Layout(width="auto"))
        self.previous.add_class("smtplearn-prev")
        self.next = widgets.Button(description="next", icon="step-forward",
                                   tooltip="one exchange on", layout=widgets.Layout(width="auto"))
        self.next.add_class("smtplearn-next")
        # a labelled number box, not a slider or a Play widget: their handles and icon-only
        # buttons have no accessible name (axe-core: serious), and a box takes a typed step
        self.step_box = widgets.BoundedIntText(value=1, min=1, max=1, description="step",
                                               layout=widgets.Layout(width="160px"),
                                               style={"description_width": "40px"})
        self.step_box.add_class("smtplearn-step-box")
        self.play = widgets.ToggleButton(description="play", icon="play", layout=widgets.Layout(width="auto"),
                                         tooltip=f"play the conversation, one exchange every {PLAY_INTERVAL:g} s")
        self.play.add_class("smtplearn-play")
        self.play.observe(lambda change: self._start_playing() if change["new"] else None, names="value")
        self._player: threading.Thread | None = None
        self.step_label = widgets.HTML()
        self.step_label.add_class("smtplearn-step")
        self.state_label = widgets.HTML()
        self.state_label.add_class("smtplearn-state")
        self.exchange_view = widgets.HTML()
        self.exchange_view.add_class("smtplearn-reply-box")
        self.state_svg = widgets.HTML(layout=picture_layout())
        self.state_svg.add_class("smtplearn-state-diagram-box")
        self.sequence_svg = widgets.HTML(layout=picture_layout())
        self.sequence_svg.add_class("smtplearn-sequence-diagram-box")
        self.transcript_view = widgets.HTML()
        self.transcript_view.add_class("smtplearn-transcript")
        self.previous.on_click(lambda _: self.show(self.step - 1))
        self.next.on_click(lambda _: self.show(self.step + 1))
        self.step_box.observe(lambda change: self.show(change["new"]), names="value")
        title = escape(transcript.title or "SMTP conversation")
        super().__init__(children=[
            widgets.HBox([widgets.HTML(f'{STYLE}<span class="smtplearn-title">{title}</span>'),
                          self.state_label], layout=widgets.Layout(justify_content="space-between")),
            widgets.HBox([self.previous, self.next, self.play, self.step_box, self.step_label],
                         layout=widgets.Layout(align_items="center")),
            self.exchange_view,
            pictures(self.state_svg, self.sequence_svg),
            self.transcript_view,
        ])
        self.add_class("smtplearn-widget")
        self.add_class("smtplearn-player")
        self.refresh(step)

    def __repr__(self) -> str:
        return f"<Player exchange {self.step} of {len(self.turns)}, state {self.state.name}>"

    # -- stepping --------------------------------------------------------------
    @property
    def turns(self) -> list[Turn]:
        return self.transcript.turns

    @property
    def step(self) -> int:
        """The step shown now: 1 is the first exchange (usually the 220 greeting)."""
        return self.step_box.value

    @property
    def state(self) -> State:
        """The session's state after the exchange shown: the one lit in the state diagram."""
        return self.turns[self.step - 1].after

    def refresh(self, step: int | None = None) -> None:
        """Pick up exchanges added since (a live transcript), then show ``step`` (default: the same)."""
        count = len(self.turns)
        if not count:
            raise UsageError("this transcript has no exchanges yet: run a conversation first, "
                             "e.g. pair.send_mail(...), then make the Player")
        self.step_box.max = count
        self.show(self.step if step is None else step)

    def show(self, step: int) -> None:
        """Show exchange number ``step`` (clamped to 1..number of exchanges)."""
        step = max(1, min(step, len(self.turns)))
        if self.step_box.value != step:
            self.step_box.value = step  # its observer calls show() again with the same step
            return
        turn = self.turns[step - 1]
        partial = self._until(turn)
        self.previous.disabled, self.next.disabled = step == 1, step == len(self.turns)
        self.step_label.value = f"exchange <b>{step}</b> of {len(self.turns)}"
        self.state_label.value = (f'state {turn.before.name} → <span class="smtplearn-state-badge" '
                                  f'data-state="{turn.after.name}">{turn.after.name}</span>')
        self.exchange_view.value = reply_view(_sent_text(turn), turn.reply)
        self.state_svg.value, self.sequence_svg.value = self._draw(step, turn, partial)
        self.transcript_view.value = (f'<details><summary>transcript up to exchange {step}</summary>'
                                      f'{partial._repr_html_()}</details>')

    def _start_playing(self) -> None:
        """What the play button does: one step every PLAY_INTERVAL s in a worker thread, until
        the last step or until the button is pressed again (bounded by the number of steps)."""
        if self._player is not None and self._player.is_alive():
            return
        if self.step == len(self.turns):
            self.show(1)  # play again from the start
        self._player = threading.Thread(target=self._play, name="smtplearn-player", daemon=True)
        self._player.start()

    def _play(self) -> None:
        for _ in range(len(self.turns)):
            time.sleep(PLAY_INTERVAL)
            if not self.play.value or self.step >= len(self.turns):
                break
            self.show(self.step + 1)
        self.play.value = False

    def _until(self, turn: Turn) -> Transcript:
        """The transcript up to and including ``turn`` (notes before it included)."""
        entries = self.transcript.entries
        end = next(i for i, entry in enumerate(entries) if entry is turn) + 1
        return Transcript(entries[:end], self.transcript.title, self.transcript.started)

    def _draw(self, step: int, turn: Turn, partial: Transcript) -> tuple[str, str]:
        key = (step, len(self.transcript.entries))
        if key not in self._pictures:
            def states() -> Diagram:
                return state_diagram(current=turn.after, path=partial)
            self._pictures[key] = (
                diagram_panel(f"state after exchange {step}", states, "smtplearn-state-diagram"),
                diagram_panel(f"the conversation up to exchange {step}", partial.sequence_diagram,
                              "smtplearn-sequence-diagram", scroll=True))
        return self._pictures[key]
