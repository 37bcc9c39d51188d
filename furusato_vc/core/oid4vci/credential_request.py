"""Credential Request (OpenID4VCI 1.0 §8.2) and Credential Response (§8.3).

Our issuer returns no ``authorization_details`` from its Token Endpoint, so Wallets identify
what they want by ``credential_configuration_id`` alone (§8.2: ``credential_identifier``
"MUST NOT be used otherwise"), always send ``jwt`` key proofs, and never ask for response
encryption (we advertise none, §12.2.4). Error codes follow §8.3.1.2: problems with the
``proofs`` parameter are ``invalid_proof`` (``proof_missing`` / ``proof_invalid``), anything
else about the request is ``invalid_credential_request``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.oid4vci.constants import PROOF_TYPE_JWT
from furusato_vc.core.oid4vci.proof import MAX_PROOF_CHARS

if TYPE_CHECKING:
    from collections.abc import Collection

    from furusato_vc.core.encoding import JSONObject

__all__ = [
    "MAX_PROOFS",
    "CredentialRequest",
    "CredentialResponse",
    "parse_credential_request",
    "parse_credential_request_json",
    "parse_credential_response",
]

MAX_PROOFS: Final = 64  # a hard cap before batch_size is known; batch_size is checked later
MAX_REQUEST_BYTES: Final = MAX_PROOFS * MAX_PROOF_CHARS + 4096
MAX_CREDENTIAL_CHARS: Final = 64 * 1024
MAX_CONFIGURATION_ID_CHARS: Final = 256
_REQUEST_LIMITS = JsonLimits(max_bytes=MAX_REQUEST_BYTES, max_depth=8)


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialRequest:
    """§8.2 as our issuer accepts it: one configuration, one or more ``jwt`` proofs."""

    credential_configuration_id: str
    proof_jwts: tuple[str, ...]

    def to_json(self) -> JSONObject:
        return {
            "credential_configuration_id": self.credential_configuration_id,
            "proofs": {PROOF_TYPE_JWT: list(self.proof_jwts)},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialResponse:
    """§8.3 immediate issuance: one ``credential`` string per accepted key (Appendix A.3.4:
    the SD-JWT VC as issued, not re-encoded)."""

    credentials: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.credentials:
            raise ValueError("a Credential Response carries at least one credential")

    def to_json(self) -> JSONObject:
        return {"credentials": [{"credential": c} for c in self.credentials]}


def _request_invalid(detail: str) -> VerificationError:
    return VerificationError(ErrorCode.CREDENTIAL_REQUEST_INVALID, detail)


def _proof_invalid(detail: str) -> VerificationError:
    return VerificationError(ErrorCode.PROOF_INVALID, detail)


def parse_credential_request(
    value: object, *, known_configuration_ids: Collection[str]
) -> CredentialRequest:
    """Read a Credential Request (§8.2). ``known_configuration_ids`` should be the ids the
    access token grants (§6.1 recommends tokens "valid only for the Credentials indicated in
    the Credential Offer"), not every id in the metadata. Unknown members are ignored (§8.2
    "MUST ignore any unrecognized parameters"), except the pre-1.0 singular ``proof`` when no
    ``proofs`` is given, which is refused with a pointed error instead of "proof missing".

    Signatures are not checked here: pass :attr:`CredentialRequest.proof_jwts` to
    :func:`~furusato_vc.core.oid4vci.proof.verify_proofs`.

    Raises:
        VerificationError: ``credential_request_invalid`` for a non-object, both or neither
            of ``credential_identifier`` and ``credential_configuration_id``, a
            ``credential_identifier`` (we issue none), a non-string configuration id, a
            ``credential_response_encryption`` (not offered), or a singular ``proof``
            without ``proofs``; ``credential_configuration_unknown`` for an id outside
            ``known_configuration_ids``; ``proof_missing`` without ``proofs`` or with an
            empty ``jwt`` array; ``proof_invalid`` if ``proofs`` is not an object with
            exactly one member, that member is not ``jwt`` (other proof types are not
            supported), or its value is not an array of strings of at most 8 KiB;
            ``batch_size_exceeded`` for more than 64 proofs.
    """
    if not isinstance(value, dict):
        raise _request_invalid("credential request is not a JSON object")
    has_identifier = "credential_identifier" in value
    has_configuration = "credential_configuration_id" in value
    if has_identifier and has_configuration:
        raise _request_invalid("credential_identifier and credential_configuration_id both set")
    if has_identifier:
        # §8.2: only when the Token Response returned authorization_details, which ours never do
        raise _request_invalid("credential_identifier is not issued by this issuer")
    configuration_id = value.get("credential_configuration_id")
    if not isinstance(configuration_id, str) or not configuration_id:
        raise _request_invalid("credential_configuration_id missing or not a string")
    if "credential_response_encryption" in value:
        raise _request_invalid("credential response encryption is not supported")
    if (
        len(configuration_id) > MAX_CONFIGURATION_ID_CHARS
        or configuration_id not in known_configuration_ids
    ):
        raise VerificationError(
            ErrorCode.CREDENTIAL_CONFIGURATION_UNKNOWN, "credential configuration unknown"
        )
    if "proofs" not in value:
        if "proof" in value:
            raise _request_invalid("singular proof is a pre-1.0 parameter; send proofs")
        raise VerificationError(ErrorCode.PROOF_MISSING, "proofs missing")  # §8.3.1.2 (1)
    proofs = value["proofs"]
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise _proof_invalid("proofs must hold exactly one proof type")  # §8.2
    if PROOF_TYPE_JWT not in proofs:
        raise _proof_invalid("only the jwt proof type is supported")
    jwts = proofs[PROOF_TYPE_JWT]
    if not isinstance(jwts, list):
        raise _proof_invalid("proofs.jwt is not an array")
    if not jwts:
        raise VerificationError(ErrorCode.PROOF_MISSING, "proofs.jwt is empty")
    if len(jwts) > MAX_PROOFS:
        raise VerificationError(ErrorCode.BATCH_SIZE_EXCEEDED, "too many proofs")
    if not all(isinstance(j, str) and 0 < len(j) <= MAX_PROOF_CHARS for j in jwts):
        raise _proof_invalid("proofs.jwt entries must be JWT strings")
    return CredentialRequest(
        credential_configuration_id=configuration_id,
        proof_jwts=tuple(str(j) for j in jwts),
    )


def parse_credential_request_json(
    data: bytes | str, *, known_configuration_ids: Collection[str]
) -> CredentialRequest:
    """:func:`parse_credential_request` over the raw ``application/json`` body (§8.2).

    Raises:
        VerificationError: ``credential_request_invalid`` also for a body that is too large
            or not strict JSON (§8.3.1.2 "otherwise malformed"); everything
            :func:`parse_credential_request` raises.
    """
    try:
        value = parse_json_object(data, limits=_REQUEST_LIMITS)
    except FormatError as exc:
        raise _request_invalid("body is not a JSON object") from exc
    return parse_credential_request(value, known_configuration_ids=known_configuration_ids)


def parse_credential_response(value: object) -> CredentialResponse:
    """The Wallet's reading of a Credential Response (§8.3). Deferred issuance
    (``transaction_id``) is not supported; unknown members (``notification_id`` …) are
    ignored.

    Raises:
        FormatError: ``malformed_request`` for a non-object, a deferred response, or a
            ``credentials`` member that is not a non-empty array of objects whose
            ``credential`` is a string.
    """
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "credential response is not an object")
    if "transaction_id" in value:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "deferred issuance is not supported")
    entries = value.get("credentials")
    if not isinstance(entries, list) or not entries or len(entries) > MAX_PROOFS:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "credentials is not a non-empty array")
    credentials: list[str] = []
    for entry in entries:
        credential = entry.get("credential") if isinstance(entry, dict) else None
        if not isinstance(credential, str) or not 0 < len(credential) <= MAX_CREDENTIAL_CHARS:
            raise FormatError(ErrorCode.MALFORMED_REQUEST, "credential is not a string")
        credentials.append(credential)
    return CredentialResponse(credentials=tuple(credentials))
