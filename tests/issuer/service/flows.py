"""What a wallet app does against the service, step by step, for the tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from furusato_vc.core.jose import SoftwareSigner
from furusato_vc.core.jose.jwk import generate_es256_private_key, parse_public_jwk
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.oid4vci.proof import create_proof_jwt
from furusato_vc.core.trust import StaticTrust, TrustedIssuer

if TYPE_CHECKING:
    from furusato_vc.core.errors import ErrorCode
    from tests.issuer.service.conftest import Service


def account() -> str:
    return secrets.token_urlsafe(24)


def new_holder() -> SoftwareSigner:
    return SoftwareSigner(generate_es256_private_key())


def register(
    service: Service,
    code: str,
    *,
    who: str | None = None,
    key: str | None = None,
    **extra: Any,
) -> Any:
    return service.client.post(
        "/registrations",
        json={"account": who or account(), "body_code": code, **extra},
        headers={"Idempotency-Key": key or secrets.token_hex(8)},
    )


def token(service: Service, code: str, offer: dict[str, Any], tx_code: str | None) -> Any:
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        "pre-authorized_code": grant["pre-authorized_code"],
    }
    if tx_code is not None:
        form["tx_code"] = tx_code
    return service.client.post(f"/bodies/{code}/token", data=form)


def nonce(service: Service, code: str) -> str:
    response = service.client.post(f"/bodies/{code}/nonce")
    assert response.status_code == 200, response.text
    value: str = response.json()["c_nonce"]
    return value


def proofs(service: Service, code: str, holders: list[SoftwareSigner], c_nonce: str) -> list[str]:
    now = to_numeric_date(service.clock.now())
    return [
        create_proof_jwt(holder, audience=service.issuer(code), nonce=c_nonce, issued_at=now)
        for holder in holders
    ]


def request_credentials(
    service: Service,
    code: str,
    access_token: str,
    configuration: str,
    proof_jwts: list[str],
    *,
    headers: dict[str, str] | None = None,
) -> Any:
    return service.client.post(
        f"/bodies/{code}/credential",
        json={"credential_configuration_id": configuration, "proofs": {"jwt": proof_jwts}},
        headers={"Authorization": f"Bearer {access_token}", **(headers or {})},
    )


@dataclass
class Issued:
    registration: dict[str, Any]
    access_token: str
    holders: list[SoftwareSigner]
    credentials: list[str]


def issue(
    service: Service,
    code: str,
    *,
    copies: int = 1,
    configuration: str = "registration_basic_sd_jwt",
    who: str | None = None,
) -> Issued:
    registered = register(service, code, who=who, relationship_types=["visits"])
    assert registered.status_code == 201, registered.text
    body = registered.json()
    granted = token(service, code, body["credential_offer"], body["tx_code"])
    assert granted.status_code == 200, granted.text
    access = granted.json()["access_token"]
    holders = [new_holder() for _ in range(copies)]
    response = request_credentials(
        service, code, access, configuration, proofs(service, code, holders, nonce(service, code))
    )
    assert response.status_code == 200, response.text
    return Issued(
        registration=body,
        access_token=access,
        holders=holders,
        credentials=[item["credential"] for item in response.json()["credentials"]],
    )


def trust_from_service(service: Service, *codes: str) -> StaticTrust:
    """What a wallet or verifier trusts, read from the service's own metadata (a national
    trust list in production): the bodies' keys and where their status lists are."""
    issuers = []
    for code in codes:
        document = service.client.get(f"/.well-known/jwt-vc-issuer/bodies/{code}").json()
        entry = service.client.get(f"/bodies/{code}/trust-list-entry").json()
        issuers.append(
            TrustedIssuer(
                body_code=code,
                issuer_id=document["issuer"],
                keys=tuple(parse_public_jwk(key) for key in document["jwks"]["keys"]),
                status_lists={item["id"]: item["uri"] for item in entry["status_lists"]},
            )
        )
    return StaticTrust.of(issuers)


def assert_problem(response: Any, code: ErrorCode, status: int) -> dict[str, Any]:
    """An RFC 9457 problem document with our stable code and both messages."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code.value
    assert body["status"] == status
    assert body["type"] == f"urn:furusato-vc:error:{code.value}"
    assert body["message_ja"]
    assert body["message_en"]
    return body
