"""The mini-Internet: DNS from zone text and mail servers in-process, for class, offline.

    from smtplearn.mini_internet import MiniInternet
    net = MiniInternet.classroom()
    report = net.deliver(message)      # the same deliver() as on the real Internet
    net.mailbox("mx2.school.test")

Names load on first use, so ``import smtplearn`` does not load dnspython.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtplearn._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from smtplearn.mini_internet.classroom import LESSONS, SAMPLE_MESSAGE, classroom
    from smtplearn.mini_internet.hosts import Behaviour, MiniHost
    from smtplearn.mini_internet.world import MiniInternet

_EXPORTS: dict[str, str] = {
    "MiniInternet": "smtplearn.mini_internet.world",
    "MiniHost": "smtplearn.mini_internet.hosts",
    "Behaviour": "smtplearn.mini_internet.hosts",
    "classroom": "smtplearn.mini_internet.classroom",
    "LESSONS": "smtplearn.mini_internet.classroom",
    "SAMPLE_MESSAGE": "smtplearn.mini_internet.classroom",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
