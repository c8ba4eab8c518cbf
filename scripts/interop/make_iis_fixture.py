#!/usr/bin/env python3
"""Render tests/fixtures/listings/iis.html: an IIS "directory browsing" page
for the root of the tricky tree.

There is no IIS on Debian, so this page cannot be captured here. It is
rendered in exactly the markup of real IIS 7+/8+/10 pages (DirectoryListingModule)
as captured from live servers in KoalaBear84/OpenDirectoryDownloader
(src/OpenDirectoryDownloader.Tests/Samples/DirectoryListing{09b,10a,10b,11b,20a,20b,106a,106b}.html.dat),
see tests/fixtures/listings/README.md. The generator was checked to reproduce those
captures byte for byte when fed their entries (en-US date format).

Only names whose IIS escaping was observed in real captures are listed
(space -> %20, '#' -> %23, UTF-8 -> uppercase %XX, '&' -> '&amp;' unescaped in
the URL, ' ( ) ; [ ] , ~ $ left as is); names that cannot exist on Windows
(" < > ?) or whose IIS rendering was not observed (% + =) are left out.

Usage: make_iis_fixture.py TREE_DIR > iis.html
"""
import html
import os
import sys
import time
import urllib.parse

HOST = "127.0.0.1"
# characters IIS was seen leaving unescaped in HREF (besides alnum and / - . _)
SAFE = "/-._~'()$;[],&"
OMIT_CHARS = set('"<>?%+=')


def us_date(t):
    tm = time.gmtime(t)  # server local time; the fixture assumes a UTC server
    date = "%d/%d/%d" % (tm.tm_mon, tm.tm_mday, tm.tm_year)
    hour = tm.tm_hour % 12 or 12
    clock = "%d:%02d %s" % (hour, tm.tm_min, "AM" if tm.tm_hour < 12 else "PM")
    return date, clock


def pad(s, width):
    # PadDirField: right-align to width, then one column spacer
    return s.rjust(width) + " "


def entry(url_dir, name, is_dir, size, mtime):
    date, clock = us_date(mtime)
    sz = pad("&lt;dir&gt;", 12 + 6) if is_dir else pad(str(size), 12)
    href = url_dir + urllib.parse.quote(name, safe=SAFE) + ("/" if is_dir else "")
    href = href.replace("&", "&amp;")
    return "%s%s%s<A HREF=\"%s\">%s</A><br>" % (
        pad(date, 10), pad(clock, 8), sz, href, html.escape(name, quote=False))


def render(url_dir, entries, parent=None):
    title = "%s - %s" % (HOST, urllib.parse.unquote(url_dir))
    out = "<html><head><title>%s</title></head><body><H1>%s</H1><hr>\r\n\r\n<pre>" % (title, title)
    if parent is not None:
        out += "<A HREF=\"%s\">[To Parent Directory]</A><br><br>" % parent
    # NTFS returns names in upper-cased UTF-16 order; dirs and files interleave
    entries = sorted(entries, key=lambda e: e[0].upper().encode("utf-16-be"))
    for name, is_dir, size, mtime in entries:
        out += entry(url_dir, name, is_dir, size, mtime)
    out += "</pre><hr></body></html>"
    return out


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tree = argv[1]
    entries = []
    for name in os.listdir(tree):
        if OMIT_CHARS & set(name):
            continue
        st = os.stat(os.path.join(tree, name))
        is_dir = os.path.isdir(os.path.join(tree, name))
        entries.append((name, is_dir, st.st_size, st.st_mtime))
    sys.stdout.buffer.write(render("/", entries).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
