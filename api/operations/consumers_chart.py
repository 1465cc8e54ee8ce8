"""The consumers page's lag chart, drawn on the server: one small panel per consumer (small multiples, so 35
consumers stay readable), each an inline SVG the template fills from the geometry computed here.

Every panel has the same time axis (the last hour up to now) and its own lag axis from 0 to a round maximum,
labelled. A gap in the samples (no consumers process ran) breaks the line rather than bridging it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from consumers.runtime.lag_history import LAG_HISTORY, LAG_SAMPLE_S, LagPoint, LagSeries

Metric = Literal["events", "seconds"]

_X_TICKS_MIN = (60, 45, 30, 15, 0)


@dataclass(frozen=True, slots=True)
class Frame:
    """A panel's SVG size and its plot area (x from `left` to `right`, y from `top` down to `bottom`); the
    margins hold the axes' labels."""

    width: int = 300
    height: int = 112
    left: int = 48
    right: int = 290
    top: int = 10
    bottom: int = 76


FRAME = Frame()


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x or y in the SVG's coordinates
    label: str


@dataclass(frozen=True, slots=True)
class Panel:
    name: str
    kind: str
    lines: list[str]  # each a polyline's `points`
    last: tuple[float, float]  # the latest sample, marked
    latest: str  # the latest sample's value, as a label
    samples: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k not below `value` (at least 1): a round top for the lag axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _number(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def _value(point: LagPoint, metric: Metric) -> float:
    return float(point.lag_events if metric == "events" else point.lag_seconds)


def panel(series: LagSeries, kind: str, now: datetime, metric: Metric, *, window: timedelta = LAG_HISTORY,
          every_s: int = LAG_SAMPLE_S) -> Panel:
    """One consumer's panel: its samples within `window` before `now` placed on the axes."""
    start = now - window
    span = window.total_seconds()
    f = FRAME
    plot_w, plot_h = f.right - f.left, f.bottom - f.top
    points = [p for p in series.points if start < p.sampled_at <= now]
    top = nice_ceiling(max((_value(p, metric) for p in points), default=0))

    def xy(p: LagPoint) -> tuple[float, float]:
        x = f.left + plot_w * (p.sampled_at - start).total_seconds() / span
        y = f.top + plot_h * (1 - min(_value(p, metric), top) / top)
        return round(x, 1), round(y, 1)

    lines: list[list[str]] = []
    previous: LagPoint | None = None
    for p in points:
        if previous is None or (p.sampled_at - previous.sampled_at).total_seconds() > 2.5 * every_s:
            lines.append([])
        x, y = xy(p)
        lines[-1].append(f"{x},{y}")
        previous = p
    unit = "" if metric == "events" else " s"
    last = points[-1] if points else None
    return Panel(
        name=series.name, kind=kind,
        lines=[" ".join(line) for line in lines],
        last=xy(last) if last else (f.left + plot_w, f.top + plot_h),
        latest=f"{_number(round(_value(last, metric), 1))}{unit}" if last else "-",
        samples=len(points),
        # A tick every quarter of an hour, labelled every half hour (the labels would touch otherwise).
        x_ticks=[Tick(round(f.left + plot_w * (1 - m * 60 / span), 1),
                      "now" if m == 0 else f"-{m} min" if m % 30 == 0 else "")
                 for m in _X_TICKS_MIN if m * 60 <= span],
        y_ticks=[Tick(f.top + plot_h, "0"), Tick(f.top + plot_h / 2, _number(top / 2)), Tick(f.top, _number(top))],
    )


def panels(history: list[LagSeries], kinds: dict[str, str], now: datetime, metric: Metric) -> list[Panel]:
    """A panel per consumer with samples: projections, then reactors, then the relay, each by name."""
    order = {"projection": 0, "reactor": 1, "relay": 2}
    drawn = [panel(s, kinds.get(s.name, s.name.partition(":")[0]), now, metric) for s in history]
    return sorted((p for p in drawn if p.samples), key=lambda p: (order.get(p.kind, 3), p.name))
