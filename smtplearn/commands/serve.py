"""``python -m smtplearn serve``: a teaching SMTP server that narrates every session.

Runs the ``Server`` (one event loop for every connection) and prints each exchange as it happens, the way
swaks prints a session (`` -> `` what the client sent, ``<-  `` the reply,
``<** `` a refusal), with the catalogue's explanation of every reply and the
state the session moved to. A class connects with nc, telnet or swaks and
watches the protocol from both ends. Ctrl-C stops it cleanly (exit 0): every
open session gets ``421`` and every message already answered with 250 is kept.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import TextIO

from smtplearn.protocol.events import Closed, Event, Exchange, MessageAccepted
from smtplearn.protocol.limits import Limits
from smtplearn.render.text import NOTE_MARK, turn_lines
from smtplearn.transcript import Transcript, Turn
from smtplearn.transports.server import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, Server

HELP = "run a teaching SMTP server that prints every session live, each reply explained"

EPILOG = """\
Only <CRLF>.<CRLF> ends a message (RFC 5321 §4.1.1.4), so use `nc -C` (send CRLF).
Plain `nc` sends bare LF: for class, this server accepts a command line ending with a
bare LF and says so (a deviation from RFC 5321 §2.3.8; --strict-line-ends refuses it
with 500, as the RFC asks), but a bare LF never ends DATA.
Ctrl-C stops the server: open sessions get 421, accepted messages are kept."""

EXPLAIN_MARK = "      # "
#: lines of narration waiting for the terminal; beyond that they are dropped and counted
NARRATION_QUEUE = 10_000


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
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS, metavar="N",
                        help=f"clients served at once; one more gets 421 4.3.2 (default {DEFAULT_MAX_CONNECTIONS})")
    parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                        help="close a silent client with 421 4.4.2 after this long "
                             f"(default {DEFAULT_IDLE_TIMEOUT:g}: RFC 5321 §4.5.3.2.7 says at least 5 minutes)")
    parser.add_argument("--local-domain", dest="local_domains", action="append", metavar="D",
                        help="accept mail only for this domain (repeat for more); "
                             "others get 550 5.7.1 relaying denied. Default: accept any domain")


class Narrator:
    """Prints a server's events as they happen, one session's lines never split by another's.

    A view only (STYLE.md rule 9): it reads events and never changes them. Once
    ``start()``-ed, the server's loop only puts lines in a bounded queue and a
    printer thread writes them: a paused terminal or an unread pipe slows the
    narration, never the sessions. When the queue is full, lines are dropped and
    counted ("… 1,204 lines not shown …"). Without ``start()`` it prints at once.
    """

    def __init__(self, out: TextIO = sys.stdout, capacity: int = NARRATION_QUEUE) -> None:
        self.out = out
        self.capacity = capacity
        self._lock = threading.Lock()
        # The server reports an accepted message *before* its 250 (it is stored
        # first); the narration tells it after the message text, where a reader expects it.
        self._held: dict[int, list[str]] = {}
        self._queue: deque[str] = deque()
        self._ready = threading.Condition(self._lock)
        self.dropped = 0  # lines not shown since the last count was printed
        self._printer: threading.Thread | None = None
        self._closing = False
        self.broken = False  # stdout closed (serve | head): keep serving, stop printing

    def __call__(self, transcript: Transcript, event: Event) -> None:
        label = f"[{transcript.title.split(' ')[0]}]"
        key = id(transcript)
        if isinstance(event, MessageAccepted):
            self._held[key] = self.lines(event)
            return
        lines = self.lines(event) + self._held.pop(key, [])
        self.say(*(f"{label} {line}" for line in lines))

    def say(self, *lines: str) -> None:
        """Print ``lines`` together (queued when started; never blocks the caller then)."""
        if self._printer is None:
            self._write(lines)
            return
        with self._lock:
            if len(self._queue) + len(lines) > self.capacity:
                self.dropped += len(lines)
                return
            self._queue.extend(lines)
            self._ready.notify()

    def _write(self, lines: Iterable[str]) -> None:
        """Write and flush; a closed output (``serve | head``) only stops the printing."""
        if self.broken:
            return
        try:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()
        except (OSError, ValueError):  # BrokenPipeError, or a closed file
            self.broken = True

    def start(self) -> Narrator:
        self._printer = threading.Thread(target=self._print_lines, name="smtplearn-narrator",
                                         daemon=True)
        self._printer.start()
        return self

    def close(self, timeout: float = 1.0) -> bool:
        """Print what is queued (for at most ``timeout`` s); False if the output is stuck."""
        if self._printer is None:
            return True
        with self._lock:
            self._closing = True
            self._ready.notify()
        self._printer.join(timeout)
        return not self._printer.is_alive()

    def _print_lines(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._ready.wait()
                batch = list(self._queue)
                self._queue.clear()
                dropped, self.dropped = self.dropped, 0
                closing = self._closing
            if dropped:
                batch.insert(0, f"… {dropped:,} lines not shown (the output could not keep up) …")
            if batch:
                self._write(batch)
            if closing:
                with self._lock:
                    if not self._queue:
                        return

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
                    maildir=args.maildir, on_event=narrator, max_connections=args.max_connections,
                    idle_timeout=args.idle_timeout, limits=limits,
                    log=lambda text: narrator.say(f"[server] {text}"))
    # Ctrl-C (SIGINT) and `kill` (SIGTERM) only set a flag. A KeyboardInterrupt raised
    # inside a lock wait can break the lock, and a handler that takes a lock can
    # deadlock; a flag and a short sleep can do neither. The handlers go in before the
    # banner is printed: whoever reads "listening on" may signal us at once.
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: stopping.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
    except OSError as err:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print(f"smtplearn serve: {err}", file=sys.stderr)
        return 1
    narrator.say(banner(server))
    if server.mailbox.maildir_path is not None:
        narrator.say(f"Accepted messages are also stored in the Maildir {server.mailbox.maildir_path}\n")
    narrator.start()  # from here on only the narrator's thread writes to stdout
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        narrator.say("", "stopping: open sessions get 421 ...")
        server.stop()
    narrator.say(f"stopped. {server.mailbox.total} message(s) accepted.")
    if not narrator.close(timeout=1.0):
        # stdout is stuck (a paused terminal, an unread pipe): every accepted message is
        # already stored, so leave now rather than hang in the interpreter's final flush
        os._exit(0)
    if narrator.broken:  # stdout was closed (serve | head): the final flush must not fail
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
