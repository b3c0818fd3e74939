"""``python -m smtplearn diagram states|sequence``: draw the pictures for slides and docs.

``states`` draws the server's state machine from its own transition table;
``sequence TRANSCRIPT.json`` draws a saved transcript (``transcript.save(...)``).
Without a transcript, ``sequence`` draws a demonstration session made with an
in-memory ``Pair`` (the one in docs/img/sequence-diagram.svg). The output
format follows the file name: .svg, .png or .dot.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from smtplearn.diagrams import DotNotFoundError, PngNotAvailableError, sequence_diagram, state_diagram
from smtplearn.transports.memory import Pair
from smtplearn.protocol.errors import Error
from smtplearn.protocol.states import State
from smtplearn.transcript import Transcript

HELP = "draw the state diagram or a transcript's sequence diagram (.svg, .png or .dot)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    states = kinds.add_parser("states", help="the server's state machine, from its transition table")
    states.add_argument("--out", required=True, metavar="FILE", help="where to write: .svg, .png or .dot")
    states.add_argument("--current", metavar="STATE", help="light this state, e.g. RCPT")
    states.add_argument("--errors", action="store_true", help="draw refusals (503, 5xx) as self-loops")
    seq = kinds.add_parser("sequence", help="a transcript as a sequence diagram")
    seq.add_argument("transcript", nargs="?", metavar="TRANSCRIPT.json",
                     help="a transcript saved with Transcript.save (default: a demonstration session)")
    seq.add_argument("--out", required=True, metavar="FILE", help="where to write: .svg, .png or .dot")
    seq.add_argument("--timings", action="store_true", help="show when each exchange happened")
    seq.add_argument("--body-lines", type=int, default=3, metavar="N",
                     help="message lines to show before summarising (default 3)")


def demo_transcript() -> Transcript:
    """A short session that shows every reply class: the README's sequence diagram."""
    pair = Pair(clock=lambda: datetime(2024, 1, 1, tzinfo=timezone.utc))
    pair.ehlo()
    pair.send_line("RCPT TO:<bob@example.org>")  # out of order: 503
    pair.mail("alice@example.org")
    pair.rcpt("bob@example.org")
    pair.data("From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
              "Subject: Lunch?\r\n\r\nShall we meet at noon?\r\n.. see you\r\n")
    pair.quit()
    pair.transcript.title = "A first message: client.example talks to mx.example.org"
    return pair.transcript


def run(args: argparse.Namespace) -> int:
    try:
        if args.kind == "states":
            current = None
            if args.current:
                try:
                    current = State[args.current.upper()]
                except KeyError:
                    print(f"smtplearn diagram: no state {args.current!r}; states are "
                          f"{', '.join(s.name for s in State)}", file=sys.stderr)
                    return 2
            diagram = state_diagram(current=current, show_errors=args.errors)
        else:
            transcript = Transcript.load(args.transcript) if args.transcript else demo_transcript()
            diagram = sequence_diagram(transcript, timings=args.timings, body_lines=args.body_lines)
        path = diagram.save(args.out)
    except (DotNotFoundError, PngNotAvailableError, Error, ValueError, OSError) as exc:
        print(f"smtplearn diagram: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0
