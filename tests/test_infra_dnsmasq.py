# Checks the shared `dnsmasq` fixture (tests/conftest.py): a real DNS server on a
# loopback port answers MX queries from records we give it, and only those.
import dns.rcode
import dns.resolver
import pytest

pytestmark = pytest.mark.peers


def resolver_for(host: str, port: int) -> dns.resolver.Resolver:
    # configure=False: never read /etc/resolv.conf, never ask the machine's resolver.
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.lifetime = 2.0
    return resolver


def test_dnsmasq_serves_mx_record(dnsmasq):
    host, port = dnsmasq(
        "--mx-host=example.test,mx.example.test,10",
        "--host-record=mx.example.test,127.0.0.1",
        "--local=/test/",
    )
    resolver = resolver_for(host, port)

    mx = resolver.resolve("example.test", "MX")
    assert [(r.preference, r.exchange.to_text()) for r in mx] == [(10, "mx.example.test.")]
    assert mx.rrset.ttl == 60
    assert [r.address for r in resolver.resolve("mx.example.test", "A")] == ["127.0.0.1"]


def test_dnsmasq_knows_nothing_else(dnsmasq):
    host, port = dnsmasq("--local=/test/")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(host, port).resolve("nowhere.test", "MX")


def test_two_servers_run_side_by_side(dnsmasq):
    first = dnsmasq("--mx-host=a.test,mx.a.test,5", "--local=/test/")
    second = dnsmasq("--mx-host=b.test,mx.b.test,7", "--local=/test/")
    assert first != second
    assert resolver_for(*second).resolve("b.test", "MX")[0].preference == 7
    assert dns.rcode.NOERROR == resolver_for(*first).resolve("a.test", "MX").response.rcode()
