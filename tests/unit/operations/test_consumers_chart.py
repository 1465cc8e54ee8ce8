"""The consumers page's lag chart geometry: samples placed on the hour's axis, gaps left open, round tops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.operations.consumers_chart import FRAME, nice_ceiling, panel, panels
from consumers.runtime.lag_history import LagPoint, LagSeries

NOW = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


def series(name: str, *samples: tuple[int, int]) -> LagSeries:
    """Samples as (seconds before NOW, lag in events); lag in seconds is a tenth of the events."""
    return LagSeries(name, [LagPoint(NOW - timedelta(seconds=ago), lag, lag / 10) for ago, lag in samples])


def xy(points: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in points.split())]


def test_a_lag_axis_tops_out_at_a_round_number() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 180, 201, 4_999, 120_000)] == [
        1, 1, 5, 10, 10, 20, 200, 500, 5_000, 200_000]


def test_samples_span_the_hour_from_left_to_right_and_zero_sits_on_the_axis() -> None:
    lags = {1800: 40, 0: 20}
    samples = [(ago, lags.get(ago, 0)) for ago in range(3570, -1, -30)]  # every 30 s over the hour
    drawn = panel(series("projection:ats", *samples), "projection", NOW, "events")
    (line,) = [xy(line) for line in drawn.lines]
    first, middle, last = line[0], line[len(line) // 2 - 1], line[-1]
    assert len(line) == drawn.samples == 120
    assert first[0] < FRAME.left + 3 and last[0] == FRAME.right
    assert middle[0] == (FRAME.left + FRAME.right) / 2
    # 40 on an axis from 0 to 50: four fifths of the way up; 0 on the axis.
    assert first[1] == FRAME.bottom and middle[1] == round(FRAME.bottom - 0.8 * (FRAME.bottom - FRAME.top), 1)
    assert drawn.latest == "20" and drawn.last == last
    assert [t.label for t in drawn.y_ticks] == ["0", "25", "50"]
    assert [t.label for t in drawn.x_ticks if t.label] == ["-60 min", "-30 min", "now"]


def test_a_gap_in_the_samples_breaks_the_line_and_old_samples_are_left_out() -> None:
    drawn = panel(series("reactor:notifier", (4000, 9), (600, 1), (570, 2), (120, 3), (90, 4)), "reactor", NOW,
                  "seconds")
    assert [len(xy(line)) for line in drawn.lines] == [2, 2]  # nobody sampled for 7 minutes: two lines
    assert drawn.samples == 4 and drawn.latest == "0.4 s"


def test_panels_come_projections_first_and_consumers_without_samples_are_left_out() -> None:
    drawn = panels([series("relay", (0, 1)), series("reactor:a", (0, 1)), series("projection:z", (0, 1)),
                    series("projection:gone", (7200, 1))], {}, NOW, "events")
    assert [p.name for p in drawn] == ["projection:z", "reactor:a", "relay"]
