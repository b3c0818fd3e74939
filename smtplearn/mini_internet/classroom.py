"""The ready-made world the course notebooks use: ``MiniInternet.classroom()``.

Each domain shows one lesson of mail routing; the table is the whole design,
so a notebook can print it and a student can predict every outcome first.
"""

from __future__ import annotations

from smtplearn.mini_internet.world import MiniInternet

__all__ = ["classroom", "LESSONS", "SAMPLE_MESSAGE"]

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


def classroom(seed: int = 0) -> MiniInternet:
    """Two domains with two MX each, a greylisting host, a null MX, an implicit MX."""
    net = MiniInternet(seed=seed)
    net.add_domain("school.test", mx=[("mx1.school.test", 10), ("mx2.school.test", 20)])
    net.add_domain("post.test", mx=[("mx1.post.test", 10), ("mx2.post.test", 20)])
    net.add_domain("grey.test", mx=[("mx.grey.test", 10)])
    net.add_domain("nomail.test", null_mx=True)
    net.add_domain("solo.test", address=True)
    net.host("mx1.school.test", behaviour="down")
    net.host("mx1.post.test", behaviour="busy")
    net.host("mx2.post.test", rejects=["nobody@post.test"])
    net.host("mx.grey.test", behaviour="greylist")
    return net
