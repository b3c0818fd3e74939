"""``deliver``: what a sending mail server does with one message (RFC 5321 §5.1, §4.5.4).

For each recipient domain (one MX lookup per domain, routes.py), then for each
destination (domains whose MX hosts are the same share one transaction,
§4.5.4.1): try the hosts in preference order and each host's addresses in turn,
move on after a failed connection, a 4xx reply or a 5xx greeting (§5.1: try the
addresses "until a delivery attempt succeeds"), stop at the first host that
accepts, and bounce at once on any other 5xx or a null MX (RFC 7505 §4).
When the reply to the final dot never comes, the outcome is unknown and nothing
is sent again (§4.5.3.2.6). The sockets are a connector's business
(connectors.py), so the same code delivers to the real Internet and into the
offline mini-Internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message as EmailBase
from typing import Any

from smtplearn.conversation import DEFAULT_CLIENT_NAME
from smtplearn.delivery.connectors import PORT_25_ADVICE, Connector, TCPConnector, connect_failure_text
from smtplearn.delivery.envelope import OutgoingMessage, group_by_domain, make_message
from smtplearn.delivery.report import DeliveryReport, RecipientResult, Status
from smtplearn.delivery.routes import DNS, find_route
from smtplearn.delivery.session import TRY_NEXT, Attempt, as_final, run_session
from smtplearn.protocol.errors import ProtocolError
from smtplearn.transcript import Transcript

__all__ = ["deliver", "DNS"]

QUEUED = "every MX address was tried; a real MTA keeps the message queued and retries later (RFC 5321 §4.5.4.1)"


@dataclass
class _Run:
    """What one call of deliver() shares across domains."""

    message: OutgoingMessage
    connector: Connector
    port: int
    helo: str
    timeout: float | None
    transcript: Transcript

    def note(self, text: str, target: str | None = None, kind: str = "note") -> None:
        self.transcript.note(text, source=self.helo, target=target, kind=kind)


def deliver(message: str | bytes | EmailBase, *, sender: str | None = None,
            recipients: str | list[str] | tuple[str, ...] | None = None, resolver: Any = None,
            port: int = 25, connector: Connector | None = None, helo: str = DEFAULT_CLIENT_NAME,
            seed: int | None = None, timeout: float | None = None,
            relay: tuple[str, int] | None = None) -> DeliveryReport:
    """Deliver ``message`` the way a sending MTA does, and report on every recipient.

    ``sender`` and ``recipients`` are the envelope (MAIL FROM, RCPT TO); by default they
    come from the From: and To:/Cc:/Bcc: headers, and a Bcc: header is not transmitted;
    ``Date:`` and ``From:`` are added when missing (RFC 5322 §3.6).
    ``resolver`` answers the MX questions (``lookup_mx``'s default: ``SMTPLEARN_NAMESERVER``
    or the system's); ``connector`` opens each SMTP connection (default: real TCP to
    ``port``); ``seed`` orders MX hosts of equal preference repeatably. ``timeout`` bounds
    every wait for a reply, in seconds; the default ``None`` uses RFC 5321 §4.5.3.2's (5 minutes
    for the greeting, MAIL and RCPT, 2 for the 354 to DATA, 3 per block of text sent, 10 after the
    final dot). ``relay=(host, port)`` skips DNS and hands every
    recipient to that one server, as a mail program does with its outgoing (smarthost) server.
    """
    outgoing = make_message(message, sender, recipients)
    run = _Run(outgoing, connector or TCPConnector(), port, helo, timeout,
               Transcript(title=f"delivery from <{outgoing.sender}>"))
    routes: dict[str, Any] = {}
    found: dict[str, RecipientResult] = {}
    destinations: Destinations
    if relay is not None:
        host, run.port = relay
        run.note(f"relay: every recipient goes to {host}:{run.port}; no MX lookup, that server routes the mail")
        destinations = {frozenset({(host, host)}): ([(host, host)], [], list(outgoing.recipients))}
    else:
        destinations = _destinations(run, resolver, seed, routes, found)
    for pairs, domains, rcpts in destinations.values():
        if len(domains) > 1:
            run.note(f"{' and '.join(domains)} have the same MX hosts: one transaction carries the message to "
                     f"all {len(rcpts)} recipients (RFC 5321 §4.5.4.1: \"only one copy of the message SHOULD "
                     "be transmitted\")")
        found.update((r.recipient, r) for r in _try_addresses(run, pairs, rcpts))

    def again(deferred: list[str]) -> DeliveryReport:
        return deliver(message, sender=outgoing.sender, recipients=deferred, resolver=resolver, port=port,
                       connector=connector, helo=helo, seed=seed, timeout=timeout, relay=relay)

    return DeliveryReport(outgoing.sender, [found[r] for r in outgoing.recipients], run.transcript,
                          routes, again)


Destinations = dict[frozenset[tuple[str, str]], tuple[list[tuple[str, str]], list[str], list[str]]]


def _destinations(run: _Run, resolver: Any, seed: int | None, routes: dict[str, Any],
                  found: dict[str, RecipientResult]) -> Destinations:
    """One MX lookup per domain; domains with the same hosts and addresses become one destination
    (their set is the key: equal preferences may come out shuffled differently for each)."""
    destinations: Destinations = {}
    for domain, rcpts in group_by_domain(run.message.recipients).items():
        route = find_route(domain, resolver, seed, routes, run.note)
        if route.decided is not None:
            decided = route.decided
            found.update((r, RecipientResult(r, decided.status, decided.reason, reply=decided.reply)) for r in rcpts)
            continue
        pairs, domains, joined = destinations.setdefault(frozenset(route.pairs), (list(route.pairs), [], []))
        domains.append(domain)
        joined.extend(rcpts)
    return destinations


# ---------------------------------------------------------------- the attempts
def _try_addresses(run: _Run, pairs: list[tuple[str, str]], rcpts: list[str]) -> list[RecipientResult]:
    """Try each (host, address) until every recipient is delivered, bounced or unknown."""
    pending = list(rcpts)
    decided: dict[str, RecipientResult] = {}
    last: dict[str, RecipientResult] = {}
    connected = False
    for n, (host, address) in enumerate(pairs):
        if not pending:
            break
        onward = "trying the next MX address" if n + 1 < len(pairs) else "no MX address left"
        attempt = _attempt(run, host, address, pending)
        if attempt.failure is not None:
            run.note(f"connect to {host} [{address}]:{run.port} failed: {attempt.failure}; {onward}", host,
                     kind="connect")
            for r in pending:
                last[r] = RecipientResult(r, Status.DEFERRED, f"could not connect to {host} [{address}]:"
                                          f"{run.port}: {attempt.failure}", host, address)
            continue
        connected = True
        for result in attempt.results:
            if attempt.move_on or result.status is Status.DEFERRED:
                last[result.recipient] = result
            else:
                decided[result.recipient] = result
        pending = [r for r in pending if r not in decided]
        if pending:
            run.note(f"{len(pending)} recipient(s) not taken by {host} for now ({_short(last[pending[0]])}); "
                     f"{onward}")
    advice = f"; {PORT_25_ADVICE}" if run.port == 25 and not connected else ""
    for r in pending:
        previous = last[r]
        decided[r] = (as_final(previous, "no other MX address took the message") if previous.status is Status.BOUNCED
                      else RecipientResult(r, Status.DEFERRED, f"{previous.reason}; {QUEUED}{advice}",
                                           previous.host, previous.address, previous.reply))
    return [decided[r] for r in rcpts]


def _short(result: RecipientResult) -> str:
    """The reply, or the first clause of the reason when there was none (a broken session)."""
    return str(result.reply).replace("\n", " / ") if result.reply is not None else result.reason.split("; ")[0]


def _attempt(run: _Run, host: str, address: str, pending: list[str]) -> Attempt:
    """One connection to one address."""
    try:
        conv = run.connector(host, address, run.port, local_hostname=run.helo, timeout=run.timeout)
    except OSError as err:
        return Attempt(failure=connect_failure_text(err))
    try:
        return run_session(conv, host, address, run.message, pending)
    except (OSError, ProtocolError) as err:
        # the session broke off before the message was complete: no server has it, so try
        # elsewhere (RFC 5321 §4.2: clients "SHOULD normally treat [out-of-range codes] as fatal
        # errors and terminate the mail transaction"; §5.1: try the next address)
        broke = f"the session with {host} [{address}] broke off ({err}); {TRY_NEXT}"
        return Attempt(tuple(RecipientResult(r, Status.DEFERRED, broke, host, address) for r in pending))
    finally:
        run.transcript.extend(conv.transcript)
        conv.close()
