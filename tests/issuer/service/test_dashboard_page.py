"""The municipality dashboard in real headless Chromium (Debian's ``chromium`` driven by
Playwright, as the kiosk page tests do): the map and the charts are drawn and visible, the
page asks for nothing from the network, and a screenshot is kept in
``test-artifacts/dashboard-municipality-<backend>.png``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.issuer.service.conftest import KESENNUMA, Service
from tests.issuer.service.dashboard_fixtures import seed

if TYPE_CHECKING:
    from playwright.sync_api import Route

CHROMIUM = Path(os.environ.get("FURUSATO_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

if not CHROMIUM.is_file():  # pragma: no cover - make setup installs Debian's chromium
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing (make system-deps installs it)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (make system-deps installs it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def test_municipality_dashboard_renders_map_and_charts(service: Service) -> None:
    seed(service, persons=500)
    viewer = service.staff(KESENNUMA, "viewer")
    response = service.client.get(f"/staff/bodies/{KESENNUMA}/dashboard", headers=viewer)
    assert response.status_code == 200
    requested: list[str] = []

    def refuse(route: Route) -> None:  # the page must need nothing from anywhere
        requested.append(route.request.url)
        route.abort()

    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", refuse)
            page.set_content(response.text, wait_until="load")
            assert page.locator("html").get_attribute("lang") == "ja"
            assert "気仙沼市" in page.locator("h1").inner_text()
            map_svg = page.locator("svg.chart-map")
            assert map_svg.is_visible()
            box = map_svg.bounding_box()
            assert box is not None
            assert box["width"] > 300
            assert box["height"] > 300
            assert page.locator("svg.chart-map polygon.pref").count() == 47
            tokyo = page.locator('svg.chart-map polygon[data-pref="13"]')
            assert tokyo.get_attribute("fill") not in (None, "#ffffff")  # most come from Tokyo
            bars = page.locator("svg.chart-bar")
            assert bars.count() >= 3
            for i in range(bars.count()):
                assert bars.nth(i).is_visible()
            assert page.locator("svg.chart-bar rect.bar").count() > 0
            lines = page.locator("svg.chart-line")
            assert lines.count() == 2
            assert lines.first.is_visible()
            assert page.locator("svg.chart-line polyline.line").count() > 0
            assert "秘匿" in page.locator("#home_prefecture").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"dashboard-municipality-{service.backend}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            assert errors == []
            assert requested == []
        finally:
            browser.close()
