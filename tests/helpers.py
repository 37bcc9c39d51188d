"""Deterministic fixtures shared by the test suite: seeded randomness, fixed keys, fixed clock."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ec

from furusato_vc.core.jose import SoftwareSigner

__all__ = ["FIXED_NOW", "SeededRandom", "fixed_p256_key", "fixed_signer"]

# 2027-01-15 09:00 JST, just after registrations open.
FIXED_NOW = datetime(2027, 1, 15, 0, 0, 0, tzinfo=UTC)


class SeededRandom:
    """A reproducible RandomSource (SHA-256 in counter mode). Tests only."""

    __slots__ = ("_counter", "_seed")

    def __init__(self, seed: str | bytes = b"furusato-vc") -> None:
        self._seed = seed.encode() if isinstance(seed, str) else seed
        self._counter = 0

    def token_bytes(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            self._counter += 1
            out += hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
        return out[:n]


def fixed_p256_key(label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key derived from ``label`` (stable across runs)."""
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (n - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def fixed_signer(label: str, *, kid: str | None = None) -> SoftwareSigner:
    return SoftwareSigner(fixed_p256_key(label), kid=kid)
