"""Staff API for the member import (docs/member-import.md): an admin of a body posts a
members CSV and gets the per-row report, the summary and the outbox (one credential offer
per member imported now) in the response.

The upload is one transaction (all rows or none) under a required ``Idempotency-Key``. The
response holds pre-authorized codes and tx_codes, which the service never stores in clear:
the idempotency record keeps the response without them (``outbox_withheld``), so a replay
returns the report but not the secrets. Importing the file again is harmless (every member
is reported ``already_imported``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response  # noqa: TC002 (FastAPI reads the return type)

from furusato_vc.core.registration.claims import JST
from furusato_vc.issuer.member_import import parse_member_csv
from furusato_vc.issuer.service.deps import run_idempotent, state_of
from furusato_vc.issuer.service.member_import import import_members
from furusato_vc.issuer.service.routes_staff import Role, staff_member

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["router"]

router = APIRouter(prefix="/staff/bodies/{code}")


def _withhold_secrets(payload: dict[str, Any]) -> dict[str, Any]:
    """What the idempotency record keeps: everything but the offers' codes."""
    return {
        **payload,
        "outbox": [
            {k: v for k, v in entry.items() if k not in ("credential_offer_uri", "tx_code")}
            for entry in payload["outbox"]
        ],
        "outbox_withheld": True,
    }


@router.post("/member-imports")
async def import_member_csv(
    code: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    dry_run: Annotated[bool, Query()] = False,  # noqa: FBT002 (a query flag)
    encoding: Annotated[str | None, Query(max_length=16)] = None,
    reissue_unredeemed: Annotated[bool, Query()] = False,  # noqa: FBT002 (a query flag)
) -> Response:
    """Import a members CSV (the request body, UTF-8 or CP932, up to ``member_import.max_bytes``)
    for this body (admin). ``?dry_run=true`` checks and counts without changing anything;
    ``?encoding=cp932`` names the encoding instead of detecting it;
    ``?reissue_unredeemed=true`` gives members imported before who never redeemed their
    offer a new one."""
    member = await staff_member(request, code, authorization, Role.ADMIN)
    state = state_of(request)
    body = state.body(code)
    settings = state.settings
    now = state.now()
    today = now.astimezone(JST).date()
    parsed = parse_member_csv(
        await request.body(),
        bodies=state.registry,
        today=today,
        encoding=encoding,
        limits=settings.member_import.limits,
    )

    async def handler(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        @contextlib.asynccontextmanager
        async def same_transaction() -> AsyncIterator[AsyncConnection]:
            yield conn  # every batch in the request's one transaction

        result = await import_members(
            same_transaction,
            parsed=parsed,
            body_code=body.code,
            issuer_id=body.issuer_id,
            settings=settings,
            bodies=state.registry,
            now=state.now_s(),
            today=today,
            random=state.random,
            actor=f"staff:{member.id}",
            dry_run=dry_run,
            reissue_unredeemed=reissue_unredeemed,
            audit_attempts=1,
        )
        return 200, {
            "import_id": result.import_id,
            "body_code": result.body_code,
            "dry_run": result.dry_run,
            "encoding": result.encoding,
            "complete": result.complete,
            "summary": result.summary.to_json(),
            "offer_expires_at": None if result.dry_run else result.offer_expires_at,
            "report": [item.to_json() for item in result.report],
            "outbox": [entry.to_json() for entry in result.outbox],
            "outbox_withheld": False,
        }

    return await run_idempotent(
        request,
        scope=f"member-imports:{code}",
        required=True,
        handler=handler,
        stored=_withhold_secrets,
    )
