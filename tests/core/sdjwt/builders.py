"""Builders for SD-JWT tests: fixed keys and clock, a sample credential, and hand-crafted payloads.

Well-formed credentials come from :func:`issue_sample`. Malformed structures are built by hand
(:func:`craft`): the payload is a JSON object we write ourselves, Disclosures come from
:func:`obj_disclosure` / :func:`arr_disclosure` and are referenced with :func:`dig`, and the
result is signed by the trusted issuer key with ``sign_compact_jws`` — so every rejection is
reached past the signature check and exercises exactly one rule.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.jose import sign_compact_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.sdjwt import (
    NO_DECOYS,
    SD,
    ClaimInput,
    DecoyPolicy,
    IssuedSdJwt,
    KeyBindingPolicy,
    KeyBindingRequest,
    SdAlg,
    SdJwtLimits,
    SdJwtPolicy,
    StaticIssuerKeys,
    create_presentation,
    issue_sd_jwt,
)
from furusato_vc.core.sdjwt.disclosure import (
    Disclosure,
    make_array_disclosure,
    make_object_disclosure,
)
from furusato_vc.core.sdjwt.hashing import digest
from tests.helpers import FIXED_NOW, SeededRandom, fixed_signer

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose import SoftwareSigner

__all__ = [
    "AUDIENCE",
    "EXP",
    "IAT",
    "ISSUER",
    "ISSUER_KID",
    "NONCE",
    "NOW",
    "NOW_S",
    "TYP",
    "VCT",
    "arr_disclosure",
    "as_claim_input",
    "at_seconds",
    "base_payload",
    "craft",
    "decode_segment_json",
    "dig",
    "holder_policy",
    "holder_signer",
    "hs256_jws",
    "issue_sample",
    "issuer_keys",
    "issuer_signer",
    "kb_jwt",
    "kb_request",
    "obj_disclosure",
    "other_signer",
    "present",
    "raw_disclosure",
    "registered_claims",
    "sample_claims",
    "sd_hash_of",
    "sign_payload",
    "sign_raw",
    "unsigned_jws",
    "verifier_policy",
]

ISSUER = "https://city.furusato.example.jp"
ISSUER_KID = "city-2027-01"
TYP = "dc+sd-jwt"
VCT = "https://furusato.example.jp/vct/registration-card"
AUDIENCE = "https://kiosk.verifier.example.jp"
NONCE = "nonce-8f14e45fceea167a"

NOW = FIXED_NOW
NOW_S = to_numeric_date(FIXED_NOW)
IAT = NOW_S - 3600
EXP = NOW_S + 30 * 86400

_SALTS = itertools.count()


# --------------------------------------------------------------------------- keys and policies


def issuer_signer() -> SoftwareSigner:
    return fixed_signer("sdjwt-test-issuer", kid=ISSUER_KID)


def holder_signer() -> SoftwareSigner:
    return fixed_signer("sdjwt-test-holder")


def other_signer(label: str = "sdjwt-test-attacker", *, kid: str | None = None) -> SoftwareSigner:
    return fixed_signer(label, kid=kid)


def issuer_keys(signer: SoftwareSigner | None = None, *, issuer: str = ISSUER) -> StaticIssuerKeys:
    return StaticIssuerKeys({issuer: ((signer or issuer_signer()).public_jwk,)})


def holder_policy(*, limits: SdJwtLimits | None = None, require_expiry: bool = True) -> SdJwtPolicy:
    """The Holder's policy on receipt (§7.2): no KB-JWT allowed."""
    return SdJwtPolicy(
        key_binding=None,
        accepted_typ=frozenset({TYP}),
        limits=limits or SdJwtLimits(),
        require_expiry=require_expiry,
    )


def verifier_policy(
    *,
    nonce: str | None = NONCE,
    audience: str = AUDIENCE,
    max_age_seconds: int = 300,
    max_future_seconds: int = 60,
    limits: SdJwtLimits | None = None,
) -> SdJwtPolicy:
    """A Verifier policy that requires Key Binding (§7.3 step 1)."""
    return SdJwtPolicy(
        key_binding=KeyBindingPolicy(
            audience=audience,
            nonce=nonce,
            max_age_seconds=max_age_seconds,
            max_future_seconds=max_future_seconds,
        ),
        accepted_typ=frozenset({TYP}),
        limits=limits or SdJwtLimits(),
    )


def kb_request(
    *,
    holder: SoftwareSigner | None = None,
    audience: str = AUDIENCE,
    nonce: str = NONCE,
    issued_at: int = NOW_S,
) -> KeyBindingRequest:
    return KeyBindingRequest(
        holder=holder or holder_signer(), audience=audience, nonce=nonce, issued_at=issued_at
    )


# --------------------------------------------------------------------------- claims


def as_claim_input(value: JSONValue) -> ClaimInput:
    """A JSON value retyped as issuance input (no markers)."""
    if isinstance(value, dict):
        return {k: as_claim_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_claim_input(v) for v in value]
    return value


def registered_claims(
    *, holder: SoftwareSigner | None = None, iat: int = IAT, exp: int = EXP
) -> dict[str, ClaimInput]:
    """Plaintext SD-JWT VC claims (never selectively disclosable, §9.7)."""
    jwk = (holder or holder_signer()).public_jwk.to_json(include_kid=False)
    return {
        "iss": ISSUER,
        "iat": iat,
        "exp": exp,
        "vct": VCT,
        "cnf": {"jwk": as_claim_input(jwk)},
    }


def sample_claims() -> dict[str, ClaimInput]:
    """Flat, recursive (an SD object with SD members) and array SD claims."""
    return {
        **registered_claims(),
        "given_name": SD("太郎"),
        "family_name": SD("山田"),
        "birthdate": SD("1990-04-01"),
        "address": SD(
            {
                "country": "JP",
                "region": SD("北海道"),
                "locality": SD("ニセコ町"),
                "street_address": SD("富士見1-2-3"),
            }
        ),
        "nationalities": ["JP", SD("US"), SD("FR")],
        "registered_municipalities": [SD({"code": "013951", "since": SD("2026-10-01")})],
    }


def issue_sample(
    claims: dict[str, ClaimInput] | None = None,
    *,
    signer: SoftwareSigner | None = None,
    seed: str = "sample",
    decoys: DecoyPolicy = NO_DECOYS,
    typ: str = TYP,
) -> IssuedSdJwt:
    return issue_sd_jwt(
        sample_claims() if claims is None else claims,
        signer=signer or issuer_signer(),
        typ=typ,
        random=SeededRandom(seed),
        decoys=decoys,
    )


def present(
    issued: IssuedSdJwt,
    disclosures: Sequence[Disclosure] | None = None,
    *,
    kb: KeyBindingRequest | None = None,
) -> str:
    return create_presentation(
        issuer_jwt=issued.issuer_jwt,
        disclosures=issued.disclosures if disclosures is None else disclosures,
        key_binding=kb,
    )


# --------------------------------------------------------------------------- hand-crafting


def _salt() -> str:
    return b64url_encode(hashlib.sha256(f"salt-{next(_SALTS)}".encode()).digest()[:16])


def obj_disclosure(name: str, value: JSONValue, *, salt: str | None = None) -> Disclosure:
    return make_object_disclosure(salt=salt or _salt(), name=name, value=value)


def arr_disclosure(value: JSONValue, *, salt: str | None = None) -> Disclosure:
    return make_array_disclosure(salt=salt or _salt(), value=value)


def dig(disclosure: Disclosure | str) -> str:
    """The digest that references ``disclosure`` (§4.2.3)."""
    text = disclosure if isinstance(disclosure, str) else disclosure.encoded
    return digest(SdAlg.SHA_256, text)


def sign_raw(
    payload: bytes, *, header: JSONObject | None = None, signer: SoftwareSigner | None = None
) -> str:
    """A JWS over exact payload bytes (e.g. JSON with duplicate keys)."""
    return sign_compact_jws(
        header={"typ": TYP} if header is None else header,
        payload=payload,
        signer=signer or issuer_signer(),
    )


def sign_payload(
    payload: JSONObject, *, header: JSONObject | None = None, signer: SoftwareSigner | None = None
) -> str:
    return sign_raw(dumps_compact(payload).encode("utf-8"), header=header, signer=signer)


def unsigned_jws(header: JSONObject, payload: JSONObject, *, signature: bytes = b"") -> str:
    """A JWS whose signature part is arbitrary (``alg: none`` and friends)."""
    return ".".join(
        (
            b64url_encode(dumps_compact(header).encode("utf-8")),
            b64url_encode(dumps_compact(payload).encode("utf-8")),
            b64url_encode(signature),
        )
    )


def hs256_jws(header: JSONObject, payload: JSONObject, *, secret: bytes) -> str:
    signing_input = (
        b64url_encode(dumps_compact(header).encode("utf-8"))
        + "."
        + b64url_encode(dumps_compact(payload).encode("utf-8"))
    )
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(mac)


def sd_hash_of(issuer_jwt: str, disclosures: Iterable[str], *, final_tilde: bool = True) -> str:
    text = "~".join((issuer_jwt, *disclosures)) + ("~" if final_tilde else "")
    return digest(SdAlg.SHA_256, text)


def kb_jwt(
    *,
    issuer_jwt: str,
    disclosures: Sequence[str],
    header: JSONObject | None = None,
    payload: JSONObject | None = None,
    drop: Iterable[str] = (),
    signer: SoftwareSigner | None = None,
) -> str:
    """A KB-JWT with full control: ``payload`` entries override the correct defaults and the
    names in ``drop`` are removed."""
    body: JSONObject = {
        "iat": NOW_S,
        "aud": AUDIENCE,
        "nonce": NONCE,
        "sd_hash": sd_hash_of(issuer_jwt, disclosures),
    }
    body.update(payload or {})
    for name in drop:
        body.pop(name, None)
    return sign_compact_jws(
        header={"typ": "kb+jwt"} if header is None else header,
        payload=dumps_compact(body).encode("utf-8"),
        signer=signer or holder_signer(),
        include_kid=False,
    )


def base_payload(**extra: JSONValue) -> JSONObject:
    """Registered claims as plain JSON for hand-crafted payloads."""
    payload: JSONObject = {
        "iss": ISSUER,
        "iat": IAT,
        "exp": EXP,
        "vct": VCT,
        "cnf": {"jwk": holder_signer().public_jwk.to_json(include_kid=False)},
        "_sd_alg": "sha-256",
    }
    payload.update(extra)
    return payload


def craft(
    payload: JSONObject,
    disclosures: Sequence[Disclosure | str] = (),
    *,
    kb: bool = False,
    header: JSONObject | None = None,
    signer: SoftwareSigner | None = None,
) -> str:
    """Sign ``payload`` as the trusted issuer and append ``disclosures`` (and a valid KB-JWT)."""
    jwt = sign_payload(payload, header=header, signer=signer)
    encoded = [d if isinstance(d, str) else d.encoded for d in disclosures]
    text = "~".join((jwt, *encoded)) + "~"
    if kb:
        text += kb_jwt(issuer_jwt=jwt, disclosures=encoded)
    return text


def raw_disclosure(json_text: str) -> str:
    """A Disclosure string over exact JSON text."""
    return b64url_encode(json_text.encode("utf-8"))


def decode_segment_json(segment: str) -> JSONObject:
    value = json.loads(b64url_decode(segment))
    assert isinstance(value, dict)
    return value


def at_seconds(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
