"""01 · The greeting: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
import smtplearn
pair = smtplearn.Pair()
reply = pair.ehlo("student.example")
# -- the answer --
from smtplearn.exercises import check

# The EHLO reply lists "SIZE 10485760"; the client keeps the keywords in a dict of strings.
size_limit = int(pair.extensions["SIZE"])
feedback = check("01-greeting", size_limit)
print(feedback)
