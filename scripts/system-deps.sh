#!/bin/sh
# Install the Debian packages whose programs smtplearn's tests, diagrams and lab drive
# as real peers: dot (graphviz), rsvg-convert (librsvg2-bin: a diagram's SVG as PNG), swaks with its TLS module (libnet-ssleay-perl: only a
# Recommends of swaks, and we install without recommends), dnsmasq, smtp-sink/
# smtp-source (postfix), nc for the course's terminal exercise (netcat-openbsd),
# headless chromium, ip/unshare for scripts/hermetic.sh, and npm (`make lite` fetches
# Pyodide and Graphviz-in-WebAssembly from the npm registry with `npm pack`).
#
# Usage: scripts/system-deps.sh [PACKAGE...]     (no arguments: all of them)
#
# Idempotent: every package is checked first (dpkg, or its program on PATH), so a
# machine that already has everything makes no apt call. Without root we only say
# what is missing and carry on; the tests that need it skip and name the package.
set -eu

ALL="graphviz librsvg2-bin swaks libnet-ssleay-perl dnsmasq-base postfix netcat-openbsd chromium iproute2 util-linux npm"
PACKAGES="${*:-$ALL}"

# The program each package provides, so non-Debian hosts that have it count too.
program_of() {
    case "$1" in
        graphviz) echo dot ;;
        librsvg2-bin) echo rsvg-convert ;;
        dnsmasq-base) echo dnsmasq ;;
        postfix) echo smtp-sink ;;
        iproute2) echo ip ;;
        util-linux) echo unshare ;;
        netcat-openbsd) echo nc ;;
        # a Perl module, not a program: only dpkg can say it is there
        libnet-ssleay-perl) echo /nonexistent/Net-SSLeay ;;
        *) echo "$1" ;;
    esac
}

installed() {
    # `dpkg -s` alone says yes for removed-but-configured packages; check the status.
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
    # smtp-sink lives outside PATH (/usr/sbin or /usr/lib/postfix/sbin).
    PATH="$PATH:/usr/sbin:/sbin:/usr/lib/postfix/sbin" command -v "$(program_of "$1")" >/dev/null 2>&1
}

missing=""
for pkg in $PACKAGES; do
    installed "$pkg" || missing="$missing $pkg"
done
# Debian's own python3 cannot make the .venv without python3-venv (ensurepip).
if ! "${PYTHON:-python3}" -c 'import ensurepip' >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi

if [ -z "$missing" ]; then
    echo "system-deps: all present:$PACKAGES"
    exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: MISSING:$missing"
    echo "system-deps: install them with:  sudo apt-get install --no-install-recommends$missing"
    echo "system-deps: continuing; tests that need them will be skipped with a reason."
    exit 0
fi

echo "system-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# We only run postfix's smtp-sink/smtp-source test programs, never the mail daemon:
# "No configuration" makes the package install without asking and without a main.cf.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086  # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing
