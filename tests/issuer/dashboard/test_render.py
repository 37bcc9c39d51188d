"""The three forms of a dashboard agree, escape what they show, and need nothing external."""

from __future__ import annotations

import csv
import io
import re

from furusato_vc.issuer.dashboard import (
    Cell,
    Dashboard,
    Series,
    SeriesLine,
    Table,
    render_csv,
    render_html,
    render_json,
)
from furusato_vc.issuer.dashboard.charts import choropleth

_NAMES = {f"{i:02d}": (f"県{i}", f"Pref {i}") for i in range(1, 48)}


def _dashboard() -> Dashboard:
    table = Table(
        id="tier",
        title_ja="登録区分",
        title_en="Tier",
        cells=(
            Cell(key="basic", label_ja="<script>alert(1)</script>", label_en="B&B", count=120),
            Cell(key="premium", label_ja="プレミアム", label_en="Premium", count=None),
        ),
        total=Cell(key="total", label_ja="合計", label_en="Total", count=None),
    )
    series = Series(
        id="registrations_monthly",
        title_ja="月別",
        title_en="Monthly",
        months=("2026-10", "2026-11"),
        lines=(SeriesLine(key="new", label_ja="新規", label_en="New", values=(None, 30)),),
    )
    return Dashboard(
        view="municipality",
        body_code="042056",
        name_ja="気仙沼市",
        name_en="Kesennuma",
        as_of="2026-11-24",
        threshold=10,
        tables=(table,),
        series=(series,),
    )


def test_html_escapes_labels_and_has_no_script_or_external_reference() -> None:
    page = render_html(
        _dashboard(), prefecture_names=_NAMES, export_base="/x/dashboard", logout_path="/out"
    )
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "B&amp;B" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert page.count("秘匿") >= 3  # two cells in the table, one in the series table


def test_json_and_csv_carry_the_same_cells() -> None:
    document = render_json(_dashboard())
    cells = document["tables"][0]["cells"]
    assert cells[1] == {
        "key": "premium",
        "label_ja": "プレミアム",
        "label_en": "Premium",
        "count": None,
        "suppressed": True,
    }
    assert document["series"][0]["lines"][0]["values"] == [None, 30]
    raw = render_csv(_dashboard())
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[6] for r in rows[1:]] == ["120", "秘匿", "秘匿", "秘匿", "30"]
    assert rows[4][3:6] == ["2026-10/new", "2026年10月 新規", "2026-10 New"]


def test_the_map_draws_47_prefectures_with_hidden_ones_hatched() -> None:
    svg = choropleth({"13": 500, "27": None, "01": 0}, _NAMES, title="map & <title>")
    assert svg.count('class="pref"') == 47
    assert 'fill="url(#hatch-map)" stroke="#495057" stroke-width="1.2" class="pref" ' in svg
    assert 'data-pref="27"><title>県27 Pref 27: 秘匿</title>' in svg
    assert "map &amp; &lt;title&gt;" in svg
    tokyo = re.search(
        r'fill="([^"]+)" stroke="#495057" stroke-width="1.2" class="pref" data-pref="13"', svg
    )
    assert tokyo is not None
    assert tokyo.group(1) != "#ffffff"
