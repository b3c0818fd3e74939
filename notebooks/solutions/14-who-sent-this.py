"""14 · Who really sent this? One solution. Try the exercise yourself first!"""
# -- as in the notebook --
from smtplearn.mini_internet.roles import MailSystem
system = MailSystem().authenticate_mail()
from smtplearn.authentication import check_spf
# -- the answer --
from smtplearn.exercises import check

# a: the address of out.home.test passes (RFC 7208 §5.3); -all: every other host fails (§5.1)
system.net.add_record("club.test", "TXT", '"v=spf1 a:out.home.test -all"')
relay = system.net.host("out.home.test").addresses[0]
print(check_spf(relay, "news@club.test", "out.home.test", system.net.resolver))            # spf=pass
print(check_spf("203.0.113.66", "news@club.test", "forger.example", system.net.resolver))  # spf=fail
feedback = check("14-who-sent-this", system)
print(feedback)
