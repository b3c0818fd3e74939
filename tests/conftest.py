# Shared test plumbing only: free loopback ports, the Debian programs the interop
# tests drive (swaks, smtp-sink, dnsmasq, ...), and a real DNS server on loopback.
# Fixtures for one feature belong beside that feature's tests, not here.
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

# postfix keeps smtp-sink/smtp-source outside PATH; sbin is not on a user's PATH.
EXTRA_BIN_DIRS = ("/usr/sbin", "/sbin", "/usr/lib/postfix/sbin")

# Which Debian package provides each program, for the "install with" message.
DEBIAN_PACKAGE = {
    "dot": "graphviz",
    "swaks": "swaks",
    "smtp-sink": "postfix",
    "smtp-source": "postfix",
    "dnsmasq": "dnsmasq-base",
    "chromium": "chromium",
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port the OS just handed out on 127.0.0.1 (bind to port 0, then release)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary(name: str) -> str:
    """Path of a system program; skip the test if it is missing (fail it under CI,
    where `make system-deps` installs everything, so missing means broken set-up)."""
    path = shutil.which(name) or shutil.which(name, path=os.pathsep.join(EXTRA_BIN_DIRS))
    if path:
        return path
    package = DEBIAN_PACKAGE.get(name, name)
    message = f"{name} not found; install with: make system-deps (apt-get install {package})"
    if _in_ci():
        pytest.fail(f"{message} [CI=true: CI installs every system package]", pytrace=False)
    pytest.skip(message)


def require_perl_module(module: str, package: str) -> None:
    """Skip unless Perl can load ``module`` (fail under CI, naming the Debian package).

    swaks loads its TLS support (Net::SSLeay) only when --tls is asked for, and Debian
    ships it as a mere Recommends of swaks, so a machine can have swaks without it."""
    perl = shutil.which("perl")
    if perl and subprocess.run([perl, f"-M{module}", "-e1"], capture_output=True).returncode == 0:
        return
    message = f"Perl module {module} not found; install with: make system-deps (apt-get install {package})"
    if _in_ci():
        pytest.fail(f"{message} [CI=true: CI installs every system package]", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def free_port() -> Callable[..., int]:
    """Call it for a fresh port: ``port = free_port()``."""
    return _free_port


@pytest.fixture(scope="session")
def perl_module() -> Callable[[str, str], None]:
    """Call it with a module and its Debian package: ``perl_module("Net::SSLeay", "libnet-ssleay-perl")``."""
    return require_perl_module


@pytest.fixture(scope="session")
def system_binary() -> Callable[[str], str]:
    """Call it with a program name: ``swaks = system_binary("swaks")``."""
    return find_binary


def _wait_for_dns(proc: subprocess.Popen, port: int, timeout: float = 5.0) -> bool:
    """True once the server answers a query (any answer); False if it died or hung."""
    import dns.exception
    import dns.message
    import dns.query

    query = dns.message.make_query("ready.invalid.", "A")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
            return True
        except (dns.exception.Timeout, OSError):
            time.sleep(0.05)
    return False


@pytest.fixture
def dnsmasq(system_binary, tmp_path) -> Iterator[Callable[..., tuple[str, int]]]:
    """Start a real dnsmasq on 127.0.0.1 serving only the records you pass, e.g.
    ``host, port = dnsmasq("--mx-host=example.test,mx.example.test,10",
    "--host-record=mx.example.test,127.0.0.1")``. It never forwards anywhere
    (no resolv.conf, no /etc/hosts). Stopped when the test ends."""
    binary = system_binary("dnsmasq")
    started: list[subprocess.Popen] = []

    def start(*records: str) -> tuple[str, int]:
        for _ in range(3):  # retry: the UDP port may be taken though TCP was free
            port = _free_port()
            log = tmp_path / f"dnsmasq-{port}.log"
            command = [
                binary,
                "--keep-in-foreground",
                "--conf-file=/dev/null",  # ignore /etc/dnsmasq.conf
                "--no-resolv",  # no upstream servers: nothing leaves the machine
                "--no-hosts",
                f"--port={port}",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",  # bind 127.0.0.1 only, not the wildcard
                "--local-ttl=60",
                "--pid-file=",  # no /run/dnsmasq.pid
                "--log-facility=-",  # log to stderr, i.e. our log file
                *records,
            ]
            if os.geteuid() == 0:
                # Stay root: dropping to "nobody" needs setuid rights some containers lack.
                command.append("--user=root")
            with open(log, "wb") as out:
                proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
            started.append(proc)
            if _wait_for_dns(proc, port):
                return ("127.0.0.1", port)
            _stop(proc)
            if "in use" not in log.read_text():
                break
        pytest.fail(f"dnsmasq did not answer on 127.0.0.1:{port}:\n{log.read_text()}")

    yield start
    for proc in started:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
