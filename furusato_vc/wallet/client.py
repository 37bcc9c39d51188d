"""OpenID for Verifiable Credential Issuance 1.0 (Final) client: the Wallet's side of the
Pre-Authorized Code Flow (§3.5) against the furusato-vc issuer service.

::

    parse_offer(text)                      §4.1 by value, or §4.1.3 fetched by reference
    obtain_credentials(offer, tx_code=…)
      ├── GET  /.well-known/openid-credential-issuer/<path>     §12.2.2 metadata
      ├── check the offer against it                            §13.5 (offers are untrusted)
      ├── token endpoint (metadata, or RFC 8414 metadata)        §12.3
      ├── POST token: pre-authorized code + tx_code             §6.1, §6.2
      └── for each configuration
          ├── N new keys in the KeyStore, POST nonce            §7
          ├── POST credential: N jwt proofs (Appendix F.1)      §8.2, §8.3 (batch)
          └── verify every copy on receipt, bound to its key

Every byte on the wire goes through a :class:`Transport` (the standard-library one is
:class:`furusato_vc.wallet.http.UrllibTransport`); this module does no I/O of its own, reads
no clock (``now`` is an argument) and uses no randomness (keys come from the
:class:`KeyStore`; the ``Idempotency-Key`` is a digest of the request).

Errors: a server that cannot be reached is ``issuer_unavailable``; an answer that is too large
or not what the protocol says is ``issuer_response_invalid``; an error answer carrying one of
the service's own codes (RFC 9457 problem+json with ``code``) raises that code, any other
error answer is ``issuer_rejected``. Keys created for an attempt that fails are deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

from furusato_vc.core.compact.credential import accept_compact
from furusato_vc.core.encoding import (
    JsonLimits,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
    parse_json_object,
)
from furusato_vc.core.errors import (
    ErrorCode,
    ErrorFamily,
    FormatError,
    FurusatoError,
    IssuanceError,
    RequestError,
    StorageError,
    VerificationError,
)
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.oid4vci._urls import check_url
from furusato_vc.core.oid4vci.constants import (
    BEARER,
    COMPACT_FORMAT,
    OAUTH_ERROR_FOR,
    SD_JWT_VC_FORMAT,
)
from furusato_vc.core.oid4vci.credential_request import (
    MAX_CREDENTIAL_CHARS,
    CredentialRequest,
    parse_credential_response,
)
from furusato_vc.core.oid4vci.metadata import check_offer_against_metadata, parse_issuer_metadata
from furusato_vc.core.oid4vci.nonce import parse_nonce_response
from furusato_vc.core.oid4vci.offer import (
    MAX_OFFER_CHARS,
    CredentialOffer,
    parse_credential_offer_json,
    parse_offer_uri,
)
from furusato_vc.core.oid4vci.proof import create_proof_jwt
from furusato_vc.core.oid4vci.token import TokenRequest, parse_token_response
from furusato_vc.core.oid4vci.well_known import (
    authorization_server_metadata_url,
    parse_authorization_server_metadata,
    well_known_metadata_url,
)
from furusato_vc.wallet.holder import accept_credential

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.oid4vci.metadata import CredentialConfiguration, IssuerMetadata
    from furusato_vc.core.registration.claims import Tier
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.wallet.keys import KeyStore

__all__ = [
    "DEFAULT_COPIES",
    "MAX_RESPONSE_BYTES",
    "SUPPORTED_FORMATS",
    "HttpResponse",
    "ObtainedCredentials",
    "ReceivedCopy",
    "Transport",
    "issuer_json_answer",
    "obtain_credentials",
    "parse_offer",
]

_T = TypeVar("_T")

MAX_RESPONSE_BYTES: Final = 2 * 1024 * 1024
DEFAULT_COPIES: Final = 3
SUPPORTED_FORMATS: Final = (SD_JWT_VC_FORMAT, COMPACT_FORMAT)
# one immediate retry of a credential request whose answer was lost (same Idempotency-Key, so
# the service replays what it issued), and one with a fresh c_nonce after invalid_nonce
_CREDENTIAL_RETRIES: Final = 1
_NONCE_RETRIES: Final = 1

_JSON: Final = "application/json"
_PROBLEM_JSON: Final = "application/problem+json"  # RFC 9457 §3
_FORM: Final = "application/x-www-form-urlencoded"
_RESPONSE_LIMITS = JsonLimits(max_bytes=MAX_RESPONSE_BYTES, max_depth=16)
_OAUTH_ERROR_TOKEN = re.compile(r"[a-z_]{1,64}")

# The codes an issuer's endpoints may answer with and the Wallet passes on as they are: those
# of the token and credential endpoints, and the service's request and issuance refusals. A
# remote server must never be able to claim one of the Wallet's own conditions (a corrupt
# store, a wrong passphrase, an untrusted credential …): those become ``issuer_rejected``.
_PASSED_ON: Final = frozenset(OAUTH_ERROR_FOR) | frozenset(
    code for code in ErrorCode if code.family in {ErrorFamily.REQUEST, ErrorFamily.ISSUANCE}
)
# The service's own storage failures (its database, its signing keys) mean, to the Wallet,
# that the issuer cannot serve it now.
_ISSUER_SIDE_STORAGE: Final = frozenset(
    {
        ErrorCode.DATABASE_UNAVAILABLE,
        ErrorCode.SIGNING_KEY_UNAVAILABLE,
        ErrorCode.STATUS_LIST_EXHAUSTED,
    }
)
_FAMILY_CLASS: Final[Mapping[ErrorFamily, type[FurusatoError]]] = MappingProxyType(
    {
        ErrorFamily.FORMAT: FormatError,
        ErrorFamily.VERIFICATION: VerificationError,
        ErrorFamily.ISSUANCE: IssuanceError,
        ErrorFamily.STORAGE: StorageError,
        ErrorFamily.REQUEST: RequestError,
    }
)


# ---------------------------------------------------------------------------- interfaces


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """One HTTP answer as a :class:`Transport` hands it over. Header names are lower-cased
    here, whatever the transport passed."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "headers",
            MappingProxyType({name.lower(): value for name, value in self.headers.items()}),
        )


class Transport(Protocol):
    """Sends one HTTP request and returns the answer, whatever its status. It must not follow
    redirects and should not read more than :data:`MAX_RESPONSE_BYTES` of a body."""

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None
    ) -> HttpResponse:
        """Raises:
        StorageError: ``issuer_unavailable`` when the server cannot be reached (no
            connection, timeout, connection closed mid-answer).
        FormatError: ``issuer_response_invalid`` for an answer it refused to read in full
            (too large).
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedCopy:
    """One issued credential, verified on receipt and bound to ``key_id``."""

    configuration_id: str
    format: str  # "dc+sd-jwt" or COMPACT_FORMAT
    credential: str  # as issued (compact: the base64url text the service returns)
    key_id: str  # the KeyStore key in its cnf (jwk / cose_key)


@dataclass(frozen=True, slots=True, kw_only=True)
class ObtainedCredentials:
    """What one offer brought: every copy of every requested configuration, all of one
    registration with ``body_code``."""

    issuer: str  # credential_issuer
    body_code: str
    metadata: IssuerMetadata
    copies: tuple[ReceivedCopy, ...]


# ---------------------------------------------------------------------------- HTTP answers


def _invalid(detail: str) -> FormatError:
    return FormatError(ErrorCode.ISSUER_RESPONSE_INVALID, detail)


def _media_type(response: HttpResponse) -> str:
    return response.headers.get("content-type", "").partition(";")[0].strip().lower()


def _error_of(
    response: HttpResponse, *, also_passed_on: frozenset[ErrorFamily] = frozenset()
) -> FurusatoError:
    """The error an error answer (4xx, 5xx) stands for."""
    try:
        value = parse_json(response.body, limits=_RESPONSE_LIMITS)
    except FormatError:
        value = None
    if isinstance(value, dict):
        code = value.get("code")
        if _media_type(response) == _PROBLEM_JSON and isinstance(code, str):
            try:
                known: ErrorCode | None = ErrorCode(code)
            except ValueError:
                known = None
            if known in _PASSED_ON or (known is not None and known.family in also_passed_on):
                return _FAMILY_CLASS[known.family](known, f"the issuer answered {known.value}")
            if known in _ISSUER_SIDE_STORAGE:
                return StorageError(
                    ErrorCode.ISSUER_UNAVAILABLE, f"the issuer answered {known.value}"
                )
        error = value.get("error")  # RFC 6749 §5.2, RFC 6750 §3.1, §8.3.1.2
        if isinstance(error, str):
            named = f" {error}" if _OAUTH_ERROR_TOKEN.fullmatch(error) else ""
            return VerificationError(
                ErrorCode.ISSUER_REJECTED, f"the issuer answered OAuth error{named}"
            )
    if response.status in {502, 503, 504}:  # a gateway in front of an issuer that is down
        return StorageError(ErrorCode.ISSUER_UNAVAILABLE, f"HTTP {response.status}")
    return VerificationError(ErrorCode.ISSUER_REJECTED, f"HTTP {response.status}")


def _checked(response: HttpResponse, *, what: str, max_bytes: int = MAX_RESPONSE_BYTES) -> bytes:
    """The body of a ``200`` answer, or the error the answer stands for.

    Raises:
        FormatError: ``issuer_response_invalid`` for a body over ``max_bytes``, a status that
            is neither 200 nor an error (redirects, 202 deferred issuance).
        FurusatoError: see :func:`_error_of`.
    """
    if len(response.body) > max_bytes:
        raise _invalid(f"{what}: answer too large")
    if response.status >= 400:
        raise _error_of(response)
    if response.status != 200:
        raise _invalid(f"{what}: unexpected HTTP {response.status}")
    return response.body


def _json_answer(response: HttpResponse, *, what: str) -> JSONObject:
    """A ``200 application/json`` answer's object (§6.2, §7.2, §8.3, §12.2.2 all answer JSON).

    Raises:
        FormatError: ``issuer_response_invalid``; and see :func:`_checked`.
    """
    body = _checked(response, what=what)
    if _media_type(response) != _JSON:
        raise _invalid(f"{what}: not application/json")
    try:
        return parse_json_object(body, limits=_RESPONSE_LIMITS)
    except FormatError as exc:
        raise _invalid(f"{what}: not a JSON object") from exc


def issuer_json_answer(
    response: HttpResponse,
    *,
    what: str,
    statuses: frozenset[int] = frozenset({200}),
    also_passed_on: frozenset[ErrorFamily] = frozenset(),
) -> JSONObject:
    """The JSON object of a successful answer of the issuer service (any of ``statuses``),
    or the error an error answer stands for (the service's own codes are passed on, and
    those of ``also_passed_on`` families: the registration API's verification codes, such
    as ``identity_signature_invalid``, are about what the app sent and mean the same here).

    Raises:
        FormatError: ``issuer_response_invalid`` (too large, not JSON, another status).
        FurusatoError: the service's code, ``issuer_unavailable`` or ``issuer_rejected``.
    """
    if response.status >= 400 and also_passed_on:
        raise _error_of(response, also_passed_on=also_passed_on)
    if response.status in statuses and response.status != 200:
        response = HttpResponse(status=200, headers=response.headers, body=response.body)
    return _json_answer(response, what=what)


def _as_answer(parse: Callable[[], _T], *, what: str) -> _T:
    """Run a core parser over an issuer's answer: its malformed_request is the issuer's fault."""
    try:
        return parse()
    except FormatError as exc:
        raise _invalid(f"{what}: {exc.detail or exc.code.value}") from exc


# ---------------------------------------------------------------------------- offer


def parse_offer(
    text: str, *, transport: Transport, allow_insecure_localhost: bool = False
) -> CredentialOffer:
    """Read a Credential Offer as scanned or clicked: ``openid-credential-offer://?
    credential_offer=…`` (by value, §4.1.2), ``…?credential_offer_uri=…`` (by reference,
    §4.1.3: fetched with ``GET``, answered as ``application/json``) or a bare JSON offer
    object. The offer is still untrusted (§13.5): :func:`obtain_credentials` checks it
    against the issuer's metadata.

    Raises:
        FormatError: ``malformed_request`` for text that is no offer (including a
            ``credential_offer_uri`` or ``credential_issuer`` that is not ``https``);
            ``issuer_response_invalid`` when the fetched offer is not a ``200``
            ``application/json`` Credential Offer of at most 8 KiB.
        StorageError: ``issuer_unavailable``.
        FurusatoError: an error answer to the fetch (``issuer_rejected``, or the service's
            own code such as ``resource_not_found``).
    """
    text = text.strip()
    if text.startswith("{"):
        return parse_credential_offer_json(text, allow_insecure_localhost=allow_insecure_localhost)
    parsed = parse_offer_uri(text, allow_insecure_localhost=allow_insecure_localhost)
    if isinstance(parsed, CredentialOffer):
        return parsed
    response = transport.request("GET", parsed.uri, headers={"accept": _JSON}, body=None)
    body = _checked(response, what="credential offer", max_bytes=MAX_OFFER_CHARS)
    if _media_type(response) != _JSON:  # §4.1.3 "MUST respond with ... application/json"
        raise _invalid("credential offer: not application/json")
    return _as_answer(
        lambda: parse_credential_offer_json(
            body, allow_insecure_localhost=allow_insecure_localhost
        ),
        what="credential offer",
    )


# ---------------------------------------------------------------------------- issuance


@dataclass(frozen=True, slots=True, kw_only=True)
class _Session:
    """What every step needs: the offer, where to send things, and how."""

    offer: CredentialOffer
    metadata: IssuerMetadata
    transport: Transport
    keys: KeyStore
    trust: RegistrationTrust
    now: datetime
    body_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _Received:
    copy: ReceivedCopy
    # what must agree between copies: the SD-JWT VC's registration, or the QR credential's
    registration: tuple[str, Tier, str | None, str, str | None] | None
    tier: Tier


def _check_arguments(
    offer: CredentialOffer, tx_code: str | None, copies: Mapping[str, int] | None
) -> None:
    if offer.tx_code is None and tx_code is not None:
        raise ValueError("this offer takes no transaction code")
    if copies is None:
        return
    if not copies:
        raise ValueError("copies must name at least one credential configuration")
    for configuration_id, count in copies.items():
        if configuration_id not in offer.credential_configuration_ids:
            raise ValueError("copies names a configuration the offer does not offer")
        value: object = count  # callers may not be type-checked
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("copies must be positive integers")


def _fetch_metadata(
    offer: CredentialOffer, *, transport: Transport, allow_insecure_localhost: bool
) -> tuple[IssuerMetadata, JSONObject]:
    """§12.2.2: GET the well-known location built from the offer's issuer; §12.2.4: its
    ``credential_issuer`` must be that issuer."""
    url = well_known_metadata_url(
        offer.credential_issuer, allow_insecure_localhost=allow_insecure_localhost
    )
    response = transport.request("GET", url, headers={"accept": _JSON}, body=None)
    document = _json_answer(response, what="issuer metadata")
    metadata = _as_answer(
        lambda: parse_issuer_metadata(
            document,
            expected_issuer=offer.credential_issuer,
            allow_insecure_localhost=allow_insecure_localhost,
        ),
        what="issuer metadata",
    )
    return metadata, document


def _token_endpoint(
    offer: CredentialOffer,
    metadata: IssuerMetadata,
    document: JSONObject,
    *,
    transport: Transport,
    allow_insecure_localhost: bool,
) -> str:
    """Where to redeem the pre-authorized code. With no ``authorization_servers`` the issuer
    is its own Authorization Server (§12.2.4); ours names its ``token_endpoint`` in its
    metadata, otherwise the Authorization Server's RFC 8414 metadata says (§12.3)."""
    if offer.authorization_server is not None:  # §4.1.1, checked against the metadata
        server = offer.authorization_server
    elif len(metadata.authorization_servers) > 1:
        raise _invalid("several authorization servers and no hint in the offer (§4.1.1)")
    elif metadata.authorization_servers:
        server = metadata.authorization_servers[0]
    else:
        server = metadata.credential_issuer
    if server == metadata.credential_issuer and "token_endpoint" in document:
        return _as_answer(
            lambda: (
                check_url(
                    document["token_endpoint"],
                    what="token_endpoint",
                    allow_query=True,
                    allow_insecure_localhost=allow_insecure_localhost,
                ).url
            ),
            what="issuer metadata",
        )
    url = _as_answer(
        lambda: authorization_server_metadata_url(
            server, allow_insecure_localhost=allow_insecure_localhost
        ),
        what="authorization server",
    )
    response = transport.request("GET", url, headers={"accept": _JSON}, body=None)
    value = _json_answer(response, what="authorization server metadata")
    return _as_answer(
        lambda: (
            parse_authorization_server_metadata(
                value, expected_issuer=server, allow_insecure_localhost=allow_insecure_localhost
            ).token_endpoint
        ),
        what="authorization server metadata",
    )


def _plan(
    offer: CredentialOffer, metadata: IssuerMetadata, copies: Mapping[str, int] | None
) -> tuple[tuple[CredentialConfiguration, int], ...]:
    """Which configurations to request and how many copies of each, capped by the issuer's
    ``batch_size`` (§12.2.4: more proofs than that in one request are refused)."""
    plan: list[tuple[CredentialConfiguration, int]] = []
    for configuration_id in offer.credential_configuration_ids:
        if copies is not None and configuration_id not in copies:
            continue
        configuration = metadata.configuration(configuration_id)
        if configuration is None:  # pragma: no cover - check_offer_against_metadata ran
            raise _invalid("offered configuration is not in the metadata")
        # a furusato credential is one of our formats and bound to a holder key (§12.2.4
        # cryptographic_binding_methods_supported)
        if (
            configuration.format not in SUPPORTED_FORMATS
            or not configuration.cryptographic_binding_methods
        ):
            if copies is None:
                continue  # not ours to hold; the other configurations still are
            raise _invalid("a requested configuration is not one this wallet can hold")
        wanted = DEFAULT_COPIES if copies is None else copies[configuration_id]
        plan.append((configuration, min(wanted, metadata.batch_size)))
    if not plan:
        raise _invalid("the offer has no configuration this wallet can hold")
    return tuple(plan)


def _redeem(session: _Session, *, token_endpoint: str, tx_code: str | None) -> str:
    """§6.1 Token Request with the pre-authorized code and the Transaction Code; the access
    token of the §6.2 answer (a ``Bearer`` token: RFC 6749 §7.1)."""
    request = TokenRequest(pre_authorized_code=session.offer.pre_authorized_code, tx_code=tx_code)
    response = session.transport.request(
        "POST",
        token_endpoint,
        headers={"content-type": _FORM, "accept": _JSON},
        body=request.to_form().encode("ascii"),
    )
    value = _json_answer(response, what="token response")
    return _as_answer(lambda: parse_token_response(value), what="token response").access_token


def _fresh_nonce(session: _Session) -> str | None:
    """§7.1: POST to the Nonce Endpoint (no body); §7.2: ``c_nonce``. Without a Nonce
    Endpoint, proofs carry no nonce (Appendix F.1)."""
    endpoint = session.metadata.nonce_endpoint
    if endpoint is None:
        return None
    response = session.transport.request("POST", endpoint, headers={"accept": _JSON}, body=None)
    value = _json_answer(response, what="nonce response")
    return _as_answer(lambda: parse_nonce_response(value), what="nonce response").c_nonce


def _credential_request_body(
    session: _Session, configuration_id: str, signers: Sequence[Signer]
) -> bytes:
    """§8.2: one ``jwt`` proof per key (Appendix F.1: ``aud`` the Credential Issuer, ``nonce``
    the fresh ``c_nonce``); batch issuance is several proofs in one request (§8.3)."""
    nonce = _fresh_nonce(session)
    issued_at = to_numeric_date(session.now)
    proofs = tuple(
        create_proof_jwt(
            signer, audience=session.offer.credential_issuer, nonce=nonce, issued_at=issued_at
        )
        for signer in signers
    )
    request = CredentialRequest(credential_configuration_id=configuration_id, proof_jwts=proofs)
    return dumps_compact(request.to_json()).encode("utf-8")


def _post_credential_request(session: _Session, *, access_token: str, body: bytes) -> HttpResponse:
    """Send one Credential Request; a lost answer is asked for once more with the same
    ``Idempotency-Key`` (a digest of the request, which holds fresh keys and proofs), so the
    service replays the credentials it issued instead of issuing (or refusing) again."""
    headers = {
        "content-type": _JSON,
        "accept": _JSON,
        "authorization": f"{BEARER} {access_token}",  # RFC 6750 §2.1
        "idempotency-key": b64url_encode(hashlib.sha256(body).digest()),
    }
    for _ in range(_CREDENTIAL_RETRIES):
        try:
            return session.transport.request(
                "POST", session.metadata.credential_endpoint, headers=headers, body=body
            )
        except StorageError as exc:
            if exc.code is not ErrorCode.ISSUER_UNAVAILABLE:
                raise
    return session.transport.request(
        "POST", session.metadata.credential_endpoint, headers=headers, body=body
    )


def _credential_answer(
    session: _Session, configuration_id: str, signers: Sequence[Signer], *, access_token: str
) -> JSONObject:
    """The §8.3 answer to a Credential Request for ``signers``' keys. §8.3.1.2
    ``invalid_nonce``: "the Wallet should retrieve a new c_nonce", so it is tried again once
    with fresh proofs."""
    for _ in range(_NONCE_RETRIES):
        response = _post_credential_request(
            session,
            access_token=access_token,
            body=_credential_request_body(session, configuration_id, signers),
        )
        try:
            return _json_answer(response, what="credential response")
        except VerificationError as exc:
            if exc.code is not ErrorCode.PROOF_NONCE_INVALID:
                raise
    response = _post_credential_request(
        session,
        access_token=access_token,
        body=_credential_request_body(session, configuration_id, signers),
    )
    return _json_answer(response, what="credential response")


def _obtain_configuration(
    session: _Session,
    configuration: CredentialConfiguration,
    count: int,
    *,
    access_token: str,
    created: list[str],
) -> list[_Received]:
    key_ids = []
    for _ in range(count):
        key_ids.append(session.keys.create_key())
        created.append(key_ids[-1])
    signers = [session.keys.signer(key_id) for key_id in key_ids]
    value = _credential_answer(session, configuration.id, signers, access_token=access_token)
    parsed = _as_answer(lambda: parse_credential_response(value), what="credential response")
    if len(parsed.credentials) > len(signers):  # §8.3: at most one credential per key
        raise _invalid("more credentials than key proofs")
    received: list[_Received] = []
    unmatched = list(range(len(signers)))
    for position, credential in enumerate(parsed.credentials):
        # issuers answer in the order of the proofs; any other order costs more verifications
        candidates = sorted(unmatched, key=lambda index: index != position)
        for index in candidates:
            try:
                item = _verify_copy(
                    session, configuration, credential, signers[index], key_ids[index]
                )
            except VerificationError as exc:
                if exc.code is ErrorCode.HOLDER_KEY_MISMATCH and index != candidates[-1]:
                    continue
                raise
            unmatched.remove(index)
            received.append(item)
            break
    for index in unmatched:  # the issuer issued fewer copies than asked for
        _delete_quietly(session.keys, key_ids[index])
        created.remove(key_ids[index])
    return received


def _verify_copy(
    session: _Session,
    configuration: CredentialConfiguration,
    credential: str,
    signer: Signer,
    key_id: str,
) -> _Received:
    """Verify one copy on receipt against the trust data (and, for SD-JWT VCs, the type
    metadata), bound to ``signer``'s key, for the offering issuer's body."""
    copy = ReceivedCopy(
        configuration_id=configuration.id,
        format=configuration.format,
        credential=credential,
        key_id=key_id,
    )
    if configuration.format == SD_JWT_VC_FORMAT:
        held = accept_credential(
            credential, holder_key=signer.public_jwk, trust=session.trust, now=session.now
        )
        if held.verified.vct != configuration.vct:  # Appendix A.3.2
            raise VerificationError(ErrorCode.VCT_NOT_ACCEPTED, "vct is not the configuration's")
        registration = held.registration
        if registration.issuing_body != session.body_code:
            raise VerificationError(
                ErrorCode.CREDENTIAL_MISMATCH, "credential is not of the offering issuer's body"
            )
        return _Received(
            copy=copy,
            registration=(
                registration.issuing_body,
                registration.tier,
                registration.registration_id,
                registration.valid_from.isoformat(),
                None if registration.valid_until is None else registration.valid_until.isoformat(),
            ),
            tier=registration.tier,
        )
    # the compact credential travels as base64url of its COSE_Sign1 bytes
    raw = _as_answer(
        lambda: b64url_decode(credential, max_chars=MAX_CREDENTIAL_CHARS),
        what="compact credential",
    )
    compact = accept_compact(raw, holder_key=signer.public_jwk, keys=session.trust, now=session.now)
    if compact.body_code != session.body_code:
        raise VerificationError(
            ErrorCode.CREDENTIAL_MISMATCH, "credential is not of the offering issuer's body"
        )
    return _Received(copy=copy, registration=None, tier=compact.tier)


def _check_one_registration(received: Sequence[_Received]) -> None:
    """Every copy describes the same registration: SD-JWT VCs by body, tier, registration id
    and validity; QR credentials (which carry no registration id) by body and tier."""
    registrations = {r.registration for r in received if r.registration is not None}
    tiers = {r.tier for r in received}
    if len(registrations) > 1 or len(tiers) > 1:
        raise VerificationError(
            ErrorCode.CREDENTIAL_MISMATCH, "the copies describe different registrations"
        )


def _delete_quietly(keys: KeyStore, key_id: str) -> None:
    # cleanup must not hide the error that caused it
    with contextlib.suppress(FurusatoError):
        keys.delete_key(key_id)


def obtain_credentials(
    offer: CredentialOffer,
    *,
    tx_code: str | None,
    transport: Transport,
    keys: KeyStore,
    trust: RegistrationTrust,
    now: datetime,
    copies: Mapping[str, int] | None = None,
    allow_insecure_localhost: bool = False,
) -> ObtainedCredentials:
    """Redeem ``offer`` (Pre-Authorized Code Flow, §3.5) and return every credential it
    grants, each verified on receipt and bound to a new key of ``keys``.

    ``copies`` maps configuration ids of the offer to the number of copies (batch issuance,
    §8.3; one key each, so verifiers cannot link presentations); by default every offered
    configuration of a format this wallet holds, :data:`DEFAULT_COPIES` each. Counts are
    capped by the issuer's ``batch_size`` (§12.2.4). The issuer may issue fewer copies than
    asked; their keys are deleted. If anything fails, every key created here is deleted and
    nothing is returned (the pre-authorized code may be spent: ask the issuer for a new
    offer).

    The issuer must be in ``trust`` before it is contacted, so an out-of-date trust list does
    not spend the offer. Every copy is verified as the holder verifies (signature, every
    Disclosure, type metadata, ``cnf`` is the key it was requested for, the issuer may issue
    for the body it names) and all copies must describe one registration of the offering
    issuer's body.

    Raises:
        ValueError: ``tx_code`` for an offer without one; ``copies`` empty, naming a
            configuration the offer does not offer, or not a positive count; a naive ``now``.
        VerificationError: ``tx_code_missing`` when the offer needs a Transaction Code and
            none is given (checked before any request); ``issuer_not_trusted`` and the trust
            data's currency codes before any request; ``issuer_rejected`` for an error
            answer without one of the service's codes; the service's codes as answered
            (``tx_code_invalid``, ``tx_code_attempts_exceeded``,
            ``pre_authorized_code_invalid``, ``access_token_invalid``, ``proof_invalid`` …);
            every rejection of a received credential (``signature_invalid``,
            ``issuer_not_trusted``, ``issuer_key_unknown``, ``holder_key_mismatch``,
            ``type_metadata_*``, ``vct_not_accepted``, ``token_expired`` …);
            ``credential_mismatch`` for copies of different registrations or of another
            body.
        FormatError: ``malformed_request`` for an offer whose issuer is not an ``https`` URL;
            ``issuer_response_invalid`` for an answer over 2 MiB, not ``200
            application/json`` where the protocol says so, or not what §6.2, §7.2, §8.3,
            §12.2.4 or RFC 8414 describe, metadata of another issuer or without the offered
            configurations, more credentials than proofs; format codes of a malformed
            credential (``malformed_sd_jwt``, ``malformed_cose`` …).
        StorageError: ``issuer_unavailable`` when the issuer cannot be reached or answers
            that it cannot serve now; what ``keys`` raises (``wallet_key_unavailable``).
        RequestError, IssuanceError: the service's refusals as answered (``rate_limited``,
            ``request_too_large``, ``resource_not_found``, ``body_not_issuing`` …).
    """
    _check_arguments(offer, tx_code, copies)
    trust.check_current(now=to_numeric_date(now))
    body_code = trust.body_for_issuer(offer.credential_issuer)
    if offer.tx_code is not None and tx_code is None:
        raise VerificationError(ErrorCode.TX_CODE_MISSING, "the offer needs a transaction code")
    metadata, document = _fetch_metadata(
        offer, transport=transport, allow_insecure_localhost=allow_insecure_localhost
    )
    _as_answer(lambda: check_offer_against_metadata(offer, metadata), what="issuer metadata")
    plan = _plan(offer, metadata, copies)
    token_endpoint = _token_endpoint(
        offer,
        metadata,
        document,
        transport=transport,
        allow_insecure_localhost=allow_insecure_localhost,
    )
    session = _Session(
        offer=offer,
        metadata=metadata,
        transport=transport,
        keys=keys,
        trust=trust,
        now=now,
        body_code=body_code,
    )
    access_token = _redeem(session, token_endpoint=token_endpoint, tx_code=tx_code)
    created: list[str] = []
    try:
        received: list[_Received] = []
        for configuration, count in plan:
            received.extend(
                _obtain_configuration(
                    session, configuration, count, access_token=access_token, created=created
                )
            )
        _check_one_registration(received)
    except BaseException:
        for key_id in created:
            _delete_quietly(keys, key_id)
        raise
    return ObtainedCredentials(
        issuer=offer.credential_issuer,
        body_code=body_code,
        metadata=metadata,
        copies=tuple(r.copy for r in received),
    )
