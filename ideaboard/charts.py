"""Tiny server-side SVG charts (no JavaScript, no library): a horizontal bar chart and a line chart.

Every label goes through markupsafe.escape, so an idea category named '<script>' stays text.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_AREA = 22, 8, 190, 330  # 24-character labels fit beside the bars


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, longest = full width; label left, value right."""
    peak = max((v for _, v in rows), default=0) or 1
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_AREA + 60
    parts = [f'<svg class="chart bar-chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>']
    for n, (label, value) in enumerate(rows):
        y = GAP + n * (BAR_HEIGHT + GAP)
        w = round(BAR_AREA * value / peak, 1)
        parts.append(
            f'<g><text class="label" x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(_clip(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(w, 1)}" height="{BAR_HEIGHT}" rx="4">'
            f'<title>{escape(label)}: {escape(_num(value))}{escape(unit)}</title></rect>'
            f'<text class="value" x="{LABEL_WIDTH + max(w, 1) + 6}" y="{y + 15}">{escape(_num(value))}</text></g>')
    if not rows:
        parts.append('<text class="label" x="10" y="20">No data yet</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(points: Sequence[tuple[str, float]], *, title: str, width: int = 560, height: int = 180) -> Markup:
    """A line over evenly spaced points, with the first, middle and last labels on the x axis."""
    pad_l, pad_b, pad_t = 36, 24, 10
    peak = max((v for _, v in points), default=0) or 1
    step = (width - pad_l - 10) / max(1, len(points) - 1)
    plot_h = height - pad_b - pad_t

    def xy(i: int, v: float) -> tuple[float, float]:
        return round(pad_l + i * step, 1), round(pad_t + plot_h * (1 - v / peak), 1)

    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    parts = [f'<svg class="chart line-chart" role="img" viewBox="0 0 {width} {height}" width="100%">'
             f'<title>{escape(title)}</title>',
             f'<line class="axis" x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 10}" y2="{pad_t + plot_h}"/>',
             f'<text class="label" x="{pad_l - 6}" y="{pad_t + 8}" text-anchor="end">{escape(_num(peak))}</text>',
             f'<text class="label" x="{pad_l - 6}" y="{pad_t + plot_h}" text-anchor="end">0</text>']
    if coords:
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{path}" fill="none"/>')
        for (x, y), (label, value) in zip(coords, points, strict=True):
            title = f"<title>{escape(label)}: {escape(_num(value))}</title>"
            parts.append(f'<circle cx="{x}" cy="{y}" r="2.5">{title}</circle>')
        last = len(points) - 1
        for i in sorted({0, len(points) // 2, last}):
            x, _ = coords[i]
            anchor = "start" if i == 0 else "end" if i == last else "middle"
            parts.append(f'<text class="label" x="{x}" y="{height - 6}" text-anchor="{anchor}">'
                         f'{escape(points[i][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(label: str, size: int = 24) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
