"""The dashboards' SQL: raw counts for :mod:`furusato_vc.issuer.dashboard.build`.

Every query groups plain columns of ``registrations`` (``home_prefecture`` and
``relationship_mask`` are the dashboard copies of the JSON fields, migration 0003) under
``ix_registrations_dashboard``, whose leading column is ``body_code``: a body, or the code
range of a prefecture's municipalities, is one index range. Four queries per view, each a few
hundred to a few thousand groups, whatever the number of rows (docs/dashboard.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select

from furusato_vc.issuer.dashboard.build import BodyCounts, NationalCounts
from furusato_vc.issuer.service import schema as t

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = [
    "activity_attendance_by_month",
    "body_counts",
    "national_counts",
    "prefecture_counts",
]

_R = t.registrations.c
_JST_OFFSET = 9 * 3600
_DAY = 86_400


def _current(today: date) -> ColumnElement[bool]:
    return and_(
        _R.state == "active",
        or_(_R.valid_until.is_(None), _R.valid_until >= today.isoformat()),
    )


async def activity_attendance_by_month(
    conn: AsyncConnection, *, body_codes: Sequence[str], months: Sequence[str]
) -> Mapping[str, int] | None:
    """Hook for premium activity participation: attendances per month ("YYYY-MM") at
    ``body_codes``' activities. ``None`` until the activity and attendance tables exist
    (another change adds them); the dashboards then show a note instead of the line."""
    del conn, body_codes, months
    return None


async def _counts(conn: AsyncConnection, where: ColumnElement[bool], today: date) -> dict[str, Any]:
    current = await conn.execute(
        select(_R.tier, _R.home_prefecture, _R.relationship_mask, func.count())
        .where(and_(where, _current(today)))
        .group_by(_R.tier, _R.home_prefecture, _R.relationship_mask)
    )
    created_day = (_R.created_at + _JST_OFFSET) // _DAY
    created = await conn.execute(
        select(
            created_day,
            func.count(),
            func.count().filter(_R.state == "active"),
        )
        .where(where)
        .group_by(created_day)
    )
    ending = await conn.execute(
        select(_R.tier, _R.valid_until, func.count())
        .where(
            and_(
                where,
                _R.state == "active",
                _R.valid_until.is_not(None),
                _R.valid_until <= (today + timedelta(days=90)).isoformat(),
            )
        )
        .group_by(_R.tier, _R.valid_until)
    )
    approved_day = (_R.premium_approved_at + _JST_OFFSET) // _DAY
    approved = await conn.execute(
        select(
            approved_day,
            func.count(),
            func.count().filter(and_(_R.state == "active", _R.tier == "premium")),
        )
        .where(and_(where, _R.premium_approved_at.is_not(None)))
        .group_by(approved_day)
    )
    return {
        "current": {(tier, home, int(mask)): n for tier, home, mask, n in current.all()},
        "created_by_day": {int(day): (n, a) for day, n, a in created.all()},
        "ending": {(tier, until): n for tier, until, n in ending.all()},
        "approved_by_day": {int(day): (n, a) for day, n, a in approved.all()},
    }


async def body_counts(
    conn: AsyncConnection, *, body_code: str, today: date, months: Sequence[str]
) -> BodyCounts:
    """A municipality's registrations (every registration with its body code)."""
    raw = await _counts(conn, _R.body_code == body_code, today)
    attendance = await activity_attendance_by_month(conn, body_codes=[body_code], months=months)
    return BodyCounts(**raw, attendance_by_month=attendance)


async def prefecture_counts(
    conn: AsyncConnection, *, prefecture_code: str, today: date, months: Sequence[str]
) -> BodyCounts:
    """A prefecture's view: the registrations at its municipalities (their codes share its
    two JIS digits, one index range) plus its own direct registrations; the prefecture
    records made with a municipality registration are counted separately (they are the same
    people as the municipality registrations)."""
    jis = prefecture_code[:2]
    municipalities = and_(
        _R.body_code >= f"{jis}0000", _R.body_code <= f"{jis}9999", _R.body_code != prefecture_code
    )
    own = _R.body_code == prefecture_code
    where = or_(municipalities, and_(own, _R.via_registration_id.is_(None)))
    raw = await _counts(conn, where, today)
    by_body = await conn.execute(
        select(_R.body_code, func.count())
        .where(and_(municipalities, _current(today)))
        .group_by(_R.body_code)
    )
    split = await conn.execute(
        select(_R.via_registration_id.is_(None), func.count())
        .where(and_(own, _current(today)))
        .group_by(_R.via_registration_id.is_(None))
    )
    own_counts = {bool(direct): n for direct, n in split.all()}
    per_body: dict[str, int] = {str(code): int(n) for code, n in by_body.all()}
    attendance = await activity_attendance_by_month(
        conn, body_codes=[prefecture_code, *sorted(per_body)], months=months
    )
    return BodyCounts(
        **raw,
        by_body=per_body,
        own_direct=own_counts.get(True, 0),
        own_via=own_counts.get(False, 0),
        attendance_by_month=attendance,
    )


async def national_counts(conn: AsyncConnection, *, today: date) -> NationalCounts:
    """Distinct persons and registrations over every hosted body."""
    current = _current(today)
    persons = await conn.scalar(select(func.count(func.distinct(_R.person_id))).where(current))
    split = await conn.execute(
        select(_R.tier, _R.via_registration_id.is_(None), func.count())
        .where(current)
        .group_by(_R.tier, _R.via_registration_id.is_(None))
    )
    chosen = automatic = 0
    by_tier: dict[str, int] = {}
    for tier, direct, n in split.all():
        by_tier[tier] = by_tier.get(tier, 0) + n
        if direct:
            chosen += n
        else:
            automatic += n
    hosted = await conn.scalar(select(func.count()).select_from(t.bodies))
    return NationalCounts(
        persons=int(persons or 0),
        chosen=chosen,
        automatic=automatic,
        by_tier=by_tier,
        hosted_bodies=int(hosted or 0),
    )
