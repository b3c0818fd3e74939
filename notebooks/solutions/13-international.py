"""13 · International mail: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
from email import policy
from email.message import EmailMessage
# -- the answer --
from smtplearn.exercises import check

message = EmailMessage()
message["From"] = "alice@home.test"
message["To"] = "bob@school.test"
message["Subject"] = "Grüße aus Köln"                          # policy.SMTP writes it as an encoded word
message.set_content("Schöne Grüße!\n", cte="quoted-printable")  # or cte="base64": ASCII either way
answer = message.as_bytes(policy=policy.SMTP)
print(answer.decode("ascii"))
feedback = check("13-international", answer)
print(feedback)
