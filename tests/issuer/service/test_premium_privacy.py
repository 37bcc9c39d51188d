"""Issue 8: "The service keeps only derived facts … It never keeps the My Number, the raw
certificate or the full address. A test searches the database and the logs for every field
of the test certificate and finds none."

The whole premium path runs (proofing, check-ins, application, approval, a second proofing
after a move), with every logger at DEBUG; then every value of every table and every log
record is searched for each field of the certificates used."""

from __future__ import annotations

import logging
import unicodedata
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from furusato_vc.core.encoding import b64url_encode
from tests.core.identity import jpki_fixtures as pki
from tests.issuer.service.conftest import KESENNUMA
from tests.issuer.service.premium_flows import attend_three, database_text, decide, person

if TYPE_CHECKING:
    import pytest

    from tests.issuer.service.conftest import Service

MOVED_TO = "宮城県気仙沼市八日町１丁目１番１号"
MOVED_SERIAL = 0x0BAD_CAFE_1234


def _needles() -> dict[str, str]:
    """Every field of both test certificates, in the forms it could be stored in."""
    found: dict[str, str] = {}
    for label, address, serial in (
        ("first", pki.ADDRESS, pki.LEAF_SERIAL),
        ("moved", MOVED_TO, MOVED_SERIAL),
    ):
        certificate = pki.leaf(san=pki.basic_four(address=address), serial=serial)
        der = pki.der(certificate)
        spki = certificate.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        )
        found |= {
            f"{label} address": address,
            f"{label} address (NFKC)": unicodedata.normalize("NFKC", address),
            f"{label} street part": unicodedata.normalize("NFKC", address)[-8:],
            f"{label} serial (decimal)": str(serial),
            f"{label} serial (hex)": f"{serial:x}",
            f"{label} certificate (base64url)": b64url_encode(der)[100:160],
            f"{label} certificate (hex)": der.hex()[200:280],
            f"{label} public key (hex)": spki.hex()[64:144],
        }
    name_nfkc = unicodedata.normalize("NFKC", pki.NAME)
    return found | {
        "name": pki.NAME,
        "name (NFKC)": name_nfkc,
        "name without space": name_nfkc.replace(" ", ""),
        "family name": "山田",
        "given name": "花子",
        "birth date (certificate form)": pki.BIRTHDATE,
        "birth date (ISO)": "1990-04-15",
        "birth date (Japanese)": "1990年4月15日",
        "county": "上伊那郡",
    }


def test_no_field_of_the_certificate_is_stored_or_logged(
    premium_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    who = person(service)
    who.register(KESENNUMA, plain=True)  # no names or birthdate in the registration itself
    assert who.prove().status_code == 200
    attend_three(service, who, KESENNUMA, reviewer)
    applied = who.apply(KESENNUMA)
    assert applied.status_code == 201, applied.text
    approved = decide(service, KESENNUMA, reviewer, applied.json()["application_id"], "approve")
    assert approved.status_code == 200, approved.text
    moved = who.prove(address=MOVED_TO, serial=MOVED_SERIAL)
    assert moved.status_code == 200, moved.text

    stored = database_text(service)
    logged = caplog.text + "\n".join(str(record.args) for record in caplog.records if record.args)
    assert "identities" in stored or stored  # the dump is not empty
    leaks = {
        label: where
        for label, needle in _needles().items()
        for where, haystack in (("database", stored), ("logs", logged))
        if needle in haystack
    }
    assert leaks == {}


def test_what_is_kept_is_the_derived_facts(premium_service: Service) -> None:
    """The positive side: the facts the rules need are there (so the search above is
    searching a database that holds the proofing's outcome)."""
    service = premium_service
    who = person(service)
    who.register(KESENNUMA, plain=True)
    assert who.prove().status_code == 200
    stored = database_text(service)
    assert pki.MUNICIPALITY in stored  # the address municipality code, 203858
    assert "jpki_signing" in stored
    assert "1990" in stored  # the birth year, for the minors' rule
