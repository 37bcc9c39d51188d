"""Well-known locations and the two small discovery documents next to the issuer metadata:
OAuth 2.0 Authorization Server Metadata (RFC 8414; OpenID4VCI 1.0 §12.3), which tells the
Wallet where the Token Endpoint is, and JWT VC Issuer Metadata (SD-JWT VC -18 §3), which
publishes the keys that sign our SD-JWT VCs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.oid4vci._urls import check_url, check_url_argument, insert_well_known
from furusato_vc.core.oid4vci.constants import (
    PRE_AUTHORIZED_CODE_GRANT,
    WELL_KNOWN_CREDENTIAL_ISSUER,
    WELL_KNOWN_JWT_VC_ISSUER,
    WELL_KNOWN_OAUTH_AUTHORIZATION_SERVER,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = [
    "AuthorizationServerMetadata",
    "authorization_server_metadata",
    "authorization_server_metadata_url",
    "jwt_vc_issuer_metadata",
    "jwt_vc_issuer_metadata_url",
    "parse_authorization_server_metadata",
    "well_known_metadata_url",
]

_ANONYMOUS_ACCESS: Final = "pre-authorized_grant_anonymous_access_supported"  # §12.3


def well_known_metadata_url(
    credential_issuer: str, *, allow_insecure_localhost: bool = False
) -> str:
    """Where the Credential Issuer Metadata lives (§12.2.2): ``/.well-known/openid-credential-
    issuer`` inserted between host and path, e.g. ``https://h/bodies/042056`` →
    ``https://h/.well-known/openid-credential-issuer/bodies/042056``. The path is kept as is,
    since §12.2.2 removes nothing.

    Raises:
        FormatError: ``malformed_request`` unless ``credential_issuer`` is an ``https`` URL
            without query or fragment (§12.2.1); it may come from an untrusted offer.
    """
    url = check_url(
        credential_issuer,
        what="credential_issuer",
        allow_query=False,
        allow_insecure_localhost=allow_insecure_localhost,
    )
    return insert_well_known(url, WELL_KNOWN_CREDENTIAL_ISSUER, strip_trailing_slash=False)


def authorization_server_metadata_url(
    issuer: str, *, allow_insecure_localhost: bool = False
) -> str:
    """RFC 8414 §3.1: ``/.well-known/oauth-authorization-server`` inserted between host and
    path, after removing a terminating ``/`` from the path. For our issuer (no
    ``authorization_servers``) the issuer identifier is the Authorization Server's (§12.2.4).

    Raises:
        FormatError: ``malformed_request`` for an identifier that is not an ``https`` URL
            without query or fragment.
    """
    url = check_url(
        issuer,
        what="issuer",
        allow_query=False,
        allow_insecure_localhost=allow_insecure_localhost,
    )
    return insert_well_known(url, WELL_KNOWN_OAUTH_AUTHORIZATION_SERVER, strip_trailing_slash=True)


def jwt_vc_issuer_metadata_url(issuer: str, *, allow_insecure_localhost: bool = False) -> str:
    """SD-JWT VC -18 §3.1: ``/.well-known/jwt-vc-issuer`` inserted between host and path of
    ``iss``, after removing a terminating ``/`` from the path.

    Raises:
        FormatError: ``malformed_request`` for an ``iss`` that is not an ``https`` URL without
            query or fragment (-18 §3).
    """
    url = check_url(
        issuer, what="iss", allow_query=False, allow_insecure_localhost=allow_insecure_localhost
    )
    return insert_well_known(url, WELL_KNOWN_JWT_VC_ISSUER, strip_trailing_slash=True)


def jwt_vc_issuer_metadata(
    issuer: str, jwks: Sequence[PublicJwk], *, allow_insecure_localhost: bool = False
) -> JSONObject:
    """The JWT VC Issuer Metadata document (-18 §3.2) with the keys by value (``jwks``, never
    ``jwks_uri``): ``{"issuer": ..., "jwks": {"keys": [...]}}``. Give every key a ``kid``
    (RECOMMENDED, -18 §3.2) so verifiers can pick it.

    Raises:
        ValueError: an issuer that is not an ``https`` URL without query or fragment, or no
            keys.
    """
    check_url_argument(
        issuer, what="issuer", allow_query=False, allow_insecure_localhost=allow_insecure_localhost
    )
    if not jwks:
        raise ValueError("at least one key is required")
    return {"issuer": issuer, "jwks": {"keys": [key.to_json() for key in jwks]}}


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationServerMetadata:
    """What the Wallet needs from RFC 8414 metadata for the pre-authorized grant."""

    issuer: str
    token_endpoint: str
    anonymous_access: bool  # §12.3; False means the Token Request needs a client_id


def authorization_server_metadata(
    issuer: str, *, token_endpoint: str, allow_insecure_localhost: bool = False
) -> JSONObject:
    """Our RFC 8414 document: the pre-authorized grant only, anonymous public clients (§12.3,
    ``token_endpoint_auth_methods_supported: ["none"]``); ``response_types_supported`` is
    omitted, which §12.3 allows for a pre-authorized-only server.

    Raises:
        ValueError: an issuer or token endpoint that is not an ``https`` URL.
    """
    check_url_argument(
        issuer, what="issuer", allow_query=False, allow_insecure_localhost=allow_insecure_localhost
    )
    check_url_argument(
        token_endpoint,
        what="token_endpoint",
        allow_query=True,
        allow_insecure_localhost=allow_insecure_localhost,
    )
    return {
        "issuer": issuer,
        "token_endpoint": token_endpoint,
        "grant_types_supported": [PRE_AUTHORIZED_CODE_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        _ANONYMOUS_ACCESS: True,
    }


def parse_authorization_server_metadata(
    value: object, *, expected_issuer: str, allow_insecure_localhost: bool = False
) -> AuthorizationServerMetadata:
    """The Wallet's reading of RFC 8414 metadata. Unknown members are ignored.

    Raises:
        FormatError: ``malformed_request`` for a non-object, an ``issuer`` not identical to
            ``expected_issuer`` (RFC 8414 §3.3), a missing or non-``https``
            ``token_endpoint``, a ``grant_types_supported`` that does not list the
            pre-authorized grant (when absent, we do not assume RFC 8414's default of
            ``authorization_code`` only, since many issuers omit it), or a non-boolean
            ``pre-authorized_grant_anonymous_access_supported``.
    """
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "metadata is not an object")
    issuer = value.get("issuer")
    if not isinstance(issuer, str) or issuer != expected_issuer:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "issuer is not the one asked for")
    token_endpoint = check_url(
        value.get("token_endpoint"),
        what="token_endpoint",
        allow_query=True,
        allow_insecure_localhost=allow_insecure_localhost,
    ).url
    grants = value.get("grant_types_supported")
    if grants is not None and (
        not isinstance(grants, list) or PRE_AUTHORIZED_CODE_GRANT not in grants
    ):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "pre-authorized grant not supported")
    anonymous = value.get(_ANONYMOUS_ACCESS, False)
    if not isinstance(anonymous, bool):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "anonymous access flag is not a boolean")
    return AuthorizationServerMetadata(
        issuer=issuer, token_endpoint=token_endpoint, anonymous_access=anonymous
    )
