# lookup_mx (RFC 5321 §5.1, RFC 7505 null MX) against a real dnsmasq on a loopback
# port AND against the offline ZoneResolver, both built from one table of records,
# so every scenario proves the two give the same answers through the same code.
# Never asks the machine's own resolver: an autouse fixture makes that an error.
from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest

import smtplearn.mx.resolver as resolver_module
from smtplearn.commands import mx as mx_command
from smtplearn.mx import MXLookupError, ZoneResolver, lookup_mx, make_resolver
from smtplearn.mx.lookup import DNSTimeout, DomainNotFound, NameserversFailed, NoMailRecords
from dns_records import dnsmasq_options

# The mini-Internet used by every scenario: (name, type, data).
WORLD: tuple[tuple[str, str, str], ...] = (
    ("example.test", "MX", "10 mx1.example.test"),
    ("example.test", "MX", "20 mx2.example.test"),
    ("example.test", "MX", "20 mx3.example.test"),
    ("mx1.example.test", "A", "127.0.0.2"),
    ("mx1.example.test", "AAAA", "fd00::2"),
    ("mx2.example.test", "A", "127.0.0.3"),
    ("mx2.example.test", "A", "127.0.0.4"),
    ("mx3.example.test", "AAAA", "fd00::5"),
    ("alias.test", "CNAME", "example.test"),
    ("implicit.test", "A", "127.0.0.9"),
    ("implicit.test", "AAAA", "fd00::9"),
    ("nullmx.test", "MX", "0 ."),  # RFC 7505 null MX ...
    ("nullmx.test", "A", "127.0.0.7"),  # ... beside an address it must NOT fall back to
    ("zeropref.test", "MX", "0 mx1.example.test"),  # preference 0 alone is not a null MX
    ("txtonly.test", "TXT", "no mail here"),
    ("noaddr.test", "MX", "10 ghost.noaddr.test"),  # the exchange does not exist
    ("cnamemx.test", "MX", "10 mxalias.test"),
    ("mxalias.test", "CNAME", "mx1.example.test"),  # RFC 2181 §10.3: an MX should not be an alias
    ("xn--bcher-kva.test", "MX", "5 mx.xn--bcher-kva.test"),  # bücher.test
    ("mx.xn--bcher-kva.test", "A", "127.0.0.5"),
)


def zone_text(world: tuple[tuple[str, str, str], ...]) -> str:
    lines = ["$ORIGIN test.", "@ 60 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60"]
    for name, rdtype, data in world:
        if rdtype == "MX":
            preference, exchange = data.split()
            data = f"{preference} {exchange.rstrip('.')}."
        elif rdtype == "CNAME":
            data += "."
        elif rdtype == "TXT":
            data = f'"{data}"'
        lines.append(f"{name}. 60 IN {rdtype} {data}")
    return "\n".join(lines) + "\n"


def order(result) -> list[tuple[int, str]]:
    """Host order only: a host's addresses come in whatever order DNS rotates them to."""
    return [(host.preference, host.name) for host in result.hosts]


@pytest.fixture(autouse=True)
def never_the_system_resolver(monkeypatch):
    """Tests must name their DNS server: the machine's resolver would leak queries."""
    monkeypatch.delenv(resolver_module.ENV_VAR, raising=False)

    def refuse():
        raise AssertionError("a test tried to use the system resolver")

    monkeypatch.setattr(resolver_module, "_system_resolver", refuse)


@pytest.fixture
def world_server(dnsmasq) -> str:
    """A real dnsmasq serving WORLD; returns "127.0.0.1:PORT"."""
    host, port = dnsmasq(*dnsmasq_options(WORLD))
    return f"{host}:{port}"


@pytest.fixture(params=["zone", pytest.param("dnsmasq", marks=pytest.mark.peers)])
def resolver(request):
    """The same world, offline (ZoneResolver) or over UDP (dnsmasq)."""
    if request.param == "zone":
        return ZoneResolver(zone_text(WORLD))
    return make_resolver(request.getfixturevalue("world_server"), timeout=1.0, lifetime=3.0)


@pytest.fixture
def dead_nameserver():
    """A UDP port held open where nobody ever answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


# ---------------------------------------------------------------- ordering, RFC 5321 §5.1
def test_lowest_preference_first_with_addresses(resolver):
    result = lookup_mx("example.test", resolver, seed=1)
    assert [h.preference for h in result.hosts] == [10, 20, 20]
    first, *tied = result.hosts
    assert first.name == "mx1.example.test"
    assert first.why == "preference 10, lowest first"
    assert (first.ipv4, first.ipv6, first.addresses) == (("127.0.0.2",), ("fd00::2",), ("127.0.0.2", "fd00::2"))
    assert {h.name for h in tied} == {"mx2.example.test", "mx3.example.test"}
    mx2 = next(h for h in tied if h.name == "mx2.example.test")
    assert sorted(mx2.addresses) == ["127.0.0.3", "127.0.0.4"]
    assert "tied at 20 with mx3.example.test, order drawn at random (seed 1)" == mx2.why
    assert result.usable and not result.implicit and not result.null_mx and result.seed == 1


def test_equal_preferences_are_shuffled_fairly_and_reproducibly(resolver):
    def names(seed):
        return [h.name for h in lookup_mx("example.test", resolver, seed=seed).hosts]

    firsts = Counter(names(seed)[1] for seed in range(400))
    assert set(firsts) == {"mx2.example.test", "mx3.example.test"}  # both orders happen
    assert 150 <= firsts["mx2.example.test"] <= 250  # and roughly half each
    assert names(7) == names(7)
    mine = lookup_mx("example.test", resolver, rng=random.Random(7))
    assert [h.name for h in mine.hosts] == names(7)
    assert mine.seed is None and "with your rng" in mine.hosts[1].why


def test_unseeded_lookup_records_its_seed(resolver):
    result = lookup_mx("example.test", resolver)
    assert isinstance(result.seed, int)
    again = lookup_mx("example.test", resolver, seed=result.seed)
    assert order(again) == order(result)
    assert f"seed={result.seed}" in str(result)


def test_seed_and_rng_together_is_an_error(resolver):
    with pytest.raises(ValueError, match="not both"):
        lookup_mx("example.test", resolver, seed=1, rng=random.Random(1))


# ---------------------------------------------------------------- CNAME, implicit and null MX
def test_cname_is_followed_and_reported(resolver):
    result = lookup_mx("alias.test", resolver, seed=1)
    assert (result.domain, result.canonical_name, result.followed_cname) == ("alias.test", "example.test", True)
    assert order(result) == order(lookup_mx("example.test", resolver, seed=1))
    assert any("alias (CNAME) for example.test" in note for note in result.notes)


def test_implicit_mx_is_the_domain_itself(resolver):
    result = lookup_mx("implicit.test", resolver)
    assert result.implicit and len(result.hosts) == 1
    host = result.hosts[0]
    assert (host.preference, host.name, host.ipv4, host.ipv6) == (0, "implicit.test", ("127.0.0.9",), ("fd00::9",))
    assert host.why.startswith("implicit MX: domain's own address")
    assert any("implicit MX with preference 0" in note for note in result.notes)


def test_null_mx_means_no_mail_and_no_fallback(resolver):
    result = lookup_mx("nullmx.test", resolver)
    assert result.null_mx and result.hosts == () and not result.implicit and not result.usable
    assert any("accepts no mail" in note for note in result.notes)
    assert "null MX" in str(result) and "127.0.0.7" not in str(result)


def test_preference_zero_alone_is_not_a_null_mx(resolver):
    result = lookup_mx("zeropref.test", resolver)
    assert not result.null_mx
    assert [(h.preference, h.name) for h in result.hosts] == [(0, "mx1.example.test")]


def test_exchange_without_address_is_explained(resolver):
    result = lookup_mx("noaddr.test", resolver)
    assert not result.usable
    (host,) = result.hosts
    assert host.addresses == () and "does not exist" in host.problems[0]
    assert any("MUST be reported as an error" in note for note in result.notes)


def test_exchange_that_is_an_alias_is_flagged(resolver):
    (host,) = lookup_mx("cnamemx.test", resolver).hosts
    assert host.name == "mxalias.test" and host.ipv4 == ("127.0.0.2",)
    assert "RFC 2181 §10.3" in host.problems[0]


# ---------------------------------------------------------------- errors, permanent and temporary
def test_nxdomain_is_permanent(resolver):
    with pytest.raises(DomainNotFound) as caught:
        lookup_mx("nothing.test", resolver)
    error = caught.value
    assert isinstance(error, MXLookupError) and error.permanent and error.kind == "nxdomain"
    assert error.domain == "nothing.test" and "does not exist" in str(error)


def test_no_mx_and_no_address_is_permanent(resolver):
    with pytest.raises(NoMailRecords) as caught:
        lookup_mx("txtonly.test", resolver)
    assert caught.value.permanent and "cannot receive mail" in caught.value.message


def test_refused_everywhere_is_temporary(resolver):
    # dnsmasq without upstreams, and ZoneResolver, both REFUSE names outside their world
    with pytest.raises(NameserversFailed) as caught:
        lookup_mx("outside.example", resolver)
    assert not caught.value.permanent and "REFUSED" in str(caught.value)


def test_unreachable_nameserver_times_out_within_lifetime(dead_nameserver):
    started = time.monotonic()
    with pytest.raises(DNSTimeout) as caught:
        lookup_mx("example.test", make_resolver(dead_nameserver, timeout=0.3, lifetime=1.0))
    assert time.monotonic() - started < 1.0 + 1.5
    assert not caught.value.permanent
    assert "SMTPLEARN_NAMESERVER=IP[:PORT]" in str(caught.value) and "resolver=" in str(caught.value)


# ---------------------------------------------------------------- names
@pytest.mark.parametrize("spelling", ["bücher.test", "BÜCHER.TEST.", "xn--bcher-kva.test", "Bücher.Test"])
def test_idn_names_are_encoded(resolver, spelling):
    result = lookup_mx(spelling, resolver)
    assert (result.domain, result.unicode_domain) == ("xn--bcher-kva.test", "bücher.test")
    (host,) = result.hosts
    assert (host.name, host.unicode_name, host.ipv4) == ("mx.xn--bcher-kva.test", "mx.bücher.test", ("127.0.0.5",))


def test_trailing_dot_and_case_are_normalised(resolver):
    assert order(lookup_mx("EXAMPLE.Test.", resolver, seed=3)) == order(lookup_mx("example.test", resolver, seed=3))


@pytest.mark.parametrize(
    "bad, says",
    [
        ("", "empty"),
        (".", "empty"),
        ("a..test", "empty label"),
        ("x" * 64 + ".test", "64 characters"),
        (".".join(["a" * 63] * 4) + ".test", "characters long"),
        ("under_score.test", "contains '_'"),
        ("sp ace.test", "contains ' '"),
        ("-dash.test", "hyphen"),
        ("192.0.2.1", "IP address"),
        ("[192.0.2.1]", "IP address"),
        ("[IPv6:2001:db8::1]", "IP address"),
        ("user@example.test", "email address"),
        ("xn--zz.test", "punycode"),
        ("☃.test", "IDNA"),
    ],
)
def test_invalid_names_raise_value_error_before_any_query(bad, says):
    zone = ZoneResolver(zone_text(WORLD))
    with pytest.raises(ValueError, match="allowed|IP address|email") as caught:
        lookup_mx(bad, zone)
    assert says in str(caught.value)
    assert zone.questions == []


# ---------------------------------------------------------------- choosing the nameserver
@pytest.mark.peers
def test_env_var_chooses_the_nameserver(world_server, monkeypatch):
    monkeypatch.setenv("SMTPLEARN_NAMESERVER", world_server)
    result = lookup_mx("example.test", seed=1)
    assert result.hosts[0].name == "mx1.example.test"
    assert result.source == f"DNS server {world_server}"


@pytest.mark.parametrize(
    "spec, expected",
    [("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
     ("[::1]:5353", ("::1", 5353)), ("::1", ("::1", 53)), (" [::1] ", ("::1", 53))],
)
def test_nameserver_syntax(spec, expected):
    resolver = make_resolver(spec, timeout=1.5, lifetime=4, cache=True)
    assert (resolver.nameservers[0], resolver.port) == expected
    assert (resolver.timeout, resolver.lifetime) == (1.5, 4)
    assert resolver.cache is not None


@pytest.mark.parametrize("spec", ["", "localhost", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:x", "::1:53:x"])
def test_malformed_nameserver_is_explained(spec):
    with pytest.raises(ValueError, match="allowed forms"):
        make_resolver(spec)


def test_malformed_env_var_names_the_variable(monkeypatch):
    monkeypatch.setenv("SMTPLEARN_NAMESERVER", "not-an-ip")
    with pytest.raises(ValueError, match="environment variable SMTPLEARN_NAMESERVER"):
        make_resolver()


# ---------------------------------------------------------------- display
def test_text_html_and_graph_show_the_same_hosts(resolver):
    result = lookup_mx("alias.test", resolver, seed=1)
    text, page, dot = str(result), result._repr_html_(), result.graph().source
    assert repr(result) == text
    for host in result.hosts:
        assert host.name in text and host.name in page and host.name in dot
    assert "why this order" in text and ">why this order</th>" in page
    assert "CNAME" in text and "CNAME" in page and "CNAME" in dot
    assert text.index("mx1.example.test") < text.index(result.hosts[1].name)


def test_null_and_implicit_mx_are_drawn_distinctly(resolver):
    null_graph = lookup_mx("nullmx.test", resolver).graph().source
    assert "octagon" in null_graph and "accepts no mail" in null_graph
    implicit_graph = lookup_mx("implicit.test", resolver).graph().source
    assert "dashed" in implicit_graph and "implicit" in implicit_graph


@pytest.mark.dot
def test_graph_renders_with_dot(system_binary):
    system_binary("dot")
    graph = lookup_mx("example.test", ZoneResolver(zone_text(WORLD)), seed=1).graph()
    svg = graph.svg()
    assert "mx1.example.test" in svg and 'role="img"' in svg and "<desc>" in svg
    assert graph.label.startswith("MX graph of example.test: ")


def test_exports_are_listed():
    import smtplearn.mx

    assert set(smtplearn.mx.__all__) == set(smtplearn.mx._EXPORTS)
    assert all(getattr(smtplearn.mx, name) for name in smtplearn.mx.__all__)


def test_importing_smtplearn_mx_is_light():
    code = "import sys, smtplearn.mx; from smtplearn.mx import lookup_mx; print(sorted(m for m in ('dns', 'graphviz') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- command line
def run_mx_command(argv: list[str]) -> int:
    """Run just the mx subcommand's parser and run(), as smtplearn.cli wires it."""
    import argparse

    parser = argparse.ArgumentParser(prog="smtplearn mx")
    mx_command.add_arguments(parser)
    return mx_command.run(parser.parse_args(argv))


def cli_main():
    from smtplearn import cli

    return cli.main


@pytest.mark.peers
def test_cli_prints_the_ordered_hosts(world_server, capsys):
    main = cli_main()
    assert main(["mx", "alias.test", "--nameserver", world_server, "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "alias (CNAME) of example.test" in out
    assert out.index("mx1.example.test") < out.index("mx2.example.test")
    assert "preference 10, lowest first" in out


@pytest.mark.peers
@pytest.mark.parametrize("domain, status, says", [
    ("nothing.test", mx_command.EX_NOHOST, "permanent error"),
    ("txtonly.test", mx_command.EX_NOHOST, "permanent error"),
    ("nullmx.test", 0, ""),
])
def test_cli_exit_status(world_server, capsys, domain, status, says):
    assert run_mx_command([domain, "--nameserver", world_server]) == status
    assert says in capsys.readouterr().err


def test_cli_timeout_is_temporary(dead_nameserver, capsys):
    assert run_mx_command(["example.test", "--nameserver", dead_nameserver, "--timeout", "0.5"]) == mx_command.EX_TEMPFAIL
    assert "temporary error" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["bad_name.test", "--nameserver", "127.0.0.1"], ["example.test", "--nameserver", "dns.google"]])
def test_cli_malformed_input_is_a_usage_error(argv, capsys):
    assert run_mx_command(argv) == mx_command.EX_USAGE
    assert "allowed" in capsys.readouterr().err
