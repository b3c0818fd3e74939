"""``python -m smtplearn serve``: a teaching SMTP server that narrates every session.

Runs the threaded ``Server`` and prints each exchange as it happens, the way
swaks prints a session (`` -> `` what the client sent, ``<-  `` the reply,
``<** `` a refusal), with the catalogue's explanation of every reply and the
state the session moved to. A class connects with nc, telnet or swaks and
watches the protocol from both ends. Ctrl-C stops it cleanly (exit 0): every
open session gets ``421`` and every message already answered with 250 is kept.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import TextIO

from smtplearn.protocol.events import Closed, Event, Exchange, MessageAccepted
from smtplearn.protocol.limits import Limits
from smtplearn.render.text import NOTE_MARK, turn_lines
from smtplearn.threaded_server import Server
from smtplearn.transcript import Transcript, Turn

HELP = "run a teaching SMTP server that prints every session live, each reply explained"

EPILOG = """\
Only <CRLF>.<CRLF> ends a message (RFC 5321 §4.1.1.4), so use `nc -C` (send CRLF).
Plain `nc` sends bare LF: for class, this server accepts a command line ending with a
bare LF and says so (a deviation from RFC 5321 §2.3.8; --strict-line-ends refuses it
with 500, as the RFC asks), but a bare LF never ends DATA.
Ctrl-C stops the server: open sessions get 421, accepted messages are kept."""

EXPLAIN_MARK = "      # "


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=2525,
                        help="port to listen on (default 2525; 0 lets the system choose; 25 needs root)")
    parser.add_argument("--maildir", metavar="DIR", help="also store accepted messages in this Maildir")
    parser.add_argument("--hostname", default="smtplearn.test", metavar="NAME",
                        help="the name the server gives in its greeting and trace headers")
    parser.add_argument("--strict-line-ends", action="store_true",
                        help="refuse command lines that end with a bare LF (RFC 5321 §2.3.8) instead of "
                             "accepting them with a note (the classroom default, for nc without -C)")
    parser.add_argument("--local-domain", dest="local_domains", action="append", metavar="D",
                        help="accept mail only for this domain (repeat for more); "
                             "others get 550 5.7.1 relaying denied. Default: accept any domain")


class Narrator:
    """Prints a server's events as they happen, one session's lines never split by another's.

    A view only (STYLE.md rule 9): it reads events and never changes them.
    """

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self._lock = threading.Lock()  # sessions run in their own threads
        # The server reports an accepted message *before* its 250 (it is stored
        # first); the narration tells it after the message text, where a reader expects it.
        self._held: dict[int, list[str]] = {}

    def __call__(self, transcript: Transcript, event: Event) -> None:
        label = f"[{transcript.title.split(' ')[0]}]"
        with self._lock:
            if isinstance(event, MessageAccepted):
                self._held[id(transcript)] = self.lines(event)
                return
            lines = self.lines(event) + self._held.pop(id(transcript), [])
            for line in lines:
                print(f"{label} {line}", file=self.out, flush=True)

    @staticmethod
    def lines(event: Event) -> list[str]:
        if isinstance(event, Exchange):
            out = turn_lines(Turn(0.0, "client", "server", event))
            move = (f"{event.before.name} -> {event.after.name}" if event.before is not event.after
                    else f"stays {event.after.name}")
            note = [f"{NOTE_MARK}{event.note}"] if event.note else []  # bare LF, a delayed reply
            return out + [f"{EXPLAIN_MARK}{event.reply.explanation} [{move}]"] + note
        if isinstance(event, MessageAccepted):
            m = event.message
            rcpts = ", ".join(f"<{r}>" for r in m.rcpt_tos)
            return [f"{NOTE_MARK}message {m.queue_id} accepted: MAIL FROM:<{m.mail_from}> "
                    f"RCPT TO:{rcpts}, {len(m.content)} octets"]
        if isinstance(event, Closed):
            return [f"{NOTE_MARK}session closed ({event.reason})"]
        return []


def banner(server: Server) -> str:
    host, port = server.address
    where = f"[{host}]" if ":" in host else host
    local = "" if host in ("127.0.0.1", "::1", "localhost") else (
        "\n  Note: listening beyond this machine; a teaching server is not for the open Internet.")
    return f"""smtplearn teaching SMTP server {server.hostname} listening on {where}:{port}{local}
Connect from another terminal with one of:
  nc -C {host} {port}        (-C sends CRLF: only <CRLF>.<CRLF> ends DATA, RFC 5321 §4.1.1.4)
  telnet {host} {port}
  swaks --server {where}:{port} --helo client.test --from alice@example.org --to bob@example.org
Try: EHLO client.test / MAIL FROM:<alice@example.org> / RCPT TO:<bob@example.org> / DATA / QUIT
Press Ctrl-C to stop.
"""


def run(args: argparse.Namespace) -> int:
    narrator = Narrator()
    # the classroom deviation, by name: plain nc's bare-LF command lines are accepted and noted
    limits = Limits(bare_lf_commands=not args.strict_line_ends)
    server = Server(args.host, args.port, hostname=args.hostname, local_domains=args.local_domains,
                    maildir=args.maildir, on_event=narrator, limits=limits)
    try:
        server.start()
    except OSError as err:
        print(f"smtplearn serve: {err}", file=sys.stderr)
        return 1
    print(banner(server), flush=True)
    if server.mailbox.maildir_path is not None:
        print(f"Accepted messages are also stored in the Maildir {server.mailbox.maildir_path}\n", flush=True)
    # Ctrl-C (SIGINT) and `kill` (SIGTERM) only set a flag. A KeyboardInterrupt raised
    # inside a lock wait can break the lock, and a handler that takes a lock can
    # deadlock; a flag and a short sleep can do neither.
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: stopping.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("\nstopping: open sessions get 421 ...", flush=True)
        server.stop()
    print(f"stopped. {len(server.mailbox)} message(s) accepted.", flush=True)
    return 0
