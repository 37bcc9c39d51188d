"""How fresh the kiosk's bundle is for the bodies it accepts (pure: the time comes in).

A kiosk shows a banner while it still verifies but its data is getting old, and blocks with a
message once nothing it accepts could verify any more. The rules, for the status lists of the
accepted bodies on the trust list:

* a list is *usable until* ``min(iat + max_status_staleness, exp)`` — after that every card of
  the list fails closed (``status_stale`` or ``status_list_expired``); a list the bundle does
  not hold is not usable at all (``status_not_checked``);
* **stale** (blocking): the trust list itself is no longer usable (``trust_list_expired``, or
  the clock is behind signed data: ``clock_behind_trust_data``), or no accepted list is usable;
* **aging** (banner): some accepted list is not usable, or one will stop being usable (or the
  trust list will expire) within ``warn_fraction`` of the allowed staleness, or the trust
  list's ``next_update`` has passed;
* **fresh** otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode, FurusatoError

if TYPE_CHECKING:
    from furusato_vc.core.bundle import TrustBundle
    from furusato_vc.core.policy import BodyScope

__all__ = ["BundleFreshness", "Freshness", "assess_freshness"]


class Freshness(StrEnum):
    FRESH = "fresh"
    AGING = "aging"
    STALE = "stale"


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleFreshness:
    state: Freshness
    # why the state is not FRESH (the first reason found); None when fresh, or when aging only
    # because an update is due soon
    code: ErrorCode | None
    # the earliest moment (NumericDate) at which some accepted data stops being usable; None
    # when nothing is usable any more
    usable_until: int | None
    update_due: bool  # the trust list's next_update has passed
    # accepted bodies (6-digit codes) none of whose status lists is usable now
    unusable_bodies: tuple[str, ...]


def _list_usable_until(
    bundle: TrustBundle, uri: str, *, max_age: int
) -> tuple[int | None, ErrorCode]:
    """When a held list stops being usable, and the code it then fails with."""
    held = bundle.status_list(uri)
    if held is None:
        return None, ErrorCode.STATUS_NOT_CHECKED
    stale_at = held.issued_at + max_age + 1  # BundleTrust.check: age > max_age is stale
    if held.expires_at is not None and held.expires_at <= stale_at:
        return held.expires_at, ErrorCode.STATUS_LIST_EXPIRED
    return stale_at, ErrorCode.STATUS_STALE


def assess_freshness(
    bundle: TrustBundle,
    *,
    scope: BodyScope,
    now: int,
    max_age: int,
    warn_fraction: float = 0.25,
) -> BundleFreshness:
    """The freshness of ``bundle`` at ``now`` for a verifier accepting ``scope`` with a
    maximum status staleness of ``max_age`` seconds.

    Raises:
        ValueError: ``warn_fraction`` outside [0, 1] or a negative ``max_age``.
    """
    if not 0.0 <= warn_fraction <= 1.0 or max_age < 0:
        raise ValueError("warn_fraction must be in [0, 1] and max_age non-negative")
    trust_list = bundle.trust_list
    update_due = now >= trust_list.next_update
    try:
        bundle.trust.check_current(now=now)
    except FurusatoError as error:
        return BundleFreshness(
            state=Freshness.STALE,
            code=error.code,
            usable_until=None,
            update_due=update_due,
            unusable_bodies=(),
        )
    margin = int(max_age * warn_fraction)
    code: ErrorCode | None = None
    unusable: list[str] = []
    ends: list[int] = []
    any_usable = False
    for entry in trust_list.entries:
        if not scope.accepts(entry.body_code):
            continue
        body_usable = False
        for location in entry.status_lists:
            until, failure = _list_usable_until(bundle, location.uri, max_age=max_age)
            if until is not None and now < until:
                body_usable = True
                ends.append(until)
            elif code is None:
                code = failure
        if body_usable:
            any_usable = True
        else:
            unusable.append(entry.body_code)
    if not any_usable:
        return BundleFreshness(
            state=Freshness.STALE,
            code=code or ErrorCode.STATUS_NOT_CHECKED,
            usable_until=None,
            update_due=update_due,
            unusable_bodies=tuple(unusable),
        )
    usable_until = min([*ends, trust_list.expires_at])
    aging = bool(unusable) or update_due or usable_until - now <= margin
    return BundleFreshness(
        state=Freshness.AGING if aging else Freshness.FRESH,
        code=code if unusable else None,
        usable_until=usable_until,
        update_due=update_due,
        unusable_bodies=tuple(unusable),
    )
