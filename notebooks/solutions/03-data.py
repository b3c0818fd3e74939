"""03 · DATA: one solution. Try the exercise yourself first!"""
# -- the answer --
from smtplearn.exercises import check

# RFC 5321 §4.5.2: a line starting with "." gets one more "." in front;
# §4.1.1.4: the message ends with <CRLF>.<CRLF>, so after "end\r\n" comes ".\r\n".
answer = b"..hidden\r\nend\r\n.\r\n"
feedback = check("03-data", answer)
print(feedback)
