"""Runs the whole bench inside a network namespace of its own, whose loopback has
a real link's MTU (1500 bytes).

The host's `lo` has an MTU of 65536, so a TCP segment carries 64 KiB and a new
connection's initial window (10 segments) is 640 KiB: slow start, which a real
link pays on every new connection, all but vanishes (a 100 Mbit/s link with
80 ms RTT looked instant). In a fresh namespace the bench sets `lo`'s MTU to 1500
(MSS 1460, an initial window of 14.6 KB) and shapes that `lo` with tc, so neither
the MTU nor the shaping ever touches the host's loopback or anything else on it.

`ip netns exec` also gives the command a mount namespace of its own, so the
outputs' loop-mounted ext4 (bench/volume.py) is only visible inside; nginx, the
proxies and the tools all run inside, on 127.0.0.1 of the namespace.

The namespace is `fa-bench-<pid>`; it is deleted when the inner run ends, fails or
the outer one gets SIGTERM/SIGINT (passed on to the inner run first). After a
SIGKILL: `ip netns del fa-bench-<pid>`.
"""

import os
import shutil
import signal
import subprocess
import sys

# Set in the inner run's environment: the namespace it runs in.
ENVIRONMENT = "FETCHALL_BENCH_NETNS"
MTU = 1500


def current():
    """The bench's namespace this process runs in, or None."""
    return os.environ.get(ENVIRONMENT) or None


def unavailable():
    """Why the bench cannot make a namespace here (None when it can)."""
    if os.geteuid() != 0:
        return "needs root"
    if not shutil.which("ip"):
        return "no ip (package iproute2)"
    return None


def loopback_mtu():
    """The MTU of `lo` where this process runs (the namespace's when inside one)."""
    try:
        with open("/sys/class/net/lo/mtu", encoding="ascii") as file:
            return int(file.read().strip())
    except (OSError, ValueError):
        return None


def ip(*arguments):
    result = subprocess.run(["ip", *arguments], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(arguments)}: {result.stderr.strip()}")


def run_inside(argv, log=print):
    """Creates the namespace, runs `argv` in it (the bench again, with
    ENVIRONMENT set) and deletes the namespace; returns the inner exit code."""
    name = f"fa-bench-{os.getpid()}"
    ip("netns", "add", name)
    child = None
    previous = {}

    def pass_on(signum, _frame):
        # The inner run turns SIGTERM into SystemExit and cleans up (tc, nginx,
        # mount); the namespace goes once it has exited.
        if child and child.poll() is None:
            child.send_signal(signum)

    try:
        ip("netns", "exec", name, "ip", "link", "set", "lo", "mtu", str(MTU))
        ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        log(f"running inside network namespace {name} (lo up, MTU {MTU}); "
            "--no-netns runs on the host's loopback")
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, pass_on)
        child = subprocess.Popen(["ip", "netns", "exec", name, *argv],
                                 env=dict(os.environ, **{ENVIRONMENT: name}))
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if child and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        try:
            ip("netns", "del", name)
        except RuntimeError as error:
            print(f"warning: {error}; remove it with `ip netns del {name}`", file=sys.stderr)
