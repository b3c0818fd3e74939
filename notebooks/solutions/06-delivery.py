"""06 · Delivery: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
from smtplearn.mini_internet import MiniInternet, LESSONS
net = MiniInternet.classroom()
to_zoe = "From: alice@home.test\r\nTo: zoe@grey.test\r\nSubject: Greetings\r\n\r\nHi Zoe!\r\n"
# -- the answer --
from smtplearn.exercises import check

first = net.deliver(to_zoe)
print(first.summary())       # zoe@grey.test: deferred, mx.grey.test answered 450 (greylisted)
second = first.retry()       # what a sender's queue does later (RFC 5321 §4.5.4.1)
print(second.summary())      # delivered: same client, sender and recipient as before
answer = second
feedback = check("06-delivery", answer)
print(feedback)
