#!/usr/bin/env bash
# Install the interop servers that do not come from Debian into a cache folder
# that CI keeps between runs, and skip what is already there at the pinned
# version.
#
# Usage: scripts/install-interop-servers.sh [--print-dir] [TOOL...]
#   TOOL   miniserve, npm (serve + http-server + azurite), moto (+ wsgidav), copyparty,
#          dufs, pyftpdlib; default: all
#   --print-dir   print the cache folder and exit
#
# Cache folder: $FETCHALL_TOOLS_DIR, default $HOME/.cache/fetchall-interop
#   bin/miniserve, bin/dufs            cargo install --root (crates.io)
#   npm/node_modules/.bin/{serve,http-server,azurite-blob}   npm ci (registry.npmjs.org)
#   moto/bin/moto_server, moto/bin/python   python3 -m venv + pip (PyPI)
#   moto/bin/copyparty                 pip, into the same venv (PyPI)
#   pyftpdlib (module)                 pip, into the same venv (PyPI)
#
# Pinned versions (change them here and in README.md):
#   miniserve 0.35.0 (crates.io, `--locked`: its own Cargo.lock)
#   dufs 0.47.0 (crates.io, `--locked`; a file server whose links are drawn by
#   script from JSON in the page)
#   serve 14.2.7, http-server 14.1.1, azurite 3.35.0 (npm; every dependency pinned by
#   scripts/interop/npm/package-lock.json, installed with `npm ci`)
#   moto[server] 5.2.5 (PyPI, an S3 imitation for bucket listings), and in the
#   same venv azure-storage-blob 12.31.1 (PyPI, uploads the tree into azurite),
#   wsgidav 4.4.0 and cheroot 11.1.2 (PyPI, a WebDAV server), added to the venv
#   when missing, and copyparty 1.20.26 (PyPI, a file server whose listings are
#   drawn by script), and pyftpdlib 2.2.0 (PyPI, an FTP server)
# Debian packages (nginx, apache2, mini-httpd, webfs, ruby-webrick, ...) are
# installed by scripts/interop.sh itself with apt-get.
#
# The first install compiles miniserve and dufs (several minutes each on 2 cores); later
# runs take well under a second. Needs cargo and npm; no root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MINISERVE_VERSION=0.35.0
MOTO_VERSION=5.2.5
AZURE_BLOB_VERSION=12.31.1
WSGIDAV_VERSION=4.4.0
CHEROOT_VERSION=11.1.2
COPYPARTY_VERSION=1.20.26
DUFS_VERSION=0.47.0
PYFTPDLIB_VERSION=2.2.0
TOOLS=${FETCHALL_TOOLS_DIR:-${HOME:-/root}/.cache/fetchall-interop}

log() { printf 'install-interop-servers: %s\n' "$*" >&2; }

want_miniserve=0
want_npm=0
want_moto=0
want_copyparty=0
want_dufs=0
want_pyftpdlib=0
for a in "$@"; do
    case "$a" in
        --print-dir) echo "$TOOLS"; exit 0 ;;
        miniserve) want_miniserve=1 ;;
        npm|serve|http-server|azurite) want_npm=1 ;;
        moto|wsgidav) want_moto=1 ;;
        copyparty) want_copyparty=1 ;;
        dufs) want_dufs=1 ;;
        pyftpdlib) want_pyftpdlib=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) log "unknown tool: $a"; exit 2 ;;
    esac
done
if [ $# -eq 0 ]; then
    want_miniserve=1; want_npm=1; want_moto=1; want_copyparty=1; want_dufs=1; want_pyftpdlib=1
fi
mkdir -p "$TOOLS"
rc=0

secs_since() { echo $(( $(date +%s) - $1 )); }

if [ "$want_miniserve" = 1 ]; then
    have=""
    [ -x "$TOOLS/bin/miniserve" ] && have=$("$TOOLS/bin/miniserve" --version 2>/dev/null | awk '{print $2}')
    if [ "$have" = "$MINISERVE_VERSION" ]; then
        log "miniserve $have already in $TOOLS/bin"
    elif ! command -v cargo >/dev/null 2>&1; then
        log "cargo not found: cannot install miniserve"; rc=1
    else
        t0=$(date +%s)
        log "cargo install miniserve $MINISERVE_VERSION into $TOOLS (compiles; several minutes)"
        # own target dir under the cache, so an interrupted build resumes
        if CARGO_TARGET_DIR="$TOOLS/cargo-target" cargo install --quiet --locked --force \
            --root "$TOOLS" miniserve --version "=$MINISERVE_VERSION"; then
            rm -rf "$TOOLS/cargo-target"
            log "miniserve $MINISERVE_VERSION installed in $(secs_since "$t0")s"
        else
            log "cargo install miniserve failed"; rc=1
        fi
    fi
fi

if [ "$want_npm" = 1 ]; then
    lock="$here/interop/npm/package-lock.json"
    stamp="$TOOLS/npm/.installed-lock.sha256"
    sum=$(sha256sum "$lock" | awk '{print $1}')
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] \
        && [ -x "$TOOLS/npm/node_modules/.bin/serve" ] && [ -x "$TOOLS/npm/node_modules/.bin/http-server" ] \
        && [ -x "$TOOLS/npm/node_modules/.bin/azurite-blob" ]; then
        log "serve, http-server and azurite already in $TOOLS/npm (same package-lock.json)"
    elif ! command -v npm >/dev/null 2>&1; then
        log "npm not found: cannot install serve and http-server"; rc=1
    else
        t0=$(date +%s)
        mkdir -p "$TOOLS/npm"
        cp "$here/interop/npm/package.json" "$lock" "$TOOLS/npm/"
        if (cd "$TOOLS/npm" && CI=true npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
            echo "$sum" >"$stamp"
            log "serve, http-server and azurite installed in $(secs_since "$t0")s"
        else
            log "npm ci failed in $TOOLS/npm"; rc=1
        fi
    fi
fi

if [ "$want_moto" = 1 ]; then
    have=""
    [ -x "$TOOLS/moto/bin/python" ] && have=$("$TOOLS/moto/bin/python" -c \
        'import importlib.metadata as m; print(m.version("moto"), m.version("azure-storage-blob"))' \
        2>/dev/null || true)
    if [ "$have" = "$MOTO_VERSION $AZURE_BLOB_VERSION" ] && [ -x "$TOOLS/moto/bin/moto_server" ]; then
        log "moto $have already in $TOOLS/moto"
    elif ! command -v python3 >/dev/null 2>&1; then
        log "python3 not found: cannot install moto"; rc=1
    else
        t0=$(date +%s)
        log "pip install moto[server]==$MOTO_VERSION into $TOOLS/moto"
        rm -rf "$TOOLS/moto"
        if python3 -m venv "$TOOLS/moto" \
            && "$TOOLS/moto/bin/pip" install --quiet --disable-pip-version-check \
                "moto[server]==$MOTO_VERSION" "azure-storage-blob==$AZURE_BLOB_VERSION"; then
            log "moto $MOTO_VERSION installed in $(secs_since "$t0")s"
        else
            log "pip install moto failed"; rc=1
        fi
    fi
    # WsgiDAV lives in the same venv, added to it (the moto check above is unchanged,
    # so a venv made before WsgiDAV was pinned is kept, not rebuilt).
    have=""
    [ -x "$TOOLS/moto/bin/python" ] && have=$("$TOOLS/moto/bin/python" -c \
        'import importlib.metadata as m; print(m.version("wsgidav"), m.version("cheroot"))' \
        2>/dev/null || true)
    if [ "$have" = "$WSGIDAV_VERSION $CHEROOT_VERSION" ] && [ -x "$TOOLS/moto/bin/wsgidav" ]; then
        log "wsgidav $have already in $TOOLS/moto"
    elif [ -x "$TOOLS/moto/bin/pip" ]; then
        t0=$(date +%s)
        log "pip install wsgidav==$WSGIDAV_VERSION cheroot==$CHEROOT_VERSION into $TOOLS/moto"
        if "$TOOLS/moto/bin/pip" install --quiet --disable-pip-version-check \
            "wsgidav==$WSGIDAV_VERSION" "cheroot==$CHEROOT_VERSION"; then
            log "wsgidav $WSGIDAV_VERSION installed in $(secs_since "$t0")s"
        else
            log "pip install wsgidav failed"; rc=1
        fi
    fi
fi
# Added to the venv moto lives in, never by rebuilding it: a moto server of
# another run may be using it.
if [ "$want_copyparty" = 1 ]; then
    have=""
    [ -x "$TOOLS/moto/bin/python" ] && have=$("$TOOLS/moto/bin/python" -c \
        'import importlib.metadata as m; print(m.version("copyparty"))' 2>/dev/null || true)
    if [ "$have" = "$COPYPARTY_VERSION" ] && [ -x "$TOOLS/moto/bin/copyparty" ]; then
        log "copyparty $have already in $TOOLS/moto"
    elif ! command -v python3 >/dev/null 2>&1; then
        log "python3 not found: cannot install copyparty"; rc=1
    else
        t0=$(date +%s)
        log "pip install copyparty==$COPYPARTY_VERSION into $TOOLS/moto"
        if { [ -x "$TOOLS/moto/bin/pip" ] || python3 -m venv "$TOOLS/moto"; } \
            && "$TOOLS/moto/bin/pip" install --quiet --disable-pip-version-check \
                "copyparty==$COPYPARTY_VERSION"; then
            log "copyparty $COPYPARTY_VERSION installed in $(secs_since "$t0")s"
        else
            log "pip install copyparty failed"; rc=1
        fi
    fi
fi

if [ "$want_dufs" = 1 ]; then
    have=""
    [ -x "$TOOLS/bin/dufs" ] && have=$("$TOOLS/bin/dufs" --version 2>/dev/null | awk '{print $2}')
    if [ "$have" = "$DUFS_VERSION" ]; then
        log "dufs $have already in $TOOLS/bin"
    elif ! command -v cargo >/dev/null 2>&1; then
        log "cargo not found: cannot install dufs"; rc=1
    else
        t0=$(date +%s)
        log "cargo install dufs $DUFS_VERSION into $TOOLS (compiles; several minutes)"
        if CARGO_TARGET_DIR="$TOOLS/cargo-target-dufs" cargo install --quiet --locked --force \
            --root "$TOOLS" dufs --version "=$DUFS_VERSION"; then
            rm -rf "$TOOLS/cargo-target-dufs"
            log "dufs $DUFS_VERSION installed in $(secs_since "$t0")s"
        else
            log "cargo install dufs failed"; rc=1
        fi
    fi
fi

# pyftpdlib: the same way, into the same venv.
if [ "$want_pyftpdlib" = 1 ]; then
    have=""
    [ -x "$TOOLS/moto/bin/python" ] && have=$("$TOOLS/moto/bin/python" -c \
        'import importlib.metadata as m; print(m.version("pyftpdlib"))' 2>/dev/null || true)
    if [ "$have" = "$PYFTPDLIB_VERSION" ]; then
        log "pyftpdlib $have already in $TOOLS/moto"
    elif ! command -v python3 >/dev/null 2>&1; then
        log "python3 not found: cannot install pyftpdlib"; rc=1
    else
        t0=$(date +%s)
        log "pip install pyftpdlib==$PYFTPDLIB_VERSION into $TOOLS/moto"
        if { [ -x "$TOOLS/moto/bin/pip" ] || python3 -m venv "$TOOLS/moto"; } \
            && "$TOOLS/moto/bin/pip" install --quiet --disable-pip-version-check \
                "pyftpdlib==$PYFTPDLIB_VERSION"; then
            log "pyftpdlib $PYFTPDLIB_VERSION installed in $(secs_since "$t0")s"
        else
            log "pip install pyftpdlib failed"; rc=1
        fi
    fi
fi
exit $rc
