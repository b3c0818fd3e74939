"""The mini-Internet: DNS from zone text and mail servers in-process, for class, offline.

    from smtplearn.mini_internet import MiniInternet
    net = MiniInternet.classroom()
    report = net.deliver(message)      # the same deliver() as on the real Internet
    net.mailbox("mx2.school.test")

Importing this package does not load dnspython: the zone resolver (which does)
is imported when a world first answers a DNS question.
"""

from smtplearn.mini_internet.classroom import LESSONS, SAMPLE_MESSAGE
from smtplearn.mini_internet.hosts import Behaviour, MiniHost
from smtplearn.mini_internet.world import MiniInternet

__all__ = ["LESSONS", "SAMPLE_MESSAGE", "Behaviour", "MiniHost", "MiniInternet"]
