"""Dashboards: every number against independent SQL, suppression, roles and tenants, the
prefecture and national views, and the JSON, CSV and HTML forms (both backends)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.registration.claims import JST
from furusato_vc.issuer.dashboard import suppress_table
from furusato_vc.issuer.service import create_app
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA, MIYAGI, Service
from tests.issuer.service.dashboard_fixtures import TYPES, Seeded, seed, sql
from tests.issuer.service.flows import assert_problem, register
from tests.issuer.service.premium_flows import create_activity, person

if TYPE_CHECKING:
    from collections.abc import Iterator

CURRENT = "state = 'active' AND (valid_until IS NULL OR valid_until >= :today)"
MIYAGI_WHERE = (
    "substr(body_code, 1, 2) = '04' AND (body_code <> '040002' OR via_registration_id IS NULL)"
)


@pytest.fixture
def seeded(service: Service) -> Seeded:
    return seed(service)


@contextlib.contextmanager
def _client(service: Service, **changes: Any) -> Iterator[TestClient]:
    app = create_app(replace(service.settings, **changes), clock=service.clock)
    with TestClient(app) as client:
        yield client


def _today(service: Service) -> date:
    return service.clock.now().astimezone(JST).date()


def _cells(document: dict[str, Any], table_id: str) -> dict[str, Any]:
    [table] = [t for t in document["tables"] if t["id"] == table_id]
    out = {cell["key"]: cell["count"] for cell in table["cells"]}
    if table["total"] is not None:
        out["total"] = table["total"]["count"]
    return out


def _series(document: dict[str, Any], series_id: str) -> dict[str, list[int | None]]:
    [series] = [s for s in document["series"] if s["id"] == series_id]
    return {line["key"]: line["values"] for line in series["lines"]}


def _month(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=JST).strftime("%Y-%m")


def _month_ends(today: date) -> list[tuple[str, date]]:
    out = []
    first = today.replace(day=1)
    end = today
    for _ in range(24):
        out.append((first.strftime("%Y-%m"), end))
        end = first - timedelta(days=1)
        first = end.replace(day=1)
    return out[::-1]


def _expected(service: Service, where: str) -> dict[str, Any]:
    """Every number of a body view, from SQL over the JSON columns and Python."""
    today = _today(service)
    p = {"today": today.isoformat()}
    tier = dict(
        sql(
            service,
            f"SELECT tier, count(*) FROM registrations WHERE {where} AND {CURRENT} GROUP BY tier",
            **p,
        )
    )
    types = {
        kind: sql(
            service,
            f"SELECT count(*) FROM registrations WHERE {where} AND {CURRENT} "
            "AND relationship_types LIKE :pattern",
            pattern=f'%"{kind}"%',
            **p,
        )[0][0]
        for kind in TYPES
    }
    types["none"] = sql(
        service,
        f"SELECT count(*) FROM registrations WHERE {where} AND {CURRENT} "
        "AND relationship_types = '[]'",
        **p,
    )[0][0]
    homes: Counter[str] = Counter()
    for (profile,) in sql(
        service,
        f"SELECT profile FROM registrations WHERE {where} AND {CURRENT}",
        **p,
    ):
        homes[json.loads(profile).get("home_prefecture", "unknown")] += 1
    rows = sql(
        service,
        "SELECT created_at, state, tier, valid_until, premium_approved_at "
        f"FROM registrations WHERE {where}",
    )
    new, active, approvals, premium = [], [], [], []
    for key, end in _month_ends(today):
        new.append(sum(1 for r in rows if _month(r[0]) == key))
        approvals.append(sum(1 for r in rows if r[4] is not None and _month(r[4]) == key))
        end_iso = end.isoformat()
        active.append(
            sum(
                1
                for created, state, _tier, until, _a in rows
                if state == "active"
                and datetime.fromtimestamp(created, tz=JST).date() <= end
                and (until is None or until >= end_iso)
            )
        )
        premium.append(
            sum(
                1
                for _c, state, tier_, until, approved in rows
                if state == "active"
                and tier_ == "premium"
                and approved is not None
                and datetime.fromtimestamp(approved, tz=JST).date() <= end
                and (until is None or until >= end_iso)
            )
        )
    renewals: Counter[str] = Counter()
    for _c, state, tier_, until, _a in rows:
        if state != "active" or until is None:
            continue
        days = (date.fromisoformat(until) - today).days
        for low, high in ((0, 30), (31, 60), (61, 90)):
            if low <= days <= high:
                renewals[f"{tier_}_{low}_{high}"] += 1
                renewals[f"{tier_}_total"] += 1
    return {
        "tier": tier,
        "types": types,
        "homes": homes,
        "new": new,
        "active": active,
        "approvals": approvals,
        "premium": premium,
        "renewals": renewals,
    }


def _check_body_view(document: dict[str, Any], expected: dict[str, Any]) -> None:
    tier = _cells(document, "tier")
    assert tier["basic"] == expected["tier"].get("basic", 0)
    assert tier["premium"] == expected["tier"].get("premium", 0)
    assert tier["total"] == sum(expected["tier"].values())
    assert _cells(document, "relationship_type") == expected["types"]
    homes = _cells(document, "home_prefecture")
    assert {k: v for k, v in homes.items() if v and k != "total"} == dict(expected["homes"])
    assert homes["total"] == sum(expected["homes"].values())
    monthly = _series(document, "registrations_monthly")
    assert monthly["new"] == expected["new"]
    assert monthly["active"] == expected["active"]
    assert monthly["active"][-1] == tier["total"]  # today's stock is the current total
    premium = _series(document, "premium_monthly")
    assert premium["premium_approvals"] == expected["approvals"]
    assert premium["premium_active"] == expected["premium"]
    renewals = _cells(document, "renewals")
    assert {k: v for k, v in renewals.items() if v} == dict(expected["renewals"])


def test_municipality_numbers_equal_independent_sql(service: Service, seeded: Seeded) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    with _client(service, dashboard_suppression_threshold=1) as client:
        response = client.get(f"/staff/bodies/{KESENNUMA}/dashboard.json", headers=viewer)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["view"] == "municipality"
    assert document["suppression"]["threshold"] == 1
    _check_body_view(document, _expected(service, f"body_code = '{KESENNUMA}'"))
    assert document["tables"][0]["total"]["count"] > 100  # a real sample
    # the prefecture's view, with the same client (one seeded database for all three views)
    _check_prefecture_view(service, client_json(service, MIYAGI))
    _check_national_view(service)


def client_json(service: Service, code: str) -> dict[str, Any]:
    viewer = service.staff(code, "viewer")
    with _client(service, dashboard_suppression_threshold=1) as client:
        document: dict[str, Any] = client.get(
            f"/staff/bodies/{code}/dashboard.json", headers=viewer
        ).json()
    return document


def _check_prefecture_view(service: Service, document: dict[str, Any]) -> None:
    """The prefecture view aggregates its municipalities and its own direct registrations."""
    assert document["view"] == "prefecture"
    _check_body_view(document, _expected(service, MIYAGI_WHERE))
    today = {"today": _today(service).isoformat()}
    by_body = dict(
        sql(
            service,
            "SELECT body_code, count(*) FROM registrations WHERE substr(body_code, 1, 2) = '04' "
            f"AND body_code <> '040002' AND {CURRENT} GROUP BY body_code",
            **today,
        )
    )
    municipalities = _cells(document, "by_municipality")
    assert {k: v for k, v in municipalities.items() if k != "total"} == by_body
    assert set(by_body) == {KESENNUMA, "041009"}  # 仙台市 is counted though not hosted here
    own = dict(
        sql(
            service,
            "SELECT via_registration_id IS NULL, count(*) FROM registrations "
            f"WHERE body_code = '040002' AND {CURRENT} GROUP BY via_registration_id IS NULL",
            **today,
        )
    )
    cells = _cells(document, "prefecture_own")
    assert cells["direct"] == own.get(True, own.get(1, 0))
    assert cells["via_municipality"] == own.get(False, own.get(0, 0))
    assert cells["direct"] > 0
    assert cells["via_municipality"] > 0


def _check_national_view(service: Service) -> None:
    """National progress counts distinct persons and the registrations people chose."""
    viewer = service.staff(MINAMIMINOWA, "viewer")  # any staff member
    document = service.client.get("/staff/dashboard/national.json", headers=viewer).json()
    today = {"today": _today(service).isoformat()}
    [(persons, chosen, automatic)] = sql(
        service,
        "SELECT count(DISTINCT person_id), "
        "sum(CASE WHEN via_registration_id IS NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN via_registration_id IS NULL THEN 0 ELSE 1 END) "
        f"FROM registrations WHERE {CURRENT}",
        **today,
    )
    progress = {c["key"]: c for c in document["tables"][0]["cells"]}
    assert progress["persons"]["count"] == persons
    assert progress["persons"]["goal"] == 10_000_000
    assert progress["registrations"]["count"] == chosen
    assert progress["registrations"]["goal"] == 100_000_000
    split = _cells(document, "national_registrations")
    assert split["automatic"] == automatic
    assert split["total"] == chosen + automatic
    assert persons < chosen  # people registered with several bodies count once


# ---------------------------------------------------------------------------- suppression


def _hidden_ok(shown: list[int | None], raw: list[int], threshold: int) -> None:
    """The rule's guarantees: shown cells are 0 or >= k; hidden cells are none or at least
    two whose raw sum is >= k."""
    assert all(v is None or v == 0 or v >= threshold for v in shown)
    hidden = [r for v, r in zip(shown, raw, strict=True) if v is None]
    assert not hidden or (len(hidden) >= 2 and sum(hidden) >= threshold)


def test_suppression_hides_small_cells_and_their_complements(
    service: Service, seeded: Seeded
) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    path = f"/staff/bodies/{KESENNUMA}/dashboard.json"
    with _client(service, dashboard_suppression_threshold=1) as client:
        raw = client.get(path, headers=viewer).json()
    hidden = service.client.get(path, headers=viewer).json()
    assert hidden["suppression"] == {"threshold": 10, "marker": "秘匿"}
    homes_raw = _cells(raw, "home_prefecture")
    homes = _cells(hidden, "home_prefecture")
    keys = [k for k in homes_raw if k != "total"]
    assert any(0 < homes_raw[k] < 10 for k in keys)  # the sample has small cells …
    assert any(homes[k] is None for k in keys)  # … and they are hidden
    cells, total = suppress_table([homes_raw[k] for k in keys], threshold=10)
    assert [homes[k] for k in keys] == list(cells)
    assert homes["total"] == total
    _hidden_ok([homes[k] for k in keys], [homes_raw[k] for k in keys], 10)
    for table in ("tier", "relationship_type", "renewals"):
        shown = _cells(hidden, table)
        assert all(v is None or v == 0 or v >= 10 for v in shown.values())
    monthly = _series(hidden, "registrations_monthly")
    assert all(v is None or v == 0 or v >= 10 for v in monthly["new"])
    # the threshold is a setting
    with _client(service, dashboard_suppression_threshold=1000) as client:
        document = client.get(f"/staff/bodies/{KESENNUMA}/dashboard.json", headers=viewer).json()
    homes = _cells(document, "home_prefecture")
    assert all(v is None or v == 0 for v in homes.values())  # nobody reaches 1000 here


def _html_values(page: str, section: str) -> dict[str, str]:
    match = re.search(f'<section id="{section}".*?</section>', page, re.DOTALL)
    assert match is not None, section
    return dict(
        re.findall(
            r'<tr data-key="([^"]+)">.*?<td class="n[^"]*">([^<]+)</td></tr>', match.group(0)
        )
    )


def test_json_csv_and_html_show_the_same_suppressed_numbers_and_the_page_is_self_contained(
    service: Service, seeded: Seeded
) -> None:
    viewer = service.staff(MIYAGI, "viewer")
    base = f"/staff/bodies/{MIYAGI}/dashboard"
    document = service.client.get(base + ".json", headers=viewer).json()
    exported = service.client.get(base + ".csv", headers=viewer)
    page = service.client.get(base, headers=viewer)
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.content.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "表ID / table_id"
    assert rows[0][6] == "件数 / count"
    from_csv = {(r[0], r[3]): r[6] for r in rows[1:]}
    some_hidden = False
    for table in document["tables"]:
        html = _html_values(page.text, table["id"])
        for cell in table["cells"] + ([table["total"]] if table["total"] else []):
            text = "秘匿" if cell["count"] is None else str(cell["count"])
            some_hidden |= cell["count"] is None
            assert from_csv[(table["id"], cell["key"])] == text
            assert html[cell["key"]].replace(",", "") == text
    assert some_hidden
    for series in document["series"]:
        for line in series["lines"]:
            for month, value in zip(series["months"], line["values"], strict=True):
                expected = "秘匿" if value is None else str(value)
                assert from_csv[(series["id"], f"{month}/{line['key']}")] == expected
    # the page: Japanese first, self-contained, with SVG charts and the map
    viewer = service.staff(KESENNUMA, "viewer")
    page = service.client.get(f"/staff/bodies/{KESENNUMA}/dashboard", headers=viewer)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert text.startswith('<!DOCTYPE html><html lang="ja">')
    assert "宮城県気仙沼市" in text
    assert "Kesennuma City" in text
    assert text.count('class="pref"') == 47  # the choropleth
    assert 'class="chart chart-bar"' in text
    assert 'class="chart chart-line"' in text
    assert "<script" not in text
    assert not re.search(r'(src|href)="(https?:)?//', text)  # no external asset


# ---------------------------------------------------------------------------- access


def test_other_bodies_staff_and_a_municipality_at_its_prefecture_are_forbidden(
    service: Service,
) -> None:
    theirs = service.staff(MINAMIMINOWA, "admin")
    for suffix in ("", ".json", ".csv"):
        response = service.client.get(
            f"/staff/bodies/{KESENNUMA}/dashboard{suffix}", headers=theirs
        )
        assert_problem(response, ErrorCode.STAFF_FORBIDDEN, 403)
    # a municipality cannot open its prefecture's view
    municipality = service.staff(KESENNUMA, "admin")
    response = service.client.get(f"/staff/bodies/{MIYAGI}/dashboard.json", headers=municipality)
    assert_problem(response, ErrorCode.STAFF_FORBIDDEN, 403)


def test_every_role_from_viewer_up_may_see_it_and_nobody_without_credentials(
    service: Service,
) -> None:
    register(service, KESENNUMA)
    for role in ("viewer", "reviewer", "admin"):
        headers = service.staff(KESENNUMA, role)
        response = service.client.get(f"/staff/bodies/{KESENNUMA}/dashboard.json", headers=headers)
        assert response.status_code == 200
        assert _cells(response.json(), "tier")["basic"] is None  # one person: hidden
    for path in (f"/staff/bodies/{KESENNUMA}/dashboard.json", "/staff/dashboard/national.csv"):
        assert_problem(service.client.get(path), ErrorCode.STAFF_UNAUTHENTICATED, 401)
    forged = {"Authorization": "Bearer " + "x" * 43}
    assert_problem(
        service.client.get("/staff/dashboard/national.json", headers=forged),
        ErrorCode.STAFF_UNAUTHENTICATED,
        401,
    )
    page = service.client.get(f"/staff/bodies/{KESENNUMA}/dashboard", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/login"


def test_sign_in_exchanges_the_token_for_a_strict_http_only_cookie(service: Service) -> None:
    token = service.staff(KESENNUMA, "viewer")["Authorization"].removeprefix("Bearer ")
    assert "<form" in service.client.get("/staff/login").text
    response = service.client.post(
        "/staff/login",
        content=f"token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/bodies/{KESENNUMA}/dashboard"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/staff" in cookie
    assert token not in cookie  # the token itself never goes into the cookie
    page = service.client.get(f"/staff/bodies/{KESENNUMA}/dashboard")
    assert page.status_code == 200
    assert service.client.get("/staff/dashboard/national").status_code == 200
    # the cookie is this body's: another body's view stays forbidden
    other = service.client.get(f"/staff/bodies/{MINAMIMINOWA}/dashboard.json")
    assert_problem(other, ErrorCode.STAFF_FORBIDDEN, 403)
    # a tampered cookie is no session
    value = service.client.cookies.get("furusato_staff")
    assert value is not None
    service.client.cookies.clear()
    staff_id, expires, mac = value.split(".")
    tampered = f"{staff_id}.{expires}.{'B' if mac[0] == 'A' else 'A'}{mac[1:]}"
    service.client.cookies.set("furusato_staff", tampered)
    assert_problem(
        service.client.get(f"/staff/bodies/{KESENNUMA}/dashboard.json"),
        ErrorCode.STAFF_UNAUTHENTICATED,
        401,
    )
    # a session ends after its lifetime (8 hours)
    service.client.cookies.set("furusato_staff", value)
    path = f"/staff/bodies/{KESENNUMA}/dashboard.json"
    assert service.client.get(path).status_code == 200
    service.clock.advance(timedelta(hours=8, seconds=1))
    assert_problem(service.client.get(path), ErrorCode.STAFF_UNAUTHENTICATED, 401)


def test_sign_in_refuses_wrong_tokens_and_cross_site_posts_and_sign_out_clears(
    service: Service,
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wrong = service.client.post("/staff/login", content="token=" + "A" * 43, headers=form)
    assert wrong.status_code == 401
    assert "Set-Cookie" not in wrong.headers
    token = service.staff(KESENNUMA, "viewer")["Authorization"].removeprefix("Bearer ")
    for header in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = service.client.post(
            "/staff/login", content=f"token={token}", headers={**form, **header}
        )
        assert_problem(response, ErrorCode.STAFF_FORBIDDEN, 403)
    # signing out clears the cookie
    service.client.post("/staff/login", content=f"token={token}", headers=form)
    response = service.client.post("/staff/logout", follow_redirects=False)
    assert response.status_code == 303
    assert (
        'furusato_staff=""' in response.headers["set-cookie"]
        or "Max-Age=0" in (response.headers["set-cookie"])
    )
    own = service.client.get("/staff/dashboard", follow_redirects=False)
    assert own.headers["location"] == "/staff/login"


def test_premium_chart_counts_accepted_attendances_per_month(service: Service) -> None:
    """The premium chart's attendance line: check-ins accepted by the service (migration
    0002), per Japan month, at the body's activities only."""
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(service, KESENNUMA, reviewer)
    elsewhere = create_activity(service, MINAMIMINOWA, service.staff(MINAMIMINOWA, "reviewer"))
    for _ in range(3):
        who = person(service)
        who.register(KESENNUMA)
        assert who.check_in(KESENNUMA, activity["check_in_qr"]).status_code == 201
    other = person(service)
    other.register(MINAMIMINOWA)
    assert other.check_in(MINAMIMINOWA, elsewhere["check_in_qr"]).status_code == 201
    viewer = service.staff(KESENNUMA, "viewer")
    path = f"/staff/bodies/{KESENNUMA}/dashboard.json"
    with _client(service, dashboard_suppression_threshold=1) as client:
        document = client.get(path, headers=viewer).json()
    [series] = [s for s in document["series"] if s["id"] == "premium_monthly"]
    month = _today(service).strftime("%Y-%m")
    attendance = _series(document, "premium_monthly")["attendance"]
    assert attendance[series["months"].index(month)] == 3
    assert sum(v or 0 for v in attendance) == 3
    hidden = service.client.get(path, headers=viewer).json()  # 3 < 10: suppressed
    assert _series(hidden, "premium_monthly")["attendance"][series["months"].index(month)] is None
