"""Record what notebook 07 shows on a normal Python, for the browser, where it cannot run.

Notebook 07 runs a real ``smtplearn.Server`` on a TCP port, sends it mail with Python's
``smtplib`` and with ``smtplearn.Client``. A browser tab has no sockets, so the course in
JupyterLite shows these recorded transcripts instead (``smtplearn.browser.recorded_run``).
This script makes them the same way the notebook does, on loopback:

    python scripts/record_runs.py        # rewrites smtplearn/recorded_runs/07-real-software.json

tests/test_lite_recorded.py runs it again and checks the recording still matches.
"""

from __future__ import annotations

import json
import smtplib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import smtplearn  # noqa: E402

OUT = REPO / "smtplearn" / "recorded_runs" / "07-real-software.json"


def record_07() -> dict:
    """The notebook's two sessions (smtplib, then our Client) against our Server, as transcripts."""
    server = smtplearn.Server(hostname="mx.class.test").start()
    try:
        host, port = server.address
        with smtplib.SMTP(host, port, local_hostname="laptop.example") as smtp:
            smtp.sendmail("alice@example.org", ["bob@example.net"],
                          "Subject: from smtplib\r\n\r\nHello over TCP!\r\n")
        with smtplearn.Client(host, port, local_hostname="laptop.example") as client:
            client.ehlo()
            client.send_mail("carol@example.org", ["dave@example.net"],
                             "Subject: from smtplearn\r\n\r\nHi!\r\n")
    finally:
        server.stop()
    sessions = [("Python's smtplib sending to smtplearn.Server (the server's transcript)",
                 server.transcripts[0]),
                ("smtplearn.Client sending to smtplearn.Server (the client's transcript)", client.transcript)]
    return {"notebook": "07-real-software", "recorded_with": f"smtplearn {smtplearn.__version__}, "
            f"Python {sys.version.split()[0]}", "sessions": [
                {"title": title, "transcript": json.loads(t.to_json())} for title, t in sessions]}


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(record_07(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
