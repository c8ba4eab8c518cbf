#!/usr/bin/env bash
# Installs what the benchmark needs, from Debian's packages, when missing:
# nginx and openssl (required), and the peers fetchall is measured against
# (wget, wget2, aria2c, rclone, lftp, curl, python3-bs4 for the seed program).
# A peer that cannot be installed is reported and skipped; the benchmark runs
# without it. Needs root for apt-get; runs with no TTY or stdin.
#
# Usage: bench/setup.sh [--no-install]   (--no-install only reports)
set -uo pipefail

install=1
[ "${1:-}" = "--no-install" ] && install=0

export DEBIAN_FRONTEND=noninteractive
updated=0
missing_required=0

# have COMMAND: is it on PATH?
have() { command -v "$1" >/dev/null 2>&1; }

# python_has_bs4: can Debian's python import BeautifulSoup? (The seed program is
# run with /usr/bin/python3, since that is where python3-bs4 installs.)
python_has_bs4() { /usr/bin/python3 -c 'import bs4' >/dev/null 2>&1; }

# ensure LABEL PACKAGE CHECK...: install PACKAGE unless CHECK succeeds.
ensure() {
    local label=$1 package=$2
    shift 2
    if "$@"; then
        echo "ok       $label"
        return 0
    fi
    if [ "$install" = 1 ] && [ "$(id -u)" = 0 ]; then
        if [ "$updated" = 0 ]; then
            apt-get update -qq </dev/null >/dev/null 2>&1 || echo "warning: apt-get update failed"
            updated=1
        fi
        apt-get install -y -qq --no-install-recommends "$package" </dev/null >/dev/null 2>&1
        if "$@"; then
            echo "ok       $label (installed $package)"
            return 0
        fi
    fi
    echo "MISSING  $label (package $package)"
    return 1
}

ensure nginx nginx have nginx || missing_required=1
ensure openssl openssl have openssl || missing_required=1
ensure "GNU time" time test -x /usr/bin/time || true
ensure wget wget have wget || true
ensure wget2 wget2 have wget2 || true
ensure aria2c aria2 have aria2c || true
ensure rclone rclone have rclone || true
ensure lftp lftp have lftp || true
ensure curl curl have curl || true
ensure "python3-bs4 (seed program)" python3-bs4 python_has_bs4 || true

if [ "$missing_required" = 1 ]; then
    echo "error: nginx and openssl are required" >&2
    exit 1
fi
echo "peers marked MISSING are skipped by bench/run.py"
