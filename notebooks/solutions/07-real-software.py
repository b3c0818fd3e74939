"""07 · Real software: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
import smtplearn
server = smtplearn.Server(hostname="mx.class.test").start()
host, port = server.address
import smtplib
# -- the answer --
from smtplearn.exercises import check

try:
    with smtplib.SMTP(host, port, local_hostname="laptop.example") as smtp:
        # one message, two envelope recipients: smtplib sends one RCPT TO for each
        smtp.sendmail("alice@example.org", ["bob@example.net", "carol@example.net"],
                      "Subject: to two people\r\n\r\nHello both!\r\n")
    feedback = check("07-real-software", server)
    print(feedback)
finally:
    server.stop()
