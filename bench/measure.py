"""Running one tool once: wall time, peak RSS and CPU seconds (from wait4), and
checking what it wrote against the corpus manifest."""

import os
import signal
import subprocess
import threading
import time

import corpus

GNU_TIME = "/usr/bin/time"


class Measurement:
    def __init__(self, wall, rss_kib, cpu, exit_code, timed_out):
        self.wall = wall
        self.rss_kib = rss_kib
        self.cpu = cpu
        self.exit_code = exit_code
        self.timed_out = timed_out


def run_measured(argv, env_extra, log_path, timeout, cwd):
    """Runs `argv` to completion (or kills its process group after `timeout`),
    with stdout and stderr going to `log_path`.

    Peak RSS and CPU come from GNU time (`/usr/bin/time -f '%M %U %S'`), which
    forks from a small C process: measuring from this Python process (wait4)
    would count the forked Python image, since Linux keeps the pre-exec peak in
    the child's maxrss."""
    env = dict(os.environ)
    env.update(env_extra)
    usage_path = log_path + ".usage"
    with open(log_path, "ab") as log:
        log.write(("$ " + " ".join(argv) + "\n").encode())
        log.flush()
        if os.path.exists(usage_path):
            os.remove(usage_path)
        wrapped = [GNU_TIME, "-f", "%M %U %S", "-o", usage_path] + argv
        started = time.monotonic()
        process = subprocess.Popen(wrapped, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                   env=env, cwd=cwd, start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            exit_code = process.wait()
        finally:
            timer.cancel()
        wall = time.monotonic() - started
    rss_kib, cpu = 0, 0.0
    try:
        with open(usage_path, encoding="utf-8") as file:
            # A non-zero exit adds a "Command exited with ..." line first.
            fields = file.read().strip().splitlines()[-1].split()
        rss_kib, cpu = int(fields[0]), float(fields[1]) + float(fields[2])
    except (OSError, IndexError, ValueError):
        pass
    return Measurement(wall, rss_kib, cpu, exit_code, timed_out.is_set())


def verify(out, expected):
    """Compares the regular files under `out` with `expected` ({relative path:
    [size, sha256]}); returns a list of problems (empty when identical). Empty
    folders are not counted."""
    found = {}
    if os.path.isdir(out):
        for folder, _, names in os.walk(out):
            for name in names:
                path = os.path.join(folder, name)
                found[os.path.relpath(path, out)] = path
    problems = []
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
    if extra:
        problems.append(f"{len(extra)} unexpected files (e.g. {', '.join(extra[:3])})")
    wrong = []
    for relative in sorted(set(expected) & set(found)):
        size, digest = expected[relative]
        path = found[relative]
        if (os.path.islink(path) or os.path.getsize(path) != size
                or corpus.hash_file(path) != digest):
            wrong.append(relative)
    if wrong:
        problems.append(f"{len(wrong)} with wrong contents (e.g. {', '.join(wrong[:3])})")
    return problems


def peak_overlap(rows):
    """The most of `rows` being answered at the same moment: each request runs from
    `msec - request_time` to `msec` (nginx's clock, millisecond resolution)."""
    events = []
    for r in rows:
        end = float(r["msec"])
        events.append((end - float(r["request_time"] or 0), 1))
        events.append((end, -1))
    peak = now = 0
    # At equal times an answer that ends frees its connection before the next starts.
    for _, change in sorted(events):
        now += change
        peak = max(peak, now)
    return peak


def summarise_log(rows):
    """What the server saw during one run: requests, connections, HEADs, 304s,
    protocols, and the body bytes of files (listings, whose URIs end in `/`,
    excluded)."""
    file_rows = [r for r in rows if not r["uri"].endswith("/")]
    return {
        "requests": len(rows),
        "connections": len({(r["pid"], r["connection"]) for r in rows}),
        "file_connections": len({(r["pid"], r["connection"]) for r in file_rows
                                 if r["request_method"] == "GET"}),
        "peak_file_requests": peak_overlap([r for r in file_rows
                                            if r["request_method"] == "GET"]),
        "heads": sum(1 for r in rows if r["request_method"] == "HEAD"),
        "not_modified": sum(1 for r in rows if r["status"] == "304"),
        "listings": sum(1 for r in rows if r["uri"].endswith("/")),
        "protocols": sorted({r["server_protocol"] for r in rows}),
        # Everything nginx sent for this run (headers and listings included).
        "bytes_sent": sum(int(r["bytes_sent"] or 0) for r in rows),
        "file_body_bytes": sum(int(r["body_bytes_sent"] or 0) for r in file_rows
                               if r["request_method"] == "GET"),
    }
