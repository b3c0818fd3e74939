# deliver() against real peers: smtplearn.Servers on 127.0.0.x (one address each, one shared
# port) and a real dnsmasq on a loopback port. The machine's own resolver is never asked:
# every lookup goes to the dnsmasq started here. Then the same world again, offline, in a
# MiniInternet: only the resolver and the connector differ, so the outcomes must match.
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from smtplearn import Server
from smtplearn.delivery import Status, deliver
from smtplearn.delivery.connectors import PORT_25_ADVICE
from smtplearn.mini_internet import MiniInternet, MiniHost
from smtplearn.mx import make_resolver

# name, address, behaviour, refused users: each a real Server on its own loopback address
SERVERS = (
    ("mx1.fail.test", "127.0.0.2", "busy", ()),          # 421 greeting
    ("mx2.fail.test", "127.0.0.3", "normal", ()),
    ("mx1.grey.test", "127.0.0.4", "greylist", ()),      # 450 to RCPT
    ("mx.strict.test", "127.0.0.5", "normal", ("nobody@strict.test",)),
    ("mx1.temp.test", "127.0.0.6", "tempfail", ()),      # 451 to MAIL
)
DEAD = "127.0.0.9"  # nobody listens here

WORLD = (
    ("fail.test", "MX", "10 mx1.fail.test"),
    ("fail.test", "MX", "20 mx2.fail.test"),
    ("grey.test", "MX", "10 mx1.grey.test"),
    ("grey.test", "MX", "20 mx2.fail.test"),
    ("temp.test", "MX", "10 mx1.temp.test"),
    ("temp.test", "MX", "20 mx2.fail.test"),
    ("dead.test", "MX", "10 mx1.dead.test"),
    ("dead.test", "MX", "20 mx2.fail.test"),
    ("alldead.test", "MX", "10 mx1.dead.test"),
    ("twoaddr.test", "MX", "10 mx.twoaddr.test"),
    ("strict.test", "MX", "10 mx.strict.test"),
    ("nomail.test", "MX", "0 ."),
    ("nomail.test", "A", "127.0.0.3"),  # RFC 7505: a sender must not fall back to this
    ("solo.test", "A", "127.0.0.3"),    # no MX: implicit MX
    ("mx1.dead.test", "A", DEAD),
    ("mx.twoaddr.test", "A", DEAD),
    ("mx.twoaddr.test", "A", "127.0.0.3"),
    *((name, "A", address) for name, address, _, _ in SERVERS),
)

MESSAGE = "From: alice@home.test\r\nTo: {to}\r\nSubject: routing\r\n\r\nHello.\r\n"


def dnsmasq_options() -> list[str]:
    options = ["--local=/test/"]  # answer .test from these records only: NXDOMAIN otherwise
    for name, rdtype, data in WORLD:
        if data == "0 .":
            options.append(f"--dns-rr={name},15,000000")  # null MX: preference 0, root name
        elif rdtype == "MX":
            preference, exchange = data.split()
            options.append(f"--mx-host={name},{exchange},{preference}")
        else:
            options.append(f"--host-record={name},{data}")
    return options


def zone_text() -> str:
    lines = ["$ORIGIN test."]
    for name, rdtype, data in WORLD:
        data = "0 ." if data == "0 ." else (f"{data}." if rdtype == "MX" else data)
        lines.append(f"{name}. IN {rdtype} {data}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def servers(free_port) -> Iterator[tuple[int, dict[str, Server]]]:
    """Every server of SERVERS on its address, all on one port the OS had free."""
    for _ in range(5):  # the port was free on 127.0.0.1; another address may still hold it
        port, running = free_port(), {}
        try:
            for name, address, behaviour, rejects in SERVERS:
                handler = MiniHost(name, (address,), behaviour, set(rejects)).handler
                running[name] = Server(address, port, handler=handler, hostname=name).start()
            break
        except OSError:
            for server in running.values():
                server.stop()
    else:
        pytest.fail("no port was free on every 127.0.0.x address after 5 tries")
    yield port, running
    stopping = [threading.Thread(target=server.stop) for server in running.values()]
    for thread in stopping:  # together: each waits up to 0.2 s for its accept loop
        thread.start()
    for thread in stopping:
        thread.join(10)


@pytest.fixture
def resolver(dnsmasq):
    host, port = dnsmasq(*dnsmasq_options())
    return make_resolver(f"{host}:{port}", timeout=1.0, lifetime=3.0)


def send(resolver, port, *recipients, **options):
    return deliver(MESSAGE.format(to=", ".join(recipients)), resolver=resolver, port=port, seed=0,
                   timeout=5.0, **options)


def servers_talked_to(report) -> list[str]:
    seen: list[str] = []
    for turn in report.transcript.turns:
        if not seen or seen[-1] != turn.server:
            seen.append(turn.server)
    return seen


pytestmark = pytest.mark.peers


# ---------------------------------------------------------------- failover
@pytest.mark.parametrize("domain, first, code", [("fail.test", "mx1.fail.test", 421),
                                                 ("grey.test", "mx1.grey.test", 450),
                                                 ("temp.test", "mx1.temp.test", 451)])
def test_failover_after_a_4xx(servers, resolver, domain, first, code):
    port, running = servers
    report = send(resolver, port, f"bob@{domain}")
    result = report[f"bob@{domain}"]
    assert result.status is Status.DELIVERED and (result.host, result.address) == ("mx2.fail.test", "127.0.0.3")
    assert servers_talked_to(report) == [first, "mx2.fail.test"]
    assert code in [t.reply.code for t in report.transcript.turns if t.server == first]
    (message,) = running["mx2.fail.test"].mailbox
    assert message.rcpt_tos == (f"bob@{domain}",) and message.peer == "127.0.0.1"
    assert len(running[first].mailbox) == 0


def test_failover_after_a_dead_host(servers, resolver):
    port, running = servers
    report = send(resolver, port, "bob@dead.test")
    assert report["bob@dead.test"].host == "mx2.fail.test"
    connects = [e for e in report.transcript.entries if getattr(e, "kind", "") == "connect"]
    assert [(e.target, "connection refused" in e.text) for e in connects] == [("mx1.dead.test", True)]


def test_each_address_of_a_host_in_turn(servers, resolver):
    port, running = servers
    report = send(resolver, port, "bob@twoaddr.test")
    assert report["bob@twoaddr.test"].status is Status.DELIVERED
    assert report["bob@twoaddr.test"].address == "127.0.0.3"
    assert len(running["mx2.fail.test"].mailbox) == 1
    # RFC 5321 §5.1: the addresses in the order DNS gave them, up to the one that answered
    (host,) = report.routes["twoaddr.test"].hosts
    assert set(host.addresses) == {DEAD, "127.0.0.3"}
    before = host.addresses[:host.addresses.index("127.0.0.3")]
    failed = [e.text for e in report.transcript.entries if getattr(e, "kind", "") == "connect"]
    assert [f"[{a}]" in text for a, text in zip(before, failed)] == [True] * len(before) == [True] * len(failed)


def test_every_mx_dead_defers_and_port_25_gets_advice(servers, resolver):
    port, _ = servers
    report = send(resolver, port, "bob@alldead.test")
    assert report.deferred == ["bob@alldead.test"] and report.exit_code == 1
    assert "connection refused" in report["bob@alldead.test"].reason
    assert PORT_25_ADVICE not in report["bob@alldead.test"].reason  # not port 25: no such advice
    literal = deliver(MESSAGE.format(to="x@[127.0.0.9]"), port=25, timeout=2.0)  # no DNS for a literal
    assert PORT_25_ADVICE in literal["x@[127.0.0.9]"].reason


# ---------------------------------------------------------------- bounces
def test_a_5xx_bounces_that_recipient_only(servers, resolver):
    port, running = servers
    report = send(resolver, port, "nobody@strict.test", "carol@strict.test")
    assert report["nobody@strict.test"].status is Status.BOUNCED
    assert report["nobody@strict.test"].reply.code == 550 and report.exit_code == 2
    assert report.delivered == ["carol@strict.test"]
    assert [m.rcpt_tos for m in running["mx.strict.test"].mailbox] == [("carol@strict.test",)]


def test_null_mx_bounces_at_once(servers, resolver):
    port, running = servers
    report = send(resolver, port, "bob@nomail.test")
    assert report.bounced == ["bob@nomail.test"] and report.transcript.turns == []
    assert len(running["mx2.fail.test"].mailbox) == 0  # the domain's A record was not used


def test_no_such_domain_bounces(resolver):
    report = send(resolver, 2525, "bob@nowhere.test")
    assert report.bounced == ["bob@nowhere.test"] and "does not exist" in report["bob@nowhere.test"].reason


def test_dns_unreachable_defers(free_port):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a nameserver that never answers
    silent.bind(("127.0.0.1", 0))
    with silent:
        resolver = make_resolver(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.3, lifetime=0.6)
        report = send(resolver, free_port(), "bob@fail.test")
    assert report.deferred == ["bob@fail.test"] and "temporary" in report["bob@fail.test"].reason


# ---------------------------------------------------------------- several domains
def test_two_domains_in_one_call(servers, resolver):
    port, running = servers
    report = send(resolver, port, "a@fail.test", "b@solo.test", "c@fail.test")
    assert report.ok and report.exit_code == 0
    assert [m.rcpt_tos for m in running["mx2.fail.test"].mailbox] == [("a@fail.test", "c@fail.test"),
                                                                      ("b@solo.test",)]
    dns_notes = [e.text for e in report.transcript.entries if getattr(e, "target", "") == "DNS"]
    assert dns_notes[0].startswith("DNS: MX fail.test? → mx1.fail.test (10), mx2.fail.test (20)")
    assert any("implicit MX solo.test" in text for text in dns_notes)
    assert report.transcript.participants[:2] == ["client.example", "DNS"]


# ---------------------------------------------------------------- the same world, offline
def test_the_mini_internet_gives_the_same_outcomes(servers, resolver):
    port, _ = servers
    recipients = ["a@fail.test", "b@grey.test", "c@dead.test", "nobody@strict.test", "d@nomail.test",
                  "e@solo.test", "f@alldead.test", "g@nowhere.test", "h@temp.test"]
    real = send(resolver, port, *recipients)
    net = MiniInternet(zone_text(), seed=0)
    for name, _, behaviour, rejects in SERVERS:
        net.host(name, behaviour=behaviour, rejects=rejects)
    net.host("mx1.dead.test", behaviour="down")
    offline = net.deliver(MESSAGE.format(to=", ".join(recipients)))

    def outcome(report):
        return [(r.recipient, r.status, r.host, r.reply.code if r.reply else None) for r in report.results]
    assert outcome(offline) == outcome(real)
    assert servers_talked_to(offline) == servers_talked_to(real)
