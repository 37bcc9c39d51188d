"""Staff API: per-body roles (admin, reviewer, viewer), bearer tokens stored as SHA-256.

Tenant isolation is checked in one place (:func:`staff_member`): the body in the path must be the
staff member's body, and every query below filters by that body as well, so a registration
id of another body is "not found" even to a staff member who guesses it (OWASP API1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import and_, func, or_, select

from furusato_vc.core.errors import ErrorCode, RequestError
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.audit import append_audit, read_audit, verify_chain
from furusato_vc.issuer.service.deps import run_idempotent, state_of
from furusato_vc.issuer.service.store import (
    RegistrationRecord,
    change_status,
    load_registration,
    publish_status_list,
    record_from_row,
    sha256,
)

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

    from furusato_vc.issuer.service.deps import ServiceState

__all__ = ["Role", "StaffMember", "router", "staff_by_token", "staff_from_row", "staff_member"]

router = APIRouter(prefix="/staff/bodies/{code}")


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


_RANK = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffMember:
    id: str
    body_code: str
    username: str
    role: Role


def staff_from_row(row: RowMapping) -> StaffMember:
    return StaffMember(
        id=str(row["id"]),
        body_code=str(row["body_code"]),
        username=str(row["username"]),
        role=Role(str(row["role"])),
    )


async def staff_by_token(state: ServiceState, token: str) -> tuple[StaffMember, bytes] | None:
    """The staff member whose bearer token this is, with their stored token hash (dashboard
    sessions are bound to it), or None for an unknown token."""
    if not 16 <= len(token) <= 256:
        return None
    async with state.transaction() as conn:
        row = (
            (
                await conn.execute(
                    select(t.staff).where(t.staff.c.token_hash == sha256(token.encode()))
                )
            )
            .mappings()
            .first()
        )
    return None if row is None else (staff_from_row(row), bytes(row["token_hash"]))


async def staff_member(
    request: Request, code: str, authorization: str | None, least: Role
) -> StaffMember:
    """Raises:
    RequestError: ``staff_unauthenticated`` (no or unknown token), ``staff_forbidden``
        (another body's staff, or a role below ``least``).
    """
    if authorization is None or not authorization.startswith("Bearer "):
        raise RequestError(ErrorCode.STAFF_UNAUTHENTICATED, "no bearer token")
    found = await staff_by_token(state_of(request), authorization[len("Bearer ") :].strip())
    if found is None:
        raise RequestError(ErrorCode.STAFF_UNAUTHENTICATED, "unknown token")
    member, _token_hash = found
    if member.body_code != code:
        raise RequestError(ErrorCode.STAFF_FORBIDDEN, "staff of another body")
    if _RANK[member.role] < _RANK[least]:
        raise RequestError(ErrorCode.STAFF_FORBIDDEN, "role too low")
    return member


def _summary(record: RegistrationRecord) -> dict[str, Any]:
    return {
        "registration_id": record.id,
        "body_code": record.body_code,
        "tier": record.tier.value,
        "state": record.state,
        "valid_from": record.valid_from.isoformat(),
        "valid_until": None if record.valid_until is None else record.valid_until.isoformat(),
        "relationship_types": [v.value for v in record.relationship_types],
        "interests": list(record.interests),
        "via_registration_id": record.via_registration_id,
        "created_at": record.created_at,
    }


async def _own_registration(conn: Any, code: str, registration_id: str) -> RegistrationRecord:
    record = await load_registration(conn, registration_id)
    if record.body_code != code:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such registration")
    return record


@router.get("/registrations")
async def list_registrations(
    code: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    state_filter: Annotated[
        str | None, Query(alias="state", pattern="^(active|suspended|revoked)$")
    ] = None,
    tier: Annotated[str | None, Query(pattern="^(basic|premium)$")] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JSONResponse:
    """List and search (by registration id prefix or interest) this body's registrations."""
    await staff_member(request, code, authorization, Role.VIEWER)
    conditions = [t.registrations.c.body_code == code]
    if state_filter is not None:
        conditions.append(t.registrations.c.state == state_filter)
    if tier is not None:
        conditions.append(t.registrations.c.tier == tier)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                t.registrations.c.id.like(escaped + "%", escape="\\"),
                t.registrations.c.interests.like('%"' + escaped + '"%', escape="\\"),
            )
        )
    state = state_of(request)
    async with state.transaction() as conn:
        total = await conn.scalar(
            select(func.count()).select_from(t.registrations).where(and_(*conditions))
        )
        rows = (
            (
                await conn.execute(
                    select(t.registrations)
                    .where(and_(*conditions))
                    .order_by(t.registrations.c.created_at.desc(), t.registrations.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            .mappings()
            .all()
        )
    return JSONResponse(
        {"total": total, "items": [_summary(record_from_row(row)) for row in rows]},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/registrations/{registration_id}")
async def get_registration(
    code: str,
    registration_id: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    await staff_member(request, code, authorization, Role.VIEWER)
    async with state_of(request).transaction() as conn:
        record = await _own_registration(conn, code, registration_id)
    return JSONResponse(_summary(record), headers={"Cache-Control": "no-store"})


_ACTIONS = {"suspend": Role.REVIEWER, "reinstate": Role.REVIEWER, "revoke": Role.ADMIN}


@router.post("/registrations/{registration_id}/{action}")
async def registration_action(
    code: str,
    registration_id: str,
    action: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Suspend, reinstate or revoke (admin). The status lists change and are re-signed in
    the same transaction; the response carries each new list sequence, visible at once on
    the publication endpoint. (Premium is approved through its application, see
    :mod:`.routes_premium`.)"""
    if action not in _ACTIONS:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such action")
    least = _ACTIONS[action]
    member = await staff_member(request, code, authorization, least)
    state = state_of(request)
    body = state.body(code)

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        record = await _own_registration(conn, code, registration_id)
        now = state.now_s()
        published: dict[str, int] = {}
        changed = await change_status(conn, registration=record, action=action, now=now)
        for status_list_pk in changed:
            list_id, sequence = await publish_status_list(
                conn, status_list_pk=status_list_pk, body=body, now=now, settings=state.settings
            )
            published[str(list_id)] = sequence
        entry = await append_audit(
            conn,
            body_code=code,
            at=now,
            actor=f"staff:{member.id}",
            action=action,
            target=record.id,
            detail={"status_lists": published},
        )
        after = await _own_registration(conn, code, registration_id)
        return 200, {
            **_summary(after),
            "status_list_sequences": published,
            "audit_seq": entry.seq,
        }

    return await run_idempotent(
        request, scope=f"staff:{code}:{registration_id}:{action}", required=True, handler=handler
    )


@router.get("/audit")
async def audit(
    code: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """The body's audit trail with its chain check (admin only)."""
    await staff_member(request, code, authorization, Role.ADMIN)
    async with state_of(request).transaction() as conn:
        entries = await read_audit(conn, body_code=code)
    broken = verify_chain(entries)
    return JSONResponse(
        {
            "chain_intact": broken is None,
            "first_broken_seq": broken,
            "entries": [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                    "hash": e.hash.hex(),
                    "prev_hash": e.prev_hash.hex(),
                }
                for e in entries
            ],
        },
        headers={"Cache-Control": "no-store"},
    )
