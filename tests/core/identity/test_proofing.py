"""Address → municipality matching and the ProofedIdentity type."""

from __future__ import annotations

from datetime import date

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.identity import (
    IdentityMethod,
    ProofedIdentity,
    derive_person_key,
    municipality_code_from_address,
)
from furusato_vc.core.registration.bodies import load_bodies

BODIES = load_bodies()


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("北海道札幌市中央区北1条西2丁目", "011002"),  # designated-city ward → the city
        ("東京都千代田区霞が関1-2-1", "131016"),  # special ward
        ("長野県上伊那郡南箕輪村4825番地1", "203858"),  # 郡 skipped
        ("愛知県蒲郡市旭町17番1号", "232149"),  # 郡 inside a city name is not cut
        ("福島県郡山市朝日一丁目23番7号", "072036"),
        ("長野県 上伊那郡　南箕輪村", "203858"),  # spaces
    ],
)
def test_municipality_from_address(address: str, code: str) -> None:
    assert municipality_code_from_address(address, bodies=BODIES) == code


def test_small_and_large_ke_are_the_same() -> None:
    written = next(b for b in BODIES if "ヶ" in b.name_ja)
    address = written.prefecture_name_ja + written.name_ja.replace("ヶ", "ケ") + "1番地"
    assert municipality_code_from_address(address, bodies=BODIES) == written.code


@pytest.mark.parametrize(
    "address", ["長野県", "上伊那郡南箕輪村", "長野県上伊那郡", "東京都札幌市"]
)
def test_unknown_municipality(address: str) -> None:
    with pytest.raises(VerificationError) as caught:
        municipality_code_from_address(address, bodies=BODIES)
    assert caught.value.code is ErrorCode.IDENTITY_ADDRESS_UNKNOWN


def test_proofed_identity_validates_its_fields() -> None:
    key = derive_person_key(b"k" * 32, "label", "a")
    fields = {
        "method": IdentityMethod.OIDC,
        "verified_at": date(2026, 7, 1),
        "address_municipality_code": "203858",
        "birth_year": 1990,
        "person_key": key,
    }
    assert ProofedIdentity(**fields).person_key == key  # type: ignore[arg-type]
    for name, bad in [
        ("address_municipality_code", "203850"),
        ("birth_year", 2027),
        ("person_key", key.upper()),
    ]:
        with pytest.raises((ValueError, FormatError)):
            ProofedIdentity(**{**fields, name: bad})  # type: ignore[arg-type]


def test_person_key_needs_a_long_secret() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        derive_person_key(b"short", "label", "a")
