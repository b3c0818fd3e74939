# The mini-Internet's greylisting host (RFC 6647), as notebook 06 teaches it: the first try of a
# (client address, sender, recipient) triplet gets 450, a retry before the host's delay gets 450
# again, a retry after it is accepted; another triplet starts over. The lesson's clock is a plain
# function, so "30 minutes later" needs no waiting.
from __future__ import annotations

from smtplearn.mini_internet import MiniInternet

TO_ZOE = "From: alice@home.test\r\nTo: zoe@grey.test\r\nSubject: hi\r\n\r\nHi Zoe!\r\n"


class Clock:
    def __init__(self) -> None:
        self.minutes = 0.0

    def __call__(self) -> float:
        return self.minutes * 60


def grey_world(delay_minutes: float) -> tuple[MiniInternet, Clock]:
    net = MiniInternet.classroom()
    clock = Clock()
    grey = net.host("mx.grey.test")
    grey.clock, grey.greylist_delay = clock, delay_minutes * 60
    return net, clock


def status(report) -> str:
    (result,) = report.results
    return result.status.value


def test_a_retry_too_soon_is_refused_again_and_a_later_one_accepted():
    """RFC 5321 §4.5.4.1: "The sender MUST delay retrying a particular destination after one
    attempt has failed. In general, the retry interval SHOULD be at least 30 minutes"."""
    net, clock = grey_world(delay_minutes=5)
    first = net.deliver(TO_ZOE)
    assert status(first) == "deferred" and "450" in str(first.results[0])
    clock.minutes = 4
    too_soon = first.retry()
    assert status(too_soon) == "deferred"
    clock.minutes = 31
    later = too_soon.retry()
    assert status(later) == "delivered"
    assert len(net.mailbox("mx.grey.test")) == 1


def test_the_delay_counts_from_the_first_try_not_the_last():
    net, clock = grey_world(delay_minutes=5)
    report = net.deliver(TO_ZOE)
    for minute in (1, 2, 3, 4):
        clock.minutes = minute
        report = report.retry()
        assert status(report) == "deferred"
    clock.minutes = 5
    assert status(report.retry()) == "delivered"


def test_another_sender_is_another_triplet():
    net, clock = grey_world(delay_minutes=5)
    net.deliver(TO_ZOE)
    clock.minutes = 10
    other = net.deliver(TO_ZOE.replace("alice@home.test", "bob@home.test"))
    assert status(other) == "deferred"  # (client, bob, zoe) was never seen


def test_without_a_delay_any_retry_is_accepted():
    net, _ = grey_world(delay_minutes=0)
    assert status(net.deliver(TO_ZOE).retry()) == "delivered"
