#!/usr/bin/env python3
"""The scale case (issue 14): does memory grow with the mirror?

A generated tree of `--folders` × `--per-folder` tiny files is served by a private
nginx on 127.0.0.1 (autoindex on, access log off), and each tool mirrors it
recursively, then again over its complete mirror (a re-sync); fetchall also reads
a `-i` list of `--list-lines` URLs (the tree's files, each spelled several ways
when the list is longer than the tree, so every line is a distinct URL). Each run
prints peak RSS (GNU time) and files/s. Nothing here is part of `cargo test` or
CI; it is run alone:

    python3 bench/scale.py --folders 200 --per-folder 1000 --tools fetchall,wget2,rclone

The tree is kept under `--workdir` (default /tmp/fetchall-scale) between runs, so
a second run does not generate it again; delete that folder when done.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

import measure  # noqa: E402
import servers  # noqa: E402

NGINX_CONF = """\
{user}
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        autoindex on;
    }}
}}
"""


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folders", type=int, default=200)
    parser.add_argument("--per-folder", type=int, default=1000)
    parser.add_argument("--tools", default="fetchall,wget2,rclone",
                        help="comma-separated: fetchall, wget2, rclone")
    parser.add_argument("--list-lines", type=int, default=0,
                        help="also run fetchall on a -i list of this many URLs (0: no)")
    parser.add_argument("--no-resync", action="store_true", help="skip the re-sync runs")
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--workdir", default="/tmp/fetchall-scale")
    parser.add_argument("--fetchall", default=None,
                        help="fetchall binary (default: build target/release/fetchall)")
    parser.add_argument("--timeout", type=float, default=3600)
    return parser.parse_args()


def log(message):
    print(message, file=sys.stderr, flush=True)


def generate_tree(www, folders, per_folder):
    """`www/tree/dNNNN/fNNNNN.txt`, each file a few bytes; folders made earlier (by a
    run with fewer folders) are kept."""
    tree = os.path.join(www, "tree")
    os.makedirs(tree, exist_ok=True)
    started = time.monotonic()
    for folder in range(folders):
        path = os.path.join(tree, f"d{folder:04d}")
        marker = os.path.join(path, ".complete")
        if os.path.exists(marker):
            continue
        os.makedirs(path, exist_ok=True)
        for index in range(per_folder):
            with open(os.path.join(path, f"f{index:05d}.txt"), "wb") as file:
                file.write(f"{folder} {index}\n".encode())
        # nginx's autoindex lists no dot file.
        open(marker, "wb").close()
    log(f"tree: {folders} × {per_folder} files ready ({time.monotonic() - started:.0f} s)")
    return tree


def serve(workdir, www, folders):
    """A site whose /tree/ lists exactly the first `folders` folders (symlinks into
    the generated tree, which nginx follows)."""
    site = os.path.join(workdir, f"site-{folders}")
    if not os.path.isdir(site):
        os.makedirs(os.path.join(site, "tree"))
        for folder in range(folders):
            name = f"d{folder:04d}"
            os.symlink(os.path.join(www, "tree", name), os.path.join(site, "tree", name))
    prefix = os.path.join(workdir, "nginx")
    os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
    port = servers.free_port()
    config = os.path.join(prefix, "nginx.conf")
    with open(config, "w", encoding="utf-8") as file:
        file.write(NGINX_CONF.format(user="user root;" if os.geteuid() == 0 else "",
                                     prefix=prefix, port=port, www=site))
    subprocess.run(["nginx", "-t", "-q", "-p", prefix, "-c", config], check=True,
                   stdin=subprocess.DEVNULL)
    process = subprocess.Popen(["nginx", "-p", prefix, "-c", config, "-g", "daemon off;"],
                               stdin=subprocess.DEVNULL)
    servers.wait_for_port(port)
    return process, f"http://127.0.0.1:{port}/tree/"


def command(tool, binary, url, out, jobs):
    if tool == "fetchall":
        return [binary, "-r", "-q", "-j", str(jobs), "-o", out, url]
    if tool == "wget2":
        return ["wget2", "-q", "--no-robots", f"--max-threads={jobs}", "-r", "-np", "-nH",
                "--cut-dirs=1", "-l", "0", "-N", "-A", "txt", "-P", out, url]
    if tool == "rclone":
        return ["rclone", "copy", "-q", "--transfers", str(jobs), "--checkers", str(jobs),
                "--http-url", url, ":http:", out]
    raise ValueError(tool)


def count_files(out):
    return sum(len([n for n in names if n.endswith(".txt")]) for _, _, names in os.walk(out))


def write_list(path, base, folders, per_folder, lines):
    """`lines` distinct URLs: the tree's files, then files that are not there (each
    one a HEAD and a GET answered 404: a failed file, kept in the run's plan like
    any other)."""
    written = 0
    with open(path, "w", encoding="ascii") as file:
        file.write("# the scale case's URL list\n\n")
        for folder in range(folders):
            for index in range(per_folder):
                if written == lines:
                    return
                file.write(f"{base}d{folder:04d}/f{index:05d}.txt\n")
                written += 1
        index = 0
        while written < lines:
            file.write(f"{base}d{index % folders:04d}/missing-{index}.txt\n")
            written += 1
            index += 1


def row(tool, run, files, result):
    rate = files / result.wall if result.wall else 0
    status = "ok" if result.exit_code == 0 and not result.timed_out else (
        "timed out" if result.timed_out else f"exit {result.exit_code}")
    return (f"| {tool} | {run} | {files:,} | {result.rss_kib / 1024:.0f} MiB | "
            f"{result.wall:.0f} s | {rate:,.0f} | {status} |")


def main():
    arguments = parse_arguments()
    workdir = os.path.abspath(arguments.workdir)
    www = os.path.join(workdir, "www")
    tools = [t for t in arguments.tools.split(",") if t]
    binary = arguments.fetchall
    if "fetchall" in tools and binary is None:
        repo = os.path.dirname(BENCH)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=repo, check=True)
        binary = os.path.join(repo, "target", "release", "fetchall")
    for tool in tools:
        if tool != "fetchall" and shutil.which(tool) is None:
            log(f"{tool}: not installed (bench/setup.sh installs it); left out")
    tools = [t for t in tools if t == "fetchall" or shutil.which(t)]
    generate_tree(www, arguments.folders, arguments.per_folder)
    files = arguments.folders * arguments.per_folder
    nginx, url = serve(workdir, www, arguments.folders)
    rows = []
    try:
        for tool in tools:
            out = os.path.join(workdir, "out", tool)
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            argv = command(tool, binary, url, out, arguments.jobs)
            runs = ["mirror"] + ([] if arguments.no_resync else ["re-sync"])
            for run in runs:
                log("$ " + " ".join(argv))
                result = measure.run_measured(argv, {}, os.path.join(workdir, f"{tool}.log"),
                                              arguments.timeout, workdir)
                got = count_files(out)
                if got != files:
                    log(f"{tool} {run}: {got:,} of {files:,} files")
                rows.append(row(tool, run, files, result))
                log(rows[-1])
            shutil.rmtree(out, ignore_errors=True)
        if arguments.list_lines and "fetchall" in tools:
            list_file = os.path.join(workdir, "urls.txt")
            write_list(list_file, url, arguments.folders, arguments.per_folder,
                       arguments.list_lines)
            out = os.path.join(workdir, "out", "list")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            # No -o: each file goes to the folder named after its own (`d0001/…`),
            # so every line is a path of its own. The missing files make it exit 1.
            argv = [binary, "-q", "-j", str(arguments.jobs), "-i", list_file]
            log("$ " + " ".join(argv) + f"   (in {out})")
            result = measure.run_measured(argv, {}, os.path.join(workdir, "list.log"),
                                          arguments.timeout, out)
            rows.append(row("fetchall", "-i list", arguments.list_lines, result))
            log(rows[-1])
            shutil.rmtree(out, ignore_errors=True)
    finally:
        nginx.terminate()
        nginx.wait()
    print("| tool | run | files | peak RSS | wall | files/s | status |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for line in rows:
        print(line)


if __name__ == "__main__":
    main()
