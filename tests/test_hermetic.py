# Proves scripts/hermetic.sh works: inside its network namespace only loopback
# exists, so any other address fails at once instead of timing out. The script sets
# SMTPLEARN_HERMETIC=1 only when it really made the namespace.
import errno
import os
import socket
import time

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("SMTPLEARN_HERMETIC") != "1",
    reason="not under scripts/hermetic.sh with a network namespace (needs root)",
)


def test_non_loopback_is_unreachable_at_once():
    started = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        # 192.0.2.1 is TEST-NET-1 (RFC 5737): never routed anywhere real.
        with pytest.raises(OSError) as caught:
            sock.connect(("192.0.2.1", 25))
    assert caught.value.errno == errno.ENETUNREACH
    assert time.monotonic() - started < 1.0


def test_loopback_still_works(free_port):
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
