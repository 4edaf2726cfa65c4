"""The geometry of a person's timeline picture, drawn as SVG by `person_picture.html`: net points per year
against the suspension and termination lines, and below it a time lane with suspensions, bans, records and
today. Pure: it reads a PersonView and returns coordinates."""
from dataclasses import dataclass, field
from datetime import date

from api.people.schemas import PersonView

WIDTH, LEFT, RIGHT = 760, 48, 16
CHART_TOP, CHART_BOTTOM = 24, 164
LANE_TOP, LANE_HEIGHT = 196, 28
HEIGHT = 262
MAX_YEARS = 10
MAX_BAR = 56


@dataclass(frozen=True)
class Bar:
    year: int
    x: float
    y: float
    width: float
    height: float
    net: int
    level: str  # ok | suspend | terminate


@dataclass(frozen=True)
class Line:
    y: float
    value: int
    kind: str  # suspend | terminate


@dataclass(frozen=True)
class Span:
    kind: str  # suspended | banned
    x: float
    width: float
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Marker:
    x: float
    points: int
    on: date
    annulled: bool


@dataclass(frozen=True)
class Tick:
    x: float
    year: int


@dataclass
class Picture:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    today_x: float = 0.0
    lane_top: int = LANE_TOP
    lane_height: int = LANE_HEIGHT
    chart_bottom: int = CHART_BOTTOM
    left: int = LEFT
    right: int = WIDTH - RIGHT


def _years(view: PersonView) -> tuple[int, int]:
    """From the first year with a registration or a record to this year, or to the end of a running ban."""
    starts = [view.year] + [y.year for y in view.years] + [r.starts_on.year for r in view.registrations]
    ends = [view.year] + [s.ends_on.year for s in view.sanctions if not s.revoked]
    last = max(ends)
    return max(min(starts), last - MAX_YEARS + 1), last


def person_picture(view: PersonView, suspend_at: int, terminate_at: int) -> Picture:
    first, last = _years(view)
    picture = Picture()
    span_days = (date(last, 12, 31) - date(first, 1, 1)).days + 1
    plot = picture.right - LEFT

    def x_of(day: date) -> float:
        clamped = min(max(day, date(first, 1, 1)), date(last, 12, 31))
        return round(LEFT + plot * (clamped - date(first, 1, 1)).days / span_days, 1)

    nets = {y.year: y.net for y in view.years}
    top = max([terminate_at + 1, *nets.values()])
    scale = (CHART_BOTTOM - CHART_TOP) / top
    slot = plot / (last - first + 1)
    for year in range(first, last + 1):
        net = max(nets.get(year, 0), 0)
        level = "terminate" if net >= terminate_at else "suspend" if net >= suspend_at else "ok"
        height = round(net * scale, 1)
        width = min(slot * 0.6, MAX_BAR)
        picture.bars.append(Bar(year, round(LEFT + (year - first) * slot + (slot - width) / 2, 1),
                                round(CHART_BOTTOM - height, 1), round(width, 1), height, net, level))
        picture.ticks.append(Tick(round(LEFT + (year - first) * slot, 1), year))
    picture.lines = [Line(round(CHART_BOTTOM - value * scale, 1), value, kind)
                     for value, kind in ((suspend_at, "suspend"), (terminate_at, "terminate"))]
    for s in view.sanctions:
        if s.revoked or s.ends_on < date(first, 1, 1):
            continue
        start = x_of(s.starts_on)
        picture.spans.append(Span("suspended" if s.kind == "suspension" else "banned", start,
                                  max(round(x_of(s.ends_on) - start, 1), 2.0), s.starts_on, s.ends_on))
    picture.markers = [Marker(x_of(r.decision_date), r.points_recorded, r.decision_date, r.points == 0)
                       for r in view.records if r.decision_date.year >= first]
    picture.today_x = x_of(view.as_of)
    return picture
