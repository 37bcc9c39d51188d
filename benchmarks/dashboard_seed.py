"""Fill a PostgreSQL issuer database with registrations for the dashboards: 50 bodies (5
prefectures and 45 of their municipalities), about N registration rows in all, written with
COPY (asyncpg ``copy_records_to_table``), then ``VACUUM ANALYZE``.

The shape is skewed the way real registrations would be: municipality popularity falls off
as a power law (a few large, many small), home prefectures follow population (東京都,
神奈川県, 大阪府 … first; 8 % not given), most people choose one municipality and some two or
three, each municipality registration brings its prefecture's record (once per person and
prefecture, ``via_registration_id`` set), 3 % register with a prefecture directly, 8 % are
premium, a few are suspended or revoked, and sign-ups grow over three years. Rows look like
what ``store.register`` writes (JSON columns and their dashboard copies agree).

    python benchmarks/dashboard_seed.py --db postgresql://postgres@127.0.0.1:5432/furusato_dash \\
        --registrations 1000000 [--seed 1]

The database must be migrated. Prints the bodies and the seconds it took.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import JST

PREFECTURES = ("04", "20", "13", "27", "47")  # 宮城, 長野, 東京, 大阪, 沖縄
MUNICIPALITIES_PER_PREFECTURE = 9
TYPES = ("purchase_or_donation", "visits", "regular_activity", "dual_residence")
TYPE_SHARE = (0.45, 0.55, 0.15, 0.08)
# home prefecture weights, roughly population (万人), JIS order 01..47
POPULATION = (
    510,
    120,
    118,
    226,
    93,
    104,
    179,
    284,
    190,
    191,
    734,
    627,
    1404,
    923,
    213,
    102,
    111,
    75,
    80,
    202,
    195,
    358,
    750,
    174,
    141,
    255,
    878,
    540,
    131,
    91,
    54,
    65,
    186,
    276,
    131,
    70,
    93,
    131,
    67,
    510,
    80,
    128,
    172,
    111,
    105,
    156,
    147,
)
COLUMNS = (
    "id", "body_code", "person_id", "tier", "state", "valid_from", "valid_until",
    "relationship_types", "interests", "profile", "via_registration_id", "premium_approved_at",
    "created_at", "updated_at", "home_prefecture", "relationship_mask",
)  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    bodies: tuple[str, ...]
    prefectures: tuple[str, ...]
    persons: int
    registrations: int
    seconds: float


def chosen_bodies() -> tuple[list[str], list[str]]:
    """The 5 prefectures and, in each, its first 9 municipalities in code order."""
    registry = load_bodies()
    prefectures = [registry.prefecture_by_jis(jis) for jis in PREFECTURES]
    municipalities = [
        body.code
        for prefecture in prefectures
        for body in registry.municipalities_of(prefecture.code)[:MUNICIPALITIES_PER_PREFECTURE]
    ]
    return [p.code for p in prefectures], municipalities


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def generate(
    target: int, *, now: int, seed: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str], list[str]]:
    """Person rows and registration rows (in ``COLUMNS`` order), about ``target`` of them."""
    rng = random.Random(seed)
    prefectures, municipalities = chosen_bodies()
    rng.shuffle(municipalities)  # popularity rank independent of code order
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(municipalities))]
    homes = [f"{i + 1:02d}" for i in range(47)]
    span = 3 * 365 * 86_400
    persons: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    while len(rows) < target:
        pid = f"p{len(persons):09d}"
        persons.append((pid, hashlib.sha256(pid.encode()).digest(), now))
        count = 1 + (rng.random() < 0.2) + (rng.random() < 0.05)
        chosen = set(rng.choices(municipalities, weights, k=count))
        home = None if rng.random() < 0.08 else rng.choices(homes, POPULATION)[0]
        profile = _json({} if home is None else {"home_prefecture": home})
        direct = rng.choice(prefectures) if rng.random() < 0.03 else None
        recorded: set[str] = set()
        for code in [*sorted(chosen), *([direct] if direct else [])]:
            # growth: sign-ups skew toward recent months (square root of a uniform draw)
            created = now - int(span * (1 - rng.random() ** 0.5))
            valid_from = datetime.fromtimestamp(created, tz=JST).date()
            until = basic_until = valid_from + timedelta(days=3 * 365 - 1)
            premium = code not in prefectures and rng.random() < 0.08
            approved = None
            if premium:
                approved = created + int(rng.random() * (now - created))
                start = datetime.fromtimestamp(approved, tz=JST).date()
                until = start + timedelta(days=364)
            roll = rng.random()
            state = "active" if roll < 0.95 else ("suspended" if roll < 0.98 else "revoked")
            mask = sum(1 << i for i in range(4) if rng.random() < TYPE_SHARE[i])
            types = _json([TYPES[i] for i in range(4) if mask >> i & 1])
            rid = f"r{len(rows):010d}"
            rows.append(
                (
                    rid, code, pid, "premium" if premium else "basic", state,
                    valid_from.isoformat(), until.isoformat(), types, "[]", profile, None,
                    approved, created, created, home, mask,
                )
            )  # fmt: skip
            prefecture = next(p for p in prefectures if p[:2] == code[:2])
            if code not in prefectures and prefecture not in recorded and prefecture != direct:
                recorded.add(prefecture)
                rows.append(
                    (
                        f"r{len(rows):010d}", prefecture, pid, "basic", state,
                        valid_from.isoformat(), basic_until.isoformat(),
                        types, "[]", profile, rid, None, created, created, home, mask,
                    )
                )  # fmt: skip
    return persons, rows, prefectures, municipalities


async def seed(url: str, *, registrations: int, seed: int = 1, now: int | None = None) -> Seeded:
    started = time.monotonic()
    now = int(datetime.now(tz=UTC).timestamp()) if now is None else now
    persons, rows, prefectures, municipalities = generate(registrations, now=now, seed=seed)
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        await connection.executemany(
            "INSERT INTO bodies (code, issuer_id, accepting, created_at) VALUES ($1, $2, true, $3)"
            " ON CONFLICT DO NOTHING",
            [
                (c, f"http://dashboard.invalid/bodies/{c}", now)
                for c in prefectures + municipalities
            ],
        )
        await connection.copy_records_to_table(
            "persons", records=persons, columns=("id", "person_ref", "created_at")
        )
        await connection.copy_records_to_table("registrations", records=rows, columns=COLUMNS)
        await connection.execute("VACUUM ANALYZE persons")
        await connection.execute("VACUUM ANALYZE registrations")
    finally:
        await connection.close()
    return Seeded(
        bodies=tuple(prefectures + municipalities),
        prefectures=tuple(prefectures),
        persons=len(persons),
        registrations=len(rows),
        seconds=time.monotonic() - started,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    done = asyncio.run(seed(args.db, registrations=args.registrations, seed=args.seed))
    print(
        f"{done.registrations:,} registrations of {done.persons:,} persons at "
        f"{len(done.bodies)} bodies in {done.seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
