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

Usage: make_iis_fixture.py [--locale LOCALE] TREE_DIR > iis.html

LOCALE is en-US (the default: iis.html) or one of the other date styles IIS
prints in its server's locale, as seen in those captures: en-US-long
(`Tuesday, June 9, 2015  2:57 AM`, sample 10a/10b), en-US-date (the time column
off: ` 5/17/2020`, 106a/106b), ru-RU-date (`30.05.2015`, 09b), ko-KR
(`2017-08-10 오전 12:12`, 11b); and, not seen in a capture but what Windows
prints for those locales, de-DE (`04.03.2021 05:06`), de-DE-long
(`Donnerstag, 4. März 2021 05:06`) and en-GB (`04/03/2021 05:06`, which no
client can tell from the US form).
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


GERMAN_MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
                 "August", "September", "Oktober", "November", "Dezember"]
GERMAN_DAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag",
               "Samstag", "Sonntag"]
ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July",
                  "August", "September", "October", "November", "December"]
ENGLISH_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                "Saturday", "Sunday"]


def twelve_hour(tm):
    hour = tm.tm_hour % 12 or 12
    return "%d:%02d %s" % (hour, tm.tm_min, "AM" if tm.tm_hour < 12 else "PM")


def locale_date(t, locale):
    """(date column, width, clock column or None) in LOCALE."""
    tm = time.gmtime(t)
    if locale == "en-US-long":
        date = "%s, %s %d, %d" % (ENGLISH_DAYS[tm.tm_wday], ENGLISH_MONTHS[tm.tm_mon - 1],
                                  tm.tm_mday, tm.tm_year)
        return date, 29, twelve_hour(tm)
    if locale == "en-US-date":
        return "%d/%d/%d" % (tm.tm_mon, tm.tm_mday, tm.tm_year), 10, None
    if locale == "ru-RU-date":
        return "%02d.%02d.%d" % (tm.tm_mday, tm.tm_mon, tm.tm_year), 10, None
    if locale == "ko-KR":
        half = "오전" if tm.tm_hour < 12 else "오후"
        clock = "%s %d:%02d" % (half, tm.tm_hour % 12 or 12, tm.tm_min)
        return "%d-%02d-%02d" % (tm.tm_year, tm.tm_mon, tm.tm_mday), 10, clock
    if locale == "de-DE":
        return ("%02d.%02d.%d" % (tm.tm_mday, tm.tm_mon, tm.tm_year), 10,
                "%02d:%02d" % (tm.tm_hour, tm.tm_min))
    if locale == "de-DE-long":
        date = "%s, %d. %s %d" % (GERMAN_DAYS[tm.tm_wday], tm.tm_mday,
                                  GERMAN_MONTHS[tm.tm_mon - 1], tm.tm_year)
        return date, 29, "%02d:%02d" % (tm.tm_hour, tm.tm_min)
    if locale == "en-GB":
        return ("%02d/%02d/%d" % (tm.tm_mday, tm.tm_mon, tm.tm_year), 10,
                "%02d:%02d" % (tm.tm_hour, tm.tm_min))
    raise SystemExit("unknown locale: %s" % locale)


LOCALE = "en-US"


def pad(s, width):
    # PadDirField: right-align to width, then one column spacer
    return s.rjust(width) + " "


def entry(url_dir, name, is_dir, size, mtime):
    if LOCALE == "en-US":
        date, clock = us_date(mtime)
        columns = pad(date, 10) + pad(clock, 8)
    else:
        date, width, clock = locale_date(mtime, LOCALE)
        columns = pad(date, width) + ("" if clock is None else pad(clock, 8))
    sz = pad("&lt;dir&gt;", 12 + 6) if is_dir else pad(str(size), 12)
    href = url_dir + urllib.parse.quote(name, safe=SAFE) + ("/" if is_dir else "")
    href = href.replace("&", "&amp;")
    return "%s%s<A HREF=\"%s\">%s</A><br>" % (
        columns, sz, href, html.escape(name, quote=False))


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
    global LOCALE
    if len(argv) == 4 and argv[1] == "--locale":
        LOCALE = argv[2]
        argv = [argv[0], argv[3]]
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
