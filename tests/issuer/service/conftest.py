"""Service test fixtures: a fresh, migrated database per test, on SQLite and on the local
PostgreSQL (127.0.0.1:5432, database ``test``; set ``FURUSATO_TEST_POSTGRES`` to another
URL). PostgreSQL tests never skip silently: if the server is unreachable they fail, so CI
always runs them (``FURUSATO_SKIP_POSTGRES=1`` skips them on a laptop without one)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg  # type: ignore[import-untyped]
import pytest
from cryptography import x509
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient

from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.premium.oidc_identity import OidcProvider
from furusato_vc.issuer.service import ServiceSettings, create_app
from furusato_vc.issuer.service.admin import add_staff, host_body
from furusato_vc.issuer.service.migrate import upgrade
from furusato_vc.issuer.service.ocsp_fetch import OcspSource
from furusato_vc.issuer.service.settings import JpkiSettings, PremiumSettings, StaticRevocation
from furusato_vc.runtime import SystemRandom
from tests.core.identity import jpki_fixtures as pki
from tests.helpers import FIXED_NOW

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path

POSTGRES_URL = os.environ.get("FURUSATO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
KESENNUMA = "042056"  # 宮城県気仙沼市
MINAMIMINOWA = "203858"  # 長野県南箕輪村
MIYAGI = "040002"  # 宮城県
NAGANO = "200000"  # 長野県
CHIYODA, SAPPORO, NAHA = "131016", "011002", "472018"  # 千代田区, 札幌市, 那覇市
MORE_MUNICIPALITIES = (CHIYODA, SAPPORO, NAHA)


class SteppingClock:
    """A fixed clock the test can move."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


async def _admin_sql(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


_TEMPLATE: dict[str, str] = {}


def _postgres_database() -> str:
    """A fresh database cloned from a migrated template (fast: no migration per test)."""
    if os.environ.get("FURUSATO_SKIP_POSTGRES") == "1":
        pytest.skip("FURUSATO_SKIP_POSTGRES=1")
    base, _, _db = POSTGRES_URL.rpartition("/")
    if "template" not in _TEMPLATE:
        name = f"furusato_tmpl_{os.getpid()}"
        asyncio.run(_admin_sql(POSTGRES_URL, f"DROP DATABASE IF EXISTS {name}"))
        asyncio.run(_admin_sql(POSTGRES_URL, f"CREATE DATABASE {name}"))
        upgrade(f"{base}/{name}")
        _TEMPLATE["template"] = name
    name = f"furusato_t_{secrets.token_hex(6)}"
    asyncio.run(
        _admin_sql(POSTGRES_URL, f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE['template']}")
    )
    return f"{base}/{name}"


def _drop(url: str) -> None:
    base, _, name = url.rpartition("/")
    asyncio.run(_admin_sql(f"{base}/test", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_template() -> Iterator[None]:
    """The migrated template is made once per test session; drop it at the end so that
    repeated runs on one machine leave nothing behind."""
    yield
    name = _TEMPLATE.pop("template", None)
    if name is not None:
        base, _, _db = POSTGRES_URL.rpartition("/")
        _drop(f"{base}/{name}")


@dataclass
class Service:
    client: TestClient
    settings: ServiceSettings
    clock: SteppingClock
    backend: str
    ocsp: FakeOcspResponder | None = None

    def issuer(self, code: str) -> str:
        return f"{self.settings.base_url}/bodies/{code}"

    def staff(self, code: str, role: str, username: str | None = None) -> dict[str, str]:
        token = asyncio.run(
            add_staff(
                self.settings,
                body_code=code,
                username=username or f"{role}-{secrets.token_hex(3)}",
                role=role,
                now=to_numeric_date(self.clock.now()),
                random=SystemRandom(),
            )
        )
        return {"Authorization": f"Bearer {token}"}


def make_settings(url: str) -> ServiceSettings:
    return ServiceSettings(
        database_url=url,
        base_url="http://localhost",
        secrets=(bytes(range(32)),),
        key_encryption_key=bytes(range(32, 64)),
        rate_limit_per_minute=100_000,
        notice_link_domains={KESENNUMA: ("kesennuma.example",)},
    )


_YEARS = timedelta(days=800)
# a verified-identity OpenID provider the tests run themselves (デジタル認証アプリ style)
OIDC_ISSUER = "https://auth.test.example"
OIDC_CLIENT_ID = "furusato-vc-test"
OIDC_SIGNER = SoftwareSigner(generate_es256_private_key(), kid="op-1")


def premium_settings() -> PremiumSettings:
    """JPKI proofing against the test CA of tests/core/identity, with CRLs current for the
    whole span the premium tests move the clock over."""
    crls = tuple(
        pki.crl(
            ca,
            this_update=FIXED_NOW - timedelta(days=1),
            next_update=FIXED_NOW + _YEARS,
        )
        for ca in (pki.intermediate(), pki.root())
    )
    return PremiumSettings(
        jpki=JpkiSettings(
            trust_roots=(pki.root().cert,),
            intermediates=(pki.intermediate().cert,),
            revocation=StaticRevocation(crls),
        ),
        oidc=OidcProvider(
            issuer=OIDC_ISSUER,
            client_id=OIDC_CLIENT_ID,
            jwks=(OIDC_SIGNER.public_jwk,),
            address_code_claim=("address", "municipality_code"),
        ),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    yield from _service(request.param, tmp_path, premium=None)


@pytest.fixture(params=["sqlite", "postgresql"])
def premium_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service with premium registration on: JPKI proofing against the test CA."""
    yield from _service(request.param, tmp_path, premium=premium_settings())


class FakeOcspResponder:
    """The J-LIS OCSP responder of the test PKI: answers each request (CertID by hash, with
    its nonce) "good", or "revoked" for the serials in ``revoked``; ``down`` refuses."""

    def __init__(self) -> None:
        self.revoked: set[int] = set()
        self.down = False
        self.asked: list[int] = []

    def __call__(self, url: str, request: bytes) -> bytes:
        del url
        if self.down:
            raise OSError("connection refused")
        asked = ocsp.load_der_ocsp_request(request)
        self.asked.append(asked.serial_number)
        nonce = next(
            (e.value.nonce for e in asked.extensions if isinstance(e.value, x509.OCSPNonce)),
            None,
        )
        intermediate = pki.intermediate()
        issuer = pki.root() if asked.serial_number == intermediate.cert.serial_number else None
        return pki.ocsp_response(
            intermediate.cert if issuer else pki.leaf(),
            issuer or intermediate,
            serial=asked.serial_number,
            status=ocsp.OCSPCertStatus.REVOKED
            if asked.serial_number in self.revoked
            else ocsp.OCSPCertStatus.GOOD,
            this_update=FIXED_NOW - timedelta(minutes=10),
            next_update=FIXED_NOW + timedelta(days=2),
            nonce=nonce,
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def premium_service_ocsp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """Premium with JPKI revocation by OCSP only (no CRLs); ``service.ocsp`` is the fake
    responder the test steers."""
    responder = FakeOcspResponder()
    settings = dataclasses.replace(
        premium_settings(),
        jpki=JpkiSettings(
            trust_roots=(pki.root().cert,),
            intermediates=(pki.intermediate().cert,),
            ocsp=OcspSource(responder_url="http://ocsp.test.example/", fetch=responder),
        ),
    )
    for made in _service(request.param, tmp_path, premium=settings):
        made.ocsp = responder
        yield made


@pytest.fixture(params=["sqlite", "postgresql"])
def premium_service_wide(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """Premium on, and four more municipalities hosted (the cap of three needs a fourth)."""
    yield from _service(
        request.param, tmp_path, premium=premium_settings(), more_bodies=MORE_MUNICIPALITIES
    )


def _service(
    backend: str,
    tmp_path: Path,
    *,
    premium: PremiumSettings | None,
    more_bodies: tuple[str, ...] = (),
) -> Iterator[Service]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'issuer.db'}"
        upgrade(url)
    else:
        url = _postgres_database()
    settings = make_settings(url)
    if premium is not None:
        settings = dataclasses.replace(settings, premium=premium)
    clock = SteppingClock(FIXED_NOW)
    now = to_numeric_date(FIXED_NOW)
    for code in (KESENNUMA, MINAMIMINOWA, MIYAGI, *more_bodies):
        asyncio.run(host_body(settings, code=code, kid=None, now=now, random=SystemRandom()))
    app = create_app(settings, clock=clock)
    try:
        with TestClient(app) as client:
            yield Service(client=client, settings=settings, clock=clock, backend=backend)
    finally:
        if backend == "postgresql":
            _drop(url)
