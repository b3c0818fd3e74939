"""smtplearn.Server serves every connection from ONE event loop thread (issue 11), and stop() ends it."""

from __future__ import annotations

import smtplib
import threading

from smtplearn import Server
from wire import wait_for


def server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "smtplearn-server"]


def test_one_loop_thread_serves_clients_one_after_another_and_in_parallel() -> None:
    before = threading.active_count()
    server = Server(hostname="mx.test").start()
    try:
        host, port = server.address
        for n in range(5):
            with smtplib.SMTP(host, port, local_hostname="client.test", timeout=10) as smtp:
                smtp.sendmail("a@example.org", ["b@example.org"], f"Subject: {n}\r\n\r\nhi\r\n")
        clients = [smtplib.SMTP(host, port, local_hostname="client.test", timeout=10) for _ in range(20)]
        assert wait_for(lambda: server.active_connections == 20)
        for smtp in clients:
            assert smtp.noop()[0] == 250
        # 20 clients at once, and still one thread more than before the server started
        assert threading.active_count() == before + 1 and len(server_threads()) == 1
        for smtp in clients:
            smtp.quit()
        assert wait_for(lambda: server.active_connections == 0)
        assert server.mailbox.total == 5 and len(server.transcripts) == 25
    finally:
        server.stop()
    assert not server_threads() and threading.active_count() == before


def test_the_server_runs_beside_a_running_event_loop() -> None:
    """A notebook cell runs inside Jupyter's event loop: start()/stop() must work there too."""
    import asyncio

    async def cell() -> int:
        with Server(hostname="mx.test") as server:
            # a blocking client in a worker thread, as a notebook would use smtplib
            def send() -> int:
                with smtplib.SMTP(*server.address, local_hostname="client.test", timeout=10) as smtp:
                    return smtp.noop()[0]
            return await asyncio.get_running_loop().run_in_executor(None, send)

    assert asyncio.run(cell()) == 250


def test_the_loop_is_uvloop_when_installed_and_asyncio_without_it(monkeypatch) -> None:
    """uvloop is optional (smtplearn[fast]): SMTPLEARN_UVLOOP=0 and a missing uvloop both give
    asyncio's loop, and the server behaves the same on either."""
    import asyncio
    import sys

    from smtplearn.transports.server import new_event_loop

    def send_one() -> str:
        with Server(hostname="mx.test") as server, smtplib.SMTP(
                *server.address, local_hostname="client.test", timeout=10) as smtp:
            smtp.sendmail("a@example.org", ["b@example.org"], "Subject: x\r\n\r\nhi\r\n")
            loop_type = type(server._loop).__module__
        assert server.mailbox.total == 1
        return loop_type

    try:
        import uvloop  # noqa: F401
    except ImportError:
        assert send_one() == "asyncio.unix_events"
    else:
        assert send_one().startswith("uvloop")
    monkeypatch.setenv("SMTPLEARN_UVLOOP", "0")
    assert send_one() == "asyncio.unix_events"
    monkeypatch.delenv("SMTPLEARN_UVLOOP")
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if it were not installed
    loop = new_event_loop()
    assert isinstance(loop, asyncio.AbstractEventLoop) and type(loop).__module__ == "asyncio.unix_events"
    loop.close()
