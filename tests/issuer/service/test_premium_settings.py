"""Premium settings from the environment, as `furusato-vc issuer serve` reads them."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from furusato_vc.core.premium.oidc_identity import IdTokenAlgorithm
from furusato_vc.issuer.service.settings import CrlDirectory, PremiumSettings
from tests.core.identity import jpki_fixtures as pki
from tests.issuer.service.conftest import OIDC_SIGNER

if TYPE_CHECKING:
    from pathlib import Path


def _files(tmp_path: Path) -> dict[str, str]:
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.root().cert.public_bytes(Encoding.PEM))
    crls = tmp_path / "crl"
    crls.mkdir()
    (crls / "intermediate.crl").write_bytes(pki.crl(pki.intermediate()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [OIDC_SIGNER.public_jwk.to_json()]}))
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"min_activities": 4, "exclude_own_prefecture": True}))
    return {
        "FURUSATO_JPKI_ROOTS": str(roots),
        "FURUSATO_JPKI_CRL_DIR": str(crls),
        "FURUSATO_OIDC_ISSUER": "https://auth.test.example",
        "FURUSATO_OIDC_CLIENT_ID": "furusato-vc",
        "FURUSATO_OIDC_JWKS": str(jwks),
        "FURUSATO_OIDC_ADDRESS_CLAIM": "address.municipality_code",
        "FURUSATO_PREMIUM_RULES": str(rules),
    }


def test_everything_is_read_from_the_environment(tmp_path: Path) -> None:
    settings = PremiumSettings.from_environment(_files(tmp_path))
    assert settings.jpki is not None
    assert settings.jpki.trust_roots == (pki.root().cert,)
    assert isinstance(settings.jpki.revocation, CrlDirectory)
    assert len(settings.jpki.revocation.current_crls()) == 1
    assert settings.jpki.ocsp is None
    assert settings.oidc is not None
    assert settings.oidc.address_code_claim == ("address", "municipality_code")
    assert settings.oidc.algorithms == frozenset({IdTokenAlgorithm.ES256})
    assert (settings.rules.min_activities, settings.rules.exclude_own_prefecture) == (4, True)
    assert settings.rules.max_premium_registrations == 3  # the national default stays


def test_an_ocsp_responder_alone_is_a_revocation_source(tmp_path: Path) -> None:
    environ = _files(tmp_path) | {"FURUSATO_JPKI_OCSP_URL": "http://ocsp.jpki.example/"}
    del environ["FURUSATO_JPKI_CRL_DIR"]
    settings = PremiumSettings.from_environment(environ)
    assert settings.jpki is not None
    assert settings.jpki.revocation is None
    assert settings.jpki.ocsp is not None
    assert settings.jpki.ocsp.responder_url == "http://ocsp.jpki.example/"


def test_nothing_set_means_no_proofing_and_the_national_rules() -> None:
    settings = PremiumSettings.from_environment({})
    assert (settings.jpki, settings.oidc) == (None, None)
    assert settings.rules.min_activities == 3


def test_a_crl_file_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    settings = PremiumSettings.from_environment(_files(tmp_path))
    assert settings.jpki is not None
    assert settings.jpki.revocation is not None
    before = settings.jpki.revocation.current_crls()
    newer = pki.crl(pki.intermediate(), revoked=(pki.LEAF_SERIAL,))
    target = tmp_path / "crl" / "intermediate.crl"
    target.write_bytes(newer)
    os.utime(target, (1, 2_000_000_000))
    assert settings.jpki.revocation.current_crls() == [newer] != before


@pytest.mark.parametrize(
    ("drop", "change", "message"),
    [
        ("FURUSATO_JPKI_CRL_DIR", {}, "goes together"),
        (None, {"FURUSATO_JPKI_OCSP_URL": "ftp://ocsp.example"}, "http"),
        (None, {"FURUSATO_JPKI_CRL_DIR": "/nonexistent"}, "not a directory"),
    ],
)
def test_unusable_settings_fail_at_start(
    tmp_path: Path, drop: str | None, change: dict[str, str], message: str
) -> None:
    environ = _files(tmp_path) | change
    if drop:
        del environ[drop]
    with pytest.raises(ValueError, match=message):
        PremiumSettings.from_environment(environ)


def test_an_unknown_rule_fails_at_start(tmp_path: Path) -> None:
    environ = _files(tmp_path)
    (tmp_path / "rules.json").write_text(json.dumps({"min_activites": 2}))
    with pytest.raises(ValueError, match="unknown premium rules"):
        PremiumSettings.from_environment(environ)
