"""Load and leaks: many clients at once, every message stored exactly once, byte for byte.

The quick test runs in the default suite (10 clients x 5 messages). The
``soak`` ones run with ``make soak``: 50 concurrent clients x 40 messages
(half smtplib, half ``smtplearn.Client``), and 10,000 sessions checked for
leaked threads, sockets (/proc/self/fd) and memory (RSS). Each prints its
figures (messages, concurrency, peak threads, peak RSS) on the terminal.
Every loop is bounded in count and time.
"""

from __future__ import annotations

import gc
import hashlib
import os
import random
import smtplib
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from smtplearn import Client, Server
from wire import wait_for

SOAK_CLIENTS, SOAK_MESSAGES = 50, 40
LEAK_SESSIONS, LEAK_WORKERS = 10_000, 10


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@dataclass
class Peaks:
    """Samples the server and the process every few milliseconds while a run lasts."""

    server: Server
    connections: int = 0
    threads: int = 0
    rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Peaks:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.connections = max(self.connections, self.server.active_connections)
            self.threads = max(self.threads, threading.active_count())
            self.rss = max(self.rss, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def message(client: int, number: int) -> bytes:
    """A unique message with what transparency must survive: leading dots, long lines, a lone "."."""
    rng = random.Random(client * 100_003 + number)
    lines = [f"Message-ID: <{client}.{number}@load.test>", f"Subject: load {client} {number}", ""]
    for _ in range(rng.randrange(3, 40)):
        kind = rng.randrange(6)
        if kind == 0:
            lines.append("." * rng.randrange(1, 4) + "leading dots")
        elif kind == 1:
            lines.append(".")
        elif kind == 2:
            lines.append("x" * rng.randrange(500, 998))
        else:
            lines.append(" ".join(rng.choice(["mail", "moves", "by", "SMTP", "hop"]) for _ in range(12)))
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def send_with_smtplib(address, client: int, count: int, barrier: threading.Barrier) -> list[str]:
    sent = []
    with smtplib.SMTP(*address, local_hostname=f"c{client}.load.test", timeout=60) as smtp:
        smtp.ehlo()
        barrier.wait(60)
        for n in range(count):
            body = message(client, n)
            smtp.sendmail(f"c{client}@load.test", [f"r{n}@example.org"], body)
            sent.append(digest(body))
    return sent


def send_with_client(address, client: int, count: int, barrier: threading.Barrier) -> list[str]:
    sent = []
    with Client(*address, local_hostname=f"c{client}.load.test", timeout=60) as smtp:
        smtp.ehlo()
        barrier.wait(60)
        for n in range(count):
            body = message(client, n)
            reply = smtp.send_mail(f"c{client}@load.test", f"r{n}@example.org", body)
            assert reply.code == 250, reply
            sent.append(digest(body))
    return sent


def run_load(server: Server, clients: int, messages: int) -> tuple[Counter, Peaks, float]:
    """``clients`` connect, wait for each other (so all are open at once), then each sends.

    ``peaks.connections`` is what the server counted at the moment all had arrived.
    """
    at_once: list[int] = []
    barrier = threading.Barrier(clients, action=lambda: at_once.append(server.active_connections))
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        send = send_with_smtplib if n % 2 == 0 else send_with_client
        try:
            results[n] = send(server.address, n, messages, barrier)
        except BaseException as err:  # reported below, with the others
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(n,), name=f"load-{n}") for n in range(clients)]
    started = time.perf_counter()
    with Peaks(server) as peaks:
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert not errors, errors[:3]
    peaks.connections = max(peaks.connections, *at_once)
    return Counter(h for sent in results.values() for h in sent), peaks, elapsed


def check_stored(server: Server, sent: Counter) -> None:
    assert wait_for(lambda: server.mailbox.total >= sum(sent.values()), timeout=20)
    stored = Counter(digest(m.content) for m in server.mailbox)
    assert stored == sent, "every message stored exactly once and byte-identical"
    assert all(count == 1 for count in sent.values())


def report(capsys, title: str, **figures: object) -> None:
    with capsys.disabled():
        print(f"\n[{title}] " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def test_quick_load(capsys):
    with Server(max_connections=100) as server:
        sent, peaks, elapsed = run_load(server, clients=10, messages=5)
        check_stored(server, sent)
        assert peaks.connections == 10
    report(capsys, "quick load", messages=sum(sent.values()), peak_connections=peaks.connections,
           seconds=f"{elapsed:.2f}")


@pytest.mark.soak
def test_soak_50_clients_40_messages(capsys):
    with Server(max_connections=SOAK_CLIENTS + 10, keep_messages=100_000) as server:
        sent, peaks, elapsed = run_load(server, SOAK_CLIENTS, SOAK_MESSAGES)
        check_stored(server, sent)
    assert sum(sent.values()) == SOAK_CLIENTS * SOAK_MESSAGES
    assert peaks.connections >= SOAK_CLIENTS, f"only {peaks.connections} clients were open at once"
    report(capsys, "soak: concurrency", messages=sum(sent.values()), clients=SOAK_CLIENTS,
           peak_concurrent_connections=peaks.connections, peak_threads=peaks.threads,
           peak_rss_mib=f"{peaks.rss / 2**20:.1f}", seconds=f"{elapsed:.1f}",
           messages_per_second=f"{sum(sent.values()) / elapsed:.0f}")


# -- leaks over many sessions ---------------------------------------------------------------------
def one_session(address, n: int) -> None:
    body = message(n, 0)
    if n % 2:
        with Client(*address, timeout=30) as client:
            assert client.send_mail("a@load.test", "b@example.org", body).code == 250
    else:
        with smtplib.SMTP(*address, timeout=30) as smtp:
            smtp.sendmail("a@load.test", ["b@example.org"], body)


def run_sessions(server: Server, first: int, count: int, workers: int) -> None:
    numbers = iter(range(first, first + count))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        while not errors:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            try:
                one_session(server.address, n)
            except BaseException as err:
                errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert not any(t.is_alive() for t in threads), "a session hung"
    assert not errors, errors[:3]


def settled(server: Server, threads: int, fds: int) -> bool:
    return (server.active_connections == 0 and threading.active_count() <= threads
            and fd_count() <= fds)


@pytest.mark.soak
def test_soak_no_leaks_over_10000_sessions(capsys):
    with Server(max_connections=LEAK_WORKERS * 4, keep_transcripts=100) as server:
        run_sessions(server, 0, 1000, LEAK_WORKERS)  # warm up: caches, transcripts deque full
        server.mailbox.clear()
        assert wait_for(lambda: server.active_connections == 0, timeout=20)
        threads, fds, rss_start = threading.active_count(), fd_count(), rss_bytes()
        stored, checkpoints = 0, []
        started = time.perf_counter()
        with Peaks(server) as peaks:
            for first in range(1000, 1000 + LEAK_SESSIONS, 2000):
                run_sessions(server, first, 2000, LEAK_WORKERS)
                assert wait_for(lambda: server.mailbox.total == 2000, timeout=20)
                stored += server.mailbox.total
                server.mailbox.clear()  # the messages are data, not a leak
                gc.collect()
                checkpoints.append((rss_bytes(), sys.getallocatedblocks()))
        elapsed = time.perf_counter() - started
        assert wait_for(lambda: settled(server, threads, fds), timeout=20), (
            f"after {LEAK_SESSIONS} sessions: {server.active_connections} connections, "
            f"{threading.active_count()} threads (was {threads}), {fd_count()} fds (was {fds})")
    growth = checkpoints[-1][0] - checkpoints[0][0]
    blocks = checkpoints[-1][1] - checkpoints[0][1]
    report(capsys, "soak: leaks", sessions=LEAK_SESSIONS, messages=stored,
           concurrent_clients=LEAK_WORKERS, peak_connections=peaks.connections,
           peak_threads=peaks.threads, threads_after=threading.active_count(),
           fds_before=fds, fds_after=fd_count(), rss_start_mib=f"{rss_start / 2**20:.1f}",
           peak_rss_mib=f"{peaks.rss / 2**20:.1f}",
           rss_growth_last_8000_kib=growth // 1024, python_blocks_growth=blocks,
           seconds=f"{elapsed:.1f}")
    assert stored == LEAK_SESSIONS
    # Python objects: a leak of one object per session would add 8,000 blocks
    assert blocks < 2000, f"{blocks} more Python objects after 8,000 more sessions"
    # the C heap levels off after the first checkpoints (malloc arenas for the threads);
    # a leak of 2 KiB per session would add 16 MiB over the last 8,000 sessions
    assert growth < 16 * 2**20, f"RSS grew {growth / 2**20:.1f} MiB over 8,000 sessions"
