"""11 · STARTTLS and AUTH: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
import base64
# -- the answer --
from smtplearn.exercises import check

captured = "AUTH PLAIN AGJvYgBzd29yZGZpc2g="
decoded = base64.b64decode(captured.split()[-1])   # b'\x00bob\x00swordfish'
authzid, user, password = decoded.split(b"\x00")   # RFC 4616 §2: [authzid] NUL authcid NUL passwd
answer = password.decode("utf-8")
print(user, answer)
feedback = check("11-starttls-auth", answer)
print(feedback)
