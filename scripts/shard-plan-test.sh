#!/usr/bin/env bash
# List once, shard the plan (issue 14), end to end with GNU parallel:
#
#   1. a tree with awkward names is served by `python3 -m http.server` on 127.0.0.1;
#   2. `fetchall --dry-run --json -r URL > plan.jsonl` makes the plan;
#   3. GNU parallel runs 4 shards at once, `fetchall -i plan.jsonl --shard {}/4 -o out`,
#      all into one folder;
#   4. the union is compared with a full `fetchall -r` run (diff -r), and the
#      server's log of the shard runs must show no listing, no HEAD, and every file
#      fetched exactly once; a re-run of the shards sends no request at all.
#
# Usage: scripts/shard-plan-test.sh [--keep]
# Environment: FETCHALL (default: release/fetchall in $CARGO_TARGET_DIR or target/,
# built when missing). Installs Debian's `parallel` with apt-get when it is missing
# and this runs as root (or with passwordless sudo), as scripts/interop.sh installs
# its servers. Takes a few seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
keep=0
[ "${1:-}" = "--keep" ] && keep=1

log() { echo "shard-plan-test: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

is_gnu_parallel() { command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q "GNU parallel"; }

if ! is_gnu_parallel; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            fail "GNU parallel is missing and this is not root (no passwordless sudo): apt-get install parallel"
        fi
    fi
    log "installing Debian's parallel"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null 2>&1 || log "apt-get update failed (continuing)"
    $sudo apt-get install -y -qq --no-install-recommends parallel >/dev/null \
        || fail "apt-get install parallel failed"
    is_gnu_parallel || fail "\`parallel\` is not GNU parallel (moreutils?)"
fi

if [ -z "${FETCHALL:-}" ]; then
    FETCHALL="${CARGO_TARGET_DIR:-$repo/target}/release/fetchall"
    [ -x "$FETCHALL" ] || (cd "$repo" && cargo build --release --quiet)
fi
[ -x "$FETCHALL" ] || fail "no fetchall binary at $FETCHALL"

work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The tree: awkward names (spaces, #, %, &, +, UTF-8, a 200-byte name, an empty
# file), nested folders, and enough files that every share gets some.
python3 - "$work/srv/pub" <<'EOF'
import os, sys
root = sys.argv[1]
names = ["a b.txt", "hash#1.bin", "100% sure.txt", "amp&plus+.txt", "café/ü ñ.bin",
         "long/" + "n" * 196 + ".bin", "empty.txt", "deep/er/still/x.iso"]
names += [f"{d}file {i}.bin" for i, d in enumerate(["", "a/", "a/b/", "c d/"] * 8)]
for index, name in enumerate(names):
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    size = 0 if name == "empty.txt" else 1000 + index * 997
    with open(path, "wb") as f:
        f.write(bytes((index * 31 + i * 7) % 251 for i in range(size)))

EOF
files=$(find "$work/srv/pub" -type f | wc -l)

python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/srv" \
    >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 50); do
    port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$work/server.out" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "python3 -m http.server did not start: $(cat "$work/server.log")"
url="http://127.0.0.1:$port/pub/"
cd "$work"

log "plan: $FETCHALL --dry-run --json -r -o planned $url > plan.jsonl"
"$FETCHALL" --dry-run --json -r -o planned "$url" >plan.jsonl
planned=$(grep -c '"event":"planned"' plan.jsonl)
[ "$planned" = "$files" ] || fail "the plan holds $planned files of $files"

offset=$(stat -c %s "$work/server.log")
log "4 shards with GNU parallel into one folder"
parallel --will-cite --halt now,fail=1 -j 4 \
    "$FETCHALL" -q -i plan.jsonl --shard {}/4 -o out ::: 1 2 3 4 \
    || fail "a shard run failed"
tail -c "+$((offset + 1))" "$work/server.log" >shards.log

requests=$(grep -ac '"[A-Z][A-Z]* /' shards.log || true)
listings=$(grep -ac '"GET [^ ]*/ HTTP' shards.log || true)
heads=$(grep -ac '"HEAD ' shards.log || true)
twice=$(grep -ao '"[A-Z][A-Z]* /[^ ]*' shards.log | sort | uniq -d)
[ "$listings" = 0 ] || fail "the shard runs read $listings listing pages"
[ "$heads" = 0 ] || fail "the shard runs sent $heads HEAD requests"
[ -z "$twice" ] || fail "fetched more than once: $twice"
[ "$requests" = "$files" ] || fail "the shard runs sent $requests requests for $files files"

log "full run: $FETCHALL -q -r -o full $url"
"$FETCHALL" -q -r -o full "$url"
diff -r -x '.fetchall*' full out || fail "the shards' union differs from the full run"
diff -r -x '.fetchall*' srv/pub out || fail "the shards' union differs from the served tree"

offset=$(stat -c %s "$work/server.log")
parallel --will-cite -j 4 "$FETCHALL" -q -i plan.jsonl --shard {}/4 -o out ::: 1 2 3 4 \
    || fail "a shard re-run failed"
again=$(tail -c "+$((offset + 1))" "$work/server.log" | grep -ac '"[A-Z][A-Z]* /' || true)
[ "$again" = 0 ] || fail "a re-run of the shards sent $again requests (up to date by the plan: none)"

log "PASS: $files files, 4 shards, $requests requests, no listing, no HEAD, union == full run, re-run sends nothing"
