"""Dashboard snapshots: the raw counts of a view, kept as text so that a heavy view (the
national one over every registration, a large prefecture's) is counted once per refresh,
not once per page load (docs/dashboard.md, "Snapshots").

A snapshot holds the counts *before* suppression, so the same snapshot serves any
suppression threshold; it is written by the service and read back by it, and anything that
does not decode to exactly the expected shape is treated as missing (the view is counted
again), never shown.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, TypeVar

from furusato_vc.issuer.dashboard.build import BodyCounts, NationalCounts

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["SNAPSHOT_VERSION", "SnapshotError", "decode_counts", "encode_counts"]

SNAPSHOT_VERSION: Final = 1
K = TypeVar("K")
V = TypeVar("V")


class SnapshotError(ValueError):
    """A stored snapshot that is not what :func:`encode_counts` writes."""


def encode_counts(counts: BodyCounts | NationalCounts) -> str:
    """Compact JSON with every mapping written as a sorted list of rows (JSON object keys
    are strings only, and the body counts are keyed by tuples)."""
    if isinstance(counts, NationalCounts):
        document: dict[str, object] = {
            "v": SNAPSHOT_VERSION,
            "kind": "national",
            "persons": counts.persons,
            "chosen": counts.chosen,
            "automatic": counts.automatic,
            "by_tier": sorted(counts.by_tier.items()),
            "hosted_bodies": counts.hosted_bodies,
        }
    else:
        document = {
            "v": SNAPSHOT_VERSION,
            "kind": "body",
            "current": sorted(
                ([tier, home, mask, n] for (tier, home, mask), n in counts.current.items()),
                key=lambda row: (row[0], row[1] or "", row[2]),
            ),
            "created_by_day": sorted([d, a, b] for d, (a, b) in counts.created_by_day.items()),
            "ending": sorted([tier, until, n] for (tier, until), n in counts.ending.items()),
            "approved_by_day": sorted([d, a, b] for d, (a, b) in counts.approved_by_day.items()),
            "by_body": sorted(counts.by_body.items()),
            "own_direct": counts.own_direct,
            "own_via": counts.own_via,
            "attendance_by_month": sorted(counts.attendance_by_month.items()),
        }
    return json.dumps(document, ensure_ascii=True, separators=(",", ":"))


def _count(value: object) -> int:
    if type(value) is not int or value < 0:
        raise SnapshotError("a count is not a non-negative integer")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise SnapshotError("a key is not a string")
    return value


def _rows(document: dict[str, object], name: str, width: int) -> list[list[object]]:
    rows = document.get(name)
    if not isinstance(rows, list) or not all(
        isinstance(row, list) and len(row) == width for row in rows
    ):
        raise SnapshotError(f"{name} is not a list of {width}-item rows")
    return rows


def _unique(pairs: Iterable[tuple[K, V]]) -> dict[K, V]:
    out: dict[K, V] = {}
    for key, value in pairs:
        if key in out:
            raise SnapshotError("a key is given twice")
        out[key] = value
    return out


def _optional_count(value: object) -> int | None:
    return None if value is None else _count(value)


def decode_counts(text: str) -> BodyCounts | NationalCounts:
    """The counts :func:`encode_counts` wrote.

    Raises:
        SnapshotError: for anything else (another version, a missing or mistyped field,
            negative counts, a key given twice).
    """
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SnapshotError("not JSON") from exc
    if not isinstance(document, dict) or document.get("v") != SNAPSHOT_VERSION:
        raise SnapshotError("not a dashboard snapshot of this version")
    kind = document.get("kind")
    if kind == "national":
        by_tier = _unique((_text(k), _count(n)) for k, n in _rows(document, "by_tier", 2))
        return NationalCounts(
            persons=_count(document.get("persons")),
            chosen=_count(document.get("chosen")),
            automatic=_count(document.get("automatic")),
            by_tier=by_tier,
            hosted_bodies=_count(document.get("hosted_bodies")),
        )
    if kind != "body":
        raise SnapshotError("unknown snapshot kind")
    current = _unique(
        ((_text(tier), None if home is None else _text(home), _count(mask)), _count(n))
        for tier, home, mask, n in _rows(document, "current", 4)
    )
    created = _unique(
        (_count(day), (_count(a), _count(b))) for day, a, b in _rows(document, "created_by_day", 3)
    )
    ending = _unique(
        ((_text(tier), _text(until)), _count(n)) for tier, until, n in _rows(document, "ending", 3)
    )
    approved = _unique(
        (_count(day), (_count(a), _count(b))) for day, a, b in _rows(document, "approved_by_day", 3)
    )
    by_body = _unique((_text(code), _count(n)) for code, n in _rows(document, "by_body", 2))
    attendance = _unique(
        (_text(month), _count(n)) for month, n in _rows(document, "attendance_by_month", 2)
    )
    return BodyCounts(
        current=current,
        created_by_day=created,
        ending=ending,
        approved_by_day=approved,
        by_body=by_body,
        own_direct=_optional_count(document.get("own_direct")),
        own_via=_optional_count(document.get("own_via")),
        attendance_by_month=attendance,
    )
