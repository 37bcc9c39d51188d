"""Holding and presenting registration credentials (the wallet library's core operations).

On receipt the holder runs RFC 9901 §7.2: it verifies the issuer's signature and every
Disclosure, rejects an SD-JWT+KB, checks the credential is bound to its own key, and validates
the claims against the type metadata with every Disclosure present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from furusato_vc.core.compact.credential import HeldCompact, accept_compact, present_compact
from furusato_vc.core.compact.profile import CLAIM_GROUP, Group
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.qrtext import encode_qr_text
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    PREMIUM_VCT,
    DisclosedRegistration,
    parse_registration_claims,
)
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwt.presentation import (
    KeyBindingRequest,
    create_presentation,
    select_disclosures,
)
from furusato_vc.core.sdjwtvc.credential import SdJwtVcPolicy, verify_sd_jwt_vc

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.sdjwt.processing import ClaimPath
    from furusato_vc.core.sdjwtvc.credential import VerifiedSdJwtVc
    from furusato_vc.core.trust import RegistrationTrust

__all__ = ["HeldCredential", "accept_credential", "present_credential", "present_qr", "qr_groups"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldCredential:
    """A verified credential as the wallet keeps it: the exact issued string (Disclosures are
    never re-serialized), what it says, who issued it, and — when the issuer sent one — the
    compact QR credential of the same registration."""

    serialized: str
    verified: VerifiedSdJwtVc
    registration: DisclosedRegistration
    compact: HeldCompact | None = None


def accept_credential(
    serialized: str,
    *,
    holder_key: PublicJwk,
    trust: RegistrationTrust,
    now: datetime,
    compact: bytes | None = None,
) -> HeldCredential:
    """Verify a credential received from an issuer (and its QR form, when given).

    Status is not checked here: the credential has just come from its issuer.

    Raises:
        FormatError, VerificationError: as
            :func:`~furusato_vc.core.sdjwtvc.credential.verify_sd_jwt_vc` (``kb_not_expected``
            for an SD-JWT+KB) and :func:`~furusato_vc.core.compact.credential.accept_compact`;
            ``holder_key_mismatch`` if ``cnf`` is not ``holder_key``; ``issuer_not_trusted``
            if the issuer may not issue for the body it names;
            ``credential_mismatch`` if the two formats describe different registrations.
    """
    verified = verify_sd_jwt_vc(
        serialized,
        policy=SdJwtVcPolicy(
            accepted_vcts=frozenset({BASIC_VCT, PREMIUM_VCT}),
            key_binding=None,
            status_checker=None,
            unsafe_skip_status_check=True,
            accept_not_yet_valid=True,  # a card may be stored before its registration starts
            type_metadata=registration_type_metadata(),
        ),
        issuer_keys=trust,
        now=now,
        holder_view=True,
    )
    if verified.holder_key is None or verified.holder_key.thumbprint() != holder_key.thumbprint():
        raise VerificationError(ErrorCode.HOLDER_KEY_MISMATCH, "cnf is not this wallet's key")
    registration = parse_registration_claims(
        verified.claims, disclosed_paths=verified.disclosed_paths
    )
    if trust.body_for_issuer(verified.issuer) != registration.issuing_body:
        raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer may not issue for body")
    held_compact = None
    if compact is not None:
        held_compact = accept_compact(compact, holder_key=holder_key, keys=trust, now=now)
        if (
            held_compact.body_code != registration.issuing_body
            or held_compact.tier is not registration.tier
            or held_compact.expires_at != verified.expires_at
        ):
            raise VerificationError(
                ErrorCode.CREDENTIAL_MISMATCH, "the QR credential is another registration"
            )
    return HeldCredential(
        serialized=serialized, verified=verified, registration=registration, compact=held_compact
    )


def qr_groups(disclose: Iterable[ClaimPath]) -> frozenset[Group]:
    """The QR-credential groups that carry the requested SD-JWT VC claims.

    Raises:
        VerificationError: ``required_disclosure_missing`` for a claim the QR credential does
            not carry (the verifier then needs the SD-JWT VC presentation instead).
    """
    groups = set()
    for path in disclose:
        root = path[0] if path else None
        group = CLAIM_GROUP.get(root) if isinstance(root, str) else None
        if group is None:
            raise VerificationError(
                ErrorCode.REQUIRED_DISCLOSURE_MISSING, "claim is not in the QR credential"
            )
        groups.add(group)
    return frozenset(groups)


def present_qr(
    held: HeldCredential,
    *,
    disclose: Iterable[ClaimPath],
    holder: Signer,
    audience: str,
    now: datetime,
    nonce: str | None = None,
) -> str:
    """The QR text (``FJ1:`` + Base45 of raw DEFLATE of the SD-KBT) disclosing the groups
    that carry ``disclose``. In challenge mode ``nonce`` is the verifier's nonce.

    Raises:
        VerificationError: ``required_disclosure_missing`` (see :func:`qr_groups`).
        ValueError: the wallet holds no QR credential for this card (ask the issuer for one).
    """
    if held.compact is None:
        raise ValueError("this card has no QR credential")
    kbt = present_compact(
        held.compact,
        groups=qr_groups(disclose),
        holder=holder,
        audience=audience,
        issued_at=to_numeric_date(now),
        nonce=None if nonce is None else nonce.encode("utf-8"),
    )
    return encode_qr_text(kbt)


def present_credential(
    held: HeldCredential,
    *,
    disclose: Iterable[ClaimPath],
    holder: Signer,
    audience: str,
    nonce: str,
    now: datetime,
) -> str:
    """An SD-JWT+KB revealing exactly ``disclose`` (and the Disclosures connecting them)."""
    chosen = select_disclosures(held.verified.sd_jwt.disclosed, disclose)
    return create_presentation(
        issuer_jwt=held.verified.sd_jwt.issuer_jwt,
        disclosures=chosen,
        key_binding=KeyBindingRequest(
            holder=holder, audience=audience, nonce=nonce, issued_at=to_numeric_date(now)
        ),
    )
