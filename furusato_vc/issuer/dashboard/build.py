"""From raw counts (what the service's SQL returns) to a suppressed :class:`Dashboard`.

Definitions (docs/dashboard.md):

* a **current** registration is in state ``active`` and not past its ``valid_until``
  (Japan's date) — the tier, relationship, home-prefecture and per-body tables count these;
* **new** in a month: registrations created that month (Japan time), whatever their state now;
* **active at the end of a month**: registrations active now, created by then and not yet
  expired then (suspensions and revocations carry no date, so a registration suspended or
  revoked now is left out of every month);
* **premium**: approvals per month, and premium registrations active now and approved by the
  end of each month (less those expired by then);
* **renewals falling due**: current basic and premium registrations whose ``valid_until``
  is 0–30, 31–60 or 61–90 days after today.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from furusato_vc.core.registration.claims import RelationshipType
from furusato_vc.issuer.dashboard.model import Cell, Dashboard, Series, SeriesLine, Table
from furusato_vc.issuer.dashboard.suppression import (
    suppress_count,
    suppress_flow_and_stock,
    suppress_table,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from furusato_vc.core.registration.bodies import Body, BodyRegistry

__all__ = [
    "GOAL_PERSONS",
    "GOAL_REGISTRATIONS",
    "MONTHS_SHOWN",
    "BodyCounts",
    "NationalCounts",
    "build_body_dashboard",
    "build_national_dashboard",
    "epoch_day",
    "month_ends",
]

GOAL_PERSONS: Final = 10_000_000  # 地方創生2.0 (2025-06-13): 10 million people …
GOAL_REGISTRATIONS: Final = 100_000_000  # … and 100 million registrations within 10 years
MONTHS_SHOWN: Final = 24
RENEWAL_BANDS: Final = ((0, 30), (31, 60), (61, 90))
_EPOCH: Final = date(1970, 1, 1)
_TIERS: Final = (("basic", "ベーシック登録", "Basic"), ("premium", "プレミアム登録", "Premium"))


def epoch_day(day: date) -> int:
    """Days since 1970-01-01: the service groups ``(created_at + 9 h) // 1 day`` by it."""
    return (day - _EPOCH).days


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_ends(today: date, *, months: int = MONTHS_SHOWN) -> tuple[tuple[str, date], ...]:
    """The last ``months`` months up to today's, oldest first, each with its last day
    (today for the current month)."""
    out: list[tuple[str, date]] = []
    first = today.replace(day=1)
    end = today
    for _ in range(months):
        out.append((_month_key(first), end))
        end = first - timedelta(days=1)
        first = end.replace(day=1)
    return tuple(reversed(out))


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyCounts:
    """Raw counts over one set of registrations (a body's, or a prefecture's municipalities'
    plus its own direct ones), straight from SQL. Nothing here is suppressed."""

    #: current registrations by (tier, home prefecture JIS code or None, relationship mask)
    current: Mapping[tuple[str, str | None, int], int]
    #: Japan-date epoch day of creation → (all registrations, those in state active now)
    created_by_day: Mapping[int, tuple[int, int]]
    #: (tier, valid_until ISO date) → registrations active now, for valid_until up to today+90
    ending: Mapping[tuple[str, str], int]
    #: Japan-date epoch day of premium approval → (all approvals, premium and active now)
    approved_by_day: Mapping[int, tuple[int, int]]
    #: extra tables' raw cells: by municipality (code → n), prefecture's own records
    by_body: Mapping[str, int] = field(default_factory=dict)
    own_direct: int | None = None
    own_via: int | None = None
    #: accepted activity attendances by month ("YYYY-MM")
    attendance_by_month: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class NationalCounts:
    persons: int  # distinct persons with a current registration
    chosen: int  # current registrations people chose (via_registration_id NULL)
    automatic: int  # current prefecture records made with a municipality registration
    by_tier: Mapping[str, int]
    hosted_bodies: int


def _table(
    table_id: str,
    title: tuple[str, str],
    cells: Sequence[tuple[str, str, str, int]],
    *,
    threshold: int,
    total: tuple[str, str] | None = ("合計", "Total"),
    note: tuple[str, str] = ("", ""),
) -> Table:
    shown, whole = suppress_table([n for *_, n in cells], threshold=threshold)
    return Table(
        id=table_id,
        title_ja=title[0],
        title_en=title[1],
        cells=tuple(
            Cell(key=key, label_ja=ja, label_en=en, count=value)
            for (key, ja, en, _n), value in zip(cells, shown, strict=True)
        ),
        total=None
        if total is None
        else Cell(key="total", label_ja=total[0], label_en=total[1], count=whole),
        note_ja=note[0],
        note_en=note[1],
    )


def _monthly(
    by_day: Mapping[int, tuple[int, int]],
    ending_before: Mapping[int, int],
    today: date,
) -> tuple[tuple[str, ...], list[int], list[int]]:
    """Per month: the flow (all, by day of creation) and the stock (active now, created by
    the month's end, less those whose valid_until is before the month's end)."""
    ends = month_ends(today)
    months = tuple(key for key, _ in ends)
    flow = dict.fromkeys(months, 0)
    first_day = epoch_day(date.fromisoformat(months[0] + "-01"))
    for day, (count, _active) in by_day.items():
        if day < first_day:
            continue
        key = _month_key(_EPOCH + timedelta(days=day))
        if key in flow:
            flow[key] += count
    stock: list[int] = []
    for _key, end in ends:
        last = epoch_day(end)
        created = sum(a for d, (_c, a) in by_day.items() if d <= last)
        expired = sum(n for d, n in ending_before.items() if d <= last)
        stock.append(created - expired)
    return months, [flow[m] for m in months], stock


def build_body_dashboard(
    *,
    view: str,
    body: Body,
    counts: BodyCounts,
    registry: BodyRegistry,
    today: date,
    threshold: int,
) -> Dashboard:
    """A municipality's or a prefecture's dashboard."""
    tables: list[Table] = []
    by_tier: dict[str, int] = defaultdict(int)
    by_home: dict[str | None, int] = defaultdict(int)
    by_type = [0, 0, 0, 0]
    undeclared = 0
    for (tier, home, mask), n in counts.current.items():
        by_tier[tier] += n
        by_home[home] += n
        if mask == 0:
            undeclared += n
        for bit in range(4):
            if mask & (1 << bit):
                by_type[bit] += n
    tables.append(
        _table(
            "tier",
            ("登録区分別の登録数", "Registrations by tier"),
            [(key, ja, en, by_tier.get(key, 0)) for key, ja, en in _TIERS],
            threshold=threshold,
        )
    )
    types = list(RelationshipType)
    tables.append(
        _table(
            "relationship_type",
            ("関係の種類別（①〜④、複数回答）", "By relationship type (①–④, several allowed)"),
            [
                (kind.value, f"{kind.mark} {kind.label_ja}", kind.label_en, by_type[i])
                for i, kind in enumerate(types)
            ]
            + [("none", "未回答", "Not given", undeclared)],
            threshold=threshold,
            total=None,
            note=(
                "一人が複数の種類を選べるため、合計は登録数と一致しません。",
                "One registration may declare several types, so these do not add up.",
            ),
        )
    )
    prefectures = registry.prefectures()
    known = {p.jis_prefecture for p in prefectures}
    tables.append(
        _table(
            "home_prefecture",
            ("居住都道府県別の登録数", "Registrations by home prefecture"),
            [
                (p.jis_prefecture, p.name_ja, p.name_en, by_home.get(p.jis_prefecture, 0))
                for p in prefectures
            ]
            + [
                (
                    "unknown",
                    "未回答",
                    "Not given",
                    sum(n for home, n in by_home.items() if home not in known),
                )
            ],
            threshold=threshold,
        )
    )
    if view == "prefecture":
        names = {b.code: b for b in registry.municipalities_of(body.code)}
        tables.append(
            _table(
                "by_municipality",
                ("市区町村別の登録数", "Registrations by municipality"),
                [
                    (code, names[code].name_ja, names[code].name_en, n)
                    for code, n in sorted(counts.by_body.items())
                    if code in names
                ],
                threshold=threshold,
            )
        )
        tables.append(
            _table(
                "prefecture_own",
                (f"{body.name_ja}自身の登録", f"{body.name_en}'s own registrations"),
                [
                    ("direct", "直接の登録", "Registered directly", counts.own_direct or 0),
                    (
                        "via_municipality",
                        "市区町村の登録と同時の登録",
                        "Recorded with a municipality registration",
                        counts.own_via or 0,
                    ),
                ],
                threshold=threshold,
            )
        )
    # renewals falling due
    renewal_cells: list[Cell] = []
    for tier, ja, en in _TIERS:
        bands = [0, 0, 0]
        for (row_tier, until), n in counts.ending.items():
            if row_tier != tier:
                continue
            days = (date.fromisoformat(until) - today).days
            for i, (low, high) in enumerate(RENEWAL_BANDS):
                if low <= days <= high:
                    bands[i] += n
        shown, whole = suppress_table(bands, threshold=threshold)
        renewal_cells.extend(
            Cell(
                key=f"{tier}_{low}_{high}",
                label_ja=f"{ja} {low}〜{high}日後",
                label_en=f"{en}, in {low}–{high} days",
                count=value,
            )
            for (low, high), value in zip(RENEWAL_BANDS, shown, strict=True)
        )
        renewal_cells.append(
            Cell(
                key=f"{tier}_total",
                label_ja=f"{ja} 90日以内 計",
                label_en=f"{en}, within 90 days",
                count=whole,
            )
        )
    tables.append(
        Table(
            id="renewals",
            title_ja="更新期限が近い登録",
            title_en="Renewals falling due",
            cells=tuple(renewal_cells),
            note_ja="有効期限（valid_until）が今日から30日・60日・90日以内の現在有効な登録。",
            note_en="Current registrations whose valid_until is within 30, 60 or 90 days.",
        )
    )
    # monthly series
    ending_before: dict[int, int] = defaultdict(int)
    premium_ending_before: dict[int, int] = defaultdict(int)
    for (tier, until), n in counts.ending.items():
        day = epoch_day(date.fromisoformat(until)) + 1  # no longer valid from the next day
        ending_before[day] += n
        if tier == "premium":
            premium_ending_before[day] += n
    months, new, active = _monthly(counts.created_by_day, ending_before, today)
    new_shown, active_shown = suppress_flow_and_stock(new, active, threshold=threshold)
    series = [
        Series(
            id="registrations_monthly",
            title_ja="新規登録数と有効登録数（月別）",
            title_en="New and active registrations by month",
            months=months,
            lines=(
                SeriesLine(key="new", label_ja="新規", label_en="New", values=new_shown),
                SeriesLine(
                    key="active", label_ja="月末の有効登録", label_en="Active", values=active_shown
                ),
            ),
        )
    ]
    _m, approvals, premium = _monthly(counts.approved_by_day, premium_ending_before, today)
    approvals_shown, premium_shown = suppress_flow_and_stock(
        approvals, premium, threshold=threshold
    )
    lines = (
        SeriesLine(
            key="premium_approvals",
            label_ja="プレミアム承認",
            label_en="Premium approvals",
            values=approvals_shown,
        ),
        SeriesLine(
            key="premium_active",
            label_ja="プレミアム登録",
            label_en="Premium registrations",
            values=premium_shown,
        ),
        SeriesLine(
            key="attendance",
            label_ja="活動参加",
            label_en="Activity attendance",
            values=tuple(
                suppress_count(counts.attendance_by_month.get(m, 0), threshold=threshold)
                for m in months
            ),
        ),
    )
    series.append(
        Series(
            id="premium_monthly",
            title_ja="プレミアム登録と活動参加（月別）",
            title_en="Premium registrations and activity participation by month",
            months=months,
            lines=lines,
        )
    )
    return Dashboard(
        view=view,
        body_code=body.code,
        name_ja=body.display_name_ja,
        name_en=body.display_name_en,
        as_of=today.isoformat(),
        threshold=threshold,
        tables=tuple(tables),
        series=tuple(series),
    )


def build_national_dashboard(counts: NationalCounts, *, today: date, threshold: int) -> Dashboard:
    """Progress toward the national goals, and the split of current registrations."""
    progress = Table(
        id="national_progress",
        title_ja="全国目標への進捗",
        title_en="Progress toward the national goals",
        cells=(
            Cell(
                key="persons",
                label_ja="登録者数（実人数）",
                label_en="People registered (distinct persons)",
                count=suppress_count(counts.persons, threshold=threshold),
                goal=GOAL_PERSONS,
            ),
            Cell(
                key="registrations",
                label_ja="登録数（本人が選んだ登録）",
                label_en="Registrations (chosen by the person)",
                count=suppress_count(counts.chosen, threshold=threshold),
                goal=GOAL_REGISTRATIONS,
            ),
        ),
        note_ja="目標: 10年で実人数1,000万人・登録数1億件（地方創生2.0、2025年6月閣議決定）。",
        note_en="Goal: 10 million people and 100 million registrations in 10 years.",
    )
    split = _table(
        "national_registrations",
        ("現在の登録の内訳", "Current registrations"),
        [
            ("chosen", "本人が選んだ登録", "Chosen by the person", counts.chosen),
            (
                "automatic",
                "市区町村の登録と同時の都道府県登録",
                "Prefecture records made with a municipality registration",
                counts.automatic,
            ),
        ],
        threshold=threshold,
    )
    tier = _table(
        "tier",
        ("登録区分別の登録数", "Registrations by tier"),
        [(key, ja, en, counts.by_tier.get(key, 0)) for key, ja, en in _TIERS],
        threshold=threshold,
    )
    return Dashboard(
        view="national",
        body_code=None,
        name_ja="全国",
        name_en="Japan",
        as_of=today.isoformat(),
        threshold=threshold,
        tables=(progress, split, tier),
        series=(),
    )
