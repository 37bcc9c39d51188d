"""Credential Issuer Metadata (OpenID4VCI 1.0 §12.2): our document and the Wallet's reading."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.oid4vci import (
    COMPACT_FORMAT,
    SD_JWT_VC_FORMAT,
    ClaimDescription,
    CredentialConfiguration,
    CredentialOffer,
    Display,
    IssuerMetadata,
    check_offer_against_metadata,
    compact_configuration,
    issuer_metadata,
    parse_issuer_metadata,
    parse_issuer_metadata_json,
    sd_jwt_vc_configuration,
)
from tests.core.oid4vci.builders import CONFIG_COMPACT, CONFIG_SD_JWT, ISSUER

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject

VCT = "https://furusato.example.jp/vct/registration/v1"
CREDENTIAL_ENDPOINT = "https://furusato.example.jp/bodies/042056/credential"
NONCE_ENDPOINT = "https://furusato.example.jp/bodies/042056/nonce"
ISSUER_DISPLAY = (
    Display(name="八戸市", locale="ja-JP"),
    Display(name="Hachinohe City", locale="en"),
)
SD_JWT = sd_jwt_vc_configuration(
    id=CONFIG_SD_JWT,
    vct=VCT,
    display=(Display(name="ふるさと住民登録証", locale="ja-JP", description="登録の証明"),),
    claims=(
        ClaimDescription(
            path=("registration", "tier"),
            mandatory=True,
            display=(Display(name="区分", locale="ja-JP"),),
        ),
        ClaimDescription(path=("nicknames", None)),
        ClaimDescription(path=("addresses", 0, "city")),
    ),
)
COMPACT = compact_configuration(
    id=CONFIG_COMPACT, display=(Display(name="ふるさと登録QR", locale="ja-JP"),)
)


def _document(batch_size: int = 4) -> JSONObject:
    return issuer_metadata(
        ISSUER,
        credential_endpoint=CREDENTIAL_ENDPOINT,
        nonce_endpoint=NONCE_ENDPOINT,
        batch_size=batch_size,
        display=ISSUER_DISPLAY,
        configurations=(SD_JWT, COMPACT),
    )


def _rejected(value: object, *, expected_issuer: str = ISSUER) -> None:
    with pytest.raises(FormatError) as caught:
        parse_issuer_metadata(value, expected_issuer=expected_issuer)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def _configuration_json(document: JSONObject, configuration_id: str) -> JSONObject:
    supported = document["credential_configurations_supported"]
    assert isinstance(supported, dict)
    configuration = supported[configuration_id]
    assert isinstance(configuration, dict)
    return configuration


# ------------------------------------------------------------------------------ our document


def test_document_has_the_section_12_2_4_members() -> None:
    document = _document()
    assert document["credential_issuer"] == ISSUER
    assert document["credential_endpoint"] == CREDENTIAL_ENDPOINT
    assert document["nonce_endpoint"] == NONCE_ENDPOINT
    assert document["batch_credential_issuance"] == {"batch_size": 4}
    assert document["display"] == [
        {"name": "八戸市", "locale": "ja-JP"},
        {"name": "Hachinohe City", "locale": "en"},
    ]
    assert "authorization_servers" not in document  # the issuer is its own AS


def test_sd_jwt_vc_configuration_json() -> None:
    assert _configuration_json(_document(), CONFIG_SD_JWT) == {
        "format": SD_JWT_VC_FORMAT,
        "scope": CONFIG_SD_JWT,
        "vct": VCT,
        "credential_signing_alg_values_supported": ["ES256"],
        "cryptographic_binding_methods_supported": ["jwk"],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
        "credential_metadata": {
            "display": [
                {"name": "ふるさと住民登録証", "locale": "ja-JP", "description": "登録の証明"}
            ],
            "claims": [
                {
                    "path": ["registration", "tier"],
                    "mandatory": True,
                    "display": [{"name": "区分", "locale": "ja-JP"}],
                },
                {"path": ["nicknames", None]},
                {"path": ["addresses", 0, "city"]},
            ],
        },
    }


def test_compact_configuration_uses_cose_algorithm_and_cose_key_binding() -> None:
    configuration = _configuration_json(_document(), CONFIG_COMPACT)
    assert configuration["format"] == COMPACT_FORMAT
    assert configuration["credential_signing_alg_values_supported"] == [-7]
    assert configuration["cryptographic_binding_methods_supported"] == ["cose_key"]
    assert configuration["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256"]}
    }
    assert "vct" not in configuration


def test_batch_size_one_omits_batch_credential_issuance() -> None:
    assert "batch_credential_issuance" not in _document(batch_size=1)


def test_document_is_plain_json() -> None:
    document = _document()
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document


@pytest.mark.parametrize(
    "changes",
    [
        {"credential_issuer": "http://furusato.example.jp"},
        {"credential_issuer": "https://furusato.example.jp/?q=1"},
        {"credential_endpoint": "http://furusato.example.jp/credential"},
        {"nonce_endpoint": "ftp://furusato.example.jp/nonce"},
        {"configurations": ()},
        {"configurations": (SD_JWT, SD_JWT)},
        {"batch_size": 0},
        {"display": (Display(name="a", locale="ja"), Display(name="b", locale="ja"))},
    ],
)
def test_document_arguments_are_checked(changes: dict[str, object]) -> None:
    kwargs: dict[str, object] = {
        "credential_issuer": ISSUER,
        "credential_endpoint": CREDENTIAL_ENDPOINT,
        "nonce_endpoint": NONCE_ENDPOINT,
        "batch_size": 2,
        "display": ISSUER_DISPLAY,
        "configurations": (SD_JWT,),
    }
    kwargs.update(changes)
    issuer = kwargs.pop("credential_issuer")
    with pytest.raises(ValueError):  # each case has its own message
        issuer_metadata(issuer, **kwargs)  # type: ignore[arg-type]


def test_loopback_document_needs_the_insecure_flag() -> None:
    local = "http://localhost:8000/bodies/042056"
    with pytest.raises(ValueError, match="https"):
        issuer_metadata(
            local,
            credential_endpoint=local + "/credential",
            nonce_endpoint=local + "/nonce",
            batch_size=1,
            display=(),
            configurations=(SD_JWT,),
        )
    document = issuer_metadata(
        local,
        credential_endpoint=local + "/credential",
        nonce_endpoint=local + "/nonce",
        batch_size=1,
        display=(),
        configurations=(SD_JWT,),
        allow_insecure_localhost=True,
    )
    parsed = parse_issuer_metadata(document, expected_issuer=local, allow_insecure_localhost=True)
    assert parsed.credential_issuer == local


def test_sd_jwt_configuration_needs_a_vct() -> None:
    with pytest.raises(ValueError, match="vct"):
        CredentialConfiguration(id="x", format=SD_JWT_VC_FORMAT)


@pytest.mark.parametrize("path", [(), (-1,), (True,), (1.5,)])
def test_claim_path_must_be_a_claims_path_pointer(path: tuple[object, ...]) -> None:
    with pytest.raises(ValueError, match="path"):
        ClaimDescription(path=path)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ Wallet side


def test_document_round_trips() -> None:
    parsed = parse_issuer_metadata(_document(), expected_issuer=ISSUER)
    assert parsed == IssuerMetadata(
        credential_issuer=ISSUER,
        credential_endpoint=CREDENTIAL_ENDPOINT,
        nonce_endpoint=NONCE_ENDPOINT,
        configurations=(SD_JWT, COMPACT),
        batch_size=4,
        display=ISSUER_DISPLAY,
    )


def test_json_body_round_trips() -> None:
    body = json.dumps(_document(), ensure_ascii=False).encode()
    assert (
        parse_issuer_metadata_json(body, expected_issuer=ISSUER).configuration(CONFIG_SD_JWT)
        == SD_JWT
    )


@pytest.mark.parametrize("body", [b"[]", b"{", b"x" * (256 * 1024 + 1)])
def test_json_body_that_is_not_an_object_is_rejected(body: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        parse_issuer_metadata_json(body, expected_issuer=ISSUER)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


@pytest.mark.parametrize(
    "expected",
    [ISSUER + "/", ISSUER.upper(), "https://furusato.example.jp/bodies/042057", ISSUER + "?"],
)
def test_credential_issuer_must_be_identical(expected: str) -> None:  # §12.2.4
    _rejected(_document(), expected_issuer=expected)


def test_unknown_members_are_ignored() -> None:
    document = _document()
    document["deferred_credential_endpoint"] = "https://furusato.example.jp/deferred"
    document["signed_metadata"] = "eyJ..."
    _configuration_json(document, CONFIG_SD_JWT)["order"] = ["a"]
    assert (
        parse_issuer_metadata(document, expected_issuer=ISSUER).configuration(CONFIG_SD_JWT)
        == SD_JWT
    )


def test_authorization_servers_are_kept() -> None:
    document = {**_document(), "authorization_servers": ["https://as.example.jp"]}
    parsed = parse_issuer_metadata(document, expected_issuer=ISSUER)
    assert parsed.authorization_servers == ("https://as.example.jp",)
    assert parsed.to_json()["authorization_servers"] == ["https://as.example.jp"]


def test_configuration_needs_an_id_and_a_format() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        CredentialConfiguration(id="", format="x")


def test_absent_nonce_endpoint_and_batch_are_defaults() -> None:
    document = _document()
    del document["nonce_endpoint"]
    del document["batch_credential_issuance"]
    parsed = parse_issuer_metadata(document, expected_issuer=ISSUER)
    assert parsed.nonce_endpoint is None
    assert parsed.batch_size == 1


def _mutated(path: tuple[str | int, ...], value: object) -> JSONObject:
    document = copy.deepcopy(_document())
    target: object = document
    for step in path[:-1]:
        target = target[step]  # type: ignore[index]
    if value is _DELETE:
        del target[path[-1]]  # type: ignore[attr-defined]
    else:
        target[path[-1]] = value  # type: ignore[index]
    return document


_DELETE = object()
_SD = ("credential_configurations_supported", CONFIG_SD_JWT)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credential_issuer",), _DELETE),
        (("credential_endpoint",), _DELETE),
        (("credential_endpoint",), "http://furusato.example.jp/credential"),
        (("credential_endpoint",), "https://furusato.example.jp/credential#f"),
        (("nonce_endpoint",), "http://furusato.example.jp/nonce"),
        (("authorization_servers",), []),
        (("authorization_servers",), ["http://as.example.jp"]),
        (("batch_credential_issuance",), {"batch_size": 1}),
        (("batch_credential_issuance",), {"batch_size": True}),
        (("batch_credential_issuance",), {}),
        (("display",), []),
        (("display",), [{"name": "a", "locale": "ja"}, {"name": "b", "locale": "ja"}]),
        (("display",), [{"name": 1}]),
        (("credential_configurations_supported",), _DELETE),
        (("credential_configurations_supported",), []),
        (("credential_configurations_supported", ""), {"format": "x"}),
        (("credential_configurations_supported", "x"), "dc+sd-jwt"),
        ((*_SD, "format"), _DELETE),
        ((*_SD, "vct"), _DELETE),
        ((*_SD, "scope"), 1),
        ((*_SD, "credential_signing_alg_values_supported"), []),
        ((*_SD, "credential_signing_alg_values_supported"), [True]),
        ((*_SD, "cryptographic_binding_methods_supported"), "jwk"),
        ((*_SD, "cryptographic_binding_methods_supported"), [1]),
        ((*_SD, "proof_types_supported"), {"jwt": "ES256"}),
        ((*_SD, "credential_metadata", "display"), ["name"]),
        ((*_SD, "proof_types_supported"), []),
        ((*_SD, "proof_types_supported"), {"jwt": {}}),
        ((*_SD, "proof_types_supported"), {"jwt": {"proof_signing_alg_values_supported": []}}),
        ((*_SD, "credential_metadata"), []),
        ((*_SD, "credential_metadata", "display"), [{"locale": "ja"}]),
        ((*_SD, "credential_metadata", "claims"), [{"path": []}]),
        ((*_SD, "credential_metadata", "claims"), [{"path": [-1]}]),
        ((*_SD, "credential_metadata", "claims"), [{"path": ["a"], "mandatory": "yes"}]),
        ((*_SD, "credential_metadata", "claims"), ["a"]),
    ],
)
def test_malformed_metadata_is_rejected(path: tuple[str | int, ...], value: object) -> None:
    _rejected(_mutated(path, value))


def test_non_object_metadata_is_rejected() -> None:
    _rejected([_document()])


def test_nameless_issuer_display_entries_are_skipped() -> None:
    document = {**_document(), "display": [{"locale": "ja"}, {"name": "八戸市", "locale": "ja-JP"}]}
    parsed = parse_issuer_metadata(document, expected_issuer=ISSUER)
    assert parsed.display == (Display(name="八戸市", locale="ja-JP"),)


# ------------------------------------------------------------------------------ offer check


def _metadata() -> IssuerMetadata:
    return parse_issuer_metadata(_document(), expected_issuer=ISSUER)


def _offer(
    *ids: str, issuer: str = ISSUER, authorization_server: str | None = None
) -> CredentialOffer:
    return CredentialOffer(
        credential_issuer=issuer,
        credential_configuration_ids=ids or (CONFIG_SD_JWT,),
        pre_authorized_code="c",
        authorization_server=authorization_server,
    )


def test_offer_matching_the_metadata_passes() -> None:
    check_offer_against_metadata(_offer(CONFIG_SD_JWT, CONFIG_COMPACT), _metadata())


def test_offer_from_another_issuer_is_rejected() -> None:
    with pytest.raises(FormatError) as caught:
        check_offer_against_metadata(_offer(issuer="https://other.example.jp"), _metadata())
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_offer_of_an_unknown_configuration_is_rejected() -> None:
    with pytest.raises(FormatError):
        check_offer_against_metadata(_offer("nope"), _metadata())


def test_offer_with_a_foreign_authorization_server_is_rejected() -> None:  # §12.2.4
    with pytest.raises(FormatError):
        check_offer_against_metadata(
            _offer(authorization_server="https://as.example.jp"), _metadata()
        )


def test_offer_with_a_listed_authorization_server_passes() -> None:
    document = {**_document(), "authorization_servers": ["https://as.example.jp"]}
    metadata = parse_issuer_metadata(document, expected_issuer=ISSUER)
    check_offer_against_metadata(_offer(authorization_server="https://as.example.jp"), metadata)


def test_offer_of_a_configuration_without_es256_proofs_is_rejected() -> None:
    document = _mutated(
        (*_SD, "proof_types_supported"), {"jwt": {"proof_signing_alg_values_supported": ["ES384"]}}
    )
    with pytest.raises(FormatError):
        check_offer_against_metadata(
            _offer(), parse_issuer_metadata(document, expected_issuer=ISSUER)
        )
