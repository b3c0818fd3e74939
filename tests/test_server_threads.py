"""smtplearn.Server reuses a connection's thread for the next client, and ends idle threads on stop()."""

from __future__ import annotations

import smtplib
import threading

from smtplearn import Server
from wire import wait_for


def connection_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "smtplearn-connection"]


def test_one_thread_serves_clients_one_after_another_and_ends_on_stop() -> None:
    before = set(connection_threads())
    server = Server(hostname="mx.test").start()
    try:
        host, port = server.address
        for n in range(5):
            with smtplib.SMTP(host, port, local_hostname="client.test", timeout=10) as smtp:
                smtp.sendmail("a@example.org", ["b@example.org"], f"Subject: {n}\r\n\r\nhi\r\n")
            assert wait_for(lambda: server.active_connections == 0)
        assert len(server.mailbox) == 5 and len(server.transcripts) == 5
        assert len(set(connection_threads()) - before) == 1  # the first client's thread served all
    finally:
        server.stop()
    assert wait_for(lambda: not set(connection_threads()) - before)  # the idle thread ended


def test_parallel_clients_get_their_own_threads() -> None:
    with Server(hostname="mx.test") as server:
        host, port = server.address
        clients = [smtplib.SMTP(host, port, local_hostname="client.test", timeout=10) for _ in range(3)]
        try:
            assert wait_for(lambda: server.active_connections == 3)
            for smtp in clients:
                assert smtp.noop()[0] == 250
        finally:
            for smtp in clients:
                smtp.quit()
        assert wait_for(lambda: server.active_connections == 0)
