# smtplearn/mx/recorded.py: the recorded answers notebook 05 falls back to when no DNS server
# answers, and the one quick check that decides. The check runs against a real dnsmasq on
# loopback (answers), a UDP port where nothing listens (silence) and a dnsmasq that refuses.
from __future__ import annotations

import socket
import time

import pytest

from dns_records import COURSE_LOCAL_DOMAINS, COURSE_WORLD, dnsmasq_options
from smtplearn.mx import lookup_mx, make_resolver
from smtplearn.mx.lookup import DomainNotFound
from smtplearn.mx.recorded import RECORDED_DOMAINS, live_or_recorded, recorded_resolver


def mx_rows(world) -> set[tuple[str, str]]:
    return {(name, data) for name, rdtype, data in world if rdtype == "MX"}


def test_the_recording_has_the_mx_records_the_course_world_copies():
    """The test suite's dnsmasq world and the recording describe the same MX records."""
    resolver = recorded_resolver()
    recorded = set()
    for domain in RECORDED_DOMAINS[:4]:
        for record in resolver.resolve(domain + ".", "MX"):
            recorded.add((domain, f"{record.preference} {record.exchange.to_text(omit_final_dot=True) or '.'}"))
    assert recorded == mx_rows(COURSE_WORLD)


def test_every_lesson_of_notebook_05_shows_on_recorded_answers():
    resolver = recorded_resolver()
    python = lookup_mx("python.org", resolver)
    assert [h.name for h in python.hosts] == ["mail.python.org"] and python.hosts[0].ipv4 and python.hosts[0].ipv6
    assert "no network" in python.source and "2024" in python.source
    gmail = lookup_mx("gmail.com", resolver)
    assert [h.preference for h in gmail.hosts] == [5, 10, 20, 30, 40] and all(h.addresses for h in gmail.hosts)
    yahoo = {tuple(h.name for h in lookup_mx("yahoo.com", resolver, seed=seed).hosts) for seed in range(8)}
    assert len(yahoo) > 1  # three hosts at preference 1: the seed changes the order
    example = lookup_mx("example.com", resolver)
    assert example.null_mx and not example.hosts
    with pytest.raises(DomainNotFound) as error:  # RFC 5321 §5.1: NXDOMAIN MUST be reported as an error
        lookup_mx("no-such-school.invalid", resolver)
    assert error.value.permanent


@pytest.mark.peers
def test_a_dns_server_that_answers_is_used_live(dnsmasq):
    host, port = dnsmasq(*dnsmasq_options(COURSE_WORLD, COURSE_LOCAL_DOMAINS))
    choice = live_or_recorded(make_resolver(f"{host}:{port}"))
    assert choice.live and f"DNS server {host}:{port}" in str(choice)
    assert "192.0.2.50" in str(lookup_mx("python.org", choice.resolver))  # dnsmasq's copy, not the recording


@pytest.mark.peers
def test_an_answer_without_records_still_means_dns_works(dnsmasq):
    host, port = dnsmasq("--local=/org/")  # every .org name: NXDOMAIN
    assert live_or_recorded(make_resolver(f"{host}:{port}")).live


def test_silence_means_recorded_answers_quickly(free_port):
    silent = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
    started = time.monotonic()
    choice = live_or_recorded(make_resolver(silent), timeout=1.0)
    assert time.monotonic() - started < 5
    assert not choice.live and str(choice).startswith(f"No DNS server answered: DNS server {silent}")
    assert "recorded answers" in str(choice) and "No DNS server answered." in choice._repr_html_()
    assert lookup_mx("gmail.com", choice.resolver).hosts


@pytest.mark.peers
def test_a_server_that_refuses_everything_means_recorded_answers(dnsmasq):
    host, port = dnsmasq()  # no records, no upstream: dnsmasq refuses questions it cannot answer
    choice = live_or_recorded(make_resolver(f"{host}:{port}"))
    assert not choice.live and "could not answer" in str(choice)


def test_the_environment_variable_is_what_the_notebook_uses(monkeypatch, free_port):
    monkeypatch.setenv("SMTPLEARN_NAMESERVER", f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}")
    assert not live_or_recorded(timeout=0.5).live
