#!/usr/bin/env python3
"""Compare a download directory with the expected tree, byte for byte.

Usage:
  compare.py EXPECTED_DIR OUT_DIR [--flat] [--exclude PATH ...] [--optional PATH ...]
             [--max-list N]

EXPECTED_DIR  the tree the server serves (output of make_tree.py)
OUT_DIR       what the client under test wrote
--flat        expect only the regular files directly in EXPECTED_DIR
--exclude P   P (a file, or a directory = everything below it; relative to the
              tree root, '/'-separated) is not expected: the server does not
              list it. If it shows up in OUT_DIR anyway it counts as extra.
--optional P  P may be present or absent; if present it must match byte for
              byte. For cases where either behaviour is defensible.

Reported problems:
  missing   expected file absent from OUT_DIR
  extra     anything in OUT_DIR that is not expected: unexpected files (listing
            copies such as 'index.html?C=N;O=D', '*.part' temp files, ...),
            directories that do not exist in the tree, symlinks, etc.
            The one exception is an entry named '.fetchall' (file or directory,
            with anything below it) directly in OUT_DIR: the client's state.
            In --flat mode every directory except that one is extra.
  mismatch  file present but content differs (sizes and first differing
            offset shown); also an expected file that is not a regular file.

Prints a report and, as its last line,
  counts: expected=N ok=N missing=N extra=N mismatch=N
Exit status 0 when there are no problems, 1 otherwise, 2 on usage error.
"""
import argparse
import os
import stat
import sys

STATE_NAME = b".fetchall"


def rel_parts(rel: bytes):
    return [p for p in rel.split(b"/") if p]


def show(rel: bytes) -> str:
    # Printable, unambiguous rendering of a byte path
    s = rel.decode("utf-8", "backslashreplace")
    out = []
    for ch in s:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "'" + "".join(out) + "'"


def walk(root: bytes):
    """Yield (relpath, lstat) for every entry below root (not root itself)."""
    stack = [b""]
    while stack:
        d = stack.pop()
        full = os.path.join(root, d) if d else root
        try:
            names = sorted(os.listdir(full))
        except OSError as e:
            print("cannot list %s: %s" % (show(full), e), file=sys.stderr)
            continue
        for n in names:
            rel = d + b"/" + n if d else n
            st = os.lstat(os.path.join(root, rel))
            yield rel, st
            if stat.S_ISDIR(st.st_mode):
                stack.append(rel)


def covered(rel: bytes, paths) -> bool:
    """rel equals one of paths or lies below one of them."""
    for p in paths:
        if rel == p or rel.startswith(p + b"/"):
            return True
    return False


def first_diff(a: str, b: str):
    """Return None if files are identical, else a description."""
    sa, sb = os.path.getsize(a), os.path.getsize(b)
    with open(a, "rb") as fa, open(b, "rb") as fb:
        off = 0
        while True:
            ca = fa.read(1 << 16)
            cb = fb.read(1 << 16)
            if ca != cb:
                n = min(len(ca), len(cb))
                i = 0
                while i < n and ca[i] == cb[i]:
                    i += 1
                return "expected %d bytes, got %d bytes, first difference at offset %d" % (sa, sb, off + i)
            if not ca:
                return None
            off += len(ca)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("expected")
    ap.add_argument("out")
    ap.add_argument("--flat", action="store_true")
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("--optional", action="append", default=[])
    ap.add_argument("--max-list", type=int, default=25, help="list at most N items per category (0 = all)")
    a = ap.parse_args(argv)

    exp_root = os.fsencode(a.expected)
    out_root = os.fsencode(a.out)
    if not os.path.isdir(exp_root):
        print("expected dir %s does not exist" % a.expected, file=sys.stderr)
        return 2
    norm = lambda p: b"/".join(rel_parts(os.fsencode(p)))
    excludes = [norm(p) for p in a.exclude]
    optional = [norm(p) for p in a.optional]

    # Expected files and directories
    exp_files = {}
    exp_dirs = set()
    for rel, st in walk(exp_root):
        if a.flat and b"/" in rel:
            continue
        if stat.S_ISDIR(st.st_mode):
            exp_dirs.add(rel)
        elif stat.S_ISREG(st.st_mode):
            exp_files[rel] = st.st_size
    required = {r for r in exp_files if not covered(r, excludes) and not covered(r, optional)}
    allowed_optional = {r for r in exp_files if covered(r, optional)}

    missing, extra, mismatch, ok = [], [], [], 0
    seen = set()
    if not os.path.isdir(out_root):
        print("output dir %s does not exist" % a.out)
        out_entries = []
    else:
        out_entries = list(walk(out_root))
    extra_dirs = []  # an unexpected directory is reported once, with what is below it
    for rel, st in out_entries:
        if rel == STATE_NAME or rel.startswith(STATE_NAME + b"/"):
            continue  # the client's hidden state entry at the output root
        if covered(rel, extra_dirs):
            continue
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            if a.flat or rel not in exp_dirs:
                extra_dirs.append(rel)
                below = sum(1 for r, _ in out_entries if r.startswith(rel + b"/"))
                extra.append((rel, "directory, %d entries below it" % below))
            continue
        if rel in required or rel in allowed_optional:
            seen.add(rel)
            if not stat.S_ISREG(mode):
                mismatch.append((rel, "not a regular file (mode %o)" % mode))
                continue
            d = first_diff(os.path.join(exp_root, rel), os.path.join(out_root, rel))
            if d is None:
                ok += 1
            else:
                mismatch.append((rel, d))
            continue
        kind = "file" if stat.S_ISREG(mode) else ("symlink" if stat.S_ISLNK(mode) else "special file")
        why = ""
        if rel in exp_files:
            why = ", excluded: this server does not list it"
        extra.append((rel, "%s, %d bytes%s" % (kind, st.st_size, why)))
    for rel in sorted(required - seen):
        missing.append((rel, "%d bytes" % exp_files[rel]))

    def listing(title, items):
        if not items:
            return
        print("  %s (%d):" % (title, len(items)))
        lim = len(items) if a.max_list == 0 else a.max_list
        for rel, note in sorted(items)[:lim]:
            print("    %s  (%s)" % (show(rel), note))
        if len(items) > lim:
            print("    ... and %d more" % (len(items) - lim))

    listing("missing", missing)
    listing("extra", extra)
    listing("content mismatch", mismatch)
    print("counts: expected=%d ok=%d missing=%d extra=%d mismatch=%d"
          % (len(required), ok, len(missing), len(extra), len(mismatch)))
    return 0 if not (missing or extra or mismatch) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
