#!/bin/sh
# Run a command with no network except loopback, so that no test can reach (or
# quietly depend on) the Internet or the machine's resolver: every peer a test talks
# to must be started by the test on 127.0.0.1.
#
# Usage: scripts/hermetic.sh COMMAND [ARG...]
#
# Needs root and `unshare -n` (util-linux) plus `ip` (iproute2). A new network
# namespace starts with only `lo`, and that is down, so we bring it up first. The
# filesystem and environment are shared, so .venv/bin/python works unchanged.
# SMTPLEARN_HERMETIC=1 tells tests/test_hermetic.py that isolation is in force.
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 \
    && command -v ip >/dev/null 2>&1 \
    && unshare -n ip link set lo up >/dev/null 2>&1; then
    export SMTPLEARN_HERMETIC=1
    # "$0" inside sh -c is the name below; "$@" is the caller's command.
    exec unshare -n sh -c 'ip link set lo up && exec "$@"' hermetic "$@"
fi

unset SMTPLEARN_HERMETIC  # an outer value must not claim isolation we lack
echo "hermetic.sh: note: no network namespace (needs root, unshare and ip);" \
     "running without network isolation." >&2
exec "$@"
