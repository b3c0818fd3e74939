"""In-memory Pair sessions per second: the whole protocol core with no sockets.

One session is what a notebook cell does most: greet, EHLO, one message, QUIT,
with the transcript recorded (it always is).
"""

from __future__ import annotations

import time
from typing import Any

MESSAGE = b"Subject: pair\r\n\r\n" + b"hello\r\n" * 100


def one_session() -> None:
    from smtplearn import Pair

    pair = Pair()
    pair.ehlo()
    reply = pair.send_mail("alice@example.org", "bob@example.org", MESSAGE)
    if reply.code != 250:
        raise RuntimeError(f"Pair refused the message: {reply}")
    pair.quit()


def run(max_seconds: float = 1.5, scale: float = 1.0) -> dict[str, Any]:
    one_session()  # warm up (imports)
    count, done = max(2, int(20000 * scale)), 0
    started = time.perf_counter()
    deadline = started + max_seconds
    while done < count and time.perf_counter() < deadline:
        one_session()
        done += 1
    seconds = time.perf_counter() - started
    return {"rows": [{"id": "pair/sessions", "unit": "sessions/s",
                      "values": {"smtplearn.Pair": round(done / seconds, 1)}}], "errors": {}}
