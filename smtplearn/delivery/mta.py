"""``deliver``: what a sending mail server does with one message (RFC 5321 §5.1, §4.5.4).

For each recipient domain (one lookup and one session per domain): look up
the MX hosts, try them in preference order and each host's addresses in turn,
move on after a failed connection or a 4xx reply, stop at the first host that
accepts, and bounce at once on a 5xx or a null MX (RFC 7505). The sockets are
a connector's business (connectors.py), so the same code delivers to the real
Internet and into the offline mini-Internet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message as EmailBase
from typing import Any

from smtplearn.conversation import DEFAULT_CLIENT_NAME, Conversation
from smtplearn.delivery.connectors import PORT_25_ADVICE, Connector, TCPConnector, connect_failure_text
from smtplearn.delivery.envelope import Envelope, group_by_domain, make_envelope
from smtplearn.delivery.report import DeliveryReport, RecipientResult, Status
from smtplearn.mx.errors import MXLookupError
from smtplearn.mx.lookup import TEMPORARY, lookup_mx
from smtplearn.protocol.errors import ProtocolError
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import State
from smtplearn.transcript import Transcript

__all__ = ["deliver", "DNS"]

#: the name of the DNS lifeline in the transcript and the sequence diagram
DNS = "DNS"
#: seconds to wait for a connection and for each reply (the RFC's minutes are too long for a lesson)
DEFAULT_TIMEOUT = 30.0

TRY_NEXT = "temporary, so the next MX address is tried (RFC 5321 §5.1, §4.2.1)"
GIVE_UP = "permanent: the message bounces for this recipient, no retry (RFC 5321 §4.2.1, §6.1)"
QUEUED = "every MX address was tried; a real MTA keeps the message queued and retries later (RFC 5321 §4.5.4.1)"


@dataclass
class _Run:
    """What one call of deliver() shares across domains."""

    envelope: Envelope
    connector: Connector
    port: int
    helo: str
    timeout: float
    transcript: Transcript

    def note(self, text: str, target: str | None = None, kind: str = "note") -> None:
        self.transcript.note(text, source=self.helo, target=target, kind=kind)


def deliver(message: str | bytes | EmailBase, *, sender: str | None = None,
            recipients: str | list[str] | tuple[str, ...] | None = None, resolver: Any = None,
            port: int = 25, connector: Connector | None = None, helo: str = DEFAULT_CLIENT_NAME,
            seed: int | None = None, timeout: float = DEFAULT_TIMEOUT,
            relay: tuple[str, int] | None = None) -> DeliveryReport:
    """Deliver ``message`` the way a sending MTA does, and report on every recipient.

    ``sender`` and ``recipients`` are the envelope (MAIL FROM, RCPT TO); by default they
    come from the From: and To:/Cc:/Bcc: headers, and a Bcc: header is not transmitted.
    ``resolver`` answers the MX questions (``lookup_mx``'s default: ``SMTPLEARN_NAMESERVER``
    or the system's); ``connector`` opens each SMTP connection (default: real TCP to
    ``port``); ``seed`` orders MX hosts of equal preference repeatably. ``relay=(host, port)``
    skips DNS and hands every recipient to that one server, as a mail program does with its
    outgoing (smarthost/submission) server.
    """
    envelope = make_envelope(message, sender, recipients)
    run = _Run(envelope, connector or TCPConnector(), port, helo, timeout,
               Transcript(title=f"delivery from <{envelope.sender}>"))
    routes: dict[str, Any] = {}
    found: dict[str, RecipientResult] = {}
    if relay is not None:
        host, run.port = relay
        run.note(f"relay: every recipient goes to {host}:{run.port}; no MX lookup, that server routes the mail")
        found = {r.recipient: r for r in _try_addresses(run, [(host, host)], list(envelope.recipients))}
    for domain, rcpts in group_by_domain(envelope.recipients).items() if relay is None else ():
        for result in _deliver_domain(run, domain, rcpts, resolver, seed, routes):
            found[result.recipient] = result

    def again(deferred: list[str]) -> DeliveryReport:
        return deliver(message, sender=envelope.sender, recipients=deferred, resolver=resolver, port=port,
                       connector=connector, helo=helo, seed=seed, timeout=timeout, relay=relay)

    return DeliveryReport(envelope.sender, [found[r] for r in envelope.recipients], run.transcript,
                          routes, again)


# ---------------------------------------------------------------- one domain
def _deliver_domain(run: _Run, domain: str, rcpts: list[str], resolver: Any, seed: int | None,
                    routes: dict[str, Any]) -> list[RecipientResult]:
    if not domain:
        why = "no domain after the @: a sending MTA routes on the domain (RFC 5321 §2.3.5, §5.1)"
        return [RecipientResult(r, Status.BOUNCED, why) for r in rcpts]
    route = _route(run, domain, resolver, seed, routes)
    if isinstance(route, tuple):  # the lookup already decided: (status, reason)
        status, why = route
        return [RecipientResult(r, status, why) for r in rcpts]
    return _try_addresses(run, route, rcpts)


def _route(run: _Run, domain: str, resolver: Any, seed: int | None,
           routes: dict[str, Any]) -> list[tuple[str, str]] | tuple[Status, str]:
    """The (host, address) pairs to try in order, or the outcome when DNS already decides."""
    literal = _address_literal(domain)
    if literal is not None:
        # RFC 5321 §4.1.3, §5.1: an address literal names the host itself; no DNS is asked
        run.note(f"{domain} is an address literal: no MX lookup, straight to {literal} (RFC 5321 §4.1.3)")
        return [(literal, literal)]
    try:
        result = lookup_mx(domain, resolver, seed=seed)
    except ValueError as exc:
        run.note(f"DNS: MX {domain}? not asked: {exc}", DNS, kind="dns")
        return Status.BOUNCED, str(exc)
    except MXLookupError as exc:
        routes[domain] = exc
        run.note(f"DNS: MX {domain}? → {exc.kind}: {exc.message}", DNS, kind="dns")
        return (Status.BOUNCED if exc.permanent else Status.DEFERRED), exc.message
    routes[domain] = result
    if result.null_mx:
        # RFC 7505 §3: a null MX means "no mail here"; the sender fails the message at once
        run.note(f"DNS: MX {domain}? → 0 . (null MX: this domain accepts no mail, RFC 7505)", DNS, kind="dns")
        return Status.BOUNCED, (f"{domain} publishes a null MX (MX 0 .): it accepts no mail, so the message "
                                "bounces at once without any connection (RFC 7505 §3)")
    answer = ", ".join(f"{h.name} ({h.preference})" for h in result.hosts)
    if result.implicit:
        answer = f"no MX records; implicit MX {answer} (the domain's own address, RFC 5321 §5.1)"
    run.note(f"DNS: MX {domain}? → {answer}", DNS, kind="dns")
    for host in result.hosts:
        found = ", ".join(host.addresses) or "no address: " + "; ".join(host.problems or ("skipped",))
        run.note(f"DNS: A/AAAA {host.name}? → {found}", DNS, kind="dns")
    pairs = [(host.name, address) for host in result.hosts for address in host.addresses]
    if not pairs:
        temporary = any(TEMPORARY in problem for host in result.hosts for problem in host.problems)
        why = (f"none of the MX hosts of {domain} has an address, so there is nowhere to connect "
               "(RFC 5321 §5.1)")
        return (Status.DEFERRED if temporary else Status.BOUNCED), why
    return pairs


def _address_literal(domain: str) -> str | None:
    if not (domain.startswith("[") and domain.endswith("]")):
        return None
    inner = domain[1:-1]
    inner = inner[5:] if inner.lower().startswith("ipv6:") else inner  # RFC 5321 §4.1.3 IPv6 tag
    try:
        return str(ipaddress.ip_address(inner))
    except ValueError:
        return None


# ---------------------------------------------------------------- the attempts
def _try_addresses(run: _Run, pairs: list[tuple[str, str]], rcpts: list[str]) -> list[RecipientResult]:
    """Try each (host, address) until every recipient is delivered or bounced."""
    pending = list(rcpts)
    decided: dict[str, RecipientResult] = {}
    last: dict[str, RecipientResult] = {}
    connected = False
    for n, (host, address) in enumerate(pairs):
        if not pending:
            break
        onward = "trying the next MX address" if n + 1 < len(pairs) else "no MX address left"
        outcome = _attempt(run, host, address, pending)
        if isinstance(outcome, str):  # the connection failed: outcome is why
            run.note(f"connect to {host} [{address}]:{run.port} failed: {outcome}; {onward}", host, kind="connect")
            for r in pending:
                last[r] = RecipientResult(r, Status.DEFERRED, f"could not connect to {host} [{address}]:"
                                          f"{run.port}: {outcome}", host, address)
            continue
        connected = True
        for result in outcome:
            if result.status is Status.DEFERRED:
                last[result.recipient] = result
            else:
                decided[result.recipient] = result
        pending = [r for r in pending if r not in decided]
        if pending:
            run.note(f"{len(pending)} recipient(s) not taken by {host} for now; {onward}")
    advice = f"; {PORT_25_ADVICE}" if run.port == 25 and not connected else ""
    for r in pending:
        previous = last[r]
        decided[r] = RecipientResult(r, Status.DEFERRED, f"{previous.reason}; {QUEUED}{advice}",
                                     previous.host, previous.address, previous.reply)
    return [decided[r] for r in rcpts]


def _attempt(run: _Run, host: str, address: str, pending: list[str]) -> list[RecipientResult] | str:
    """One connection to one address: the recipients' results, or why the connection failed."""
    try:
        conv = run.connector(host, address, run.port, local_hostname=run.helo, timeout=run.timeout)
    except OSError as err:
        return connect_failure_text(err)
    results: list[RecipientResult] = []
    try:
        results = _session(conv, host, address, run.envelope, pending)
    except (OSError, ProtocolError) as err:
        # the connection broke mid-session: nothing was accepted, so try elsewhere (§4.1.1.4, §6.1)
        broke = f"the session with {host} [{address}] broke off ({err}); {TRY_NEXT}"
        results = [RecipientResult(r, Status.DEFERRED, broke, host, address) for r in pending]
    finally:
        run.transcript.extend(conv.transcript)
        _close(conv)
    return results


def _session(conv: Conversation, host: str, address: str, envelope: Envelope,
             pending: list[str]) -> list[RecipientResult]:
    """EHLO, MAIL, one RCPT per recipient, DATA, QUIT; classify every refusal."""

    def refused(answer: Reply, stage: str, rcpts: list[str]) -> list[RecipientResult]:
        _quit(conv)
        return [_refusal(r, answer, stage, host, address) for r in rcpts]

    greeting = getattr(conv, "greeting", None)
    if greeting is not None and not greeting.is_positive:
        return refused(greeting, "the greeting", pending)
    hello = conv.ehlo()
    if hello.code in (500, 502):  # RFC 5321 §3.2: an old server that does not know EHLO: use HELO
        hello = conv.helo()
    if not hello.is_positive:
        return refused(hello, "HELO/EHLO", pending)
    mail = conv.mail(envelope.sender, **_mail_params(conv.extensions, envelope))
    if not mail.is_positive:
        return refused(mail, "MAIL FROM", pending)
    results: dict[str, RecipientResult] = {}
    accepted = []
    for rcpt in pending:  # RFC 5321 §3.3: each recipient is accepted or refused on its own
        answer = conv.rcpt(rcpt)
        if answer.is_positive:
            accepted.append(rcpt)
        else:
            results[rcpt] = _refusal(rcpt, answer, "RCPT TO", host, address)
    if accepted:
        final = conv.data(envelope.content)
        for rcpt in accepted:
            results[rcpt] = (RecipientResult(rcpt, Status.DELIVERED, f"accepted by {host}: {final.text}",
                                             host, address, final)
                             if final.code == 250 else _refusal(rcpt, final, "DATA", host, address))
    _quit(conv)
    return [results[r] for r in pending]


def _mail_params(extensions: dict[str, str], envelope: Envelope) -> dict[str, object]:
    """The MAIL FROM parameters this message needs, when the server advertised them."""
    params: dict[str, object] = {}
    if "SIZE" in extensions:  # RFC 1870 §3: say the size up front, so a too-big message is refused at once
        params["SIZE"] = len(envelope.content)
    if not envelope.content.isascii() and "8BITMIME" in extensions:
        params["BODY"] = "8BITMIME"  # RFC 6152 §3: the content has octets above 127
    if not all(a.isascii() for a in (envelope.sender, *envelope.recipients)) and "SMTPUTF8" in extensions:
        params["SMTPUTF8"] = True  # RFC 6531 §3.4: internationalised addresses
    return params


def _refusal(rcpt: str, answer: Reply, stage: str, host: str, address: str) -> RecipientResult:
    status, meaning = (Status.DEFERRED, TRY_NEXT) if answer.is_transient else (Status.BOUNCED, GIVE_UP)
    first = answer.lines[0] if answer.lines else ""
    return RecipientResult(rcpt, status, f"{host} answered {answer.code} to {stage} ({first}): {meaning}",
                           host, address, answer)


def _quit(conv: Conversation) -> None:
    """Say goodbye if the session is still open (§4.1.1.10); a broken one is just closed."""
    if conv.state is State.CLOSED:
        return
    try:
        conv.quit()
    except (OSError, ProtocolError):
        pass


def _close(conv: Conversation) -> None:
    close: Callable[[], None] | None = getattr(conv, "close", None)
    if close is not None:
        close()
