"""The Alembic migrations build exactly the schema the service's code declares (schema.py),
on SQLite and on PostgreSQL, and the newest one can be taken back down and up again."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from furusato_vc.issuer.service.migrate import alembic_config, upgrade
from furusato_vc.issuer.service.schema import metadata
from furusato_vc.issuer.service.settings import database_url_for
from tests.issuer.service.conftest import _drop, _postgres_database

if TYPE_CHECKING:
    from pathlib import Path


def _differences(url: str) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_async_engine(database_url_for(url))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = _postgres_database()  # a clone of the migrated template
    try:
        yield url
    finally:
        _drop(url)


def test_migrated_database_matches_the_declared_schema(database_url: str) -> None:
    upgrade(database_url)
    assert _differences(database_url) == []


def test_the_premium_migration_goes_down_and_up_again(database_url: str) -> None:
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "0001")
    upgrade(database_url)
    assert _differences(database_url) == []
