"""SD-JWT (RFC 9901): issuance, holder presentation with Key Binding, and verification."""

from furusato_vc.core.sdjwt.compact import CompactSdJwt, SdJwtLimits, split_compact
from furusato_vc.core.sdjwt.disclosure import Disclosure, parse_disclosure
from furusato_vc.core.sdjwt.hashing import SdAlg
from furusato_vc.core.sdjwt.issuance import (
    NO_DECOYS,
    SD,
    ClaimInput,
    DecoyPolicy,
    IssuedSdJwt,
    SdPayload,
    build_sd_payload,
    issue_sd_jwt,
)
from furusato_vc.core.sdjwt.presentation import (
    KeyBindingRequest,
    create_kb_jwt,
    create_presentation,
    select_disclosures,
)
from furusato_vc.core.sdjwt.processing import (
    ClaimPath,
    DisclosedClaim,
    ProcessedPayload,
    process_payload,
)
from furusato_vc.core.sdjwt.verification import (
    IssuerKeyResolver,
    KeyBindingPolicy,
    SdJwtPolicy,
    StaticIssuerKeys,
    VerifiedKeyBinding,
    VerifiedSdJwt,
    holder_key_of,
    verify_sd_jwt,
)

__all__ = [
    "NO_DECOYS",
    "SD",
    "ClaimInput",
    "ClaimPath",
    "CompactSdJwt",
    "DecoyPolicy",
    "DisclosedClaim",
    "Disclosure",
    "IssuedSdJwt",
    "IssuerKeyResolver",
    "KeyBindingPolicy",
    "KeyBindingRequest",
    "ProcessedPayload",
    "SdAlg",
    "SdJwtLimits",
    "SdJwtPolicy",
    "SdPayload",
    "StaticIssuerKeys",
    "VerifiedKeyBinding",
    "VerifiedSdJwt",
    "build_sd_payload",
    "create_kb_jwt",
    "create_presentation",
    "holder_key_of",
    "issue_sd_jwt",
    "parse_disclosure",
    "process_payload",
    "select_disclosures",
    "split_compact",
    "verify_sd_jwt",
]
