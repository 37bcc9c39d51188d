"""What a dashboard shows: tables of counts and monthly series, already suppressed.

A count is ``None`` when it is hidden (秘匿); nothing downstream (HTML, JSON, CSV, charts) sees
the hidden value, so the three formats cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Cell", "Dashboard", "Series", "SeriesLine", "Table"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    key: str
    label_ja: str
    label_en: str
    count: int | None  # None: hidden (秘匿)
    goal: int | None = None  # national targets only

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    id: str
    title_ja: str
    title_en: str
    cells: tuple[Cell, ...]
    total: Cell | None = None
    note_ja: str = ""
    note_en: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesLine:
    key: str
    label_ja: str
    label_en: str
    values: tuple[int | None, ...]  # one per month; None: hidden


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    id: str
    title_ja: str
    title_en: str
    months: tuple[str, ...]  # "YYYY-MM", oldest first
    lines: tuple[SeriesLine, ...]
    note_ja: str = ""
    note_en: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Dashboard:
    """One view: a municipality's, a prefecture's or the national one."""

    view: str  # "municipality" | "prefecture" | "national"
    body_code: str | None
    name_ja: str
    name_en: str
    as_of: str  # ISO date (Japan)
    threshold: int
    tables: tuple[Table, ...]
    series: tuple[Series, ...]
    #: when the counts were taken (Japan time, "YYYY-MM-DD HH:MM"), for views served from a
    #: snapshot (docs/dashboard.md, "Snapshots"); None when counted for this request
    counted_at: str | None = None

    def table(self, table_id: str) -> Table:
        for table in self.tables:
            if table.id == table_id:
                return table
        raise KeyError(table_id)

    def one_series(self, series_id: str) -> Series:
        for series in self.series:
            if series.id == series_id:
                return series
        raise KeyError(series_id)
