"""The three forms of one dashboard: an HTML page (inline CSS and SVG, no script, no
external asset), JSON and CSV (UTF-8 with a BOM, so that Excel opens it as UTF-8).

All three read the same suppressed :class:`Dashboard`: a hidden count is ``null`` with
``"suppressed": true`` in JSON and 秘匿 in HTML and CSV.
"""

from __future__ import annotations

import csv
import io
from html import escape
from typing import TYPE_CHECKING, Any, Final

from furusato_vc.issuer.dashboard.charts import HIDDEN_JA, bar_chart, choropleth, line_chart

if TYPE_CHECKING:
    from collections.abc import Mapping

    from furusato_vc.issuer.dashboard.model import Cell, Dashboard, Series, Table

__all__ = ["CSV_HEADER", "render_csv", "render_html", "render_json", "render_login"]

CSV_HEADER: Final = (
    "表ID / table_id",
    "表 / table",
    "table (English)",
    "項目キー / key",
    "項目 / item",
    "item (English)",
    "件数 / count",
    "目標 / goal",
)

_VIEW_LABELS: Final = {
    "municipality": ("市区町村ダッシュボード", "Municipality dashboard"),
    "prefecture": ("都道府県ダッシュボード", "Prefecture dashboard"),
    "national": ("全国の進捗", "National progress"),
}

_CSS: Final = """
:root{--ink:#212529;--muted:#5c636a;--line:#dee2e6;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0;font-family:'IPAGothic','Noto Sans CJK JP',sans-serif;color:var(--ink);
background:#f8f9fa;line-height:1.5}
header{background:var(--accent);color:#fff;padding:12px 24px;display:flex;
justify-content:space-between;align-items:center;gap:16px;flex-wrap:wrap}
header h1{margin:0;font-size:22px}header .en{font-size:13px;opacity:.85;display:block}
header form{margin:0}header a,header button{color:#fff;font-size:14px}
header button{background:transparent;border:1px solid #fff;border-radius:4px;padding:4px 10px;
cursor:pointer}
main{padding:16px 24px;display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));
gap:16px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
section.wide{grid-column:1/-1}
h2{font-size:17px;margin:0 0 8px}h2 .en{font-size:12px;color:var(--muted);font-weight:normal;
margin-left:8px}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}
th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.hidden{color:var(--muted)}
.note{font-size:12px;color:var(--muted)}
.meta{padding:8px 24px 0;font-size:13px;color:var(--muted)}
.progress{height:22px;background:#e9ecef;border-radius:4px;overflow:hidden}
.progress span{display:block;height:100%;background:var(--accent)}
details{margin-top:6px}
.split{display:grid;grid-template-columns:minmax(0,600px) minmax(0,1fr);gap:16px;
align-items:start}
.scroll{max-height:640px;overflow:auto}
"""


def _cell_json(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": cell.key,
        "label_ja": cell.label_ja,
        "label_en": cell.label_en,
        "count": cell.count,
        "suppressed": cell.suppressed,
    }
    if cell.goal is not None:
        out["goal"] = cell.goal
    return out


def render_json(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "view": dashboard.view,
        "body_code": dashboard.body_code,
        "name_ja": dashboard.name_ja,
        "name_en": dashboard.name_en,
        "as_of": dashboard.as_of,
        "counted_at": dashboard.counted_at,
        "suppression": {"threshold": dashboard.threshold, "marker": HIDDEN_JA},
        "tables": [
            {
                "id": table.id,
                "title_ja": table.title_ja,
                "title_en": table.title_en,
                "cells": [_cell_json(c) for c in table.cells],
                "total": None if table.total is None else _cell_json(table.total),
            }
            for table in dashboard.tables
        ],
        "series": [
            {
                "id": series.id,
                "title_ja": series.title_ja,
                "title_en": series.title_en,
                "months": list(series.months),
                "lines": [
                    {
                        "key": line.key,
                        "label_ja": line.label_ja,
                        "label_en": line.label_en,
                        "values": list(line.values),
                    }
                    for line in series.lines
                ],
            }
            for series in dashboard.series
        ],
    }


def _csv_value(value: int | None) -> str:
    return HIDDEN_JA if value is None else str(value)


def render_csv(dashboard: Dashboard) -> bytes:
    """Long format: one row per cell (tables, then each series month and line)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for table in dashboard.tables:
        for cell in (*table.cells, *(() if table.total is None else (table.total,))):
            writer.writerow(
                (
                    table.id,
                    table.title_ja,
                    table.title_en,
                    cell.key,
                    cell.label_ja,
                    cell.label_en,
                    _csv_value(cell.count),
                    "" if cell.goal is None else str(cell.goal),
                )
            )
    for series in dashboard.series:
        for line in series.lines:
            for month, value in zip(series.months, line.values, strict=True):
                year, number = month.split("-")
                writer.writerow(
                    (
                        series.id,
                        series.title_ja,
                        series.title_en,
                        f"{month}/{line.key}",
                        f"{year}年{int(number)}月 {line.label_ja}",
                        f"{month} {line.label_en}",
                        _csv_value(value),
                        "",
                    )
                )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------------- HTML


def _heading(title_ja: str, title_en: str) -> str:
    return f'<h2>{escape(title_ja)}<span class="en" lang="en">{escape(title_en)}</span></h2>'


def _data_table(table: Table) -> str:
    rows = [
        (
            '<table><thead><tr><th>項目 <span lang="en">Item</span></th>'
            '<th class="n">件数 <span lang="en">Count</span></th></tr></thead><tbody>'
        )
    ]
    cells = (*table.cells, *(() if table.total is None else (table.total,)))
    for cell in cells:
        hidden = ' class="n hidden"' if cell.count is None else ' class="n"'
        value = HIDDEN_JA if cell.count is None else f"{cell.count:,}"
        strong = ("<strong>", "</strong>") if cell is table.total else ("", "")
        rows.append(
            f'<tr data-key="{escape(cell.key)}"><td>{strong[0]}{escape(cell.label_ja)}'
            f'{strong[1]} <span class="note" lang="en">{escape(cell.label_en)}</span></td>'
            f"<td{hidden}>{value}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _series_table(series: Series) -> str:
    head = "".join(
        f'<th class="n">{escape(line.label_ja)}<br><span lang="en" class="note">'
        f"{escape(line.label_en)}</span></th>"
        for line in series.lines
    )
    rows = [f"<details><summary>数値 / Numbers</summary><table><tr><th>月 Month</th>{head}</tr>"]
    for i, month in enumerate(series.months):
        values = "".join(
            f'<td class="n{" hidden" if line.values[i] is None else ""}">'
            f"{HIDDEN_JA if line.values[i] is None else f'{line.values[i]:,}'}</td>"
            for line in series.lines
        )
        rows.append(f"<tr><td>{escape(month)}</td>{values}</tr>")
    rows.append("</table></details>")
    return "".join(rows)


def _note(ja: str, en: str) -> str:
    if not ja:
        return ""
    return f'<p class="note">{escape(ja)} <span lang="en">{escape(en)}</span></p>'


def _page(title: str, header: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{header}{body}</body></html>"
    )


def render_html(
    dashboard: Dashboard,
    *,
    prefecture_names: Mapping[str, tuple[str, str]],
    export_base: str | None,
    logout_path: str,
) -> str:
    """The dashboard page. ``export_base`` is the path the ``.json`` and ``.csv`` links
    append to; ``prefecture_names`` maps JIS codes to (ja, en) for the map."""
    view_ja, view_en = _VIEW_LABELS[dashboard.view]
    links = ""
    if export_base is not None:
        links = (
            f'<a href="{escape(export_base)}.csv" download>CSV</a> · '
            f'<a href="{escape(export_base)}.json">JSON</a> · '
            '<a href="/staff/dashboard/national">全国 / National</a>'
        )
    header = (
        f"<header><div><h1>{escape(dashboard.name_ja)} — {escape(view_ja)}"
        f'<span class="en" lang="en">{escape(dashboard.name_en)} — {escape(view_en)}</span>'
        f'</h1></div><nav>{links} <form method="post" action="{escape(logout_path)}" '
        'style="display:inline"><button type="submit">ログアウト / Log out</button></form>'
        "</nav></header>"
        f'<p class="meta">集計日 / As of {escape(dashboard.as_of)} ・ '
        + (
            ""
            if dashboard.counted_at is None
            else f"集計時刻 / Counted at {escape(dashboard.counted_at)} ・ "
        )
        + f"{HIDDEN_JA}: {dashboard.threshold}未満の値、またはそれを逆算できる値 "
        f'<span lang="en">(suppressed: counts under {dashboard.threshold}, or counts '
        "from which one could be recovered)</span></p>"
    )
    sections: list[str] = []
    for table in dashboard.tables:
        wide = table.id in ("home_prefecture", "national_progress")
        chart = ""
        if table.id == "home_prefecture":
            counts = {c.key: c.count for c in table.cells if c.key in prefecture_names}
            chart = choropleth(
                counts,
                prefecture_names,
                title=f"{table.title_ja} / {table.title_en}",
            )
            chart = f'<div class="map">{chart}</div>'
        elif table.id == "national_progress":
            chart = "".join(_progress(cell) for cell in table.cells if cell.goal is not None)
        else:
            chart = bar_chart(table)
        if table.id == "home_prefecture":  # the map beside its (long) table
            sections.append(
                f'<section id="{escape(table.id)}" class="wide">'
                f'{_heading(table.title_ja, table.title_en)}<div class="split">{chart}'
                f'<div class="scroll">{_data_table(table)}</div></div></section>'
            )
            continue
        sections.append(
            f'<section id="{escape(table.id)}"{" class=wide" if wide else ""}>'
            f"{_heading(table.title_ja, table.title_en)}{chart}"
            f"{_note(table.note_ja, table.note_en)}{_data_table(table)}</section>"
        )
    sections.extend(
        f'<section id="{escape(series.id)}">{_heading(series.title_ja, series.title_en)}'
        f"{line_chart(series)}{_note(series.note_ja, series.note_en)}"
        f"{_series_table(series)}</section>"
        for series in dashboard.series
    )
    body = f"<main>{''.join(sections)}</main>"
    return _page(f"{dashboard.name_ja} {view_ja} / {view_en}", header, body)


def _progress(cell: Cell) -> str:
    assert cell.goal is not None
    share = 0.0 if cell.count is None else min(1.0, cell.count / cell.goal)
    value = HIDDEN_JA if cell.count is None else f"{cell.count:,}"
    return (
        f'<p>{escape(cell.label_ja)} <span lang="en" class="note">{escape(cell.label_en)}'
        f"</span><br><strong>{value}</strong> / 目標 goal {cell.goal:,} "
        f"({share * 100:.4f} %)</p>"
        f'<div class="progress" role="progressbar" aria-valuenow="{share * 100:.4f}" '
        f'aria-valuemin="0" aria-valuemax="100"><span style="width:{share * 100:.4f}%">'
        "</span></div>"
    )


def render_login(*, action: str, error: str | None) -> str:
    """The staff sign-in form: the bearer token is posted once and exchanged for a
    session cookie (docs/dashboard.md, "Sign-in")."""
    message = "" if error is None else f'<p class="note" role="alert">{escape(error)}</p>'
    body = (
        '<main><section><form method="post" action="'
        f'{escape(action)}">{_heading("職員ログイン", "Staff sign-in")}{message}'
        '<p><label>アクセストークン <span lang="en">Access token</span><br>'
        '<input type="password" name="token" autocomplete="current-password" required '
        'minlength="16" maxlength="256" style="width:100%;font-size:16px"></label></p>'
        '<p><button type="submit">ログイン / Sign in</button></p></form></section></main>'
    )
    header = (
        '<header><h1>ふるさと住民登録 <span class="en" lang="en">Furusato registration</span>'
        "</h1></header>"
    )
    return _page("職員ログイン / Staff sign-in", header, body)
