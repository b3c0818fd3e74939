"""08 · Security: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
import smtplearn
# -- the answer --
from smtplearn.exercises import check

pair = smtplearn.Pair(hostname="mx.school.test", local_domains=["school.test"])
pair.ehlo()
pair.mail("stranger@elsewhere.example")
reply = pair.rcpt("victim@elsewhere.example")  # not a local domain: the server must not relay
print(reply)
feedback = check("08-security", reply)
print(feedback)
