"""The report's plots as inline SVG: the rep signal with reps, all joint angles, and sway."""

from __future__ import annotations

import html

import numpy as np

from movenet.analysis.result import Analysis
from movenet.analysis.svg import Axes, legend, svg_plot, value_range

__all__ = ["angles_plot", "signal_plot", "sway_plot", "sway_time_plot"]

_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
_SIDE_COLORS = {"left": "#2ca02c", "right": "#ff7f0e"}


def signal_plot(analysis: Analysis, width: int = 900, height: int = 320) -> str:
    """The exercise's angles over time with each rep shaded, its extreme point marked and the
    thresholds dashed."""
    t = analysis.timestamps_ms / 1000.0
    spec = analysis.exercise
    lines: list[tuple[str, str, np.ndarray, str]] = []
    for joint in spec.signal:
        for side in ("left", "right"):
            name = f"{side}_{joint}"
            if name in analysis.angles:
                color = _SIDE_COLORS[side] if len(spec.signal) == 1 else _COLORS[len(lines) % len(_COLORS)]
                lines.append((name, color, analysis.angles[name], "5 4"))
    lines.append((f"{analysis.signal_name} (rep signal)", "#1f3a93", analysis.signal, ""))
    extra = [np.array(analysis.thresholds)] if analysis.thresholds else []
    y0, y1 = value_range([v for _, _, v, _ in lines] + extra)
    x_max = float(t[-1]) if t.size else 1.0
    ax = Axes(width, height, (0.0, max(x_max, 1e-3)), (y0, y1), margin=(34, 16, 44, 56))
    body: list[str] = []
    for rep in analysis.reps:
        xa, xb = ax.px(rep.start_ms / 1000.0), ax.px(rep.end_ms / 1000.0)
        cls = "rep" if rep.complete else "rep partial"
        body.append(f'<rect class="{cls}" x="{xa:.1f}" y="{ax.top}" width="{max(xb - xa, 1):.1f}" '
                    f'height="{height - ax.top - ax.bottom}"><title>rep {rep.number}: '
                    f'{rep.start_ms / 1000:.2f}-{rep.end_ms / 1000:.2f} s</title></rect>')
    body += ax.frame("time (s)", "angle (degrees)")
    if analysis.thresholds:
        for value, label in zip(analysis.thresholds, ("enter", "exit"), strict=True):
            y = ax.py(value)
            body.append(f'<line class="threshold" x1="{ax.left}" y1="{y:.1f}" x2="{width - ax.right}" '
                        f'y2="{y:.1f}"><title>{label} threshold {value:.1f}\u00b0</title></line>')
    for label, color, values, dash in lines:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        wide = "1.5" if dash else "2.5"
        body.append(f'<path class="series" d="{ax.path(t, values)}" stroke="{color}" stroke-width="{wide}" '
                    f'fill="none"{dash_attr}><title>{html.escape(label)}</title></path>')
    for rep in analysis.reps:
        x, y = ax.px(rep.bottom_ms / 1000.0), ax.py(rep.depth)
        body.append(f'<circle class="rep-marker" cx="{x:.1f}" cy="{y:.1f}" r="5"><title>rep {rep.number}: '
                    f'{rep.depth:.1f}\u00b0 at {rep.bottom_ms / 1000:.2f} s</title></circle>')
        body.append(f'<text class="rep-label" x="{x:.1f}" y="{ax.top - 6}" text-anchor="middle">'
                    f'{rep.number}{"" if rep.complete else "*"}</text>')
    body += legend([(label, color, dash) for label, color, _, dash in lines], ax.left, 16)
    return svg_plot("plot-reps", width, height, f"{spec.name}: {analysis.signal_name} angle and reps", body)


def angles_plot(analysis: Analysis, width: int = 900, height: int = 320) -> str:
    """Every left/right-mean angle and the trunk lean over time."""
    t = analysis.timestamps_ms / 1000.0
    names = [n for n in ("knee", "hip", "elbow", "shoulder", "trunk_lean") if n in analysis.angles]
    series = [(n, _COLORS[i % len(_COLORS)], analysis.angles[n]) for i, n in enumerate(names)]
    ax = Axes(width, height, (0.0, max(float(t[-1]) if t.size else 1.0, 1e-3)), (0.0, 180.0),
               margin=(34, 16, 44, 56))
    body = ax.frame("time (s)", "angle (degrees)")
    for label, color, values in series:
        body.append(f'<path class="series" d="{ax.path(t, values)}" stroke="{color}" stroke-width="2" '
                    f'fill="none"><title>{label}</title></path>')
    body += legend([(label, color, "") for label, color, _ in series], ax.left, 16)
    return svg_plot("plot-angles", width, height, "joint angles (left/right mean) and trunk lean", body)


def sway_plot(analysis: Analysis, size: int = 360) -> str:
    """The hip-midpoint trajectory in torso lengths, image orientation (y down), equal axes."""
    s = analysis.sway
    x, y = s.x, s.y
    known = np.isfinite(x) & np.isfinite(y)
    if known.any():
        half = max(float(np.abs(x[known]).max()), float(np.abs(y[known]).max()), 0.05) * 1.1
    else:
        half = 1.0
    ax = Axes(size, size, (-half, half), (-half, half), margin=(16, 16, 44, 56), invert_y=True)
    body = ax.frame("x (torso lengths, right +)", "y (torso lengths, down +)")
    body.append(f'<path class="series" d="{ax.path(x, y)}" stroke="#1f3a93" stroke-width="1.5" fill="none" '
                f'stroke-linejoin="round"><title>{s.point} trajectory</title></path>')
    if known.any():
        first, last = np.flatnonzero(known)[[0, -1]]
        for i, cls, label in ((first, "start", "start"), (last, "end", "end")):
            body.append(f'<circle class="{cls}" cx="{ax.px(x[i]):.1f}" cy="{ax.py(y[i]):.1f}" r="5">'
                        f"<title>{label} ({s.timestamps_ms[i] / 1000:.2f} s)</title></circle>")
    return svg_plot("plot-sway", size, size, "sway: hip midpoint trajectory", body)


def sway_time_plot(analysis: Analysis, width: int = 520, height: int = 360) -> str:
    """x and y of the sway trajectory over time, with the window boundaries."""
    s = analysis.sway
    t = s.timestamps_ms / 1000.0
    y0, y1 = value_range([s.x, s.y])
    ax = Axes(width, height, (0.0, max(float(t[-1]) if t.size else 1.0, 1e-3)), (y0, y1),
               margin=(34, 16, 44, 56), invert_y=False)
    body = ax.frame("time (s)", "offset (torso lengths)")
    for w in s.windows[1:]:
        xw = ax.px(w.start_ms / 1000.0)
        body.append(f'<line class="window" x1="{xw:.1f}" y1="{ax.top}" x2="{xw:.1f}" y2="{height - ax.bottom}"/>')
    for label, color, values in (("x (right +)", "#d62728", s.x), ("y (down +)", "#1f77b4", s.y)):
        body.append(f'<path class="series" d="{ax.path(t, values)}" stroke="{color}" stroke-width="2" '
                    f'fill="none"><title>{label}</title></path>')
    body += legend([("x (right +)", "#d62728", ""), ("y (down +)", "#1f77b4", "")], ax.left, 16)
    return svg_plot("plot-sway-time", width, height, "sway over time", body)
