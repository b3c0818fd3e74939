"""Notebook 04 quotes the state table as it is in the code (STYLE.md: "the notebooks quote it").

The cell ``04-02-table`` of notebooks/04-state-machine.ipynb lists ``TRANSITIONS`` row for row.
Each line is parsed back into (state, trigger, 2xx target, 3xx target, 4xx/5xx target) and the
lines must be exactly the table's entries, in the table's order: a row added to, changed in or
removed from ``smtplearn/protocol/states.py`` fails here until the notebook says the same.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from smtplearn.protocol.states import TRANSITIONS, Signal, State, Trigger, Verb

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04-state-machine.ipynb"
CELL_ID = "04-02-table"
LINE = re.compile(r"\| \*\*(\w+)\*\* \| `([^`]+)` \| (\w+) \| (\w+|—) \| (\w+|\(stays\)) \|")

Row = tuple[State, Trigger, State, "State | None", "State | None"]


def _trigger(text: str) -> Trigger:
    return Verb(text) if text in Verb._value2member_map_ else Signal(text)


def quoted_rows() -> list[Row]:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    (cell,) = [c for c in cells if c.get("id") == CELL_ID]
    assert cell["cell_type"] == "markdown"
    rows: list[Row] = []
    for line in "".join(cell["source"]).splitlines():
        match = LINE.fullmatch(line.strip())
        if match:
            state, trigger, success, intermediate, failure = match.groups()
            rows.append((State[state], _trigger(trigger), State[success],
                         None if intermediate == "—" else State[intermediate],
                         None if failure == "(stays)" else State[failure]))
    return rows


def table_rows() -> list[Row]:
    return [(state, trigger, move.success, move.intermediate, move.failure)
            for state, row in TRANSITIONS.items() for trigger, move in row.items()]


def test_notebook_quotes_every_row_of_the_table_in_order() -> None:
    assert quoted_rows() == table_rows()


def test_every_state_is_in_the_quote() -> None:
    """A state with no rows (CLOSED: nothing is read) is named too, so the quote has every state."""
    text = "".join(c for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
                   if cell.get("id") == CELL_ID for c in cell["source"])
    for state in TRANSITIONS:
        assert f"| **{state.name}** |" in text


def test_the_parser_sees_a_changed_row() -> None:
    """The check can fail: one target changed in the quote no longer matches the table."""
    rows = quoted_rows()
    state, trigger, success, intermediate, failure = rows[0]
    changed = [(state, trigger, State.CLOSED if success is not State.CLOSED else State.READY,
                intermediate, failure), *rows[1:]]
    assert changed != table_rows()
