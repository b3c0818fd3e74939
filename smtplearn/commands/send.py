"""``python -m smtplearn send``: send one message and watch every step, like swaks.

With ``--server HOST[:PORT]`` the message goes straight to that server (what a
mail program does with its outgoing server). Without it, smtplearn does what a
sending mail server does: it looks up each recipient domain's MX records and
tries the hosts in order (RFC 5321 §5.1). Either way it prints the transcript
and one line per recipient.

Exit status (the worst outcome wins):
    0   every recipient was delivered (a server answered 250 to the message)
    1   some recipient is deferred (4xx, no connection, DNS unreachable), none bounced
    2   some recipient bounced (5xx, no such domain, null MX)
    3   some recipient's outcome is unknown (no reply to the final dot in time: do not resend blindly)
    64  EX_USAGE: a malformed address, server or nameserver
"""

from __future__ import annotations

import argparse
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from smtplearn.conversation import DEFAULT_CLIENT_NAME
from smtplearn.delivery.mta import deliver
from smtplearn.mx.resolver import make_resolver
from smtplearn.protocol.addresses import check_mailbox
from smtplearn.protocol.errors import RemoteProtocolError, UsageError

HELP = "send a message, directly (--server) or by MX lookup like a mail server, and print the transcript"

EX_USAGE = 64  # sysexits.h: the command was used incorrectly

EPILOG = """\
exit status: 0 all delivered, 1 some deferred (retry later), 2 some bounced,
3 some outcome unknown, 64 malformed input. Without --server the MX records are looked up with
--nameserver, else SMTPLEARN_NAMESERVER=IP[:PORT] if set, else the system resolver.
Many networks (and Binder) block outgoing port 25: try --server 127.0.0.1:2525
against `python -m smtplearn serve --port 2525`."""

DEFAULT_BODY = "This is a test message sent by smtplearn.\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("--from", dest="sender", required=True, metavar="ADDRESS",
                        help="the envelope sender (MAIL FROM) and From: header")
    parser.add_argument("--to", dest="recipients", action="append", required=True, metavar="ADDRESS",
                        help="a recipient (RCPT TO and To: header); repeat for more")
    parser.add_argument("--server", metavar="HOST[:PORT]",
                        help="send to this server directly instead of looking up MX records")
    parser.add_argument("--port", type=int, default=25,
                        help="port for MX hosts, and for --server when it has none (default 25)")
    body = parser.add_mutually_exclusive_group()
    body.add_argument("--body", metavar="TEXT", help="the message body")
    body.add_argument("--body-file", metavar="FILE", help="read the body from FILE ('-' for standard input)")
    parser.add_argument("--subject", default="smtplearn test", help="the Subject: header")
    parser.add_argument("--nameserver", metavar="IP[:PORT]", help="DNS server for the MX lookups")
    parser.add_argument("--helo", default=None, metavar="NAME", help="the name to give in EHLO")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="wait at most this long for a connection or a reply (default: RFC 5321 "
                             "§4.5.3.2's: 5 minutes for the greeting, MAIL and RCPT, 2 for DATA, "
                             "3 per block of text, 10 after the final dot)")
    parser.add_argument("--seed", type=int, default=None, help="order equal-preference MX hosts repeatably")


def run(args: argparse.Namespace) -> int:
    try:
        check_addresses(args.sender, args.recipients)
        message = build_message(args.sender, args.recipients, args.subject, _body(args))
        relay = parse_server(args.server, args.port) if args.server else None
        resolver = None
        if relay is None:
            resolver = make_resolver(args.nameserver, lifetime=min(args.timeout or 10.0, 10.0))
        report = deliver(message, sender=args.sender, recipients=args.recipients, resolver=resolver,
                         port=args.port, helo=args.helo or DEFAULT_CLIENT_NAME, seed=args.seed,
                         timeout=args.timeout, relay=relay)
    except (ValueError, OSError) as exc:
        print(f"smtplearn send: {exc}", file=sys.stderr)
        return EX_USAGE
    print(report.transcript.text())
    print()
    print(report.summary())
    return report.exit_code


def check_addresses(sender: str, recipients: list[str]) -> None:
    """Raise UsageError unless every address is local-part@domain (RFC 5321 §4.1.2), before any DNS or TCP."""
    for option, address in [("--from", sender)] + [("--to", r) for r in recipients]:
        try:
            check_mailbox(address)
        except RemoteProtocolError as exc:
            raise UsageError(f"{option} {address!r}: {exc.reply.text if exc.reply else exc}") from None


def build_message(sender: str, recipients: list[str], subject: str, body: str) -> EmailMessage:
    """A small RFC 5322 message: the headers a receiving server expects (§3.6), then the body."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)  # RFC 5322 §3.6: Date and From are required
    # the sender's domain, not this machine's name (make_msgid would ask the resolver for that)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "smtplearn.invalid")
    message.set_content(body)
    return message


def parse_server(text: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` -> (host, port)."""
    host, port = text, str(default_port)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else port
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--server {text!r}: give HOST, HOST:PORT or [IPv6]:PORT, e.g. 127.0.0.1:2525")
    return host, int(port)


def _body(args: argparse.Namespace) -> str:
    if args.body_file == "-":
        return sys.stdin.read()
    if args.body_file:
        with open(args.body_file, encoding="utf-8") as handle:
            return handle.read()
    return args.body if args.body is not None else DEFAULT_BODY
