"""BENCHMARKS.md from the results of bench/run.py (a dict, also saved as JSON)."""

import shlex
import statistics


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
        "protocols": sorted({p for s in server for p in s["protocols"]}),
        "exits": sorted({r["exit"] for r in runs}),
    }


def fmt(value, digits=2):
    return "—" if value is None else f"{value:.{digits}f}"


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
        name, best = fetchall_best(results)
        if best:
            variant = "" if name == "fetchall" else f" ({name[9:]})"
            cell = f"**{best['wall']:.2f} s = {best['wall'] / bound:.2f}×**{variant}"
        else:
            cell = failure_text(results.get("fetchall", {})) or "—"
            cell = "FAIL" if cell.startswith("FAIL") else cell
        row = [case_id, f"{bound:.2f}", cell]
        for tool in tool_names:
            entry = results.get(tool, {})
            stats = summary(entry)
            if stats:
                ratio = f"; fa/peer {best['wall'] / stats['wall']:.2f}" if best else ""
                row.append(f"{stats['wall']:.2f} s = {stats['wall'] / bound:.2f}×{ratio}")
            elif entry.get("failed"):
                row.append("FAIL")
            else:
                row.append("n/a")
        lines.append("| " + " | ".join(row) + " |")


def case_section(data, case_id, info, lines):
    case = info["case"]
    bound = info["bound"]
    results = data["results"].get(case_id, {})
    handed = {t["name"] for t in data["tools"] if t["handed_list"]}
    lines += [f"### {case_id}: {case['title']}", "",
              f"{case['rtt']} ms RTT; {bound['files']} files, {bound['bytes'] / 1e6:.1f} MB; "
              f"URL `{info['url']}`.", "",
              f"Lower bound: **{bound['seconds']:.2f} s** = {bound['formula']}.", ""]
    rerun = case.get("rerun")
    _, best = fetchall_best(results)
    header = ["tool", "median s (min–max, runs)", "× LB", "fetchall/peer", "peak RSS MiB",
              "CPU s", "CPU s/GB", "requests", "conns", "protocol"]
    if rerun:
        header[6] = "file-body bytes re-sent"
        header.insert(8, "304s")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| --- " * len(header) + "|")
    notes = []
    for name, entry in results.items():
        stats = summary(entry)
        label = name + (" ¹" if name in handed else "")
        if not stats:
            text = failure_text(entry)
            if text:
                notes.append(f"- {name}: {text}")
            lines.append(f"| {label} | {'FAIL' if entry.get('failed') else 'n/a'} |" +
                         " |" * (len(header) - 2))
            continue
        ratio = "—" if not best else f"{best['wall'] / stats['wall']:.2f}"
        gigabytes = bound["bytes"] / 1e9
        row = [label, f"{stats['wall']:.2f} ({stats['low']:.2f}–{stats['high']:.2f}, "
               f"{stats['count']})", f"{stats['wall'] / bound['seconds']:.2f}", ratio,
               f"{stats['rss_mib']:.1f}", f"{stats['cpu']:.2f}"]
        row.append(f"{stats['body']:,.0f}" if rerun else
                   f"{stats['cpu'] / gigabytes:.1f}" if gigabytes else "—")
        row += [f"{stats['requests']:.0f}"]
        if rerun:
            row.append(f"{stats['not_modified']:.0f}")
        row += [f"{stats['connections']:.0f}", "/".join(stats["protocols"])]
        lines.append("| " + " | ".join(row) + " |")
        if stats["exits"] != [0]:
            notes.append(f"- {name}: exit code {stats['exits']} although the files are right")
        if stats.get("count", 0) == 1 and entry.get("single"):
            notes.append(f"- {name}: run once (its first run took over "
                         f"{data['arguments']['single_run_after']:.0f} s)")
        if name == "wget2" and case.get("https"):
            notes.append("- wget2: over HTTP/2 each of its 16 connections may carry up to "
                         "`--http2-request-window` (30) requests at once, so more than 16 "
                         "can be in flight")
        if stats["heads"]:
            notes.append(f"- {name}: sent {stats['heads']:.0f} HEAD requests")
    lines.append("")
    if case.get("segmented"):
        lines.append("Per-tool bound for S3: the throttle allows 5 MiB/s × the most file "
                     "requests nginx was answering at once (from `$msec` and "
                     "`$request_time`), the connections the tool had in use. nginx's "
                     "`limit_rate` is applied per request and lets the first second's worth "
                     "(5 MiB) of each response go out at full speed, so a tool that asks for "
                     "many short ranges (wget2 `--chunk-size`) can beat this figure:")
        lines.append("")
        for name, entry in results.items():
            stats = summary(entry)
            if stats and stats["peak_file_requests"]:
                own = bound["bytes"] / (5 * 1024 * 1024 * stats["peak_file_requests"])
                lines.append(f"- {name}: {stats['peak_file_requests']:.0f} at once "
                             f"({stats['file_connections']:.0f} connection(s) in all) → "
                             f"{own:.2f} s; measured {stats['wall'] / own:.2f}× that")
        lines.append("")
    if rerun:
        plain = [t["name"] for t in data["tools"] if not t["incremental"] and t["name"] in results]
        if plain:
            notes.append(f"- {', '.join(plain)}: no incremental mode; they download every "
                         "file again (shown for scale)")
    if any(name in handed for name in results):
        notes.append("- ¹ handed the URL list (it cannot read a listing): no discovery "
                     "round trip")
    lines += notes + ([""] if notes else [])


def render(data):
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
             f"- the tools write to {data.get('outputs', 'the workdir')} (see "
             "`bench/volume.py` for why)", "",
             "## Setup", "",
             f"- nginx (`{data['versions'].get('nginx', '?')}`) with `autoindex on`, HTTP/1.1 "
             "on one port and HTTPS + HTTP/2 (`listen … ssl http2`, a certificate from a "
             "throw-away CA made with openssl, which every tool is given) on another; "
             "`limit_rate 5m` (5 MiB/s per connection) on the S3 location; the access log "
             "records connection, protocol, status and `$body_bytes_sent` of every request.",
             f"- latency: `bench/latency-proxy` in front of nginx delays every chunk by "
             f"RTT/2 in each direction (a delay line: throughput is not capped) and a new "
             f"connection by {'RTT/2' if arguments['connect_delay'] == 'half' else 'one RTT'}.",
             f"- link rate (one connection through the proxy with no delay, curl): "
             f"{(data['link_rate'] or 0) / 1e6:.0f} MB/s.",
             "- **LB** (lower bound, issue 6) = max(bytes / link rate, waves × RTT); a wave "
             "is one round of requests at the given concurrency, plus one round trip per "
             "listing level. For S3 the rate is 5 MiB/s × 16 connections; for S5 it is one "
             "RTT per listing level. Connection setup (and TLS) is not in LB, so every tool "
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
        case_section(data, case_id, info, lines)
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


if __name__ == "__main__":
    # Re-render a report from a run's raw results:
    #   python3 bench/report.py /tmp/fetchall-bench/results.json BENCHMARKS.md
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as source:
        results = json.load(source)
    with open(sys.argv[2], "w", encoding="utf-8") as target:
        target.write(render(results))
