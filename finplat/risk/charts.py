"""Server-side SVG charts for the risk dashboard, as pure functions: no Flask, no database, no JavaScript.

The SVG scales to its container (viewBox, width="100%"), so the 320-unit coordinate system below maps to
about one CSS pixel on a 360 px phone: 12-13 unit text stays legible. Each label sits on its own line above
its bar, so long Chinese labels get the full width instead of sharing it with the bar.
"""
import hashlib
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

WIDTH = 320
PAD = 8
VALUE_SPACE = 104  # room right of the longest bar for its value, e.g. "12,345,678.90" at 12 units
BAR_MAX = Decimal(WIDTH - 2 * PAD - VALUE_SPACE)
TITLE_H = 28
LABEL_H = 16  # label baseline to the top of its bar
BAR_H = 14
ROW_H = LABEL_H + BAR_H + 8
PALETTE = ("#2f6fb0", "#e08a1e", "#3a9a5b", "#c2453c", "#7a5ba8")  # distinct, readable on white
TEXT = "#222"
MUTED = "#666"
FEN = Decimal("0.01")
TENTH = Decimal("0.1")


def yuan(value: Decimal) -> str:
    """An amount for display, "1,234,567.89": Decimal formatting throughout, never through float."""
    return f"{Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP):,}"


def count(value) -> str:
    """A whole count for display, "1,234"."""
    return f"{int(value):,}"


def _bar_length(value: Decimal, top: Decimal) -> Decimal:
    # Decimal keeps the ratios exact; the caller has ensured top > 0.
    return (value / top * BAR_MAX).quantize(TENTH, rounding=ROUND_HALF_UP)


def bar_chart(title: str, items: list[tuple[str, Decimal | int]], *, value_format=None,
              chart_id: str = "") -> Markup:
    """A horizontal bar chart: per item a label line, then a bar scaled to value / largest value with the
    formatted value at its end. Negative values count as 0; zero values get no bar (and no division)."""
    fmt = value_format or str
    # A stable id derived from the title, so aria-labelledby works without the caller naming the chart;
    # pass chart_id when two charts on one page share a title.
    base = chart_id or "chart-" + hashlib.sha1(title.encode()).hexdigest()[:8]
    title_id = f"{base}-title"
    values = [max(Decimal(value), Decimal(0)) for _, value in items]
    top = max(values, default=Decimal(0))
    rows = max(len(items), 1)  # the empty chart still has one line, for its "no data" text
    height = TITLE_H + rows * ROW_H + PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{escape(title_id)}" font-family="sans-serif" font-size="12">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<text x="{PAD}" y="{PAD + 13}" font-size="13" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    if not items:
        parts.append(f'<text x="{PAD}" y="{TITLE_H + LABEL_H}" fill="{MUTED}">无数据</text>')
    for i, ((label, raw), value) in enumerate(zip(items, values)):
        y = TITLE_H + i * ROW_H
        bar_y = y + LABEL_H + 2
        parts.append(f'<text x="{PAD}" y="{y + LABEL_H - 4}" fill="{TEXT}">{escape(label)}</text>')
        length = _bar_length(value, top) if value > 0 else Decimal(0)
        if value > 0:
            parts.append(f'<rect x="{PAD}" y="{bar_y}" width="{length}" height="{BAR_H}" rx="2" '
                         f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        # The value is shown as given (a negative stays visible as negative text, with no bar).
        parts.append(f'<text x="{PAD + length + 4}" y="{bar_y + BAR_H - 3}" fill="{TEXT}">'
                     f'{escape(fmt(raw))}</text>')
    parts.append("</svg>")
    return Markup("\n".join(parts))
