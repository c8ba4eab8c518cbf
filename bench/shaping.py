"""A rate-limited link for one latency proxy: the kernel's htb on `lo`, shaping only
the packets the proxy sends to its clients (server -> client), as a real uplink is.

The kernel has no netem (latency comes from bench/latency-proxy) but has htb and
tbf. A tbf at the root of `lo` would slow every loopback packet of the machine
(nginx -> proxy, and whatever else runs), so the root is an htb whose unclassified
traffic goes straight out (`default 0`: htb's direct queue, no rate), and one class
at the link's rate catches, through a u32 filter, the packets whose source port is
the proxy's listening port: the responses on their way to the tool. The class
feeds a FIFO of one bandwidth-delay product (rate x RTT, the classic router
buffer), so the queue a new connection waits behind stays what a sane uplink has.

The shaping is removed by `remove()` (called from the runner's `finally`), by an
atexit hook, and on SIGTERM (turned into SystemExit so that `finally` runs); a run
killed with SIGKILL leaves it behind, and the next `apply()` removes it (it is
recognised by its handle). By hand: `tc qdisc del dev lo root handle fa:`.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

DEVICE = "lo"
# htb's handle (hex "fa:") and its leaf's: what marks the qdisc as the bench's.
ROOT = "fa:"
CLASS = "fa:1"
LEAF = "fb:"


def tc(*arguments, check=True):
    """Runs `tc ARGUMENTS...`; returns its stdout."""
    result = subprocess.run(["tc", *arguments], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise RuntimeError(f"tc {' '.join(arguments)}: {result.stderr.strip()}")
    return result.stdout


def root_qdisc():
    """The first line of `tc qdisc show dev lo root` ('qdisc noqueue 0: root ...')."""
    lines = tc("qdisc", "show", "dev", DEVICE, "root").splitlines()
    return lines[0] if lines else ""


def unavailable():
    """Why the link cannot be shaped here (None when it can)."""
    if os.geteuid() != 0:
        return "needs root (tc on lo)"
    if not shutil.which("tc"):
        return "no tc (package iproute2)"
    try:
        current = root_qdisc()
    except (OSError, RuntimeError) as error:
        return f"tc does not work: {error}"
    if is_ours(current):
        return None
    if not re.match(r"qdisc (noqueue|pfifo_fast|fq_codel|fq|mq) ", current):
        return f"lo already has a root qdisc of someone else's ({current.strip()}); left alone"
    return None


def is_ours(line):
    return line.startswith(f"qdisc htb {ROOT} ")


class Shaper:
    """`rate_mbit` Mbit/s for what the proxy on `port` sends, with a FIFO of
    `rtt_ms` worth of bytes. Use `with Shaper(...) as shaper:` or apply/remove."""

    def __init__(self, port, rate_mbit, rtt_ms):
        self.port = port
        self.rate_mbit = rate_mbit
        self.limit = max(64 * 1024, int(rate_mbit * 1e6 / 8 * rtt_ms / 1000))
        self.applied = False
        self.previous_sigterm = None

    def commands(self):
        """The tc commands that set the shaping up, in order (printed in the report)."""
        rate = f"{self.rate_mbit}mbit"
        return [
            ["qdisc", "add", "dev", DEVICE, "root", "handle", ROOT, "htb", "default", "0"],
            # quantum: one 64 KiB loopback (GSO) packet; htb's own default would be
            # rate / 10, over its 200,000-byte cap.
            ["class", "add", "dev", DEVICE, "parent", ROOT, "classid", CLASS, "htb",
             "rate", rate, "ceil", rate, "quantum", "65536"],
            ["qdisc", "add", "dev", DEVICE, "parent", CLASS, "handle", LEAF, "bfifo",
             "limit", str(self.limit)],
            ["filter", "add", "dev", DEVICE, "parent", ROOT, "protocol", "ip", "prio", "1",
             "u32", "match", "ip", "sport", str(self.port), "0xffff", "flowid", CLASS],
        ]

    def apply(self):
        """Sets the shaping up (removing a stale one of the bench's first)."""
        if is_ours(root_qdisc()):
            tc("qdisc", "del", "dev", DEVICE, "root", "handle", ROOT, check=False)
        atexit.register(self.remove)
        if threading_main():
            self.previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self.applied = True
        try:
            for command in self.commands():
                tc(*command)
        except RuntimeError:
            self.remove()
            raise

    def remove(self):
        """Takes the shaping away (only the bench's own qdisc); safe to call twice."""
        if not self.applied:
            return
        self.applied = False
        try:
            if is_ours(root_qdisc()):
                tc("qdisc", "del", "dev", DEVICE, "root", "handle", ROOT, check=False)
        finally:
            if self.previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self.previous_sigterm)
                self.previous_sigterm = None

    def stats(self):
        """(bytes sent, packets dropped) by the shaped class's FIFO so far."""
        text = tc("-s", "qdisc", "show", "dev", DEVICE, "parent", CLASS, check=False)
        match = re.search(r"Sent (\d+) bytes \d+ pkt \(dropped (\d+)", text)
        return (int(match.group(1)), int(match.group(2))) if match else (0, 0)

    def __enter__(self):
        self.apply()
        return self

    def __exit__(self, *_):
        self.remove()


def threading_main():
    """signal.signal only works in the main thread."""
    return threading.current_thread() is threading.main_thread()


def _exit_on_sigterm(signum, _frame):
    # SystemExit unwinds through every `finally`, which removes the shaping.
    sys.exit(128 + signum)
