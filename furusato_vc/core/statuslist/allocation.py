"""Choosing status list indices (draft-ietf-oauth-status-list-20 §12.5 and §13.3).

Indices are drawn uniformly at random from the whole list, never handed out in order, so an
index tells nothing about when a card was issued or which cards were issued together
(security catalogue L-9), and every list mixes many cards (herd privacy). A list is closed
for new indices once ``max_fill`` of it is taken; drawing then stays cheap (at most
``1 / (1 - max_fill)`` draws on average) and a new list is opened.

Uniqueness under concurrency is the store's job: the in-memory store takes a lock, the
database store (issuer service) a ``UNIQUE (list, idx)`` constraint with retry. This module
only draws candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from furusato_vc.core.randomness import RandomSource

__all__ = ["StatusSlot", "draw_free_index", "draw_index"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusSlot:
    """Where one card's status lives: list number (QR credentials), list URI (SD-JWT VC
    ``status`` and the token's ``sub``) and index."""

    list_id: int
    uri: str
    idx: int


def draw_index(random: RandomSource, size: int) -> int:
    """A uniform index in ``[0, size)`` by rejection sampling (no modulo bias)."""
    if size <= 0:
        raise ValueError("size must be positive")
    bits = (size - 1).bit_length()
    nbytes = max(1, (bits + 7) // 8)
    mask = (1 << bits) - 1
    while True:
        candidate = int.from_bytes(random.token_bytes(nbytes), "big") & mask
        if candidate < size:
            return candidate


def draw_free_index(
    random: RandomSource, size: int, *, taken: Callable[[int], bool], max_draws: int = 64
) -> int | None:
    """A uniform index not yet ``taken``, or ``None`` after ``max_draws`` misses (the list
    is too full: the caller opens another)."""
    for _ in range(max_draws):
        candidate = draw_index(random, size)
        if not taken(candidate):
            return candidate
    return None
