"""A seeded registrations table for the dashboard tests (a few thousand rows), written with
plain INSERTs next to the service, and independent SQL to check the dashboards against."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from furusato_vc.core.registration.claims import JST
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA, MIYAGI, NAGANO

if TYPE_CHECKING:
    from tests.issuer.service.conftest import Service

SENDAI = "041009"  # 宮城県仙台市 (not hosted: its rows still count for 宮城県's view)
TYPES = ("purchase_or_donation", "visits", "regular_activity", "dual_residence")
# home prefectures with a heavy skew (some end up under the threshold)
HOMES = ["13"] * 30 + ["04"] * 20 + ["14"] * 10 + ["27"] * 6 + ["20"] * 5 + ["01", "47", "32"]


@dataclass(frozen=True)
class Seeded:
    persons: int
    registrations: int


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _rows(today: date, now: int, persons: int, seed: int) -> tuple[list[dict[str, Any]], ...]:
    rng = random.Random(seed)
    bodies = [(KESENNUMA, 5), (MINAMIMINOWA, 3), (SENDAI, 2)]
    person_rows: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for p in range(persons):
        pid = f"p{p:08d}"
        person_rows.append({"id": pid, "person_ref": p.to_bytes(32, "big"), "created_at": now})
        chosen = {rng.choices([b for b, _ in bodies], [w for _, w in bodies])[0]}
        if rng.random() < 0.2:
            chosen.add(rng.choice([b for b, _ in bodies]))
        direct_prefecture = rng.random() < 0.05
        prefecture_records: set[str] = set()
        for code in sorted(chosen) + ([MIYAGI] if direct_prefecture else []):
            created = now - int(rng.random() * 30 * 31 * 86_400)
            valid_from = datetime.fromtimestamp(created, tz=JST).date()
            premium = code != MIYAGI and rng.random() < 0.1
            approved = created + int(rng.random() * (now - created)) if premium else None
            start = valid_from
            if premium:
                assert approved is not None
                start = datetime.fromtimestamp(approved, tz=JST).date()
                until = start + timedelta(days=364)
            else:
                until = valid_from + timedelta(days=3 * 365 - 1)
            if rng.random() < 0.05:  # falls due soon, or has lapsed (never before it began)
                earliest = start if premium else valid_from
                until = max(today + timedelta(days=rng.randint(-60, 95)), earliest)
            state = rng.choices(["active", "suspended", "revoked"], [90, 5, 5])[0]
            types = [t for t in TYPES if rng.random() < 0.35]
            home = None if rng.random() < 0.1 else rng.choice(HOMES)
            profile = {} if home is None else {"home_prefecture": home}
            rid = f"r{len(rows):08d}"
            base = {
                "person_id": pid,
                "tier": "premium" if premium else "basic",
                "state": state,
                "valid_from": valid_from.isoformat(),
                "valid_until": until.isoformat(),
                "relationship_types": _json(types),
                "interests": "[]",
                "profile": _json(profile),
                "premium_approved_at": approved,
                "created_at": created,
                "updated_at": created,
                "home_prefecture": home,
                "relationship_mask": sum(1 << TYPES.index(t) for t in types),
            }
            rows.append({**base, "id": rid, "body_code": code, "via_registration_id": None})
            prefecture = {"04": MIYAGI, "20": NAGANO}[code[:2]]
            if code != MIYAGI and prefecture not in prefecture_records:
                prefecture_records.add(prefecture)
                if prefecture == MIYAGI and direct_prefecture:
                    continue  # an existing prefecture registration is kept
                rows.append(
                    {
                        **base,
                        "id": f"r{len(rows):08d}",
                        "body_code": prefecture,
                        "tier": "basic",
                        "premium_approved_at": None,
                        "via_registration_id": rid,
                    }
                )
    return person_rows, rows


async def _insert(url: str, persons: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO persons (id, person_ref, created_at) "
                    "VALUES (:id, :person_ref, :created_at)"
                ),
                persons,
            )
            columns = list(rows[0])
            await conn.execute(
                text(
                    f"INSERT INTO registrations ({', '.join(columns)}) "
                    f"VALUES ({', '.join(':' + c for c in columns)})"
                ),
                rows,
            )
    finally:
        await engine.dispose()


def seed(service: Service, *, persons: int = 1000, seed: int = 7) -> Seeded:
    now_dt = service.clock.now()
    today = now_dt.astimezone(JST).date()
    person_rows, rows = _rows(today, int(now_dt.timestamp()), persons, seed)
    asyncio.run(_insert(service.settings.async_database_url, person_rows, rows))
    return Seeded(persons=len(person_rows), registrations=len(rows))


def sql(service: Service, query: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run independent SQL against the service's database (committed: a test may also
    change the database behind the service's back); rows are returned when it has any."""

    async def run() -> list[tuple[Any, ...]]:
        engine = create_async_engine(service.settings.async_database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(query), params)
                return [tuple(row) for row in result.all()] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())
