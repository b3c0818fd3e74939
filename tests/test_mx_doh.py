"""DNS-over-HTTPS (smtplearn.mx.doh): lookup_mx over RFC 8484, against a real dnsmasq behind a
tiny DoH responder on loopback (tests/doh_responder.py). The browser half is tests/test_lite.py."""

from __future__ import annotations

import socket
import time
import warnings

import dns.message
import pytest

from dns_records import dnsmasq_options
from doh_responder import MEDIA_TYPE, doh_responder
from smtplearn.mx import ZoneResolver, lookup_mx, make_resolver
from smtplearn.mx.doh import DoHResolver, RecordedAnswersWarning, wire_request
from smtplearn.mx.lookup import DomainNotFound, MXLookupError

pytestmark = pytest.mark.peers

WORLD = (
    ("school.test", "MX", "10 mx1.school.test"),
    ("school.test", "MX", "20 mx2.school.test"),
    ("mx1.school.test", "A", "127.0.0.1"),
    ("mx2.school.test", "A", "127.0.0.2"),
)


@pytest.fixture
def responder(dnsmasq):
    host, port = dnsmasq(*dnsmasq_options(WORLD))
    with doh_responder((host, port)) as served:
        yield served


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_lookup_mx_over_doh_returns_the_mx_list(responder, method):
    """RFC 8484 §4.1 (paraphrased; the RFC is not in shared/rfc): a DoH client should send an
    Accept header naming the media type it understands, and with application/dns-message it
    should use a DNS ID of 0 in every request, so identical questions are cacheable."""
    resolver = DoHResolver(responder.url, method=method, fallback=False)
    result = lookup_mx("school.test", resolver=resolver, seed=1)
    assert [(h.preference, h.name) for h in result.hosts] == [(10, "mx1.school.test"), (20, "mx2.school.test")]
    assert responder.asked and {a.method for a in responder.asked} == {method}
    for asked in responder.asked:
        assert asked.headers["Accept"] == MEDIA_TYPE
        assert dns.message.from_wire(asked.query).id == 0
    assert "DNS-over-HTTPS" in resolver.describe()


def test_doh_answers_match_plain_dns(responder):
    """The same question through DoH and over UDP to the same dnsmasq gets the same records."""
    doh = DoHResolver(responder.url, fallback=False)
    udp = make_resolver("%s:%d" % responder.upstream)
    for name, rdtype in [("school.test", "MX"), ("mx2.school.test", "A")]:
        assert (sorted(str(r) for r in doh.resolve(name, rdtype))
                == sorted(str(r) for r in udp.resolve(name, rdtype)))


def test_nxdomain_over_doh_is_permanent(responder):
    with pytest.raises(DomainNotFound) as caught:
        lookup_mx("nobody.test", resolver=DoHResolver(responder.url, fallback=False))
    assert caught.value.permanent


def test_get_request_is_base64url_without_padding():
    """RFC 8484 §6 (paraphrased): with GET, the message is base64url-encoded into the variable
    "dns", and base64url padding characters must not be included."""
    url, headers, body = wire_request("https://doh.example/dns-query", "GET", b"\x00\x00\x01")
    assert url == "https://doh.example/dns-query?dns=AAAB" and body is None
    assert headers == {"Accept": MEDIA_TYPE}
    url, headers, body = wire_request("https://doh.example/q?ct", "POST", b"\xff")
    assert url == "https://doh.example/q?ct" and body == b"\xff" and headers["Content-Type"] == MEDIA_TYPE


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_endpoint_falls_back_to_recorded_answers_with_a_note():
    recorded = ZoneResolver("$ORIGIN school.test.\n@ MX 5 recorded-mx\nrecorded-mx A 192.0.2.5\n")
    resolver = DoHResolver(f"http://127.0.0.1:{_closed_port()}/dns-query", fallback=recorded)
    with pytest.warns(RecordedAnswersWarning, match="RECORDED answers"):
        result = lookup_mx("school.test", resolver=resolver, seed=1)
    assert [h.name for h in result.hosts] == ["recorded-mx.school.test"]
    assert resolver.offline and "recorded answers" in resolver.describe()


def test_unreachable_endpoint_without_fallback_is_a_dns_failure_at_once():
    """One failed request, not retries until the lifetime: the endpoint is dropped like a dead server."""
    resolver = DoHResolver(f"http://127.0.0.1:{_closed_port()}/dns-query", fallback=False, lifetime=5.0)
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(MXLookupError) as caught:
            lookup_mx("school.test", resolver=resolver)
    assert not caught.value.permanent
    assert resolver.doh.questions == ["school.test. MX"] and time.monotonic() - started < 2


def test_an_http_error_is_not_a_dns_answer(responder):
    """The endpoint must answer a DNS message (RFC 8484 §4.2.1, paraphrased: a successful answer is a 2xx
    with the media type); a 404 page is a failure, reported as one."""
    resolver = DoHResolver(responder.url.replace("/dns-query", "/wrong"), method="POST", fallback=False)
    with pytest.raises(MXLookupError) as caught:
        lookup_mx("school.test", resolver=resolver)
    assert "415" in str(caught.value) or "HTTP" in str(caught.value)
