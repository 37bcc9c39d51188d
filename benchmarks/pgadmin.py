"""Scratch PostgreSQL databases for the benchmarks that need one (the local server, trust
auth, administered through the ``test`` database)."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"


async def _admin(*statements: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def recreate_database(name: str) -> None:
    """Drop ``name`` (disconnecting its sessions) and create it empty."""
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


async def drop_database(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
