"""Dashboards of registrations (pure): small-cell suppression, SVG charts and the HTML, JSON
and CSV forms. The issuer service counts (SQL) and serves them; nothing here does I/O."""

from __future__ import annotations

from furusato_vc.issuer.dashboard.model import Cell, Dashboard, Series, SeriesLine, Table
from furusato_vc.issuer.dashboard.render import render_csv, render_html, render_json
from furusato_vc.issuer.dashboard.suppression import (
    DEFAULT_THRESHOLD,
    suppress_count,
    suppress_flow_and_stock,
    suppress_table,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "Cell",
    "Dashboard",
    "Series",
    "SeriesLine",
    "Table",
    "render_csv",
    "render_html",
    "render_json",
    "suppress_count",
    "suppress_flow_and_stock",
    "suppress_table",
]
