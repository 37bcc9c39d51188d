"""Operator actions behind ``furusato-vc issuer …``: host a body, add staff, republish,
import members. Each is one transaction (the member import: one per batch); the CLI runs
them with ``asyncio.run``."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, RequestError
from furusato_vc.core.jose.jwk import generate_es256_private_key, public_jwk_from_key
from furusato_vc.core.registration.bodies import load_bodies as load_body_registry
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.audit import append_audit
from furusato_vc.issuer.service.keystore import seal_signing_key
from furusato_vc.issuer.service.member_import import ImportResult, import_members
from furusato_vc.issuer.service.premium import expire_lapsed_premium, today_in_japan
from furusato_vc.issuer.service.store import (
    add_body,
    issuer_id_for,
    load_bodies,
    publish_unpublished,
    republish_due,
    sha256,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence
    from datetime import date

    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.issuer.member_import import OutboxEntry, ParsedMembers
    from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = ["add_staff", "host_body", "import_member_file", "republish"]


@contextlib.asynccontextmanager
async def _transaction(settings: ServiceSettings) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(settings.async_database_url)
    try:
        async with engine.begin() as conn:
            yield conn
    finally:
        await engine.dispose()


async def host_body(
    settings: ServiceSettings, *, code: str, kid: str | None, now: int, random: RandomSource
) -> dict[str, object]:
    """Host a body: a new ES256 key (sealed with the key encryption key), its first status
    lists (published empty), and an audit entry."""
    registry = load_body_registry()
    body = registry.get(code)  # raises invalid_body_code for an unknown code
    key = generate_es256_private_key()
    key_id = kid or f"{code}-{b64url_encode(random.token_bytes(6))}"
    public = public_jwk_from_key(key.public_key(), kid=key_id)
    issuer_id = issuer_id_for(settings, code)
    async with _transaction(settings) as conn:
        await add_body(
            conn,
            code=code,
            issuer_id=issuer_id,
            kid=key_id,
            sealed_private=seal_signing_key(
                key, body_code=code, kid=key_id, kek=settings.key_encryption_key, random=random
            ),
            public_jwk=public,
            now=now,
            settings=settings,
        )
        hosted = (await load_bodies(conn, kek=settings.key_encryption_key))[code]
        lists = await publish_unpublished(conn, body=hosted, now=now, settings=settings)
        await append_audit(
            conn,
            body_code=code,
            at=now,
            actor="operator",
            action="host_body",
            target=code,
            detail={"kid": key_id, "status_lists": len(lists)},
        )
    return {
        "body_code": code,
        "name_ja": body.display_name_ja,
        "issuer": issuer_id,
        "kid": key_id,
        "public_jwk": public.to_json(),
    }


async def add_staff(
    settings: ServiceSettings,
    *,
    body_code: str,
    username: str,
    role: str,
    now: int,
    random: RandomSource,
) -> str:
    """Add a staff member; returns the bearer token (shown once, stored only as SHA-256)."""
    if role not in ("admin", "reviewer", "viewer"):
        raise ValueError("role must be admin, reviewer or viewer")
    token = b64url_encode(random.token_bytes(32))
    async with _transaction(settings) as conn:
        await conn.execute(
            t.staff.insert().values(
                id=b64url_encode(random.token_bytes(12)),
                body_code=body_code,
                username=username,
                role=role,
                token_hash=sha256(token.encode()),
                created_at=now,
            )
        )
        await append_audit(
            conn,
            body_code=body_code,
            at=now,
            actor="operator",
            action="add_staff",
            target=username,
            detail={"role": role},
        )
    return token


async def republish(settings: ServiceSettings, *, now: int) -> dict[str, int]:
    """Re-sign every hosted body's status lists that are due (cron)."""
    out: dict[str, int] = {}
    async with _transaction(settings) as conn:
        for code, body in (await load_bodies(conn, kek=settings.key_encryption_key)).items():
            out[code] = len(await republish_due(conn, body=body, now=now, settings=settings))
    return out


async def expire_premium(settings: ServiceSettings, *, now: int) -> dict[str, int]:
    """Suspend premium whose year ended without an approved renewal (cron, with
    ``republish``; the server processes also do it in the background)."""
    out: dict[str, int] = {}
    async with _transaction(settings) as conn:
        for code, body in (await load_bodies(conn, kek=settings.key_encryption_key)).items():
            ended = await expire_lapsed_premium(
                conn, body=body, today=today_in_japan(now), now=now, settings=settings
            )
            out[code] = len(ended)
    return out


async def import_member_file(
    settings: ServiceSettings,
    *,
    body_code: str,
    parsed: ParsedMembers,
    now: int,
    today: date,
    random: RandomSource,
    dry_run: bool,
    reissue_unredeemed: bool = False,
    on_batch: Callable[[int, Sequence[OutboxEntry]], None] | None = None,
) -> ImportResult:
    """``furusato-vc issuer import-members``: import a checked member CSV for a hosted
    body, one transaction per batch (docs/member-import.md).

    Raises:
        RequestError: ``resource_not_found`` if the body is not hosted here.
    """
    engine = create_async_engine(settings.async_database_url)
    try:
        async with engine.connect() as conn:
            issuer_id = await conn.scalar(
                select(t.bodies.c.issuer_id).where(t.bodies.c.code == body_code)
            )
        if issuer_id is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "this body is not hosted here")
        return await import_members(
            engine.begin,
            parsed=parsed,
            body_code=body_code,
            issuer_id=issuer_id,
            settings=settings,
            bodies=load_body_registry(),
            now=now,
            today=today,
            random=random,
            actor="operator",
            dry_run=dry_run,
            reissue_unredeemed=reissue_unredeemed,
            on_batch=on_batch,
        )
    finally:
        await engine.dispose()
