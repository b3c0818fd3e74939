"""The ready-made world the course notebooks use: ``MiniInternet.classroom()``.

Each domain shows one lesson of mail routing; the table is the whole design,
so a notebook can print it and a student can predict every outcome first.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DOMAINS", "HOSTS", "LESSONS", "SAMPLE_MESSAGE"]

#: domain -> what it teaches
LESSONS = {
    "school.test": "failover: MX 10 is down (connection refused), MX 20 takes the mail (RFC 5321 §5.1)",
    "post.test": "failover: MX 10 answers 421 (busy), MX 20 takes the mail; nobody@post.test gets 550",
    "grey.test": "greylisting: 450 the first time, accepted when the sender retries (RFC 6647; retries: RFC 5321 §4.5.4.1)",
    "nomail.test": "null MX (MX 0 .): the domain accepts no mail, the message bounces at once (RFC 7505)",
    "solo.test": "implicit MX: no MX records, so mail goes to the domain's own address (RFC 5321 §5.1)",
}

SAMPLE_MESSAGE = (
    "From: Alice <alice@home.test>\r\n"
    "To: bob@school.test, carol@post.test\r\n"
    "Subject: Where does mail go?\r\n"
    "\r\n"
    "Hello! This message travels through the mini-Internet.\r\n"
)


#: Two domains with two MX each, a greylisting host, a null MX, an implicit MX.
#: domain -> the options of ``MiniInternet.add_domain``
DOMAINS: dict[str, dict[str, Any]] = {
    "school.test": {"mx": [("mx1.school.test", 10), ("mx2.school.test", 20)]},
    "post.test": {"mx": [("mx1.post.test", 10), ("mx2.post.test", 20)]},
    "grey.test": {"mx": [("mx.grey.test", 10)]},
    "nomail.test": {"null_mx": True},
    "solo.test": {"address": True},
}

#: host -> the options of ``MiniInternet.host`` (how it differs from a host that just works)
HOSTS: dict[str, dict[str, Any]] = {
    "mx1.school.test": {"behaviour": "down"},
    "mx1.post.test": {"behaviour": "busy"},
    "mx2.post.test": {"rejects": ["nobody@post.test"]},
    "mx.grey.test": {"behaviour": "greylist"},
}
