"""02 · The envelope: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
import smtplearn
pair = smtplearn.Pair()
# -- the answer --
from smtplearn.exercises import check

pair.ehlo()
pair.mail("alice@example.org")
pair.rcpt("bob@example.net")      # named in To:
pair.rcpt("carol@example.net")    # in the envelope only: a blind copy
pair.data("From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Lunch\r\n\r\nSee you at noon.\r\n")
pair.quit()
feedback = check("02-envelope", pair)
print(feedback)
