"""SVG chart geometry, computed server-side (pure). Templates draw it; no JavaScript."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f")
WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 640, 230, 48, 40, 28, 30
MAX_BAR, CHAR_PX, MIN_NAMED_SLOT = 64.0, 6.5, 24.0


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    label: str  # tooltip: "<time> <series>: <value>"


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    points: tuple[Point, ...]
    path: str  # SVG path data


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    series: tuple[Series, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    markers: tuple[Tick, ...] = ()  # vertical lines: where the suite's version changed

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    label: str     # tooltip
    name: str      # short text under the bar
    negative: bool


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    zero_y: float
    y_ticks: tuple[Tick, ...]
    plot_left: int
    plot_right: int
    label_y: float
    show_names: bool


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    path: str
    points: tuple[Point, ...]


def series_colors(names: Sequence[str]) -> dict[str, str]:
    """One colour per series name (sorted), so a model keeps its colour in every chart of a page."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(names)))}


def line_chart(title: str, data: Mapping[str, Sequence[tuple[str, float]]], *,
               y_min: float = 0.0, y_max: float = 1.0, percent: bool = True,
               colors: Mapping[str, str] | None = None,
               changes: Sequence[tuple[str, str]] = ()) -> LineChart:
    """One line per series; x is the rank of the timestamp among all series' timestamps.

    ``colors`` fixes each series' colour (default: by rank of its name in this chart); ``changes``
    are (timestamp, label) points where a vertical marker is drawn (a new suite version).
    """
    times = sorted({t for points in data.values() for t, _ in points})
    x_of = _spread([*range(len(times))], PAD_L, WIDTH - PAD_R)
    y_max = max([y_max, *(v for points in data.values() for _, v in points)])
    y_of = _scale(y_min, y_max, HEIGHT - PAD_B, PAD_T)
    palette = colors or series_colors(list(data))
    series = []
    for name, points in sorted(data.items()):
        pts = tuple(Point(x_of[times.index(t)], y_of(v), v, f"{t[:16]} {name}: {_fmt(v, percent)}")
                    for t, v in sorted(points))
        series.append(Series(name, palette.get(name, PALETTE[0]), pts, _path(pts)))
    y_ticks = tuple(Tick(y_of(v), _fmt(v, percent)) for v in _ticks(y_min, y_max))
    step = max(1, len(times) // 6)
    shown = list(range(0, len(times), step))
    labels = time_labels([times[i] for i in shown])
    x_ticks = tuple(Tick(x_of[i], label) for i, label in zip(shown, labels))
    markers = tuple(Tick(x_of[times.index(t)], label) for t, label in changes if t in times)
    return LineChart(title, WIDTH, HEIGHT, tuple(series), y_ticks, x_ticks,
                     PAD_L, WIDTH - PAD_R, PAD_T, HEIGHT - PAD_B, markers)


def time_labels(times: Sequence[str]) -> list[str]:
    """Axis labels for ISO timestamps: the date when each is on its own day, the time of day when
    all share one day, month-day and time when some days repeat."""
    days = [t[:10] for t in times]
    if len(set(days)) == len(days):
        return days
    if len(set(days)) == 1:
        return [t[11:16] for t in times]
    return [f"{t[5:10]} {t[11:16]}" for t in times]


def bar_chart(title: str, items: Sequence[tuple[str, float]], *, symmetric: bool = True,
              percent: bool = True) -> BarChart:
    """Bars around zero (for deltas) or from zero up (``symmetric=False``, for drift)."""
    top = max([abs(v) for _, v in items] + [0.05])
    low = -top if symmetric else 0.0
    y_of = _scale(low, top, HEIGHT - PAD_B, PAD_T)
    slot = (WIDTH - PAD_L - PAD_R) / max(1, len(items))
    width = min(slot * 0.7, MAX_BAR)
    zero = y_of(0.0)
    bars = tuple(Bar(round(PAD_L + i * slot + (slot - width) / 2, 2), min(zero, y_of(v)),
                     round(width, 2), round(abs(y_of(v) - zero), 2), v,
                     f"{label}: {_fmt(v, percent)}", _short(label, int(slot / CHAR_PX)), v < 0)
                 for i, (label, v) in enumerate(items))
    ticks = tuple(Tick(y_of(v), _fmt(v, percent)) for v in (low, (low + top) / 2, top))
    return BarChart(title, WIDTH, HEIGHT, bars, zero, ticks, PAD_L, WIDTH - PAD_R,
                    HEIGHT - PAD_B + 16, slot >= MIN_NAMED_SLOT)


def _short(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[:max(1, chars - 1)] + "…"


def sparkline(values: Sequence[tuple[str, float]], *, width: int = 120,
              height: int = 24) -> Sparkline:
    """A tiny pass-rate line (0..1) for the overview."""
    xs = _spread([*range(len(values))], 2, width - 2)
    y_of = _scale(0.0, 1.0, height - 2, 2)
    pts = tuple(Point(xs[i], y_of(v), v, f"{t[:16]}: {_fmt(v, True)}")
                for i, (t, v) in enumerate(values))
    return Sparkline(width, height, _path(pts), pts)


def _spread(indexes: list[int], left: float, right: float) -> list[float]:
    if len(indexes) <= 1:
        return [(left + right) / 2] * len(indexes)
    step = (right - left) / (len(indexes) - 1)
    return [round(left + i * step, 2) for i in indexes]


def _scale(lo: float, hi: float, bottom: float, top: float):  # type: ignore[no-untyped-def]
    span = (hi - lo) or 1.0
    return lambda v: round(bottom - (v - lo) / span * (bottom - top), 2)


def _ticks(lo: float, hi: float) -> list[float]:
    return [lo + (hi - lo) * k / 4 for k in range(5)]


def _path(points: Sequence[Point]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))


def _fmt(value: float, percent: bool) -> str:
    return f"{value * 100:.0f}%" if percent else f"{value:.3f}"
