"""06 · Delivery: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
from smtplearn.mini_internet import MiniInternet, LESSONS
net = MiniInternet.classroom()
grey = net.host("mx.grey.test")
minutes = 0
grey.clock = lambda: minutes * 60  # seconds on the lesson's clock
grey.greylist_delay = 5 * 60  # a retry sooner than 5 minutes is refused again
to_zoe = "From: alice@home.test\r\nTo: zoe@grey.test\r\nSubject: Greetings\r\n\r\nHi Zoe!\r\n"
first = net.deliver(to_zoe)
minutes = 1
too_soon = first.retry()
# -- the answer --
from smtplearn.exercises import check

print(too_soon.summary())    # zoe@grey.test: deferred, 450 again: one minute is too soon
minutes = 31                 # RFC 5321 §4.5.4.1: retry SHOULD come at least 30 minutes later
answer = too_soon.retry()    # what a sender's queue does then
print(answer.summary())      # delivered: same client address, sender and recipient as before
feedback = check("06-delivery", answer)
print(feedback)
