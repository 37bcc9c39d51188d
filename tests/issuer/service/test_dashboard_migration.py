"""Migration 0003_dashboard backfills the dashboard columns of existing registrations from
their JSON text, on SQLite and on PostgreSQL; new registrations get them from store.register."""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from furusato_vc.issuer.service.migrate import upgrade
from furusato_vc.issuer.service.settings import database_url_for
from tests.issuer.service.conftest import KESENNUMA, POSTGRES_URL, Service, _admin_sql, _drop
from tests.issuer.service.flows import register

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_ROW = (
    "INSERT INTO registrations (id, body_code, person_id, tier, state, valid_from, "
    "valid_until, relationship_types, interests, profile, via_registration_id, "
    "premium_approved_at, created_at, updated_at) VALUES (:id, :body, 'p1', 'basic', "
    "'active', '2026-01-01', '2028-12-31', :types, '[]', :profile, NULL, NULL, 1, 1)"
)


async def _sql(
    url: str, statements: list[tuple[str, dict[str, object]]]
) -> list[tuple[object, ...]]:
    engine = create_async_engine(database_url_for(url))
    try:
        async with engine.begin() as conn:
            result: list[tuple[object, ...]] = []
            for statement, params in statements:
                rows = await conn.execute(text(statement), params)
                if rows.returns_rows:
                    result = [tuple(r) for r in rows.all()]
            return result
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base, _, _db = POSTGRES_URL.rpartition("/")
    name = f"furusato_m_{secrets.token_hex(6)}"
    asyncio.run(_admin_sql(POSTGRES_URL, f"CREATE DATABASE {name}"))
    try:
        yield f"{base}/{name}"
    finally:
        _drop(f"{base}/{name}")


def test_upgrade_backfills_home_prefecture_and_relationship_mask(empty_database: str) -> None:
    upgrade(empty_database, revision="0001")
    rows: list[tuple[str, dict[str, object]]] = [
        (
            "INSERT INTO persons (id, person_ref, created_at) VALUES ('p1', :ref, 1)",
            {"ref": b"x" * 32},
        )
    ]
    for rid, body, types, profile in (
        ("a", "042056", '["visits"]', '{"home_prefecture":"13"}'),
        ("b", "203858", '["purchase_or_donation","dual_residence"]', "{}"),
        ("c", "040002", "[]", '{"birthdate":"1990-01-01","home_prefecture":"47"}'),
    ):
        rows.append((_ROW, {"id": rid, "body": body, "types": types, "profile": profile}))
    asyncio.run(_sql(empty_database, rows))
    upgrade(empty_database)
    got = asyncio.run(
        _sql(
            empty_database,
            [("SELECT id, home_prefecture, relationship_mask FROM registrations ORDER BY id", {})],
        )
    )
    assert got == [("a", "13", 0b0010), ("b", None, 0b1001), ("c", "47", 0)]


def test_register_fills_the_dashboard_columns(service: Service) -> None:
    made = register(
        service,
        KESENNUMA,
        relationship_types=["regular_activity", "visits"],
        profile={"home_prefecture": "27"},
    )
    assert made.status_code == 201, made.text
    got = asyncio.run(
        _sql(
            service.settings.database_url,
            [
                (
                    (
                        "SELECT body_code, home_prefecture, relationship_mask "
                        "FROM registrations ORDER BY body_code"
                    ),
                    {},
                )
            ],
        )
    )
    # the municipality's registration and its prefecture's record
    assert got == [("040002", "27", 0b0110), (KESENNUMA, "27", 0b0110)]
