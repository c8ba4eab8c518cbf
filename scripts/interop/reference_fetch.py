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

Hrefs are taken as browsers take them: characters a URL cannot hold (space,
UTF-8, '<', '"', ...) are percent-encoded, and a '%' not followed by two hex
digits is a literal '%' (%25); existing %XX escapes are kept. A link without a
trailing '/' that redirects to '.../' (mini_httpd, webfsd, Twisted, WEBrick
link or answer folders that way) is a folder. A link that fails (404, ...) is
reported on stderr, the rest goes on, and the exit status is 1.

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
import urllib.error
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


HEXDIGITS = b"0123456789abcdefABCDEF"
# RFC 3986 pchar minus pct-encoded, plus '/'
PATH_SAFE = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             b"-._~!$&'()*+,;=:@/")


def escape_path(path):
    """Percent-encode what a URL path cannot hold; keep valid %XX escapes."""
    b = path.encode("utf-8", "surrogateescape")
    out = []
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x25:  # '%'
            if i + 2 < len(b) and b[i + 1] in HEXDIGITS and b[i + 2] in HEXDIGITS:
                out.append(b[i:i + 3].decode("ascii"))
                i += 3
                continue
            out.append("%25")
        elif c in PATH_SAFE:
            out.append(chr(c))
        else:
            out.append("%%%02X" % c)
        i += 1
    return "".join(out)


def children(base, entries):
    """Direct children of directory URL base: [(url, name_bytes, is_dir)]."""
    b = urllib.parse.urlsplit(base)
    seen, out = set(), []
    for href, hint in entries:
        u = urllib.parse.urlsplit(urllib.parse.urljoin(base, href))
        if (u.scheme, u.netloc) != (b.scheme, b.netloc) or u.query:
            continue
        path = escape_path(u.path)
        # compare decoded paths: servers differ in escaping (%c3 vs %C3, raw UTF-8)
        dpath = urllib.parse.unquote_to_bytes(path)
        dbase = urllib.parse.unquote_to_bytes(escape_path(b.path))
        if not dpath.startswith(dbase) or len(dpath) <= len(dbase):
            continue
        rest = dpath[len(dbase):]
        is_dir = rest.endswith(b"/")
        name = rest[:-1] if is_dir else rest
        if not name or b"/" in name:
            continue
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


FAILED = []


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def first_hop(url):
    """GET url without following a redirect: (response, None) or (None, Location)."""
    req = urllib.request.Request(url, headers={"User-Agent": "fetchall-interop-reference"})
    try:
        return urllib.request.build_opener(NoRedirect).open(req, timeout=60), None
    except urllib.error.HTTPError as e:
        if e.code in (301, 302, 303, 307, 308) and e.headers.get("Location"):
            e.close()
            # http.client reads header bytes as Latin-1; a raw UTF-8 Location
            # (mini_httpd) must become its real characters again
            loc = e.headers["Location"].encode("latin-1", "replace").decode("utf-8", "surrogateescape")
            return None, loc
        raise


def download(url, dest, tmpdir):
    """Save url as dest. Returns the folder URL if url turned out to be a
    folder (redirected to '.../'); then nothing is saved."""
    os.makedirs(tmpdir, exist_ok=True)
    tmp = os.path.join(tmpdir, b"download.tmp")
    r, loc = first_hop(url)
    if r is None:
        # mini_httpd sends the folder's name raw in Location
        # ("/dir with space & #/"), where '#' would start a fragment: a
        # redirect to our own path plus '/' is the folder at url + '/'.
        mine = urllib.parse.unquote_to_bytes(urllib.parse.urlsplit(url).path)
        raw = loc.split("://", 1)[1].split("/", 1)[1] if "://" in loc else loc.lstrip("/")
        if urllib.parse.unquote_to_bytes("/" + raw) == mine + b"/":
            return url + "/"
        target = urllib.parse.urljoin(url, loc)
        u = urllib.parse.urlsplit(target)
        target = urllib.parse.urlunsplit((u.scheme, u.netloc, escape_path(u.path), u.query, ""))
        if u.path.endswith("/"):
            return target
        r = get(target)
    with r:
        with open(tmp, "wb") as f:
            while True:
                chunk = r.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)
    os.replace(tmp, dest)
    return None


def crawl(url, outdir, state, recursive, quiet, visited):
    if url in visited:
        return 0
    visited.add(url)
    try:
        final, entries, body = listing(url)
    except (urllib.error.URLError, OSError, ValueError) as e:
        FAILED.append(url)
        print("failed: listing %s: %s" % (url, e), file=sys.stderr)
        return 0
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
        try:
            folder = download(child, os.path.join(outdir, name), state)
        except (urllib.error.URLError, OSError, ValueError) as e:
            FAILED.append(child)
            print("failed: %s: %s" % (child, e), file=sys.stderr)
            continue
        if folder is not None:
            if recursive:
                sub = os.path.join(outdir, name)
                os.makedirs(sub, exist_ok=True)
                n += crawl(folder, sub, state, recursive, quiet, visited)
            continue
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
    if FAILED:
        print("%d links failed" % len(FAILED), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
