"""Service settings: one frozen object passed to the app factory (no import-time globals).

The CLI builds it from flags and the environment (``FURUSATO_*``); tests build it directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from furusato_vc.issuer.status import StatusListConfig

__all__ = ["DEFAULT_DATABASE_URL", "ServiceSettings", "database_url_for"]

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
    # dashboards (docs/dashboard.md): counts under this are hidden (秘匿), and the browser
    # session a staff member's token is exchanged for lasts this long
    dashboard_suppression_threshold: int = 10
    dashboard_session_lifetime: timedelta = timedelta(hours=8)

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
        if self.dashboard_suppression_threshold < 1:
            raise ValueError("dashboard_suppression_threshold must be at least 1")
        if self.base_url.endswith("/"):
            raise ValueError("base_url must not end with '/'")

    @property
    def async_database_url(self) -> str:
        return database_url_for(self.database_url)

    @classmethod
    def from_environment(cls, *, database_url: str | None, base_url: str | None) -> ServiceSettings:
        """Settings from ``FURUSATO_SECRET`` (hex, comma-separated for rotation),
        ``FURUSATO_DASHBOARD_THRESHOLD`` (small-cell suppression, default 10),
        ``FURUSATO_KEY_ENCRYPTION_KEY`` (hex, 32 bytes) or ``FURUSATO_SECRETS_FILE`` (a file
        holding both, as written by ``furusato-vc issuer init``), and the flags."""
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
        threshold = os.environ.get("FURUSATO_DASHBOARD_THRESHOLD")
        return cls(
            dashboard_suppression_threshold=int(threshold) if threshold else 10,
            rate_limit_per_minute=int(rate) if rate else DEFAULT_RATE_LIMIT_PER_MINUTE,
            database_pool_size=int(pool) if pool else DEFAULT_DATABASE_POOL_SIZE,
            database_url=database_url
            or os.environ.get("FURUSATO_DATABASE_URL", DEFAULT_DATABASE_URL),
            base_url=(base_url or os.environ.get("FURUSATO_BASE_URL", "http://127.0.0.1:8000")),
            secrets=tuple(bytes.fromhex(part) for part in secrets_text.split(",") if part),
            key_encryption_key=bytes.fromhex(kek_text),
        )
