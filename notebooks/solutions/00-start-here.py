"""00 · Start here: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
import smtplearn
pair = smtplearn.Pair()
pair.ehlo()
pair.send_mail("alice@example.org", ["bob@example.net"], "Subject: Hello\r\n\r\nHi Bob!\r\n")
pair.quit()
# -- the answer --
from smtplearn.exercises import check

# The reply to the end of data (<CRLF>.<CRLF>, RFC 5321 §4.1.1.4) is the one that accepts the message.
# In the transcript it is the turn whose trigger is the end-of-data signal, not a command verb.
from smtplearn.protocol.states import Signal

accepted = [turn.reply for turn in pair.transcript.turns if turn.exchange.trigger is Signal.END_OF_DATA]
answer = accepted[0].code
feedback = check("00-start-here", answer)
print(feedback)
