"""Project Wycheproof vectors replayed through our JOSE code.

The vectors are read at test time from ``/work/shared/testdata/wycheproof`` (C2SP/wycheproof
@ dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166 : testvectors_v1/, Apache License 2.0, © Google LLC
and the Wycheproof contributors; the licence text is the ``LICENSE`` file in that directory).
They are not copied into this repository.

- ``ecdsa_secp256r1_sha256_p1363_test.json``: ECDSA P-256/SHA-256 with IEEE P1363 ``r || s``
  signatures, i.e. exactly the JOSE ES256 signature format (RFC 7518 §3.4). Each case goes
  through :meth:`PublicJwk.verify`; ``valid`` must verify, ``invalid`` must not, ``acceptable``
  may do either (the result is recorded as a test property). Catalogue rows C-1 … C-5.
- ``json_web_signature_test.json``: compact JWS cases (``alg: none``, HMAC confusion, embedded
  ``jwk``, bad base64url, JSON serialization, missing and extra segments, ES256 special cases,
  RSA/PS/HS/ES521 tokens). Catalogue rows J-1, J-2, J-4, J-12, J-13, J-16, J-17, C-1, C-3.
- ``json_web_key_test.json``: key sets (mixed symmetric/asymmetric, duplicate ``kid``, keys
  whose ``alg``/``use``/``crv``/``kty``/point was modified). Catalogue rows J-8, C-5, C-6.

What a case means for us: a JWS case is replayed as a verifier holding the group's key would
run it: the key goes through :func:`parse_public_jwk` (only EC P-256 can pass), the token
through :func:`decode_unverified_jws` and :func:`verify_jws_signature`. A case is *accepted*
only if all three succeed. When the group's key cannot be imported, the token is still run
against an unrelated ES256 key we trust, so that every token also exercises the token path and
is shown to fail with a :class:`FurusatoError`. Which code each step produced is recorded with
the test item's ``user_properties`` (visible in ``--junitxml`` reports).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.jose import (
    PublicJwk,
    decode_unverified_jws,
    parse_public_jwk,
    public_jwk_from_key,
    verify_jws_signature,
)
from tests.helpers import fixed_signer

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

WYCHEPROOF_DIR = Path("/work/shared/testdata/wycheproof")

# A trusted ES256 key that has nothing to do with any vector.
BYSTANDER_KEY = fixed_signer("wycheproof-bystander").public_jwk

# Rejections that say "we do not do this algorithm" or "this is not a well-formed JWS".
UNSUPPORTED_CODES = frozenset(
    {
        ErrorCode.ALGORITHM_NOT_ALLOWED,
        ErrorCode.MALFORMED_BASE64URL,
        ErrorCode.MALFORMED_JSON,
        ErrorCode.MALFORMED_JWS,
        ErrorCode.MALFORMED_JWS_HEADER,
        ErrorCode.MALFORMED_JWK,
    }
)


def _load(name: str) -> dict[str, Any]:
    if not WYCHEPROOF_DIR.is_dir():
        pytest.fail(
            f"Wycheproof vectors not found: {WYCHEPROOF_DIR} is missing. Every machine of this "
            "project has /work/shared/testdata (C2SP/wycheproof@dac1dd47 testvectors_v1).",
            pytrace=False,
        )
    data: dict[str, Any] = json.loads((WYCHEPROOF_DIR / name).read_text(encoding="utf-8"))
    return data


P1363 = _load("ecdsa_secp256r1_sha256_p1363_test.json")
JWS = _load("json_web_signature_test.json")
JWK = _load("json_web_key_test.json")


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    tc_id: int
    comment: str
    result: str
    group: dict[str, Any]
    test: dict[str, Any]


def _cases(data: dict[str, Any]) -> list[Case]:
    return [
        Case(
            tc_id=test["tcId"],
            comment=test["comment"],
            result=test["result"],
            group=group,
            test=test,
        )
        for group in data["testGroups"]
        for test in group["tests"]
    ]


def _case_id(case: Case) -> str:
    group = case.group.get("comment", case.group["type"])
    return f"tc{case.tc_id}-{group}-{case.comment}-{case.result}".replace(" ", "_")


def _params(data: dict[str, Any]) -> list[Any]:
    return [pytest.param(case, id=_case_id(case)) for case in _cases(data)]


def _counts(data: dict[str, Any]) -> dict[str, int]:
    counts = {"valid": 0, "invalid": 0, "acceptable": 0}
    for case in _cases(data):
        counts[case.result] += 1
    return counts


def _attempt(step: Callable[[], T]) -> T | ErrorCode:
    """Run one step; a FurusatoError becomes its code, any other exception propagates."""
    try:
        return step()
    except FurusatoError as exc:
        return exc.code


# ---------------------------------------------------------------- ECDSA P-256, IEEE P1363


@cache
def _p1363_key(uncompressed: str) -> PublicJwk:
    point = bytes.fromhex(uncompressed)
    return public_jwk_from_key(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point))


def test_p1363_file_is_complete() -> None:
    assert P1363["numberOfTests"] == 262
    assert _counts(P1363) == {"valid": 173, "invalid": 89, "acceptable": 0}


@pytest.mark.parametrize("case", _params(P1363))
def test_p1363_vector(case: Case, request: pytest.FixtureRequest) -> None:
    key = _p1363_key(case.group["publicKey"]["uncompressed"])
    verified = key.verify(bytes.fromhex(case.test["sig"]), bytes.fromhex(case.test["msg"]))
    request.node.user_properties.append(("verified", verified))
    if case.result == "valid":
        assert verified is True
    elif case.result == "invalid":
        assert verified is False
    else:  # acceptable: either answer is fine; the answer is recorded above
        assert isinstance(verified, bool)


def test_p1363_group_keys_agree_across_encodings() -> None:
    """The uncompressed point, (wx, wy) and, where given, publicKeyJwk name the same key."""
    with_jwk = 0
    for group in P1363["testGroups"]:
        public = group["publicKey"]
        key = _p1363_key(public["uncompressed"])
        assert isinstance(key.key, ec.EllipticCurvePublicKey)
        assert key.key.public_numbers() == ec.EllipticCurvePublicNumbers(
            int(public["wx"], 16), int(public["wy"], 16), ec.SECP256R1()
        )
        if "publicKeyJwk" in group:
            with_jwk += 1
            parsed = parse_public_jwk(group["publicKeyJwk"])
            assert (parsed.x, parsed.y) == (key.x, key.y)
    assert with_jwk == 103


# ---------------------------------------------------------------- JSON Web Signature


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    key: PublicJwk | ErrorCode  # the group's key through parse_public_jwk
    token: ErrorCode | None  # decode + verify; None when the signature verified
    accepted: bool  # verified with (one of) the group's own key(s)


def _token_outcome(token: str, key: PublicJwk) -> ErrorCode | None:
    def run() -> None:
        verify_jws_signature(decode_unverified_jws(token), key)

    result = _attempt(run)
    return result if isinstance(result, ErrorCode) else None


def _replay(token: str, key_candidates: list[dict[str, Any]]) -> Outcome:
    """Import every candidate key; run the token against each imported key, or against the
    bystander key when none could be imported."""
    imported = [_attempt(partial(parse_public_jwk, jwk)) for jwk in key_candidates]
    usable = [key for key in imported if isinstance(key, PublicJwk)]
    if not usable:
        first = imported[0] if imported else ErrorCode.MALFORMED_JWK
        return Outcome(key=first, token=_token_outcome(token, BYSTANDER_KEY), accepted=False)
    codes = [_token_outcome(token, key) for key in usable]
    accepted = any(code is None for code in codes)
    token_code = None if accepted else codes[0]
    return Outcome(key=usable[0], token=token_code, accepted=accepted)


def _record(outcome: Outcome, request: pytest.FixtureRequest) -> None:
    """Keep which step rejected the case as a user property of the test item (written to
    ``--junitxml`` reports). ``record_property`` itself warns under the xunit2 family."""
    key = outcome.key
    token = "verified" if outcome.token is None else outcome.token.value
    request.node.user_properties.append(
        ("key_import", key.value if isinstance(key, ErrorCode) else "ok")
    )
    request.node.user_properties.append(("token", token))


def _jws_group_key(group: dict[str, Any]) -> dict[str, Any]:
    # Symmetric-key groups carry only "private"; importing it as a public key must fail.
    key: dict[str, Any] = group["public"] if "public" in group else group["private"]
    return key


def _header_alg(token: str) -> object:
    header = _attempt(lambda: decode_unverified_jws(token).header)
    return header.get("alg") if isinstance(header, dict) else None


def test_jws_file_is_complete() -> None:
    assert JWS["numberOfTests"] == 401
    assert _counts(JWS) == {"valid": 46, "invalid": 355, "acceptable": 0}


@pytest.mark.parametrize("case", _params(JWS))
def test_jws_vector(case: Case, request: pytest.FixtureRequest) -> None:
    token = case.test["jws"]
    outcome = _replay(token, [_jws_group_key(case.group)])
    _record(outcome, request)
    key_is_ours = isinstance(outcome.key, PublicJwk)
    if case.result == "valid" and key_is_ours:
        assert outcome.accepted, f"valid ES256 case rejected with {outcome.token}"
    else:
        assert not outcome.accepted, "Wycheproof case accepted but must be rejected"
    if not key_is_ours:
        # RSA, PS, HMAC, P-521 (and keys marked for encryption) are not ours at all.
        assert outcome.key is ErrorCode.MALFORMED_JWK
    if _header_alg(token) not in {None, "ES256"}:
        assert outcome.token in UNSUPPORTED_CODES, outcome.token


# Expected meaning of the ES256-relevant groups, pinned by tcId.
JWS_ES256_EXPECTED: dict[int, ErrorCode | None] = {
    18: None,  # acceptsValid
    19: ErrorCode.SIGNATURE_INVALID,  # rejectsModifiedSignature
    20: ErrorCode.MALFORMED_JWS,  # rejectsMissingSignature
    21: ErrorCode.MALFORMED_JWS,  # rejectsMissingSignatureAndSeparator
    22: ErrorCode.SIGNATURE_INVALID,  # rejectsModifiedPayload
    23: ErrorCode.SIGNATURE_INVALID,  # rejectsMissingPayload (empty payload is well-formed)
    24: ErrorCode.MALFORMED_JWS,  # rejectsMissingPayloadAndSeparator
    25: ErrorCode.SIGNATURE_INVALID,  # rejectsModifiedHeader
    26: ErrorCode.MALFORMED_JWS,  # rejectsMissingHeader
    27: ErrorCode.MALFORMED_JWS,  # rejectsMissingHeaderAndSeparator
    28: ErrorCode.MALFORMED_JWS,  # rejectsMissingHeaderAndSignature
    29: ErrorCode.MALFORMED_JWS,  # rejectsMissingHeaderSignatureAndSeparators
    30: ErrorCode.MALFORMED_JWS,  # rejectsEmptyString
    31: ErrorCode.ALGORITHM_NOT_ALLOWED,  # HS256 keyed with the EC public key bytes
    32: ErrorCode.SIGNATURE_INVALID,  # attacker's key embedded as header "jwk": never used
    378: None,  # SpecialCaseEs256 valid
}


@pytest.mark.parametrize(("tc_id", "expected"), sorted(JWS_ES256_EXPECTED.items()))
def test_jws_es256_vector_gives_the_expected_code(tc_id: int, expected: ErrorCode | None) -> None:
    case = next(case for case in _cases(JWS) if case.tc_id == tc_id)
    assert _replay(case.test["jws"], [_jws_group_key(case.group)]).token is expected


def test_jws_es256_special_cases_are_all_signature_invalid() -> None:
    cases = [c for c in _cases(JWS) if c.group.get("comment") == "SpecialCaseEs256"]
    codes = {c.tc_id: _replay(c.test["jws"], [c.group["public"]]).token for c in cases}
    assert len(codes) == 24
    assert {tc: code for tc, code in codes.items() if tc != 378} == dict.fromkeys(
        range(379, 402), ErrorCode.SIGNATURE_INVALID
    )


# ---------------------------------------------------------------- JSON Web Key (key sets)

# Groups whose keys were modified from the valid es256 key: the token is the valid ES256 token,
# so only key import stands between it and acceptance.
MODIFIED_KEY_GROUPS = (
    "wrong_algorithm",
    "invalid_algorithm",
    "invalid_use",
    "invalid_point",
    "wrong_curve",
    "wrong_kty",
)


def _jwk_key_set(group: dict[str, Any]) -> list[dict[str, Any]]:
    key_set: dict[str, Any] = group["public"] if "public" in group else group["private"]
    keys: list[dict[str, Any]] = key_set["keys"]
    return keys


def test_jwk_file_is_complete() -> None:
    assert JWK["numberOfTests"] == 26
    assert _counts(JWK) == {"valid": 5, "invalid": 21, "acceptable": 0}


@pytest.mark.parametrize("case", _params(JWK))
def test_jwk_vector(case: Case, request: pytest.FixtureRequest) -> None:
    token = case.test["jws"]
    outcome = _replay(token, _jwk_key_set(case.group))
    _record(outcome, request)
    # No valid case in this file is an ES256 one: every case must be rejected.
    assert not outcome.accepted
    if _header_alg(token) not in {None, "ES256"}:
        assert outcome.token in UNSUPPORTED_CODES, outcome.token


@pytest.mark.parametrize("group_comment", MODIFIED_KEY_GROUPS)
def test_jwk_modified_es256_key_is_rejected_at_import(group_comment: str) -> None:
    group = next(g for g in JWK["testGroups"] if g["comment"] == group_comment)
    (jwk,) = group["public"]["keys"]
    with pytest.raises(FurusatoError) as info:
        parse_public_jwk(jwk)
    assert info.value.code is ErrorCode.MALFORMED_JWK


def test_jwk_mixed_symmetric_key_set_rejects_the_hmac_token_by_algorithm() -> None:
    group = next(g for g in JWK["testGroups"] if g["comment"] == "jws_mixedSymmetryKeyset")
    outcome = _replay(group["tests"][0]["jws"], _jwk_key_set(group))
    assert isinstance(outcome.key, PublicJwk)  # the EC member of the set is a fine key
    assert outcome.token is ErrorCode.ALGORITHM_NOT_ALLOWED
