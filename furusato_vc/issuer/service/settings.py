"""Service settings: one frozen object passed to the app factory (no import-time globals).

The CLI builds it from flags and the environment (``FURUSATO_*``); tests build it directly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Protocol

from cryptography import x509

from furusato_vc.core.encoding import parse_json, parse_json_object
from furusato_vc.core.premium.eligibility import DEFAULT_RULES, EligibilityRules
from furusato_vc.core.premium.oidc_identity import (
    IdTokenAlgorithm,
    OidcProvider,
    parse_provider_jwks,
)
from furusato_vc.issuer.member_import import ImportLimits
from furusato_vc.issuer.service.ocsp_fetch import OcspSource
from furusato_vc.issuer.status import StatusListConfig

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


__all__ = [
    "DEFAULT_DATABASE_URL",
    "CrlDirectory",
    "JpkiSettings",
    "MemberImportSettings",
    "PremiumSettings",
    "RevocationSource",
    "ServiceSettings",
    "StaticRevocation",
    "database_url_for",
    "parse_link_domains",
]


class RevocationSource(Protocol):
    """Where the service gets the current CRLs of the J-LIS signing-certificate CAs."""

    def current_crls(self) -> Sequence[bytes]: ...


@dataclass(frozen=True, slots=True)
class StaticRevocation:
    """CRLs given in memory (tests, and a deployment that reloads its settings)."""

    crls: tuple[bytes, ...]

    def current_crls(self) -> Sequence[bytes]:
        return self.crls


@dataclass(frozen=True, slots=True)
class CrlDirectory:
    """Every ``*.crl`` (DER) in a directory, re-read when a file changes. An operator's cron
    job downloads J-LIS's CRLs there (docs/premium.md); a stale or missing CRL fails proofing
    closed (``identity_revocation_unknown``), it never passes."""

    path: Path
    _cache: dict[Path, tuple[float, bytes]] = field(default_factory=dict, compare=False)

    def current_crls(self) -> Sequence[bytes]:
        found: list[bytes] = []
        for file in sorted(self.path.glob("*.crl")):
            stamp = file.stat().st_mtime
            cached = self._cache.get(file)
            if cached is None or cached[0] != stamp:
                cached = (stamp, file.read_bytes())
                self._cache[file] = cached
            found.append(cached[1])
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class JpkiSettings:
    """The My Number Card signing-certificate backend: J-LIS roots (and intermediates) and
    where revocation is learnt: CRLs (``revocation``), an OCSP responder (``ocsp``), or both
    (a "revoked" from either wins; either "good" answer is enough)."""

    trust_roots: tuple[x509.Certificate, ...]
    revocation: RevocationSource | None = None
    ocsp: OcspSource | None = None
    intermediates: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if not self.trust_roots:
            raise ValueError("JPKI proofing needs at least one trust root")
        if self.revocation is None and self.ocsp is None:
            raise ValueError("JPKI proofing needs a CRL source or an OCSP responder")


@dataclass(frozen=True, slots=True, kw_only=True)
class PremiumSettings:
    """Premium registration (issue 8). Every number is per deployment; the defaults are
    the national rules (``rules``) and our choices, documented in docs/premium.md.

    With neither ``jpki`` nor ``oidc`` configured, identity proofing is off and no one can
    become premium (the identity rule fails closed)."""

    rules: EligibilityRules = DEFAULT_RULES
    premium_months: int = 12  # a premium year; credentials never outlive it
    renewal_window: timedelta = timedelta(days=60)  # renewal opens this long before the end
    proofing_nonce_lifetime: timedelta = timedelta(minutes=10)
    attendance_max_age: timedelta = timedelta(days=7)  # check-in → submission
    max_evidence_bytes: int = 5 * 1024 * 1024
    jpki: JpkiSettings | None = None
    oidc: OidcProvider | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> PremiumSettings:
        """Premium settings from the environment (all optional; docs/premium.md):

        * ``FURUSATO_JPKI_ROOTS`` (PEM file of the J-LIS roots), ``FURUSATO_JPKI_INTERMEDIATES``
          (PEM file), ``FURUSATO_JPKI_CRL_DIR`` (directory of DER ``*.crl`` kept current by
          cron) and/or ``FURUSATO_JPKI_OCSP_URL`` (the OCSP responder) — JPKI proofing is on
          when the roots and at least one revocation source are given;
        * ``FURUSATO_OIDC_ISSUER``, ``FURUSATO_OIDC_CLIENT_ID``, ``FURUSATO_OIDC_JWKS`` (file),
          ``FURUSATO_OIDC_ADDRESS_CLAIM`` (dotted path, e.g. ``address.municipality_code``),
          ``FURUSATO_OIDC_ALGORITHMS`` (comma-separated, default ES256);
        * ``FURUSATO_PREMIUM_RULES``: a JSON file whose members override
          :class:`EligibilityRules` numbers (``min_activities``, ``max_premium_registrations``,
          ``prefecture_counts_toward_limit``, ``exclude_own_prefecture``,
          ``guardian_consent_below_age``, ``identity_max_age_days``, …).

        Raises:
            ValueError: a setting that is present but unusable (fail at start, not later).
        """
        jpki = None
        roots, crl_dir = environ.get("FURUSATO_JPKI_ROOTS"), environ.get("FURUSATO_JPKI_CRL_DIR")
        ocsp_url = environ.get("FURUSATO_JPKI_OCSP_URL")
        if bool(roots) != bool(crl_dir or ocsp_url):
            raise ValueError(
                "FURUSATO_JPKI_ROOTS goes together with FURUSATO_JPKI_CRL_DIR and/or "
                "FURUSATO_JPKI_OCSP_URL"
            )
        if roots:
            middle = environ.get("FURUSATO_JPKI_INTERMEDIATES")
            if crl_dir and not Path(crl_dir).is_dir():
                raise ValueError("FURUSATO_JPKI_CRL_DIR is not a directory")
            if ocsp_url and not ocsp_url.startswith(("http://", "https://")):
                raise ValueError("FURUSATO_JPKI_OCSP_URL must be an http(s) URL")
            jpki = JpkiSettings(
                trust_roots=tuple(x509.load_pem_x509_certificates(Path(roots).read_bytes())),
                intermediates=tuple(x509.load_pem_x509_certificates(Path(middle).read_bytes()))
                if middle
                else (),
                revocation=CrlDirectory(Path(crl_dir)) if crl_dir else None,
                ocsp=OcspSource(responder_url=ocsp_url) if ocsp_url else None,
            )
        oidc = None
        if environ.get("FURUSATO_OIDC_ISSUER"):
            algorithms = frozenset(
                IdTokenAlgorithm(name.strip())
                for name in environ.get("FURUSATO_OIDC_ALGORITHMS", "ES256").split(",")
            )
            jwks = parse_json(Path(environ["FURUSATO_OIDC_JWKS"]).read_bytes())
            claim = environ.get("FURUSATO_OIDC_ADDRESS_CLAIM", "")
            oidc = OidcProvider(
                issuer=environ["FURUSATO_OIDC_ISSUER"],
                client_id=environ["FURUSATO_OIDC_CLIENT_ID"],
                jwks=parse_provider_jwks(jwks, algorithms=algorithms),
                algorithms=algorithms,
                address_code_claim=tuple(part for part in claim.split(".") if part),
            )
        rules = DEFAULT_RULES
        if environ.get("FURUSATO_PREMIUM_RULES"):
            chosen = parse_json_object(Path(environ["FURUSATO_PREMIUM_RULES"]).read_bytes())
            known = {f.name for f in dataclasses.fields(EligibilityRules)} - {
                "accepted_identity_methods"
            }
            unknown = set(chosen) - known
            if unknown:
                raise ValueError(f"unknown premium rules: {sorted(unknown)}")
            rules = dataclasses.replace(DEFAULT_RULES, **chosen)  # type: ignore[arg-type]
        return cls(rules=rules, jpki=jpki, oidc=oidc)

    def __post_init__(self) -> None:
        if not 1 <= self.premium_months <= 12:
            raise ValueError("premium_months must be 1-12 (premium is renewed yearly)")
        if not timedelta(0) < self.renewal_window <= timedelta(days=180):
            raise ValueError("renewal_window must be 1-180 days")
        if not 1024 <= self.max_evidence_bytes <= 50 * 1024 * 1024:
            raise ValueError("max_evidence_bytes must be 1 KiB-50 MiB")


DEFAULT_DATABASE_URL: Final = "sqlite:///furusato-issuer.db"
DEFAULT_RATE_LIMIT_PER_MINUTE: Final = 600
DEFAULT_DATABASE_POOL_SIZE: Final = 10


def database_url_for(url: str) -> str:
    """The async SQLAlchemy URL for a user-facing database URL.

    ``sqlite:///path`` → aiosqlite; ``postgresql://`` (or ``postgres://``) → asyncpg. URLs
    that already name a driver are kept.
    """
    if url.startswith("sqlite:///") or url == "sqlite://":
        return "sqlite+aiosqlite://" + url[len("sqlite:") + 2 :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def parse_link_domains(text: str) -> Mapping[str, tuple[str, ...]]:
    """``FURUSATO_NOTICE_LINK_DOMAINS``: ``042056=kesennuma.lg.jp,example.jp;203858=…``.

    Raises:
        ValueError: a part without ``=`` or a domain that is empty or not ASCII.
    """
    out: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        code, sep, domains = part.partition("=")
        names = tuple(d.strip().lower() for d in domains.split(",") if d.strip())
        if not sep or not names or not all(n.isascii() and "/" not in n for n in names):
            raise ValueError(f"FURUSATO_NOTICE_LINK_DOMAINS: cannot read {part!r}")
        out[code.strip()] = names
    return MappingProxyType(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberImportSettings:
    """The member import (docs/member-import.md): offers sent through a body's own member
    channel live longer than the app's 15 minutes; the bounds of one file; rows per
    transaction of the CLI."""

    offer_lifetime: timedelta = timedelta(days=30)
    max_bytes: int = 16 * 1024 * 1024
    max_rows: int = 50_000
    max_cell_chars: int = 256
    batch_size: int = 1_000

    def __post_init__(self) -> None:
        if (
            self.offer_lifetime.total_seconds() <= 0
            or min(self.batch_size, self.max_bytes, self.max_rows, self.max_cell_chars) < 1
        ):
            raise ValueError("member import lifetime, bounds and batch size must be positive")

    @property
    def limits(self) -> ImportLimits:
        return ImportLimits(
            max_bytes=self.max_bytes, max_rows=self.max_rows, max_cell_chars=self.max_cell_chars
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSettings:
    """Everything the service needs to know, in one place.

    ``secrets`` are the server secrets for sealed values (access tokens, c_nonces, person
    keys); the first seals, all open (rotation). Every server process of one deployment must
    share them, and the database; nothing else is shared (the service is stateless).
    ``key_encryption_key`` protects the bodies' signing keys in the database (AES-256-GCM).
    """

    database_url: str = DEFAULT_DATABASE_URL
    base_url: str = "http://127.0.0.1:8000"
    secrets: tuple[bytes, ...] = ()
    key_encryption_key: bytes = b""
    # registration rules (issue: "limits ... and expiry for basic registrations are
    # configuration")
    max_registrations_per_person: int = 10
    basic_registration_lifetime: timedelta = timedelta(days=3 * 365)
    credential_lifetime: timedelta = timedelta(days=365)
    # OpenID4VCI
    offer_lifetime: timedelta = timedelta(minutes=15)
    tx_code_length: int = 6
    tx_code_max_attempts: int = 5
    access_token_lifetime: timedelta = timedelta(minutes=5)
    nonce_lifetime: timedelta = timedelta(minutes=5)
    batch_size: int = 10
    # status lists: the issuer library's shape (2 bits, 2**16 entries, half full, ttl 12 h,
    # lifetime 7 days), and how many empty lists are published ahead of use
    status_lists: StatusListConfig = StatusListConfig()
    spare_status_lists: int = 2
    # how often each server process looks for status lists due for re-signing (tokens older
    # than half their ttl); zero leaves it to `furusato-vc issuer publish` from cron
    republish_interval: timedelta = timedelta(minutes=10)
    # protection of public endpoints
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE  # per address and process; 0: off
    max_request_bytes: int = 64 * 1024
    database_pool_size: int = DEFAULT_DATABASE_POOL_SIZE
    premium: PremiumSettings = PremiumSettings()
    # notices and benefits (docs/notices.md, docs/benefits.md): the domains of each body's
    # own sites that a notice may link to (body code -> domains; none: no links), and how
    # long the signed feed and benefits list stay valid (re-signed at half their life)
    notice_link_domains: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    notice_feed_lifetime: timedelta = timedelta(hours=24)
    benefits_lifetime: timedelta = timedelta(days=30)
    member_import: MemberImportSettings = MemberImportSettings()
    # dashboards (docs/dashboard.md): counts under this are hidden (秘匿), and the browser
    # session a staff member's token is exchanged for lasts this long
    dashboard_suppression_threshold: int = 10
    dashboard_session_lifetime: timedelta = timedelta(hours=8)
    # a view's counts are served from its snapshot while younger than this, and the
    # national and prefecture snapshots are refreshed in the background at half of it;
    # zero counts on every page load (docs/dashboard.md, "Snapshots")
    dashboard_max_age: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if not self.secrets or any(len(secret) < 32 for secret in self.secrets):
            raise ValueError("at least one server secret of 32 bytes or more is required")
        if len(self.key_encryption_key) != 32:
            raise ValueError("key_encryption_key must be 32 bytes (AES-256)")
        if not 1 <= self.batch_size <= 100:
            raise ValueError("batch_size must be 1..100")
        if self.republish_interval.total_seconds() < 0:
            raise ValueError("republish_interval must not be negative (zero turns it off)")
        if self.rate_limit_per_minute < 0 or self.database_pool_size < 1:
            raise ValueError("rate_limit_per_minute must be >= 0 and database_pool_size >= 1")
        if min(self.notice_feed_lifetime, self.benefits_lifetime).total_seconds() < 120:
            raise ValueError("notice_feed_lifetime and benefits_lifetime must be >= 2 minutes")
        if self.dashboard_suppression_threshold < 1:
            raise ValueError("dashboard_suppression_threshold must be at least 1")
        if self.dashboard_max_age.total_seconds() < 0:
            raise ValueError("dashboard_max_age must not be negative (zero turns snapshots off)")
        if self.base_url.endswith("/"):
            raise ValueError("base_url must not end with '/'")

    @property
    def person_key_secret(self) -> bytes:
        """The secret of the salted person keys identity proofing derives. Taken from the
        *last* (oldest) server secret, so that adding a new first secret (rotation) keeps
        every person key, and so the premium cap, stable."""
        return hmac.new(self.secrets[-1], b"furusato-vc/person-key/v1", hashlib.sha256).digest()

    @property
    def async_database_url(self) -> str:
        return database_url_for(self.database_url)

    @classmethod
    def from_environment(cls, *, database_url: str | None, base_url: str | None) -> ServiceSettings:
        """Settings from ``FURUSATO_SECRET`` (hex, comma-separated for rotation),
        ``FURUSATO_DASHBOARD_THRESHOLD`` (small-cell suppression, default 10),
        ``FURUSATO_DASHBOARD_MAX_AGE`` (seconds a dashboard snapshot is served, default 600;
        0 counts on every page load),
        ``FURUSATO_KEY_ENCRYPTION_KEY`` (hex, 32 bytes) or ``FURUSATO_SECRETS_FILE`` (a file
        holding both, as written by ``furusato-vc issuer init``), ``FURUSATO_IMPORT_OFFER_DAYS``
        (the member import's offer lifetime, default 30), and the flags."""
        secrets_text = os.environ.get("FURUSATO_SECRET", "")
        kek_text = os.environ.get("FURUSATO_KEY_ENCRYPTION_KEY", "")
        secrets_file = os.environ.get("FURUSATO_SECRETS_FILE")
        if secrets_file and not (secrets_text and kek_text):
            values = dict(
                line.split("=", 1)
                for line in Path(secrets_file).read_text(encoding="ascii").splitlines()
                if "=" in line and not line.startswith("#")
            )
            secrets_text = secrets_text or values.get("FURUSATO_SECRET", "")
            kek_text = kek_text or values.get("FURUSATO_KEY_ENCRYPTION_KEY", "")
        rate = os.environ.get("FURUSATO_RATE_LIMIT_PER_MINUTE")
        pool = os.environ.get("FURUSATO_DATABASE_POOL_SIZE")
        import_days = os.environ.get("FURUSATO_IMPORT_OFFER_DAYS")
        threshold = os.environ.get("FURUSATO_DASHBOARD_THRESHOLD")
        max_age = os.environ.get("FURUSATO_DASHBOARD_MAX_AGE")
        return cls(
            premium=PremiumSettings.from_environment(os.environ),
            notice_link_domains=parse_link_domains(
                os.environ.get("FURUSATO_NOTICE_LINK_DOMAINS", "")
            ),
            member_import=MemberImportSettings(
                offer_lifetime=timedelta(days=int(import_days or 30))
            ),
            dashboard_suppression_threshold=int(threshold) if threshold else 10,
            dashboard_max_age=timedelta(seconds=int(max_age) if max_age else 600),
            rate_limit_per_minute=int(rate) if rate else DEFAULT_RATE_LIMIT_PER_MINUTE,
            database_pool_size=int(pool) if pool else DEFAULT_DATABASE_POOL_SIZE,
            database_url=database_url
            or os.environ.get("FURUSATO_DATABASE_URL", DEFAULT_DATABASE_URL),
            base_url=(base_url or os.environ.get("FURUSATO_BASE_URL", "http://127.0.0.1:8000")),
            secrets=tuple(bytes.fromhex(part) for part in secrets_text.split(",") if part),
            key_encryption_key=bytes.fromhex(kek_text),
        )
