"""Where the tools write: a fresh journaled ext4 made for the run.

The build machine's root file system is ext4 *without* a journal. There, ext4 skips
inodes freed in the last 60 s (360 s while their table block is dirty) when it
allocates new ones, and the scan past them is charged to whoever creates files next:
in a benchmark that deletes each run's 1,000 files, a tool's CPU time grew run after
run (0.23 to 0.78 s for the same download) with the deletions of the tools before it.
A loop-mounted ext4 made with mkfs's defaults (journaled, like a user's disk) does not
do that, and is the same for every tool. Without root or loop devices the outputs
stay in the workdir, and BENCHMARKS.md says so.
"""

import os
import shutil
import subprocess


class OutputVolume:
    """A sparse image of `size` bytes, formatted ext4 and mounted at `WORKDIR/outfs`."""

    def __init__(self, workdir, size):
        self.image = os.path.join(workdir, "outfs.img")
        self.mount_point = os.path.join(workdir, "outfs")
        self.size = size
        self.mounted = False
        self.fallback = os.path.join(workdir, "out")

    def mount(self):
        """Makes and mounts the volume; returns (output root, description)."""
        if os.geteuid() != 0 or not shutil.which("mkfs.ext4"):
            return self.fallback, "the workdir's own file system (not root, or no mkfs.ext4)"
        self.unmount()
        try:
            with open(self.image, "wb") as file:
                file.truncate(self.size)
            quiet = {"check": True, "stdin": subprocess.DEVNULL,
                     "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
            subprocess.run(["mkfs.ext4", "-q", "-F", self.image], **quiet)
            os.makedirs(self.mount_point, exist_ok=True)
            subprocess.run(["mount", "-o", "loop", self.image, self.mount_point], **quiet)
        except (OSError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", b"") or b""
            self.remove_image()
            return self.fallback, (f"the workdir's own file system (no loop mount: "
                                   f"{detail.decode(errors='replace').strip() or error})")
        self.mounted = True
        return (os.path.join(self.mount_point, "out"),
                f"a fresh ext4 with a journal (mkfs.ext4 defaults, {self.size / 2**30:.0f} GiB "
                f"sparse image, loop-mounted), made for this run")

    def unmount(self):
        if os.path.ismount(self.mount_point):
            subprocess.run(["umount", self.mount_point], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.mounted = False
        self.remove_image()

    def remove_image(self):
        try:
            os.remove(self.image)
        except FileNotFoundError:
            pass
