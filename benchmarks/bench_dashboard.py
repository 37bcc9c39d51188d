"""Dashboards at 1 million registrations on PostgreSQL (issue M8: pages in < 1 s).

1. a fresh database (``--database``, dropped and created), migrated;
2. ``dashboard_seed.seed``: ~1M registrations across 50 bodies (COPY), ``VACUUM ANALYZE``;
3. staff tokens for the largest municipality and the largest prefecture;
4. ``furusato-vc issuer serve`` (one uvicorn process) on 127.0.0.1;
5. each page and export (HTML, JSON, CSV of the municipality, prefecture and national views)
   loaded ``--loads`` times after one warm-up, over HTTP: p50 and p95 wall time;
6. every number the JSON shows checked against independent SQL over the JSON text columns
   (not the dashboard columns): a shown count must equal it, and the hidden ones must be
   exactly those the suppression rule hides given the SQL's numbers.

    python benchmarks/bench_dashboard.py [--registrations 1000000] [--loads 9] [--max-age S]

``--max-age`` is the service's ``FURUSATO_DASHBOARD_MAX_AGE``: 0 (the default here) counts
the view on every load, which is what the timings are about; with snapshots on (600 in
production) the warm-up counts and the timed loads are served from the snapshot.

No pass/fail threshold on time (the machine may be shared); it exits non-zero if a number
is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dashboard_seed  # noqa: E402 (a sibling script)
from pgadmin import recreate_database  # noqa: E402

from furusato_vc.issuer.dashboard import suppress_flow_and_stock, suppress_table  # noqa: E402
from furusato_vc.issuer.service.migrate import upgrade  # noqa: E402

PORT = 8211
BASE = f"http://127.0.0.1:{PORT}"
CLI = str(Path(sys.executable).parent / "furusato-vc")
JST = timezone(timedelta(hours=9))
THRESHOLD = 10
TYPES = dashboard_seed.TYPES


async def _staff(url: str, codes: list[str], now: int) -> dict[str, str]:
    tokens = {code: secrets.token_urlsafe(32) for code in codes}
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        for code, token in tokens.items():
            await connection.execute(
                "INSERT INTO staff (id, body_code, username, role, token_hash, created_at)"
                " VALUES ($1, $2, $3, 'viewer', $4, $5)",
                secrets.token_hex(8),
                code,
                f"bench-{code}-{secrets.token_hex(3)}",
                hashlib.sha256(token.encode()).digest(),
                now,
            )
    finally:
        await connection.close()
    return tokens


def _get(path: str, token: str) -> tuple[float, bytes]:
    request = urllib.request.Request(BASE + path, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
    return time.perf_counter() - started, body


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


# ---------------------------------------------------------------------------- independent SQL


async def _expected_body(conn: Any, where: str, today: date) -> dict[str, Any]:
    """The raw numbers of a body view, from the JSON text columns."""
    current = f"({where}) AND state = 'active' AND (valid_until IS NULL OR valid_until >= $1)"
    t = today.isoformat()
    tier = {r[0]: r[1] for r in await conn.fetch(
        f"SELECT tier, count(*) FROM registrations WHERE {current} GROUP BY tier", t
    )}  # fmt: skip
    types = {}
    for kind in TYPES:
        types[kind] = await conn.fetchval(
            f"SELECT count(*) FROM registrations WHERE {current} AND relationship_types LIKE $2",
            t,
            f'%"{kind}"%',
        )
    types["none"] = await conn.fetchval(
        f"SELECT count(*) FROM registrations WHERE {current} AND relationship_types = '[]'",
        t,
    )
    homes = {
        (r[0] or "unknown"): r[1]
        for r in await conn.fetch(
            "SELECT profile::json ->> 'home_prefecture', count(*) FROM registrations "
            f"WHERE {current} GROUP BY 1",
            t,
        )
    }
    months = (
        "SELECT to_char(m, 'YYYY-MM') AS key, "
        "least((m + interval '1 month' - interval '1 day')::date, $1::date) AS last "
        "FROM generate_series(date_trunc('month', $1::date) - interval '23 months', "
        "date_trunc('month', $1::date), interval '1 month') AS m"
    )
    jst_month = "to_char(to_timestamp({col}) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM')"
    jst_day = "(to_timestamp({col}) AT TIME ZONE 'Asia/Tokyo')::date"
    rows = await conn.fetch(
        f"WITH months AS ({months}) SELECT key, "
        f"(SELECT count(*) FROM registrations WHERE ({where}) "
        f"AND {jst_month.format(col='created_at')} = key), "
        f"(SELECT count(*) FROM registrations WHERE ({where}) AND state = 'active' "
        f"AND {jst_day.format(col='created_at')} <= last "
        "AND (valid_until IS NULL OR valid_until >= to_char(last, 'YYYY-MM-DD'))), "
        f"(SELECT count(*) FROM registrations WHERE ({where}) AND premium_approved_at IS NOT NULL "
        f"AND {jst_month.format(col='premium_approved_at')} = key), "
        f"(SELECT count(*) FROM registrations WHERE ({where}) AND state = 'active' "
        "AND tier = 'premium' AND premium_approved_at IS NOT NULL "
        f"AND {jst_day.format(col='premium_approved_at')} <= last "
        "AND (valid_until IS NULL OR valid_until >= to_char(last, 'YYYY-MM-DD'))) "
        "FROM months ORDER BY key",
        today,
    )
    renewals: dict[str, int] = {}
    for tier_name, days, n in await conn.fetch(
        "SELECT tier, valid_until::date - $1::date, count(*) FROM registrations "
        f"WHERE ({where}) AND state = 'active' AND valid_until BETWEEN $2 AND $3 GROUP BY 1, 2",
        today,
        t,
        (today + timedelta(days=90)).isoformat(),
    ):
        for low, high in ((0, 30), (31, 60), (61, 90)):
            if low <= days <= high:
                renewals[f"{tier_name}_{low}_{high}"] = (
                    renewals.get(f"{tier_name}_{low}_{high}", 0) + n
                )
    return {
        "tier": tier,
        "types": types,
        "homes": homes,
        "new": [r[1] for r in rows],
        "active": [r[2] for r in rows],
        "approvals": [r[3] for r in rows],
        "premium": [r[4] for r in rows],
        "renewals": renewals,
    }


class Checker:
    def __init__(self) -> None:
        self.checked = 0
        self.errors: list[str] = []

    def table(self, name: str, shown: dict[str, Any], raw: dict[str, int], keys: list[str]) -> None:
        values = [raw.get(k, 0) for k in keys]
        expected, total = suppress_table(values, threshold=THRESHOLD)
        for key, value, want, real in zip(
            keys, [shown[k] for k in keys], expected, values, strict=True
        ):
            self.checked += 1
            if value != want or (value is not None and value != real):
                self.errors.append(f"{name}/{key}: shown {value}, SQL {real}, rule {want}")
        if "total" in shown:
            self.checked += 1
            if shown["total"] != total:
                self.errors.append(f"{name}/total: shown {shown['total']}, SQL {total}")

    def series(
        self, name: str, flow: list[Any], stock: list[Any], raw: tuple[list[int], list[int]]
    ) -> None:
        want_flow, want_stock = suppress_flow_and_stock(raw[0], raw[1], threshold=THRESHOLD)
        for label, got, want, real in (
            ("flow", flow, want_flow, raw[0]),
            ("stock", stock, want_stock, raw[1]),
        ):
            for i, (g, w, r) in enumerate(zip(got, want, real, strict=True)):
                self.checked += 1
                if g != w or (g is not None and g != r):
                    self.errors.append(f"{name}/{label}[{i}]: shown {g}, SQL {r}, rule {w}")


def _cells(document: dict[str, Any], table_id: str) -> dict[str, Any]:
    [table] = [t for t in document["tables"] if t["id"] == table_id]
    out = {c["key"]: c["count"] for c in table["cells"]}
    if table["total"] is not None:
        out["total"] = table["total"]["count"]
    return out


def _lines(document: dict[str, Any], series_id: str) -> dict[str, list[Any]]:
    [series] = [s for s in document["series"] if s["id"] == series_id]
    return {line["key"]: line["values"] for line in series["lines"]}


def check_body(checker: Checker, document: dict[str, Any], raw: dict[str, Any]) -> None:
    checker.table("tier", _cells(document, "tier"), raw["tier"], ["basic", "premium"])
    types = _cells(document, "relationship_type")
    checker.table("relationship_type", types, raw["types"], [*TYPES, "none"])
    homes = _cells(document, "home_prefecture")
    checker.table("home_prefecture", homes, raw["homes"], [k for k in homes if k != "total"])
    renewals = _cells(document, "renewals")
    for tier in ("basic", "premium"):
        keys = [f"{tier}_{low}_{high}" for low, high in ((0, 30), (31, 60), (61, 90))]
        checker.table(
            f"renewals/{tier}",
            {**renewals, "total": renewals[f"{tier}_total"]},
            raw["renewals"],
            keys,
        )
    monthly = _lines(document, "registrations_monthly")
    checker.series(
        "registrations_monthly", monthly["new"], monthly["active"], (raw["new"], raw["active"])
    )
    premium = _lines(document, "premium_monthly")
    checker.series(
        "premium_monthly",
        premium["premium_approvals"],
        premium["premium_active"],
        (raw["approvals"], raw["premium"]),
    )


async def verify(
    url: str, documents: dict[str, dict[str, Any]], municipality: str, prefecture: str
) -> Checker:
    checker = Checker()
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        today = date.fromisoformat(documents["national"]["as_of"])
        check_body(
            checker,
            documents["municipality"],
            await _expected_body(conn, f"body_code = '{municipality}'", today),
        )
        jis = prefecture[:2]
        where = (
            f"(substr(body_code, 1, 2) = '{jis}' AND body_code <> '{prefecture}') "
            f"OR (body_code = '{prefecture}' AND via_registration_id IS NULL)"
        )
        pref_doc = documents["prefecture"]
        check_body(checker, pref_doc, await _expected_body(conn, where, today))
        t = today.isoformat()
        current = "state = 'active' AND (valid_until IS NULL OR valid_until >= $1)"
        by_body = {r[0]: r[1] for r in await conn.fetch(
            "SELECT body_code, count(*) FROM registrations "
            f"WHERE substr(body_code, 1, 2) = '{jis}' "
            f"AND body_code <> '{prefecture}' AND {current} GROUP BY 1", t
        )}  # fmt: skip
        shown = _cells(pref_doc, "by_municipality")
        checker.table("by_municipality", shown, by_body, [k for k in shown if k != "total"])
        own = {r[0]: r[1] for r in await conn.fetch(
            "SELECT CASE WHEN via_registration_id IS NULL THEN 'direct' "
            "ELSE 'via_municipality' END, count(*) FROM registrations "
            f"WHERE body_code = '{prefecture}' AND {current} GROUP BY 1", t
        )}  # fmt: skip
        checker.table(
            "prefecture_own",
            _cells(pref_doc, "prefecture_own"),
            own,
            ["direct", "via_municipality"],
        )
        national = documents["national"]
        persons, chosen, automatic = await conn.fetchrow(
            "SELECT count(DISTINCT person_id), "
            "count(*) FILTER (WHERE via_registration_id IS NULL), "
            "count(*) FILTER (WHERE via_registration_id IS NOT NULL) "
            f"FROM registrations WHERE {current}",
            t,
        )
        progress = _cells(national, "national_progress")
        for key, real in (("persons", persons), ("registrations", chosen)):
            checker.checked += 1
            if progress[key] != real:
                checker.errors.append(f"national/{key}: shown {progress[key]}, SQL {real}")
        checker.table(
            "national_registrations",
            _cells(national, "national_registrations"),
            {"chosen": chosen, "automatic": automatic},
            ["chosen", "automatic"],
        )
    finally:
        await conn.close()
    return checker


# ---------------------------------------------------------------------------- main


def _screenshot(path: str, token: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only for --screenshot)

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900},
                locale="ja-JP",
                extra_http_headers={"Authorization": f"Bearer {token}"},
            )
            page = context.new_page()
            page.goto(BASE + path)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    print(f"screenshot: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="furusato_dash_bench")
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=9)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's database")
    parser.add_argument(
        "--max-age", type=int, default=0, help="dashboard snapshot age in s (0: count each load)"
    )
    parser.add_argument(
        "--screenshot", type=Path, help="save the municipality page (headless Chromium) here"
    )
    args = parser.parse_args()
    url = f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    now = int(datetime.now(tz=UTC).timestamp())
    prefectures, municipalities = dashboard_seed.chosen_bodies()
    if not args.reuse:
        asyncio.run(recreate_database(args.database))
        upgrade(url)
        seeded = asyncio.run(dashboard_seed.seed(url, registrations=args.registrations, now=now))
        print(
            f"seeded {seeded.registrations:,} registrations of {seeded.persons:,} persons "
            f"at {len(seeded.bodies)} bodies in {seeded.seconds:.0f} s (COPY, VACUUM ANALYZE)"
        )

    async def largest() -> tuple[str, str]:
        conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
        try:
            rows = await conn.fetch(
                "SELECT body_code, count(*) FROM registrations GROUP BY 1 ORDER BY 2 DESC"
            )
        finally:
            await conn.close()
        muni = next(r[0] for r in rows if r[0] in municipalities)
        pref = next(r[0] for r in rows if r[0] in prefectures)
        return muni, pref

    municipality, prefecture = asyncio.run(largest())
    tokens = asyncio.run(_staff(url, [municipality, prefecture], now))
    env = {
        **os.environ,
        "FURUSATO_SECRET": secrets.token_hex(32),
        "FURUSATO_KEY_ENCRYPTION_KEY": secrets.token_hex(32),
        "FURUSATO_RATE_LIMIT_PER_MINUTE": "0",
        "FURUSATO_DASHBOARD_MAX_AGE": str(args.max_age),
    }
    server = subprocess.Popen(
        [
            CLI,
            "issuer",
            "serve",
            "--db",
            url,
            "--base-url",
            BASE,
            "--port",
            str(PORT),
            "--no-migrate",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get("/staff/login", "x" * 20)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the service did not start") from None
                time.sleep(0.2)
        targets = [
            ("municipality", f"/staff/bodies/{municipality}/dashboard", tokens[municipality]),
            ("prefecture", f"/staff/bodies/{prefecture}/dashboard", tokens[prefecture]),
            ("national", "/staff/dashboard/national", tokens[municipality]),
        ]
        documents: dict[str, dict[str, Any]] = {}
        print(
            f"\n{'view':<14}{'form':<6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
            f"  ({args.loads} loads, 1 warm-up; "
            + ("counted on every load)" if args.max_age == 0 else "served from the snapshot)")
        )
        for view, path, token in targets:
            for suffix, form in (("", "html"), (".json", "json"), (".csv", "csv")):
                _get(path + suffix, token)  # warm-up
                times = []
                body = b""
                for _ in range(args.loads):
                    seconds, body = _get(path + suffix, token)
                    times.append(seconds * 1000)
                if form == "json":
                    documents[view] = json.loads(body)
                print(
                    f"{view:<14}{form:<6}{statistics.median(times):>9.0f}"
                    f"{_percentile(times, 0.95):>9.0f}{max(times):>9.0f}"
                )
        if args.screenshot:
            _screenshot(
                f"/staff/bodies/{municipality}/dashboard", tokens[municipality], args.screenshot
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average during the run (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    checker = asyncio.run(verify(url, documents, municipality, prefecture))
    print(
        f"\nmunicipality {municipality}, prefecture {prefecture}: {checker.checked} numbers "
        f"checked against independent SQL, {len(checker.errors)} wrong"
    )
    for error in checker.errors[:20]:
        print("  " + error)
    if checker.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
