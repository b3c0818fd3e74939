"""The roles of the mail system in the mini-Internet: one message followed hop by hop.

RFC 5321 §2.3.10 names the SMTP roles (originating, relay, delivery systems);
RFC 6409 adds the message submission agent (MSA) a mail program talks to on
port 587. ``MailSystem`` builds a small world where each role is a host:

    MUA laptop.home.test --587, STARTTLS, AUTH--> MSA smtp.home.test --25--> relay out.home.test
        --MX lookup, 25--> MX mx.school.test --final delivery--> MDA: bob's mailbox

``send()`` returns a ``Journey``: every hop, the ``Received:`` line each server
prepended (RFC 5321 §4.4), the ``Return-Path:`` added at final delivery, the
bounces (RFC 3464 DSNs) sent back to the reverse-path, and one transcript of
the whole trip. Each hop is the same ``deliver()`` and the same server session
as everywhere else in smtplearn; only the handlers (who may send, who may relay)
differ by role.
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from html import escape
from typing import Any

from smtplearn.delivery.envelope import make_message, strip_headers
from smtplearn.mx.names import domain_of
from smtplearn.mini_internet.world import SENDER_ADDRESS, SMTP_PORT, MiniInternet
from smtplearn.protocol.addresses import Params
from smtplearn.protocol.auth import Credentials
from smtplearn.protocol.catalogue import reply
from smtplearn.protocol.handlers import Handler
from smtplearn.protocol.message import Message
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.server import ServerSession
from smtplearn.render.html import Cell, html_table
from smtplearn.transcript import Note, Transcript, Turn
from smtplearn.transports.memory import Pair
from smtplearn.authentication import DKIMKey
from smtplearn.transports.tls import ClassCertificate
from smtplearn.authentication import authenticate
from smtplearn.delivery.mta import deliver
from smtplearn.delivery.dsn import make_dsn

__all__ = ["Role", "MailSystem", "Journey", "Hop", "SUBMISSION_PORT", "SUBMISSIONS_PORT",
           "MAX_HOPS", "count_received", "final_delivery"]

SUBMISSION_PORT = 587   # RFC 6409 §3.1: "Port 587 is reserved for email message submission"
SUBMISSIONS_PORT = 465  # RFC 8314 §3.3: submission with implicit TLS (the handshake comes first)
#: RFC 5321 §6.3: count Received: lines, with "a large rejection threshold, normally at least 100"
MAX_HOPS = 100
#: the lifeline of the mail store in the sequence diagram
MAILBOX = "MDA (mailbox)"


class Role(enum.Enum):
    """What a host does with a message. The comment is the role's one-line job."""

    MUA = "MUA"      # mail user agent: the program a person writes in; it submits, it never routes
    MSA = "MSA"      # message submission agent: port 587, AUTH before MAIL (RFC 6409 §4.3)
    RELAY = "relay"  # relay MTA: passes mail on, adding only a Received: line (RFC 5321 §2.3.10)
    MX = "MX"        # the recipient domain's MTA on port 25, found by MX lookup (§5.1): final delivery
    MDA = "MDA"      # mail delivery agent: puts the message in the mailbox, with Return-Path (§4.4)


ROLE_TEXT = {
    Role.MUA: "mail user agent (Thunderbird, a phone's mail app): submits the message, never routes it",
    Role.MSA: "message submission agent, port 587: checks who you are (AUTH) before MAIL (RFC 6409 §4.3)",
    Role.RELAY: "relay MTA: passes the message on, changing nothing but adding Received: (RFC 5321 §2.3.10)",
    Role.MX: "the recipient domain's MTA on port 25, found by an MX lookup (RFC 5321 §5.1)",
    Role.MDA: "mail delivery agent: final delivery into the mailbox, Return-Path added (RFC 5321 §4.4)",
}


def count_received(content: bytes) -> int:
    """How many ``Received:`` fields the header section holds (RFC 5321 §6.3 counts them)."""
    head = content.partition(b"\r\n\r\n")[0]
    return sum(1 for line in head.split(b"\r\n") if line[:9].lower() == b"received:")


def final_delivery(message: Message) -> bytes:
    """What the mailbox stores: a ``Return-Path:`` line, then the message with its trace lines.

    RFC 5321 §4.4: "When the delivery SMTP server makes the 'final delivery' of a
    message, it inserts a return-path line at the beginning of the mail data", and
    it "MAY remove Return-path header fields before adding their own".
    """
    return message.return_path + strip_headers(message.data, ("Return-Path",))


# ---------------------------------------------------------------- what each role decides
class _Delegate(Handler):
    """A handler that asks ``inner`` and adds one rule of its own (the loop check)."""

    def __init__(self, inner: Handler, max_hops: int,
                 gate: Callable[[ServerSession, Message], Reply | None] | None = None) -> None:
        self.inner, self.max_hops, self.gate = inner, max_hops, gate

    def on_connect(self, session: ServerSession) -> Reply | None:
        return self.inner.on_connect(session)

    def on_mail(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        return self.inner.on_mail(session, address, params)

    def on_rcpt(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        return self.inner.on_rcpt(session, address, params)

    def on_message(self, session: ServerSession, message: Message) -> Reply | None:
        hops = count_received(message.content)
        if hops >= self.max_hops:
            # RFC 5321 §6.3: "servers MUST contain provisions for detecting and stopping trivial loops"
            return reply("mail_loop", limit=hops)
        refusal = self.gate(session, message) if self.gate is not None else None
        return refusal or self.inner.on_message(session, message)


class SubmissionHandler(Handler):
    """An MSA: MAIL only after AUTH (RFC 6409 §4.3); then any recipient, as it relays for its users."""

    def on_mail(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        if session.authenticated_as is None:
            # RFC 6409 §4.3: "MUST, by default, issue an error response to the MAIL command
            # if the session has not been authenticated"; 530 is RFC 4954 §6's reply
            return reply("auth_required")
        return None


class RelayHandler(Handler):
    """A relay MTA: takes mail for the domains it is MX for and relays for the hosts it trusts
    (its own MSA); anyone else gets "relaying denied", as from every non-open relay (§3.6.2, §7.1)."""

    def __init__(self, trusted: set[str], domains: frozenset[str] = frozenset()) -> None:
        self.trusted = trusted  # client addresses, shared with the MailSystem so it can grow
        self.domains = domains

    def on_rcpt(self, session: ServerSession, address: str, params: Params) -> Reply | None:
        if session.peer in self.trusted or domain_of(address) in self.domains:
            return None
        return reply("relay_denied", domain=domain_of(address))


# ---------------------------------------------------------------- the record of one trip
@dataclass(frozen=True)
class Hop:
    """One server took the message: who handed it over, on which port, and what it stored."""

    number: int
    client: str
    server: str
    role: Role
    port: int
    message: Message

    @property
    def received(self) -> str:
        """The Received: line this server prepended (unfolded)."""
        return " ".join(self.message.received_header.decode("utf-8", "replace").split())

    def __str__(self) -> str:
        return f"hop {self.number}: {self.client} → {self.server} ({self.role.value}, port {self.port})"


@dataclass
class Journey:
    """Everything that happened to one submitted message."""

    submitted: bytes
    sender: str
    transcript: Transcript
    hops: list[Hop] = field(default_factory=list)
    #: recipient -> what final delivery stored (Return-Path first)
    delivered: dict[str, bytes] = field(default_factory=dict)
    #: every DeliveryReport of the trip, in order (a relay's report links to its DSN: ``report.dsn``)
    reports: list[Any] = field(default_factory=list)
    #: the bounces sent back, as email messages (RFC 3464)
    dsns: list[EmailMessage] = field(default_factory=list)
    #: the submission's replies (EHLO, AUTH, MAIL, ...), for the lesson on port 587
    submission: Any = None
    #: why the mail program gave up before submitting, if it did
    problem: str = ""

    def final(self, recipient: str | None = None) -> EmailMessage:
        """The message as the recipient's mailbox holds it, parsed with ``email``."""
        from email import policy
        from email.parser import BytesParser
        if not self.delivered:
            raise LookupError("nothing reached a mailbox: look at journey.reports for what happened")
        data = self.delivered[recipient] if recipient else next(iter(self.delivered.values()))
        return BytesParser(policy=policy.default).parsebytes(data)

    def received(self, recipient: str | None = None) -> list[str]:
        """The Received: fields of the delivered message, top (newest) to bottom (oldest)."""
        return [" ".join(str(v).split()) for v in self.final(recipient).get_all("Received", [])]

    def sequence_diagram(self, **options: Any) -> Any:
        """One lifeline per role: MUA, MSA, relay, DNS, MX, MDA."""
        return self.transcript.sequence_diagram(**options)

    def __repr__(self) -> str:
        lines = [f"<Journey of a message from <{self.sender}>: {len(self.hops)} hop(s), "
                 f"delivered to {', '.join(self.delivered) or 'nobody'}, {len(self.dsns)} bounce(s)>"]
        if self.problem:
            lines.append(f"  not submitted: {self.problem}")
        return "\n".join(lines + [f"  {hop}" for hop in self.hops])

    def _repr_html_(self) -> str:
        rows: list[list[str | Cell]] = [[str(hop.number), f"<code>{escape(hop.client)}</code>",
                 f"<code>{escape(hop.server)}</code><br><small>{hop.role.value}</small>", str(hop.port),
                 Cell(escape(hop.received), style="font-family:monospace;font-size:12px")]
                for hop in self.hops]
        return (f"<p>{escape(repr(self).splitlines()[0])}</p>"
                + html_table(("hop", "from", "to (role)", "port", "the Received: line it added"), rows))


# ---------------------------------------------------------------- the world
class MailSystem:
    """A mini-Internet with every role of the mail system, and a way to follow one message.

    >>> system = MailSystem()
    >>> journey = system.send("From: alice@home.test\\r\\nTo: bob@school.test\\r\\n\\r\\nHi\\r\\n")
    >>> [hop.server for hop in journey.hops]
    ['smtp.home.test', 'out.home.test', 'mx.school.test']
    """

    def __init__(self, net: MiniInternet | None = None, *, users: dict[str, str] | None = None,
                 max_hops: int = MAX_HOPS) -> None:
        self.net = net or MiniInternet()
        self.max_hops = max_hops
        self.users = Credentials(users if users is not None else {"alice": "wonderland"})
        # Alice's provider: a submission server and an outgoing relay; mail for home.test comes in at mx
        self.net.add_domain("home.test", mx=[("mx.home.test", 10)])
        self.net.add_host("smtp.home.test")
        self.net.add_host("out.home.test")
        self.net.add_domain("school.test", mx=[("mx.school.test", 10)])
        #: host name -> role; a host not named here is an MX (it takes mail for its domains)
        self.roles: dict[str, Role] = {"smtp.home.test": Role.MSA, "out.home.test": Role.RELAY}
        #: host -> the next hop it hands every message to (its smarthost); others look up MX
        self.next_hop: dict[str, str] = {"smtp.home.test": "out.home.test"}
        #: relay host -> the client addresses it relays for
        self.trusted: dict[str, set[str]] = {"out.home.test": set(self.net.host("smtp.home.test").addresses)}
        #: client names that are not servers (the MUA's laptop) -> the address they connect from
        self.clients: dict[str, str] = {"laptop.home.test": SENDER_ADDRESS}
        #: recipient -> the messages final delivery stored for them
        self.mailboxes: dict[str, list[bytes]] = {}
        #: host -> an attacker on the path to it, editing what it sends before TLS (e.g. strip_starttls)
        self.on_path: dict[str, Callable[[bytes], bytes]] = {}
        #: host -> the DKIM key it signs with as messages leave it (see authenticate_mail)
        self.signers: dict[str, Any] = {}
        #: host -> what happens to a message on the wire after it leaves that host (a lesson's tampering)
        self.in_transit: dict[str, Callable[[bytes], bytes]] = {}
        #: final delivery checks SPF, DKIM and DMARC and adds Authentication-Results
        self.checks_authentication = False
        #: recipient -> the AuthenticationReport of each message an MX checked (refused ones too)
        self.verdicts: dict[str, list[Any]] = {}
        self._verdict_of: dict[str, Any] = {}  # queue id -> its AuthenticationReport
        self._certificates: dict[str, Any] = {}  # MSA host -> its ClassCertificate

    # -- configuration a lesson changes -------------------------------------------------
    def role_of(self, host: str) -> Role:
        return self.roles.get(host.lower(), Role.MX)

    def forward(self, host: str, to: str) -> MailSystem:
        """Make ``host`` a relay that hands everything to ``to`` (which trusts it). Two
        hosts forwarding to each other make a mail loop (RFC 5321 §6.3)."""
        host, to = host.lower(), to.lower()
        self.roles[host] = Role.RELAY
        self.next_hop[host] = to
        self.trusted.setdefault(host, set())
        self.trusted.setdefault(to, set()).update(self.net.host(host).addresses)
        if self.role_of(to) is Role.MX:
            self.roles[to] = Role.RELAY
        return self

    def authenticate_mail(self, selector: str = "mini") -> MailSystem:
        """Publish home.test's SPF, DKIM key and DMARC policy, sign at out.home.test, check at final delivery.

        SPF: only out.home.test sends mail for home.test (``-all``: everyone else fails, RFC 7208 §5.1);
        DKIM: out.home.test signs with d=home.test (RFC 6376; RFC 6409 §8.5 lets an MSA sign too);
        DMARC: reject mail whose From: is home.test unless SPF or DKIM passes for it (RFC 7489 §6.3).
        """
        key = DKIMKey.generate("home.test", selector)
        self.net.add_record("home.test", "TXT", '"v=spf1 a:out.home.test -all"')
        self.net.add_record(key.record_name, "TXT", key.zone_rdata)
        self.net.add_record("_dmarc.home.test", "TXT", '"v=DMARC1; p=reject"')
        self.signers["out.home.test"] = key
        self.checks_authentication = True
        return self

    def listens_on(self, host: str) -> int:
        """The port a host's SMTP server listens on: 587 for an MSA, 25 for the others."""
        return SUBMISSION_PORT if self.role_of(host) is Role.MSA else SMTP_PORT

    # -- the connector deliver() uses --------------------------------------------------------
    def connect(self, host: str, address: str, port: int, *, local_hostname: str,
                timeout: float | None = None) -> Pair:
        """An in-memory SMTP session with ``host``, with the handler of its role."""
        name = host.lower()
        try:
            server = self.net.host(name)
        except KeyError:
            raise OSError(errno.EHOSTUNREACH, f"no host {host} in this mini-Internet") from None
        server.connections += 1
        if server.behaviour.value == "down" or port != self.listens_on(name):
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"nothing listens on {host}:{port}")
        options: dict[str, Any] = dict(hostname=server.name, local_hostname=local_hostname, mailbox=server.mailbox,
                       peer=self.address_of(local_hostname), queue_ids=server.queue_ids)
        if self.role_of(name) is Role.MSA:
            # The MSA offers STARTTLS (a class-CA certificate) and AUTH only inside TLS (RFC 8314 §3,
            # RFC 4954 §6): TLS in memory (transports/memory_tls.py), so this works with no network
            options.update(tls=self._certificate(name), users=self.users.users, on_path=self.on_path.get(name))
        return Pair(self._handler(name), **options)

    def _certificate(self, host: str) -> Any:
        """One class-CA certificate per submission server, made on first use (trustme)."""
        if host not in self._certificates:
            self._certificates[host] = ClassCertificate(names=(host,))
        return self._certificates[host]

    def address_of(self, name: str) -> str:
        if name in self.clients:
            return self.clients[name]
        try:
            return self.net.host(name).addresses[0]
        except KeyError:
            return SENDER_ADDRESS

    def _handler(self, host: str) -> Handler:
        role = self.role_of(host)
        inner: Handler
        if role is Role.MSA:
            inner = SubmissionHandler()
        elif role is Role.RELAY:
            inner = RelayHandler(self.trusted.setdefault(host, set()), self.net.host(host).domains)
        else:
            inner = self.net.host(host).handler
        gate = self._dmarc_gate if role is Role.MX and self.checks_authentication else None
        return _Delegate(inner, self.max_hops, gate)

    def _dmarc_gate(self, session: ServerSession, message: Message) -> Reply | None:
        """The receiving MX checks SPF, DKIM and DMARC at the end of DATA; a From: domain with
        p=reject gets its failing mail refused in the session (RFC 7489 §6.3, §10.3)."""
        verdict = authenticate(message.content, ip=session.peer, mail_from=message.mail_from,
                               helo=message.helo, resolver=self.net.resolver, authserv_id=session.hostname)
        self._verdict_of[message.queue_id] = verdict
        for rcpt in message.rcpt_tos:
            self.verdicts.setdefault(rcpt, []).append(verdict)
        if verdict.disposition == "reject":
            return reply("dmarc_reject", domain=verdict.header_from or "the From: domain")
        return None

    # -- following a message ---------------------------------------------------------------
    def send(self, message: str | bytes | EmailMessage, *, user: str = "alice", password: str = "wonderland",
             sender: str | None = None, recipients: Iterable[str] | None = None,
             mua: str = "laptop.home.test", msa: str = "smtp.home.test", require_tls: bool = True) -> Journey:
        """Submit ``message`` as a mail program does (port 587, STARTTLS, AUTH), then let every
        server on the way do its job until the message is in a mailbox or bounced back.

        ``require_tls`` (the default, RFC 8314 §5.2): without STARTTLS on offer the mail program
        stops after EHLO; ``require_tls=False`` is the careless program that goes on in clear text.
        """
        envelope = make_message(message, sender, list(recipients) if recipients is not None else None)
        journey = Journey(envelope.content, envelope.sender, Transcript(title=f"the journey of a message "
                                                                         f"from <{envelope.sender}>"))
        before = self._counts()
        conv = self.connect(msa, msa, SUBMISSION_PORT, local_hostname=mua)
        journey.submission = conv
        conv.ehlo()
        if "STARTTLS" in conv.extensions:
            conv.starttls()  # RFC 8314 §3: submission in TLS; then the session starts over (RFC 3207 §4.2)
            conv.ehlo()
        elif require_tls:
            # RFC 8314 §5.2: such an MUA "MUST NOT attempt to perform any operation other than
            # capability discovery, or STARTTLS ... unless the minimum level of confidentiality is provided"
            journey.problem = (f"{msa} offered no STARTTLS, and this mail program requires TLS "
                               "(RFC 8314 §5.2): it sent neither password nor message")
            conv.quit()
            self._add(journey, conv.transcript, mua)
            return journey
        conv.login(user, password)
        conv.send_mail(envelope.sender, list(envelope.recipients), envelope.content)
        conv.quit()
        self._add(journey, conv.transcript, mua)
        self._follow(journey, self._arrived(before, mua, SUBMISSION_PORT, journey))
        return journey

    def send_direct(self, message: str | bytes | EmailMessage, *, client: str, address: str,
                    sender: str | None = None, recipients: Iterable[str] | None = None) -> Journey:
        """A server outside this world (``client`` at ``address``) delivers straight to the
        recipients' MX on port 25, as any MTA on the Internet may: nobody asks for a password."""
        self.clients[client.lower()] = address
        envelope = make_message(message, sender, list(recipients) if recipients is not None else None)
        journey = Journey(envelope.content, envelope.sender, Transcript(title=f"a message from <{envelope.sender}> "
                                                                         f"sent by {client}"))
        before = self._counts()
        report = deliver(envelope.content, sender=envelope.sender, recipients=list(envelope.recipients),
                         resolver=self.net.resolver, connector=self.connect, helo=client.lower(), seed=self.net.seed)
        journey.reports.append(report)
        self._add(journey, report.transcript, client)
        self._follow(journey, self._arrived(before, client.lower(), SMTP_PORT, journey))
        return journey

    def _outgoing(self, host: str, data: bytes) -> bytes:
        """What leaves ``host``: signed if it signs (DKIM), then whatever happens on the wire."""
        if host in self.signers:
            data = self.signers[host].sign(data)
        if host in self.in_transit:
            data = self.in_transit[host](data)
        return data

    def _follow(self, journey: Journey, queue: list[Hop]) -> None:
        """Work through the hosts holding the message until none has anything to pass on."""
        budget = 4 * self.max_hops + 20  # bounded: a loop is stopped by the hop count long before this
        while queue and budget:
            budget -= 1
            hop = replace(queue.pop(0), number=len(journey.hops) + 1)
            journey.hops.append(hop)
            stored = hop.message
            if hop.role is Role.MX:
                self._final_delivery(journey, hop)
                continue
            nxt = self.next_hop.get(hop.server)
            before = self._counts()
            report = deliver(self._outgoing(hop.server, stored.data), sender=stored.mail_from, recipients=list(stored.rcpt_tos),
                             resolver=self.net.resolver, connector=self.connect, helo=hop.server,
                             relay=(nxt, SMTP_PORT) if nxt else None, seed=self.net.seed)
            journey.reports.append(report)
            self._add(journey, report.transcript, hop.server)
            queue += self._arrived(before, hop.server, SMTP_PORT, journey)
            report.dsn = make_dsn(report, stored.data, reporting_mta=hop.server)
            if report.bounced and report.dsn is None:
                journey.transcript.note("no bounce: the message came with MAIL FROM:<> (a bounce itself), "
                                        "and a bounce is never bounced (RFC 5321 §6.1)",
                                        source=self._label(hop.server), kind="note")
            if report.dsn is not None:
                journey.dsns.append(report.dsn)
                queue += self._bounce(journey, hop.server, report.dsn, stored.mail_from)

    def _bounce(self, journey: Journey, host: str, dsn: EmailMessage, to: str) -> list[Hop]:
        """Send the DSN from ``host`` to the reverse-path, with MAIL FROM:<> (RFC 3464 §2)."""
        before = self._counts()
        nxt = self.next_hop.get(host)
        report = deliver(dsn.as_bytes(), sender="", recipients=[to], resolver=self.net.resolver,
                         connector=self.connect, helo=host, relay=(nxt, SMTP_PORT) if nxt else None,
                         seed=self.net.seed)
        journey.reports.append(report)
        self._add(journey, report.transcript, host)
        return self._arrived(before, host, SMTP_PORT, journey)

    def _final_delivery(self, journey: Journey, hop: Hop) -> None:
        stored = final_delivery(hop.message)
        if self.checks_authentication:
            stored = self._with_verdicts(hop, stored)
        for rcpt in hop.message.rcpt_tos:
            self.mailboxes.setdefault(rcpt, []).append(stored)
            journey.delivered[rcpt] = stored
        journey.transcript.note(f"final delivery to {', '.join(hop.message.rcpt_tos)}: "
                                f"Return-Path: <{hop.message.mail_from}> added (RFC 5321 §4.4)",
                                source=self._label(hop.server), target=MAILBOX, kind="note")

    def _with_verdicts(self, hop: Hop, stored: bytes) -> bytes:
        """SPF for the observed address, DKIM, DMARC; Authentication-Results below our own Received."""
        message = hop.message
        verdict = self._verdict_of[message.queue_id]
        folded = verdict.header.replace("; ", ";\r\n\t") + "\r\n"
        top = len(b"Return-Path: <" + message.mail_from.encode() + b">\r\n") + len(message.received_header)
        return stored[:top] + folded.encode() + stored[top:]

    # -- bookkeeping ---------------------------------------------------------------------------
    def _counts(self) -> dict[str, int]:
        return {host.name: len(host.mailbox) for host in self.net.hosts}

    def _arrived(self, before: dict[str, int], client: str, port: int, journey: Journey) -> list[Hop]:
        """The messages hosts stored since ``before``, as hops to follow next."""
        hops = []
        for host in self.net.hosts:
            for message in list(host.mailbox)[before.get(host.name, 0):]:
                hops.append(Hop(0, client, host.name, self.role_of(host.name), port, message))
        return hops

    def _label(self, name: str) -> str:
        if name in self.clients:
            return f"{Role.MUA.value} {name}"
        if name == "DNS" or name not in {h.name for h in self.net.hosts}:
            return name
        return f"{self.role_of(name).value} {name}"

    def _add(self, journey: Journey, transcript: Transcript, client: str) -> None:
        """Append a hop's transcript with every participant named by its role (one lifeline per role)."""
        shifted = Transcript(started=transcript.started)
        shifted._origin = transcript._origin
        for entry in transcript.entries:
            if isinstance(entry, Turn):
                shifted.entries.append(replace(entry, client=self._label(entry.client),
                                               server=self._label(entry.server)))
            elif isinstance(entry, Note):
                shifted.entries.append(replace(entry, source=self._label(entry.source),
                                               target=self._label(entry.target)))
        journey.transcript.extend(shifted)

    def __repr__(self) -> str:
        roles = ", ".join(f"{h.name} ({self.role_of(h.name).value})" for h in self.net.hosts)
        return f"<MailSystem: {roles}>"
