"""The edge's clock and randomness: the only place that reads the system clock or the CSPRNG.

Library code takes ``now`` and a :class:`~furusato_vc.core.randomness.RandomSource` as
arguments; CLIs and services pass the instances defined here.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

__all__ = ["SystemClock", "SystemRandom"]


class SystemClock:
    """Wall-clock time, timezone-aware (UTC)."""

    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemRandom:
    """The operating system's CSPRNG (``secrets``)."""

    __slots__ = ()

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)
