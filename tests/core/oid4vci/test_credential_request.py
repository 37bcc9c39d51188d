"""Credential Request (OpenID4VCI 1.0 §8.2) and Credential Response (§8.3)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.oid4vci import (
    CredentialRequest,
    CredentialResponse,
    parse_credential_request,
    parse_credential_request_json,
    parse_credential_response,
)
from furusato_vc.core.oid4vci.credential_request import MAX_PROOFS
from tests.core.oid4vci.builders import CONFIG_COMPACT, CONFIG_SD_JWT

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject

KNOWN = frozenset({CONFIG_SD_JWT, CONFIG_COMPACT})
PROOF = "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCJ9.e30.AA"


def _request(**changes: object) -> JSONObject:
    value: JSONObject = {"credential_configuration_id": CONFIG_SD_JWT, "proofs": {"jwt": [PROOF]}}
    value.update(changes)  # type: ignore[arg-type]
    return {k: v for k, v in value.items() if v is not None}


def _code(value: object) -> ErrorCode:
    with pytest.raises(VerificationError) as caught:
        parse_credential_request(value, known_configuration_ids=KNOWN)
    return caught.value.code


def test_request_parses() -> None:
    assert parse_credential_request(_request(), known_configuration_ids=KNOWN) == (
        CredentialRequest(credential_configuration_id=CONFIG_SD_JWT, proof_jwts=(PROOF,))
    )


def test_request_round_trips() -> None:
    request = CredentialRequest(credential_configuration_id=CONFIG_COMPACT, proof_jwts=("a", "b"))
    assert parse_credential_request(request.to_json(), known_configuration_ids=KNOWN) == request


def test_request_json_shape() -> None:
    request = CredentialRequest(credential_configuration_id=CONFIG_SD_JWT, proof_jwts=("a",))
    assert request.to_json() == {
        "credential_configuration_id": CONFIG_SD_JWT,
        "proofs": {"jwt": ["a"]},
    }


def test_unknown_members_are_ignored() -> None:
    parse_credential_request(
        _request(format="dc+sd-jwt", extra={"x": 1}), known_configuration_ids=KNOWN
    )


def test_singular_proof_next_to_proofs_is_ignored() -> None:  # §8.2 ignore unrecognized
    parse_credential_request(
        _request(proof={"proof_type": "jwt", "jwt": PROOF}), known_configuration_ids=KNOWN
    )


def test_raw_json_body_parses() -> None:
    body = json.dumps(_request()).encode()
    assert parse_credential_request_json(body, known_configuration_ids=KNOWN).proof_jwts == (PROOF,)


@pytest.mark.parametrize("body", [b"", b"[]", b"{", b'{"a":1,"a":2}', b"\xff"])
def test_raw_body_that_is_not_a_json_object_is_invalid(body: bytes) -> None:
    with pytest.raises(VerificationError) as caught:
        parse_credential_request_json(body, known_configuration_ids=KNOWN)
    assert caught.value.code is ErrorCode.CREDENTIAL_REQUEST_INVALID


@pytest.mark.parametrize("value", [[], "x", None, 1])
def test_non_object_request_is_invalid(value: object) -> None:
    assert _code(value) is ErrorCode.CREDENTIAL_REQUEST_INVALID


def test_both_identifiers_are_invalid() -> None:
    assert _code(_request(credential_identifier="x")) is ErrorCode.CREDENTIAL_REQUEST_INVALID


def test_credential_identifier_is_invalid() -> None:  # §8.2 "MUST NOT be used otherwise"
    value = _request(credential_identifier="CivilEngineeringDegree-2023")
    del value["credential_configuration_id"]
    assert _code(value) is ErrorCode.CREDENTIAL_REQUEST_INVALID


def test_neither_identifier_is_invalid() -> None:
    value = _request()
    del value["credential_configuration_id"]
    assert _code(value) is ErrorCode.CREDENTIAL_REQUEST_INVALID


@pytest.mark.parametrize("configuration_id", [7, "", ["a"]])
def test_non_string_configuration_id_is_invalid(configuration_id: object) -> None:
    assert _code(_request(credential_configuration_id=configuration_id)) is (
        ErrorCode.CREDENTIAL_REQUEST_INVALID
    )


@pytest.mark.parametrize("configuration_id", ["unknown", CONFIG_SD_JWT.upper(), "x" * 300])
def test_unknown_configuration_is_reported(configuration_id: str) -> None:
    assert _code(_request(credential_configuration_id=configuration_id)) is (
        ErrorCode.CREDENTIAL_CONFIGURATION_UNKNOWN
    )


def test_response_encryption_is_refused() -> None:
    encryption = {"jwk": {"kty": "EC"}, "enc": "A128GCM"}
    assert _code(_request(credential_response_encryption=encryption)) is (
        ErrorCode.CREDENTIAL_REQUEST_INVALID
    )


def test_missing_proofs_is_proof_missing() -> None:
    value = _request()
    del value["proofs"]
    assert _code(value) is ErrorCode.PROOF_MISSING


def test_singular_proof_alone_is_refused_as_a_pre_1_0_request() -> None:
    value = _request(proof={"proof_type": "jwt", "jwt": PROOF})
    del value["proofs"]
    assert _code(value) is ErrorCode.CREDENTIAL_REQUEST_INVALID


def test_empty_jwt_array_is_proof_missing() -> None:
    assert _code(_request(proofs={"jwt": []})) is ErrorCode.PROOF_MISSING


@pytest.mark.parametrize(
    "proofs",
    [
        [PROOF],
        PROOF,
        {},
        {"jwt": [PROOF], "attestation": ["x"]},
        {"jwt": PROOF},
        {"jwt": [1]},
        {"jwt": [""]},
        {"jwt": ["x" * 8193]},
    ],
)
def test_malformed_proofs_are_proof_invalid(proofs: object) -> None:
    assert _code(_request(proofs=proofs)) is ErrorCode.PROOF_INVALID


@pytest.mark.parametrize("proof_type", ["di_vp", "attestation", "ldp_vp", "cwt"])
def test_other_proof_types_are_proof_invalid(proof_type: str) -> None:
    assert _code(_request(proofs={proof_type: [PROOF]})) is ErrorCode.PROOF_INVALID


def test_more_than_64_proofs_exceed_the_batch_cap() -> None:
    assert _code(_request(proofs={"jwt": [PROOF] * (MAX_PROOFS + 1)})) is (
        ErrorCode.BATCH_SIZE_EXCEEDED
    )


# ------------------------------------------------------------------------------ response


def test_response_json_shape() -> None:
    assert CredentialResponse(credentials=("a~", "b~")).to_json() == {
        "credentials": [{"credential": "a~"}, {"credential": "b~"}]
    }


def test_response_round_trips() -> None:
    response = CredentialResponse(credentials=("a~", "b~"))
    assert parse_credential_response(response.to_json()) == response


def test_empty_response_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CredentialResponse(credentials=())


def test_notification_id_is_ignored() -> None:
    value = {"credentials": [{"credential": "a~"}], "notification_id": "3fwe98js"}
    assert parse_credential_response(value).credentials == ("a~",)


@pytest.mark.parametrize(
    "value",
    [
        [],
        {},
        {"credentials": []},
        {"credentials": "a~"},
        {"credentials": ["a~"]},
        {"credentials": [{"credential": {"a": 1}}]},
        {"credentials": [{"credential": ""}]},
        {"transaction_id": "8xLOxBtZp8", "interval": 3600},
    ],
)
def test_malformed_responses_are_rejected(value: object) -> None:
    with pytest.raises(FormatError) as caught:
        parse_credential_response(value)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST
