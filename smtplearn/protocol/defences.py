"""How a server defends itself without breaking the protocol: counts, waits, and when to close.

RFC 5321 §3.8 forbids closing a session over commands the server did not
understand ("Servers are expected to be tolerant of unknown commands, issuing
a 500 reply and awaiting further instructions"), but §7.8 lets a server
"detect such attacks and take action to defend themselves", and RFC 4954 §9
lets it drop a connection after failed authentications (not before three).
This module owns the counting; the numbers live in ``Limits``; the waiting
is the transport's job (``ServerSession.reply_delay``): the core never sleeps.
"""

from __future__ import annotations

from smtplearn.protocol.limits import Limits
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import Signal, Trigger, Verb

#: refusals that are not the client's mistake, so they never slow the replies (the tarpit):
#: §4.5.3.1.10 tells a client that gets 452 for too many recipients to send the rest in a
#: later transaction (Postfix likewise does not count these until smtpd_recipient_overshoot_limit)
NOT_ERRORS = frozenset({"too_many_recipients"})


class Defences:
    """What one connection has done wrong so far, and what the server does about it.

    - refused commands in a row (a reply of 500 or more to a command line; an
      accepted command resets it): beyond ``Limits.tarpit_after`` each reply waits
      ``tarpit_step`` seconds more, at most ``tarpit_max``;
    - failed AUTH attempts (535) for the whole connection, never reset (neither a
      334 challenge nor a NOOP does): from ``auth_failures_slow`` on every reply
      waits the same growing steps; ``auth_failures_close`` closes with 421;
    - RCPTs refused with 5yz in a row (only an accepted RCPT resets it):
      ``refused_recipients`` of them close with 421 (§7.8's harvesting example).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.refused_in_a_row = 0
        self.auth_failures = 0
        self.refused_recipients = 0

    def count(self, trigger: Trigger | None, answer: Reply) -> float:
        """Count ``answer`` to ``trigger``; the seconds this reply should wait before it is sent."""
        code, limits = answer.code, self.limits
        if trigger is None or isinstance(trigger, Verb):  # a command line (None: no known verb)
            if code >= 500 and answer.name not in NOT_ERRORS:
                self.refused_in_a_row += 1
            elif code < 400:
                self.refused_in_a_row = 0
        if code == 535 and trigger in (Verb.AUTH, Signal.AUTH_RESPONSE):
            self.auth_failures += 1  # RFC 4954 §6: 535 "Authentication credentials invalid"
        if trigger is Verb.RCPT and code >= 500:
            self.refused_recipients += 1
        elif trigger is Verb.RCPT and code < 400:
            self.refused_recipients = 0
        steps = max(self.refused_in_a_row - limits.tarpit_after,
                    self.auth_failures - limits.auth_failures_slow + 1, 0)
        return min(steps * limits.tarpit_step, limits.tarpit_max)

    @property
    def close_reason(self) -> str | None:
        """``"auth_failures"`` or ``"refused_recipients"`` once a limit is reached (the
        catalogue's ``closing_...`` reply names it), else None."""
        if self.auth_failures >= self.limits.auth_failures_close:
            return "auth_failures"         # RFC 4954 §9, RFC 5321 §7.8
        if self.refused_recipients >= self.limits.refused_recipients:
            return "refused_recipients"    # RFC 5321 §7.8
        return None

    def note(self, delay: float) -> str:
        """Why a reply waits ``delay`` seconds, for the transcript."""
        if self.auth_failures >= self.limits.auth_failures_slow:
            why = (f"{self.auth_failures} failed AUTH attempts on this connection; at "
                   f"{self.limits.auth_failures_close} it closes with 421 (RFC 4954 §9)")
        else:
            why = (f"{self.refused_in_a_row} refused commands in a row; RFC 5321 §3.8 forbids "
                   "closing for commands not understood, so the server slows down instead (a tarpit)")
        return f"the server waits {delay:g} s before sending this reply: {why}"
