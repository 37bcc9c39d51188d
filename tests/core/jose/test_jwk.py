"""JSON Web Keys (RFC 7517, RFC 7518 §6.2, RFC 8037 §2) and thumbprints (RFC 7638).

Catalogue rows: C-5 (off-curve and non-canonical P-256 points), C-6 (wrong key type or curve,
private ``d`` in a public key, minimal JWK accepted), C-7 (Ed25519 small-order and
non-canonical public keys), J-7 (``kid`` validated).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwcrypto import jwk as jwcrypto_jwk

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.jose import (
    parse_private_jwk,
    parse_public_jwk,
    private_jwk,
    public_jwk_from_key,
)
from tests.helpers import fixed_p256_key

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue

# P-256 domain parameters (SEC 2 §2.4.2 / FIPS 186-4 D.1.2.3).
P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

KEY = fixed_p256_key("test_jwk")
OTHER_KEY = fixed_p256_key("test_jwk-other")
ED_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test_jwk-ed").digest())


def _coord(value: int) -> str:
    return b64url_encode(value.to_bytes(32, "big"))


KEY_X = _coord(KEY.public_key().public_numbers().x)


def _minimal(key: ec.EllipticCurvePrivateKey = KEY) -> JSONObject:
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _coord(numbers.x), "y": _coord(numbers.y)}


def _with(**members: JSONValue) -> JSONObject:
    return {**_minimal(), **members}


def _code(value: JSONValue, *, allow_eddsa: bool = False) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        parse_public_jwk(value, allow_eddsa=allow_eddsa)
    return info.value.code


def _private_code(value: JSONValue, *, allow_eddsa: bool = False) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        parse_private_jwk(value, allow_eddsa=allow_eddsa)
    return info.value.code


def _sqrt_mod_p256(value: int) -> int:
    root = pow(value, (P256_P + 1) // 4, P256_P)  # P256_P ≡ 3 (mod 4)
    assert root * root % P256_P == value
    return root


# ---------------------------------------------------------------- P-256: accepted


def test_parse_public_jwk_accepts_a_minimal_p256_jwk() -> None:
    jwk = parse_public_jwk(_minimal())
    assert isinstance(jwk.key, ec.EllipticCurvePublicKey)
    assert jwk.key.public_numbers() == KEY.public_key().public_numbers()
    assert jwk.kid is None


def test_parse_public_jwk_accepts_es256_alg_sig_use_and_unknown_members() -> None:
    jwk = parse_public_jwk(_with(alg="ES256", use="sig", ext=True, x5t="ignored"))
    assert jwk.to_json() == _minimal()


def test_parse_public_jwk_keeps_the_kid() -> None:
    assert parse_public_jwk(_with(kid="issuer-2027.01")).kid == "issuer-2027.01"


def test_parse_public_jwk_accepts_a_kid_of_128_characters() -> None:
    assert parse_public_jwk(_with(kid="k" * 128)).kid == "k" * 128


def test_parse_public_jwk_accepts_a_point_with_x_zero() -> None:
    # (0, sqrt(b)) is on P-256; the twin test below encodes the same point non-canonically.
    y = _sqrt_mod_p256(P256_B)
    jwk = parse_public_jwk({"kty": "EC", "crv": "P-256", "x": _coord(0), "y": _coord(y)})
    assert isinstance(jwk.key, ec.EllipticCurvePublicKey)
    assert jwk.key.public_numbers().x == 0


def test_public_jwk_from_key_matches_parse_public_jwk() -> None:
    built = public_jwk_from_key(KEY.public_key(), kid="k1")
    assert built == parse_public_jwk(_with(kid="k1"))


# ---------------------------------------------------------------- P-256: rejected


@pytest.mark.parametrize(
    ("member", "raw"),
    [
        ("x", b"\x01" * 31),
        ("x", b"\x01" * 33),
        ("y", b"\x01" * 31),
        ("y", b"\x01" * 33),
        ("x", b""),
    ],
    ids=["x-31", "x-33", "y-31", "y-33", "x-empty"],
)
def test_parse_public_jwk_rejects_a_coordinate_of_the_wrong_length(member: str, raw: bytes) -> None:
    assert _code(_with(**{member: b64url_encode(raw)})) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize(
    "x",
    [KEY_X + "=", "+" + KEY_X[1:], " " + KEY_X, KEY_X + ".", 7, None],
    ids=["padded", "plus", "space", "dot", "int", "null"],
)
def test_parse_public_jwk_rejects_a_coordinate_that_is_not_base64url(x: JSONValue) -> None:
    assert _code(_with(x=x)) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize("member", ["kty", "crv", "x", "y"])
def test_parse_public_jwk_rejects_a_missing_member(member: str) -> None:
    jwk = _minimal()
    del jwk[member]
    assert _code(jwk) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_the_off_curve_point_1_1() -> None:
    assert _code(_with(x=_coord(1), y=_coord(1))) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_x_coordinate_not_below_p() -> None:
    # x = p is a second 32-byte encoding of the valid point (0, sqrt(b)) accepted above.
    y = _sqrt_mod_p256(P256_B)
    assert _code(_with(x=_coord(P256_P), y=_coord(y))) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_y_coordinate_not_below_p() -> None:
    # (x5, 5) is on P-256, and its canonical encoding is accepted; y = p + 5 fits in 32 bytes.
    x5 = 0xD7325D7646CD60D80A92738CEB345F844CFFAF35841022CAB176F692DE8DE1D7
    assert (x5**3 - 3 * x5 + P256_B - 25) % P256_P == 0
    assert parse_public_jwk(_with(x=_coord(x5), y=_coord(5))).y == _coord(5)
    assert _code(_with(x=_coord(x5), y=_coord(P256_P + 5))) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_private_member_d() -> None:
    assert _code(_with(d=_coord(12345))) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize(
    ("kty", "crv"),
    [("RSA", "P-256"), ("oct", "P-256"), ("EC", "P-384"), ("EC", "P-521"), ("EC", "secp256k1")],
)
def test_parse_public_jwk_rejects_other_key_types_and_curves(kty: str, crv: str) -> None:
    assert _code(_with(kty=kty, crv=crv)) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_an_rsa_jwk() -> None:
    assert _code({"kty": "RSA", "n": "sXch", "e": "AQAB"}) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_an_oct_jwk() -> None:
    assert (
        _code({"kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"}) is ErrorCode.MALFORMED_JWK
    )


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES384", "EdDSA", "none", "es256"])
def test_parse_public_jwk_rejects_an_alg_other_than_es256(alg: str) -> None:
    assert _code(_with(alg=alg)) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_use_enc() -> None:
    assert _code(_with(use="enc")) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_key_ops_without_verify() -> None:
    # RFC 7517 §4.3; Wycheproof json_web_signature_test.json tcId 356 "rejectWrongKeyOps".
    assert _code(_with(key_ops=["encrypt"])) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize(
    "kid",
    ["issuer 1", " k", "k\n", "", "k" * 129, "鍵", "k\x00", 1, True],
    ids=["space", "leading-space", "newline", "empty", "129", "non-ascii", "nul", "int", "bool"],
)
def test_parse_public_jwk_rejects_a_malformed_kid(kid: JSONValue) -> None:
    assert _code(_with(kid=kid)) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize("value", [[], "EC", None, 1], ids=["list", "str", "null", "int"])
def test_parse_public_jwk_rejects_a_non_object(value: JSONValue) -> None:
    assert _code(value) is ErrorCode.MALFORMED_JWK


def test_public_jwk_with_kid_rejects_a_malformed_kid_as_programmer_error() -> None:
    with pytest.raises(ValueError):
        public_jwk_from_key(KEY.public_key(), kid="has space")


# ---------------------------------------------------------------- RFC 7638 thumbprint


def _independent_thumbprint(jwk: JSONObject) -> str:
    # RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y") if name in jwk}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def test_thumbprint_is_stable_across_parses() -> None:
    assert parse_public_jwk(_minimal()).thumbprint() == parse_public_jwk(_minimal()).thumbprint()


def test_thumbprint_does_not_depend_on_member_order() -> None:
    reordered = dict(reversed(list(_minimal().items())))
    assert parse_public_jwk(reordered).thumbprint() == parse_public_jwk(_minimal()).thumbprint()


def test_thumbprint_ignores_optional_members() -> None:
    extended = _with(kid="k-1", alg="ES256", use="sig", extra="x")
    assert parse_public_jwk(extended).thumbprint() == parse_public_jwk(_minimal()).thumbprint()


def test_thumbprint_matches_the_rfc_7638_recipe() -> None:
    assert parse_public_jwk(_minimal()).thumbprint() == _independent_thumbprint(_minimal())


def test_thumbprint_matches_jwcrypto() -> None:
    expected = str(jwcrypto_jwk.JWK(**_minimal()).thumbprint())
    assert parse_public_jwk(_minimal()).thumbprint() == expected


def test_thumbprint_differs_between_keys() -> None:
    mine = parse_public_jwk(_minimal()).thumbprint()
    assert mine != parse_public_jwk(_minimal(OTHER_KEY)).thumbprint()


def test_ed25519_thumbprint_matches_rfc_8037_appendix_a3() -> None:
    jwk: JSONObject = {
        "crv": "Ed25519",
        "kty": "OKP",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }
    thumbprint = parse_public_jwk(jwk, allow_eddsa=True).thumbprint()
    assert thumbprint == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert thumbprint == str(jwcrypto_jwk.JWK(**jwk).thumbprint())


# ---------------------------------------------------------------- private JWKs


def test_private_jwk_round_trips_a_p256_key() -> None:
    loaded, kid = parse_private_jwk(private_jwk(KEY, kid="issuer-1"))
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    assert loaded.private_numbers() == KEY.private_numbers()
    assert kid == "issuer-1"


def test_private_jwk_round_trips_an_ed25519_key() -> None:
    loaded, kid = parse_private_jwk(private_jwk(ED_KEY), allow_eddsa=True)
    assert isinstance(loaded, ed25519.Ed25519PrivateKey)
    assert loaded.public_key() == ED_KEY.public_key()
    assert kid is None


def test_private_jwk_loads_the_rfc_8037_appendix_a1_key() -> None:
    jwk: JSONObject = {
        "kty": "OKP",
        "crv": "Ed25519",
        "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }
    loaded, _ = parse_private_jwk(jwk, allow_eddsa=True)
    assert public_jwk_from_key(loaded.public_key()).x == jwk["x"]


def test_public_part_of_private_jwk_has_no_d() -> None:
    public = parse_public_jwk({k: v for k, v in private_jwk(KEY).items() if k != "d"})
    assert "d" not in public.to_json()


def test_parse_private_jwk_rejects_a_d_of_another_key() -> None:
    jwk = private_jwk(KEY)
    jwk["d"] = private_jwk(OTHER_KEY)["d"]
    assert _private_code(jwk) is ErrorCode.MALFORMED_JWK


def test_parse_private_jwk_rejects_an_ed25519_d_of_another_key() -> None:
    other = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    jwk = private_jwk(ED_KEY)
    jwk["d"] = private_jwk(other)["d"]
    assert _private_code(jwk, allow_eddsa=True) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize(
    "d",
    [None, 5, "", _coord(0), _coord(P256_N), b64url_encode(b"\x01" * 31), "AAAA=", "A+AA"],
    ids=["null", "int", "empty", "zero", "n", "31-bytes", "padded", "plus"],
)
def test_parse_private_jwk_rejects_a_malformed_d(d: JSONValue) -> None:
    jwk = private_jwk(KEY)
    jwk["d"] = d
    assert _private_code(jwk) is ErrorCode.MALFORMED_JWK


def test_parse_private_jwk_rejects_a_missing_d() -> None:
    assert _private_code(_minimal()) is ErrorCode.MALFORMED_JWK


def test_parse_private_jwk_rejects_ed25519_without_allow_eddsa() -> None:
    assert _private_code(private_jwk(ED_KEY)) is ErrorCode.MALFORMED_JWK


# ---------------------------------------------------------------- Ed25519 (RFC 8037)

# The eight encodings of the points of order 1, 2, 4 and 8 on edwards25519, as listed in
# libsodium's ge25519_has_small_order() blocklist (crypto_core/ed25519/ref10/ed25519_ref10.c)
# and used by novifinancial/ed25519-speccheck (cases 0-2). Little-endian y, sign of x in bit 255.
SMALL_ORDER_ENCODINGS = {
    "identity (order 1)": "0100000000000000000000000000000000000000000000000000000000000000",
    "y=-1 (order 2)": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "y=0, x>0 (order 4)": "0000000000000000000000000000000000000000000000000000000000000000",
    "y=0, x<0 (order 4)": "0000000000000000000000000000000000000000000000000000000000000080",
    "order 8 a": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8 a, -x": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order 8 b": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 8 b, -x": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}

ED25519_P = 2**255 - 19

# y in [p, 2**255) is a non-canonical field element (RFC 8032 §5.1.3 step 1 says decoding
# fails); 19 values, each with both sign bits.
NON_CANONICAL_Y = [
    pytest.param(y | (sign << 255), id=f"y=p+{y - ED25519_P},sign={sign}")
    for y in range(ED25519_P, 2**255)
    for sign in (0, 1)
]


def _okp(raw: bytes, **members: JSONValue) -> JSONObject:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), **members}


def _ed_raw(key: ed25519.Ed25519PrivateKey = ED_KEY) -> bytes:
    return key.public_key().public_bytes_raw()


def test_parse_public_jwk_rejects_ed25519_without_allow_eddsa() -> None:
    assert _code(_okp(_ed_raw())) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_accepts_a_generated_ed25519_key_with_allow_eddsa() -> None:
    jwk = parse_public_jwk(_okp(_ed_raw()), allow_eddsa=True)
    assert jwk.y is None
    assert jwk.to_json() == _okp(_ed_raw())


def test_ed25519_jwk_verifies_a_signature_of_its_key() -> None:
    jwk = parse_public_jwk(_okp(_ed_raw(), alg="EdDSA", use="sig"), allow_eddsa=True)
    message = "ふるさと住民登録".encode()
    assert jwk.verify(ED_KEY.sign(message), message) is True
    assert jwk.verify(ED_KEY.sign(message), message + b"!") is False


@pytest.mark.parametrize("alg", ["ES256", "Ed25519", "none"])
def test_parse_public_jwk_rejects_an_ed25519_key_with_another_alg(alg: str) -> None:
    assert _code(_okp(_ed_raw(), alg=alg), allow_eddsa=True) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize("crv", ["X25519", "Ed448"])
def test_parse_public_jwk_rejects_other_okp_curves(crv: str) -> None:
    assert _code(_okp(_ed_raw(), crv=crv), allow_eddsa=True) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize("raw", [b"\x01" * 31, b"\x01" * 33], ids=["31", "33"])
def test_parse_public_jwk_rejects_an_ed25519_key_of_the_wrong_length(raw: bytes) -> None:
    assert _code(_okp(raw), allow_eddsa=True) is ErrorCode.MALFORMED_JWK


def test_parse_public_jwk_rejects_an_ed25519_key_with_d() -> None:
    jwk = _okp(_ed_raw(), d=b64url_encode(b"\x00" * 32))
    assert _code(jwk, allow_eddsa=True) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize("encoding", SMALL_ORDER_ENCODINGS.values(), ids=SMALL_ORDER_ENCODINGS)
def test_parse_public_jwk_rejects_small_order_ed25519_keys(encoding: str) -> None:
    assert _code(_okp(bytes.fromhex(encoding)), allow_eddsa=True) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize("encoding", SMALL_ORDER_ENCODINGS.values(), ids=SMALL_ORDER_ENCODINGS)
def test_public_jwk_from_key_rejects_small_order_ed25519_keys(encoding: str) -> None:
    # cryptography itself accepts these (catalogue §5.2), so the check must be ours.
    key = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(encoding))
    with pytest.raises(FormatError) as info:
        public_jwk_from_key(key)
    assert info.value.code is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize("encoded", NON_CANONICAL_Y)
def test_parse_public_jwk_rejects_non_canonical_ed25519_y(encoded: int) -> None:
    raw = encoded.to_bytes(32, "little")
    assert _code(_okp(raw), allow_eddsa=True) is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize(
    "encoding",
    [
        "0100000000000000000000000000000000000000000000000000000000000080",  # identity, -0
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # y=-1, -0
    ],
    ids=["identity", "y=-1"],
)
def test_parse_public_jwk_rejects_x_zero_with_the_sign_bit_set(encoding: str) -> None:
    assert _code(_okp(bytes.fromhex(encoding)), allow_eddsa=True) is ErrorCode.MALFORMED_JWK


def test_p256_jwk_is_for_es256() -> None:
    assert parse_public_jwk(_minimal()).algorithm.value == "ES256"


def test_ed25519_jwk_is_for_eddsa() -> None:
    assert parse_public_jwk(_okp(_ed_raw()), allow_eddsa=True).algorithm.value == "EdDSA"
