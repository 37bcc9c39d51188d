"""Notices from the bodies the holder is registered with (docs/notices.md).

The wallet fetches the signed feed (``<issuer>/notices``) of each body it holds a card of —
and of no other body: information reaches a registrant only through their municipalities —
verifies it against the body's keys, and keeps the notices meant for the card's tier and the
holder's chosen interests. Nothing about the holder is sent: the request is a plain GET of a
public, cacheable document, the same for every registrant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import (
    ErrorCode,
    FormatError,
    FurusatoError,
    StorageError,
    VerificationError,
)
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.notices import (
    MAX_FEED_CHARS,
    NoticeCategory,
    notices_for,
    verify_notice_feed,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from datetime import datetime

    from furusato_vc.core.notices import Notice, VerifiedNoticeFeed
    from furusato_vc.core.registration.claims import Tier
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.wallet.client import Transport

__all__ = [
    "FeedFailure",
    "FeedSubscription",
    "HolderNotice",
    "NoticesResult",
    "collect_notices",
    "feed_url",
    "fetch_feed",
]

FEED_PATH: Final = "/notices"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSubscription:
    """One body whose feed the wallet reads: its issuer, the tier of the holder's card, and
    the trust to verify the feed with."""

    body_code: str
    issuer: str
    tier: Tier
    trust: RegistrationTrust


@dataclass(frozen=True, slots=True, kw_only=True)
class HolderNotice:
    """A verified notice for the holder, with the body that sent it."""

    body_code: str
    feed_sequence: int
    notice: Notice


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedFailure:
    """A feed that could not be read or did not verify (its notices are not shown)."""

    body_code: str
    code: ErrorCode
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticesResult:
    notices: tuple[HolderNotice, ...]
    failures: tuple[FeedFailure, ...]
    # the highest feed sequence seen per body, this time included (the wallet keeps it)
    sequences: Mapping[str, int] = field(default_factory=dict)


def feed_url(issuer: str) -> str:
    """Where a body publishes its feed: next to its other documents (status lists, JWKS)."""
    return issuer + FEED_PATH


def fetch_feed(
    transport: Transport, *, issuer: str, trust: RegistrationTrust, now: datetime
) -> VerifiedNoticeFeed:
    """GET and verify one body's feed; the feed must be signed for ``issuer`` itself.

    Raises:
        StorageError: ``issuer_unavailable`` (offline, or an HTTP error).
        FormatError: ``issuer_response_invalid`` (too large, not ASCII); the codes of
            :func:`~furusato_vc.core.notices.verify_notice_feed`.
        VerificationError: the codes of :func:`~furusato_vc.core.notices.verify_notice_feed`;
            ``issuer_not_trusted`` for a feed signed by another issuer.
    """
    response = transport.request(
        "GET", feed_url(issuer), headers={"Accept": "application/jwt"}, body=None
    )
    if response.status != 200:
        raise StorageError(ErrorCode.ISSUER_UNAVAILABLE, f"feed answered {response.status}")
    if len(response.body) > MAX_FEED_CHARS:
        raise FormatError(ErrorCode.ISSUER_RESPONSE_INVALID, "feed too large")
    try:
        text = response.body.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise FormatError(ErrorCode.ISSUER_RESPONSE_INVALID, "feed is not ASCII") from exc
    feed = verify_notice_feed(text, trust=trust, now=now)
    if feed.header.issuer != issuer:
        raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "feed of another issuer")
    return feed


def _order(item: HolderNotice) -> tuple[int, int, str, str]:
    # disaster information first, then the newest
    urgent = 0 if item.notice.category is NoticeCategory.DISASTER else 1
    return (urgent, -item.notice.valid_from, item.body_code, item.notice.notice_id)


def collect_notices(
    subscriptions: Sequence[FeedSubscription],
    *,
    transport: Transport,
    now: datetime,
    interests: Collection[str] | None,
    seen: Mapping[str, int] | None = None,
) -> NoticesResult:
    """Fetch, verify and filter the feeds of ``subscriptions`` (one request per body).
    A feed that fails is reported in ``failures``; the others are still shown.

    ``seen`` is the highest feed sequence already seen per body: a validly signed but older
    feed (a cache or an attacker replaying one from before a notice was withdrawn) is a
    failure, ``notice_feed_rollback``; an equal one is the same feed again."""
    out: list[HolderNotice] = []
    failures: list[FeedFailure] = []
    sequences = dict(seen or {})
    at = to_numeric_date(now)
    for subscription in subscriptions:
        try:
            feed = fetch_feed(
                transport, issuer=subscription.issuer, trust=subscription.trust, now=now
            )
            previous = sequences.get(subscription.body_code)
            if previous is not None and feed.header.sequence < previous:
                raise VerificationError(
                    ErrorCode.NOTICE_FEED_ROLLBACK,
                    f"sequence {feed.header.sequence} after {previous}",
                )
        except FurusatoError as error:
            failures.append(
                FeedFailure(body_code=subscription.body_code, code=error.code, detail=error.detail)
            )
            continue
        sequences[subscription.body_code] = feed.header.sequence
        out.extend(
            HolderNotice(
                body_code=subscription.body_code,
                feed_sequence=feed.header.sequence,
                notice=notice,
            )
            for notice in notices_for(
                feed.notices, tier=subscription.tier, interests=interests, at=at
            )
        )
    return NoticesResult(
        notices=tuple(sorted(out, key=_order)),
        failures=tuple(failures),
        sequences=MappingProxyType(sequences),
    )
