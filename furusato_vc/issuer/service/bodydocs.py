"""Database work for the documents a body signs for the public: the notices feed and the
benefits list (docs/notices.md, docs/benefits.md).

A document is re-signed in the same transaction as every staff change that affects it (so
the public endpoint shows the change at once), and on a public read once it has lived half
its lifetime. The row is locked while signing (PostgreSQL ``FOR UPDATE``; SQLite has one
writer), so the sequence never forks and only ever goes up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from sqlalchemy import and_, func, select, update

from furusato_vc.core.benefits import (
    MAX_BENEFITS,
    Benefit,
    BenefitKind,
    BenefitList,
    sign_benefit_list,
)
from furusato_vc.core.bodydoc import BodyDocHeader, LocalizedText
from furusato_vc.core.notices import (
    MAX_NOTICES,
    Notice,
    NoticeAudience,
    NoticeCategory,
    NoticeFeed,
    sign_notice_feed,
)
from furusato_vc.core.registration.claims import Tier
from furusato_vc.issuer.service import schema as t

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import timedelta
    from typing import Any

    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncConnection

    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.issuer.service.settings import ServiceSettings
    from furusato_vc.issuer.service.store import BodyRecord

__all__ = [
    "ACTIVE",
    "BENEFITS",
    "KINDS",
    "NOTICES",
    "WITHDRAWN",
    "DocKind",
    "StoredDocument",
    "benefit_from_row",
    "count_listed",
    "current_document",
    "notice_from_row",
    "resign_document",
]

NOTICES: Final = "notices"
BENEFITS: Final = "benefits"
ACTIVE: Final = "active"
WITHDRAWN: Final = "withdrawn"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredDocument:
    kind: str
    sequence: int
    issued_at: int
    expires_at: int
    jws: str


def notice_from_row(row: Any) -> Notice:
    return Notice(
        notice_id=row["notice_id"],
        category=NoticeCategory(row["category"]),
        title=LocalizedText(ja=row["title_ja"], en=row["title_en"]),
        text=LocalizedText(ja=row["text_ja"], en=row["text_en"]),
        audience=NoticeAudience(row["audience"]),
        interests=tuple(json.loads(row["interests"])),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        link=row["link"],
    )


def benefit_from_row(row: Any) -> Benefit:
    return Benefit(
        benefit_id=row["benefit_id"],
        kind=BenefitKind(row["kind"]),
        name=LocalizedText(ja=row["name_ja"], en=row["name_en"]),
        offer=LocalizedText(ja=row["offer_ja"], en=row["offer_en"]),
        tier=Tier(row["tier"]),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
    )


def _sign_notices(header: BodyDocHeader, rows: Sequence[Any], signer: Signer) -> str:
    feed = NoticeFeed(header=header, notices=tuple(notice_from_row(r) for r in rows))
    return sign_notice_feed(feed, signer=signer)


def _sign_benefits(header: BodyDocHeader, rows: Sequence[Any], signer: Signer) -> str:
    benefits = BenefitList(header=header, benefits=tuple(benefit_from_row(r) for r in rows))
    return sign_benefit_list(benefits, signer=signer)


@dataclass(frozen=True, slots=True, kw_only=True)
class DocKind:
    """What differs between the two documents: where their items are, how an item row
    becomes the core model, how many a document may hold and how it is signed."""

    table: Table
    id_column: str
    noun: str
    max_items: int
    from_row: Callable[[Any], object]
    sign: Callable[[BodyDocHeader, Sequence[Any], Signer], str]
    lifetime: Callable[[ServiceSettings], timedelta]


KINDS: Final[Mapping[str, DocKind]] = MappingProxyType(
    {
        NOTICES: DocKind(
            table=t.notices,
            id_column="notice_id",
            noun="notice",
            max_items=MAX_NOTICES,
            from_row=notice_from_row,
            sign=_sign_notices,
            lifetime=lambda settings: settings.notice_feed_lifetime,
        ),
        BENEFITS: DocKind(
            table=t.benefits,
            id_column="benefit_id",
            noun="benefit",
            max_items=MAX_BENEFITS,
            from_row=benefit_from_row,
            sign=_sign_benefits,
            lifetime=lambda settings: settings.benefits_lifetime,
        ),
    }
)


def _listed(kind: str, body_code: str, now: int) -> Any:
    table = KINDS[kind].table
    return and_(
        table.c.body_code == body_code,
        table.c.state == ACTIVE,
        table.c.valid_until > now,
    )


async def count_listed(conn: AsyncConnection, *, kind: str, body_code: str, now: int) -> int:
    """How many items the next document of ``kind`` would list."""
    count = await conn.scalar(
        select(func.count()).select_from(KINDS[kind].table).where(_listed(kind, body_code, now))
    )
    return int(count or 0)


async def _sign(
    conn: AsyncConnection,
    *,
    body: BodyRecord,
    kind: str,
    now: int,
    sequence: int,
    settings: ServiceSettings,
) -> StoredDocument:
    spec = KINDS[kind]
    table = spec.table
    order = (table.c.valid_from, table.c[spec.id_column])
    rows = (
        (await conn.execute(select(table).where(_listed(kind, body.code, now)).order_by(*order)))
        .mappings()
        .all()
    )
    header = BodyDocHeader(
        issuer=body.issuer_id,
        body_code=body.code,
        issued_at=now,
        expires_at=now + int(spec.lifetime(settings).total_seconds()),
        sequence=sequence,
    )
    jws = spec.sign(header, rows, body.signer)
    return StoredDocument(
        kind=kind,
        sequence=sequence,
        issued_at=header.issued_at,
        expires_at=header.expires_at,
        jws=jws,
    )


def _stored(kind: str, row: Any) -> StoredDocument:
    return StoredDocument(
        kind=kind,
        sequence=row["sequence"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        jws=row["jws"],
    )


async def _locked(conn: AsyncConnection, body_code: str, kind: str) -> Any:
    return (
        (
            await conn.execute(
                select(t.body_documents)
                .where(
                    and_(t.body_documents.c.body_code == body_code, t.body_documents.c.kind == kind)
                )
                .with_for_update()
            )
        )
        .mappings()
        .first()
    )


async def resign_document(
    conn: AsyncConnection, *, body: BodyRecord, kind: str, now: int, settings: ServiceSettings
) -> StoredDocument:
    """Sign the next document of ``kind`` from the current rows and store it."""
    row = await _locked(conn, body.code, kind)
    return await _store(conn, body=body, kind=kind, now=now, settings=settings, row=row)


async def _store(
    conn: AsyncConnection,
    *,
    body: BodyRecord,
    kind: str,
    now: int,
    settings: ServiceSettings,
    row: Any,
) -> StoredDocument:
    sequence = 1 if row is None else row["sequence"] + 1
    document = await _sign(
        conn, body=body, kind=kind, now=now, sequence=sequence, settings=settings
    )
    values = {
        "sequence": document.sequence,
        "issued_at": document.issued_at,
        "expires_at": document.expires_at,
        "jws": document.jws,
    }
    if row is None:
        await conn.execute(
            t.body_documents.insert().values(body_code=body.code, kind=kind, **values)
        )
    else:
        await conn.execute(
            update(t.body_documents)
            .where(and_(t.body_documents.c.body_code == body.code, t.body_documents.c.kind == kind))
            .values(**values)
        )
    return document


def _fresh(row: Any, now: int) -> bool:
    return bool(now < row["issued_at"] + (row["expires_at"] - row["issued_at"]) // 2)


async def current_document(
    conn: AsyncConnection, *, body: BodyRecord, kind: str, now: int, settings: ServiceSettings
) -> StoredDocument:
    """The document to serve: the stored one while it is in the first half of its life,
    otherwise (or if there is none yet) a newly signed one."""
    plain = (
        (
            await conn.execute(
                select(t.body_documents).where(
                    and_(t.body_documents.c.body_code == body.code, t.body_documents.c.kind == kind)
                )
            )
        )
        .mappings()
        .first()
    )
    if plain is not None and _fresh(plain, now):
        return _stored(kind, plain)
    row = await _locked(conn, body.code, kind)
    if row is not None and _fresh(row, now):  # another request re-signed it meanwhile
        return _stored(kind, row)
    return await _store(conn, body=body, kind=kind, now=now, settings=settings, row=row)
