"""The whole Pre-Authorized Code Flow (OpenID4VCI 1.0 §3.5) with both sides in one process:
every message crosses as JSON text or a form body, as it would over HTTP."""

from __future__ import annotations

import json

import pytest

from furusato_vc.core.encoding import parse_json
from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.oid4vci import (
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    Display,
    NonceResponse,
    OAuthError,
    TokenRequest,
    TokenResponse,
    TxCode,
    authorization_server_metadata,
    authorization_server_metadata_url,
    check_offer_against_metadata,
    check_tx_code,
    compact_configuration,
    create_proof_jwt,
    create_tx_code,
    issuer_metadata,
    oauth_error_response,
    offer_to_uri,
    parse_authorization_server_metadata,
    parse_credential_request_json,
    parse_credential_response,
    parse_issuer_metadata_json,
    parse_nonce_response,
    parse_offer_uri,
    parse_token_request_body,
    parse_token_response,
    sd_jwt_vc_configuration,
    verify_proofs,
    well_known_metadata_url,
)
from tests.core.oid4vci.builders import (
    CONFIG_COMPACT,
    CONFIG_SD_JWT,
    GRANT,
    ISSUER,
    NOW,
    access_tokens,
    holder,
    nonces,
    pre_authorized_codes,
    seeded,
)

BATCH_SIZE = 3


def _wire(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _metadata_document() -> str:
    return _wire(
        issuer_metadata(
            ISSUER,
            credential_endpoint=ISSUER + "/credential",
            nonce_endpoint=ISSUER + "/nonce",
            batch_size=BATCH_SIZE,
            display=(Display(name="八戸市", locale="ja-JP"),),
            configurations=(
                sd_jwt_vc_configuration(
                    id=CONFIG_SD_JWT,
                    vct="https://furusato.example.jp/vct/registration/v1",
                    display=(Display(name="ふるさと住民登録証", locale="ja-JP"),),
                ),
                compact_configuration(id=CONFIG_COMPACT, display=(Display(name="QR"),)),
            ),
        )
    )


def test_pre_authorized_code_flow_end_to_end() -> None:
    # issuer: offer with a transaction code handed over at the counter
    tx_code_spec = TxCode(length=6, description="窓口でお伝えした番号")
    tx_code = create_tx_code(tx_code_spec, random=seeded("tx"))
    code = pre_authorized_codes().create_code(GRANT, now=NOW, random=seeded("code"))
    offer_uri = offer_to_uri(
        CredentialOffer(
            credential_issuer=ISSUER,
            credential_configuration_ids=(CONFIG_SD_JWT,),
            pre_authorized_code=code,
            tx_code=tx_code_spec,
        )
    )

    # wallet: scan, discover, check
    offer = parse_offer_uri(offer_uri)
    assert isinstance(offer, CredentialOffer)
    assert well_known_metadata_url(offer.credential_issuer).startswith(
        "https://furusato.example.jp/.well-known/openid-credential-issuer/"
    )
    metadata = parse_issuer_metadata_json(
        _metadata_document(), expected_issuer=offer.credential_issuer
    )
    check_offer_against_metadata(offer, metadata)
    assert authorization_server_metadata_url(offer.credential_issuer)
    as_metadata = parse_authorization_server_metadata(
        parse_json(_wire(authorization_server_metadata(ISSUER, token_endpoint=ISSUER + "/token"))),
        expected_issuer=ISSUER,
    )
    assert as_metadata.anonymous_access

    # token endpoint
    body = TokenRequest(pre_authorized_code=offer.pre_authorized_code, tx_code=tx_code).to_form()
    request = parse_token_request_body(body.encode("ascii"))
    granted = pre_authorized_codes().verify_code(request.pre_authorized_code, now=NOW + 20)
    check_tx_code(request.tx_code, expected=tx_code)
    token = access_tokens().create_access_token(granted.grant, now=NOW + 20, random=seeded("at"))
    token_response = parse_token_response(
        parse_json(
            _wire(TokenResponse(access_token=token, expires_in=access_tokens().lifetime).to_json())
        )
    )

    # nonce endpoint
    c_nonce = parse_nonce_response(
        parse_json(
            _wire(
                NonceResponse(
                    c_nonce=nonces().create_nonce(now=NOW + 25, random=seeded("n"))
                ).to_json()
            )
        )
    ).c_nonce

    # wallet: two fresh keys, one proof each
    proofs = tuple(
        create_proof_jwt(
            holder(label), audience=metadata.credential_issuer, nonce=c_nonce, issued_at=NOW + 30
        )
        for label in ("k1", "k2")
    )
    credential_body = _wire(
        CredentialRequest(credential_configuration_id=CONFIG_SD_JWT, proof_jwts=proofs).to_json()
    )

    # credential endpoint
    access = access_tokens().verify_access_token(token_response.access_token, now=NOW + 31)
    credential_request = parse_credential_request_json(
        credential_body, known_configuration_ids=access.grant.credential_configuration_ids
    )
    verified = verify_proofs(
        credential_request.proof_jwts,
        batch_size=metadata.batch_size,
        audience=ISSUER,
        now=NOW + 31,
        nonce_check=nonces().nonce_check(now=NOW + 31),
    )
    issued = tuple(f"credential-for-{proof.key.thumbprint()}~" for proof in verified)
    response = parse_credential_response(
        parse_json(_wire(CredentialResponse(credentials=issued).to_json()))
    )

    assert response.credentials == issued
    assert [p.key for p in verified] == [holder("k1").public_jwk, holder("k2").public_jwk]


def test_wrong_tx_code_becomes_invalid_grant() -> None:
    with pytest.raises(FurusatoError) as caught:
        check_tx_code("000000", expected="493536")
    response = oauth_error_response(caught.value, fallback=OAuthError.INVALID_REQUEST)
    assert response.to_json()["error"] == "invalid_grant"
    assert response.status == 400


def test_expired_access_token_becomes_invalid_token() -> None:
    token = access_tokens().create_access_token(GRANT, now=NOW, random=seeded())
    with pytest.raises(VerificationError) as caught:
        access_tokens().verify_access_token(token, now=NOW + 301)
    assert caught.value.code is ErrorCode.ACCESS_TOKEN_INVALID
    response = oauth_error_response(caught.value, fallback=OAuthError.INVALID_REQUEST)
    assert (response.error, response.status) == (OAuthError.INVALID_TOKEN, 401)


def test_configuration_outside_the_token_is_unknown() -> None:
    narrow = access_tokens().create_access_token(
        type(GRANT)(
            registration_id="r", body_code="042056", credential_configuration_ids=(CONFIG_COMPACT,)
        ),
        now=NOW,
        random=seeded(),
    )
    access = access_tokens().verify_access_token(narrow, now=NOW)
    body = _wire(
        CredentialRequest(credential_configuration_id=CONFIG_SD_JWT, proof_jwts=("x",)).to_json()
    )
    with pytest.raises(VerificationError) as caught:
        parse_credential_request_json(
            body, known_configuration_ids=access.grant.credential_configuration_ids
        )
    assert caught.value.code is ErrorCode.CREDENTIAL_CONFIGURATION_UNKNOWN
