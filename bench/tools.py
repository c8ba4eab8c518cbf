"""The tools under test and the exact command each one gets per scenario.

Every tool gets the same concurrency (`jobs`, 16 by default) and its best flags
for the job: recursion limited to the listing for flat scenarios, robots.txt off,
segmented downloads for the large files of S3 where the tool has them, the
benchmark's CA for HTTPS (verification stays on), and the flags that make a
re-run on a complete mirror incremental (used by S5). Tools that cannot read a
listing (aria2c, curl) are handed the URL list, which saves them the discovery
round trip; the report says so.
"""

import math
import os
import shutil
import subprocess


class Case:
    """What a tool needs to know about one scenario run."""

    def __init__(self, name, url, out, list_file, config_file, recursive, cut_dirs,
                 https, segmented, largest_file, jobs, ca):
        self.name = name
        self.url = url
        self.out = out
        self.list_file = list_file        # aria2c input file (URL + out= per file)
        self.config_file = config_file    # curl config (url/output pairs)
        self.recursive = recursive
        self.cut_dirs = cut_dirs          # path segments before the corpus root
        self.https = https
        self.segmented = segmented        # S3: large files, throttled per connection
        self.largest_file = largest_file
        self.jobs = jobs
        self.ca = ca
        self.extensions = []              # file name extensions in the corpus
        self.files = 0                    # files in the corpus
        self.base_url = url


class Tool:
    """A tool: how to find it, its version, and its command for a case (or None
    with a reason when it cannot do that case)."""

    name = ""
    handed_list = False
    incremental = True

    def available(self):
        return shutil.which(self.binary) is not None

    def version(self):
        try:
            result = subprocess.run(self.version_command, capture_output=True, text=True,
                                    timeout=20, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"unknown ({error})"
        text = (result.stdout or result.stderr).strip().splitlines()
        return text[0].strip() if text else "unknown"

    def command(self, case):
        """(argv, environment additions) or raises NotApplicable."""
        raise NotImplementedError


class NotApplicable(Exception):
    """The tool cannot do this scenario (the message says why)."""


class Fetchall(Tool):
    name = "fetchall"

    def __init__(self, binary, split=False, jobs=16):
        self.binary = binary
        self.split = split
        if split:
            # The command S3 gives it (two files): the name says the connections.
            self.name = f"fetchall -j {2 * jobs} --split {jobs}"
        self.version_command = [binary, "--version"]

    def available(self):
        return os.access(self.binary, os.X_OK)

    def command(self, case):
        if self.split and not case.segmented:
            raise NotApplicable("--split only matters for large files")
        jobs = case.jobs
        if self.split:
            # The peers' -x16 -s16, --multi-thread-streams 16 and pget -n 16 give
            # each file in flight its own 16 connections (32 for S3's two files);
            # fetchall's -j counts every connection, so it is given as many.
            jobs = case.jobs * max(1, min(case.files, case.jobs))
        argv = [self.binary, "-q", "-j", str(jobs), "-o", case.out]
        if case.recursive:
            argv.append("-r")
        if self.split:
            argv += ["--split", str(case.jobs)]
        # The benchmark's throw-away CA, as every tool is given it.
        return argv + ["--cacert", case.ca, case.url], {}


class Seed(Tool):
    """The seed program: python, ThreadPoolExecutor, urllib, BeautifulSoup."""

    name = "seed (python)"
    binary = "/usr/bin/python3"
    incremental = False

    def __init__(self, script):
        self.script = script
        self.version_command = [self.binary, "--version"]

    def available(self):
        if not (self.script and os.path.exists(self.script)):
            return False
        probe = subprocess.run([self.binary, "-c", "import bs4"], capture_output=True,
                               stdin=subprocess.DEVNULL)
        return probe.returncode == 0

    def version(self):
        return "seed_threadpool.py on " + super().version()

    def command(self, case):
        if case.recursive:
            raise NotApplicable("flat listings only")
        # urllib verifies HTTPS against OpenSSL's default paths, which SSL_CERT_FILE
        # points at the benchmark's CA.
        return ([self.binary, self.script, case.url, case.out, str(case.jobs)],
                {"SSL_CERT_FILE": case.ca})


class Wget(Tool):
    name = "wget"
    binary = "wget"
    version_command = ["wget", "--version"]

    def command(self, case):
        argv = ["wget", "-q", "-e", "robots=off", "-N", "-r", "-np", "-nH",
                "-R", "index.html*", "-P", case.out]
        if case.recursive:
            argv += [f"--cut-dirs={case.cut_dirs}", "-l", "inf"]
        else:
            argv += ["-nd", "-l1"]
        if case.https:
            argv.append(f"--ca-certificate={case.ca}")
        return argv + [case.url], {}


class Wget2(Tool):
    name = "wget2"
    binary = "wget2"
    version_command = ["wget2", "--version"]

    def command(self, case):
        # wget2 keeps the listing pages it read even when `-R 'index.html*'` rejects
        # them, so it is given the corpus's file extensions to accept instead (the
        # `-A zip,txt` a user would type).
        argv = ["wget2", "-q", "--no-robots", f"--max-threads={case.jobs}", "-r",
                "-np", "-nH", "-A", ",".join(case.extensions), "-P", case.out]
        if not case.segmented:
            # -N with --chunk-size makes wget2 1.99 ask for each chunk with
            # If-Modified-Since; nginx answers 304 and wget2 asks again, forever.
            argv.append("-N")
        if case.recursive:
            argv += [f"--cut-dirs={case.cut_dirs}", "-l", "0"]
        else:
            argv += ["-nd", "-l1"]
        if case.https:
            argv += [f"--ca-certificate={case.ca}", "--http2"]
        if case.segmented:
            argv.append(f"--chunk-size={math.ceil(case.largest_file / case.jobs)}")
        return argv + [case.url], {}


class Aria2c(Tool):
    name = "aria2c"
    binary = "aria2c"
    version_command = ["aria2c", "--version"]
    handed_list = True

    def command(self, case):
        argv = ["aria2c", "-q", "-j", str(case.jobs), "--auto-file-renaming=false",
                "--allow-overwrite=true", "--conditional-get=true", "--remote-time=true",
                "-i", case.list_file, "-d", case.out]
        argv += ["-x16", "-s16", "-k1M"] if case.segmented else ["-x1"]
        if case.https:
            argv.append(f"--ca-certificate={case.ca}")
        return argv, {}


class Rclone(Tool):
    name = "rclone"
    binary = "rclone"
    version_command = ["rclone", "version"]

    def __init__(self, config_path):
        self.config_path = config_path

    def command(self, case):
        argv = ["rclone", "copy", "-q", "--transfers", str(case.jobs), "--checkers",
                str(case.jobs), "--http-url", case.url, ":http:", case.out]
        if not case.recursive:
            argv += ["--max-depth", "1"]
        if case.https:
            argv += ["--ca-cert", case.ca]
        if case.segmented:
            argv += ["--multi-thread-streams", str(case.jobs), "--multi-thread-cutoff", "1M"]
        return argv, {"RCLONE_CONFIG": self.config_path}


class Lftp(Tool):
    name = "lftp"
    binary = "lftp"
    version_command = ["lftp", "--version"]

    def command(self, case):
        options = [f"--parallel={case.jobs}"]
        if not case.recursive:
            options.append("--no-recursion")
        if case.segmented:
            options.append(f"--use-pget-n={case.jobs}")
        script = (f"set cmd:fail-exit yes; set net:max-retries 2; set net:timeout 30; "
                  f"set ssl:ca-file {case.ca}; "
                  f"mirror {' '.join(options)} {case.url} {case.out}")
        return ["lftp", "-c", script], {}


class Curl(Tool):
    name = "curl"
    binary = "curl"
    version_command = ["curl", "--version"]
    handed_list = True
    incremental = False

    def command(self, case):
        argv = ["curl", "-s", "-S", "-f", "-Z", "--parallel-max", str(case.jobs),
                "--create-dirs", "-R", "-K", case.config_file]
        if case.https:
            argv += ["--cacert", case.ca]
        else:
            # Over HTTP/1.1 there is nothing to multiplex: without this, curl 7.88
            # waits for the first connection and fetches S3's two files one after
            # the other.
            argv.append("--parallel-immediate")
        return argv, {}


def all_tools(fetchall_binary, seed_script, rclone_config, has_split, jobs=16):
    tools = [Fetchall(fetchall_binary)]
    if has_split:
        tools.append(Fetchall(fetchall_binary, split=True, jobs=jobs))
    tools += [Seed(seed_script), Wget(), Wget2(), Aria2c(), Rclone(rclone_config), Lftp(),
              Curl()]
    return tools


def write_url_lists(case, base_url, files):
    """Writes the aria2c input file and the curl config for the files of a case."""
    with open(case.list_file, "w", encoding="utf-8") as aria, \
            open(case.config_file, "w", encoding="utf-8") as curl:
        for path in sorted(files):
            relative = path.replace(os.sep, "/")
            url = base_url + relative
            aria.write(f"{url}\n  out={relative}\n")
            curl.write(f'url = "{url}"\noutput = "{os.path.join(case.out, path)}"\n')
