"""One SVG chart per case, drawn with nothing but the standard library: the tools
side by side as horizontal bars (median wall time, a whisker from the fastest to
the slowest run), the lower bound as a vertical line. People compare tools by
looking; the tables beside the charts hold the exact figures.

A tool many times slower than the rest (wget, the one-connection tools on S3)
would squash every other bar into a few pixels, so the axis ends a little past
the slower of the lower bound and the largest median within CLIP x the tools'
middle median; a bar that goes further is cut at the edge with a zigzag and its
figure printed.
"""

import math
import statistics
from xml.sax.saxutils import escape

WIDTH = 760
LABEL = 200        # room for the tool names on the left
RIGHT = 24
ROW = 24
BAR = 14
TOP = 64
BOTTOM = 40
CLIP = 4.0         # bars beyond CLIP x the middle median are cut at the edge
FETCHALL = "#1f6fb4"
PEER = "#9aa5b1"
BOUND = "#d62728"
FONT = "font-family='DejaVu Sans, Verdana, Arial, sans-serif'"


def nice_step(span, ticks=6):
    """A round tick step (1, 2 or 5 x 10^n) giving about `ticks` ticks over `span`."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def axis_end(rows, bound):
    """Where the time axis ends (seconds): see the module's comment."""
    medians = sorted(row["wall"] for row in rows)
    limit = CLIP * statistics.median(medians)
    kept = [m for m in medians if m <= limit]
    # The whiskers of the bars kept should fit too.
    highs = [row["high"] for row in rows if row["wall"] <= limit]
    end = max(kept + highs + ([bound] if bound else []))
    return end * 1.08 if end > 0 else 1.0


def seconds_text(value):
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def svg(title, rows, bound, bound_label, subtitle=""):
    """The chart as SVG text. `rows`: [{"name", "wall", "low", "high", "runs",
    "fetchall" (bool), "failed" (None or a short text), "note" (after the time)}]
    in the order shown;
    `bound`: the lower bound in seconds, or None."""
    timed = [row for row in rows if not row.get("failed")]
    end = axis_end(timed, bound) if timed else max(bound or 1.0, 1.0)
    plot = WIDTH - LABEL - RIGHT
    height = TOP + ROW * len(rows) + BOTTOM

    def x(seconds):
        return LABEL + plot * min(seconds, end) / end

    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
           f"viewBox='0 0 {WIDTH} {height}' {FONT} font-size='12'>",
           f"<rect width='{WIDTH}' height='{height}' fill='white'/>",
           f"<text x='8' y='18' font-size='14' font-weight='bold'>{escape(title)}</text>"]
    if subtitle:
        out.append(f"<text x='8' y='36' fill='#444'>{escape(subtitle)}</text>")
    bottom = TOP + ROW * len(rows)
    step = nice_step(end)
    tick = 0.0
    while tick <= end + 1e-9:
        position = x(tick)
        out.append(f"<line x1='{position:.1f}' y1='{TOP - 4}' x2='{position:.1f}' "
                   f"y2='{bottom}' stroke='#e3e3e3'/>")
        label = f"{tick:g}"
        out.append(f"<text x='{position:.1f}' y='{bottom + 16}' text-anchor='middle' "
                   f"fill='#444'>{label}</text>")
        tick += step
    out.append(f"<text x='{LABEL + plot / 2:.0f}' y='{bottom + 32}' text-anchor='middle' "
               "fill='#444'>wall time, seconds (median; whisker: fastest–slowest run)</text>")
    for index, row in enumerate(rows):
        middle = TOP + ROW * index + ROW / 2
        weight = " font-weight='bold'" if row.get("fetchall") else ""
        out.append(f"<text x='{LABEL - 8}' y='{middle + 4:.1f}' text-anchor='end'{weight}>"
                   f"{escape(row['name'])}</text>")
        if row.get("failed"):
            out.append(f"<text x='{LABEL + 4}' y='{middle + 4:.1f}' fill='{BOUND}'>"
                       f"{escape(row['failed'])}</text>")
            continue
        colour = FETCHALL if row.get("fetchall") else PEER
        wall = row["wall"]
        right = x(wall)
        top = middle - BAR / 2
        out.append(f"<rect x='{LABEL}' y='{top:.1f}' width='{right - LABEL:.1f}' "
                   f"height='{BAR}' fill='{colour}'/>")
        clipped = wall > end
        if clipped:
            # A zigzag where the bar leaves the axis.
            zig = " ".join(f"{right - 6 + (3 if k % 2 else 0):.1f},{top + k * BAR / 4:.1f}"
                           for k in range(5))
            out.append(f"<polyline points='{zig}' fill='none' stroke='white' "
                       "stroke-width='2'/>")
        elif row["high"] > row["low"]:
            low, high = x(row["low"]), x(row["high"])
            out.append(f"<line x1='{low:.1f}' y1='{middle:.1f}' x2='{high:.1f}' "
                       f"y2='{middle:.1f}' stroke='#222'/>")
            for end_x in (low, high):
                out.append(f"<line x1='{end_x:.1f}' y1='{middle - 4:.1f}' x2='{end_x:.1f}' "
                           f"y2='{middle + 4:.1f}' stroke='#222'/>")
        text = seconds_text(wall) + ("" if not bound else f" ({wall / bound:.2f}×)") + \
            (f", {row['note']}" if row.get("note") else "")
        if clipped:
            out.append(f"<text x='{right - 10:.1f}' y='{middle + 4:.1f}' text-anchor='end' "
                       f"fill='white'>{escape(text)} →</text>")
        else:
            # After the whisker, or inside the bar when there is no room on the right.
            after = x(max(row["high"], wall)) + 6
            if after + 7 * len(text) < WIDTH:
                out.append(f"<text x='{after:.1f}' y='{middle + 4:.1f}'>{escape(text)}</text>")
            else:
                out.append(f"<text x='{right - 4:.1f}' y='{middle + 4:.1f}' "
                           f"text-anchor='end' fill='white'>{escape(text)}</text>")
    if bound:
        position = x(bound)
        out.append(f"<line x1='{position:.1f}' y1='{TOP - 8}' x2='{position:.1f}' "
                   f"y2='{bottom}' stroke='{BOUND}' stroke-width='2' "
                   "stroke-dasharray='6,3'/>")
        anchor = "end" if position > LABEL + plot * 0.6 else "start"
        shift = -4 if anchor == "end" else 4
        out.append(f"<text x='{position + shift:.1f}' y='{TOP - 10}' text-anchor='{anchor}' "
                   f"fill='{BOUND}'>{escape(bound_label)}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
