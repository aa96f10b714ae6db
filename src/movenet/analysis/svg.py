"""Minimal inline-SVG plotting for the report: axes with ticks and grid, polylines, legends."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np

__all__ = ["Axes", "legend", "svg_plot", "value_range"]


def _nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About `count` round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) in [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _format_tick(v: float) -> str:
    """A tick label: whole numbers without decimals."""
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


class Axes:
    """Maps data to SVG coordinates inside a plot area with margins."""

    def __init__(self, width: int, height: int, x_range: tuple[float, float], y_range: tuple[float, float],
                 *, margin: tuple[int, int, int, int] = (16, 16, 44, 56), invert_y: bool = False) -> None:
        self.width, self.height = width, height
        self.top, self.right, self.bottom, self.left = margin
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1.0
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1.0
        self.invert_y = invert_y

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        f = (y - self.y0) / (self.y1 - self.y0)
        if not self.invert_y:
            f = 1.0 - f
        return self.top + f * (self.height - self.top - self.bottom)

    def frame(self, x_label: str, y_label: str) -> list[str]:
        out = []
        x_lo, x_hi = self.left, self.width - self.right
        t, b = self.top, self.height - self.bottom
        for v in _nice_ticks(self.y0, self.y1):
            y = self.py(v)
            out.append(f'<line class="grid" x1="{x_lo}" y1="{y:.1f}" x2="{x_hi}" y2="{y:.1f}"/>')
            out.append(f'<text class="tick" x="{x_lo - 6}" y="{y + 4:.1f}" text-anchor="end">{_format_tick(v)}</text>')
        for v in _nice_ticks(self.x0, self.x1, 10):
            x = self.px(v)
            out.append(f'<line class="grid" x1="{x:.1f}" y1="{t}" x2="{x:.1f}" y2="{b}"/>')
            out.append(f'<text class="tick" x="{x:.1f}" y="{b + 16}" text-anchor="middle">{_format_tick(v)}</text>')
        out.append(f'<rect class="axes" x="{x_lo}" y="{t}" width="{x_hi - x_lo}" height="{b - t}"/>')
        out.append(f'<text class="label" x="{(x_lo + x_hi) / 2:.1f}" y="{self.height - 8}" text-anchor="middle">'
                   f"{html.escape(x_label)}</text>")
        out.append(f'<text class="label" transform="translate(14,{(t + b) / 2:.1f}) rotate(-90)" '
                   f'text-anchor="middle">{html.escape(y_label)}</text>')
        return out

    def path(self, xs: np.ndarray, ys: np.ndarray) -> str:
        """An SVG path through the points, broken where a value is NaN."""
        parts: list[str] = []
        pen_down = False
        for x, y in zip(xs, ys, strict=True):
            if not (math.isfinite(x) and math.isfinite(y)):
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{self.px(x):.1f},{self.py(y):.1f}")
            pen_down = True
        return " ".join(parts)


def svg_plot(plot_id: str, width: int, height: int, title: str, body: list[str]) -> str:
    """An ``<svg class="plot">`` element with an id, a title (also its accessible label) and `body`."""
    return (f'<svg id="{plot_id}" class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">'
            f"<title>{html.escape(title)}</title>" + "".join(body) + "</svg>")


def legend(items: list[tuple[str, str, str]], x: float, y: float) -> list[str]:
    """Legend entries (label, colour, dash) laid out in a row starting at (x, y)."""
    out = []
    for label, color, dash in items:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x:.0f}" y1="{y - 4:.0f}" x2="{x + 22:.0f}" y2="{y - 4:.0f}" stroke="{color}" '
                   f'stroke-width="2.5"{dash_attr}/>')
        out.append(f'<text class="legend" x="{x + 27:.0f}" y="{y:.0f}">{html.escape(label)}</text>')
        x += 37 + 7.2 * len(label)
    return out


def value_range(arrays: Sequence[np.ndarray], pad: float = 0.05) -> tuple[float, float]:
    """The range of the finite values of `arrays`, padded by `pad` of its span (0-180 when there are none)."""
    known = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if known.size == 0:
        return 0.0, 180.0
    lo, hi = float(known.min()), float(known.max())
    span = max(hi - lo, 1e-6)
    return lo - pad * span, hi + pad * span
