"""The geometry of the overview's bar charts, drawn as inline SVG by `chart.html` (no script, no inline style:
the page's CSP forbids both). Horizontal bars, one per row, the label on the left, the value after the bar,
each bar a link to the list behind it. Pure: rows in, coordinates out."""
from dataclasses import dataclass

WIDTH, LABEL, RIGHT = 360, 110, 36   # the label column and the room left for the value after the longest bar
ROW, BAR = 24, 16                    # small enough to stay readable when a phone shrinks it to 300 px
LABEL_CHARS = 9                      # longer labels are cut (the table beside the chart has them whole)


@dataclass(frozen=True)
class ChartRow:
    label: str
    value: int
    href: str
    level: str = ""   # a class for the bar's colour: suspended | banned | terminated | late | ""
    points: int | None = None  # a second number for the table (the records' points)


@dataclass(frozen=True)
class Bar:
    row: ChartRow
    short: str        # the label as drawn
    y: float
    width: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    bars: list[Bar]
    width: int = WIDTH
    left: int = LABEL
    height: int = 0


def chart(id: str, title: str, rows: list[ChartRow]) -> Chart:
    top = max((r.value for r in rows), default=0) or 1
    span = WIDTH - LABEL - RIGHT
    bars = [Bar(r, r.label if len(r.label) <= LABEL_CHARS else r.label[:LABEL_CHARS - 1] + "…",
                y=4 + i * ROW, width=round(span * r.value / top, 1), text_y=4 + i * ROW + BAR - 4)
            for i, r in enumerate(rows)]
    return Chart(id, title, bars, height=8 + len(rows) * ROW)
