"""Notices and benefits: staff publish them, the public reads each body's signed documents
(docs/notices.md, docs/benefits.md).

Staff routes (``/staff/bodies/{code}/…``; reviewer or admin to change, viewer to list) go
through :func:`.routes_staff.staff_member` (tenant isolation) and write an audit entry with every
change; the body's document is re-signed in the same transaction. Public routes serve the
signed documents with ``ETag`` and ``Cache-Control`` so a CDN can front them.

Information reaches registrants only this way: through the feed of a body they registered
with. There is no field for images or third-party content, and a link may point only to the
body's own registered domains (``ServiceSettings.notice_link_domains``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import and_, select, update

from furusato_vc.core.benefits import BenefitKind
from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError, RequestError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.notices import link_problem
from furusato_vc.issuer.service.audit import append_audit
from furusato_vc.issuer.service.bodydocs import (
    ACTIVE,
    BENEFITS,
    KINDS,
    NOTICES,
    WITHDRAWN,
    count_listed,
    current_document,
    resign_document,
)
from furusato_vc.issuer.service.deps import run_idempotent, state_of
from furusato_vc.issuer.service.routes_staff import Role, staff_member

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["router"]

router = APIRouter()

DOCUMENT_MEDIA_TYPE = "application/jwt"
_Tag = Annotated[str, Field(min_length=1, max_length=32)]


# ---------------------------------------------------------------------------- input


class NoticeIn(BaseModel):
    """A notice as staff write it. Times are ISO 8601 with an offset."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    category: Literal["event", "volunteer", "disaster", "info"]
    title_ja: str = Field(min_length=1, max_length=120)
    title_en: str | None = Field(default=None, min_length=1, max_length=120)
    text_ja: str = Field(min_length=1, max_length=1000)
    text_en: str | None = Field(default=None, min_length=1, max_length=1000)
    tier: Literal["basic", "premium", "any"] = "any"
    interests: list[_Tag] = Field(default_factory=list, max_length=16)
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    link: str | None = Field(default=None, max_length=512)


class BenefitIn(BaseModel):
    """A participating shop or facility and its benefit."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["shop", "facility"]
    name_ja: str = Field(min_length=1, max_length=80)
    name_en: str | None = Field(default=None, min_length=1, max_length=80)
    offer_ja: str = Field(min_length=1, max_length=200)
    offer_en: str | None = Field(default=None, min_length=1, max_length=200)
    tier: Literal["basic", "premium"] = "basic"
    valid_from: AwareDatetime
    valid_until: AwareDatetime


def _window(valid_from: datetime, valid_until: datetime) -> tuple[int, int]:
    start, end = to_numeric_date(valid_from), to_numeric_date(valid_until)
    if not 0 <= start < end:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "valid_until must be after valid_from")
    return start, end


def _notice_values(code: str, payload: NoticeIn, domains: tuple[str, ...]) -> dict[str, Any]:
    if payload.link is not None:
        problem = link_problem(payload.link, allowed_domains=domains)
        if problem is not None:
            raise FormatError(ErrorCode.MALFORMED_REQUEST, problem)
    if len(set(payload.interests)) != len(payload.interests):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "interests must be distinct")
    start, end = _window(payload.valid_from, payload.valid_until)
    values = {
        "category": payload.category,
        "title_ja": payload.title_ja,
        "title_en": payload.title_en,
        "text_ja": payload.text_ja.replace("\r\n", "\n"),
        "text_en": None if payload.text_en is None else payload.text_en.replace("\r\n", "\n"),
        "audience": payload.tier,
        "interests": json.dumps(payload.interests, ensure_ascii=False),
        "valid_from": start,
        "valid_until": end,
        "link": payload.link,
    }
    _check_model(NOTICES, code, values)
    return values


def _benefit_values(code: str, payload: BenefitIn) -> dict[str, Any]:
    start, end = _window(payload.valid_from, payload.valid_until)
    values = {
        "kind": BenefitKind(payload.kind).value,
        "name_ja": payload.name_ja,
        "name_en": payload.name_en,
        "offer_ja": payload.offer_ja,
        "offer_en": payload.offer_en,
        "tier": payload.tier,
        "valid_from": start,
        "valid_until": end,
    }
    _check_model(BENEFITS, code, values)
    return values


def _check_model(kind: str, code: str, values: dict[str, Any]) -> None:
    """The core model's own rules (control characters, blank text) as a request error."""
    spec = KINDS[kind]
    try:
        spec.from_row({spec.id_column: "probe", "body_code": code, "state": ACTIVE, **values})
    except ValueError as exc:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, str(exc)) from exc


# ---------------------------------------------------------------------------- output


def _iso(value: int) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat()


def _notice_summary(row: Any) -> dict[str, Any]:
    return {
        "notice_id": row["notice_id"],
        "category": row["category"],
        "title_ja": row["title_ja"],
        "title_en": row["title_en"],
        "text_ja": row["text_ja"],
        "text_en": row["text_en"],
        "tier": row["audience"],
        "interests": json.loads(row["interests"]),
        "valid_from": _iso(row["valid_from"]),
        "valid_until": _iso(row["valid_until"]),
        "link": row["link"],
        "state": row["state"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _benefit_summary(row: Any) -> dict[str, Any]:
    return {
        "benefit_id": row["benefit_id"],
        "kind": row["kind"],
        "name_ja": row["name_ja"],
        "name_en": row["name_en"],
        "offer_ja": row["offer_ja"],
        "offer_en": row["offer_en"],
        "tier": row["tier"],
        "valid_from": _iso(row["valid_from"]),
        "valid_until": _iso(row["valid_until"]),
        "state": row["state"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


# ---------------------------------------------------------------------------- shared work

_SUMMARY: Final = {NOTICES: _notice_summary, BENEFITS: _benefit_summary}


async def _own_row(conn: AsyncConnection, kind: str, code: str, item_id: str) -> Any:
    spec = KINDS[kind]
    table = spec.table
    row = (
        (
            await conn.execute(
                select(table).where(
                    and_(table.c.body_code == code, table.c[spec.id_column] == item_id)
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:  # another body's id is "not found" too (tenant isolation)
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"no such {spec.noun}")
    return row


def _summary(kind: str, row: Any) -> dict[str, Any]:
    return _SUMMARY[kind](row)


async def _list(request: Request, code: str, authorization: str | None, kind: str) -> JSONResponse:
    await staff_member(request, code, authorization, Role.VIEWER)
    spec = KINDS[kind]
    table = spec.table
    async with state_of(request).transaction() as conn:
        rows = (
            (
                await conn.execute(
                    select(table)
                    .where(table.c.body_code == code)
                    .order_by(table.c.created_at.desc(), table.c[spec.id_column])
                )
            )
            .mappings()
            .all()
        )
    return JSONResponse(
        {"items": [_summary(kind, row) for row in rows]}, headers={"Cache-Control": "no-store"}
    )


async def _change(
    request: Request,
    *,
    code: str,
    authorization: str | None,
    kind: str,
    item_id: str | None,
    values: dict[str, Any] | None,
    action: str,
) -> Response:
    """Create (``item_id`` None), edit (``values``) or withdraw (neither) one item, re-sign
    the body's document and append an audit entry, in one idempotent transaction."""
    member = await staff_member(request, code, authorization, Role.REVIEWER)
    state = state_of(request)
    body = state.body(code)
    spec = KINDS[kind]
    table = spec.table
    new_id = item_id or f"{spec.noun[0]}-{b64url_encode(state.random.token_bytes(9))}"

    async def handler(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
        now = state.now_s()
        where = and_(table.c.body_code == code, table.c[spec.id_column] == new_id)
        if item_id is None:
            assert values is not None
            await conn.execute(
                table.insert().values(
                    body_code=code,
                    state=ACTIVE,
                    created_at=now,
                    updated_at=now,
                    **{spec.id_column: new_id},
                    **values,
                )
            )
            status = 201
        else:
            row = await _own_row(conn, kind, code, item_id)
            if row["state"] == WITHDRAWN:
                raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"{spec.noun} withdrawn")
            changes = {"state": WITHDRAWN} if values is None else values
            await conn.execute(update(table).where(where).values(updated_at=now, **changes))
            status = 200
        if await count_listed(conn, kind=kind, body_code=code, now=now) > spec.max_items:
            raise FormatError(
                ErrorCode.MALFORMED_REQUEST,
                f"at most {spec.max_items} {kind} at a time: withdraw one first",
            )
        document = await resign_document(
            conn, body=body, kind=kind, now=now, settings=state.settings
        )
        entry = await append_audit(
            conn,
            body_code=code,
            at=now,
            actor=f"staff:{member.id}",
            action=f"{spec.noun}.{action}",
            target=new_id,
            detail={"sequence": document.sequence},
        )
        after = await _own_row(conn, kind, code, new_id)
        return status, {
            **_summary(kind, after),
            "document_sequence": document.sequence,
            "audit_seq": entry.seq,
        }

    return await run_idempotent(
        request,
        scope=f"staff:{code}:{kind}:{item_id or 'new'}:{action}",
        required=True,
        handler=handler,
    )


async def _document(request: Request, code: str, kind: str) -> Response:
    state = state_of(request)
    body = state.body(code)
    async with state.transaction() as conn:
        document = await current_document(
            conn, body=body, kind=kind, now=state.now_s(), settings=state.settings
        )
    etag = f'"{kind}-{document.sequence}-{document.issued_at}"'
    remaining = document.expires_at - state.now_s()
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max(0, min(300, remaining // 2))}",
        "X-Document-Sequence": str(document.sequence),
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(document.jws, media_type=DOCUMENT_MEDIA_TYPE, headers=headers)


# ---------------------------------------------------------------------------- public


@router.get("/bodies/{code}/notices")
async def notices_feed(code: str, request: Request) -> Response:
    """The body's signed notices feed (``typ`` ``furusato-notices+jwt``)."""
    return await _document(request, code, NOTICES)


@router.get("/bodies/{code}/benefits")
async def benefits_list(code: str, request: Request) -> Response:
    """The body's signed benefits list (``typ`` ``furusato-benefits+jwt``)."""
    return await _document(request, code, BENEFITS)


# ---------------------------------------------------------------------------- staff

_Auth = Annotated[str | None, Header()]


@router.get("/staff/bodies/{code}/notices")
async def list_notices(code: str, request: Request, authorization: _Auth = None) -> JSONResponse:
    """Every notice of the body, withdrawn ones included (viewer)."""
    return await _list(request, code, authorization, NOTICES)


@router.post("/staff/bodies/{code}/notices", status_code=201)
async def publish_notice(
    code: str, payload: NoticeIn, request: Request, authorization: _Auth = None
) -> Response:
    """Publish a notice (reviewer or admin); ``Idempotency-Key`` required."""
    domains = state_of(request).settings.notice_link_domains.get(code, ())
    values = _notice_values(code, payload, domains)
    return await _change(
        request,
        code=code,
        authorization=authorization,
        kind=NOTICES,
        item_id=None,
        values=values,
        action="publish",
    )


@router.put("/staff/bodies/{code}/notices/{notice_id}")
async def edit_notice(
    code: str, notice_id: str, payload: NoticeIn, request: Request, authorization: _Auth = None
) -> Response:
    """Replace a notice's content (reviewer or admin)."""
    domains = state_of(request).settings.notice_link_domains.get(code, ())
    values = _notice_values(code, payload, domains)
    return await _change(
        request,
        code=code,
        authorization=authorization,
        kind=NOTICES,
        item_id=notice_id,
        values=values,
        action="edit",
    )


@router.post("/staff/bodies/{code}/notices/{notice_id}/withdraw")
async def withdraw_notice(
    code: str, notice_id: str, request: Request, authorization: _Auth = None
) -> Response:
    """Withdraw a notice (reviewer or admin): it leaves the feed at once."""
    return await _change(
        request,
        code=code,
        authorization=authorization,
        kind=NOTICES,
        item_id=notice_id,
        values=None,
        action="withdraw",
    )


@router.get("/staff/bodies/{code}/benefits")
async def list_benefits(code: str, request: Request, authorization: _Auth = None) -> JSONResponse:
    """Every benefit of the body, withdrawn ones included (viewer)."""
    return await _list(request, code, authorization, BENEFITS)


@router.post("/staff/bodies/{code}/benefits", status_code=201)
async def register_benefit(
    code: str, payload: BenefitIn, request: Request, authorization: _Auth = None
) -> Response:
    """Register a participating shop or facility (reviewer or admin)."""
    return await _change(
        request,
        code=code,
        authorization=authorization,
        kind=BENEFITS,
        item_id=None,
        values=_benefit_values(code, payload),
        action="register",
    )


@router.put("/staff/bodies/{code}/benefits/{benefit_id}")
async def edit_benefit(
    code: str, benefit_id: str, payload: BenefitIn, request: Request, authorization: _Auth = None
) -> Response:
    return await _change(
        request,
        code=code,
        authorization=authorization,
        kind=BENEFITS,
        item_id=benefit_id,
        values=_benefit_values(code, payload),
        action="edit",
    )


@router.post("/staff/bodies/{code}/benefits/{benefit_id}/withdraw")
async def withdraw_benefit(
    code: str, benefit_id: str, request: Request, authorization: _Auth = None
) -> Response:
    return await _change(
        request,
        code=code,
        authorization=authorization,
        kind=BENEFITS,
        item_id=benefit_id,
        values=None,
        action="withdraw",
    )
