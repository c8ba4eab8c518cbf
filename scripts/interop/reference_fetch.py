#!/usr/bin/env python3
"""Reference stand-in for fetchall, used to check the interop suite itself.

Usage: reference_fetch.py [-q] [-r] -o OUT URL

Downloads every file linked from the listing at URL (a directory URL ending
in '/') into OUT; with -r, recurses into linked sub-directories. Understands
HTML listings (any <a href>) and the JSON listings of nginx
(autoindex_format json) and Caddy. Only links to direct children of the
listed directory are followed: parent links, sort links (?C=N;O=D), self
links, fragments and off-site links are ignored. The saved name is the last
path segment of the href, percent-decoded once (never the link text).
Temporary files live in OUT/.fetchall/ and are renamed into place.

Debug knobs for testing compare.py (comma-separated in $REFERENCE_FETCH_BREAK):
  drop      skip the first file
  corrupt   flip a byte in the largest file
  junk      also save the listing page as 'index.html?C=N;O=D'
  part      leave a 'x.part' temp file behind
"""
import argparse
import html.parser
import json
import os
import sys
import urllib.parse
import urllib.request

BREAK = set(filter(None, os.environ.get("REFERENCE_FETCH_BREAK", "").split(",")))


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for k, v in attrs:
                if k == "href" and v is not None:
                    self.hrefs.append(v)


def get(url):
    req = urllib.request.Request(url, headers={"User-Agent": "fetchall-interop-reference"})
    return urllib.request.urlopen(req, timeout=60)


def listing(url):
    """Return (final_url, [(href, is_dir_hint_or_None)])."""
    with get(url) as r:
        final = r.geturl()
        ctype = r.headers.get("Content-Type", "")
        body = r.read()
    if "json" in ctype:
        out = []
        for e in json.loads(body.decode("utf-8")):
            if "url" in e:  # caddy
                out.append((e["url"], bool(e.get("is_dir"))))
            else:  # nginx
                is_dir = e.get("type") == "directory"
                out.append((urllib.parse.quote(e["name"]) + ("/" if is_dir else ""), is_dir))
        return final, out, body
    p = Links()
    p.feed(body.decode("utf-8", "replace"))  # Apache may cut UTF-8 in link text
    return final, [(h, None) for h in p.hrefs], body


def children(base, entries):
    """Direct children of directory URL base: [(url, name_bytes, is_dir)]."""
    b = urllib.parse.urlsplit(base)
    seen, out = set(), []
    for href, hint in entries:
        u = urllib.parse.urlsplit(urllib.parse.urljoin(base, href))
        if (u.scheme, u.netloc) != (b.scheme, b.netloc) or u.query:
            continue
        path = u.path
        if not path.startswith(b.path) or len(path) <= len(b.path):
            continue
        rest = path[len(b.path):]
        is_dir = rest.endswith("/")
        seg = rest[:-1] if is_dir else rest
        if not seg or "/" in seg:
            continue
        name = urllib.parse.unquote_to_bytes(seg)
        if name in (b".", b"..") or b"/" in name:
            continue
        if hint is not None:
            is_dir = hint
        url = urllib.parse.urlunsplit((u.scheme, u.netloc, path, "", ""))
        if url in seen:
            continue
        seen.add(url)
        out.append((url, name, is_dir))
    return out


def download(url, dest, tmpdir):
    os.makedirs(tmpdir, exist_ok=True)
    tmp = os.path.join(tmpdir, b"download.tmp")
    with get(url) as r, open(tmp, "wb") as f:
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            f.write(chunk)
    os.replace(tmp, dest)


def crawl(url, outdir, state, recursive, quiet, visited):
    if url in visited:
        return 0
    visited.add(url)
    final, entries, body = listing(url)
    if "junk" in BREAK:
        with open(os.path.join(outdir, b"index.html?C=N;O=D"), "wb") as f:
            f.write(body)
    n = 0
    for child, name, is_dir in children(final, entries):
        if is_dir:
            if recursive:
                sub = os.path.join(outdir, name)
                os.makedirs(sub, exist_ok=True)
                n += crawl(child, sub, state, recursive, quiet, visited)
            continue
        if "drop" in BREAK and not getattr(crawl, "dropped", False):
            crawl.dropped = True
            continue
        download(child, os.path.join(outdir, name), state)
        if not quiet:
            print(child)
        n += 1
    return n


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("-q", action="store_true")
    ap.add_argument("-r", action="store_true")
    ap.add_argument("-o", required=True)
    ap.add_argument("url")
    a = ap.parse_args(argv)
    out = os.fsencode(a.o)
    os.makedirs(out, exist_ok=True)
    state = os.path.join(out, b".fetchall")
    n = crawl(a.url, out, state, a.r, a.q, set())
    if os.path.isdir(state):
        try:
            os.rmdir(state)
        except OSError:
            pass
    if "corrupt" in BREAK:
        biggest = None
        for d, _, files in os.walk(out):
            for f in files:
                p = os.path.join(d, f)
                if biggest is None or os.path.getsize(p) > os.path.getsize(biggest):
                    biggest = p
        if biggest:
            with open(biggest, "r+b") as f:
                f.seek(12345)
                c = f.read(1)
                f.seek(12345)
                f.write(bytes([c[0] ^ 0xFF]))
    if "part" in BREAK:
        with open(os.path.join(out, b"x.part"), "wb") as f:
            f.write(b"partial")
    if not a.q:
        print("%d files" % n, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
