"""Server-side SVG charts: horizontal bars, monthly lines and a choropleth map of Japan.

Every function returns one ``<svg>`` element as text, with a ``<title>`` for screen readers,
all text escaped, and no script or external reference. Hidden counts (``None``) are drawn as a
hatched stub labelled 秘匿 (bars), a gap (lines) or a hatched prefecture (map).

Prefecture outlines: ``data/prefectures.json`` (see ``data/README.md`` for source and licence).
"""

from __future__ import annotations

import functools
import json
import math
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from furusato_vc.issuer.dashboard.model import Series, Table

__all__ = ["HIDDEN_JA", "bar_chart", "choropleth", "line_chart"]

HIDDEN_JA: Final = "秘匿"
_FONT: Final = "font-family=\"'IPAGothic','Noto Sans CJK JP',sans-serif\""
# ColorBrewer-like sequential blues (lightest to darkest) and a line palette
_BLUES: Final = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
_LINES: Final = ("#1f5fa8", "#d9480f", "#2b8a3e", "#862e9c")
_HATCH: Final = (
    '<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f1f3f5"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#868e96" stroke-width="2"/></pattern></defs>'
)


def _number(value: int | None) -> str:
    return HIDDEN_JA if value is None else f"{value:,}"


def _open(width: int, height: int, title: str, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" class="chart chart-{kind}" {_FONT} font-size="13">'
        f"<title>{escape(title)}</title>"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(table: Table, *, width: int = 560) -> str:
    """One horizontal bar per cell (the total is not drawn), labelled in Japanese and
    English (shortened; the table under the chart has the full labels), with its count at
    the bar's end."""
    row, label_width, top = 34, 230, 8
    height = top + row * len(table.cells) + 8
    largest = max((c.count or 0 for c in table.cells), default=0) or 1
    room = width - label_width - 90
    pattern = f"hatch-{escape(table.id)}"
    out = [_open(width, height, f"{table.title_ja} / {table.title_en}", "bar")]
    out.append(_HATCH.format(id=pattern))
    for i, cell in enumerate(table.cells):
        y = top + i * row
        out.append(
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">'
            f"{escape(_short(cell.label_ja, 16))}</text>"
            f'<text x="{label_width - 8}" y="{y + 27}" text-anchor="end" font-size="10" '
            f'fill="#555">{escape(_short(cell.label_en, 34))}</text>'
        )
        if cell.count is None:
            out.append(
                f'<rect x="{label_width}" y="{y + 4}" width="40" height="22" '
                f'fill="url(#{pattern})" stroke="#868e96" class="bar bar-hidden"/>'
                f'<text x="{label_width + 48}" y="{y + 20}">{HIDDEN_JA}</text>'
            )
            continue
        length = round(room * cell.count / largest)
        out.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{max(length, 1)}" height="22" '
            f'fill="{_BLUES[3]}" class="bar"><title>{escape(cell.label_ja)}: '
            f"{cell.count:,}</title></rect>"
            f'<text x="{label_width + max(length, 1) + 6}" y="{y + 20}">{cell.count:,}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _nice_ceiling(value: int) -> int:
    if value <= 10:
        return 10
    magnitude: int = 10 ** (len(str(value)) - 1)
    return next(step * magnitude for step in (1, 2, 5, 10) if value <= step * magnitude)


def line_chart(series: Series, *, width: int = 560, height: int = 260) -> str:
    """One line per series line over the months; a hidden value breaks the line."""
    left, right, top, bottom = 64, 36, 20 + 18 * len(series.lines), 40
    months = series.months
    values = [v for line in series.lines for v in line.values if v is not None]
    ceiling = _nice_ceiling(max(values, default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(months) - 1, 1)
    out = [_open(width, height, f"{series.title_ja} / {series.title_en}", "line")]
    for fraction in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        y = top + plot_h * (1 - fraction)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{round(ceiling * fraction):,}</text>"
        )
    for i, month in enumerate(months):
        if i % 3 == 0 or i == len(months) - 1:
            x = left + i * step
            out.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11">{escape(month)}</text>'
            )
    for n, line in enumerate(series.lines):
        colour = _LINES[n % len(_LINES)]
        segments: list[list[str]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                segments.append([])
                continue
            y = top + plot_h * (1 - value / ceiling)
            segments[-1].append(f"{left + i * step:.1f},{y:.1f}")
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
            elif points:
                out.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" class="line"/>'
                )
        legend_y = 8 + 18 * n
        out.append(
            f'<rect x="{left}" y="{legend_y}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{left + 20}" y="{legend_y + 6}" font-size="12">'
            f"{escape(line.label_ja)} / {escape(line.label_en)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


@functools.cache
def _shapes() -> tuple[tuple[int, int], tuple[int, int, int, int], dict[str, str]]:
    data = json.loads(
        resources.files("furusato_vc.issuer.dashboard")
        .joinpath("data/prefectures.json")
        .read_text(encoding="utf-8")
    )
    return tuple(data["viewbox"]), tuple(data["inset"]), dict(data["shapes"])


def _bins(values: Sequence[int]) -> tuple[int, ...]:
    """Upper bounds of up to five classes (quantiles of the shown non-zero values)."""
    ordered = sorted(v for v in values if v > 0)
    if not ordered:
        return ()
    bounds: list[int] = []
    for q in (0.2, 0.4, 0.6, 0.8, 1.0):
        bound = ordered[max(0, math.ceil(q * len(ordered)) - 1)]
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    return tuple(bounds)


def choropleth(
    counts: Mapping[str, int | None], names: Mapping[str, tuple[str, str]], *, title: str
) -> str:
    """Japan's 47 prefectures (keys: JIS X 0401 ``"01"``–``"47"``) coloured by count, with a
    legend; ``None`` is hatched (秘匿), a missing key or 0 is white."""
    (width, height), (ix, iy, iw, ih), shapes = _shapes()
    bins = _bins([v for v in counts.values() if v is not None])
    colours = _BLUES[len(_BLUES) - len(bins) :] if bins else ()
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" class="chart chart-map" {_FONT} font-size="26">'
            f"<title>{escape(title)}</title>"
        ),
        _HATCH.format(id="hatch-map"),
        f'<rect x="{ix}" y="{iy}" width="{iw}" height="{ih}" fill="none" stroke="#adb5bd"/>',
    ]
    for code, points in shapes.items():
        value = counts.get(code, 0)
        if value is None:
            fill = "url(#hatch-map)"
        elif value == 0:
            fill = "#ffffff"
        else:
            fill = next(c for c, bound in zip(colours, bins, strict=True) if value <= bound)
        name_ja, name_en = names[code]
        out.append(
            f'<polygon points="{points}" fill="{fill}" stroke="#495057" stroke-width="1.2" '
            f'class="pref" data-pref="{code}"><title>{escape(name_ja)} {escape(name_en)}: '
            f"{_number(value)}</title></polygon>"
        )
    # legend (bottom right)
    x, y = 30, 60  # the Sea of Japan, north-west of Honshu, is empty
    out.append(f'<text x="{x}" y="{y - 14}" font-weight="bold">凡例 / Legend</text>')
    rows = [("#ffffff", "0")]
    low = 1
    for colour, bound in zip(colours, bins, strict=True):
        rows.append((colour, f"{low:,}–{bound:,}" if low < bound else f"{bound:,}"))
        low = bound + 1
    rows.append(("url(#hatch-map)", f"{HIDDEN_JA} / suppressed"))
    for i, (fill, label) in enumerate(rows):
        out.append(
            f'<rect x="{x}" y="{y + i * 40}" width="40" height="28" fill="{fill}" '
            f'stroke="#495057"/><text x="{x + 52}" y="{y + i * 40 + 22}">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
