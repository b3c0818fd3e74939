"""The servers a benchmark talks to, each in its own process, each on 127.0.0.1.

Every server runs in a subprocess so that the Python clients driving it do not
share its interpreter lock, and so that its memory can be read from
/proc/<pid>/status. ``start(name)`` starts one and waits until it listens;
``stop()`` ends it. The Python servers are started as ``python -m bench.peers
NAME``: they print ``ready PORT`` and serve until their stdin closes.

Postfix's ``smtp-sink`` is run directly (never the postfix daemon).
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

#: the servers we compare, in table order
SERVERS = ("smtplearn", "aiosmtpd", "smtp-sink")

#: postfix keeps smtp-sink/smtp-source outside PATH
POSTFIX_DIRS = ("/usr/sbin", "/usr/lib/postfix/sbin", "/sbin")

#: large enough for the 25 MiB memory probe, for every server
MESSAGE_SIZE_LIMIT = 64 * 1024 * 1024

#: transcripts kept by the smtplearn server under load (recording stays ON; this bounds memory)
KEEP_TRANSCRIPTS = 32


class PeerMissing(RuntimeError):
    """A peer program or package is not installed; the message says how to install it."""


def postfix_binary(name: str) -> str:
    """Path of smtp-sink or smtp-source, or PeerMissing with the install command."""
    path = shutil.which(name) or shutil.which(name, path=os.pathsep.join(POSTFIX_DIRS))
    if not path:
        raise PeerMissing(f"{name} not found: install Debian's postfix (make system-deps)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningPeer:
    """A server process listening on ``host:port``."""

    name: str
    host: str
    port: int
    process: subprocess.Popen

    def memory_kib(self) -> dict[str, int]:
        """VmRSS (now) and VmHWM (peak since start or the last ``reset_peak``), in KiB."""
        values = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
        return values

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux clear_refs "5"); False if not allowed."""
        try:
            with open(f"/proc/{self.process.pid}/clear_refs", "w") as refs:
                refs.write("5")
            return True
        except OSError:
            return False

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.stdin:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def __enter__(self) -> RunningPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(name: str, timeout: float = 10.0) -> RunningPeer:
    """Start server ``name`` (one of SERVERS) and return once it accepts connections."""
    if name == "smtp-sink":
        port = free_port()
        command = [postfix_binary("smtp-sink"), "-h", "bench.test"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # smtp-sink refuses to run as root without -u
        command += [f"127.0.0.1:{port}", "256"]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        _wait_listening(process, port, timeout)
        return RunningPeer(name, "127.0.0.1", port, process)
    if name not in SERVERS:
        raise ValueError(f"unknown server {name!r}; choose one of {', '.join(SERVERS)}")
    if name == "aiosmtpd":
        try:
            import aiosmtpd  # noqa: F401  (only to fail early with a clear message)
        except ImportError:
            raise PeerMissing("aiosmtpd is not installed: pip install -e '.[bench]'") from None
    process = subprocess.Popen([sys.executable, "-m", "bench.peers", name], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline().decode() if ready else ""
    if not line.startswith("ready "):
        process.kill()
        _, err = process.communicate(timeout=5)
        raise RuntimeError(f"{name} server did not start within {timeout} s: {err.decode()[-2000:]}")
    return RunningPeer(name, "127.0.0.1", int(line.split()[1]), process)


def _wait_listening(process: subprocess.Popen, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"smtp-sink exited with {process.returncode}: {err[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.recv(512)  # the greeting; a session that just closes is fine
            return
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"smtp-sink did not listen on 127.0.0.1:{port} within {timeout} s")


# -- the server side of the Python peers (python -m bench.peers NAME) --------------------
def _serve_smtplearn() -> None:
    from smtplearn import Limits, Server

    # recording stays ON; the server's own bounds (transcripts, turns, messages kept) hold memory
    server = Server(hostname="bench.test", limits=Limits(message_size=MESSAGE_SIZE_LIMIT),
                    keep_transcripts=KEEP_TRANSCRIPTS, keep_messages=16)
    with server:
        print(f"ready {server.address[1]}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin


def _serve_aiosmtpd() -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port(),
                            server_hostname="bench.test", data_size_limit=MESSAGE_SIZE_LIMIT)
    controller.start()
    try:
        print(f"ready {controller.port}", flush=True)
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    {"smtplearn": _serve_smtplearn, "aiosmtpd": _serve_aiosmtpd}[sys.argv[1]]()
