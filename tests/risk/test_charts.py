"""The dashboard's SVG bar charts (pure: no app, no database)."""
import xml.etree.ElementTree as ET
from decimal import Decimal

from finplat.risk.charts import bar_chart, count, yuan

NS = {"svg": "http://www.w3.org/2000/svg"}
D = Decimal


def parse(markup):
    return ET.fromstring(str(markup))  # raises on anything not well-formed


def bars(root):
    return root.findall("svg:rect", NS)


def texts(root):
    return [t.text for t in root.findall("svg:text", NS)]


def test_one_bar_per_non_zero_item_scaled_to_the_largest():
    root = parse(bar_chart("代偿金额", [("济南", D("200.00")), ("青岛", D("100.00")), ("烟台", D("0")),
                                        ("潍坊", D("-5.00"))], value_format=yuan))
    rects = bars(root)
    assert len(rects) == 2  # zero and negative values get no bar
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] == max(widths)
    assert abs(widths[1] - widths[0] / 2) <= 0.1
    assert "200.00" in texts(root) and "100.00" in texts(root)


def test_all_zero_values_draw_no_bars():
    root = parse(bar_chart("逾期笔数", [("济南", 0), ("青岛", 0)], value_format=count))
    assert bars(root) == []
    assert texts(root).count("0") == 2


def test_labels_and_title_are_escaped_and_parse_back():
    root = parse(bar_chart("A <&> B", [('x<&>"y', 3)], chart_id="c1"))
    title = root.find("svg:title", NS)
    assert title.text == "A <&> B"
    assert 'x<&>"y' in texts(root)
    assert root.get("aria-labelledby") == title.get("id")


def test_root_scales_to_its_container():
    root = parse(bar_chart("t", [("a", 1)]))
    assert root.get("viewBox").startswith("0 0 320 ")
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("role") == "img"


def test_height_grows_with_items():
    def height(n):
        return float(parse(bar_chart("t", [(str(i), i + 1) for i in range(n)])).get("viewBox").split()[3])
    assert height(1) < height(2) < height(5)


def test_empty_chart_says_no_data():
    root = parse(bar_chart("担保余额", []))
    assert bars(root) == []
    assert "无数据" in texts(root)


def test_formatters():
    assert yuan(D("1234567.89")) == "1,234,567.89"
    assert yuan(D("0")) == "0.00"
    assert yuan(D("12.5")) == "12.50"
    assert count(1234) == "1,234"
    assert count(0) == "0"


def test_large_decimal_is_displayed_exactly():
    # 2^53 + 1 has no float counterpart: the text must come from the Decimal itself.
    big = D("9007199254740993.01")
    assert yuan(big) == "9,007,199,254,740,993.01"
    assert "9,007,199,254,740,993.01" in texts(parse(bar_chart("t", [("a", big)], value_format=yuan)))
