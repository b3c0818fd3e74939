"""The clients that drive the servers: Python's smtplib, Postfix's smtp-source, smtplearn.Client.

Each driver sends ``message`` up to ``count`` times and for at most
``max_seconds`` (whichever comes first) and returns a ``Measurement``. The
three shapes of load are the issue's: a new connection per message
("per_connection"), one persistent connection ("persistent"), and
``PARALLEL`` persistent connections at once ("parallel").
"""

from __future__ import annotations

import smtplib
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.peers import postfix_binary

MODES = ("per_connection", "persistent", "parallel")
PARALLEL = 4
SENDER, RECIPIENT = "bench@client.test", "sink@bench.test"
CLIENT_NAME = "client.bench.test"  # given to smtplib, which would otherwise ask DNS (getfqdn)


@dataclass(frozen=True)
class Measurement:
    messages: int
    seconds: float
    octets: int

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.octets / self.seconds / 1e6 if self.seconds else 0.0


def make_message(size: int) -> bytes:
    """An RFC 5322 message of exactly ``size`` octets, in 78-octet lines ending CRLF."""
    head = (f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: bench {size}\r\n"
            "Message-ID: <bench@client.test>\r\n\r\n").encode()
    line = b"x" * 76 + b"\r\n"
    body = line * ((size - len(head)) // len(line) + 1)
    message = head + body[:size - len(head)]
    return message[:-2] + b"\r\n" if not message.endswith(b"\r\n") else message


def _loop(send_one: Callable[[], None], count: int, max_seconds: float) -> tuple[int, float]:
    """Call ``send_one`` up to ``count`` times within ``max_seconds``; (calls, seconds)."""
    done, started = 0, time.perf_counter()
    deadline = started + max_seconds
    while done < count and time.perf_counter() < deadline:
        send_one()
        done += 1
    return done, time.perf_counter() - started


# -- smtplib ---------------------------------------------------------------------------
def smtplib_run(host: str, port: int, message: bytes, mode: str, count: int,
                max_seconds: float) -> Measurement:
    if mode == "per_connection":
        def one() -> None:
            with smtplib.SMTP(host, port, local_hostname=CLIENT_NAME, timeout=30) as smtp:
                smtp.sendmail(SENDER, [RECIPIENT], message)
        done, seconds = _loop(one, count, max_seconds)
        return Measurement(done, seconds, done * len(message))
    if mode == "persistent":
        with smtplib.SMTP(host, port, local_hostname=CLIENT_NAME, timeout=30) as smtp:
            smtp.ehlo()
            done, seconds = _loop(lambda: smtp.sendmail(SENDER, [RECIPIENT], message),
                                  count, max_seconds)
        return Measurement(done, seconds, done * len(message))
    if mode == "parallel":
        return _parallel(lambda share: smtplib_run(host, port, message, "persistent", share,
                                                   max_seconds), count)
    raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")


def _parallel(run_one: Callable[[int], Measurement], count: int) -> Measurement:
    """PARALLEL threads, each with its own connection and 1/PARALLEL of the messages."""
    results: list[Measurement] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(run_one(max(1, count // PARALLEL)))
        except BaseException as err:  # reported below, in the main thread
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(PARALLEL)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    seconds = time.perf_counter() - started
    return Measurement(sum(r.messages for r in results), seconds, sum(r.octets for r in results))


# -- smtplearn.Client --------------------------------------------------------------------
def smtplearn_run(host: str, port: int, message: bytes, mode: str, count: int,
                  max_seconds: float) -> Measurement:
    from smtplearn import Client

    def check(reply) -> None:
        if reply.code != 250:
            raise RuntimeError(f"server refused the message: {reply}")

    if mode == "per_connection":
        def one() -> None:
            with Client(host, port, local_hostname=CLIENT_NAME, timeout=30) as client:
                check(client.send_mail(SENDER, RECIPIENT, message))
        done, seconds = _loop(one, count, max_seconds)
        return Measurement(done, seconds, done * len(message))
    if mode == "persistent":
        with Client(host, port, local_hostname=CLIENT_NAME, timeout=30) as client:
            client.ehlo()
            done, seconds = _loop(lambda: check(client.send_mail(SENDER, RECIPIENT, message)),
                                  count, max_seconds)
        return Measurement(done, seconds, done * len(message))
    if mode == "parallel":
        return _parallel(lambda share: smtplearn_run(host, port, message, "persistent", share,
                                                     max_seconds), count)
    raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")


# -- Postfix smtp-source -------------------------------------------------------------------
def smtp_source_run(host: str, port: int, size: int, mode: str, count: int,
                    max_seconds: float) -> Measurement:
    """smtp-source sends ``count`` messages of ``size`` octets; it has no time limit of its
    own, so ``count`` must be modest; the process is killed after max(30, 10 x ``max_seconds``) s."""
    command = [postfix_binary("smtp-source"), "-m", str(count), "-l", str(size),
               "-f", SENDER, "-t", RECIPIENT, "-M", CLIENT_NAME]
    if mode in ("persistent", "parallel"):
        command.append("-d")  # do not disconnect after each message
    if mode == "parallel":
        command += ["-s", str(PARALLEL)]
    command.append(f"{host}:{port}")
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, timeout=max(30.0, max_seconds * 10))
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"smtp-source failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return Measurement(count, seconds, count * size)


CLIENTS = {"smtplib": smtplib_run, "smtp-source": None, "smtplearn.Client": smtplearn_run}


# -- NOOP round trip -------------------------------------------------------------------------
def noop_roundtrip_us(host: str, port: int, count: int, max_seconds: float) -> float:
    """Median microseconds from writing NOOP to reading its reply, on a raw socket
    (so the client adds as little as possible and the same for every server)."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _read_reply(sock)
        sock.sendall(f"EHLO {CLIENT_NAME}\r\n".encode())
        _read_reply(sock)
        times: list[float] = []
        deadline = time.perf_counter() + max_seconds
        while len(times) < count and time.perf_counter() < deadline:
            started = time.perf_counter()
            sock.sendall(b"NOOP\r\n")
            _read_reply(sock)
            times.append(time.perf_counter() - started)
        sock.sendall(b"QUIT\r\n")
    times.sort()
    return times[len(times) // 2] * 1e6


def _read_reply(sock: socket.socket) -> bytes:
    """Read one complete (possibly multi-line) reply."""
    data = b""
    for _ in range(1000):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"server closed the connection; got {data!r}")
        data += chunk
        last = data.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
        if data.endswith(b"\n") and last[3:4] == b" ":
            return data
    raise RuntimeError(f"no complete reply after 1000 reads: {data[:200]!r}")
