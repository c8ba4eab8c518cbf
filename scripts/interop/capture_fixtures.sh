#!/usr/bin/env bash
# Regenerate tests/fixtures/listings/ from real servers.
#
# Usage: scripts/interop/capture_fixtures.sh [OUTDIR]
#   OUTDIR defaults to tests/fixtures/listings (relative to the repo root).
#
# Serves the tricky tree (make_tree.py) from each installed server on a fixed
# 127.0.0.1 port (so the Apache "Server at ... Port N" footer is stable) and
# saves with curl: the root listing as NAME.html, the listing of the
# sub-directory "dir with space & #/" as NAME-subdir.html, and the response to
# "site/" (a directory that contains index.html) as NAME-site.html. Response
# headers for the root are saved in headers/NAME.txt, the tree's top level in
# tree-manifest.json.
# Servers must already be installed (scripts/interop.sh installs them).
# Ports 18081-18098, one per variant.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/tests/fixtures/listings}
mkdir -p "$out" "$out/headers"
# shellcheck source=scripts/interop/servers.sh
. "$here/servers.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/fetchall-capture.XXXXXX")
chmod 755 "$work"
cleanup() { srv_stop_all; rm -rf "$work"; }
trap cleanup EXIT
export TZ=UTC   # servers that print local time print UTC

python3 "$here/make_tree.py" "$work/tree" >/dev/null
# the tree's top level, which tests/it/listings.rs checks the captures against
python3 "$here/make_tree.py" --manifest >"$out/tree-manifest.json"
# mini_httpd and WEBrick show the mtime of the tree root's parent (their ".."
# row): give it the tree's fixed time, after creating everything inside it
mkdir -p "$work/srv"
touch -d @1614834367 "$work"

SUB='dir%20with%20space%20%26%20%23/'
# variant:fixture-name:fixed-port
specs="apache:apache-fancy:18081 apache-plain:apache-plain:18082 apache-pre:apache-fancy-pre:18083
apache-trunc:apache-fancy-namewidth-default:18084 nginx:nginx:18085 nginx-json:nginx:18086
lighttpd:lighttpd:18087 caddy:caddy:18088 python:python-http-server:18089 rclone:rclone:18090
miniserve:miniserve:18091 mini_httpd:mini_httpd:18092 serve:serve:18093 http-server:http-server:18094
webfsd:webfsd:18095 twisted:twisted:18096 webrick:webrick:18097 plack:plack:18098
nginx-fancyindex:nginx-fancyindex:18099"

versions="$out/versions.txt"
: >"$versions"
for spec in $specs; do
    IFS=: read -r variant name port <<<"$spec"
    if ! srv_available "$variant"; then echo "skip $variant: not installed ($(srv_source "$variant"))" >&2; continue; fi
    SRV_PORT=$port srv_start "$variant" "$work/tree" "$work/srv" || { echo "FAILED to start $variant" >&2; exit 1; }
    url=$SRV_URL
    ext=html
    [ "$variant" = nginx-json ] && ext=json
    curl -fsS -D "$out/headers/$name.$ext.txt" -o "$out/$name.$ext" "$url"
    curl -fsS -o "$out/$name-subdir.$ext" "$url$SUB"
    curl -sS -o "$out/$name-site.$ext" "$url"site/ || true
    if [ "$variant" = caddy ]; then
        curl -fsS -H 'Accept: application/json' -D "$out/headers/caddy.json.txt" -o "$out/caddy.json" "$url"
        curl -fsS -H 'Accept: application/json' -o "$out/caddy-subdir.json" "$url$SUB"
    fi
    # header files: drop the Date: line so re-captures diff cleanly
    # (and ETag: http-server's contains the inode number)
    sed -i '/^\([Dd]ate\|[Ll]ast-[Mm]odified\|[Ee][Tt]ag\):/d' "$out"/headers/*.txt
    printf '%-34s %s\n' "$name.$ext" "$(srv_version "$variant")" >>"$versions"
    srv_stop_all
    echo "captured $name.$ext from $variant ($url)"
done
# dufs draws its links by script from JSON in the page, and answers curl's
# User-Agent with another page (`?noscript`): captured as fetchall's agent, as
# curl's, and as `?json`.
if srv_available dufs; then
    SRV_PORT=18100 srv_start dufs "$work/tree" "$work/srv" || { echo "FAILED to start dufs" >&2; exit 1; }
    dufs_version=$(srv_version dufs | awk '{print $2}')
    curl -fsS -A "fetchall/0.1.0" -o "$out/dufs-$dufs_version.html" "$SRV_URL"
    curl -fsS -A "fetchall/0.1.0" -o "$out/dufs-$dufs_version-subdir.html" "$SRV_URL$SUB"
    curl -fsS -o "$out/dufs-$dufs_version-noscript.html" "$SRV_URL$SUB"
    curl -fsS -o "$out/dufs-$dufs_version-subdir.json" "$SRV_URL$SUB?json"
    printf '%-34s %s\n' "dufs-$dufs_version.html" "$(srv_version dufs)" >>"$versions"
    srv_stop_all
    echo "captured dufs-$dufs_version*.html from dufs"
fi
# IIS has no Debian package: iis.html is rendered in real IIS markup, see README.md.
python3 "$here/make_iis_fixture.py" "$work/tree" >"$out/iis.html"
for locale in en-US-long en-US-date ru-RU-date ko-KR de-DE de-DE-long en-GB; do
    python3 "$here/make_iis_fixture.py" --locale "$locale" "$work/tree" >"$out/iis-$locale.html"
done
echo "rendered iis.html and iis-LOCALE.html (make_iis_fixture.py)"
