"""Verifier policy documents: what a checkpoint asks of a registration card, as JSON.

A municipality can publish its own documents; the five built-in checkpoints ship as documents
too (``schemas/verifier-policy/builtin/<id>.json``, equal to :mod:`furusato_vc.core.profiles`).
The format is ``schemas/verifier-policy/verifier-policy-1.schema.json`` (JSON Schema 2020-12);
:func:`parse_policy_document` enforces the same rules and what a schema cannot say (check
digits of body codes, prefecture codes), strictly and within fixed bounds: unknown members,
wrong types and out-of-range values are refused, never ignored or clamped.

Durations are integer seconds (``604800`` is 7 days), not ISO 8601 durations: one unit, no
calendar arithmetic, and a JSON Schema ``minimum``/``maximum`` bounds them exactly.

Reading the package's own built-in documents is the only file access here (as in
:mod:`furusato_vc.core.registration.metadata`); files named by a user are read at the edge
(:func:`furusato_vc.verifier.load_policy`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.policy import BodyScope, VerificationPolicyBuilder
from furusato_vc.core.profiles import Profile
from furusato_vc.core.registration.bodies import prefecture_code_of, validate_body_code
from furusato_vc.core.registration.claims import PREMIUM_VCT, Tier
from furusato_vc.core.registration.metadata import registration_type_metadata, schema_root
from furusato_vc.core.sdjwtvc.type_metadata import SdMode, resolve_type_metadata

if TYPE_CHECKING:
    from collections.abc import Mapping

    from furusato_vc.core.encoding import JSONValue
    from furusato_vc.core.sdjwt.processing import ClaimPath

__all__ = [
    "BUILTIN_POLICY_IDS",
    "MAX_POLICY_DOCUMENT_BYTES",
    "POLICY_SCHEMA_ID",
    "PolicyDocument",
    "builtin_policy_document",
    "disclosable_claim_paths",
    "parse_policy_document",
]

POLICY_SCHEMA_ID: Final = "urn:furusato-vc:schema:verifier-policy:1"
MAX_POLICY_DOCUMENT_BYTES: Final = 16 * 1024
BUILTIN_POLICY_IDS: Final = ("garbage-station", "shop", "nursery", "school", "public-facility")

_LIMITS = JsonLimits(max_bytes=MAX_POLICY_DOCUMENT_BYTES, max_depth=6)
# The id is the key-binding audience (RFC 9901 §4.3 ``aud``; SD-CWT ``aud``): it travels in
# every QR code, so it is short and plain.
_ID = re.compile(r"[a-z0-9][a-z0-9.:-]{0,39}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_TEXT = 200
_MAX_BODIES = 2000  # more than the 1,788 bodies there are
_MAX_DISCLOSURES = 32
_STALENESS_RANGE = (60, 30 * 86_400)
_WINDOW_RANGE = (1, 600)
ANY_BODY: Final = "any"
_TIERS: Final = frozenset(tier.value for tier in Tier)


class _Member:
    """Member names of a policy document (the schema's ``properties``)."""

    SCHEMA: Final = "$schema"
    ID: Final = "id"
    NAME: Final = "name"
    ACCEPT: Final = "accept"
    REQUIRED_TIER: Final = "required_tier"
    REQUIRED_DISCLOSURES: Final = "required_disclosures"
    MAX_STATUS_STALENESS: Final = "max_status_staleness"
    HOLDER_BINDING_WINDOW: Final = "holder_binding_window"
    BENEFIT: Final = "benefit"
    CHALLENGE: Final = "challenge"
    JA: Final = "ja"
    EN: Final = "en"
    BODIES: Final = "bodies"
    PREFECTURE: Final = "prefecture"


_M = _Member
_MEMBERS: Final = frozenset(
    {
        _M.SCHEMA,
        _M.ID,
        _M.NAME,
        _M.ACCEPT,
        _M.REQUIRED_TIER,
        _M.REQUIRED_DISCLOSURES,
        _M.MAX_STATUS_STALENESS,
        _M.HOLDER_BINDING_WINDOW,
        _M.BENEFIT,
        _M.CHALLENGE,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyDocument:
    """A parsed policy document. ``accept`` ``None`` leaves the choice of bodies to the
    verifying device; ``max_status_staleness`` and ``holder_binding_window`` ``None`` mean the
    policy defaults (48 h, 60 s)."""

    id: str
    name_ja: str
    name_en: str
    accept: BodyScope | None = None
    required_tier: Tier | None = None
    required_disclosures: tuple[ClaimPath, ...] = ()
    max_status_staleness: timedelta | None = None
    holder_binding_window: timedelta | None = None
    benefit_ja: str | None = None
    benefit_en: str | None = None
    challenge: bool = False

    @property
    def audience(self) -> str:
        """The key-binding ``aud`` a holder presents to this checkpoint: the id (as
        :attr:`Profile.default_audience`)."""
        return self.id

    def builder(
        self, *, accept_default: BodyScope | None = None, nonce: str | None = None
    ) -> VerificationPolicyBuilder:
        """A :class:`VerificationPolicyBuilder` with everything this document fixes.

        The document's ``accept`` wins over ``accept_default``; with neither, the caller still
        has to choose the bodies (``build()`` refuses until it does). A challenge document
        needs the verifier's ``nonce``.

        Raises:
            ValueError: a challenge document without ``nonce``; an ``accept_default`` naming
                several prefectures (the builder takes one).
        """
        if self.challenge and nonce is None:
            raise ValueError(f"policy {self.id} requires a challenge nonce")
        builder = (
            VerificationPolicyBuilder()
            .profile(self.id)
            .audience(self.audience)
            .require_disclosures(self.required_disclosures)
        )
        if self.required_tier is not None:
            builder = builder.require_tier(self.required_tier)
        if self.max_status_staleness is not None:
            builder = builder.max_status_staleness(self.max_status_staleness)
        if self.holder_binding_window is not None:
            builder = builder.holder_binding_window(self.holder_binding_window)
        if nonce is not None:
            builder = builder.nonce(nonce)
        scope = self.accept if self.accept is not None else accept_default
        return builder if scope is None else _accept(builder, scope)

    def to_profile(self) -> Profile:
        """The document as a :class:`Profile` (what a wallet plans a presentation from)."""
        return Profile(
            id=self.id,
            name_ja=self.name_ja,
            name_en=self.name_en,
            requested=self.required_disclosures,
            required_tier=self.required_tier,
            benefit_ja=self.benefit_ja,
            benefit_en=self.benefit_en,
            max_status_staleness=self.max_status_staleness,
        )


def _accept(builder: VerificationPolicyBuilder, scope: BodyScope) -> VerificationPolicyBuilder:
    if scope.any_body:
        return builder.accept_any_body()
    if scope.prefectures:
        if len(scope.prefectures) != 1 or scope.bodies:
            raise ValueError("a policy accepts one prefecture, or bodies, not both")
        (prefecture,) = scope.prefectures
        return builder.accept_prefecture(prefecture)
    return builder.accept_bodies(scope.bodies)


# ---------------------------------------------------------------------------- parsing


def _bad(detail: str) -> FormatError:
    # No dedicated code: a policy document is configuration handed to the verifier, and
    # malformed_request ("not well-formed") says so; the detail names the member.
    return FormatError(ErrorCode.MALFORMED_REQUEST, f"policy document: {detail}")


def _text(value: JSONValue, where: str) -> tuple[str, str]:
    if not isinstance(value, dict) or set(value) != {_M.JA, _M.EN}:
        raise _bad(f"{where} must be an object with exactly ja and en")
    out: list[str] = []
    for locale in (_M.JA, _M.EN):
        text = value[locale]
        if not isinstance(text, str) or not 1 <= len(text) <= _MAX_TEXT:
            raise _bad(f"{where}.{locale} must be a text of 1 to {_MAX_TEXT} characters")
        if _CONTROL.search(text):
            raise _bad(f"{where}.{locale} contains a control character")
        out.append(text)
    return out[0], out[1]


def _body_code(value: JSONValue, where: str) -> str:
    if not isinstance(value, str):
        raise _bad(f"{where} must be a body code string")
    return validate_body_code(value)  # invalid_body_code: format and check digit


def _accept_scope(value: JSONValue) -> BodyScope:
    if value == ANY_BODY:
        return BodyScope(any_body=True)
    if isinstance(value, dict) and set(value) == {_M.BODIES}:
        codes = value[_M.BODIES]
        if not isinstance(codes, list) or not 1 <= len(codes) <= _MAX_BODIES:
            raise _bad(f"accept.bodies must list 1 to {_MAX_BODIES} body codes")
        checked = [_body_code(code, "accept.bodies[]") for code in codes]
        if len(set(checked)) != len(checked):
            raise _bad("accept.bodies lists a body twice")
        return BodyScope(bodies=frozenset(checked))
    if isinstance(value, dict) and set(value) == {_M.PREFECTURE}:
        code = _body_code(value[_M.PREFECTURE], "accept.prefecture")
        if prefecture_code_of(code) != code:
            raise _bad("accept.prefecture is not a prefecture's code")
        return BodyScope(prefectures=frozenset({code}))
    raise _bad('accept must be "any", {"bodies": [...]} or {"prefecture": code}')


def _seconds(value: JSONValue, where: str, bounds: tuple[int, int]) -> timedelta:
    low, high = bounds
    # JSON Schema's "integer" is any number with a zero fractional part (2020-12 validation
    # §6.1.1), so 604800.0 is accepted as the schema accepts it; bool is an int in Python,
    # but JSON true is not a number of seconds.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{where} must be an integer number of seconds from {low} to {high}")
    return timedelta(seconds=value)


@functools.cache
def disclosable_claim_paths() -> frozenset[ClaimPath]:
    """Claim paths a policy may require: the registration claims whose Type Metadata says
    ``sd: always`` (draft-ietf-oauth-sd-jwt-vc-18 §4.6.4), read from the bundled documents
    (premium extends basic, so its resolved chain holds every claim). Anything else is
    plaintext in every card, or no claim at all (a typo would refuse every card)."""
    resolved = resolve_type_metadata(
        PREMIUM_VCT, documents=registration_type_metadata(), integrity=None
    )
    return frozenset(
        claim.path
        for claim in resolved.claims
        if claim.sd is SdMode.ALWAYS and None not in claim.path
    )


def _disclosures(value: JSONValue) -> tuple[ClaimPath, ...]:
    if not isinstance(value, list) or len(value) > _MAX_DISCLOSURES:
        raise _bad(f"required_disclosures must be an array of at most {_MAX_DISCLOSURES}")
    allowed = disclosable_claim_paths()
    paths: list[ClaimPath] = []
    for item in value:
        parts = item if isinstance(item, list) else []
        path: ClaimPath = tuple(part for part in parts if isinstance(part, str))
        if len(path) != len(parts) or path not in allowed:
            raise _bad("required_disclosures holds a path that is not a disclosable claim")
        if path in paths:
            raise _bad("required_disclosures lists a path twice")
        paths.append(path)
    return tuple(paths)


def parse_policy_document(data: bytes) -> PolicyDocument:
    """Parse a policy document (``verifier-policy-1.schema.json``), strictly.

    Raises:
        FormatError: ``input_too_large`` (over :data:`MAX_POLICY_DOCUMENT_BYTES`), the JSON
            codes of :func:`~furusato_vc.core.encoding.parse_json` (``malformed_json``,
            ``json_duplicate_key``, ``json_too_deep`` …), ``invalid_body_code`` for a body or
            prefecture code with a wrong form or check digit, and ``malformed_request`` for
            anything else the schema refuses (the detail names the member).
    """
    if len(data) > MAX_POLICY_DOCUMENT_BYTES:
        raise FormatError(
            ErrorCode.INPUT_TOO_LARGE, f"policy document over {MAX_POLICY_DOCUMENT_BYTES} bytes"
        )
    document = parse_json_object(data, limits=_LIMITS)
    unknown = set(document) - _MEMBERS
    if unknown:
        raise _bad(f"unknown members {sorted(unknown)}")
    schema = document.get(_M.SCHEMA, POLICY_SCHEMA_ID)
    if not isinstance(schema, str) or len(schema) > 512:
        raise _bad("$schema must be a string")
    policy_id = document.get(_M.ID)
    if not isinstance(policy_id, str) or not _ID.fullmatch(policy_id):
        raise _bad("id must match [a-z0-9][a-z0-9.:-]{0,39}")
    if _M.NAME not in document:
        raise _bad("name is required")
    name_ja, name_en = _text(document[_M.NAME], _M.NAME)
    accept = _accept_scope(document[_M.ACCEPT]) if _M.ACCEPT in document else None
    tier = None
    if _M.REQUIRED_TIER in document:
        tier_value = document[_M.REQUIRED_TIER]
        if not isinstance(tier_value, str) or tier_value not in _TIERS:
            raise _bad("required_tier must be basic or premium")
        tier = Tier(tier_value)
    benefit_ja = benefit_en = None
    if _M.BENEFIT in document:
        benefit_ja, benefit_en = _text(document[_M.BENEFIT], _M.BENEFIT)
    challenge = document.get(_M.CHALLENGE, False)
    if not isinstance(challenge, bool):
        raise _bad("challenge must be true or false")
    return PolicyDocument(
        id=policy_id,
        name_ja=name_ja,
        name_en=name_en,
        accept=accept,
        required_tier=tier,
        required_disclosures=_disclosures(document.get(_M.REQUIRED_DISCLOSURES, [])),
        max_status_staleness=(
            _seconds(document[_M.MAX_STATUS_STALENESS], "max_status_staleness", _STALENESS_RANGE)
            if _M.MAX_STATUS_STALENESS in document
            else None
        ),
        holder_binding_window=(
            _seconds(document[_M.HOLDER_BINDING_WINDOW], "holder_binding_window", _WINDOW_RANGE)
            if _M.HOLDER_BINDING_WINDOW in document
            else None
        ),
        benefit_ja=benefit_ja,
        benefit_en=benefit_en,
        challenge=challenge,
    )


# ---------------------------------------------------------------------------- built-ins


@functools.cache
def _builtins() -> Mapping[str, PolicyDocument]:
    folder = schema_root() / "verifier-policy" / "builtin"
    documents = {
        policy_id: parse_policy_document((folder / f"{policy_id}.json").read_bytes())
        for policy_id in BUILTIN_POLICY_IDS
    }
    for policy_id, document in documents.items():
        if document.id != policy_id:  # a packaging mistake, not bad input
            raise ValueError(f"built-in policy {policy_id}.json names itself {document.id}")
    return MappingProxyType(documents)


def builtin_policy_document(policy_id: str) -> PolicyDocument:
    """A built-in policy document by id (one of :data:`BUILTIN_POLICY_IDS`).

    Raises:
        KeyError: an unknown id (a configuration error at the edge).
    """
    return _builtins()[policy_id]
