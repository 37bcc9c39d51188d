"""Benefits (特典) of participating shops and facilities: what a registration card gets at a
place that takes part in a body's programme — 「ドリンク一杯サービス」, admission at the
residents' rate — and the least tier required. See docs/benefits.md.

A body publishes its list as a body document (:mod:`furusato_vc.core.bodydoc`): a compact
JWS, ES256, header ``typ`` ``furusato-benefits+jwt`` and ``kid``, signed by the body's issuing
key; claims ``iss``, ``body``, ``iat``, ``exp``, ``seq`` and ``benefits``, an array of::

    {"id": "cafe-umi", "kind": "shop" | "facility",
     "name": {"ja": …, "en"?: …}, "offer": {"ja": …, "en"?: …},
     "tier": "basic" | "premium", "from": NumericDate, "until": NumericDate}

Pure: the time, the trust data and the keys come in as arguments.
"""

from __future__ import annotations

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
    verify_body_doc,
)
from furusato_vc.core.encoding import JsonLimits, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.jose.jws import (
    JwsLimits,
    decode_unverified_jws,
    first_verifying_key,
    sign_compact_jws,
)
from furusato_vc.core.jose.jwt import numeric_date, require_string
from furusato_vc.core.registration.bodies import validate_body_code
from furusato_vc.core.registration.claims import Tier

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.jws import UnverifiedJws
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.trust import RegistrationTrust

__all__ = [
    "BENEFITS_BUNDLE_TYP",
    "BENEFITS_TYP",
    "MAX_BENEFITS",
    "MAX_BENEFITS_BUNDLE_CHARS",
    "MAX_BENEFITS_CHARS",
    "MAX_BENEFIT_NAME_CHARS",
    "MAX_BENEFIT_OFFER_CHARS",
    "Benefit",
    "BenefitClaim",
    "BenefitKind",
    "BenefitList",
    "BenefitsBundle",
    "BenefitsBundleClaim",
    "BodyBenefits",
    "VerifiedBenefitList",
    "benefit_from_json",
    "benefits_from_json",
    "body_benefits_of",
    "sign_benefit_list",
    "sign_benefits_bundle",
    "tier_satisfies",
    "verify_benefit_list",
    "verify_benefits_bundle",
]

BENEFITS_TYP: Final = "furusato-benefits+jwt"
MAX_BENEFITS: Final = 200
MAX_BENEFIT_NAME_CHARS: Final = 80
MAX_BENEFIT_OFFER_CHARS: Final = 200
# 200 benefits of the largest size, Japanese and English (3 bytes a character), base64url
MAX_BENEFITS_PAYLOAD_BYTES: Final = 512 * 1024
MAX_BENEFITS_CHARS: Final = 700_000
_PAYLOAD_LIMITS = JsonLimits(max_bytes=MAX_BENEFITS_PAYLOAD_BYTES, max_depth=4)


class BenefitClaim:
    """Wire names of the list's own claim and of a benefit's members."""

    BENEFITS: Final = "benefits"
    ID: Final = "id"
    KIND: Final = "kind"
    NAME: Final = "name"
    OFFER: Final = "offer"
    TIER: Final = "tier"
    FROM: Final = "from"
    UNTIL: Final = "until"


_MEMBERS: Final = frozenset(
    {
        BenefitClaim.ID,
        BenefitClaim.KIND,
        BenefitClaim.NAME,
        BenefitClaim.OFFER,
        BenefitClaim.TIER,
        BenefitClaim.FROM,
        BenefitClaim.UNTIL,
    }
)


class BenefitKind(StrEnum):
    SHOP = "shop"
    FACILITY = "facility"


def tier_satisfies(held: Tier, required: Tier) -> bool:
    """Premium satisfies everything basic does."""
    return required is Tier.BASIC or held is Tier.PREMIUM


@dataclass(frozen=True, slots=True, kw_only=True)
class Benefit:
    """One participating place and what it offers to a card of at least ``tier``."""

    benefit_id: str
    kind: BenefitKind
    name: LocalizedText
    offer: LocalizedText
    tier: Tier
    valid_from: int
    valid_until: int

    def __post_init__(self) -> None:
        item_id(self.benefit_id)
        self.name.check(max_chars=MAX_BENEFIT_NAME_CHARS)
        self.offer.check(max_chars=MAX_BENEFIT_OFFER_CHARS)
        if not 0 <= self.valid_from < self.valid_until < 2**53:
            raise ValueError("valid_until must be after valid_from")

    def is_current(self, at: int) -> bool:
        return self.valid_from <= at < self.valid_until

    def applies_to(self, tier: Tier, *, at: int) -> bool:
        return self.is_current(at) and tier_satisfies(tier, self.tier)

    def to_json(self) -> JSONObject:
        return {
            BenefitClaim.ID: self.benefit_id,
            BenefitClaim.KIND: self.kind.value,
            BenefitClaim.NAME: self.name.to_json(),
            BenefitClaim.OFFER: self.offer.to_json(),
            BenefitClaim.TIER: self.tier.value,
            BenefitClaim.FROM: self.valid_from,
            BenefitClaim.UNTIL: self.valid_until,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitList:
    """What a body signs: the common claims and its current benefits."""

    header: BodyDocHeader
    benefits: tuple[Benefit, ...]

    def __post_init__(self) -> None:
        if len(self.benefits) > MAX_BENEFITS:
            raise ValueError(f"a list holds at most {MAX_BENEFITS} benefits")
        if len({b.benefit_id for b in self.benefits}) != len(self.benefits):
            raise ValueError("benefit ids must be distinct")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedBenefitList:
    """A benefits list whose signature, issuer, body and time window were checked."""

    header: BodyDocHeader
    benefits: tuple[Benefit, ...]
    issuer_key: PublicJwk
    jws: str


def sign_benefit_list(benefits: BenefitList, *, signer: Signer) -> str:
    """The compact JWS of a benefits list (``typ`` ``furusato-benefits+jwt``).

    Raises:
        ValueError: the JWS would exceed :data:`MAX_BENEFITS_CHARS`.
    """
    return sign_body_doc(
        benefits.header,
        {BenefitClaim.BENEFITS: [b.to_json() for b in benefits.benefits]},
        typ=BENEFITS_TYP,
        signer=signer,
        max_chars=MAX_BENEFITS_CHARS,
    )


def benefit_from_json(value: JSONValue) -> Benefit:
    """One benefit from its JSON form (strict: exactly the members above).

    Raises:
        FormatError: ``malformed_claim``.
    """
    if not isinstance(value, dict) or set(value) != _MEMBERS:
        raise malformed("a benefit must be an object with exactly the benefit members")
    try:
        kind = BenefitKind(str(value[BenefitClaim.KIND]))
        tier = Tier(str(value[BenefitClaim.TIER]))
    except ValueError as exc:
        raise malformed("unknown benefit kind or tier") from exc
    try:
        return Benefit(
            benefit_id=item_id(value[BenefitClaim.ID]),
            kind=kind,
            name=localized_text(
                value[BenefitClaim.NAME], name="name", max_chars=MAX_BENEFIT_NAME_CHARS
            ),
            offer=localized_text(
                value[BenefitClaim.OFFER], name="offer", max_chars=MAX_BENEFIT_OFFER_CHARS
            ),
            tier=tier,
            valid_from=numeric_date(value, BenefitClaim.FROM),
            valid_until=numeric_date(value, BenefitClaim.UNTIL),
        )
    except ValueError as exc:
        raise malformed(f"benefit: {exc}") from exc


def benefits_from_json(value: JSONValue) -> tuple[Benefit, ...]:
    """Raises:
    FormatError: ``malformed_claim`` (not an array, too many, repeated ids, a bad item).
    """
    if not isinstance(value, list) or len(value) > MAX_BENEFITS:
        raise malformed(f"benefits must be an array of at most {MAX_BENEFITS}")
    benefits = tuple(benefit_from_json(item) for item in value)
    if len({b.benefit_id for b in benefits}) != len(benefits):
        raise malformed("benefit ids must be distinct")
    return benefits


def verify_benefit_list(
    jws: str,
    *,
    trust: RegistrationTrust,
    now: datetime,
    skew: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> VerifiedBenefitList:
    """Verify a body's benefits list at ``now``.

    Raises:
        FormatError: as :func:`~furusato_vc.core.bodydoc.verify_body_doc`;
            ``malformed_claim`` for a benefit of the wrong form.
        VerificationError: as :func:`~furusato_vc.core.bodydoc.verify_body_doc`;
            ``required_claim_missing`` without ``benefits``.
    """
    doc = verify_body_doc(
        jws,
        typ=BENEFITS_TYP,
        trust=trust,
        now=now,
        max_chars=MAX_BENEFITS_CHARS,
        payload_limits=_PAYLOAD_LIMITS,
        skew=skew,
        algorithms=algorithms,
    )
    raw = doc.payload.get(BenefitClaim.BENEFITS)
    if raw is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "benefits is required")
    return VerifiedBenefitList(
        header=doc.header, benefits=benefits_from_json(raw), issuer_key=doc.issuer_key, jws=jws
    )


# --------------------------------------------------------------------------- in the bundle
#
# The trust-anchor operator imports each body's list (verified against that body's keys in
# the signed trust list) and signs all of them as one document that verifiers sync with the
# trust list: ``typ`` ``furusato-benefits-bundle+jwt``, signed by a pinned anchor key, claims
# ``iss`` (the operator), ``iat``, ``exp``, ``tls`` (the trust list sequence it was built
# against) and ``bodies``: [{"body", "iss", "seq", "iat", "benefits": [...]}].

BENEFITS_BUNDLE_TYP: Final = "furusato-benefits-bundle+jwt"
MAX_BENEFITS_BUNDLE_CHARS: Final = 64 * 1024 * 1024
MAX_BUNDLE_BODIES: Final = 2048  # 1,741 municipalities, 47 prefectures and room
# {"bodies": [{"benefits": [{"name": {"ja": …}}]}]}
_BUNDLE_LIMITS = JsonLimits(max_bytes=48 * 1024 * 1024, max_depth=6)


class BenefitsBundleClaim:
    ISS: Final = "iss"
    IAT: Final = "iat"
    EXP: Final = "exp"
    TRUST_LIST_SEQUENCE: Final = "tls"
    BODIES: Final = "bodies"
    BODY: Final = "body"
    BODY_ISS: Final = "iss"
    SEQ: Final = "seq"
    BODY_IAT: Final = "iat"


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyBenefits:
    """One body's verified benefits as the anchor imported them."""

    body_code: str
    issuer: str
    sequence: int
    issued_at: int
    benefits: tuple[Benefit, ...]

    def benefit(self, benefit_id: str) -> Benefit | None:
        return next((b for b in self.benefits if b.benefit_id == benefit_id), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitsBundle:
    """Every body's benefits, signed by the anchor (verified, or about to be signed)."""

    operator: str
    issued_at: int
    expires_at: int
    trust_list_sequence: int
    bodies: tuple[BodyBenefits, ...]

    def __post_init__(self) -> None:
        if len(self.bodies) > MAX_BUNDLE_BODIES:
            raise ValueError("too many bodies")
        if len({b.body_code for b in self.bodies}) != len(self.bodies):
            raise ValueError("one entry per body")
        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at must be after issued_at")

    def for_body(self, body_code: str) -> BodyBenefits | None:
        return next((b for b in self.bodies if b.body_code == body_code), None)


def body_benefits_of(verified: VerifiedBenefitList) -> BodyBenefits:
    return BodyBenefits(
        body_code=verified.header.body_code,
        issuer=verified.header.issuer,
        sequence=verified.header.sequence,
        issued_at=verified.header.issued_at,
        benefits=verified.benefits,
    )


def sign_benefits_bundle(bundle: BenefitsBundle, *, signer: Signer) -> str:
    """The anchor's compact JWS over every body's benefits.

    Raises:
        ValueError: over :data:`MAX_BENEFITS_BUNDLE_CHARS`.
    """
    c = BenefitsBundleClaim
    payload: JSONObject = {
        c.ISS: bundle.operator,
        c.IAT: bundle.issued_at,
        c.EXP: bundle.expires_at,
        c.TRUST_LIST_SEQUENCE: bundle.trust_list_sequence,
        c.BODIES: [
            {
                c.BODY: body.body_code,
                c.BODY_ISS: body.issuer,
                c.SEQ: body.sequence,
                c.BODY_IAT: body.issued_at,
                BenefitClaim.BENEFITS: [b.to_json() for b in body.benefits],
            }
            for body in sorted(bundle.bodies, key=lambda b: b.body_code)
        ],
    }
    token = sign_compact_jws(
        header={"typ": BENEFITS_BUNDLE_TYP},
        payload=dumps_compact(payload).encode("utf-8"),
        signer=signer,
    )
    if len(token) > MAX_BENEFITS_BUNDLE_CHARS:
        raise ValueError("benefits bundle over the size a verifier accepts")
    return token


def _anchor_key(
    token: UnverifiedJws, anchors: Sequence[PublicJwk], algorithms: AlgorithmPolicy
) -> None:
    if not anchors:
        raise VerificationError(ErrorCode.TRUST_ANCHOR_UNKNOWN, "no trust anchor is pinned")
    candidates = [a for a in anchors if token.kid is None or a.kid == token.kid]
    if not candidates:
        raise VerificationError(ErrorCode.TRUST_ANCHOR_UNKNOWN, "signed by an unpinned key")
    if first_verifying_key(token, candidates, algorithms=algorithms) is None:
        raise VerificationError(ErrorCode.SIGNATURE_INVALID, "no pinned anchor verifies it")


def _body_entry(value: JSONValue) -> BodyBenefits:
    c = BenefitsBundleClaim
    members = {c.BODY, c.BODY_ISS, c.SEQ, c.BODY_IAT, BenefitClaim.BENEFITS}
    if not isinstance(value, dict) or set(value) != members:
        raise malformed("a bundle entry must have body, iss, seq, iat and benefits")
    body_code, issuer = value[c.BODY], value[c.BODY_ISS]
    if not isinstance(body_code, str) or not isinstance(issuer, str) or not issuer:
        raise malformed("body and iss must be strings")
    try:
        validate_body_code(body_code)
    except FormatError as exc:
        raise malformed("body is not a 6-digit body code") from exc
    return BodyBenefits(
        body_code=body_code,
        issuer=issuer,
        sequence=numeric_date(value, c.SEQ),
        issued_at=numeric_date(value, c.BODY_IAT),
        benefits=benefits_from_json(value[BenefitClaim.BENEFITS]),
    )


def verify_benefits_bundle(
    jws: str,
    *,
    anchors: Sequence[PublicJwk],
    now: int,
    skew: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> BenefitsBundle:
    """Verify the anchor-signed benefits of every body at ``now`` (NumericDate).

    Raises:
        FormatError: ``input_too_large``, the JWS and JSON codes, ``malformed_claim``.
        VerificationError: ``typ_mismatch``, ``algorithm_not_allowed``,
            ``trust_anchor_unknown``, ``signature_invalid``, ``required_claim_missing``,
            ``token_issued_in_future``, ``token_expired``.
    """
    if len(jws) > MAX_BENEFITS_BUNDLE_CHARS:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "benefits bundle too large")
    token = decode_unverified_jws(jws, limits=JwsLimits(max_chars=MAX_BENEFITS_BUNDLE_CHARS))
    if token.typ != BENEFITS_BUNDLE_TYP:
        raise VerificationError(ErrorCode.TYP_MISMATCH, f"typ must be {BENEFITS_BUNDLE_TYP}")
    algorithms.check(token.alg)
    _anchor_key(token, anchors, algorithms)
    payload = parse_json_object(token.payload, limits=_BUNDLE_LIMITS)
    c = BenefitsBundleClaim
    operator = require_string(payload, c.ISS)
    issued_at = numeric_date(payload, c.IAT)
    expires_at = numeric_date(payload, c.EXP)
    trust_list_sequence = numeric_date(payload, c.TRUST_LIST_SEQUENCE)
    if issued_at > now + skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "iat is in the future")
    if now >= expires_at:
        raise VerificationError(ErrorCode.TOKEN_EXPIRED, "benefits bundle expired")
    raw = payload.get(c.BODIES)
    if raw is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "bodies is required")
    if not isinstance(raw, list) or len(raw) > MAX_BUNDLE_BODIES:
        raise malformed("bodies must be an array")
    try:
        return BenefitsBundle(
            operator=operator,
            issued_at=issued_at,
            expires_at=expires_at,
            trust_list_sequence=trust_list_sequence,
            bodies=tuple(_body_entry(item) for item in raw),
        )
    except ValueError as exc:
        raise malformed(f"benefits bundle: {exc}") from exc
