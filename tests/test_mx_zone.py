# ZoneResolver, the offline mini-Internet: it must raise and answer exactly as
# dnspython's resolver does against a real server (NXDOMAIN, NoAnswer, CNAME
# chains), so lookup_mx cannot tell the difference. No server, no network.
from __future__ import annotations

import socket
import time

import dns.resolver
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtplearn.mx import ZoneResolver, lookup_mx
from smtplearn.mx.lookup import DNSTimeout, NameserversFailed, NoMailRecords
from smtplearn.mx.names import normalise_domain

SHOP = """
$ORIGIN shop.example.
@        SOA  ns hostmaster 1 3600 600 86400 60
@        MX   10 mail
@        MX   20 mail.backup.example.
mail     A    192.0.2.10
www      CNAME @
deep.a.b A    192.0.2.11
loop1    CNAME loop2
loop2    CNAME loop1
"""
BACKUP = """
$ORIGIN backup.example.
@     MX 10 mail
mail  A  198.51.100.7
mail  AAAA 2001:db8::7
"""


@pytest.fixture
def zones():
    return ZoneResolver(SHOP, BACKUP)


def test_answers_are_real_dnspython_answers(zones):
    answer = zones.resolve("shop.example.", "MX")
    assert isinstance(answer, dns.resolver.Answer)
    assert sorted(str(r) for r in answer) == ["10 mail.shop.example.", "20 mail.backup.example."]


def test_cname_is_chained_like_a_real_resolver(zones):
    answer = zones.resolve("www.shop.example.", "MX")
    assert str(answer.canonical_name) == "shop.example."
    assert len(answer.response.answer) == 2  # the CNAME, then the MX records


def test_nxdomain_and_noanswer_are_dnspythons_own(zones):
    with pytest.raises(dns.resolver.NXDOMAIN):
        zones.resolve("nothing.shop.example.", "MX")
    with pytest.raises(dns.resolver.NoAnswer):
        zones.resolve("mail.shop.example.", "MX")


def test_empty_non_terminal_exists(zones):
    # a.b.shop.example has no records but a name below it: NODATA, not NXDOMAIN (RFC 8020)
    with pytest.raises(dns.resolver.NoAnswer):
        zones.resolve("a.b.shop.example.", "A")
    with pytest.raises(NoMailRecords):
        lookup_mx("b.shop.example", zones)


def test_outside_every_zone_is_refused(zones):
    with pytest.raises(dns.resolver.NoNameservers, match="REFUSED"):
        zones.resolve("gmail.com.", "MX")


def test_cname_loop_is_servfail(zones):
    with pytest.raises(NameserversFailed, match="SERVFAIL"):
        lookup_mx("loop1.shop.example", zones)


def test_lookup_spans_zones(zones):
    result = lookup_mx("shop.example", zones)
    assert [(h.preference, h.name) for h in result.hosts] == [(10, "mail.shop.example"), (20, "mail.backup.example")]
    assert result.hosts[1].addresses == ("198.51.100.7", "2001:db8::7")
    assert "offline zones" in result.source


def test_origin_argument_for_text_without_origin_line():
    zone = ZoneResolver("@ MX 10 mx\nmx A 192.0.2.3\n", origin="plain.example.")
    assert lookup_mx("plain.example", zone).hosts[0].ipv4 == ("192.0.2.3",)


def test_longest_origin_wins():
    parent = "$ORIGIN example.\nsub MX 10 wrong\n"
    child = "$ORIGIN sub.example.\n@ MX 10 right\nright A 192.0.2.1\n"
    result = lookup_mx("sub.example", ZoneResolver(parent, child))
    assert result.hosts[0].name == "right.sub.example"


def test_null_mx_never_asks_for_addresses():
    zone = ZoneResolver("$ORIGIN nomail.example.\n@ MX 0 .\n@ A 192.0.2.1\n")
    assert lookup_mx("nomail.example", zone).null_mx
    assert zone.questions == ["nomail.example. MX"]  # RFC 7505: no fallback to A/AAAA


def test_null_mx_beside_real_mx_is_ignored():
    zone = ZoneResolver("$ORIGIN mixed.example.\n@ MX 0 .\n@ MX 10 mx\nmx A 192.0.2.1\n")
    result = lookup_mx("mixed.example", zone)
    assert not result.null_mx and [h.name for h in result.hosts] == ["mx.mixed.example"]
    assert any("RFC 7505 §3" in note for note in result.notes)


def test_simulated_failures():
    zone = ZoneResolver(SHOP, failures={"shop.example": "SERVFAIL"})
    with pytest.raises(NameserversFailed) as caught:
        lookup_mx("shop.example", zone)
    assert not caught.value.permanent and "SERVFAIL" in str(caught.value)
    slow = ZoneResolver(SHOP, failures={"shop.example": "timeout"}, lifetime=0.4)
    started = time.monotonic()
    with pytest.raises(DNSTimeout, match="SMTPLEARN_NAMESERVER"):
        lookup_mx("shop.example", slow)
    assert time.monotonic() - started < 2.0


def test_no_network_is_touched(monkeypatch):
    def no_sockets(*args, **kwargs):
        raise AssertionError("ZoneResolver opened a socket")

    monkeypatch.setattr(socket, "socket", no_sockets)
    assert lookup_mx("shop.example", ZoneResolver(SHOP)).hosts[0].ipv4 == ("192.0.2.10",)


def test_html_escapes_strange_names():
    zone = ZoneResolver("$ORIGIN odd.example.\n@ MX 10 a<b>c\n")
    page = lookup_mx("odd.example", zone)._repr_html_()
    assert "a&lt;b&gt;c" in page and "<b>" not in page


@pytest.mark.parametrize(
    "zones, kwargs, says",
    [
        (("@ MX 10 mx\n",), {}, "ORIGIN"),
        (("$ORIGIN x.\n@ MX ten mx\n",), {}, "could not be read"),
        (("$ORIGIN x.\n", "$ORIGIN x.\n"), {}, "same origin"),
        ((), {}, "at least one zone"),
        (("$ORIGIN x.\n",), {"failures": {"x": "BROKEN"}}, "SERVFAIL, REFUSED, timeout"),
    ],
)
def test_bad_zones_are_explained(zones, kwargs, says):
    with pytest.raises(ValueError, match=says):
        ZoneResolver(*zones, **kwargs)


# ---------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(preferences=st.lists(st.integers(0, 3), min_size=1, max_size=6), seed=st.integers(0, 2**32))
def test_any_mx_set_comes_out_sorted_and_complete(preferences, seed):
    records = "".join(f"@ MX {p} mx{i}\nmx{i} A 192.0.2.{i + 1}\n" for i, p in enumerate(preferences))
    zone = ZoneResolver("$ORIGIN p.example.\n" + records)
    result = lookup_mx("p.example", zone, seed=seed)
    assert [h.preference for h in result.hosts] == sorted(preferences)  # RFC 5321 §5.1: lowest first
    assert sorted(h.name for h in result.hosts) == sorted(f"mx{i}.p.example" for i in range(len(preferences)))
    again = lookup_mx("p.example", zone, seed=seed)
    assert [h.name for h in again.hosts] == [h.name for h in result.hosts]  # a seed repeats the order


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_valid_name_or_a_value_error(text):
    try:
        ascii_name, unicode_name = normalise_domain(text)
    except ValueError:
        return
    assert ascii_name.isascii() and ascii_name == ascii_name.lower() and len(ascii_name) <= 253
    assert all(0 < len(label) <= 63 for label in ascii_name.split("."))
    assert normalise_domain(unicode_name)[0] == ascii_name  # the two forms agree
