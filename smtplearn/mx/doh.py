"""Real DNS from a browser tab: DNS-over-HTTPS (RFC 8484), for JupyterLite and anywhere else.

This file owns ``DoHResolver``. A page cannot send UDP to port 53, but it can make
HTTP requests; RFC 8484 carries the same DNS wire message over HTTP instead. The
query is built by dnspython (so it is the message ``dig`` would send), carried as
the body of a POST or as the ``dns`` parameter of a GET with the media type
``application/dns-message``, and the answer is parsed by dnspython again. Like
``ZoneResolver`` (zone.py), it *is* a ``dns.resolver.Resolver`` whose nameserver is
different, so ``lookup_mx(domain, resolver=DoHResolver())`` runs unchanged:
CNAMEs, NXDOMAIN and NODATA are dnspython's own code.

In the browser (Pyodide) the request is the page's own XMLHttpRequest, synchronous,
which a worker (where the kernel runs) may make; the endpoint must allow
cross-origin requests (CORS), as the big public DoH services do. In a normal
Python it is urllib, so the same code is tested against a local server.

When no endpoint can be reached (a laptop offline, a firewall), and a fallback is
given or ``smtplearn.mx.recorded`` is installed, the lookups go on from recorded
answers, and a ``RecordedAnswersWarning`` says so plainly; ``resolver.offline``
tells a program.
"""

from __future__ import annotations

import base64
import importlib
import os
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from typing import Any

import dns.exception
import dns.message
import dns.nameserver
import dns.resolver

from smtplearn.browser import in_browser
from smtplearn.mx.zone import ZoneNameserver
from smtplearn.protocol.errors import Error, UsageError

__all__ = ["DEFAULT_ENDPOINT", "ENV_VAR", "MEDIA_TYPE", "DoHError", "DoHNameserver", "DoHResolver",
           "RecordedAnswersWarning", "Exchange", "wire_request"]

#: RFC 8484 §6: the media type of a DNS message in an HTTP body
MEDIA_TYPE = "application/dns-message"
#: a public resolver that answers RFC 8484 queries and allows cross-origin requests
DEFAULT_ENDPOINT = "https://cloudflare-dns.com/dns-query"
#: set it to use another endpoint by default (a school's own DoH server, a local test server)
ENV_VAR = "SMTPLEARN_DOH_URL"
METHODS = ("GET", "POST")

#: (url, method, headers, body) -> (HTTP status, Content-Type, body); raises OSError when unreachable
Exchange = Callable[[str, str, dict[str, str], bytes | None, float], tuple[int, str, bytes]]


class DoHError(Error, OSError):
    """The DoH endpoint answered, but not with a DNS message (an HTTP error, a wrong media type).

    An OSError, like an unreachable endpoint: dnspython then drops this nameserver at once
    instead of asking it again until the lifetime runs out."""


class RecordedAnswersWarning(UserWarning):
    """No DoH endpoint could be reached: the answers are recorded ones, not live DNS."""


def wire_request(endpoint: str, method: str, wire: bytes) -> tuple[str, dict[str, str], bytes | None]:
    """The HTTP request that carries the DNS query ``wire``: (url, headers, body)."""
    # RFC 8484 §4.1: a client SHOULD send an Accept header naming the media type it understands
    headers = {"Accept": MEDIA_TYPE}
    if method == "GET":
        # RFC 8484 §4.1 and §6: the GET variable "dns", base64url-encoded, no padding characters
        encoded = base64.urlsafe_b64encode(wire).rstrip(b"=").decode("ascii")
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}dns={encoded}", headers, None
    headers["Content-Type"] = MEDIA_TYPE  # RFC 8484 §4.1: a POST carries the message as its body
    return endpoint, headers, wire


def urllib_exchange(url: str, method: str, headers: dict[str, str], body: bytes | None,
                    timeout: float) -> tuple[int, str, bytes]:
    """One HTTP exchange with the standard library (a normal Python)."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as err:  # an answer, though not a good one
        return err.code, err.headers.get("Content-Type", ""), err.read()
    except urllib.error.URLError as err:
        raise OSError(f"cannot reach {url.split('?')[0]}: {err.reason}") from err


def browser_exchange(url: str, method: str, headers: dict[str, str], body: bytes | None,
                     timeout: float) -> tuple[int, str, bytes]:
    """One HTTP exchange with the page's XMLHttpRequest, synchronous (allowed in a worker)."""
    import js  # Pyodide's bridge to the browser
    from pyodide.ffi import JsException, to_js

    xhr = js.XMLHttpRequest.new()
    xhr.open(method, url, False)
    xhr.responseType = "arraybuffer"
    xhr.timeout = int(timeout * 1000)
    for name, value in headers.items():
        xhr.setRequestHeader(name, value)
    try:
        xhr.send(to_js(body) if body is not None else None)
    except JsException as err:  # a network error, a refused CORS check, a timeout
        raise OSError(f"cannot reach {url.split('?')[0]} from this page: {err}") from None
    content = bytes(js.Uint8Array.new(xhr.response).to_py()) if xhr.response else b""
    return int(xhr.status), str(xhr.getResponseHeader("Content-Type") or ""), content


def default_exchange() -> Exchange:
    return browser_exchange if in_browser() else urllib_exchange


def recorded_fallback() -> dns.resolver.Resolver | None:
    """The course's recorded answers (smtplearn.mx.recorded), if this version has them.

    Looked up by name: the recorded zones are an optional part of the course, not a
    module this one is built on."""
    try:
        recorded = importlib.import_module("smtplearn.mx.recorded")
    except ImportError:
        return None
    resolver: dns.resolver.Resolver = recorded.recorded_resolver()
    return resolver


class DoHNameserver(dns.nameserver.Nameserver):
    """Sends dnspython's query messages to an RFC 8484 endpoint and parses the answers."""

    def __init__(self, endpoint: str, method: str, exchange: Exchange,
                 fallback: dns.resolver.Resolver | None) -> None:
        super().__init__()
        if method not in METHODS:
            raise UsageError(f"method must be one of {METHODS}, not {method!r}")
        if not endpoint.startswith(("https://", "http://")):
            raise UsageError(f"a DoH endpoint is an http(s) URL, e.g. {DEFAULT_ENDPOINT!r}; got {endpoint!r}")
        self.endpoint = endpoint
        self.method = method
        self.exchange = exchange
        self.fallback = fallback
        #: why the answers are recorded ones, once the endpoint could not be reached
        self.offline_reason: str | None = None
        self.questions: list[str] = []

    def __str__(self) -> str:
        return self.endpoint

    def kind(self) -> str:
        return "DoH"

    def is_always_max_size(self) -> bool:
        return True  # an HTTP body has no 512-octet UDP limit, as with TCP

    def answer_nameserver(self) -> str:
        return self.endpoint

    def answer_port(self) -> int:
        return 443 if self.endpoint.startswith("https:") else 80

    def query(self, request: dns.message.QueryMessage, timeout: float, *args: Any, **kwargs: Any) -> dns.message.Message:
        question = request.question[0]
        self.questions.append(f"{question.name} {dns.rdatatype.to_text(question.rdtype)}")
        if self.offline_reason is not None:
            return self._recorded(request, timeout)
        # RFC 8484 §4.1: a DNS ID of 0 in every request, so identical questions are cacheable
        original_id, request.id = request.id, 0
        wire = request.to_wire()
        request.id = original_id
        url, headers, body = wire_request(self.endpoint, self.method, wire)
        try:
            status, content_type, content = self.exchange(url, self.method, headers, body, timeout)
        except OSError as err:
            if self.fallback is None:
                raise  # an OSError: dnspython gives up on this endpoint (NoNameservers)
            self.offline_reason = str(err)
            warnings.warn(RecordedAnswersWarning(
                f"No DNS-over-HTTPS answer ({err}). The lookups below use RECORDED answers "
                f"({self.fallback_description()}), not live DNS: they show how lookup_mx works, "
                "not where mail for these domains goes today."), stacklevel=2)
            return self._recorded(request, timeout)
        if status != 200:
            raise DoHError(f"DoH endpoint {self.endpoint} answered HTTP {status}, not a DNS message")
        if content_type.split(";")[0].strip().lower() != MEDIA_TYPE:
            raise DoHError(f"DoH endpoint {self.endpoint} answered {content_type or 'no Content-Type'}, "
                           f"not {MEDIA_TYPE}")
        answer = dns.message.from_wire(content)
        answer.id = original_id  # the ID was 0 on the wire; dnspython matches replies by ID
        return answer

    def fallback_description(self) -> str:
        describe = getattr(self.fallback, "describe", None)
        return str(describe()) if callable(describe) else "recorded zones"

    def _recorded(self, request: dns.message.QueryMessage, timeout: float) -> dns.message.Message:
        assert self.fallback is not None
        recorded = self.fallback.nameservers[0]
        assert isinstance(recorded, ZoneNameserver), "the fallback is the course's recorded zones"
        return recorded.query(request, timeout)


class DoHResolver(dns.resolver.Resolver):
    """A resolver that asks an RFC 8484 (DNS-over-HTTPS) endpoint: works in a browser tab too.

    ``endpoint`` defaults to $SMTPLEARN_DOH_URL, else DEFAULT_ENDPOINT. ``method`` is "GET"
    (no CORS pre-flight request, cacheable) or "POST". ``fallback`` is the resolver used when
    the endpoint cannot be reached: by default the course's recorded answers; ``False`` for none
    (the lookup then fails as a DNS failure would).

        >>> lookup_mx("python.org", resolver=DoHResolver())   # doctest: +SKIP
    """

    def __init__(self, endpoint: str | None = None, *, method: str = "GET",
                 fallback: dns.resolver.Resolver | bool | None = None, lifetime: float = 8.0,
                 exchange: Exchange | None = None) -> None:
        super().__init__(configure=False)  # never read /etc/resolv.conf: HTTP only
        if fallback is None or fallback is True:
            fallback = recorded_fallback()
        self.doh = DoHNameserver(endpoint or os.environ.get(ENV_VAR) or DEFAULT_ENDPOINT, method.upper(),
                                 exchange or default_exchange(), fallback or None)
        self.nameservers = [self.doh]
        self.lifetime = lifetime
        self.timeout = lifetime
        self.retry_servfail = False

    @property
    def offline(self) -> bool:
        """True once the endpoint could not be reached and recorded answers stand in."""
        return self.doh.offline_reason is not None

    def describe(self) -> str:
        """Who answers, for lookup_mx's notes (smtplearn.mx.resolver.describe_resolver)."""
        if self.offline:
            return f"recorded answers ({self.doh.fallback_description()}); {self.doh.endpoint} unreachable"
        return f"DNS-over-HTTPS {self.doh.method} {self.doh.endpoint}"
