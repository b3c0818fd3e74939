# deliver() and the socket client held to RFC 5321 and its extensions (issue 10, items 17-25;
# issue 11 item 9): real smtplearn.Servers and aiosmtpd, scripted servers on 127.0.0.1 for what no
# correct server does (tests/fake_smtp.py), and the mini-Internet. DNS is a ZoneResolver (no
# network); a connector sends each MX name to its server's port on 127.0.0.1.
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from fake_smtp import FakePeer, FakeServer
from smtplearn import Server
from smtplearn.conversation import FinalReplyTimeout, SMTPTimeoutError
from smtplearn.delivery import Status, deliver
from smtplearn.delivery.connectors import TCPConnector
from smtplearn.mini_internet import MiniInternet
from smtplearn.mx import ZoneResolver
from smtplearn.mx.names import domain_of
from smtplearn.protocol import Handler, RemoteProtocolError
from smtplearn.protocol.catalogue import explain
from smtplearn.protocol.client import UnexpectedReplyError
from smtplearn.transports.client import DATA_BLOCK_TIMEOUT, RFC_TIMEOUTS, Client
from wire import wait_for

pytestmark = pytest.mark.peers

MESSAGE = "From: alice@home.test\r\nTo: {to}\r\nSubject: routing\r\n\r\nHello.\r\n"
TWO_MX = """$ORIGIN test.
two.test. IN MX 10 mx1.two.test.
two.test. IN MX 20 mx2.two.test.
one.test. IN MX 10 mx1.two.test.
mx1.two.test. IN A 192.0.2.1
mx2.two.test. IN A 192.0.2.2
"""


def to_ports(ports: dict[str, int]) -> Callable[..., Client]:
    """A connector: real TCP, each MX name to its server's port on 127.0.0.1."""
    tcp = TCPConnector()

    def connect(host: str, address: str, port: int, *, local_hostname: str, timeout: float | None) -> Client:
        return tcp(host, "127.0.0.1", ports[host], local_hostname=local_hostname, timeout=timeout)
    return connect


def send_two(ports: dict[str, int], to: str = "bob@two.test", **options) -> object:
    return deliver(MESSAGE.format(to=to), resolver=ZoneResolver(TWO_MX), connector=to_ports(ports), seed=0,
                   **options)


class Slow(Handler):
    """A server that is slow at one step, and counts the connections it gets."""

    def __init__(self, at: str, delay: float) -> None:
        self.at, self.delay, self.connections = at, delay, 0

    def on_connect(self, session):  # type: ignore[no-untyped-def]
        self.connections += 1
        return None

    def on_rcpt(self, session, address, params):  # type: ignore[no-untyped-def]
        if self.at == "rcpt":
            time.sleep(self.delay)
        return None

    def on_message(self, session, message):  # type: ignore[no-untyped-def]
        if self.at == "end":
            time.sleep(self.delay)
        return None


@pytest.fixture
def two_servers() -> Iterator[Callable[..., tuple[Server, Server, Slow, Slow]]]:
    running: list[Server] = []

    def start(at: str, delay: float) -> tuple[Server, Server, Slow, Slow]:
        first, second = Slow(at, delay), Slow(at, delay)
        for handler, name in ((first, "mx1.two.test"), (second, "mx2.two.test")):
            running.append(Server("127.0.0.1", 0, handler=handler, hostname=name).start())
        return running[0], running[1], first, second
    yield start
    for server in running:
        server.stop()


# ---------------------------------------------------------------- item 17: timeouts at the end of data
def test_a_timeout_after_the_final_dot_is_outcome_unknown_never_a_second_copy(two_servers):
    """RFC 5321 §4.5.3.2.6: "A spurious timeout at this point would be very wasteful and would
    typically result in delivery of multiple copies of the message, since it has been successfully
    sent and the server has accepted responsibility for delivery." Two MXes, each 2 s at the final
    dot, a 1 s timeout: one copy, "outcome unknown", no next MX, no retry."""
    mx1, mx2, first, second = two_servers("end", 2.0)
    report = send_two({"mx1.two.test": mx1.address[1], "mx2.two.test": mx2.address[1]}, timeout=1.0)
    result = report["bob@two.test"]
    assert result.status is Status.UNKNOWN and result.host == "mx1.two.test"
    assert "outcome unknown" in result.reason and "outcome unknown" in report.summary()
    assert report.exit_code == 3 and report.deferred == [] and report.unknown == ["bob@two.test"]
    assert wait_for(lambda: len(mx1.mailbox) == 1, 10)  # the slow server did take it
    time.sleep(0.5)
    assert (len(mx1.mailbox), len(mx2.mailbox), second.connections) == (1, 0, 0)  # exactly one copy
    with pytest.raises(ValueError, match="outcome unknown: 1, never retried"):
        report.retry()


def test_a_timeout_before_the_final_dot_moves_on(two_servers):
    """RFC 5321 §5.1: the sender tries the next address when one fails; before the final dot the
    server has no message, so no copy can be doubled."""
    mx1, mx2, first, second = two_servers("rcpt", 2.0)
    second.delay = 0.0
    report = send_two({"mx1.two.test": mx1.address[1], "mx2.two.test": mx2.address[1]}, timeout=1.0)
    assert report["bob@two.test"].status is Status.DELIVERED and report["bob@two.test"].host == "mx2.two.test"
    assert (len(mx1.mailbox), len(mx2.mailbox)) == (0, 1)


def test_the_default_timeouts_are_the_rfcs():
    """RFC 5321 §4.5.3.2: "MAIL Command: 5 Minutes", "RCPT Command: 5 Minutes", "DATA Initiation:
    2 Minutes", "Data Block: 3 Minutes", "DATA Termination: 10 Minutes." deliver() passes no
    timeout of its own, so the client uses these."""
    seen: list[float | None] = []

    def spy(host, address, port, *, local_hostname, timeout):  # type: ignore[no-untyped-def]
        seen.append(timeout)
        raise ConnectionRefusedError(111, "nobody")
    deliver(MESSAGE.format(to="bob@two.test"), resolver=ZoneResolver(TWO_MX), connector=spy, seed=0)
    assert seen == [None, None]
    from smtplearn.protocol import Signal, Verb
    assert (RFC_TIMEOUTS[Verb.MAIL], RFC_TIMEOUTS[Verb.RCPT], RFC_TIMEOUTS[Verb.DATA],
            DATA_BLOCK_TIMEOUT, RFC_TIMEOUTS[Signal.END_OF_DATA]) == (300, 300, 120, 180, 600)


# ---------------------------------------------------------------- item 21: data blocks
class Recording(Client):
    """Notes the socket's deadline for each block of the message text."""

    def _send_data_block(self, block: bytes) -> None:
        super()._send_data_block(block)
        self.waits = getattr(self, "waits", []) + [(len(block), self.sock.gettimeout())]


def test_each_block_of_the_message_has_the_data_block_timeout():
    """RFC 5321 §4.5.3.2.5: "Data Block: 3 Minutes. This is while awaiting the completion of each
    TCP SEND call transmitting a chunk of data." (not DATA initiation's 2 minutes)"""
    with FakeServer(lambda peer: (peer.send(b"220 fake.test\r\n"), peer.answer({b"DATA": b"354 go\r\n"}))) as fake:
        with Recording("127.0.0.1", fake.port) as client:
            client.ehlo()
            reply = client.send_mail("a@example.org", "b@example.org", b"x" * 70 + b"\r\n" * 1 + b"y\r\n" * 50_000)
            assert reply.code == 250
    assert [wait for _, wait in client.waits] == [DATA_BLOCK_TIMEOUT] * 3 and sum(n for n, _ in client.waits) > 128 * 1024


def test_a_server_that_stops_reading_the_message_times_out_before_the_final_dot():
    """RFC 5321 §4.5.3.2.5 (each send of a chunk is bounded); the final dot never went out, so
    this timeout is not the "outcome unknown" one of §4.5.3.2.6."""
    def stalls(peer: FakePeer) -> None:
        peer.send(b"220 fake.test\r\n")
        for reply in (b"250 ok\r\n", b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"):
            peer.line()
            peer.send(reply)
        time.sleep(3)  # reads nothing more
    with FakeServer(stalls) as fake:
        client = Client("127.0.0.1", fake.port, timeout=0.5)
        client.ehlo()
        client.mail("a@example.org")
        client.rcpt("b@example.org")
        with pytest.raises(SMTPTimeoutError, match="took no more of the message") as caught:
            client.data(b"z" * 998 + b"\r\n" * 1 + (b"z" * 998 + b"\r\n") * 40_000)
        client.close()
    assert not caught.value.after_final_dot and not isinstance(caught.value, FinalReplyTimeout)


# ---------------------------------------------------------------- item 18: SMTPUTF8 and 8BITMIME
def plain_server() -> FakeServer:
    """An SMTP server from before the extensions: EHLO lists nothing."""
    return FakeServer(lambda peer: (peer.send(b"220 old.test\r\n"),
                                    peer.answer({b"EHLO": b"250 old.test\r\n", b"DATA": b"354 go\r\n",
                                                 b"QUIT": b"221 bye\r\n"})))


def test_unicode_domains_go_out_as_a_labels():
    """RFC 6531 §3.2: if SMTPUTF8 is not offered the client "MUST NOT transmit an internationalized
    email address" -- "the internationalized domain name in A-label form ... is not considered to be
    'internationalized'"; RFC 5321 §2.4: commands are ASCII."""
    with plain_server() as fake:
        report = deliver("Subject: hi\r\n\r\nhi\r\n", sender="alice@exämple.org", recipients="bob@Bücher.example",
                         relay=("127.0.0.1", fake.port))
    assert report.ok, report.summary()
    assert b"From: <alice@xn--exmple-cua.org>" in fake.lines  # the added header field is ASCII too
    assert b"MAIL FROM:<alice@xn--exmple-cua.org>" in fake.lines
    assert b"RCPT TO:<bob@xn--bcher-kva.example>" in fake.lines
    assert all(line.isascii() for line in fake.lines)


@pytest.mark.parametrize("message, sender, needs", [
    ("To: jörg@bücher.example\r\n\r\nhi\r\n", "alice@home.test", "SMTPUTF8"),          # address
    ("To: bob@home.test\r\nSubject: Grüße\r\n\r\nhi\r\n", "alice@home.test", "SMTPUTF8"),  # header
    ("To: bob@home.test\r\nSubject: hi\r\n\r\nGrüße\r\n", "alice@home.test", "8BITMIME"),  # body
])
def test_what_an_old_server_cannot_take_bounces_unsent(message, sender, needs):
    """RFC 6531 §3.2: "the SMTPUTF8-aware SMTP client MUST NOT transmit an internationalized email
    address and MUST NOT transmit a mail message containing internationalized mail headers"; RFC 5321
    §2.4: a client that has not negotiated 8BITMIME "MUST NOT transmit messages with information in
    the high-order bit of octets"."""
    with plain_server() as fake:
        report = deliver(message, sender=sender, relay=("127.0.0.1", fake.port))
    (result,) = report.results
    assert result.status is Status.BOUNCED and needs in result.reason
    assert ("RFC 6531 §3.2" if needs == "SMTPUTF8" else "RFC 5321 §2.4") in result.reason
    assert [line.split(b" ")[0] for line in fake.lines] == [b"EHLO", b"QUIT"]  # no MAIL, nothing sent


class Keeper:
    """An aiosmtpd handler that keeps each envelope's MAIL options and content."""

    def __init__(self) -> None:
        self.got: list[tuple[str, list[str], list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.got.append((envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options),
                         envelope.original_content))
        return "250 2.0.0 kept"


@pytest.fixture(params=[True, False], ids=["smtputf8", "no-smtputf8"])
def aiosmtpd_server(request, free_port):  # type: ignore[no-untyped-def]
    controller_module = pytest.importorskip("aiosmtpd.controller")
    keeper = Keeper()
    for _ in range(3):
        port = free_port()
        controller = controller_module.Controller(keeper, hostname="127.0.0.1", port=port,
                                                  server_hostname="aiosmtpd.test", ready_timeout=10,
                                                  enable_SMTPUTF8=request.param)
        try:
            controller.start()
            break
        except (OSError, TimeoutError, RuntimeError):
            continue
    else:
        pytest.fail("aiosmtpd did not start")
    yield port, keeper, request.param
    controller.stop()


def test_the_parameters_aiosmtpd_gets(aiosmtpd_server):
    """RFC 6531 §3.4: "If the envelope or message being sent requires the capabilities of the
    SMTPUTF8 extension, the SMTPUTF8-aware SMTP client MUST supply the SMTPUTF8 parameter"; RFC 6152
    §3: BODY=8BITMIME is for "a MIME message containing arbitrary lines of octet-aligned material"."""
    port, keeper, smtputf8 = aiosmtpd_server
    relay = ("127.0.0.1", port)
    header = deliver("To: bob@home.test\r\nSubject: Grüße\r\n\r\nhello\r\n", sender="alice@home.test", relay=relay)
    body = deliver("To: bob@home.test\r\nSubject: hi\r\n\r\nGrüße\r\n", sender="alice@home.test", relay=relay)
    plain = deliver("To: bob@home.test\r\nSubject: hi\r\n\r\nhello\r\n", sender="alice@home.test", relay=relay)
    assert body.ok and plain.ok and header.ok is smtputf8
    options = [[o for o in opts if not o.startswith("SIZE=")] for _, _, opts, _ in keeper.got]
    if smtputf8:  # UTF-8 header only: SMTPUTF8 without BODY; 8-bit body only: BODY without SMTPUTF8
        assert options == [["SMTPUTF8"], ["BODY=8BITMIME"], []]
    else:
        assert "SMTPUTF8" in header["bob@home.test"].reason and header.bounced == ["bob@home.test"]
        assert options == [["BODY=8BITMIME"], []]
    assert "Grüße".encode() in keeper.got[-2][3]


# ---------------------------------------------------------------- item 19: a 5xx greeting
def greets_554(peer: FakePeer) -> None:
    peer.send(b"554 5.3.2 not for you\r\n")
    # RFC 5321 §3.1: the server "MUST still wait for the client to send a QUIT (see Section
    # 4.1.1.10) before closing the connection"
    peer.answer({b"QUIT": b"221 2.0.0 bye\r\n"}, default=b"503 5.5.1 only QUIT now\r\n")


def test_a_5xx_greeting_gets_quit_and_the_next_mx(two_servers):
    """RFC 5321 §5.1: "the SMTP client MUST be able to try (and retry) each of the relevant addresses
    in this list in order, until a delivery attempt succeeds"; §3.1: after a 554 greeting the server
    "MUST still wait for the client to send a QUIT", so the client says it."""
    _, mx2, _, _ = two_servers("none", 0)
    with FakeServer(greets_554) as fake:
        report = send_two({"mx1.two.test": fake.port, "mx2.two.test": mx2.address[1]}, timeout=5.0)
        assert wait_for(lambda: fake.lines == [b"QUIT"], 5)
    assert report["bob@two.test"].status is Status.DELIVERED and report["bob@two.test"].host == "mx2.two.test"
    assert len(mx2.mailbox) == 1


def test_a_5xx_greeting_from_the_only_mx_bounces():
    """RFC 5321 §4.2.1: 5yz is a permanent negative reply; with no other MX the message bounces."""
    with FakeServer(greets_554) as fake:
        report = deliver(MESSAGE.format(to="bob@one.test"), resolver=ZoneResolver(TWO_MX),
                         connector=to_ports({"mx1.two.test": fake.port}), timeout=5.0)
        assert wait_for(lambda: fake.lines == [b"QUIT"], 5)
    result = report["bob@one.test"]
    assert result.status is Status.BOUNCED and result.reply.code == 554
    assert "no other MX address took the message" in result.reason


# ---------------------------------------------------------------- item 20 and issue 11 item 9
@pytest.mark.parametrize("code", [b"000", b"199", b"600"])
def test_a_reply_code_outside_200_599_fails_the_session_not_the_program(two_servers, code):
    """RFC 5321 §4.2: "Clients that receive such out-of-range codes SHOULD normally treat them as
    fatal errors and terminate the mail transaction." The next MX is tried."""
    _, mx2, _, _ = two_servers("none", 0)
    with FakeServer(lambda peer: (peer.send(b"220 odd.test\r\n"), peer.line(), peer.send(code + b" what\r\n"),
                                  peer.line())) as fake:
        report = send_two({"mx1.two.test": fake.port, "mx2.two.test": mx2.address[1]}, timeout=5.0)
    assert report["bob@two.test"].host == "mx2.two.test" and report.ok
    assert f"reply code {code.decode()}" in report.transcript.text()  # the note says why mx1 was left


def test_an_endless_reply_is_cut_off_at_1_mib():
    """RFC 5321 §4.2.1: the last line of a reply has a space after the code; a server that never
    sends one must not fill the client's memory (issue 11 item 9: 3.7 GB before)."""
    def endless(peer: FakePeer) -> None:
        peer.send(b"220 fake.test\r\n")
        peer.line()
        line = b"250-" + b"x" * 96 + b"\r\n"
        for _ in range(40_000):  # 4 MB at most, then the test's bound
            peer.send(line * 10)
    with FakeServer(endless) as fake, Client("127.0.0.1", fake.port, timeout=5.0) as client:
        with pytest.raises(RemoteProtocolError, match="without its last line .* 1048576 octets"):
            client.ehlo()


def test_354_to_mail_is_an_error_not_a_success():
    """RFC 5321 §4.3.2: MAIL's success is "S: 250"; only DATA earns "I: 354". A server that
    answers 354 to MAIL is broken, and send_mail must not return it as positive."""
    with FakeServer(lambda peer: (peer.send(b"220 fake.test\r\n"),
                                  peer.answer({b"MAIL": b"354 go ahead\r\n"}))) as fake:
        with Client("127.0.0.1", fake.port, timeout=5.0) as client:
            client.ehlo()
            with pytest.raises(UnexpectedReplyError, match="answered 354 to MAIL"):
                client.send_mail("a@example.org", "b@example.org", "Subject: x\r\n\r\nhi\r\n")
            assert client.transcript.turns[-1].reply.code == 354  # shown, not hidden
    assert not any(line.startswith(b"RCPT") for line in fake.lines)


def test_250_to_data_is_never_reported_as_accepted(two_servers):
    """RFC 5321 §4.3.2: "DATA ... I: 354 -> data -> S: 250": a 250 to DATA itself cannot mean the
    message was accepted (none was sent). data() raises; deliver() tries the next MX."""
    with FakeServer(lambda peer: (peer.send(b"220 fake.test\r\n"),
                                  peer.answer({b"DATA": b"250 2.0.0 sure\r\n", b"QUIT": b"221 bye\r\n"}))) as fake:
        with Client("127.0.0.1", fake.port, timeout=5.0) as client:
            client.ehlo()
            client.mail("a@example.org")
            client.rcpt("b@example.org")
            with pytest.raises(UnexpectedReplyError, match="DATA's only positive reply is 354"):
                client.data("Subject: x\r\n\r\nhi\r\n")
        _, mx2, _, _ = two_servers("none", 0)
        report = send_two({"mx1.two.test": fake.port, "mx2.two.test": mx2.address[1]}, timeout=5.0)
    assert report["bob@two.test"].host == "mx2.two.test" and len(mx2.mailbox) == 1


# ---------------------------------------------------------------- 552 for too many recipients (RFC review)
def recipient_limit(second_rcpt: bytes) -> Callable[[FakePeer], None]:
    """A server that takes one recipient per transaction and refuses the next with ``second_rcpt``."""
    def script(peer: FakePeer) -> None:
        peer.send(b"220 old.test ESMTP\r\n")
        rcpts = 0
        while line := peer.line():
            verb = line.split(b" ")[0].split(b":")[0].upper()
            if verb == b"RCPT":
                rcpts += 1
                peer.send(b"250 2.1.5 ok\r\n" if rcpts == 1 else second_rcpt)
            elif verb == b"DATA":
                peer.send(b"354 go ahead\r\n")
                peer.message()
                peer.send(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                peer.send(b"221 bye\r\n")
                return
            else:
                peer.send(b"250 old.test\r\n" if verb in (b"EHLO", b"HELO") else b"250 2.0.0 ok\r\n")
    return script


def test_552_too_many_recipients_is_treated_as_temporary():
    """RFC 5321 §4.5.3.1.10: "RFC 821 [1] incorrectly listed the error where an SMTP server exhausts
    its implementation limit on the number of RCPT commands ("too many recipients") as having reply
    code 552. [...] Clients SHOULD treat a 552 code in this case as a temporary, rather than
    permanent, failure". RFC 3463 X.5.3 names the case: "Too many recipients"."""
    two = "bob@one.test, carol@one.test"
    with FakeServer(recipient_limit(b"552 5.5.3 Too many recipients\r\n")) as fake:
        report = deliver(MESSAGE.format(to=two), resolver=ZoneResolver(TWO_MX),
                         connector=to_ports({"mx1.two.test": fake.port}), timeout=5.0)
    assert report["bob@one.test"].status is Status.DELIVERED
    carol = report["carol@one.test"]
    assert carol.status is Status.DEFERRED and carol.reply.code == 552 and "§4.5.3.1.10" in carol.reason
    # a 552 that is not about the number of recipients (here a full mailbox, X.2.2) still bounces
    with FakeServer(recipient_limit(b"552 5.2.2 Mailbox full\r\n")) as fake:
        report = deliver(MESSAGE.format(to=two), resolver=ZoneResolver(TWO_MX),
                         connector=to_ports({"mx1.two.test": fake.port}), timeout=5.0)
    assert report["carol@one.test"].status is Status.BOUNCED


# ---------------------------------------------------------------- items 23-25 and RFC 5322 §3.6
def test_a_bounce_to_the_null_reverse_path_notifies_nobody():
    """RFC 5321 §6.1: "if this address is null ("<>"), the receiver-SMTP MUST NOT send a notification"."""
    net = MiniInternet.classroom()
    nobody = net.deliver(MESSAGE.format(to="nobody@post.test"), sender="")
    assert nobody.bounced == ["nobody@post.test"]
    assert "no non-delivery report is sent" in nobody["nobody@post.test"].reason
    assert "no non-delivery report is sent" in nobody.summary() and "reverse-path <" not in nobody.summary()
    alice = net.deliver(MESSAGE.format(to="nobody@post.test"))
    assert "goes to the reverse-path <alice@home.test>" in alice["nobody@post.test"].reason


def test_domains_with_the_same_mx_share_one_transaction():
    """RFC 5321 §4.5.4.1: "When a mail message is to be delivered to multiple recipients, and the SMTP
    server to which a copy of the message is to be sent is the same for multiple recipients, then
    only one copy of the message SHOULD be transmitted." bücher.example is xn--bcher-kva.example."""
    net = MiniInternet()
    net.add_domain("a.test", mx=["mx.shared.test"]).add_domain("b.test", mx=["mx.shared.test"])
    net.add_domain("xn--bcher-kva.example", mx=["mx.shared.test"])
    report = net.deliver("From: alice@home.test\r\nTo: x@a.test, y@b.test, z@bücher.example, "
                         "w@XN--BCHER-KVA.example\r\n\r\nhi\r\n")
    assert report.ok, report.summary()
    (message,) = net.mailbox("mx.shared.test")
    assert message.rcpt_tos == ("x@a.test", "y@b.test", "z@xn--bcher-kva.example", "w@xn--bcher-kva.example")
    assert net.host("mx.shared.test").connections == 1
    assert sorted(report.routes) == ["a.test", "b.test", "xn--bcher-kva.example"]  # one lookup each


def test_null_mx_bounces_with_556_5_1_10():
    """RFC 7505 §4: a sender fails mail to a null-MX domain at once, with reply code 556 and
    enhanced status 5.1.10 ("Recipient address has null MX")."""
    report = MiniInternet.classroom().deliver(MESSAGE.format(to="bob@nomail.test"))
    result = report["bob@nomail.test"]
    assert result.status is Status.BOUNCED and (result.reply.code, result.reply.enhanced) == (556, "5.1.10")
    assert "RFC 7505 §4" in result.reason and report.transcript.turns == []
    assert "null MX" in explain(556) and "null MX" in result.reply.explanation


def test_date_and_from_are_added_when_missing():
    """RFC 5322 §3.6: "The only required header fields are the origination date field and the
    originator address field(s)." """
    net = MiniInternet.classroom()
    net.deliver("To: bob@solo.test\r\nSubject: bare\r\n\r\nhi\r\n", sender="alice@home.test")
    net.deliver("Date: Mon, 2 Nov 2026 10:00:00 +0100\r\nFrom: Al <alice@home.test>\r\nTo: bob@solo.test\r\n"
                "\r\nhi\r\n")
    bare, dressed = (m.content for m in net.mailbox("solo.test"))
    assert bare.startswith(b"Date: ") and b"\r\nFrom: <alice@home.test>\r\n" in bare
    assert dressed.count(b"Date:") == 1 and dressed.count(b"From:") == 1


@pytest.mark.parametrize("address, domain", [
    ("bob@Example.ORG.", "example.org"), ("bob@bücher.example", "xn--bcher-kva.example"),
    ("bob@xn--bcher-kva.example", "xn--bcher-kva.example"), ("a@b@[192.0.2.1]", "[192.0.2.1]"),
    ("postmaster", ""), ("@example.org", ""),
])
def test_domain_of(address, domain):
    """RFC 5321 §2.4: "Mailbox domains follow normal DNS rules and are hence not case sensitive";
    RFC 6531 §3.2: a domain name "MUST conform to and be processed as specified for" IDNA."""
    assert domain_of(address) == domain


def test_send_exits_3_when_the_outcome_is_unknown(capsys):
    """RFC 5321 §4.5.3.2.6: after the final dot "the server has accepted responsibility for delivery"
    may already be true when the reply is late: `send` says "outcome unknown" and exits 3."""
    import argparse

    from smtplearn.commands import send as send_command

    def late(peer: FakePeer) -> None:
        peer.send(b"220 late.test\r\n")
        for verb in (b"EHLO", b"MAIL", b"RCPT"):
            assert peer.line().startswith(verb)
            peer.send(b"250 ok\r\n")
        assert peer.line() == b"DATA"
        peer.send(b"354 go\r\n")
        peer.message()
        time.sleep(2)  # the reply to the final dot comes after the client's 1 s
        peer.send(b"250 2.0.0 queued\r\n")
    parser = argparse.ArgumentParser(prog="smtplearn send")
    send_command.add_arguments(parser)
    with FakeServer(late) as fake:
        status = send_command.run(parser.parse_args(["--from", "a@example.org", "--to", "b@example.org",
                                                     "--server", f"127.0.0.1:{fake.port}", "--timeout", "1"]))
    out = capsys.readouterr().out
    assert status == 3 and "1 outcome unknown" in out and "b@example.org: outcome unknown" in out
