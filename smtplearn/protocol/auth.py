"""SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms, without I/O.

This module owns what the base64 lines of an AUTH exchange *mean*: how to
build them (client), how to read them (server), and how to show them decoded
(transcripts). It never moves the session's state: ``SaslExchange`` only
returns the reply to send (334 for "go on", 235, 535 or 501), and the server
session moves the state from that reply through the transition table.

Why a teaching server shows the decoded text: base64 is an *encoding*, not
encryption. ``AUTH PLAIN AGFsaWNlAHNlY3JldA==`` is ``\\0alice\\0secret`` to
anyone who reads the wire, which is why PLAIN and LOGIN are offered only
after STARTTLS by default (RFC 4954 §4, RFC 4616 §6).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from smtplearn.protocol.catalogue import reply
from smtplearn.protocol.errors import RemoteProtocolError, UsageError
from smtplearn.protocol.refusals import refusal
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import Signal, Verb

#: the mechanisms we implement, in the order the EHLO AUTH line lists them (RFC 4954 §3)
MECHANISMS = ("PLAIN", "LOGIN")

#: LOGIN (draft-murchison-sasl-login) asks with these base64 challenges
LOGIN_USERNAME = base64.b64encode(b"Username:").decode("ascii")  # "VXNlcm5hbWU6"
LOGIN_PASSWORD = base64.b64encode(b"Password:").decode("ascii")  # "UGFzc3dvcmQ6"

#: RFC 4954 §4: a client answers "*" to cancel the exchange
CANCEL = "*"


class Authenticator(Protocol):
    """Checks a user name and password. Return True to let the client in."""

    def check(self, username: str, password: str) -> bool: ...


@dataclass(frozen=True)
class Credentials:
    """The simplest ``Authenticator``: a table of user name -> password (for class only).

    >>> Credentials({"alice": "secret"}).check("alice", "secret")
    True
    """

    users: Mapping[str, str]

    def check(self, username: str, password: str) -> bool:
        expected = self.users.get(username)
        # compare_digest: the time taken does not tell an attacker how much of the password was right
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())


# -- encoding and decoding --------------------------------------------------------------
def b64decode_line(text: str) -> bytes:
    """Decode one base64 AUTH line strictly; RemoteProtocolError (501) if it is not base64.

    RFC 4954 §4: "=" alone is a zero-length initial response.
    """
    if text == "=":
        return b""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        # RFC 4954 §4: "If the server cannot [BASE64] decode any client response, it MUST
        # reject the AUTH command with a 501 reply (and an enhanced status code of 5.5.2)"
        raise refusal("auth_not_base64") from None


def b64encode_text(text: str) -> str:
    """The base64 line a client sends for ``text`` (UTF-8, RFC 4616 §2)."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def plain_response(username: str, password: str, authzid: str = "") -> str:
    """The PLAIN message: [authzid] NUL authcid NUL passwd, base64-encoded (RFC 4616 §2)."""
    for name, value in (("user name", username), ("password", password), ("authzid", authzid)):
        if "\0" in value:
            raise UsageError(f"a PLAIN {name} cannot contain a NUL character (RFC 4616 §2)")
    return b64encode_text(f"{authzid}\0{username}\0{password}")


def decode_plain(message: bytes) -> tuple[str, str, str]:
    """(authzid, username, password) from a decoded PLAIN message (RFC 4616 §2)."""
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError:
        raise _syntax("the PLAIN message must be UTF-8 (RFC 4616 section 2)") from None
    parts = text.split("\0")
    if len(parts) != 3 or not parts[1]:
        raise _syntax("PLAIN needs base64 of [authzid] NUL user NUL password (RFC 4616 section 2)")
    return parts[0], parts[1], parts[2]


def shown_decoded(line: str) -> str | None:
    """What a base64 AUTH line says, for a transcript (NUL shown as \\0); None if not base64.

    >>> shown_decoded("AGFsaWNlAHNlY3JldA==")
    '\\\\0alice\\\\0secret'
    """
    try:
        raw = b64decode_line(line.strip())
    except RemoteProtocolError:
        return None
    if not raw:
        return None
    text = raw.decode("utf-8", "backslashreplace")
    return "".join("\\0" if c == "\0" else c if c.isprintable() else repr(c)[1:-1] for c in text)


def _syntax(detail: str) -> RemoteProtocolError:
    return refusal("syntax_error", detail=detail)


# -- the server's side of one exchange ----------------------------------------------------
class SaslExchange:
    """One AUTH exchange on the server: started by the AUTH command, fed each response line.

    Every method returns the reply to send. ``username`` is set once the
    client is authenticated (the reply was 235).
    """

    def __init__(self, mechanism: str, authenticator: Authenticator) -> None:
        self.mechanism = mechanism.upper()
        if self.mechanism not in MECHANISMS:
            raise refusal("param_not_implemented",
                          param=f"AUTH {mechanism[:20]} (we offer {' '.join(MECHANISMS)})")
        self._authenticator = authenticator
        self._login_user: str | None = None
        self.username: str | None = None

    def start(self, initial_response: str | None) -> Reply:
        """The reply to ``AUTH <mechanism> [initial-response]`` (RFC 4954 §4)."""
        if initial_response is not None:
            return self.respond(initial_response)
        if self.mechanism == "PLAIN":
            # RFC 4954 §4: "a server challenge that contains no data is defined as a 334 reply
            # with no text part" ("334 "): PLAIN's client sends first (RFC 4616 §2)
            return reply("auth_challenge", challenge="")
        return reply("auth_challenge", challenge=LOGIN_USERNAME)

    def respond(self, line: str) -> Reply:
        """The reply to one client line while in State.AUTH."""
        if line == CANCEL:
            return reply("auth_cancelled")  # RFC 4954 §4
        try:
            decoded = b64decode_line(line)
            if self.mechanism == "PLAIN":
                _, user, password = decode_plain(decoded)
                return self._verdict(user, password)
            text = decoded.decode("utf-8")
        except UnicodeDecodeError:
            return reply("syntax_error", detail="LOGIN user names and passwords must be UTF-8")
        except RemoteProtocolError as err:
            assert err.reply is not None
            return err.reply
        if self._login_user is None:
            self._login_user = text
            return reply("auth_challenge", challenge=LOGIN_PASSWORD)
        return self._verdict(self._login_user, text)

    def _verdict(self, user: str, password: str) -> Reply:
        if self._authenticator.check(user, password):
            self.username = user
            return reply("auth_ok")
        return reply("auth_failed")


def decoded_in_transcript(trigger: object, sent: bytes, reply_code: int | None = None,
                          reply_text: str = "") -> tuple[str | None, str | None]:
    """(what the client's AUTH line says, what a 334 challenge says), decoded for display.

    Transcripts show these beside the base64, e.g.
    ``AUTH PLAIN AGFsaWNlAHNlY3JldA== (decoded: \\0alice\\0secret)``.
    """
    sent_decoded = None
    text = sent.decode("utf-8", "replace").strip()
    if trigger is Verb.AUTH:
        words = text.split(" ")
        sent_decoded = shown_decoded(words[2]) if len(words) == 3 else None
    elif trigger is Signal.AUTH_RESPONSE and text != CANCEL:
        sent_decoded = shown_decoded(text)
    challenge = shown_decoded(reply_text) if reply_code == 334 and reply_text else None
    return sent_decoded, challenge
