"""10 · The mail system: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
from smtplearn.mini_internet.roles import MailSystem, ROLE_TEXT
system = MailSystem()
message = (
    "From: Alice <alice@home.test>\r\n"
    "To: Bob <bob@school.test>\r\n"
    "Subject: Lunch?\r\n"
    "\r\n"
    "Shall we meet at noon?\r\n"
)
journey = system.send(message, user="alice", password="wonderland")
# -- the answer --
from smtplearn.exercises import check

received = journey.received("bob@school.test")  # newest first, as stored
for line in received:
    print(line)
oldest = received[-1]                            # the bottom line was written first
answer = oldest.split(" by ", 1)[1].split()[0]   # the server that wrote a line follows "by"
print(answer)                                    # smtp.home.test: the MSA
feedback = check("10-mail-system", answer)
print(feedback)
