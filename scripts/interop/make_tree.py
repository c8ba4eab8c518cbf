#!/usr/bin/env python3
"""Generate the deterministic "tricky tree" used by scripts/interop.sh.

Usage: make_tree.py OUTDIR
       make_tree.py --manifest > tests/fixtures/listings/tree-manifest.json

OUTDIR must not exist or be empty. --manifest makes the tree in a temporary
folder and prints its top level (files with size and mtime, folders) as JSON:
the committed tree-manifest.json that tests/it/listings.rs reads, so that
`cargo test` needs no python3 (the same test checks the file against this
script when python3 is there). Everything (names, contents, mtimes) is
deterministic, so two runs produce byte-identical trees and servers produce
identical listings (apart from their own version strings).

Standard library only.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile

# Fixed mtime for every file and directory: 2021-03-04 05:06:07 UTC.
MTIME = 1614834367

# A 200-byte (UTF-8) file name: ASCII prefix, some 2-byte chars, suffix.
def long_name():
    prefix = "long-name-"
    suffix = ".txt"
    body = ""
    i = 0
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    # mix ASCII and 2-byte UTF-8 (é) so byte length != char length
    while len((prefix + body + suffix).encode()) < 200:
        remaining = 200 - len((prefix + body + suffix).encode())
        if i % 10 == 9 and remaining >= 2:
            body += "é"
        else:
            body += alphabet[i % len(alphabet)]
        i += 1
    name = prefix + body + suffix
    assert len(name.encode()) == 200, len(name.encode())
    return name


LONG_NAME = long_name()


def prng_bytes(seed: str, n: int) -> bytes:
    """Deterministic pseudo-random bytes (SHA-256 in counter mode)."""
    out = bytearray()
    counter = 0
    key = seed.encode()
    while len(out) < n:
        out += hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])


def text(name: str) -> bytes:
    return ("This is the file %r.\n" % name).encode()


def make_targz() -> bytes:
    """A real gzip-compressed tar archive, byte-for-byte deterministic."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in (("hello.txt", b"hello from inside the tarball\n"),
                           ("zeros.bin", bytes(4096))):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = MTIME
            ti.mode = 0o644
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            tf.addfile(ti, io.BytesIO(data))
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0) as g:
        g.write(raw.getvalue())
    return gz.getvalue()


# Regular files in the tree root: name -> content (bytes)
ROOT_FILES = {
    "plain.txt": text("plain.txt"),
    "with space.txt": text("with space.txt"),
    "hash#name.txt": text("hash#name.txt"),
    "percent%20literal.txt": text("percent%20literal.txt"),  # literal %20, must not be decoded
    "100%.txt": text("100%.txt"),                              # lone % (invalid escape)
    "%41.txt": text("%41.txt"),                                # decodes to "A.txt" if double-decoded
    "a&b.txt": text("a&b.txt"),
    "plus+sign.txt": text("plus+sign.txt"),                    # '+' must not become ' '
    "semi;colon.txt": text("semi;colon.txt"),
    "eq=uals.txt": text("eq=uals.txt"),
    "question?mark.txt": text("question?mark.txt"),
    "single'quote.txt": text("single'quote.txt"),
    'double"quote.txt': text('double"quote.txt'),
    "paren(1).txt": text("paren(1).txt"),
    "lt<gt>.txt": text("lt<gt>.txt"),
    "caf\u00e9.txt": text("caf\u00e9.txt"),                     # NFC é
    "emoji-\U0001F600.txt": text("emoji-\U0001F600.txt"),
    LONG_NAME: text("long name"),
    "empty.txt": b"",
    "size-1023.bin": prng_bytes("size-1023", 1023),
    "size-1024.bin": prng_bytes("size-1024", 1024),
    "size-1536.bin": prng_bytes("size-1536", 1536),             # 1.5K: shows size rounding
    "random-1.5MiB.bin": prng_bytes("random-1.5MiB", 1572864 + 1234),
    "archive.tar.gz": make_targz(),                             # really gzip; must be saved as-is
    ".hidden": b"dotfile\n",
    "backup.txt~": text("backup.txt~"),                         # Debian Apache's IndexIgnore hides *~ (and *#)
}

# Files below sub-directories (POSIX relative paths).
SUB_FILES = {
    "x.zip/inside-x-zip.txt": text("x.zip/inside-x-zip.txt"),  # a *directory* named like an archive
    "site/index.html": b"<!DOCTYPE html>\n<html><head><title>site/index.html</title></head>"
                       b"<body><p>This is a real file named index.html, not a listing."
                       b"</p></body></html>\n",
    "site/page.txt": text("site/page.txt"),
    "a/top.txt": text("a/top.txt"),
    "a/b/mid.txt": text("a/b/mid.txt"),
    "a/b/c/file.bin": prng_bytes("a/b/c/file.bin", 65537),
    "a/b/c/random-2MiB.bin": prng_bytes("a/b/c/random-2MiB", 2 * 1048576 + 7),
    "dir with space & #/inner file.txt": text("dir with space & #/inner file.txt"),
    "d\u00e9j\u00e0-vu/\U0001F600 smile.txt": text("déjà-vu/smile"),
}

MANY_COUNT = 2000


def write(root: str, rel: str, data: bytes) -> None:
    path = os.path.join(root, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)


def manifest(root: str) -> str:
    """The top level of the tree at `root`, as JSON, names sorted."""
    files, folders = [], []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            folders.append(entry.name)
        else:
            st = entry.stat(follow_symlinks=False)
            files.append({"name": entry.name, "size": st.st_size,
                          "modified": int(st.st_mtime)})
    return json.dumps({"files": files, "folders": folders},
                      ensure_ascii=False, indent=1) + "\n"


def main(argv):
    if argv[1:] == ["--manifest"]:
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "tree")
            if main([argv[0], root]) != 0:
                return 1
            sys.stdout.write(manifest(root))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    os.makedirs(root, exist_ok=True)
    if os.listdir(root):
        print("make_tree.py: %s is not empty" % root, file=sys.stderr)
        return 1
    for name, data in ROOT_FILES.items():
        write(root, name, data)
    for rel, data in SUB_FILES.items():
        write(root, rel, data)
    for i in range(MANY_COUNT):
        write(root, "many/f%04d.txt" % i, b"many %04d\n" % i)
    # deterministic permissions and mtimes, bottom-up so dir mtimes stick
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for n in filenames:
            os.utime(os.path.join(dirpath, n), (MTIME, MTIME))
        for n in dirnames:
            p = os.path.join(dirpath, n)
            os.chmod(p, 0o755)
            os.utime(p, (MTIME, MTIME))
    os.chmod(root, 0o755)
    os.utime(root, (MTIME, MTIME))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
