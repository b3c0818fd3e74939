"""09 · Console lab: one solution. Try the exercise yourself first!

What the buttons do, written as the calls they make (Console.press is the button,
Console.type_line is the raw-line box).
"""
# -- as in the notebook --
from smtplearn import Pair
from smtplearn.widgets import Console
pair = Pair()
console = Console(pair)
# -- the answer --
from smtplearn.exercises import check

console.press("EHLO")
console.press("MAIL")                     # the sender box: alice@example.org
console.press("RCPT")                     # the recipient box: bob@example.org
console.press("DATA")                     # 354: now the message, line by line
console.type_line("Subject: Hello from the console")
console.type_line("")                     # the empty line between headers and body (RFC 5322 §2.1)
console.type_line("Hi Bob!")
console.type_line(".")                    # the end mark: a line holding only "." (RFC 5321 §4.1.1.4)
console.press("QUIT")
feedback = check("09-console-lab", pair)
print(feedback)
