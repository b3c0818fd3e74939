"""12 · Trace fields and bounces: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
from smtplearn.mini_internet.roles import MailSystem
from email import message_from_bytes, policy
looping = MailSystem()
looping.forward("mx.school.test", to="out.home.test")
loop_journey = looping.send("From: Alice <alice@home.test>\r\nTo: bob@school.test\r\n"
                            "Subject: Round and round\r\n\r\nHello?\r\n")
# -- the answer --
from smtplearn.exercises import check

bounce = message_from_bytes(loop_journey.delivered["alice@home.test"], policy=policy.default)
status_part = bounce.get_payload()[1]            # the message/delivery-status part
per_message, *per_recipient = status_part.get_payload()
for block in per_recipient:
    if block["Final-Recipient"] == "rfc822; bob@school.test":
        answer = block["Status"]
print(answer)                                    # 5.4.6: routing loop detected (RFC 3463 §3.5)
feedback = check("12-trace-and-bounces", answer)
print(feedback)
