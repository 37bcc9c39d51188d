"""Well-known URLs (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1, SD-JWT VC -18 §3.1) and the
Authorization Server and JWT VC Issuer metadata documents."""

from __future__ import annotations

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.oid4vci import (
    PRE_AUTHORIZED_CODE_GRANT,
    AuthorizationServerMetadata,
    authorization_server_metadata,
    authorization_server_metadata_url,
    jwt_vc_issuer_metadata,
    jwt_vc_issuer_metadata_url,
    parse_authorization_server_metadata,
    well_known_metadata_url,
)
from tests.core.oid4vci.builders import ISSUER, holder
from tests.helpers import fixed_signer


@pytest.mark.parametrize(
    ("issuer", "url"),
    [
        (
            "https://h.example/bodies/042056",
            "https://h.example/.well-known/openid-credential-issuer/bodies/042056",
        ),
        (  # the §12.2.2 examples
            "https://issuer.example.com/tenant",
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant",
        ),
        (
            "https://tenant.issuer.example.com",
            "https://tenant.issuer.example.com/.well-known/openid-credential-issuer",
        ),
        (
            "https://h.example:8443/a",
            "https://h.example:8443/.well-known/openid-credential-issuer/a",
        ),
        ("https://h.example/", "https://h.example/.well-known/openid-credential-issuer/"),
    ],
)
def test_credential_issuer_metadata_url(issuer: str, url: str) -> None:
    assert well_known_metadata_url(issuer) == url


@pytest.mark.parametrize(
    ("issuer", "url"),
    [  # the -18 §3.1 examples, and a terminating "/" removed
        ("https://example.com", "https://example.com/.well-known/jwt-vc-issuer"),
        (
            "https://example.com/tenant/1234",
            "https://example.com/.well-known/jwt-vc-issuer/tenant/1234",
        ),
        ("https://example.com/tenant/", "https://example.com/.well-known/jwt-vc-issuer/tenant"),
    ],
)
def test_jwt_vc_issuer_metadata_url(issuer: str, url: str) -> None:
    assert jwt_vc_issuer_metadata_url(issuer) == url


def test_authorization_server_metadata_url() -> None:
    assert authorization_server_metadata_url(ISSUER) == (
        "https://furusato.example.jp/.well-known/oauth-authorization-server/bodies/042056"
    )


@pytest.mark.parametrize(
    "issuer",
    [
        "http://h.example/a",
        "https://h.example/a?x=1",
        "https://h.example/a#f",
        "https://u:p@h.example/a",
        "https://h..example/a",
        "https:///a",
        "https://h.example/%zz",
        "https://h.example/\u3042",
    ],
)
def test_well_known_urls_need_an_https_identifier(issuer: str) -> None:
    for function in (
        well_known_metadata_url,
        jwt_vc_issuer_metadata_url,
        authorization_server_metadata_url,
    ):
        with pytest.raises(FormatError) as caught:
            function(issuer)
        assert caught.value.code is ErrorCode.MALFORMED_REQUEST


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_loopback_is_allowed_only_with_the_flag(host: str) -> None:
    issuer = f"http://{host}:8000/bodies/042056"
    with pytest.raises(FormatError):
        well_known_metadata_url(issuer)
    assert well_known_metadata_url(issuer, allow_insecure_localhost=True) == (
        f"http://{host}:8000/.well-known/openid-credential-issuer/bodies/042056"
    )


def test_insecure_flag_does_not_allow_other_hosts() -> None:
    with pytest.raises(FormatError):
        well_known_metadata_url("http://furusato.example.jp/a", allow_insecure_localhost=True)


# ------------------------------------------------------------------------------ JWT VC Issuer


def test_jwt_vc_issuer_metadata_document() -> None:
    key_a = fixed_signer("issuer a", kid="k-2027").public_jwk
    key_b = fixed_signer("issuer b", kid="k-2028").public_jwk
    assert jwt_vc_issuer_metadata(ISSUER, [key_a, key_b]) == {
        "issuer": ISSUER,
        "jwks": {"keys": [key_a.to_json(), key_b.to_json()]},
    }


def test_jwt_vc_issuer_metadata_never_contains_private_material() -> None:
    document = jwt_vc_issuer_metadata(ISSUER, [holder().public_jwk])
    jwks = document["jwks"]
    assert isinstance(jwks, dict)
    keys = jwks["keys"]
    assert isinstance(keys, list)
    assert all(isinstance(k, dict) and "d" not in k for k in keys)


def test_jwt_vc_issuer_metadata_needs_keys_and_https() -> None:
    with pytest.raises(ValueError, match="key"):
        jwt_vc_issuer_metadata(ISSUER, [])
    with pytest.raises(ValueError, match="https"):
        jwt_vc_issuer_metadata("http://furusato.example.jp", [holder().public_jwk])


# ------------------------------------------------------------------------------ RFC 8414


TOKEN_ENDPOINT = "https://furusato.example.jp/bodies/042056/token"


def test_authorization_server_metadata_document() -> None:
    assert authorization_server_metadata(ISSUER, token_endpoint=TOKEN_ENDPOINT) == {
        "issuer": ISSUER,
        "token_endpoint": TOKEN_ENDPOINT,
        "grant_types_supported": [PRE_AUTHORIZED_CODE_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def test_authorization_server_metadata_round_trips() -> None:
    document = authorization_server_metadata(ISSUER, token_endpoint=TOKEN_ENDPOINT)
    assert parse_authorization_server_metadata(document, expected_issuer=ISSUER) == (
        AuthorizationServerMetadata(
            issuer=ISSUER, token_endpoint=TOKEN_ENDPOINT, anonymous_access=True
        )
    )


def test_authorization_server_metadata_without_grant_types_is_accepted() -> None:
    parsed = parse_authorization_server_metadata(
        {"issuer": ISSUER, "token_endpoint": TOKEN_ENDPOINT}, expected_issuer=ISSUER
    )
    assert parsed.anonymous_access is False


@pytest.mark.parametrize(
    "changes",
    [
        {"issuer": ISSUER + "/"},
        {"issuer": None},
        {"token_endpoint": "http://furusato.example.jp/token"},
        {"token_endpoint": None},
        {"grant_types_supported": ["authorization_code"]},
        {"grant_types_supported": PRE_AUTHORIZED_CODE_GRANT},
        {"pre-authorized_grant_anonymous_access_supported": "true"},
    ],
)
def test_malformed_authorization_server_metadata_is_rejected(changes: dict[str, object]) -> None:
    document = authorization_server_metadata(ISSUER, token_endpoint=TOKEN_ENDPOINT)
    document.update(changes)  # type: ignore[arg-type]
    with pytest.raises(FormatError) as caught:
        parse_authorization_server_metadata(
            {k: v for k, v in document.items() if v is not None}, expected_issuer=ISSUER
        )
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_non_object_authorization_server_metadata_is_rejected() -> None:
    with pytest.raises(FormatError):
        parse_authorization_server_metadata([], expected_issuer=ISSUER)


def test_authorization_server_metadata_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="https"):
        authorization_server_metadata(ISSUER, token_endpoint="http://furusato.example.jp/token")
