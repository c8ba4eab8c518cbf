#!/usr/bin/env bash
# Self-test of the interop suite's offline parts (no servers, no network):
# make_tree.py determinism, the committed tree manifest, and compare.py's detection of missing, extra and
# corrupted files. Usage: scripts/interop/selftest.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0; fail=0
check() {  # check NAME EXPECTED_RC EXPECTED_COUNTS -- compare args...
    local name=$1 want_rc=$2 want=$3; shift 4
    local out rc=0
    out=$(python3 "$here/compare.py" "$@" 2>&1) || rc=$?
    local got; got=$(tail -n 1 <<<"$out")
    if [ "$rc" = "$want_rc" ] && [ "$got" = "counts: $want" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL $name: rc=$rc (want $want_rc)"; echo "$out" | sed 's/^/    /'
    fi
}

python3 "$here/make_tree.py" "$t/tree"
python3 "$here/make_tree.py" "$t/tree2"
if diff -r "$t/tree" "$t/tree2" >/dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL make_tree.py is not deterministic"; fi
# the tree's top level committed for cargo test (tests/it/listings.rs)
if python3 "$here/make_tree.py" --manifest | diff - "$here/../../tests/fixtures/listings/tree-manifest.json" >/dev/null; then
    pass=$((pass + 1))
else
    fail=$((fail + 1)); echo "FAIL tests/fixtures/listings/tree-manifest.json differs from make_tree.py --manifest"
fi
nroot=$(find "$t/tree" -maxdepth 1 -type f | wc -l)
nall=$(find "$t/tree" -type f | wc -l)

# perfect copies
cp -a "$t/tree" "$t/full"
check "identical tree" 0 "expected=$nall ok=$nall missing=0 extra=0 mismatch=0" -- "$t/tree" "$t/full"
mkdir "$t/flat"; find "$t/tree" -maxdepth 1 -type f -exec cp {} "$t/flat/" \;
check "identical flat" 0 "expected=$nroot ok=$nroot missing=0 extra=0 mismatch=0" -- "$t/tree" "$t/flat" --flat
# state entry allowed at the root only
mkdir -p "$t/flat/.fetchall/x"; echo s >"$t/flat/.fetchall/x/state"
check ".fetchall allowed" 0 "expected=$nroot ok=$nroot missing=0 extra=0 mismatch=0" -- "$t/tree" "$t/flat" --flat
# a full tree is wrong for --flat: 6 extra directories
check "dirs extra in flat" 1 "expected=$nroot ok=$nroot missing=0 extra=6 mismatch=0" -- "$t/tree" "$t/full" --flat
# exclude: expected without .hidden; present anyway -> extra
check "excluded but present" 1 "expected=$((nroot - 1)) ok=$((nroot - 1)) missing=0 extra=1 mismatch=0" -- "$t/tree" "$t/flat" --flat --exclude .hidden
rm "$t/flat/.hidden"
check "excluded and absent" 0 "expected=$((nroot - 1)) ok=$((nroot - 1)) missing=0 extra=0 mismatch=0" -- "$t/tree" "$t/flat" --flat --exclude .hidden
# excluding a directory excludes its subtree (names with spaces and '#')
rm -r "$t/full/dir with space & #"
check "excluded dir" 0 "expected=$((nall - 1)) ok=$((nall - 1)) missing=0 extra=0 mismatch=0" -- "$t/tree" "$t/full" --exclude 'dir with space & #'
check "dir missing" 1 "expected=$nall ok=$((nall - 1)) missing=1 extra=0 mismatch=0" -- "$t/tree" "$t/full"
cp -a "$t/tree/dir with space & #" "$t/full/"
# optional: absent or present-and-equal both fine, present-and-different is a mismatch
rm "$t/full/site/index.html" "$t/full/site/page.txt"
check "optional absent" 0 "expected=$((nall - 2)) ok=$((nall - 2)) missing=0 extra=0 mismatch=0" -- "$t/tree" "$t/full" --optional site/index.html --exclude site/page.txt
cp "$t/tree/site/index.html" "$t/full/site/"
check "optional present" 0 "expected=$((nall - 2)) ok=$((nall - 1)) missing=0 extra=0 mismatch=0" -- "$t/tree" "$t/full" --optional site/index.html --exclude site/page.txt
echo wrong >"$t/full/site/index.html"
check "optional wrong" 1 "expected=$((nall - 2)) ok=$((nall - 2)) missing=0 extra=0 mismatch=1" -- "$t/tree" "$t/full" --optional site/index.html --exclude site/page.txt
cp "$t/tree/site/index.html" "$t/tree/site/page.txt" "$t/full/site/"
# junk and defects
echo junk >"$t/full/index.html?C=N;O=D"
echo part >"$t/full/a/b/mid.txt.part"
mkdir "$t/full/bogus-dir"
rm "$t/full/caf"$'\xc3\xa9'".txt"
cp "$t/tree/plain.txt" "$t/full/A.txt"      # double-decoded %41.txt
rm "$t/full/%41.txt"
printf 'X' | dd of="$t/full/a/b/c/random-2MiB.bin" bs=1 seek=2000000 conv=notrunc 2>/dev/null
truncate -s 100 "$t/full/random-1.5MiB.bin"
check "defects" 1 "expected=$nall ok=$((nall - 4)) missing=2 extra=4 mismatch=2" -- "$t/tree" "$t/full"
# NFD instead of NFC name is a different file
cp -a "$t/tree" "$t/nfd"; mv "$t/nfd/caf"$'\xc3\xa9'".txt" "$t/nfd/cafe"$'\xcc\x81'".txt"
check "NFD name" 1 "expected=$nall ok=$((nall - 1)) missing=1 extra=1 mismatch=0" -- "$t/tree" "$t/nfd"
# missing output dir
check "no output dir" 1 "expected=$nall ok=0 missing=$nall extra=0 mismatch=0" -- "$t/tree" "$t/does-not-exist"

# reference_fetch.py reads hrefs as browsers do (serve writes them raw)
if out=$(python3 - "$here/reference_fetch.py" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("ref", sys.argv[1])
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
cases = {
    "/100%.txt": "/100%25.txt",            # lone '%' is literal
    "/%41.txt": "/%41.txt",                # valid escape kept (it names A.txt)
    "/a%2": "/a%252",                      # cut escape at the end
    "/with space.txt": "/with%20space.txt",
    "/caf\u00e9.txt": "/caf%C3%A9.txt",
    '/double"quote<gt>.txt': "/double%22quote%3Cgt%3E.txt",
    "/paren(1);eq=+&'.txt": "/paren(1);eq=+&'.txt",
}
bad = [(k, ref.escape_path(k), v) for k, v in cases.items() if ref.escape_path(k) != v]
print(bad or "ok")
PY
) && [ "$out" = ok ]; then
    pass=$((pass + 1))
else
    echo "FAIL: reference_fetch.escape_path: $out" >&2; fail=$((fail + 1))
fi

echo "selftest: $pass passed, $fail failed"
[ "$fail" = 0 ]
