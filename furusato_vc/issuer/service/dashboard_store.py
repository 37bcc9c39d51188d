"""The dashboards' SQL: raw counts for :mod:`furusato_vc.issuer.dashboard.build`.

Every query groups plain columns of ``registrations`` (``home_prefecture`` and
``relationship_mask`` are the dashboard copies of the JSON fields, migration 0003) under
``ix_registrations_dashboard``, whose leading column is ``body_code``: a body, or the code
range of a prefecture's municipalities, is one index range. Four queries per view, each a few
hundred to a few thousand groups, whatever the number of rows (docs/dashboard.md).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select

from furusato_vc.issuer.dashboard.build import BodyCounts, NationalCounts
from furusato_vc.issuer.service import schema as t

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence
    from datetime import date

    from sqlalchemy import ColumnElement, Executable

    #: runs one SELECT on a pooled connection of its own and returns its rows, so that the
    #: independent queries of a view run side by side (built by
    #: dashboard_snapshots); each query sees its own database snapshot
    Reader = Callable[[Executable], Awaitable[Sequence[Sequence[Any]]]]

__all__ = [
    "Reader",
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
    read: Reader, *, body_codes: Sequence[str], months: Sequence[str]
) -> Mapping[str, int]:
    """Premium activity participation: accepted attendances (check-ins and accepted
    evidence, migration 0002) per month ("YYYY-MM", the Japan date of the attendance) at
    activities of ``body_codes``, for the months shown."""
    if not months:
        return {}
    month = func.substr(t.attendances.c.attended_on, 1, 7)
    rows = await read(
        select(month, func.count())
        .select_from(t.attendances)
        .join(t.activities, t.activities.c.id == t.attendances.c.activity_pk)
        .where(
            and_(
                t.activities.c.body_code.in_(list(body_codes)),
                t.attendances.c.attended_on >= f"{min(months)}-01",
                t.attendances.c.attended_on < f"{max(months)}-99",
            )
        )
        .group_by(month)
    )
    return {str(m): int(n) for m, n in rows}


async def _counts(read: Reader, where: ColumnElement[bool], today: date) -> dict[str, Any]:
    current_q = (
        select(_R.body_code, _R.tier, _R.home_prefecture, _R.relationship_mask, func.count())
        .where(and_(where, _current(today)))
        .group_by(_R.body_code, _R.tier, _R.home_prefecture, _R.relationship_mask)
    )
    # creations and premium approvals in one pass over the range (approvals are few, so
    # the (creation day, approval day) pairs stay a few thousand groups)
    created_day = (_R.created_at + _JST_OFFSET) // _DAY
    approved_day = (_R.premium_approved_at + _JST_OFFSET) // _DAY
    days_q = (
        select(
            created_day,
            approved_day,
            func.count(),
            func.count().filter(_R.state == "active"),
            func.count().filter(and_(_R.state == "active", _R.tier == "premium")),
        )
        .where(where)
        .group_by(created_day, approved_day)
    )
    ending_q = (
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
    # three independent queries side by side (at most three pooled connections per view)
    current, days, ending = await asyncio.gather(read(current_q), read(days_q), read(ending_q))
    by_group: dict[tuple[str, str | None, int], int] = {}
    by_body: dict[str, int] = {}
    for body_code, tier, home, mask, n in current:
        key = (tier, home, int(mask))
        by_group[key] = by_group.get(key, 0) + n
        by_body[body_code] = by_body.get(body_code, 0) + n
    created: dict[int, tuple[int, int]] = {}
    approved: dict[int, tuple[int, int]] = {}
    for c_day, a_day, n, active, premium in days:
        was = created.get(int(c_day), (0, 0))
        created[int(c_day)] = (was[0] + n, was[1] + active)
        if a_day is not None:
            was = approved.get(int(a_day), (0, 0))
            approved[int(a_day)] = (was[0] + n, was[1] + premium)
    return {
        "current": by_group,
        "created_by_day": created,
        "ending": {(tier, until): n for tier, until, n in ending},
        "approved_by_day": approved,
        "by_body": by_body,
    }


def _add(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Sum two results of :func:`_counts` key by key (pairs element-wise)."""
    out: dict[str, Any] = {}
    for name, values in total.items():
        merged = dict(values)
        for key, value in part[name].items():
            if key not in merged:
                merged[key] = value
            elif isinstance(value, tuple):
                merged[key] = (merged[key][0] + value[0], merged[key][1] + value[1])
            else:
                merged[key] += value
        out[name] = merged
    return out


async def body_counts(
    read: Reader, *, body_code: str, today: date, months: Sequence[str]
) -> BodyCounts:
    """A municipality's registrations (every registration with its body code)."""
    raw = await _counts(read, _R.body_code == body_code, today)
    del raw["by_body"]
    attendance = await activity_attendance_by_month(read, body_codes=[body_code], months=months)
    return BodyCounts(**raw, attendance_by_month=attendance)


async def prefecture_counts(
    read: Reader, *, prefecture_code: str, today: date, months: Sequence[str]
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
    # two index ranges, counted apart and added (one OR of both is a sequential scan)
    in_municipalities = await _counts(read, municipalities, today)
    per_body: dict[str, int] = in_municipalities.pop("by_body")
    direct, split = await asyncio.gather(
        _counts(read, and_(own, _R.via_registration_id.is_(None)), today),
        read(
            select(_R.via_registration_id.is_(None), func.count())
            .where(and_(own, _current(today)))
            .group_by(_R.via_registration_id.is_(None))
        ),
    )
    del direct["by_body"]
    raw = _add(in_municipalities, direct)
    own_counts = {bool(is_direct): n for is_direct, n in split}
    attendance = await activity_attendance_by_month(
        read, body_codes=[prefecture_code, *sorted(per_body)], months=months
    )
    return BodyCounts(
        **raw,
        by_body=per_body,
        own_direct=own_counts.get(True, 0),
        own_via=own_counts.get(False, 0),
        attendance_by_month=attendance,
    )


async def national_counts(read: Reader, *, today: date) -> NationalCounts:
    """Distinct persons and registrations over every hosted body."""
    # one walk over the person index (in person order, so no sort): per person, their
    # current registrations, the premium ones and the ones they chose themselves
    per_person = (
        select(
            func.count().filter(_R.tier == "premium").label("premium"),
            func.count().filter(_R.via_registration_id.is_(None)).label("chosen"),
            func.count().label("every"),
        )
        .where(_current(today))
        .group_by(_R.person_id)
        .subquery()
    )
    [(persons, premium, chosen, every)] = await read(
        select(
            func.count(),
            func.coalesce(func.sum(per_person.c.premium), 0),
            func.coalesce(func.sum(per_person.c.chosen), 0),
            func.coalesce(func.sum(per_person.c.every), 0),
        )
    )
    chosen, every = int(chosen), int(every)
    by_tier = {"premium": int(premium), "basic": every - int(premium)}
    [(hosted,)] = await read(select(func.count()).select_from(t.bodies))
    return NationalCounts(
        persons=int(persons),
        chosen=chosen,
        automatic=every - chosen,
        by_tier=by_tier,
        hosted_bodies=int(hosted or 0),
    )
