"""STARTTLS in memory (Pair(tls=...), smtplearn.transports.memory_tls, notebook 11): ssl.MemoryBIO/SSLObject between our
client and our server, checked against the same conversation over real TCP with the same
certificates, plus the attacks the lesson shows (command injection, STRIPTLS, a wrong certificate)."""
from __future__ import annotations

import ssl

import pytest

pytest.importorskip("trustme")

import smtplearn  # noqa: E402
from smtplearn.transports.memory_tls import record_types, strip_starttls  # noqa: E402
from smtplearn.protocol import ServerSession  # noqa: E402
from smtplearn.transports.tls import ClassCertificate  # noqa: E402

USERS = {"alice": "wonderland"}
MESSAGE = "Subject: secret plans\r\n\r\nMeet at noon.\r\n"


@pytest.fixture(scope="module")
def certificate() -> ClassCertificate:
    # one class CA and one server certificate for both transports
    return ClassCertificate(names=("localhost", "127.0.0.1", "mx.example.org"))


def converse(conversation) -> None:  # type: ignore[no-untyped-def]
    conversation.ehlo()
    conversation.login("alice", "wonderland")  # refused before TLS
    conversation.starttls()
    conversation.ehlo()
    conversation.login("alice", "wonderland")
    conversation.send_mail("alice@example.org", ["bob@example.net"], MESSAGE)
    conversation.quit()


def steps(transcript) -> list[tuple[str, int, str | None]]:  # type: ignore[no-untyped-def]
    return [(t.command.verb.value if t.command else "(end of data)" if t.sent else "(greeting)",
             t.reply.code, t.reply.enhanced) for t in transcript.turns]


def test_memory_tls_matches_tls_over_tcp(certificate):
    """The same conversation, same certificates: in memory and over TCP the commands, replies and
    the agreed TLS version and cipher are the same."""
    pair = smtplearn.Pair(hostname="mx.example.org", tls=certificate, users=USERS)
    converse(pair)
    server = smtplearn.Server(hostname="mx.example.org", certificate=certificate, users=USERS).start()
    try:
        with smtplearn.Client(*server.address, tls_context=certificate.client_context()) as client:
            converse(client)
    finally:
        server.stop()
    assert steps(pair.transcript) == steps(client.transcript)
    assert [t.reply.code for t in pair.transcript.turns][:4] == [220, 250, 538, 220]
    agreed = [n.text for n in pair.transcript.entries if getattr(n, "kind", "") == "tls"][-1]
    tcp_agreed = [n.text for n in client.transcript.entries if getattr(n, "kind", "") == "tls"][-1]
    assert tcp_agreed.split(":", 1)[1].strip() in agreed  # "TLSv1.3, TLS_AES_256_GCM_SHA384"
    assert len(pair.mailbox) == len(server.mailbox) == 1


def test_the_wire_carries_ciphertext_only(certificate):
    pair = smtplearn.Pair(hostname="mx.example.org", tls=certificate, users=USERS)
    converse(pair)
    protected = [r for r in pair.wire.records if r.stage == "protected"]
    assert protected and all(record_types(r.ciphertext) and set(record_types(r.ciphertext)) == {"encrypted"}
                             for r in protected)
    on_the_wire = b"".join(r.ciphertext for r in pair.wire.records)
    inside = b"".join(r.plaintext for r in protected)
    for secret in (b"secret plans", b"AGFsaWNlAHdvbmRlcmxhbmQ=", b"bob@example.net"):
        assert secret in inside and secret not in on_the_wire
    assert record_types(pair.wire.records[0].ciphertext) == ["ClientHello"]


def test_after_starttls_the_session_starts_over(certificate):
    """RFC 3207 §4.2: "Upon completion of the TLS handshake, the SMTP protocol is reset to the
    initial state" and "A server MUST NOT return the STARTTLS extension in response to an EHLO
    command received after a TLS handshake has completed"."""
    pair = smtplearn.Pair(hostname="mx.example.org", tls=certificate, users=USERS)
    pair.ehlo()
    assert "STARTTLS" in pair.extensions and "AUTH" not in pair.extensions
    assert pair.starttls().code == 220
    assert pair.mail("alice@example.org").code == 503  # no EHLO since the reset
    pair.ehlo()
    assert "STARTTLS" not in pair.extensions and pair.extensions["AUTH"] == "PLAIN LOGIN"


def test_auth_before_tls_gets_538(certificate):
    """RFC 4954 §6: 538 "indicates that the selected authentication mechanism may only be used
    when the underlying SMTP connection is encrypted"."""
    pair = smtplearn.Pair(hostname="mx.example.org", tls=certificate, users=USERS)
    pair.ehlo()
    answer = pair.login("alice", "wonderland")
    assert (answer.code, answer.enhanced) == (538, "5.7.11")


def test_commands_buffered_with_starttls_are_discarded():
    """RFC 3207 §4.2: "The server MUST discard any knowledge obtained from the client ... which
    was not obtained from the TLS negotiation itself" -- bytes sent in clear after STARTTLS."""
    server = ServerSession(hostname="mx.example.org", tls_available=True)
    server.start()
    server.receive_data(b"EHLO client.example\r\n")
    server.data_to_send()
    server.receive_data(b"STARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\n")
    assert server.data_to_send() == b"220 2.0.0 Ready to start TLS\r\n"  # one reply, not two
    assert server.discarded_before_tls == len(b"MAIL FROM:<evil@attacker.example>\r\n")


def test_striptls_leaves_the_client_in_clear_text(certificate):
    """RFC 3207 §6: "A man-in-the-middle attack can be launched by deleting the '250 STARTTLS'
    response from the server. This would cause the client not to try to start a TLS session."."""
    pair = smtplearn.Pair(hostname="mx.example.org", tls=certificate, on_path=strip_starttls)
    pair.ehlo()
    assert "STARTTLS" not in pair.extensions and "ENHANCEDSTATUSCODES" in pair.extensions
    assert str(pair.transcript.turns[-1].reply).splitlines()[-1] == "250 HELP"  # still a well-formed reply
    pair.send_mail("alice@example.org", ["bob@example.net"], MESSAGE)
    assert len(pair.wire) == 0 and len(pair.mailbox) == 1


def test_strip_starttls_keeps_other_lines():
    reply = b"250-mx.example.org\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
    assert strip_starttls(reply) == b"250-mx.example.org\r\n250 PIPELINING\r\n"
    assert strip_starttls(b"250-a\r\n250-STARTTLS\r\n250 HELP\r\n") == b"250-a\r\n250 HELP\r\n"


def test_a_certificate_from_another_ca_fails_verification(certificate):
    stranger = ClassCertificate(names=("mx.example.org",))  # a CA the client does not trust
    pair = smtplearn.Pair(hostname="mx.example.org", tls=stranger, client_context=certificate.client_context())
    pair.ehlo()
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        pair.starttls()
    assert any("TLS handshake" in getattr(e, "text", "") for e in pair.transcript.entries)


def test_a_certificate_for_another_name_fails_verification(certificate):
    pair = smtplearn.Pair(hostname="mx.other.example", tls=certificate)
    pair.ehlo()
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch|doesn't match"):
        pair.starttls()


def test_pair_tls_true_makes_its_own_class_certificate():
    pair = smtplearn.Pair(hostname="mx.school.test", tls=True)
    pair.ehlo()
    pair.starttls()
    assert pair.tls.link.client.getpeercert()["subjectAltName"] == (("DNS", "mx.school.test"),)


def test_a_pair_without_tls_offers_no_starttls():
    pair = smtplearn.Pair()
    pair.ehlo()
    assert "STARTTLS" not in pair.extensions and pair.starttls().code == 502 and len(pair.wire) == 0
