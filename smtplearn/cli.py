"""The command line: ``python -m smtplearn SUBCOMMAND ...``.

Each subcommand lives in its own module under ``smtplearn/commands/`` and
exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
This file only lists them, so adding a subcommand never touches the others.
Building the parser imports every subcommand module; our own modules load no
graphviz, ipywidgets or dnspython when imported, so ``--help`` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from smtplearn import __version__

# subcommand name -> module that implements it
SUBCOMMANDS: dict[str, str] = {
    "serve": "smtplearn.commands.serve",
    "send": "smtplearn.commands.send",
    "mx": "smtplearn.commands.mx",
    "diagram": "smtplearn.commands.diagram",
}


EX_USAGE = 64  # sysexits.h: the command was used incorrectly (README's exit tables)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 64 (EX_USAGE), as README's exit tables say, not argparse's 2.

    Subcommand parsers are made from the same class, so ``send --from alice`` exits 64 too.
    """

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m smtplearn",
        description="Learn SMTP: run a teaching server, send mail, look up MX records, draw diagrams.",
    )
    parser.add_argument("--version", action="version", version=f"smtplearn {__version__}")
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("\nstopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
