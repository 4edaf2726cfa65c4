"""The overview's bar-chart geometry, without a database: bars proportional to their values, the longest
filling the room, labels cut only in the drawing (the table keeps them whole)."""
from api.web.charts import LABEL, RIGHT, ROW, WIDTH, ChartRow, chart


def test_bars_are_proportional_and_the_longest_fills_the_room():
    c = chart("c", "t", [ChartRow("一月", 10, "/a"), ChartRow("二月", 5, "/b"), ChartRow("三月", 0, "/c")])
    assert [b.width for b in c.bars] == [WIDTH - LABEL - RIGHT, (WIDTH - LABEL - RIGHT) / 2, 0]
    assert [b.y for b in c.bars] == [4, 4 + ROW, 4 + 2 * ROW] and c.height == 8 + 3 * ROW
    assert [b.row.href for b in c.bars] == ["/a", "/b", "/c"]


def test_all_zero_draws_empty_bars_and_long_labels_are_cut_in_the_drawing_only():
    c = chart("c", "t", [ChartRow("S03 虚构医药服务项目或者虚假诊疗", 0, "/x")])
    assert c.bars[0].width == 0
    assert c.bars[0].short.endswith("…") and len(c.bars[0].short) <= 9
    assert c.bars[0].row.label == "S03 虚构医药服务项目或者虚假诊疗"
    assert chart("e", "t", []).bars == []
