#!/usr/bin/env python3
"""The benchmark of issue 6: fetchall against its peers, over loopback with added
latency, and BENCHMARKS.md from the results.

    bench/setup.sh && python3 bench/run.py            # full run, writes BENCHMARKS.md
    python3 bench/run.py --quick                      # smoke check: 1 run, small corpora
    python3 bench/run.py --scenarios S1,S3 --runs 5

See bench/README.md for what each scenario measures and how the lower bound is
computed. Only 127.0.0.1 is used.
"""

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import corpus  # noqa: E402
import measure  # noqa: E402
import netns  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402
import shaping  # noqa: E402
import tools  # noqa: E402
import volume as volume_module  # noqa: E402

BENCH = os.path.dirname(os.path.abspath(__file__))

# The cases, in the order they run. `levels` is the number of listing levels (a
# listing round trip each); `base` is the case whose mirror S5 re-runs.
CASES = [
    {"id": "S1", "scenario": "S1", "corpus": "s1", "rtt": 80, "https": False,
     "recursive": False, "title": "seed's case: ~110 files (.txt + .zip 20 KB-1.5 MB), flat"},
    {"id": "S1-100M", "scenario": "S1", "corpus": "s1", "rtt": 80, "https": False,
     "recursive": False, "rate_mbit": 100,
     "title": "S1 on a 100 Mbit/s link (tc htb on the proxy's answers)"},
    {"id": "S2-h1", "scenario": "S2", "corpus": "s2", "rtt": 50, "https": False,
     "recursive": False, "title": "1,000 files of 4-64 KB, flat, HTTP/1.1"},
    {"id": "S2-h2", "scenario": "S2", "corpus": "s2", "rtt": 50, "https": True,
     "recursive": False, "title": "1,000 files of 4-64 KB, flat, HTTPS (HTTP/2 offered)"},
    {"id": "S3", "scenario": "S3", "corpus": "s3", "rtt": 40, "https": False,
     "recursive": False, "segmented": True,
     "title": "two 200 MB files, 5 MiB/s per connection (nginx limit_rate)"},
    {"id": "S4", "scenario": "S4", "corpus": "s4", "rtt": 50, "https": False,
     "recursive": True, "title": "3-level tree of ~400 files, recursive"},
    {"id": "S5-S2", "scenario": "S5", "corpus": "s2", "rtt": 50, "https": False,
     "recursive": False, "rerun": True, "base": "S2-h1",
     "title": "re-run of S2 (HTTP/1.1) on a complete mirror"},
    {"id": "S5-S4", "scenario": "S5", "corpus": "s4", "rtt": 50, "https": False,
     "recursive": True, "rerun": True, "base": "S4",
     "title": "re-run of S4 on a complete mirror"},
    # No proxy: nginx on loopback, where the per-file cost (request, create, write,
    # durability, rename) is all there is. Only the recursive mirrors that finish
    # 100,000 files in minutes run it; the title's count is --tiny-files.
    {"id": "S6", "scenario": "S6", "corpus": "s6", "rtt": 0, "https": False,
     "recursive": True, "direct": True, "tiny": True,
     "tools": ("fetchall", "wget2", "rclone", "lftp"), "single_run_after": 150,
     "title": "{files:,} tiny files in 100 folders, recursive, nginx on loopback"},
]

# S6's file count without --tiny-files (the issue's case, and a quick one).
TINY_FILES = 100_000
TINY_FILES_QUICK = 5_000


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and case (median)")
    parser.add_argument("--s3-runs", type=int, default=None,
                        help="runs for S3 (default: --runs; tools that take over "
                             "--single-run-after seconds run once anyway)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: 1 run, small corpora, report to bench/out")
    parser.add_argument("--scenarios", default="S1,S2,S3,S4,S5,S6",
                        help="comma-separated scenarios (S1..S6) or cases (S2-h2, S1-100M)")
    parser.add_argument("--tiny-files", type=int, default=None,
                        help=f"files in S6's tree, spread over 100 folders (default "
                             f"{TINY_FILES:,}; {TINY_FILES_QUICK:,} with --quick)")
    parser.add_argument("--tools", default="",
                        help="comma-separated subset of tools (default: every one installed)")
    parser.add_argument("--jobs", type=int, default=16, help="concurrency given to every tool")
    parser.add_argument("--workdir", default="/tmp/fetchall-bench",
                        help="corpora, nginx prefix and outputs (not in git)")
    parser.add_argument("--output", default=None,
                        help="report path (default: BENCHMARKS.md at the repo root; "
                             "bench/out/BENCHMARKS-quick.md with --quick)")
    parser.add_argument("--connect-delay", choices=("half", "full"), default="half",
                        help="latency added to a new connection: RTT/2 (default) or a "
                             "full RTT like a real TCP handshake")
    parser.add_argument("--big", action="store_true",
                        help="also check fetchall's peak RSS on a 4 GB file (needs ~9 GB "
                             "free in --workdir)")
    parser.add_argument("--single-run-after", type=float, default=30.0,
                        help="a tool whose first run takes longer than this many seconds "
                             "is run once in that case (default 30)")
    parser.add_argument("--timeout", type=float, default=300.0, help="limit for one run (s)")
    parser.add_argument("--output-fs", choices=("ext4", "workdir"), default="ext4",
                        help="where the tools write: a fresh journaled ext4 loop-mounted "
                             "for the run (default; needs root) or the workdir itself")
    parser.add_argument("--no-build", action="store_true", help="use existing binaries")
    parser.add_argument("--no-netns", dest="netns", action="store_false",
                        help="run on the host's loopback (MTU 65536) instead of inside a "
                             "fresh network namespace whose lo has MTU 1500 (the default "
                             "as root with `ip`; see bench/netns.py)")
    parser.add_argument("--fetchall", default=os.environ.get("FETCHALL_BIN"),
                        help="the fetchall binary to measure (default: $FETCHALL_BIN, else "
                             "build it: target/release/fetchall); not built when given")
    parser.add_argument("--latency-proxy", default=None,
                        help="the latency-proxy binary (default: build it, or with "
                             "--no-build, target/release/latency-proxy)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.runs = 1
        arguments.timeout = min(arguments.timeout, 60.0)
        arguments.s3_runs = 1
    if arguments.tiny_files is None:
        arguments.tiny_files = TINY_FILES_QUICK if arguments.quick else TINY_FILES
    if arguments.tiny_files < 100:
        parser.error("--tiny-files: at least 100 (one per folder)")
    return arguments


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def repository_root():
    result = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=BENCH,
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def build(repo, target_dir, fetchall=True, proxy=True):
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    if fetchall:
        log("building fetchall (cargo build --release)")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=repo, env=env,
                       check=True)
    if proxy:
        log("building bench/latency-proxy")
        subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
                        os.path.join(BENCH, "latency-proxy", "Cargo.toml")], env=env,
                       check=True)


def select_cases(text):
    wanted = {item.strip().upper() for item in text.split(",") if item.strip()}
    chosen = [case for case in CASES
              if case["scenario"] in wanted or case["id"].upper() in wanted]
    unknown = wanted - {c["scenario"] for c in CASES} - {c["id"].upper() for c in CASES}
    if unknown:
        sys.exit(f"error: unknown scenario {', '.join(sorted(unknown))}")
    return chosen


def machine_info():
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            kib = int(file.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "memory": memory, "kernel": platform.release(),
            "cpu": cpu, "os": platform.freedesktop_os_release().get("PRETTY_NAME", "")
            if hasattr(platform, "freedesktop_os_release") else ""}


def measure_link_rate(proxy_binary, nginx, workdir):
    """Bytes per second of one connection through a zero-RTT proxy: the 'link
    rate' of the lower bound."""
    with servers.LatencyProxy(proxy_binary, nginx.http_port, 0) as proxy:
        rates = []
        for _ in range(2):
            result = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}",
                 f"http://127.0.0.1:{proxy.port}/raw/large1.bin"],
                capture_output=True, text=True, stdin=subprocess.DEVNULL)
            try:
                rates.append(float(result.stdout))
            except ValueError:
                pass
    return max(rates) if rates else None


def lower_bound(case, files, jobs, link_rate):
    """The lower bound of issue 6 and how it was reached:
    max(bytes / link rate, waves x RTT), a wave being one round of `jobs`
    requests, plus one round trip per listing level. For S3 the link rate is
    the throttle x the connections in use; for S5 (nothing to transfer) it is one
    round trip per listing level."""
    total = sum(size for size, _ in files.values())
    levels = 1 + max((path.count(os.sep) for path in files), default=0) if case["recursive"] else 1
    rtt = case["rtt"] / 1000
    if case.get("tiny"):
        # No added latency and a link of GB/s: nothing but the per-file work bounds
        # it, which is what the case compares (files/s, CPU).
        return {"seconds": None, "formula": "none (loopback, no added latency: files/s "
                "and CPU are what it compares)", "levels": levels, "bytes": total,
                "files": len(files)}
    if case.get("rerun"):
        return {"seconds": levels * rtt, "formula": f"{levels} listing level(s) x {case['rtt']} ms",
                "levels": levels, "bytes": total, "files": len(files)}
    waves = math.ceil(len(files) / jobs) + levels
    rate = link_rate or float("inf")
    formula_rate = f"{total / 1e6:.1f} MB / {rate / 1e6:.0f} MB/s link"
    if case.get("segmented"):
        rate = servers.THROTTLE_RATE * jobs
        formula_rate = f"{total / 1e6:.0f} MB / ({jobs} conns x 5 MiB/s)"
    if case.get("rate_mbit"):
        rate = case["rate_mbit"] * 1e6 / 8
        formula_rate = (f"{total / 1e6:.1f} MB / {rate / 1e6:.1f} MB/s "
                        f"({case['rate_mbit']} Mbit/s link)")
    by_bytes = total / rate
    by_waves = waves * rtt
    formula = (f"max({formula_rate} = {by_bytes:.2f} s, "
               f"{waves} waves x {case['rtt']} ms = {by_waves:.2f} s)")
    if case["https"]:
        # The waves are rounds of `jobs` requests; over HTTP/2 a tool may keep more
        # streams than that in flight on its connections, and go below it.
        formula += (f" at {jobs} requests in flight; over HTTP/2 fetchall keeps "
                    f"{4 * jobs} and wget2 up to {30 * jobs} (streams per connection)")
    return {"seconds": max(by_bytes, by_waves), "formula": formula, "levels": levels,
            "bytes": total, "files": len(files), "waves": waves}


class Bench:
    def __init__(self, arguments):
        self.arguments = arguments
        self.repo = repository_root()
        self.target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(self.repo, "target")
        self.workdir = os.path.abspath(arguments.workdir)
        self.www = os.path.join(self.workdir, "www-quick" if arguments.quick else "www")
        self.results = {}      # case id -> tool name -> result dict
        self.case_info = {}    # case id -> lower bound, url, commands...
        self.notes = []

    def prepare(self):
        arguments = self.arguments
        if not arguments.no_build:
            build(self.repo, self.target, fetchall=not arguments.fetchall,
                  proxy=not arguments.latency_proxy)
        self.fetchall = os.path.abspath(arguments.fetchall or
                                        os.path.join(self.target, "release", "fetchall"))
        self.proxy_binary = os.path.abspath(arguments.latency_proxy or os.path.join(
            self.target, "release", "latency-proxy"))
        for binary in (self.fetchall, self.proxy_binary):
            if not os.access(binary, os.X_OK):
                sys.exit(f"error: {binary}: not an executable (build it, or see --help)")
        help_text = subprocess.run([self.fetchall, "--help"], capture_output=True,
                                   text=True).stdout
        self.has_split = "--split" in help_text
        seed = os.path.normpath(os.path.join(self.repo, "..", "shared", "seed",
                                             "seed_threadpool.py"))
        os.makedirs(self.workdir, exist_ok=True)
        rclone_config = os.path.join(self.workdir, "rclone.conf")
        open(rclone_config, "a").close()
        every = tools.all_tools(self.fetchall, seed, rclone_config, self.has_split,
                                arguments.jobs)
        wanted = {t.strip() for t in arguments.tools.split(",") if t.strip()}
        self.tools = []
        self.missing = []
        for tool in every:
            if wanted and tool.name.split()[0] not in wanted and tool.name not in wanted:
                continue
            (self.tools if tool.available() else self.missing).append(tool)
        for tool in self.missing:
            log(f"skipping {tool.name}: not installed (bench/setup.sh installs it)")
        self.versions = {tool.name: tool.version() for tool in self.tools}
        self.versions["nginx"] = subprocess.run(["nginx", "-v"], capture_output=True,
                                                text=True).stderr.strip()

    def run_case_tool(self, case, tool, files, run_index, keep_output):
        """One run of one tool; returns the run's record."""
        out = os.path.join(self.out_root, case["id"], tool.name.replace(" ", "_"))
        if not case.get("rerun"):
            shutil.rmtree(out, ignore_errors=True)
        # Every tool finds OUT already there (wget2 1.99's --chunk-size needs it).
        os.makedirs(out, exist_ok=True)
        context = self.contexts[case["id"]]
        context.out = out
        tools.write_url_lists(context, context.base_url, files)
        try:
            argv, env = tool.command(context)
        except tools.NotApplicable as reason:
            return {"skipped": str(reason)}
        log_path = os.path.join(self.workdir, "logs", f"{case['id']}.{tool.name.replace(' ', '_')}.log")
        offset = self.nginx.log_offset()
        shaped_before = self.shaper.stats() if self.shaper else None
        result = measure.run_measured(argv, env, log_path, self.arguments.timeout, self.workdir)
        server = measure.summarise_log(self.nginx.requests_since(offset))
        if shaped_before:
            # What went through the shaped link, and what its FIFO dropped.
            sent, dropped = self.shaper.stats()
            server["shaped_bytes"] = sent - shaped_before[0]
            server["shaped_drops"] = dropped - shaped_before[1]
        problems = measure.verify(out, files)
        if result.timed_out:
            problems.insert(0, f"timed out after {self.arguments.timeout:.0f} s")
        record = {"wall": result.wall, "rss_kib": result.rss_kib, "cpu": result.cpu,
                  "exit": result.exit_code, "problems": problems, "server": server,
                  "argv": argv, "env": env}
        if not keep_output:
            shutil.rmtree(out, ignore_errors=True)
        status = "ok" if not problems else "FAIL: " + "; ".join(problems)
        log(f"  {case['id']} run {run_index + 1} {tool.name:<18} {result.wall:7.2f} s "
            f"{result.rss_kib / 1024:6.1f} MiB  cpu {result.cpu:5.2f} s  "
            f"req {server['requests']:5d} conn {server['connections']:3d}  exit "
            f"{result.exit_code}  {status}")
        return record

    def ensure_corpus(self, name):
        """The corpus `name`'s manifest (S6's tree has --tiny-files files)."""
        files = self.arguments.tiny_files if name == "s6" else None
        return corpus.ensure(self.www, name, self.arguments.quick, log, files=files)

    def run_case(self, case):
        arguments = self.arguments
        manifest = self.ensure_corpus(case["corpus"])
        files = manifest if case["recursive"] else corpus.top_level(manifest)
        if "{files" in case["title"]:
            case = dict(case, title=case["title"].format(files=len(files)))
        bound = lower_bound(case, files, arguments.jobs, self.link_rate)
        if case.get("rate_mbit") and shaping.unavailable():
            self.skip_case(case, bound, shaping.unavailable())
            return
        port = self.nginx.https_port if case["https"] else self.nginx.http_port
        proxy = None
        if case.get("direct"):
            base_url = f"http://127.0.0.1:{port}/{case['corpus']}/"
        else:
            connect_delay = case["rtt"] if arguments.connect_delay == "full" else None
            proxy = servers.LatencyProxy(self.proxy_binary, port, case["rtt"], connect_delay)
            scheme = "https" if case["https"] else "http"
            base_url = f"{scheme}://127.0.0.1:{proxy.port}/{case['corpus']}/"
        self.shaper = None
        try:
            info = {"case": case, "bound": bound, "url": base_url}
            self.case_info[case["id"]] = info
            if case.get("rate_mbit"):
                info["shaping"] = self.shape(case, proxy)
            self.run_tools(case, files, base_url, bound)
        finally:
            if self.shaper:
                self.shaper.remove()
                self.shaper = None
            if proxy:
                proxy.stop()

    def skip_case(self, case, bound, reason):
        log(f"{case['id']}: skipped: {reason}")
        self.case_info[case["id"]] = {"case": case, "bound": bound, "url": None,
                                      "skipped": reason}
        self.notes.append(f"{case['id']} was not run: {reason}")

    def shape(self, case, proxy):
        """Shapes what `proxy` sends to the tools to the case's rate (bench/shaping.py)
        and checks it with one curl of 20 MB through the proxy: the rate it measured
        goes into the report."""
        self.shaper = shaping.Shaper(proxy.port, case["rate_mbit"], case["rtt"])
        self.shaper.apply()
        size = 20_000_000
        result = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-r", f"0-{size - 1}", "-w",
             "%{size_download} %{time_total}",
             f"http://127.0.0.1:{proxy.port}/raw/large1.bin"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL)
        try:
            got, seconds = result.stdout.split()
            rate = int(got) / float(seconds)
        except ValueError:
            rate = None
        nominal = case["rate_mbit"] * 1e6 / 8
        log(f"{case['id']}: link shaped to {case['rate_mbit']} Mbit/s "
            f"({nominal / 1e6:.1f} MB/s) with a {self.shaper.limit:,}-byte FIFO; one curl "
            f"of {size / 1e6:.0f} MB through it (80 ms RTT, connection setup included): "
            f"{(rate or 0) / 1e6:.2f} MB/s")
        if rate is None or not 0.75 * nominal < rate < 1.05 * nominal:
            self.notes.append(f"{case['id']}: the shaped link measured "
                              f"{(rate or 0) / 1e6:.2f} MB/s, not about {nominal / 1e6:.1f}")
        return {"rate_mbit": case["rate_mbit"], "measured": rate, "probe_bytes": size,
                "limit": self.shaper.limit,
                "commands": ["tc " + " ".join(c) for c in self.shaper.commands()]}

    def run_tools(self, case, files, base_url, bound):
        """Every tool, `--runs` times, in a rotating order."""
        arguments = self.arguments
        lists = os.path.join(self.workdir, "lists")
        os.makedirs(lists, exist_ok=True)
        largest = max(size for size, _ in files.values())
        context = tools.Case(case["id"], base_url, None,
                             os.path.join(lists, case["id"] + ".aria2.txt"),
                             os.path.join(lists, case["id"] + ".curl.cfg"),
                             case["recursive"], 1, case["https"], case.get("segmented", False),
                             largest, arguments.jobs, self.nginx.ca)
        context.extensions = sorted({os.path.splitext(path)[1].lstrip(".") for path in files})
        context.files = len(files)
        self.contexts[case["id"]] = context
        limit = "none" if bound["seconds"] is None else f"{bound['seconds']:.2f} s"
        log(f"{case['id']}: {case['title']} at {case['rtt']} ms RTT; {len(files)} files, "
            f"{bound['bytes'] / 1e6:.1f} MB; LB {limit} = {bound['formula']}")
        runs = arguments.runs
        if case.get("segmented") and arguments.s3_runs:
            runs = arguments.s3_runs
        single_after = case.get("single_run_after", arguments.single_run_after)
        results = self.results.setdefault(case["id"], {})
        is_base = any(c.get("base") == case["id"] for c in self.cases)
        if case.get("rerun"):
            self.prepare_mirrors(case, files)
        for run_index in range(runs):
            # Rotate the order so that no tool always runs right after another.
            order = self.tools[run_index % len(self.tools):] + \
                self.tools[:run_index % len(self.tools)]
            for tool in order:
                entry = results.setdefault(tool.name, {"runs": []})
                if entry.get("skipped") or entry.get("failed"):
                    continue
                if case.get("tools") and tool.name not in case["tools"]:
                    entry["skipped"] = (f"not run on {case['id']} (only "
                                        f"{', '.join(case['tools'])})")
                    continue
                if run_index > 0 and entry["runs"] and \
                        entry["runs"][0]["wall"] > single_after:
                    entry["single"] = True
                    continue
                if case.get("rerun") and tool.name not in self.mirrors.get(case["id"], ()):
                    entry["skipped"] = self.mirror_problem.get((case["id"], tool.name),
                                                               "no complete mirror")
                    continue
                keep = case.get("rerun") or (is_base and run_index == runs - 1)
                record = self.run_case_tool(case, tool, files, run_index, keep)
                if "skipped" in record:
                    entry["skipped"] = record["skipped"]
                else:
                    entry["runs"].append(record)
                    if record["problems"]:
                        entry["failed"] = True

    def prepare_mirrors(self, case, files):
        """S5 re-runs each tool on its own complete mirror: the output of the base
        case's last run, or a fresh untimed run when the base case did not run."""
        base = case["base"]
        self.mirrors[case["id"]] = set()
        for tool in self.tools:
            try:
                tool.command(self.contexts[case["id"]])
            except tools.NotApplicable as reason:
                self.mirror_problem[(case["id"], tool.name)] = str(reason)
                continue
            name = tool.name.replace(" ", "_")
            source = os.path.join(self.out_root, base, name)
            target = os.path.join(self.out_root, case["id"], name)
            shutil.rmtree(target, ignore_errors=True)
            if os.path.isdir(source) and not measure.verify(source, files):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.move(source, target)
                self.mirrors[case["id"]].add(tool.name)
                continue
            log(f"  {case['id']}: making {tool.name}'s mirror (untimed)")
            record = self.run_case_tool(case, tool, files, -1, True)
            if "skipped" in record:
                self.mirror_problem[(case["id"], tool.name)] = record["skipped"]
            elif record["problems"]:
                self.mirror_problem[(case["id"], tool.name)] = \
                    "could not make a complete mirror: " + "; ".join(record["problems"])
            else:
                self.mirrors[case["id"]].add(tool.name)

    def run_big(self):
        """fetchall on one 4 GB file, no added latency: the peak-RSS check."""
        free = shutil.disk_usage(self.workdir).free
        need = 9e9 if not self.arguments.quick else 1e9
        if free < need:
            self.notes.append(f"4 GB memory check skipped: {free / 1e9:.1f} GB free, "
                              f"{need / 1e9:.0f} GB needed")
            return
        manifest = corpus.ensure(self.www, "big", self.arguments.quick, log)
        out = os.path.join(self.out_root, "big")
        shutil.rmtree(out, ignore_errors=True)
        url = f"http://127.0.0.1:{self.nginx.http_port}/big/"
        argv = [self.fetchall, "-q", "-j", str(self.arguments.jobs), "-o", out, url]
        log_path = os.path.join(self.workdir, "logs", "big.fetchall.log")
        result = measure.run_measured(argv, {}, log_path, 600, self.workdir)
        problems = measure.verify(out, manifest)
        shutil.rmtree(out, ignore_errors=True)
        size = sum(s for s, _ in manifest.values())
        self.big = {"bytes": size, "wall": result.wall, "rss_kib": result.rss_kib,
                    "cpu": result.cpu, "exit": result.exit_code, "problems": problems,
                    "argv": argv}
        log(f"big: {size / 1e9:.1f} GB in {result.wall:.1f} s, peak RSS "
            f"{result.rss_kib / 1024:.1f} MiB, cpu {result.cpu:.1f} s, "
            f"{'ok' if not problems else 'FAIL: ' + '; '.join(problems)}")

    def main(self):
        started = time.monotonic()
        arguments = self.arguments
        self.cases = select_cases(arguments.scenarios)
        self.contexts = {}
        self.mirrors = {}
        self.mirror_problem = {}
        self.big = None
        self.shaper = None
        self.prepare()
        # Every corpus first, so that generation does not fall between runs.
        for name in sorted({case["corpus"] for case in self.cases} | {"s3"}):
            self.ensure_corpus(name)
        os.makedirs(os.path.join(self.workdir, "logs"), exist_ok=True)
        prefix = os.path.join(self.workdir, "nginx")
        os.makedirs(prefix, exist_ok=True)
        self.nginx = servers.Nginx(prefix, self.www)
        volume = volume_module.OutputVolume(self.workdir, 12 * 2**30)
        self.out_root, self.outputs = (
            volume.mount() if arguments.output_fs == "ext4"
            else (volume.fallback, "the workdir's own file system (--output-fs workdir)"))
        log(f"outputs on {self.outputs}")
        self.nginx.start()
        try:
            self.link_rate = measure_link_rate(self.proxy_binary, self.nginx, self.workdir)
            log(f"link rate (one connection through the proxy at 0 ms): "
                f"{(self.link_rate or 0) / 1e6:.0f} MB/s")
            for case in self.cases:
                self.run_case(case)
            if arguments.big:
                self.run_big()
        finally:
            self.nginx.stop()
            volume.unmount()
        elapsed = time.monotonic() - started
        output = arguments.output or (
            os.path.join(BENCH, "out", "BENCHMARKS-quick.md") if arguments.quick
            else os.path.join(self.repo, "BENCHMARKS.md"))
        os.makedirs(os.path.dirname(output), exist_ok=True)
        data = {"arguments": vars(arguments), "machine": machine_info(),
                "versions": self.versions, "missing": [t.name for t in self.missing],
                "link_rate": self.link_rate, "cases": self.case_info, "results": self.results,
                "tools": [{"name": t.name, "handed_list": t.handed_list,
                           "incremental": t.incremental} for t in self.tools],
                "big": self.big, "notes": self.notes, "elapsed": elapsed,
                "outputs": self.outputs, "fetchall_binary": self.fetchall,
                "netns": netns.current(), "mtu": netns.loopback_mtu(),
                "date": time.strftime("%Y-%m-%d"), "has_split": self.has_split,
                "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=self.repo,
                                         capture_output=True, text=True).stdout.strip()}
        with open(os.path.join(self.workdir, "results.json"), "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1, default=str)
        report.write_report(data, output)
        log(f"wrote {output} ({elapsed / 60:.1f} min); raw results in "
            f"{os.path.join(self.workdir, 'results.json')}")


def main():
    arguments = parse_arguments()
    if arguments.netns and not netns.current():
        reason = netns.unavailable()
        if reason:
            log(f"not using a network namespace ({reason}): the host's loopback, MTU "
                f"{netns.loopback_mtu()}")
        else:
            # Build outside: the namespace has no network for cargo.
            if not arguments.no_build:
                build(repository_root(), os.environ.get("CARGO_TARGET_DIR") or
                      os.path.join(repository_root(), "target"),
                      fetchall=not arguments.fetchall, proxy=not arguments.latency_proxy)
            inner = [sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--no-build"]
            sys.exit(netns.run_inside(inner, log))
    Bench(arguments).main()


if __name__ == "__main__":
    main()
