"""Test doubles for the OpenID4VCI client: an in-memory key store, a scripted transport and a
small issuer behind it that does what the real service never does (answer out of order,
mix registrations, send garbage) on request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import b64url_encode, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose import SoftwareSigner
from furusato_vc.core.jose.jwk import generate_es256_private_key
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.oid4vci.credential_request import (
    CredentialResponse,
    parse_credential_request,
)
from furusato_vc.core.oid4vci.metadata import (
    Display,
    compact_configuration,
    issuer_metadata,
    sd_jwt_vc_configuration,
)
from furusato_vc.core.oid4vci.offer import CredentialOffer, TxCode
from furusato_vc.core.oid4vci.proof import verify_proofs
from furusato_vc.core.oid4vci.token import TokenResponse, parse_token_request_body
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import BASIC_VCT
from furusato_vc.core.statuslist.allocation import StatusSlot
from furusato_vc.core.trust import StaticTrust
from furusato_vc.issuer.credentials import issue_registration_compact, issue_registration_credential
from furusato_vc.wallet.client import HttpResponse
from tests.helpers import SeededRandom
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    NOW,
    basic_registration,
    issuing_body,
    trusted_issuer,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.registration.claims import RegistrationClaims
    from furusato_vc.issuer.credentials import IssuingBody

__all__ = [
    "ACCESS_TOKEN",
    "COMPACT_ID",
    "CREDENTIAL_URL",
    "C_NONCE",
    "ISSUER",
    "METADATA_URL",
    "NONCE_URL",
    "PRE_AUTHORIZED_CODE",
    "SD_JWT_ID",
    "TOKEN_URL",
    "TX_CODE",
    "FakeIssuer",
    "FakeTransport",
    "MemoryKeyStore",
    "Sent",
    "answer",
    "fake_offer",
    "metadata_document",
    "problem",
]

ISSUER = ISSUER_BASE + KESENNUMA
METADATA_URL = (
    "https://issuer.furusato-vc.example/.well-known/openid-credential-issuer/bodies/" + KESENNUMA
)
TOKEN_URL = ISSUER + "/token"
NONCE_URL = ISSUER + "/nonce"
CREDENTIAL_URL = ISSUER + "/credential"
SD_JWT_ID = "registration_basic_sd_jwt"
COMPACT_ID = "registration_basic_compact"
TX_CODE = "493817"
PRE_AUTHORIZED_CODE = "fake-pre-authorized-code"
ACCESS_TOKEN = "fake-access-token"
C_NONCE = "fake-c-nonce"


class MemoryKeyStore:
    """The KeyStore protocol over in-memory software keys (key id = JWK thumbprint)."""

    def __init__(self) -> None:
        self._keys: dict[str, SoftwareSigner] = {}
        self.created: list[str] = []

    def create_key(self) -> str:
        signer = SoftwareSigner(generate_es256_private_key())
        key_id = signer.public_jwk.thumbprint()
        self._keys[key_id] = signer
        self.created.append(key_id)
        return key_id

    def signer(self, key_id: str) -> Signer:
        return self._keys[key_id]

    def delete_key(self, key_id: str) -> None:
        del self._keys[key_id]

    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None

    def json(self) -> JSONObject:
        assert self.body is not None
        return parse_json_object(self.body)


Handler = Callable[[Sent], HttpResponse]


def answer(
    value: JSONValue, *, status: int = 200, content_type: str = "application/json"
) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers={"Content-Type": content_type},
        body=dumps_compact(value).encode("utf-8"),
    )


def problem(code: ErrorCode, *, status: int = 400, oauth_error: str | None = None) -> HttpResponse:
    """An RFC 9457 answer as the service builds it."""
    body: JSONObject = {"type": f"urn:furusato-vc:error:{code.value}", "code": code.value}
    if oauth_error is not None:
        body["error"] = oauth_error
    return answer(body, status=status, content_type="application/problem+json")


@dataclass
class FakeTransport:
    """Answers each (method, URL) with its handler and records what was sent."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None
    ) -> HttpResponse:
        sent = Sent(method=method, url=url, headers=dict(headers), body=body)
        self.sent.append(sent)
        handler = self.routes.get((method, url))
        if handler is None:
            raise AssertionError(f"unexpected request {method} {url}")
        return handler(sent)

    def urls(self) -> list[str]:
        return [f"{s.method} {s.url}" for s in self.sent]


def metadata_document(*, batch_size: int = 10) -> JSONObject:
    display = (Display(name="登録証", locale="ja"), Display(name="Card", locale="en"))
    document = issuer_metadata(
        ISSUER,
        credential_endpoint=CREDENTIAL_URL,
        nonce_endpoint=NONCE_URL,
        batch_size=batch_size,
        display=[Display(name="気仙沼市", locale="ja"), Display(name="Kesennuma", locale="en")],
        configurations=[
            sd_jwt_vc_configuration(id=SD_JWT_ID, vct=BASIC_VCT, display=display),
            compact_configuration(id=COMPACT_ID, display=display),
        ],
    )
    document["token_endpoint"] = TOKEN_URL
    return document


def fake_offer(
    *, configuration_ids: tuple[str, ...] = (SD_JWT_ID, COMPACT_ID), tx_code: bool = True
) -> CredentialOffer:
    return CredentialOffer(
        credential_issuer=ISSUER,
        credential_configuration_ids=configuration_ids,
        pre_authorized_code=PRE_AUTHORIZED_CODE,
        tx_code=TxCode(length=6) if tx_code else None,
    )


class FakeIssuer:
    """A minimal Credential Issuer for :data:`ISSUER` behind a :class:`FakeTransport`. It
    checks the pre-authorized code, tx_code, token and proofs, and issues real credentials of
    ``registration`` (or of ``registration_for(copy number)``). ``tamper`` may rewrite each
    answer's credential list."""

    def __init__(
        self,
        *,
        registration: RegistrationClaims | None = None,
        body: IssuingBody | None = None,
        batch_size: int = 10,
    ) -> None:
        self.body = body or issuing_body(KESENNUMA)
        self.registration = registration or basic_registration()
        self.registration_for: Callable[[int], RegistrationClaims] | None = None
        self.tamper: Callable[[list[str]], list[str]] = lambda credentials: credentials
        self.document = metadata_document(batch_size=batch_size)
        self.batch_size = batch_size
        self.issued = 0
        self.transport = FakeTransport(
            {
                ("GET", METADATA_URL): lambda _sent: answer(self.document),
                ("POST", TOKEN_URL): self._token,
                ("POST", NONCE_URL): lambda _sent: answer({"c_nonce": C_NONCE}),
                ("POST", CREDENTIAL_URL): self._credential,
            }
        )

    def trust(self) -> StaticTrust:
        return StaticTrust.of([trusted_issuer(self.body)])

    def _token(self, sent: Sent) -> HttpResponse:
        assert sent.body is not None
        request = parse_token_request_body(sent.body)
        if request.pre_authorized_code != PRE_AUTHORIZED_CODE:
            return problem(ErrorCode.PRE_AUTHORIZED_CODE_INVALID, oauth_error="invalid_grant")
        if request.tx_code != TX_CODE:
            return problem(ErrorCode.TX_CODE_INVALID, oauth_error="invalid_grant")
        return answer(TokenResponse(access_token=ACCESS_TOKEN, expires_in=300).to_json())

    def _check_nonce(self, nonce: str) -> None:
        if nonce != C_NONCE:
            raise VerificationError(ErrorCode.PROOF_NONCE_INVALID, "stale")

    def _credential(self, sent: Sent) -> HttpResponse:
        if sent.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return problem(ErrorCode.ACCESS_TOKEN_INVALID, status=401, oauth_error="invalid_token")
        request = parse_credential_request(
            sent.json(), known_configuration_ids={SD_JWT_ID, COMPACT_ID}
        )
        proofs = verify_proofs(
            request.proof_jwts,
            batch_size=self.batch_size,
            audience=ISSUER,
            now=to_numeric_date(NOW),
            nonce_check=self._check_nonce,
        )
        credentials: list[str] = []
        for proof in proofs:
            self.issued += 1
            registration = (
                self.registration
                if self.registration_for is None
                else self.registration_for(self.issued)
            )
            random = SeededRandom(f"fake-issuer-{self.issued}")
            if request.credential_configuration_id == COMPACT_ID:
                compact = issue_registration_compact(
                    registration,
                    body=self.body,
                    holder_key=proof.key,
                    status_slot=StatusSlot(
                        list_id=1, uri=self.body.status_list_uri, idx=self.issued
                    ),
                    now=NOW,
                    random=random,
                    bodies=load_bodies(),
                )
                credentials.append(b64url_encode(compact.encode()))
            else:
                issued = issue_registration_credential(
                    registration,
                    body=self.body,
                    holder_key=proof.key,
                    status_index=self.issued,
                    now=NOW,
                    random=random,
                    bodies=load_bodies(),
                )
                credentials.append(issued.serialize())
        return answer(CredentialResponse(credentials=tuple(self.tamper(credentials))).to_json())
