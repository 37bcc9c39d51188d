"""Dashboard snapshots: count a view at most once per ``dashboard_max_age``.

Counting the national view reads every current registration (100 million at the national
target) and a large prefecture's view millions; a page load must not wait for that. So each
view's raw counts (before suppression) are kept in ``dashboard_snapshots`` with the time
they were taken:

* a page is served from the snapshot while it is younger than ``dashboard_max_age`` and of
  today's Japan date; otherwise the view is counted for this request and the snapshot
  replaced (a newer snapshot written meanwhile by another process is never overwritten by
  an older one);
* each server process refreshes in the background, once they are half their maximum age,
  the national and prefecture snapshots and any other whose count took
  :data:`BACKGROUND_COUNT_MS` or more (a large municipality), taking a lease on the row first
  (``refreshing_until``) so that several processes never count the same view at once; a
  process that dies mid-count only delays the next refresh until its lease ends;
* a snapshot that does not decode is counted again, never shown;
* ``dashboard_max_age`` zero turns snapshots off (every page load counts).

docs/dashboard.md, "Snapshots".
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import and_, bindparam, or_, select, update

from furusato_vc.core.registration.claims import JST
from furusato_vc.issuer.dashboard.build import BodyCounts, NationalCounts, month_ends
from furusato_vc.issuer.dashboard.snapshot import SnapshotError, decode_counts, encode_counts
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.dashboard_store import (
    body_counts,
    national_counts,
    prefecture_counts,
)
from furusato_vc.issuer.service.premium import today_in_japan
from furusato_vc.issuer.service.store import insert_ignore

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from sqlalchemy import Executable

    from furusato_vc.issuer.service.dashboard_store import Reader
    from furusato_vc.issuer.service.deps import ServiceState

__all__ = [
    "BACKGROUND_COUNT_MS",
    "NATIONAL",
    "counted_at_text",
    "refresh_snapshots_once",
    "view_counts",
]

NATIONAL: Final = "national"
#: a view whose last count took this long is refreshed in the background, not on a page load
BACKGROUND_COUNT_MS: Final = 500
_log = logging.getLogger("furusato_vc.issuer.dashboard")
_S = t.dashboard_snapshots.c
_READ: Final = select(_S.japan_date, _S.counted_at, _S.counts).where(
    _S.view_key == bindparam("key")
)
_REPLACE: Final = (
    update(t.dashboard_snapshots)
    .where(and_(_S.view_key == bindparam("key"), _S.counted_at <= bindparam("at")))
    .values(
        japan_date=bindparam("day"),
        counted_at=bindparam("at"),
        counts=bindparam("text"),
        refreshing_until=None,
        count_ms=bindparam("ms"),
    )
)


def _reader(state: ServiceState) -> Reader:
    """One pooled connection (and read-only transaction) per query, so that a view's
    independent queries run side by side; database failures become
    ``database_unavailable`` as everywhere else."""

    async def read(statement: Executable) -> Sequence[Sequence[Any]]:
        async with state.transaction() as conn:
            return (await conn.execute(statement)).all()

    return read


def counted_at_text(counted_at: int) -> str:
    """``YYYY-MM-DD HH:MM`` in Japan time, as the dashboards show it."""
    return datetime.fromtimestamp(counted_at, JST).strftime("%Y-%m-%d %H:%M")


async def _count(state: ServiceState, key: str, today: date) -> BodyCounts | NationalCounts:
    read = _reader(state)
    if key == NATIONAL:
        return await national_counts(read, today=today)
    months = [month for month, _end in month_ends(today)]
    if state.registry.get(key).is_prefecture:
        return await prefecture_counts(read, prefecture_code=key, today=today, months=months)
    return await body_counts(read, body_code=key, today=today, months=months)


async def _counted(
    state: ServiceState, key: str, today: date
) -> tuple[BodyCounts | NationalCounts, int]:
    """The view counted now, and how many milliseconds that took."""
    started = time.monotonic()
    counts = await _count(state, key, today)
    return counts, int((time.monotonic() - started) * 1000)


async def _store(
    state: ServiceState,
    key: str,
    today: date,
    at: int,
    counted: tuple[BodyCounts | NationalCounts, int],
) -> None:
    counts, ms = counted
    text, day = encode_counts(counts), today.isoformat()
    async with state.transaction() as conn:
        inserted = await conn.execute(
            insert_ignore(conn, t.dashboard_snapshots, "view_key"),
            {
                "view_key": key,
                "japan_date": day,
                "counted_at": at,
                "counts": text,
                "refreshing_until": None,
                "count_ms": ms,
            },
        )
        if inserted.first() is None:
            await conn.execute(_REPLACE, {"key": key, "day": day, "at": at, "text": text, "ms": ms})


def _expected(key: str, counts: BodyCounts | NationalCounts) -> bool:
    return isinstance(counts, NationalCounts) == (key == NATIONAL)


async def view_counts(
    state: ServiceState, key: str, *, today: date
) -> tuple[BodyCounts | NationalCounts, int | None]:
    """The raw counts of view ``key`` (a body code or :data:`NATIONAL`) and when they were
    taken (``None``: counted for this request with snapshots turned off)."""
    max_age = int(state.settings.dashboard_max_age.total_seconds())
    now = state.now_s()
    if max_age <= 0:
        return await _count(state, key, today), None
    async with state.transaction() as conn:
        row = (await conn.execute(_READ, {"key": key})).first()
    # of today, younger than max_age, and not from the future (a clock set back)
    if (
        row is not None
        and row.japan_date == today.isoformat()
        and 0 <= now - row.counted_at < max_age
    ):
        try:
            counts = decode_counts(row.counts)
        except SnapshotError:
            _log.warning("dashboard snapshot %s does not decode: counting again", key)
        else:
            if _expected(key, counts):
                return counts, int(row.counted_at)
            _log.warning("dashboard snapshot %s is of another kind: counting again", key)
    counted = await _counted(state, key, today)
    await _store(state, key, today, now, counted)
    return counted[0], now


async def refresh_snapshots_once(state: ServiceState) -> list[str]:
    """Count again the national and prefecture snapshots, and those whose last count took
    :data:`BACKGROUND_COUNT_MS` or more, once they are half their maximum age (or of another
    day), each under a lease; returns the views refreshed by this call."""
    max_age = int(state.settings.dashboard_max_age.total_seconds())
    if max_age <= 0:
        return []
    now = state.now_s()
    today = today_in_japan(now)
    async with state.transaction() as conn:
        rows = (
            await conn.execute(
                select(_S.view_key, _S.counted_at, _S.count_ms).where(
                    and_(
                        or_(
                            _S.counted_at <= now - max_age // 2, _S.japan_date != today.isoformat()
                        ),
                        or_(_S.refreshing_until.is_(None), _S.refreshing_until < now),
                    )
                )
            )
        ).all()
    refreshed: list[str] = []
    for key, counted_at, count_ms in rows:
        # every other key is a body code view_counts was asked for (so in the registry)
        heavy = key == NATIONAL or state.registry.get(key).is_prefecture
        if not heavy and count_ms < BACKGROUND_COUNT_MS:
            continue  # a small municipality's view is counted when it is opened
        async with state.transaction() as conn:
            claimed = await conn.execute(
                update(t.dashboard_snapshots)
                .where(
                    and_(
                        _S.view_key == key,
                        _S.counted_at == counted_at,
                        or_(_S.refreshing_until.is_(None), _S.refreshing_until < now),
                    )
                )
                .values(refreshing_until=now + max_age)
            )
            if claimed.rowcount != 1:
                continue  # another process took it, or refreshed it meanwhile
        started = state.now_s()  # the counts are at least as new as this
        await _store(state, key, today, started, await _counted(state, key, today))
        refreshed.append(key)
    return refreshed
