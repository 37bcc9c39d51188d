"""SD-JWT VC credentials — draft-ietf-oauth-sd-jwt-vc-18 (pinned: :data:`SD_JWT_VC_DRAFT`).

Section numbers below are those of draft -18. The wire format has not changed since (-19 to -25
added HTTP-retrieval rules and dropped the ``vc+sd-jwt`` transition sentence, see
docs/standards.md).

Issuance writes ``typ: dc+sd-jwt`` (§2.2.1), ``vct`` (§2.2.2.1) and keeps every claim of
§2.2.2.3's "MUST NOT be selectively disclosed" list in plaintext. Verification runs RFC 9901 §7
(§2.4), rejects any of those claims arriving in a Disclosure, checks ``vct`` against the
verifier's accepted types, processes Type Metadata when the policy supplies documents (§4.7
"Processing Type Metadata"), and checks ``status`` through the policy's checker — a credential
with a ``status`` claim and no checker is rejected unless the policy explicitly opts out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, cast

from furusato_vc.core.errors import ErrorCode, FormatError, IssuanceError, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.jose.jwt import optional_numeric_date, require_string, to_numeric_date
from furusato_vc.core.sdjwt.compact import SdJwtLimits
from furusato_vc.core.sdjwt.issuance import DecoyPolicy, IssuedSdJwt, issue_sd_jwt
from furusato_vc.core.sdjwt.verification import (
    KeyBindingPolicy,
    SdJwtPolicy,
    VerifiedKeyBinding,
    VerifiedSdJwt,
    holder_key_of,
    verify_sd_jwt,
)
from furusato_vc.core.sdjwtvc.type_metadata import (
    ResolvedTypeMetadata,
    resolve_type_metadata,
    validate_claims,
)
from furusato_vc.core.statuslist.reference import (
    StatusChecker,
    StatusReference,
    parse_status_claim,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.core.sdjwt.issuance import ClaimInput
    from furusato_vc.core.sdjwt.processing import ClaimPath
    from furusato_vc.core.sdjwt.verification import IssuerKeyResolver

__all__ = [
    "DC_SD_JWT_TYP",
    "LEGACY_VC_SD_JWT_TYP",
    "NEVER_DISCLOSABLE_CLAIMS",
    "SD_JWT_VC_DRAFT",
    "SdJwtVcContent",
    "SdJwtVcPolicy",
    "VerifiedSdJwtVc",
    "issue_sd_jwt_vc",
    "verify_sd_jwt_vc",
]

SD_JWT_VC_DRAFT: Final = "draft-ietf-oauth-sd-jwt-vc-18"
DC_SD_JWT_TYP: Final = "dc+sd-jwt"  # §2.2.1
LEGACY_VC_SD_JWT_TYP: Final = "vc+sd-jwt"  # §2.2.1 transition note; accepted only on request

# §2.2.2.3: registered claims that MUST NOT be included in Disclosures (nor their sub-claims).
NEVER_DISCLOSABLE_CLAIMS: Final = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)
# Claims the issuer library writes itself from :class:`SdJwtVcContent`.
_RESERVED_INPUT_CLAIMS: Final = NEVER_DISCLOSABLE_CLAIMS | {"iat"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SdJwtVcContent:
    """What an Issuer signs. Times are NumericDate seconds; round them (RFC 9901 §10.1)."""

    issuer: str
    vct: str
    issued_at: int
    expires_at: int
    holder_key: PublicJwk
    claims: Mapping[str, ClaimInput]
    not_before: int | None = None
    vct_integrity: str | None = None
    status: StatusReference | None = None

    def __post_init__(self) -> None:
        if not self.issuer or not self.vct:
            raise ValueError("issuer and vct are required")
        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at must be after issued_at")


def issue_sd_jwt_vc(
    content: SdJwtVcContent,
    *,
    signer: Signer,
    random: RandomSource,
    decoys: DecoyPolicy = DecoyPolicy(),
) -> IssuedSdJwt:
    """Issue an SD-JWT VC (``typ: dc+sd-jwt``) bound to ``content.holder_key`` via ``cnf.jwk``.

    Raises:
        IssuanceError: ``sd_request_invalid`` if ``content.claims`` sets a registered claim this
            function writes itself (``iss``, ``iat``, ``nbf``, ``exp``, ``cnf``, ``vct``,
            ``vct#integrity``, ``aka_vcts``, ``status``), or as
            :func:`~furusato_vc.core.sdjwt.issuance.build_sd_payload`.
    """
    clash = _RESERVED_INPUT_CLAIMS.intersection(content.claims)
    if clash:
        raise IssuanceError(
            ErrorCode.SD_REQUEST_INVALID,
            f"registered claims are set by the issuer: {sorted(clash)}",
        )
    claims: dict[str, ClaimInput] = {
        "iss": content.issuer,
        "iat": content.issued_at,
        "exp": content.expires_at,
        "vct": content.vct,
        "cnf": cast("ClaimInput", {"jwk": content.holder_key.to_json(include_kid=False)}),
    }
    if content.not_before is not None:
        claims["nbf"] = content.not_before
    if content.vct_integrity is not None:
        claims["vct#integrity"] = content.vct_integrity
    if content.status is not None:
        claims["status"] = cast("ClaimInput", content.status.to_claim())
    claims.update(content.claims)
    return issue_sd_jwt(claims, signer=signer, typ=DC_SD_JWT_TYP, random=random, decoys=decoys)


@dataclass(frozen=True, slots=True, kw_only=True)
class SdJwtVcPolicy:
    """A verifier's (or holder's) acceptance rules for SD-JWT VCs.

    ``key_binding`` and ``status_checker`` have no defaults: a caller states whether Key
    Binding is required and how status is checked. ``unsafe_skip_status_check`` accepts
    credentials whose status cannot be checked — only for tests and for a holder that has just
    received a fresh credential from its issuer.
    """

    accepted_vcts: frozenset[str]
    key_binding: KeyBindingPolicy | None
    status_checker: StatusChecker | None
    type_metadata: Mapping[str, bytes] | None = None
    unsafe_skip_status_check: bool = False
    accept_legacy_vc_sd_jwt_typ: bool = False
    accept_not_yet_valid: bool = False
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS
    limits: SdJwtLimits = SdJwtLimits()
    clock_skew_seconds: int = 60
    max_status_age_seconds: int = 48 * 3600  # how old status data may be (from its iat)
    sd_jwt_policy: SdJwtPolicy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.accepted_vcts:
            raise ValueError("accepted_vcts must not be empty")
        if self.status_checker is not None and self.unsafe_skip_status_check:
            raise ValueError("choose a status checker or unsafe_skip_status_check, not both")
        accepted_typ = {DC_SD_JWT_TYP}
        if self.accept_legacy_vc_sd_jwt_typ:
            accepted_typ.add(LEGACY_VC_SD_JWT_TYP)
        # The RFC 9901 §7 part of this policy, derived once.
        sd_jwt_policy = SdJwtPolicy(
            key_binding=self.key_binding,
            accepted_typ=frozenset(accepted_typ),
            algorithms=self.algorithms,
            limits=self.limits,
            clock_skew_seconds=self.clock_skew_seconds,
            require_expiry=True,
            accept_not_yet_valid=self.accept_not_yet_valid,
        )
        object.__setattr__(self, "sd_jwt_policy", sd_jwt_policy)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedSdJwtVc:
    issuer: str
    vct: str
    issued_at: int | None
    not_before: int | None
    expires_at: int
    holder_key: PublicJwk | None
    status: StatusReference | None
    claims: JSONObject  # the processed payload, registered claims included
    disclosed_paths: frozenset[ClaimPath]
    key_binding: VerifiedKeyBinding | None
    type_metadata: ResolvedTypeMetadata | None
    sd_jwt: VerifiedSdJwt


def _check_registered_claims_plaintext(verified: VerifiedSdJwt) -> None:
    for item in verified.disclosed:
        root = item.path[0]
        if isinstance(root, str) and root in NEVER_DISCLOSABLE_CLAIMS:
            raise VerificationError(
                ErrorCode.CLAIM_NOT_DISCLOSABLE, f"{root} arrived in a Disclosure (§2.2.2.3)"
            )


def _aka_vcts(claims: JSONObject, vct: str) -> frozenset[str]:
    if "aka_vcts" not in claims:
        return frozenset()
    value = claims["aka_vcts"]  # §2.2.2.2
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v for v in value)
        or vct in value
    ):
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "aka_vcts must be a non-empty array")
    return frozenset(v for v in value if isinstance(v, str))


def verify_sd_jwt_vc(
    presentation: str,
    *,
    policy: SdJwtVcPolicy,
    issuer_keys: IssuerKeyResolver,
    now: datetime,
    holder_view: bool = False,
) -> VerifiedSdJwtVc:
    """Verify an SD-JWT VC (§2.4). ``holder_view`` is set by a Holder checking a credential it
    received with every Disclosure (mandatory claims are then enforced in full).

    Raises:
        FormatError: malformed input, ``malformed_claim`` for a bad ``vct``, ``aka_vcts`` or
            ``status``.
        VerificationError: every code of :func:`~furusato_vc.core.sdjwt.verify_sd_jwt`, plus
            ``claim_not_disclosable``, ``vct_not_accepted``, ``status_not_checked``, the Type
            Metadata codes (``type_metadata_unavailable``, ``type_metadata_integrity``,
            ``type_metadata_cycle``, ``claim_metadata_violation``) and whatever the status
            checker raises.
    """
    verified = verify_sd_jwt(
        presentation, policy=policy.sd_jwt_policy, issuer_keys=issuer_keys, now=now
    )
    _check_registered_claims_plaintext(verified)
    claims = verified.claims
    vct = require_string(claims, "vct")
    aka_vcts = _aka_vcts(claims, vct)
    if vct not in policy.accepted_vcts and not policy.accepted_vcts & aka_vcts:
        raise VerificationError(ErrorCode.VCT_NOT_ACCEPTED, "vct is not accepted by this policy")
    integrity = claims.get("vct#integrity")
    if integrity is not None and not isinstance(integrity, str):
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "vct#integrity is not a string")
    if integrity is None and "vct#integrity" in claims:  # an explicit null
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "vct#integrity is not a string")

    holder_key = (
        verified.key_binding.holder_key
        if verified.key_binding is not None
        else (holder_key_of(claims, algorithms=policy.algorithms) if "cnf" in claims else None)
    )
    status = parse_status_claim(claims["status"]) if "status" in claims else None
    issuer = require_string(claims, "iss")
    if status is not None:
        if policy.status_checker is not None:
            policy.status_checker.check(
                status,
                issuer=issuer,
                now=to_numeric_date(now),
                max_age=policy.max_status_age_seconds,
            )
        elif not policy.unsafe_skip_status_check:
            raise VerificationError(ErrorCode.STATUS_NOT_CHECKED, "no status data for this list")

    disclosed_paths = frozenset(item.path for item in verified.disclosed)
    resolved = None
    if policy.type_metadata is not None:
        resolved = resolve_type_metadata(vct, documents=policy.type_metadata, integrity=integrity)
        validate_claims(
            resolved,
            issuer_payload=verified.issuer_payload,
            processed_claims=claims,
            disclosed_paths=disclosed_paths,
            holder_view=holder_view,
        )
    expires_at = optional_numeric_date(claims, "exp")
    assert expires_at is not None  # require_expiry=True above
    return VerifiedSdJwtVc(
        issuer=issuer,
        vct=vct,
        issued_at=optional_numeric_date(claims, "iat"),
        not_before=optional_numeric_date(claims, "nbf"),
        expires_at=expires_at,
        holder_key=holder_key,
        status=status,
        claims=claims,
        disclosed_paths=disclosed_paths,
        key_binding=verified.key_binding,
        type_metadata=resolved,
        sd_jwt=verified,
    )
