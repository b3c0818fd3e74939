"""05 · MX lookups: one solution. Try the exercise yourself first!"""
# -- as in the notebook --
from smtplearn.mx import ZoneResolver
school = ZoneResolver("""
$ORIGIN school.test.
@       MX  20 backup
@       MX  10 mail
backup  A   192.0.2.20
mail    A   192.0.2.10
www     A   192.0.2.80
""")
# -- the answer --
from smtplearn.exercises import check
from smtplearn.mx import lookup_mx

# lookup_mx sorts the hosts as a sender tries them: the lowest preference first (RFC 5321 §5.1).
# The zone lists backup first, but order in the zone (or in a DNS answer) means nothing.
result = lookup_mx("school.test", school)
print(result)
first_host = result.hosts[0].name
feedback = check("05-mx-lookups", first_host)
print(feedback)
