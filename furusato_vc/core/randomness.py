"""Randomness is injected: core code never draws random numbers on its own.

Production code passes :class:`furusato_vc.runtime.SystemRandom` (the OS CSPRNG via
``secrets``); tests pass a seeded source so that outputs are reproducible.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["RandomSource"]


@runtime_checkable
class RandomSource(Protocol):
    def token_bytes(self, n: int) -> bytes:
        """``n`` unpredictable bytes."""
        ...
