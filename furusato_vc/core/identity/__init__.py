"""Identity proofing behind one interface (issue 8, item 1).

Backends turn evidence (a JPKI card signature, later an OpenID Connect ID token) into a
:class:`ProofedIdentity` that holds derived facts only. See ``docs/identity-proofing.md``.
"""

from furusato_vc.core.identity.jpki import verify_jpki_signature
from furusato_vc.core.identity.ocsp import (
    DEFAULT_OCSP_POLICY,
    FetchedOcspResponse,
    OcspPolicy,
    build_ocsp_request,
)
from furusato_vc.core.identity.proofing import (
    IdentityMethod,
    ProofedIdentity,
    derive_person_key,
    municipality_code_from_address,
)

__all__ = [
    "DEFAULT_OCSP_POLICY",
    "FetchedOcspResponse",
    "IdentityMethod",
    "OcspPolicy",
    "ProofedIdentity",
    "build_ocsp_request",
    "derive_person_key",
    "municipality_code_from_address",
    "verify_jpki_signature",
]
