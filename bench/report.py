"""BENCHMARKS.md from the results of bench/run.py (a dict, also saved as JSON)."""

import os
import shlex
import statistics

import charts


def median(values):
    return statistics.median(values) if values else None


def summary(entry):
    """Medians of a tool's runs in one case, or None when it has no valid runs."""
    runs = entry.get("runs", [])
    if not runs or entry.get("failed"):
        return None
    server = [run["server"] for run in runs]
    return {
        "wall": median([r["wall"] for r in runs]),
        "low": min(r["wall"] for r in runs),
        "high": max(r["wall"] for r in runs),
        "count": len(runs),
        "rss_mib": max(r["rss_kib"] for r in runs) / 1024,
        "cpu": median([r["cpu"] for r in runs]),
        "requests": median([s["requests"] for s in server]),
        "connections": median([s["connections"] for s in server]),
        "file_connections": median([s["file_connections"] for s in server]),
        "peak_file_requests": median([s.get("peak_file_requests", 0) for s in server]),
        "heads": median([s["heads"] for s in server]),
        "not_modified": median([s["not_modified"] for s in server]),
        "body": median([s["file_body_bytes"] for s in server]),
        "shaped_drops": median([s.get("shaped_drops", 0) for s in server]),
        "shaped_bytes": median([s.get("shaped_bytes", 0) for s in server]),
        "sent": median([s.get("bytes_sent", 0) for s in server]),
        "protocols": sorted({p for s in server for p in s["protocols"]}),
        "exits": sorted({r["exit"] for r in runs}),
    }


def fmt(value, digits=2):
    return "—" if value is None else f"{value:.{digits}f}"


def times_bound(seconds, bound):
    """'1.31' (seconds / the lower bound), or '—' for a case without one (S6)."""
    return "—" if not bound else f"{seconds / bound:.2f}"


def fetchall_best(results):
    """The fastest valid fetchall variant of a case: (name, summary)."""
    best = (None, None)
    for name, entry in results.items():
        if name.startswith("fetchall"):
            stats = summary(entry)
            if stats and (best[1] is None or stats["wall"] < best[1]["wall"]):
                best = (name, stats)
    return best


def failure_text(entry):
    if entry.get("skipped"):
        return "n/a: " + entry["skipped"]
    if entry.get("failed"):
        problems = entry["runs"][-1]["problems"]
        exit_code = entry["runs"][-1]["exit"]
        return f"FAIL (exit {exit_code}): " + "; ".join(problems)
    return ""


def headline(data, lines):
    tool_names = [t["name"] for t in data["tools"] if not t["name"].startswith("fetchall")]
    lines.append("| case | LB (s) | fetchall | " + " | ".join(tool_names) + " |")
    lines.append("| --- | ---: | ---: | " + " | ".join("---:" for _ in tool_names) + " |")
    for case_id, info in data["cases"].items():
        results = data["results"].get(case_id, {})
        bound = info["bound"]["seconds"]
        if info.get("skipped"):
            lines.append(f"| {case_id} | {fmt(bound)} | not run: {info['skipped']} |" +
                         " |" * len(tool_names))
            continue
        name, best = fetchall_best(results)
        if best:
            variant = "" if name == "fetchall" else f" ({name[9:]})"
            over = f" = {times_bound(best['wall'], bound)}×" if bound else ""
            cell = f"**{best['wall']:.2f} s{over}**{variant}"
        else:
            cell = failure_text(results.get("fetchall", {})) or "—"
            cell = "FAIL" if cell.startswith("FAIL") else cell
        row = [case_id, fmt(bound), cell]
        for tool in tool_names:
            entry = results.get(tool, {})
            stats = summary(entry)
            if stats:
                ratio = f"; fa/peer {best['wall'] / stats['wall']:.2f}" if best else ""
                over = f" = {times_bound(stats['wall'], bound)}×" if bound else ""
                row.append(f"{stats['wall']:.2f} s{over}{ratio}")
            elif entry.get("failed"):
                row.append("FAIL")
            else:
                row.append("n/a")
        lines.append("| " + " | ".join(row) + " |")


def case_section(data, case_id, info, lines, chart=None):
    case = info["case"]
    bound = info["bound"]
    results = data["results"].get(case_id, {})
    handed = {t["name"] for t in data["tools"] if t["handed_list"]}
    where = "nginx on loopback, no added latency" if case.get("direct") else \
        f"{case['rtt']} ms RTT"
    lines += [f"### {case_id}: {case['title']}", ""]
    if info.get("skipped"):
        lines += [f"Not run: {info['skipped']}.", ""]
        return
    lines += [f"{where}; {bound['files']:,} files, {bound['bytes'] / 1e6:.1f} MB; "
              f"URL `{info['url']}`.", ""]
    if info.get("shaping"):
        lines += shaping_text(info["shaping"])
    if bound["seconds"] is None:
        lines += [f"Lower bound: {bound['formula']}.", ""]
    else:
        lines += [f"Lower bound: **{bound['seconds']:.2f} s** = {bound['formula']}.", ""]
    if chart:
        lines += [f"![{case_id}]({chart})", ""]
    rerun = case.get("rerun")
    _, best = fetchall_best(results)
    header = ["tool", "median s (min–max, runs)", "× LB", "fetchall/peer", "peak RSS MiB",
              "CPU s", "CPU s/GB", "requests", "conns", "protocol"]
    if case.get("tiny"):
        header[2] = "files/s"
    if rerun:
        header[6] = "file-body bytes re-sent"
        header.insert(8, "304s")
    if case.get("tiny"):
        header.insert(7, "CPU ms / 1,000 files")
    if info.get("shaping"):
        header += ["MB on the link", "FIFO drops"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| --- " * len(header) + "|")
    notes = []
    single_after = case.get("single_run_after", data["arguments"]["single_run_after"])
    for name, entry in results.items():
        stats = summary(entry)
        label = name + (" ¹" if name in handed else "")
        if not stats:
            if case.get("tools") and name not in case["tools"] and not entry.get("runs"):
                continue    # not one of the tools this case is for (said below the table)
            text = failure_text(entry)
            if text:
                notes.append(f"- {name}: {text}")
            lines.append(f"| {label} | {'FAIL' if entry.get('failed') else 'n/a'} |" +
                         " |" * (len(header) - 2))
            continue
        ratio = "—" if not best else f"{best['wall'] / stats['wall']:.2f}"
        gigabytes = bound["bytes"] / 1e9
        third = (f"{bound['files'] / stats['wall']:,.0f}" if case.get("tiny")
                 else times_bound(stats["wall"], bound["seconds"]))
        row = [label, f"{stats['wall']:.2f} ({stats['low']:.2f}–{stats['high']:.2f}, "
               f"{stats['count']})", third, ratio,
               f"{stats['rss_mib']:.1f}", f"{stats['cpu']:.2f}"]
        row.append(f"{stats['body']:,.0f}" if rerun else
                   f"{stats['cpu'] / gigabytes:,.1f}" if gigabytes else "—")
        if case.get("tiny"):
            row.append(f"{stats['cpu'] * 1e6 / bound['files']:,.0f}")
        row += [f"{stats['requests']:.0f}"]
        if rerun:
            row.append(f"{stats['not_modified']:.0f}")
        row += [f"{stats['connections']:.0f}", "/".join(stats["protocols"])]
        if info.get("shaping"):
            row += [f"{stats['shaped_bytes'] / 1e6:.1f}", f"{stats['shaped_drops']:.0f}"]
        lines.append("| " + " | ".join(row) + " |")
        if stats["exits"] != [0]:
            notes.append(f"- {name}: exit code {stats['exits']} although the files are right")
        if stats.get("count", 0) == 1 and entry.get("single"):
            notes.append(f"- {name}: run once (its first run took over "
                         f"{single_after:.0f} s)")
        if name == "wget2" and case.get("https"):
            notes.append("- wget2: over HTTP/2 each of its 16 connections may carry up to "
                         "`--http2-request-window` (30) requests at once, so more than 16 "
                         "can be in flight")
        if stats["heads"]:
            notes.append(f"- {name}: sent {stats['heads']:.0f} HEAD requests")
    lines.append("")
    if case.get("tools"):
        lines += [f"Only {', '.join(case['tools'])} run this case (recursive mirrors that "
                  "finish it in minutes; the others are n/a). `CPU s/GB` is per GB of "
                  "files, tiny here: compare `CPU s` and `files/s`.", ""]
    if case.get("segmented"):
        lines += segmented_text(data, bound, results)
    if rerun:
        plain = [t["name"] for t in data["tools"] if not t["incremental"] and t["name"] in results]
        if plain:
            notes.append(f"- {', '.join(plain)}: no incremental mode; they download every "
                         "file again (shown for scale)")
    if any(name in handed for name in results):
        notes.append("- ¹ handed the URL list (it cannot read a listing): no discovery "
                     "round trip")
    lines += notes + ([""] if notes else [])


def shaping_text(shaping):
    """How S1-100M's link was shaped, and what one curl measured through it."""
    measured = shaping.get("measured")
    probe = f"{measured / 1e6:.2f} MB/s" if measured else "nothing (the probe failed)"
    return [f"The link: {shaping['rate_mbit']} Mbit/s ({shaping['rate_mbit'] / 8:.1f} MB/s) "
            "for what the latency proxy sends to the tool, by an htb class on `lo` that a "
            "u32 filter on the proxy's port feeds, with a FIFO of one bandwidth-delay "
            f"product ({shaping['limit']:,} bytes; `FIFO drops` counts what it dropped); "
            f"one curl of {shaping['probe_bytes'] / 1e6:.0f} MB through it measured "
            f"{probe} (its 80 ms of setup included). The tc commands "
            "(`bench/shaping.py`, removed at the end):", "", "```"] + \
        shaping["commands"] + ["```", ""]


def segmented_text(data, bound, results):
    """S3: the connections each tool used and the file-body bytes nginx served it
    (from its access log), against the files' size; then each tool's own bound."""
    lines = ["fetchall runs S3 twice: at its defaults (`-j 16`, `--split 8`: at most 16 "
             "connections in all) and at equal connections (`-j 32 --split 16`, the 32 "
             "that the peers' 16 per file give two files). Connections and bytes, from "
             "nginx's access log: file bodies are `$body_bytes_sent` of the GETs of "
             "files, all bytes `$bytes_sent` of every answer (headers and the listing "
             "included), summed over the run (median of the runs):", "",
             "| tool | connections in all | file requests at once (most) | requests | "
             "MB of file bodies served | × the files' size | MB sent in all |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, entry in results.items():
        stats = summary(entry)
        if stats:
            lines.append(f"| {name} | {stats['file_connections']:.0f} | "
                         f"{stats['peak_file_requests']:.0f} | {stats['requests']:.0f} | "
                         f"{stats['body'] / 1e6:.1f} for {bound['bytes'] / 1e6:.1f} | "
                         f"{stats['body'] / bound['bytes']:.3f}× | "
                         f"{stats['sent'] / 1e6:.1f} |")
    lines += ["", "Per-tool bound for S3: the throttle allows 5 MiB/s × the most file "
              "requests nginx was answering at once (from `$msec` and `$request_time`), the "
              "connections the tool had in use. nginx's `limit_rate` is applied per request "
              "and lets the first second's worth (5 MiB) of each response go out at full "
              "speed, so a tool that asks for many short ranges (wget2 `--chunk-size`) can "
              "beat this figure:", ""]
    for name, entry in results.items():
        stats = summary(entry)
        if stats and stats["peak_file_requests"]:
            own = bound["bytes"] / (5 * 1024 * 1024 * stats["peak_file_requests"])
            lines.append(f"- {name}: {stats['peak_file_requests']:.0f} at once "
                         f"({stats['file_connections']:.0f} connection(s) in all) → "
                         f"{own:.2f} s; measured {stats['wall'] / own:.2f}× that")
    return lines + [""]


def chart_rows(data, case_id):
    """The rows of a case's chart: every tool that ran it, in the tables' order."""
    handed = {t["name"] for t in data["tools"] if t["handed_list"]}
    rows = []
    for name, entry in data["results"].get(case_id, {}).items():
        stats = summary(entry)
        label = name + (" ¹" if name in handed else "")
        if stats:
            rows.append({"name": label, "wall": stats["wall"], "low": stats["low"],
                         "high": stats["high"], "fetchall": name.startswith("fetchall")})
            if data["cases"][case_id]["case"].get("tiny"):
                files = data["cases"][case_id]["bound"]["files"]
                rows[-1]["note"] = f"{files / stats['wall']:,.0f} files/s"
        elif entry.get("failed"):
            rows.append({"name": label, "failed": "FAIL (wrong or missing files)",
                         "fetchall": name.startswith("fetchall")})
    return rows


def write_charts(data, folder, link_prefix):
    """Draws bench/charts/<case>.svg for every case that ran into `folder`; returns
    {case id: the link to put in the report (`link_prefix` + file name)}."""
    links = {}
    os.makedirs(folder, exist_ok=True)
    for case_id, info in data["cases"].items():
        rows = chart_rows(data, case_id)
        if info.get("skipped") or not rows:
            continue
        bound = info["bound"]
        case = info["case"]
        where = "nginx on loopback, no added latency" if case.get("direct") else \
            f"{case['rtt']} ms RTT"
        if info.get("shaping"):
            where += f", {info['shaping']['rate_mbit']} Mbit/s link"
        subtitle = (f"{where}; {bound['files']:,} files, {bound['bytes'] / 1e6:.1f} MB; "
                    f"{data['arguments']['runs']} run(s) per tool" +
                    ("; ¹ handed the URL list" if any("¹" in r["name"] for r in rows) else ""))
        label = "" if bound["seconds"] is None else f"lower bound {bound['seconds']:.2f} s"
        text = charts.svg(f"{case_id}: {case['title']}", rows, bound["seconds"], label,
                          subtitle)
        name = f"{case_id}.svg"
        with open(os.path.join(folder, name), "w", encoding="utf-8") as file:
            file.write(text)
        links[case_id] = link_prefix + name
    return links


def network_text(data):
    """Where the bench's loopback was, and its MTU (which decides TCP's segment size,
    so how long slow start takes)."""
    mtu = data.get("mtu")
    mtu_text = f"MTU {mtu:,} bytes" if mtu else "MTU unknown"
    if data.get("netns"):
        return (f"loopback of a network namespace made for the run (`{data['netns']}`, "
                f"{mtu_text}: TCP segments and initial windows as on a real link; see "
                "`bench/netns.py`)")
    return (f"the host's own loopback ({mtu_text}"
            + ("; with 64 KiB segments TCP's slow start all but vanishes, "
               "run as root without `--no-netns` for MTU 1500)" if mtu and mtu > 9000
               else ")"))


def render(data, chart_links=None):
    """The report's Markdown; `chart_links` ({case id: path}) embeds each chart."""
    chart_links = chart_links or {}
    machine = data["machine"]
    arguments = data["arguments"]
    command = "python3 bench/run.py" + (" --quick" if arguments["quick"] else "") + \
        (" --big" if arguments.get("big") else "")
    lines = ["# Benchmarks", "",
             f"Generated by `{command}` (see [bench/README.md](bench/README.md)) on "
             f"{data['date']} at commit `{data['commit']}`; the whole run took "
             f"{data['elapsed'] / 60:.1f} min. Runs per tool and case: {arguments['runs']} "
             f"(median reported; a tool whose first run took over "
             f"{arguments['single_run_after']:.0f} s ran once), concurrency "
             f"{arguments['jobs']} for every tool.", "",
             "## Machine", "",
             f"- {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} memory, "
             f"kernel {machine['kernel']}, {machine['os']}",
             "- everything on 127.0.0.1: the tools, nginx, and the latency proxy share "
             "the same CPUs",
             "- " + network_text(data)] \
        + ([f"- fetchall binary: `{data['fetchall_binary']}` (given with "
                 "`--fetchall`)"] if data["arguments"].get("fetchall") else []) + [
             f"- the tools write to {data.get('outputs', 'the workdir')} (see "
             "`bench/volume.py` for why)", "",
             "## Setup", "",
             f"- nginx (`{data['versions'].get('nginx', '?')}`) with `autoindex on`, HTTP/1.1 "
             "on one port and HTTPS + HTTP/2 (`listen … ssl http2`, a certificate from a "
             "throw-away CA made with openssl, which every tool is given) on another; "
             "`limit_rate 5m` (5 MiB/s per connection) on the S3 location; the access log "
             "records connection, protocol, status, `$bytes_sent` and `$body_bytes_sent` of "
             "every request.",
             "- each case's chart (tools side by side, median wall time with a whisker "
             "from the fastest to the slowest run, the lower bound as a dashed line) is "
             "an SVG drawn by `bench/charts.py`.",
             f"- latency: `bench/latency-proxy` in front of nginx delays every chunk by "
             f"RTT/2 in each direction (a delay line: throughput is not capped) and a new "
             f"connection by {'RTT/2' if arguments['connect_delay'] == 'half' else 'one RTT'}.",
             f"- link rate (one connection through the proxy with no delay, curl): "
             f"{(data['link_rate'] or 0) / 1e6:.0f} MB/s.",
             "- **LB** (lower bound, issue 6) = max(bytes / link rate, waves × RTT); a wave "
             "is one round of requests at the given concurrency, plus one round trip per "
             "listing level. For S3 the rate is 5 MiB/s × 16 connections; for S1-100M the "
             "shaped link's 12.5 MB/s; for S5 it is one RTT per listing level; S6 has none "
             "(loopback, no added latency: files/s and CPU are what it compares). "
             "Connection setup (and TLS) is not in LB, so every tool "
             "pays it on top.",
             "- every run's output is compared with the corpus (SHA-256 of every file; "
             "missing, extra or wrong files fail the tool and its time is not counted).",
             "- `fetchall/peer` < 1 means fetchall is faster. `CPU s` = user + system "
             "seconds of the tool's process (wait4), `peak RSS` its maximum resident "
             "size over the runs.", ""]
    lines += ["## Headline", "",
              "Median wall time, its ratio to LB, and fetchall's time divided by the peer's "
              "(fa/peer < 1: fetchall faster).", ""]
    headline(data, lines)
    lines.append("")
    lines += ["## Scenarios", ""]
    for case_id, info in data["cases"].items():
        case_section(data, case_id, info, lines, chart_links.get(case_id))
    if data.get("big"):
        big = data["big"]
        status = "ok" if not big["problems"] else "FAIL: " + "; ".join(big["problems"])
        lines += ["## Memory on one large file", "",
                  f"`{shlex.join(big['argv'])}` (no added latency): "
                  f"{big['bytes'] / 1e9:.1f} GB in {big['wall']:.1f} s, peak RSS "
                  f"**{big['rss_kib'] / 1024:.1f} MiB**, CPU {big['cpu']:.1f} s "
                  f"({big['cpu'] / (big['bytes'] / 1e9):.2f} s/GB), {status}.", ""]
    if data["notes"]:
        lines += ["## Notes", ""] + [f"- {note}" for note in data["notes"]] + [""]
    lines += ["## Versions", ""]
    for name, version in data["versions"].items():
        lines.append(f"- {name}: {version}")
    for name in data["missing"]:
        lines.append(f"- {name}: not installed, skipped")
    lines += ["", "## Commands", "",
              "As run (OUT, the URL and the list files are per case; the seed runs with "
              "`SSL_CERT_FILE` pointing at the CA, rclone with an empty `RCLONE_CONFIG`).", ""]
    for case_id in data["cases"]:
        lines.append(f"**{case_id}**")
        lines.append("")
        lines.append("```")
        for name, entry in data["results"].get(case_id, {}).items():
            if entry.get("runs"):
                lines.append(shlex.join(entry["runs"][0]["argv"]))
        lines.append("```")
        lines.append("")
    return "\n".join(lines)


def write_report(data, output):
    """Writes the report to `output` and its charts beside it: BENCHMARKS.md at the
    repository's root gets bench/charts/<case>.svg, any other report (the quick
    one in bench/out) a charts/ folder of its own, so a smoke run never overwrites
    the charts BENCHMARKS.md shows."""
    folder = os.path.dirname(os.path.abspath(output))
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if folder == repo:
        links = write_charts(data, os.path.join(repo, "bench", "charts"), "bench/charts/")
    else:
        links = write_charts(data, os.path.join(folder, "charts"), "charts/")
    with open(output, "w", encoding="utf-8") as file:
        file.write(render(data, links))


if __name__ == "__main__":
    # Re-render a report (and its charts) from a run's raw results:
    #   python3 bench/report.py /tmp/fetchall-bench/results.json BENCHMARKS.md
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as source:
        results = json.load(source)
    write_report(results, sys.argv[2])
