"""The self-contained HTML report of an analysis.

:func:`render_html` turns an :class:`~movenet.analysis.result.Analysis` into one HTML page that
needs nothing else: plots are inline SVG (:mod:`movenet.analysis.plots`), key frames inline JPEG
(``data:`` URLs, :mod:`movenet.analysis.key_frames`), styles inline, no scripts, and a
Content-Security-Policy that forbids loading anything from elsewhere.

The analysis itself is computed by :func:`~movenet.analysis.recording.analyze_video` /
:func:`~movenet.analysis.recording.analyze_poses`, and :func:`~movenet.analysis.json_export.analysis_to_json`
gives all the numbers as JSON-ready data; they are importable from here too.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import numpy as np

from movenet.analysis.angles import ANGLE_NAMES
from movenet.analysis.json_export import analysis_to_json, write_json
from movenet.analysis.plots import angles_plot, signal_plot, sway_plot, sway_time_plot
from movenet.analysis.recording import analyze_poses, analyze_video
from movenet.analysis.result import Analysis, KeyFrame

__all__ = [
    "Analysis",
    "KeyFrame",
    "analysis_to_json",
    "analyze_poses",
    "analyze_video",
    "render_html",
    "write_json",
    "write_report",
]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:960px;
 color:#222;padding:0 12px}
h1{font-size:1.6em;margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:.9em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:140px}
.card .v{font-size:1.6em;font-weight:600}.card .k{color:#666;font-size:.85em}
table{border-collapse:collapse;font-size:.9em;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:4px 10px;text-align:right}th{background:#f6f6f6}
td:first-child,th:first-child{text-align:left}
svg.plot{max-width:100%;height:auto;background:#fff;display:block;margin:8px 0}
svg .grid{stroke:#eee;stroke-width:1}svg .axes{fill:none;stroke:#999;stroke-width:1}
svg .tick{font-size:11px;fill:#555}svg .label{font-size:12px;fill:#333}svg .legend{font-size:12px;fill:#333}
svg .rep{fill:#1f77b4;fill-opacity:.10}svg .rep.partial{fill:#999;fill-opacity:.15}
svg .rep-marker{fill:#d62728;stroke:#fff;stroke-width:1.5}svg .rep-label{font-size:12px;font-weight:600;fill:#d62728}
svg .threshold{stroke:#888;stroke-dasharray:2 4;stroke-width:1.2}
svg .window{stroke:#bbb;stroke-dasharray:3 3}
svg .start{fill:#2ca02c}svg .end{fill:#d62728}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.frames{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:6px;background:#fafafa}
figure img{display:block;max-width:100%}figcaption{font-size:.85em;color:#333;margin-top:4px;max-width:480px}
.error{color:#a00;font-weight:600}.note{color:#666;font-size:.85em}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _deg(v: float) -> str:
    return f"{v:.1f}" if math.isfinite(v) else "&ndash;"


def _secs(ms: float | None) -> str:
    return f"{ms / 1000:.2f} s" if ms is not None else "&ndash;"


def _num(v: float, digits: int = 3) -> str:
    return f"{v:.{digits}f}" if math.isfinite(v) else "&ndash;"


def reps_summary(analysis: Analysis) -> str:
    """'3 reps (2 complete, 1 cut off by the end of the recording)'."""
    n, done = len(analysis.reps), analysis.complete_reps
    text = f"{n} rep{'s' if n != 1 else ''}"
    if done != n:
        last = analysis.timestamps_ms.size - 1
        at_end = any(not r.complete and r.end_index >= last for r in analysis.reps)
        at_start = any(not r.complete and r.end_index < last for r in analysis.reps)
        where = " and ".join(w for w, hit in (("start", at_start), ("end", at_end)) if hit)
        text += f" ({done} complete, {n - done} cut off by the {where} of the recording)"
    return text


def render_html(analysis: Analysis) -> str:
    """The report as one self-contained HTML page (see the module docstring)."""
    spec = analysis.exercise
    reps = analysis.reps
    rom = analysis.rom
    signal_rom = [rom[n] for n in spec.signal if n in rom]
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Movement analysis: {_e(spec.name)} - {_e(Path(analysis.source).name or 'poses')}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Movement analysis: {_e(spec.name.replace('_', ' '))}</h1>",
        f'<p class="meta">{_e(analysis.source)} &middot; model {_e(analysis.model or "-")} &middot; '
        f"{analysis.timestamps_ms.size} frames ({analysis.frames_with_pose} with a person) &middot; "
        f"{analysis.duration_s:.1f} s" + (f" &middot; {analysis.fps:.3g} fps" if analysis.fps else "") +
        (f" &middot; {analysis.width}x{analysis.height}" if analysis.width else "") + "</p>",
    ]
    if analysis.error:
        parts.append(f'<p class="error">Video problem: {_e(analysis.error)} (analysed up to there)</p>')
    if not analysis.frames_with_pose:
        parts.append('<p class="error">No person was detected in any frame.</p>')
    durations = [r.duration_s for r in reps if r.complete]
    depths = [r.depth for r in reps]
    extreme = (min(depths) if spec.polarity == "valley" else max(depths)) if depths else math.nan
    cut_off = len(reps) - analysis.complete_reps
    cards = [
        (str(analysis.complete_reps) + (f" <small>+{cut_off} cut off</small>" if cut_off else ""), "complete reps"),
        (f"{np.mean(durations):.2f} s" if durations else "&ndash;", "mean rep duration"),
        (f"{_deg(extreme)}\u00b0", f"{'deepest' if spec.polarity == 'valley' else 'highest'} "
                                   f"{analysis.signal_name} angle in a rep"),
    ]
    for joint_rom in signal_rom:
        cards.append((f"{_deg(joint_rom.range)}\u00b0", f"{joint_rom.joint} range of motion"))
    sw = analysis.sway.overall
    if sw is not None:
        cards.append((_num(sw.rms), "sway RMS (torso lengths)"))
    parts.append('<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{v}</div><div class="k">{_e(k)}</div></div>' for v, k in cards) + "</div>")

    # reps
    parts.append(f"<h2>Repetitions</h2><p>{_e(reps_summary(analysis))}, counted on the "
                 f"{_e(analysis.signal_name)} angle ({_e(spec.description)}).")
    if analysis.thresholds:
        enter, leave = analysis.thresholds
        parts.append(f" A rep starts when it crosses {enter:.1f}\u00b0 and ends when it crosses back over "
                     f"{leave:.1f}\u00b0 (dotted lines); shaded bands are reps, red dots their extreme points"
                     " (* = cut off).")
    else:
        parts.append(f" The angle moved less than {spec.min_amplitude:.0f}\u00b0 overall: no reps.")
    parts.append("</p>")
    if analysis.timestamps_ms.size:
        parts.append(signal_plot(analysis))
    if reps:
        word = "deepest" if spec.polarity == "valley" else "highest"
        parts.append(f"<table><tr><th>rep</th><th>start</th><th>{word} point</th><th>end</th><th>duration</th>"
                     f"<th>{word} angle (\u00b0)</th><th>amplitude (\u00b0)</th><th>complete</th></tr>")
        for r in reps:
            parts.append(f"<tr><td>{r.number}</td><td>{_secs(r.start_ms)}</td><td>{_secs(r.bottom_ms)}</td>"
                         f"<td>{_secs(r.end_ms)}</td><td>{r.duration_s:.2f} s</td><td>{_deg(r.depth)}</td>"
                         f"<td>{_deg(r.amplitude)}</td><td>{'yes' if r.complete else 'no (cut off)'}</td></tr>")
        parts.append("</table>")

    # angles and ROM
    parts.append("<h2>Joint angles and range of motion</h2>")
    if analysis.timestamps_ms.size:
        parts.append(angles_plot(analysis))
    rom_3d = analysis.rom_3d
    head_3d = ("<th>3D min (\u00b0)</th><th>3D max (\u00b0)</th><th>3D range (\u00b0)</th>"
               if rom_3d is not None else "")
    parts.append("<table><tr><th>angle</th><th>min (\u00b0)</th><th>at</th><th>max (\u00b0)</th><th>at</th>"
                 f"<th>range (\u00b0)</th><th>frames known</th>{head_3d}</tr>")
    for name in ANGLE_NAMES:
        m = rom.get(name)
        if m is None:
            continue
        cells_3d = ""
        if rom_3d is not None and name in rom_3d:
            m3 = rom_3d[name]
            cells_3d = f'<td class="d3">{_deg(m3.min)}</td><td class="d3">{_deg(m3.max)}</td>' \
                       f'<td class="d3">{_deg(m3.range)}</td>'
        parts.append(f"<tr><td>{_e(name)}</td><td>{_deg(m.min)}</td><td>{_secs(m.min_time_ms)}</td>"
                     f"<td>{_deg(m.max)}</td><td>{_secs(m.max_time_ms)}</td><td>{_deg(m.range)}</td>"
                     f"<td>{m.frames}/{m.total_frames}</td>{cells_3d}</tr>")
    parts.append("</table>")
    if rom_3d is not None:
        parts.append('<p class="note">3D columns: the same angles measured in space from the model\'s 3D keypoints '
                     "(metres, hip-centred), so a limb bending towards the camera is not foreshortened; 3D trunk "
                     "lean is against the model's vertical. Reps are counted on the 2D angles.</p>")
    parts.append('<p class="note">Angles are measured in the image plane (2D), in degrees: 180 = a straight '
                 "limb; shoulder = hip-shoulder-elbow (0 = arm by the side); trunk lean = mid-hip to mid-shoulder "
                 "against the vertical. Limbs bending towards the camera look straighter than they are. "
                 f"Keypoints scoring below {analysis.min_score:g} are not used.</p>")

    # sway
    s = analysis.sway
    parts.append("<h2>Balance (sway)</h2>")
    parts.append(f"<p>Trajectory of the {'hip midpoint' if s.point == 'hips' else 'keypoint centroid'} "
                 f"relative to its mean, in torso lengths (torso = {_num(s.torso_px, 0)} px, shoulder to hip "
                 f"midpoint), in windows of {s.window_s:g} s.</p>")
    parts.append('<div class="row">' + sway_plot(analysis) + sway_time_plot(analysis) + "</div>")
    rows = ([("all", s.overall)] if s.overall else []) + [(f"{w.start_ms / 1000:.1f}-{w.end_ms / 1000:.1f} s", w)
                                                         for w in s.windows]
    parts.append("<table><tr><th>window</th><th>frames</th><th>RMS</th><th>RMS x</th><th>RMS y</th><th>range x</th>"
                 "<th>range y</th><th>path length</th><th>mean speed (/s)</th></tr>")
    for label, w in rows:
        parts.append(f"<tr><td>{label}</td><td>{w.frames}</td><td>{_num(w.rms)}</td><td>{_num(w.rms_x)}</td>"
                     f"<td>{_num(w.rms_y)}</td><td>{_num(w.range_x)}</td><td>{_num(w.range_y)}</td>"
                     f"<td>{_num(w.path_length)}</td><td>{_num(w.mean_speed)}</td></tr>")
    parts.append("</table>")

    # key frames
    frames = [k for k in analysis.key_frames if k.jpeg]
    if frames:
        parts.append("<h2>Key frames</h2><div class=\"frames\">")
        for k in frames:
            data = base64.b64encode(k.jpeg).decode("ascii")
            parts.append(f'<figure><img class="key-frame" src="data:image/jpeg;base64,{data}" '
                         f'alt="frame {k.index}"><figcaption>{_e(k.label)}<br>frame {k.index}, '
                         f"{k.timestamp_ms / 1000:.2f} s</figcaption></figure>")
        parts.append("</div>")
    parts.append('<p class="note">Generated by movenet analyze.</p></body></html>')
    return "\n".join(parts)


def write_report(analysis: Analysis, path: str | Path) -> None:
    """Write :func:`render_html` to `path`."""
    Path(path).write_text(render_html(analysis), encoding="utf-8")
