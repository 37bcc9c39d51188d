"""The published examples of OpenID4VCI 1.0 Final (``tests/vectors/oid4vci/``, provenance in
its README), replayed through the Wallet- and issuer-side parsers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from furusato_vc.core.encoding import JSONObject, JSONValue, parse_json, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.oid4vci import (
    OAUTH_ERROR_FOR,
    CredentialOffer,
    OAuthError,
    OfferReference,
    TokenRequest,
    TokenResponse,
    TxCode,
    VerifiedProof,
    check_offer_against_metadata,
    parse_credential_offer,
    parse_credential_request,
    parse_credential_response,
    parse_issuer_metadata,
    parse_nonce_response,
    parse_offer_uri,
    parse_token_request_body,
    parse_token_response,
    verify_proof_jwt,
    verify_proofs,
)
from furusato_vc.core.oid4vci.metadata import Display

VECTORS = Path(__file__).parents[2] / "vectors" / "oid4vci"
EXAMPLE_ISSUER = "https://credential-issuer.example.com"
COMMIT = "423354bffcd6a01e1cbda2ab2050ae4d67e0830c"


def _json(name: str) -> JSONValue:
    return parse_json((VECTORS / name).read_bytes())


def _http_body(name: str) -> str:
    text = (VECTORS / name).read_text(encoding="utf-8")
    return text.split("\n\n", 1)[1]


def _unwrapped(text: str) -> str:
    """Undo the spec's display wrapping: a line inside an unterminated string continues it."""
    lines: list[str] = []
    for line in text.split("\n"):
        if lines and lines[-1].count('"') % 2 == 1:
            lines[-1] += line.strip()
        else:
            lines.append(line)
    return "\n".join(lines)


def _spec_text() -> dict[str, JSONValue]:
    document = parse_json_object((VECTORS / "spec_text_examples.json").read_bytes())
    source = document["source"]
    assert isinstance(source, dict)
    assert source["commit"] == COMMIT
    entries = document["entries"]
    assert isinstance(entries, list)
    out: dict[str, JSONValue] = {}
    for entry in entries:
        assert isinstance(entry, dict)
        assert isinstance(entry["name"], str)
        out[entry["name"]] = entry["value"]
    return out


SPEC = _spec_text()


def _spec_str(name: str) -> str:
    value = SPEC[name]
    assert isinstance(value, str)
    return value


def test_readme_pins_the_tag_and_commit() -> None:
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    assert "1.0-final" in readme
    assert COMMIT in readme


# ------------------------------------------------------------------------------ offers


def test_offer_with_two_configurations_and_a_tx_code() -> None:  # §4.1.1
    offer = parse_credential_offer(_json("credential_offer_multiple_credentials.json"))
    assert offer == CredentialOffer(
        credential_issuer=EXAMPLE_ISSUER,
        credential_configuration_ids=("UniversityDegreeCredential", "org.iso.18013.5.1.mDL"),
        pre_authorized_code="oaKazRN8I0IbtZ0C7JuMn5",
        tx_code=TxCode(
            input_mode="numeric",
            length=4,
            description="Please provide the one-time code that was sent via e-mail",
        ),
    )


def test_offer_with_a_description_only_tx_code() -> None:
    offer = parse_credential_offer(_json("credential_offer_pre-authz_code.json"))
    assert offer.pre_authorized_code == "adhjhdjajkdkhjhdj"
    assert offer.tx_code == TxCode(
        description="Please provide the one-time code which was sent to your mobile phone via SMS"
    )


def test_offer_with_an_empty_tx_code_object() -> None:  # §4.1.3 example
    offer = parse_credential_offer(_json("credential_offer_by_reference.json"))
    assert offer.credential_configuration_ids == ("UniversityDegree_LDP_VC",)
    assert offer.tx_code == TxCode()


def test_authorization_code_offer_is_refused_by_our_wallet() -> None:
    with pytest.raises(FormatError) as caught:
        parse_credential_offer(json.loads(_http_body("credential_offer_authz_code.txt")))
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_offer_uri_by_value() -> None:  # §4.1.2
    offer = parse_offer_uri(_spec_str("offer_by_value_uri"))
    assert offer == CredentialOffer(
        credential_issuer=EXAMPLE_ISSUER,
        credential_configuration_ids=("org.iso.18013.5.1.mDL",),
        pre_authorized_code="oaKazRN8I0IbtZ0C7JuMn5",
        tx_code=TxCode(
            input_mode="text",
            description="Please enter the serial number of your physical drivers license",
        ),
    )


def test_offer_query_by_value() -> None:  # §4.1.2, the GET form
    offer = parse_offer_uri("openid-credential-offer://?" + _spec_str("offer_by_value_get_query"))
    assert isinstance(offer, CredentialOffer)
    assert offer.credential_configuration_ids == ("UniversityDegree_JWT", "org.iso.18013.5.1.mDL")
    assert offer.tx_code == TxCode()


def test_offer_uri_by_reference() -> None:  # §4.1.3
    assert parse_offer_uri(_spec_str("offer_by_reference_uri")) == OfferReference(
        uri="https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    )


# ------------------------------------------------------------------------------ token, nonce


def test_token_request_without_authorization_details() -> None:  # §6.1
    body = _spec_str("token_request_pre_authorized")
    plain = body.split("&authorization_details=", 1)[0]
    assert parse_token_request_body(plain.encode()) == TokenRequest(
        pre_authorized_code="SplxlOBeZQQYbYS6WxSbIA", tx_code="493536"
    )


def test_token_request_with_authorization_details_is_refused() -> None:
    with pytest.raises(FormatError) as caught:
        parse_token_request_body(_spec_str("token_request_pre_authorized").encode())
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_token_response() -> None:  # §6.2; authorization_details ignored
    assert parse_token_response(SPEC["token_response"]) == TokenResponse(
        access_token="eyJhbGciOiJSUzI1NiIsInR5cCI6Ikp..sHQ", expires_in=86400
    )


def test_token_error_response_value_is_ours() -> None:  # §6.3
    value = SPEC["token_error_response"]
    assert isinstance(value, dict)
    assert isinstance(value["error"], str)
    assert OAuthError(value["error"]) is OAUTH_ERROR_FOR[ErrorCode.TX_CODE_MISSING]


def test_nonce_response() -> None:  # §7.2
    assert parse_nonce_response(SPEC["nonce_response"]).c_nonce == "wKI4LT17ac15ES9bw8ac4"


# ------------------------------------------------------------------------------ proofs


def _f1_proof() -> str:
    proofs = SPEC["proofs_jwt"]
    assert isinstance(proofs, dict)
    jwts = proofs["jwt"]
    assert isinstance(jwts, list)
    assert isinstance(jwts[0], str)
    return jwts[0]


def _expect_nonce(expected: str) -> object:
    def check(nonce: str) -> None:
        if nonce != expected:
            raise VerificationError(ErrorCode.PROOF_NONCE_INVALID, "unknown nonce")

    return check


def test_appendix_f1_proof_verifies() -> None:
    proof = verify_proof_jwt(
        _f1_proof(),
        audience=EXAMPLE_ISSUER,
        now=1701960444,
        nonce_check=_expect_nonce("LarRGSbmUPYtRYO6BQ4yn8"),  # type: ignore[arg-type]
    )
    assert proof == VerifiedProof(
        key=proof.key, issued_at=1701960444, nonce="LarRGSbmUPYtRYO6BQ4yn8"
    )
    assert proof.key.to_json() == {
        "kty": "EC",
        "crv": "P-256",
        "x": "nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4",
        "y": "HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY",
    }


def test_appendix_f1_proof_is_stale_six_minutes_later() -> None:
    with pytest.raises(VerificationError) as caught:
        verify_proof_jwt(
            _f1_proof(),
            audience=EXAMPLE_ISSUER,
            now=1701960444 + 301,
            nonce_check=_expect_nonce("LarRGSbmUPYtRYO6BQ4yn8"),  # type: ignore[arg-type]
        )
    assert caught.value.code is ErrorCode.PROOF_INVALID


def test_appendix_f1_proof_for_another_issuer_is_invalid() -> None:
    with pytest.raises(VerificationError) as caught:
        verify_proof_jwt(
            _f1_proof(),
            audience="https://server.example.com",
            now=1701960444,
            nonce_check=_expect_nonce("LarRGSbmUPYtRYO6BQ4yn8"),  # type: ignore[arg-type]
        )
    assert caught.value.code is ErrorCode.PROOF_INVALID


def test_appendix_f1_proof_with_another_nonce_is_invalid_nonce() -> None:
    with pytest.raises(VerificationError) as caught:
        verify_proof_jwt(
            _f1_proof(),
            audience=EXAMPLE_ISSUER,
            now=1701960444,
            nonce_check=_expect_nonce("wKI4LT17ac15ES9bw8ac4"),  # type: ignore[arg-type]
        )
    assert caught.value.code is ErrorCode.PROOF_NONCE_INVALID


# ------------------------------------------------------------------------------ credential endpoint


def test_credential_request_by_configuration_id() -> None:  # §8.2
    request = parse_credential_request(
        SPEC["credential_request_configuration_id"],
        known_configuration_ids={"org.iso.18013.5.1.mDL"},
    )
    assert request.credential_configuration_id == "org.iso.18013.5.1.mDL"
    # the example's proof is truncated in the spec (a header only): it cannot verify
    with pytest.raises(VerificationError) as caught:
        verify_proofs(
            request.proof_jwts,
            batch_size=1,
            audience=EXAMPLE_ISSUER,
            now=1701960444,
            nonce_check=_expect_nonce("x"),  # type: ignore[arg-type]
        )
    assert caught.value.code is ErrorCode.PROOF_INVALID


def test_credential_request_by_identifier_is_refused() -> None:  # we issue no identifiers
    with pytest.raises(VerificationError) as caught:
        parse_credential_request(
            SPEC["credential_request_identifier"], known_configuration_ids={"x"}
        )
    assert caught.value.code is ErrorCode.CREDENTIAL_REQUEST_INVALID


def test_pre_1_0_format_request_is_refused() -> None:  # examples/credential_request_iso_mdl.json
    with pytest.raises(VerificationError) as caught:
        parse_credential_request(
            _json("credential_request_iso_mdl.json"),
            known_configuration_ids={"org.iso.18013.5.1.mDL"},
        )
    assert caught.value.code is ErrorCode.CREDENTIAL_REQUEST_INVALID


def test_sd_jwt_vc_credential_response() -> None:  # Appendix A.3.4
    body = parse_json(_unwrapped(_http_body("credential_response_sd_jwt_vc.txt")))
    response = parse_credential_response(body)
    assert len(response.credentials) == 1
    credential = response.credentials[0]
    assert credential.startswith("eyJhbGciOiAiRVMyNTYiLCAidHlwIjogImRjK3NkLWp3dCIs")
    assert credential.endswith("~")
    assert credential.count("~") == 10  # nine Disclosures, no KB-JWT


# ------------------------------------------------------------------------------ metadata


def _metadata_with(fragment: str) -> JSONObject:
    document = _json(fragment)
    assert isinstance(document, dict)
    return {
        "credential_issuer": EXAMPLE_ISSUER,
        "credential_endpoint": EXAMPLE_ISSUER + "/credential",
        **document,
    }


def test_full_sd_jwt_vc_issuer_metadata() -> None:  # §12.2.4 example
    metadata = parse_issuer_metadata(
        _json("credential_issuer_metadata_sd_jwt_long.json"), expected_issuer=EXAMPLE_ISSUER
    )
    assert metadata.authorization_servers == ("https://server.example.com",)
    assert metadata.nonce_endpoint == "https://credential-issuer.example.com/nonce"
    assert metadata.batch_size == 10
    assert metadata.display[1] == Display(name="Example Université", locale="fr-FR")
    configuration = metadata.configuration("SD_JWT_VC_example_in_OpenID4VCI")
    assert configuration is not None
    assert configuration.vct == "SD_JWT_VC_example_in_OpenID4VCI"
    assert configuration.proof_signing_alg_values == ("ES256",)
    assert configuration.display[0].description == (
        "A credential that signals the membership of a university"
    )
    assert len(configuration.claims) == 13
    assert configuration.claims[5].path == ("address", "street_address")


def test_full_metadata_is_refused_for_another_issuer() -> None:
    with pytest.raises(FormatError) as caught:
        parse_issuer_metadata(
            _json("credential_issuer_metadata_sd_jwt_long.json"),
            expected_issuer="https://credential-issuer.example.com/",
        )
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_sd_jwt_vc_configuration_fragment() -> None:  # Appendix A.3.2
    metadata = parse_issuer_metadata(
        _metadata_with("credential_metadata_sd_jwt_vc.json"), expected_issuer=EXAMPLE_ISSUER
    )
    configuration = metadata.configuration("SD_JWT_VC_example_in_OpenID4VCI")
    assert configuration is not None
    assert configuration.cryptographic_binding_methods == ("jwk",)
    offer = CredentialOffer(
        credential_issuer=EXAMPLE_ISSUER,
        credential_configuration_ids=("SD_JWT_VC_example_in_OpenID4VCI",),
        pre_authorized_code="c",
    )
    check_offer_against_metadata(offer, metadata)


def test_mdoc_configuration_fragment_has_numeric_algorithms() -> None:  # Appendix A.2.2
    metadata = parse_issuer_metadata(
        _metadata_with("credential_metadata_mso_mdoc.json"), expected_issuer=EXAMPLE_ISSUER
    )
    configuration = metadata.configuration("org.iso.18013.5.1.mDL")
    assert configuration is not None
    assert configuration.credential_signing_alg_values == (-7, -9)
    assert configuration.display[1].name == "モバイル運転免許証"


def test_mdoc_offer_without_proof_types_is_refused_by_our_wallet() -> None:
    # the example binds to cose_key but lists no proof types (§12.2.4 says they come together),
    # so our Wallet has no proof it could send
    metadata = parse_issuer_metadata(
        _metadata_with("credential_metadata_mso_mdoc.json"), expected_issuer=EXAMPLE_ISSUER
    )
    offer = CredentialOffer(
        credential_issuer=EXAMPLE_ISSUER,
        credential_configuration_ids=("org.iso.18013.5.1.mDL",),
        pre_authorized_code="c",
    )
    with pytest.raises(FormatError) as caught:
        check_offer_against_metadata(offer, metadata)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST
