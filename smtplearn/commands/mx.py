"""``python -m smtplearn mx DOMAIN``: where does mail for DOMAIN go?

Prints the MX hosts in the order a sender tries them, with their addresses and
the reason for each place (RFC 5321 §5.1). The exit status follows the
sysexits.h codes that mail programs such as sendmail and Postfix use, so a
script can tell "try again later" from "give up":

    0   found where mail goes (a null MX also exits 0: the answer is "nowhere")
    64  EX_USAGE     the domain or --nameserver is malformed
    68  EX_NOHOST    permanent: no such domain, or no MX and no address
    75  EX_TEMPFAIL  temporary: DNS timed out or every nameserver failed; retry later
"""

from __future__ import annotations

import argparse
import sys

from smtplearn.mx.errors import MXLookupError
from smtplearn.mx.lookup import lookup_mx
from smtplearn.mx.resolver import make_resolver

HELP = "look up where mail for a domain goes: MX records in sending order (RFC 5321 §5.1)"

EX_USAGE = 64  # sysexits.h: the command was used incorrectly
EX_NOHOST = 68  # sysexits.h: host name unknown -- a permanent failure
EX_TEMPFAIL = 75  # sysexits.h: temporary failure; the MTA queues and retries

EPILOG = """\
exit status: 0 found (including a null MX), 64 malformed input,
68 permanent DNS failure (no such domain / no MX and no address),
75 temporary DNS failure (timeout, SERVFAIL): a sender would retry later.
Without --nameserver, SMTPLEARN_NAMESERVER=IP[:PORT] is used if set, else the system resolver."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("domain", metavar="DOMAIN", help="the domain after the @, e.g. example.com or bücher.example")
    parser.add_argument("--nameserver", metavar="IP[:PORT]",
                        help="DNS server to ask, e.g. 127.0.0.1:5353 or [::1]:5353")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for shuffling equal preferences, so the order can be repeated")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="give up on each DNS question after this long (default 5)")


def run(args: argparse.Namespace) -> int:
    try:
        resolver = make_resolver(args.nameserver, timeout=min(2.0, args.timeout), lifetime=args.timeout)
        result = lookup_mx(args.domain, resolver, seed=args.seed)
    except ValueError as exc:
        print(f"smtplearn mx: {exc}", file=sys.stderr)
        return EX_USAGE
    except MXLookupError as exc:
        kind = "permanent" if exc.permanent else "temporary"
        print(f"smtplearn mx: {kind} error: {exc}", file=sys.stderr)
        return EX_NOHOST if exc.permanent else EX_TEMPFAIL
    print(result)
    return 0
