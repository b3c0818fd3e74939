"""SPF, DKIM and DMARC in the mini-Internet (notebook 14): pyspf, dkimpy and authheaders fed the
mini-Internet's zones; signatures made by the mini-Internet verified by dkimpy.

(OpenDKIM's opendkim-testmsg from Debian 12's opendkim-tools 2.11.0~beta2 was tried as a second
verifier: it answers "dkim_chunk(): Syntax error" to every message, signed or not, CRLF or LF, so
it cannot serve as a peer here.)"""
from __future__ import annotations

import pytest

pytest.importorskip("dkim")
pytest.importorskip("spf")
pytest.importorskip("authheaders")

from smtplearn.authentication import DKIMKey, authenticate, check_spf, verify_dkim  # noqa: E402
from smtplearn.mini_internet import MiniInternet  # noqa: E402
from smtplearn.mini_internet.roles import MailSystem  # noqa: E402

MESSAGE = (b"From: Alice <alice@home.test>\r\nTo: bob@school.test\r\nSubject: Lunch\r\n"
           b"Message-ID: <1@home.test>\r\n\r\nMeet at noon.\r\n")
FORGER = "203.0.113.66"


@pytest.fixture(scope="module")
def key() -> DKIMKey:
    return DKIMKey.generate("home.test")


@pytest.fixture
def net(key) -> MiniInternet:
    net = MiniInternet()
    net.add_domain("home.test", mx=[("mx.home.test", 10)])
    net.add_host("out.home.test")
    net.add_record("home.test", "TXT", '"v=spf1 a:out.home.test -all"')
    net.add_record("news.test", "TXT", '"v=spf1 ip4:192.0.2.99 ~all"')
    net.add_record("school.test", "A", "192.0.2.50")  # exists, publishes no SPF
    net.add_record(key.record_name, "TXT", key.zone_rdata)
    net.add_record("_dmarc.home.test", "TXT", '"v=DMARC1; p=reject"')
    net.add_record("_dmarc.news.test", "TXT", '"v=DMARC1; p=none"')
    net.break_dns("broken.test")
    return net


def relay_address(net: MiniInternet) -> str:
    return net.host("out.home.test").addresses[0]


# ---------------------------------------------------------------- SPF (RFC 7208)
def test_spf_pass_for_the_listed_host(net):
    """RFC 7208 §2.6.3: "A 'pass' result is an explicit statement that the client is authorized
    to inject mail with the given identity."."""
    assert check_spf(relay_address(net), "alice@home.test", "out.home.test", net.resolver).result == "pass"


def test_spf_fail_for_anyone_else_under_minus_all(net):
    """RFC 7208 §2.6.4: "A 'fail' result is an explicit statement that the client is not
    authorized to use the domain in the given identity."."""
    assert check_spf(FORGER, "alice@home.test", "forger.example", net.resolver).result == "fail"


def test_spf_softfail_under_tilde_all(net):
    """RFC 7208 §2.6.5: "A 'softfail' result is a weak statement by the publishing ADMD that the
    host is probably not authorized."."""
    assert check_spf(FORGER, "x@news.test", "forger.example", net.resolver).result == "softfail"


def test_spf_none_without_a_record(net):
    """RFC 7208 §2.6.1: "none" when "no SPF records were retrieved from the DNS"."""
    assert check_spf(FORGER, "x@school.test", "forger.example", net.resolver).result == "none"


def test_spf_temperror_when_dns_fails(net):
    """RFC 7208 §2.6.6: "A 'temperror' result means the SPF verifier encountered a transient
    (generally DNS) error while performing the check."."""
    assert check_spf(FORGER, "x@broken.test", "forger.example", net.resolver).result == "temperror"


def test_spf_checks_the_helo_name_for_a_null_sender(net):
    """RFC 7208 §2.4: "When the reverse-path is null, this document defines the 'MAIL FROM'
    identity to be the mailbox composed of the local-part 'postmaster' and the 'HELO' identity"."""
    assert check_spf(relay_address(net), "", "home.test", net.resolver).result == "pass"
    assert check_spf(FORGER, "", "home.test", net.resolver).result == "fail"


# ---------------------------------------------------------------- DKIM (RFC 6376)
def test_key_record_is_published_in_strings_of_at_most_255_octets(key, net):
    """RFC 6376 §3.3.3: "Signers MUST use RSA keys of at least 1024 bits for long-lived keys"."""
    import dns.resolver
    answer = net.resolver.resolve(key.record_name, "TXT")
    strings = list(answer)[0].strings
    assert all(len(s) <= 255 for s in strings) and b"".join(strings).decode() == key.record
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    assert load_der_public_key(key.public_der).key_size >= 1024
    assert dns.resolver  # the lookup went through dnspython's own resolver code


def test_signature_verifies_with_dkimpy_directly(key):
    """Independent of our DNS adapter: dkimpy fetches the key record from a plain function."""
    import dkim
    signed = key.sign(MESSAGE)
    record = key.record.encode()
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: record if name == b"mini._domainkey.home.test." else None)


def test_the_from_field_is_signed(key):
    """RFC 6376 §5.4: "The From header field MUST be signed (that is, included in the 'h=' tag"."""
    import dkim
    signed = key.sign(MESSAGE)
    fields = dkim.util.parse_tag_value(signed.split(b"\r\nFrom:")[0].split(b":", 1)[1])
    assert b"from" in [h.strip().lower() for h in fields[b"h"].split(b":")]


def test_one_changed_byte_breaks_the_signature(key, net):
    """RFC 6376 §6.1.3: "If the hash does not match, the Verifier SHOULD ignore the signature and
    return PERMFAIL (body hash did not verify)."."""
    signed = key.sign(MESSAGE)
    assert verify_dkim(signed, net.resolver) == "pass"
    assert verify_dkim(signed.replace(b"noon", b"nOon"), net.resolver) == "fail"
    assert verify_dkim(MESSAGE, net.resolver) == "none"


# ---------------------------------------------------------------- DMARC (RFC 7489)
def test_dmarc_passes_with_aligned_dkim_even_when_spf_fails(key, net):
    """RFC 7489 §3.1 / §6.6.2: DMARC passes when SPF *or* DKIM passes in alignment with the From:
    domain (here DKIM d=home.test, while the connecting address is not in SPF)."""
    report = authenticate(key.sign(MESSAGE), ip=FORGER, mail_from="alice@home.test", helo="x.example",
                          resolver=net.resolver, authserv_id="mx.school.test")
    assert (report.spf, report.dkim, report.dmarc, report.disposition) == ("fail", "pass", "pass", "deliver")


def test_dmarc_fail_with_p_reject_asks_for_rejection(net):
    """RFC 7489 §6.3: p=reject: "The Domain Owner wishes for Mail Receivers to reject email that
    fails the DMARC mechanism check."."""
    report = authenticate(MESSAGE, ip=FORGER, mail_from="alice@home.test", helo="x.example",
                          resolver=net.resolver, authserv_id="mx.school.test")
    assert (report.spf, report.dkim, report.dmarc, report.policy) == ("fail", "none", "fail", "reject")
    assert report.disposition == "reject"
    assert report.header.startswith("Authentication-Results: mx.school.test; spf=fail")


def test_a_passing_spf_for_another_domain_is_not_aligned(net):
    """RFC 7489 §3.1: SPF must pass for a domain aligned with From:, not just any domain."""
    message = MESSAGE.replace(b"From: Alice <alice@home.test>", b"From: Alice <alice@news.test>")
    report = authenticate(message, ip=relay_address(net), mail_from="alice@home.test", helo="out.home.test",
                          resolver=net.resolver, authserv_id="mx.school.test")
    assert (report.spf, report.dmarc, report.policy, report.disposition) == ("pass", "fail", "none", "deliver")


# ---------------------------------------------------------------- in the mail system
@pytest.fixture
def system() -> MailSystem:
    return MailSystem().authenticate_mail()


def test_mail_system_signs_at_the_relay_and_checks_at_the_mx(system):
    journey = system.send(MESSAGE)
    stored = journey.delivered["bob@school.test"]
    head = stored.split(b"\r\n\r\n")[0].decode()
    assert head.index("Return-Path:") < head.index("Received: from out.home.test") < head.index(
        "Authentication-Results: mx.school.test;") < head.index("DKIM-Signature:")
    verdict = system.verdicts["bob@school.test"][-1]
    assert (verdict.spf, verdict.dkim, verdict.dmarc) == ("pass", "pass", "pass")


def test_a_change_in_transit_breaks_dkim_but_spf_still_passes(system):
    system.in_transit["out.home.test"] = lambda data: data.replace(b"noon", b"nOon")
    system.send(MESSAGE)
    verdict = system.verdicts["bob@school.test"][-1]
    assert (verdict.spf, verdict.dkim, verdict.dmarc) == ("pass", "fail", "pass")


def test_a_forged_from_is_refused_in_the_session(system):
    """RFC 7489 §6.3: for p=reject, "Rejection SHOULD occur during the SMTP transaction"."""
    journey = system.send_direct(MESSAGE, client="forger.example", address=FORGER)
    assert journey.delivered == {}
    answer = journey.reports[0]["bob@school.test"].reply
    assert (answer.code, answer.enhanced) == (550, "5.7.1")


def test_importing_smtplearn_loads_none_of_the_auth_libraries():
    """The auth extra is optional and lazy: `import smtplearn` (and the mail system) stay light."""
    import subprocess
    import sys
    code = ("import sys, smtplearn, smtplearn.mini_internet.roles, smtplearn.authentication; "
            "print(sorted(m for m in ('dkim', 'spf', 'authheaders', 'authres', 'cryptography') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
