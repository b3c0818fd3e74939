"""04 · The state machine: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
import smtplearn
pair = smtplearn.Pair()
# -- the answer --
from smtplearn.exercises import check

pair.ehlo()
pair.mail("alice@example.org")
pair.rcpt("bob@example.net")      # the server is now in RCPT
pair.rset()                       # §4.1.1.5: drop the transaction, keep the session (READY)
feedback = check("04-state-machine", pair)
print(feedback)
