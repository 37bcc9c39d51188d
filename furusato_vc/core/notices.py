"""The notices feed of a body (お知らせ): what a municipality tells its registrants — events,
volunteer needs (「ここが困っている」), disaster information — as one signed document the
holder's wallet fetches, verifies and filters. See docs/notices.md.

The feed is a body document (:mod:`furusato_vc.core.bodydoc`): a compact JWS, ES256, header
``typ`` ``furusato-notices+jwt`` and ``kid``, signed by the body's issuing key, with claims
``iss``, ``body``, ``iat``, ``exp`` (short: a day), ``seq`` and ``notices``, an array of::

    {"id": "n-1", "cat": "event" | "volunteer" | "disaster" | "info",
     "title": {"ja": …, "en"?: …}, "text": {"ja": …, "en"?: …},
     "tier": "basic" | "premium" | "any", "interests": ["祭り", …],
     "from": NumericDate, "until": NumericDate, "link"?: "https://…"}

There is deliberately no member for images or any other third-party content: a notice is
text and, at most, one https link to the body's own site (the service enforces the domains).

Pure: the time, the trust data and the keys come in as arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.bodydoc import (
    BodyDocHeader,
    LocalizedText,
    item_id,
    localized_text,
    malformed,
    sign_body_doc,
    text_problem,
    verify_body_doc,
)
from furusato_vc.core.encoding import JsonLimits
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.jose.jwt import numeric_date

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.registration.claims import Tier
    from furusato_vc.core.trust import RegistrationTrust

__all__ = [
    "MAX_FEED_CHARS",
    "MAX_NOTICES",
    "MAX_NOTICE_INTERESTS",
    "MAX_NOTICE_LINK_CHARS",
    "MAX_NOTICE_TEXT_CHARS",
    "MAX_NOTICE_TITLE_CHARS",
    "NOTICES_TYP",
    "Notice",
    "NoticeAudience",
    "NoticeCategory",
    "NoticeClaim",
    "NoticeFeed",
    "VerifiedNoticeFeed",
    "link_problem",
    "notices_for",
    "sign_notice_feed",
    "verify_notice_feed",
]

NOTICES_TYP: Final = "furusato-notices+jwt"
MAX_NOTICES: Final = 50
MAX_NOTICE_TITLE_CHARS: Final = 120
MAX_NOTICE_TEXT_CHARS: Final = 1000
MAX_NOTICE_INTERESTS: Final = 16
MAX_INTEREST_CHARS: Final = 32
MAX_NOTICE_LINK_CHARS: Final = 512
# 50 notices of the largest size, Japanese and English (3 bytes a character), base64url.
MAX_FEED_PAYLOAD_BYTES: Final = 512 * 1024
MAX_FEED_CHARS: Final = 700_000
# {"notices": [{"title": {"ja": …}}]}: the document, the array, a notice, a text object
_PAYLOAD_LIMITS = JsonLimits(max_bytes=MAX_FEED_PAYLOAD_BYTES, max_depth=4)


# scheme, authority (a DNS host name, optionally :443; no userinfo), then path/query/fragment
_HTTPS_URL: Final = re.compile(
    r"https://(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\.?)(?::443)?"
    r"(?:[/?#][\x21-\x7e]*)?"
)


class NoticeClaim:
    """Wire names of the feed's own claims and of a notice's members."""

    NOTICES: Final = "notices"
    ID: Final = "id"
    CATEGORY: Final = "cat"
    TITLE: Final = "title"
    TEXT: Final = "text"
    TIER: Final = "tier"
    INTERESTS: Final = "interests"
    FROM: Final = "from"
    UNTIL: Final = "until"
    LINK: Final = "link"


_MEMBERS: Final = frozenset(
    {
        NoticeClaim.ID,
        NoticeClaim.CATEGORY,
        NoticeClaim.TITLE,
        NoticeClaim.TEXT,
        NoticeClaim.TIER,
        NoticeClaim.INTERESTS,
        NoticeClaim.FROM,
        NoticeClaim.UNTIL,
        NoticeClaim.LINK,
    }
)


class NoticeCategory(StrEnum):
    EVENT = "event"
    VOLUNTEER = "volunteer"  # 「ここが困っている」
    DISASTER = "disaster"
    INFO = "info"

    @property
    def label_ja(self) -> str:
        return {
            NoticeCategory.EVENT: "イベント",
            NoticeCategory.VOLUNTEER: "ここが困っている",
            NoticeCategory.DISASTER: "災害情報",
            NoticeCategory.INFO: "お知らせ",
        }[self]

    @property
    def label_en(self) -> str:
        return {
            NoticeCategory.EVENT: "Event",
            NoticeCategory.VOLUNTEER: "Help wanted",
            NoticeCategory.DISASTER: "Disaster information",
            NoticeCategory.INFO: "Information",
        }[self]


class NoticeAudience(StrEnum):
    """Which cards a notice is for: ``basic`` and ``premium`` exactly that tier, ``any``
    every card (a ``basic`` notice is e.g. an invitation to apply for premium)."""

    BASIC = "basic"
    PREMIUM = "premium"
    ANY = "any"

    def includes(self, tier: Tier) -> bool:
        return self is NoticeAudience.ANY or self.value == tier.value


def link_problem(url: str, *, allowed_domains: Collection[str] | None = None) -> str | None:
    """``None`` if ``url`` is an absolute ``https`` URL without credentials, of at most
    :data:`MAX_NOTICE_LINK_CHARS` ASCII characters, whose host is one of ``allowed_domains``
    or a subdomain of one (any host when ``allowed_domains`` is ``None``: the wallet's check,
    the service enforces the domains)."""
    if len(url) > MAX_NOTICE_LINK_CHARS or not url.isascii() or not url.isprintable():
        return f"link must be at most {MAX_NOTICE_LINK_CHARS} printable ASCII characters"
    match = _HTTPS_URL.fullmatch(url)
    if match is None:
        return "link must be an https URL with a host name and no credentials or other port"
    host = match["host"].lower().rstrip(".")
    if allowed_domains is not None and not any(
        host == domain.lower() or host.endswith("." + domain.lower()) for domain in allowed_domains
    ):
        return "link must point to one of the body's own domains"
    return None


def _interests_problem(interests: Iterable[str]) -> str | None:
    values = list(interests)
    if len(values) > MAX_NOTICE_INTERESTS or len(set(values)) != len(values):
        return f"interests must be at most {MAX_NOTICE_INTERESTS} distinct tags"
    if any(text_problem(v, max_chars=MAX_INTEREST_CHARS) is not None for v in values):
        return f"each interest must be 1-{MAX_INTEREST_CHARS} characters"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """One notice. Times are NumericDate seconds; ``interests`` empty means everyone."""

    notice_id: str
    category: NoticeCategory
    title: LocalizedText
    text: LocalizedText
    audience: NoticeAudience
    interests: tuple[str, ...]
    valid_from: int
    valid_until: int
    link: str | None = None

    def __post_init__(self) -> None:
        item_id(self.notice_id)
        self.title.check(max_chars=MAX_NOTICE_TITLE_CHARS)
        self.text.check(max_chars=MAX_NOTICE_TEXT_CHARS, multiline=True)
        problem = _interests_problem(self.interests)
        if problem is None and not 0 <= self.valid_from < self.valid_until < 2**53:
            problem = "valid_until must be after valid_from"
        if problem is None and self.link is not None:
            problem = link_problem(self.link)
        if problem is not None:
            raise ValueError(problem)

    def is_current(self, at: int) -> bool:
        return self.valid_from <= at < self.valid_until

    def to_json(self) -> JSONObject:
        out: JSONObject = {
            NoticeClaim.ID: self.notice_id,
            NoticeClaim.CATEGORY: self.category.value,
            NoticeClaim.TITLE: self.title.to_json(),
            NoticeClaim.TEXT: self.text.to_json(),
            NoticeClaim.TIER: self.audience.value,
            NoticeClaim.INTERESTS: list(self.interests),
            NoticeClaim.FROM: self.valid_from,
            NoticeClaim.UNTIL: self.valid_until,
        }
        if self.link is not None:
            out[NoticeClaim.LINK] = self.link
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeFeed:
    """What a body signs: the common claims and its current notices."""

    header: BodyDocHeader
    notices: tuple[Notice, ...]

    def __post_init__(self) -> None:
        if len(self.notices) > MAX_NOTICES:
            raise ValueError(f"a feed holds at most {MAX_NOTICES} notices")
        if len({n.notice_id for n in self.notices}) != len(self.notices):
            raise ValueError("notice ids must be distinct")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedNoticeFeed:
    """A feed whose signature, issuer, body and time window were checked."""

    header: BodyDocHeader
    notices: tuple[Notice, ...]
    issuer_key: PublicJwk


def sign_notice_feed(feed: NoticeFeed, *, signer: Signer) -> str:
    """The compact JWS of a feed (``typ`` ``furusato-notices+jwt``, ``kid`` of the signer).

    Raises:
        ValueError: the JWS would exceed :data:`MAX_FEED_CHARS`.
    """
    return sign_body_doc(
        feed.header,
        {NoticeClaim.NOTICES: [notice.to_json() for notice in feed.notices]},
        typ=NOTICES_TYP,
        signer=signer,
        max_chars=MAX_FEED_CHARS,
    )


def _string_list(value: JSONValue, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise malformed(f"{name} must be an array of strings")
    return tuple(v for v in value if isinstance(v, str))


def _parse_notice(value: JSONValue) -> Notice:
    if not isinstance(value, dict):
        raise malformed("a notice must be an object")
    if not set(value) <= _MEMBERS or not (_MEMBERS - {NoticeClaim.LINK}) <= set(value):
        raise malformed("a notice has missing or unknown members")
    try:
        category = NoticeCategory(str(value[NoticeClaim.CATEGORY]))
        audience = NoticeAudience(str(value[NoticeClaim.TIER]))
    except ValueError as exc:
        raise malformed("unknown notice category or tier") from exc
    link = value.get(NoticeClaim.LINK)
    if link is not None and not isinstance(link, str):
        raise malformed("link must be a string")
    try:
        return Notice(
            notice_id=item_id(value[NoticeClaim.ID]),
            category=category,
            title=localized_text(
                value[NoticeClaim.TITLE], name="title", max_chars=MAX_NOTICE_TITLE_CHARS
            ),
            text=localized_text(
                value[NoticeClaim.TEXT],
                name="text",
                max_chars=MAX_NOTICE_TEXT_CHARS,
                multiline=True,
            ),
            audience=audience,
            interests=_string_list(value[NoticeClaim.INTERESTS], "interests"),
            valid_from=numeric_date(value, NoticeClaim.FROM),
            valid_until=numeric_date(value, NoticeClaim.UNTIL),
            link=link,
        )
    except ValueError as exc:  # the model's own rules (interests, times, link)
        raise malformed(f"notice: {exc}") from exc


def verify_notice_feed(
    jws: str,
    *,
    trust: RegistrationTrust,
    now: datetime,
    skew: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> VerifiedNoticeFeed:
    """Verify a body's notices feed at ``now``.

    Raises:
        FormatError: as :func:`~furusato_vc.core.bodydoc.verify_body_doc` (``input_too_large``
            over :data:`MAX_FEED_CHARS`, ``json_too_deep``, …); ``malformed_claim`` for a
            notice of the wrong form, more than :data:`MAX_NOTICES` or repeated ids.
        VerificationError: as :func:`~furusato_vc.core.bodydoc.verify_body_doc`
            (``typ_mismatch``, ``signature_invalid``, ``issuer_not_trusted``,
            ``token_expired``, …); ``required_claim_missing`` without ``notices``.
    """
    doc = verify_body_doc(
        jws,
        typ=NOTICES_TYP,
        trust=trust,
        now=now,
        max_chars=MAX_FEED_CHARS,
        payload_limits=_PAYLOAD_LIMITS,
        skew=skew,
        algorithms=algorithms,
    )
    raw = doc.payload.get(NoticeClaim.NOTICES)
    if raw is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "notices is required")
    if not isinstance(raw, list) or len(raw) > MAX_NOTICES:
        raise malformed(f"notices must be an array of at most {MAX_NOTICES}")
    notices = tuple(_parse_notice(item) for item in raw)
    if len({n.notice_id for n in notices}) != len(notices):
        raise malformed("notice ids must be distinct")
    return VerifiedNoticeFeed(header=doc.header, notices=notices, issuer_key=doc.issuer_key)


def notices_for(
    notices: Iterable[Notice], *, tier: Tier, interests: Collection[str] | None, at: int
) -> tuple[Notice, ...]:
    """The notices a holder of a ``tier`` card sees at ``at``: current, for that tier, and —
    when the holder chose ``interests`` — either untagged or sharing a tag with them.
    ``interests`` ``None`` (no preference set) shows every tag; an empty choice shows only
    untagged notices. Disaster information is shown whatever the interests."""
    chosen = None if interests is None else frozenset(interests)
    out = []
    for notice in notices:
        if not notice.is_current(at) or not notice.audience.includes(tier):
            continue
        if (
            chosen is not None
            and notice.interests
            and notice.category is not NoticeCategory.DISASTER
            and chosen.isdisjoint(notice.interests)
        ):
            continue
        out.append(notice)
    return tuple(out)
