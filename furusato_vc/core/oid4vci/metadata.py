"""Credential Issuer Metadata (OpenID4VCI 1.0 §12.2): the issuer's document
(:func:`issuer_metadata`) and the Wallet's strict reading of it (:func:`parse_issuer_metadata`).

Our issuer is its own Authorization Server for the pre-authorized grant, so
``authorization_servers`` is omitted (§12.2.4); it requires key binding and nonces, so every
configuration has ``cryptographic_binding_methods_supported`` and ``proof_types_supported``
and the document has a ``nonce_endpoint``. It offers no encryption, no deferred issuance and no
notifications, so those members are omitted too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.jose.algorithms import JwsAlgorithm
from furusato_vc.core.oid4vci._urls import check_url, check_url_argument
from furusato_vc.core.oid4vci.constants import (
    BINDING_METHOD_COSE_KEY,
    BINDING_METHOD_JWK,
    COMPACT_FORMAT,
    COSE_ES256,
    PROOF_TYPE_JWT,
    SD_JWT_VC_FORMAT,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.oid4vci.offer import CredentialOffer

__all__ = [
    "ClaimDescription",
    "CredentialConfiguration",
    "Display",
    "IssuerMetadata",
    "check_offer_against_metadata",
    "compact_configuration",
    "issuer_metadata",
    "parse_issuer_metadata",
    "parse_issuer_metadata_json",
    "sd_jwt_vc_configuration",
]

MAX_METADATA_BYTES: Final = 256 * 1024
MAX_CONFIGURATIONS: Final = 64
MAX_ARRAY: Final = 64
_METADATA_LIMITS = JsonLimits(max_bytes=MAX_METADATA_BYTES, max_depth=12)

ClaimPathElement = str | int | None  # Appendix C: name, array index, or null (all elements)


@dataclass(frozen=True, slots=True, kw_only=True)
class Display:
    """One language's display properties (§12.2.4 ``display``; ``logo`` is not modelled)."""

    name: str
    locale: str | None = None
    description: str | None = None

    def to_json(self) -> JSONObject:
        out: JSONObject = {"name": self.name}
        if self.locale is not None:
            out["locale"] = self.locale
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimDescription:
    """A claims description object (Appendix B.2) with a claims path pointer (Appendix C)."""

    path: tuple[ClaimPathElement, ...]
    mandatory: bool = False
    display: tuple[Display, ...] = ()

    def __post_init__(self) -> None:
        if not self.path or not all(_valid_path_element(e) for e in self.path):
            raise ValueError("path must be a non-empty claims path pointer")
        _check_locales(self.display)

    def to_json(self) -> JSONObject:
        out: JSONObject = {"path": list(self.path)}
        if self.mandatory:
            out["mandatory"] = True
        if self.display:
            out["display"] = [d.to_json() for d in self.display]
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialConfiguration:
    """One entry of ``credential_configurations_supported`` (§12.2.4). Build ours with
    :func:`sd_jwt_vc_configuration` or :func:`compact_configuration`, which fill in the
    algorithms and binding of our profile. ``proof_signing_alg_values`` lists the algorithms
    of the ``jwt`` proof type; empty means no ``jwt`` proofs (and, for our own documents, no
    key binding)."""

    id: str
    format: str
    scope: str | None = None
    vct: str | None = None
    credential_signing_alg_values: tuple[str | int, ...] = ()
    cryptographic_binding_methods: tuple[str, ...] = ()
    proof_signing_alg_values: tuple[str, ...] = ()
    display: tuple[Display, ...] = ()
    claims: tuple[ClaimDescription, ...] = ()

    def __post_init__(self) -> None:
        if not self.id or not self.format:
            raise ValueError("id and format must be non-empty")
        if self.format == SD_JWT_VC_FORMAT and not self.vct:
            raise ValueError("a dc+sd-jwt configuration needs a vct (Appendix A.3.2)")
        _check_locales(self.display)

    def to_json(self) -> JSONObject:
        out: JSONObject = {"format": self.format}
        if self.scope is not None:
            out["scope"] = self.scope
        if self.vct is not None:
            out["vct"] = self.vct
        if self.credential_signing_alg_values:
            out["credential_signing_alg_values_supported"] = list(
                self.credential_signing_alg_values
            )
        if self.cryptographic_binding_methods:
            out["cryptographic_binding_methods_supported"] = list(
                self.cryptographic_binding_methods
            )
        if self.proof_signing_alg_values:
            out["proof_types_supported"] = {
                PROOF_TYPE_JWT: {
                    "proof_signing_alg_values_supported": list(self.proof_signing_alg_values)
                }
            }
        credential_metadata: JSONObject = {}
        if self.display:
            credential_metadata["display"] = [d.to_json() for d in self.display]
        if self.claims:
            credential_metadata["claims"] = [c.to_json() for c in self.claims]
        if credential_metadata:
            out["credential_metadata"] = credential_metadata
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerMetadata:
    """The parameters of §12.2.4 that furusato-vc uses. ``batch_size`` 1 means no
    ``batch_credential_issuance``; ``authorization_servers`` empty means the issuer is its own
    Authorization Server."""

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    configurations: tuple[CredentialConfiguration, ...]
    batch_size: int = 1
    display: tuple[Display, ...] = ()
    authorization_servers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ids = [c.id for c in self.configurations]
        if len(set(ids)) != len(ids):
            raise ValueError("credential configuration ids must be unique")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        _check_locales(self.display)

    def configuration(self, configuration_id: str) -> CredentialConfiguration | None:
        return next((c for c in self.configurations if c.id == configuration_id), None)

    def to_json(self) -> JSONObject:
        out: JSONObject = {"credential_issuer": self.credential_issuer}
        if self.authorization_servers:
            out["authorization_servers"] = list(self.authorization_servers)
        out["credential_endpoint"] = self.credential_endpoint
        if self.nonce_endpoint is not None:
            out["nonce_endpoint"] = self.nonce_endpoint
        if self.batch_size >= 2:  # §12.2.4: "It MUST be 2 or greater"
            out["batch_credential_issuance"] = {"batch_size": self.batch_size}
        if self.display:
            out["display"] = [d.to_json() for d in self.display]
        out["credential_configurations_supported"] = {
            c.id: c.to_json() for c in self.configurations
        }
        return out


def _valid_path_element(element: object) -> bool:
    if element is None or isinstance(element, str):
        return True
    return isinstance(element, int) and not isinstance(element, bool) and element >= 0


def _check_locales(display: Sequence[Display]) -> None:
    locales = [d.locale for d in display]
    if len(set(locales)) != len(locales):  # §12.2.4 "only one object for each language"
        raise ValueError("display has two entries for one locale")


def sd_jwt_vc_configuration(
    *,
    id: str,  # noqa: A002 - the wire name of §12.2.4
    vct: str,
    display: Sequence[Display],
    scope: str | None = None,
    claims: Sequence[ClaimDescription] = (),
) -> CredentialConfiguration:
    """A ``dc+sd-jwt`` configuration of our profile (Appendix A.3): ES256-signed, bound to a
    ``jwk`` proven by an ES256 ``jwt`` proof. ``scope`` defaults to the id (HAIP §4.1 wants
    a scope on every configuration)."""
    return CredentialConfiguration(
        id=id,
        format=SD_JWT_VC_FORMAT,
        scope=scope if scope is not None else id,
        vct=vct,
        credential_signing_alg_values=(JwsAlgorithm.ES256.value,),
        cryptographic_binding_methods=(BINDING_METHOD_JWK,),
        proof_signing_alg_values=(JwsAlgorithm.ES256.value,),
        display=tuple(display),
        claims=tuple(claims),
    )


def compact_configuration(
    *,
    id: str,  # noqa: A002 - the wire name of §12.2.4
    display: Sequence[Display],
    scope: str | None = None,
    claims: Sequence[ClaimDescription] = (),
) -> CredentialConfiguration:
    """A configuration for our compact QR credential (``furusato+sd-cwt``): COSE ES256 (-7,
    numeric as for ``mso_mdoc``, Appendix A.2.2), bound to a ``cose_key`` in ``cnf`` that the
    Wallet proves with an ES256 ``jwt`` proof (the issuer converts the proof's JWK)."""
    return CredentialConfiguration(
        id=id,
        format=COMPACT_FORMAT,
        scope=scope if scope is not None else id,
        credential_signing_alg_values=(COSE_ES256,),
        cryptographic_binding_methods=(BINDING_METHOD_COSE_KEY,),
        proof_signing_alg_values=(JwsAlgorithm.ES256.value,),
        display=tuple(display),
        claims=tuple(claims),
    )


def issuer_metadata(
    credential_issuer: str,
    *,
    credential_endpoint: str,
    nonce_endpoint: str,
    batch_size: int,
    display: Sequence[Display],
    configurations: Sequence[CredentialConfiguration],
    allow_insecure_localhost: bool = False,
) -> JSONObject:
    """The unsigned Credential Issuer Metadata document (§12.2.2, §12.2.4), served as
    ``application/json`` at :func:`~furusato_vc.core.oid4vci.well_known_metadata_url`.

    Raises:
        ValueError: an issuer identifier that is not an ``https`` URL without query or
            fragment (§12.2.1), non-``https`` endpoints, no configurations, duplicate ids or
            locales, or ``batch_size`` below 1.
    """
    check_url_argument(
        credential_issuer,
        what="credential_issuer",
        allow_query=False,
        allow_insecure_localhost=allow_insecure_localhost,
    )
    for what, url in (
        ("credential_endpoint", credential_endpoint),
        ("nonce_endpoint", nonce_endpoint),
    ):
        check_url_argument(
            url, what=what, allow_query=True, allow_insecure_localhost=allow_insecure_localhost
        )
    if not configurations:
        raise ValueError("at least one credential configuration is required")
    return IssuerMetadata(
        credential_issuer=credential_issuer,
        credential_endpoint=credential_endpoint,
        nonce_endpoint=nonce_endpoint,
        batch_size=batch_size,
        display=tuple(display),
        configurations=tuple(configurations),
    ).to_json()


# --- the Wallet side


def _malformed(detail: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_REQUEST, detail)


def _optional_str(obj: JSONObject, name: str, what: str) -> str | None:
    value = obj.get(name)
    if value is None and name not in obj:
        return None
    if not isinstance(value, str):
        raise _malformed(f"{what}.{name} is not a string")
    return value


def _array(value: JSONValue, what: str) -> list[JSONValue]:
    if not isinstance(value, list) or not value or len(value) > MAX_ARRAY:
        raise _malformed(f"{what} is not a non-empty array")
    return value


def _string_array(value: JSONValue, what: str) -> tuple[str, ...]:
    items = _array(value, what)
    if not all(isinstance(i, str) and i for i in items):
        raise _malformed(f"{what} has a non-string entry")
    return tuple(str(i) for i in items)


def _parse_display(value: JSONValue, what: str, *, name_required: bool) -> tuple[Display, ...]:
    """Entries without a ``name`` are skipped where the name is optional (issuer and claim
    display): there is nothing to show."""
    entries: list[Display] = []
    for entry in _array(value, what):
        if not isinstance(entry, dict):
            raise _malformed(f"{what} entry is not an object")
        name = _optional_str(entry, "name", what)
        locale = _optional_str(entry, "locale", what)
        description = _optional_str(entry, "description", what)
        if name is None:
            if name_required:
                raise _malformed(f"{what} entry has no name")
            continue
        entries.append(Display(name=name, locale=locale, description=description))
    locales = [e.locale for e in entries]
    if len(set(locales)) != len(locales):
        raise _malformed(f"{what} has two entries for one locale")
    return tuple(entries)


def _parse_claims(value: JSONValue) -> tuple[ClaimDescription, ...]:
    claims: list[ClaimDescription] = []
    for entry in _array(value, "claims"):
        if not isinstance(entry, dict):
            raise _malformed("claims entry is not an object")
        path = _array(entry.get("path"), "claims.path")
        if not all(_valid_path_element(e) for e in path):
            raise _malformed("claims.path is not a claims path pointer")
        mandatory = entry.get("mandatory", False)
        if not isinstance(mandatory, bool):
            raise _malformed("claims.mandatory is not a boolean")
        display = (
            _parse_display(entry["display"], "claims.display", name_required=False)
            if "display" in entry
            else ()
        )
        claims.append(
            ClaimDescription(
                path=tuple(e for e in path if e is None or isinstance(e, str | int)),
                mandatory=mandatory,
                display=display,
            )
        )
    return tuple(claims)


def _parse_configuration(configuration_id: str, value: JSONValue) -> CredentialConfiguration:
    if not configuration_id:
        raise _malformed("empty credential configuration id")
    if not isinstance(value, dict):
        raise _malformed("credential configuration is not an object")
    what = "credential configuration"
    credential_format = _optional_str(value, "format", what)
    if not credential_format:
        raise _malformed("credential configuration has no format")
    vct = _optional_str(value, "vct", what)
    if credential_format == SD_JWT_VC_FORMAT and not vct:
        raise _malformed("dc+sd-jwt configuration has no vct")  # Appendix A.3.2
    signing: tuple[str | int, ...] = ()
    if "credential_signing_alg_values_supported" in value:
        algs = _array(value["credential_signing_alg_values_supported"], "signing algorithms")
        if not all(isinstance(a, str | int) and not isinstance(a, bool) for a in algs):
            raise _malformed("signing algorithm is not a string or number")
        signing = tuple(a for a in algs if isinstance(a, str | int))
    binding: tuple[str, ...] = ()
    if "cryptographic_binding_methods_supported" in value:
        binding = _string_array(value["cryptographic_binding_methods_supported"], "binding methods")
    # §12.2.4 wants proof_types_supported present iff binding methods are, but the published
    # mso_mdoc example has binding without proof types: tolerated here, and refused by
    # check_offer_against_metadata for a configuration the Wallet is actually offered.
    proof_types = value.get("proof_types_supported")
    proof_algs: tuple[str, ...] = ()
    if proof_types is not None:
        if not isinstance(proof_types, dict) or not proof_types:
            raise _malformed("proof_types_supported is not a non-empty object")
        for proof_type in proof_types.values():
            if not isinstance(proof_type, dict):
                raise _malformed("proof type metadata is not an object")
            _string_array(proof_type.get("proof_signing_alg_values_supported"), "proof algorithms")
        jwt = proof_types.get(PROOF_TYPE_JWT)
        if isinstance(jwt, dict):
            proof_algs = _string_array(
                jwt.get("proof_signing_alg_values_supported"), "proof algorithms"
            )
    display: tuple[Display, ...] = ()
    claims: tuple[ClaimDescription, ...] = ()
    if "credential_metadata" in value:
        credential_metadata = value["credential_metadata"]
        if not isinstance(credential_metadata, dict):
            raise _malformed("credential_metadata is not an object")
        if "display" in credential_metadata:
            display = _parse_display(
                credential_metadata["display"], "credential display", name_required=True
            )
        if "claims" in credential_metadata:
            claims = _parse_claims(credential_metadata["claims"])
    return CredentialConfiguration(
        id=configuration_id,
        format=credential_format,
        scope=_optional_str(value, "scope", what),
        vct=vct,
        credential_signing_alg_values=signing,
        cryptographic_binding_methods=binding,
        proof_signing_alg_values=proof_algs,
        display=display,
        claims=claims,
    )


def parse_issuer_metadata(
    value: object, *, expected_issuer: str, allow_insecure_localhost: bool = False
) -> IssuerMetadata:
    """The Wallet's strict reading of unsigned Credential Issuer Metadata (§12.2.4). Unknown
    members are ignored (§12.2.4 "MUST ignore any unrecognized parameters"); logos are not
    kept.

    Raises:
        FormatError: ``malformed_request`` for a non-object, a ``credential_issuer`` not
            identical to ``expected_issuer`` (simple string comparison, §12.2.4), endpoints
            or ``authorization_servers`` that are not ``https`` URLs, a ``batch_size`` below 2,
            a missing or malformed ``credential_configurations_supported``, a ``dc+sd-jwt``
            configuration without ``vct`` (Appendix A.3.2), a proof type without
            ``proof_signing_alg_values_supported``, display entries without a name where it
            is required or with a repeated locale, and malformed claims descriptions.
    """
    if not isinstance(value, dict):
        raise _malformed("issuer metadata is not an object")

    def url(candidate: object, what: str, *, allow_query: bool) -> str:
        return check_url(
            candidate,
            what=what,
            allow_query=allow_query,
            allow_insecure_localhost=allow_insecure_localhost,
        ).url

    issuer = url(value.get("credential_issuer"), "credential_issuer", allow_query=False)
    if issuer != expected_issuer:  # §12.2.4 "MUST NOT be used"
        raise _malformed("credential_issuer is not the issuer asked for")
    authorization_servers: tuple[str, ...] = ()
    if "authorization_servers" in value:
        authorization_servers = tuple(
            url(s, "authorization_servers", allow_query=False)
            for s in _array(value["authorization_servers"], "authorization_servers")
        )
    credential_endpoint = url(
        value.get("credential_endpoint"), "credential_endpoint", allow_query=True
    )
    nonce_endpoint = None
    if "nonce_endpoint" in value:
        nonce_endpoint = url(value["nonce_endpoint"], "nonce_endpoint", allow_query=True)
    batch_size = 1
    if "batch_credential_issuance" in value:
        batch = value["batch_credential_issuance"]
        size = batch.get("batch_size") if isinstance(batch, dict) else None
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise _malformed("batch_size must be an integer of at least 2")
        batch_size = size
    display: tuple[Display, ...] = ()
    if "display" in value:
        display = _parse_display(value["display"], "issuer display", name_required=False)
    supported = value.get("credential_configurations_supported")
    if not isinstance(supported, dict) or len(supported) > MAX_CONFIGURATIONS:
        raise _malformed("credential_configurations_supported is not an object")
    configurations = tuple(_parse_configuration(k, v) for k, v in supported.items())
    try:
        return IssuerMetadata(
            credential_issuer=issuer,
            credential_endpoint=credential_endpoint,
            nonce_endpoint=nonce_endpoint,
            configurations=configurations,
            batch_size=batch_size,
            display=display,
            authorization_servers=authorization_servers,
        )
    except ValueError as exc:  # pragma: no cover - every case is checked above
        raise _malformed("issuer metadata is inconsistent") from exc


def parse_issuer_metadata_json(
    data: bytes | str, *, expected_issuer: str, allow_insecure_localhost: bool = False
) -> IssuerMetadata:
    """:func:`parse_issuer_metadata` over the fetched ``application/json`` body (§12.2.2).

    Raises:
        FormatError: ``malformed_request`` also for a body over 256 KiB or not strict JSON.
    """
    try:
        value = parse_json_object(data, limits=_METADATA_LIMITS)
    except FormatError as exc:
        raise _malformed("issuer metadata is not a JSON object") from exc
    return parse_issuer_metadata(
        value, expected_issuer=expected_issuer, allow_insecure_localhost=allow_insecure_localhost
    )


def check_offer_against_metadata(offer: CredentialOffer, metadata: IssuerMetadata) -> None:
    """The Wallet's checks before acting on an offer (§13.5: offers are untrusted): the
    metadata is the offering issuer's, every offered configuration exists and can be proven
    with an ES256 ``jwt`` proof (or needs no proof), and an ``authorization_server`` hint
    names one of the issuer's ``authorization_servers`` (§12.2.4 "MUST NOT proceed").

    Raises:
        FormatError: ``malformed_request``.
    """
    if offer.credential_issuer != metadata.credential_issuer:
        raise _malformed("offer and metadata name different issuers")
    for configuration_id in offer.credential_configuration_ids:
        configuration = metadata.configuration(configuration_id)
        if configuration is None:
            raise _malformed("offered credential configuration is not in the metadata")
        if configuration.cryptographic_binding_methods and (
            JwsAlgorithm.ES256.value not in configuration.proof_signing_alg_values
        ):
            raise _malformed("offered configuration accepts no ES256 jwt proof")
    if (
        offer.authorization_server is not None
        and offer.authorization_server not in metadata.authorization_servers
    ):
        raise _malformed("authorization_server is not one of the issuer's")
