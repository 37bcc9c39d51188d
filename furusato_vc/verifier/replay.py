"""The replay cache: a key-binding token is accepted once.

A one-way QR (the wallet shows, the verifier only scans) carries no verifier nonce, so a photo
of someone else's screen would verify until its ``iat`` leaves the time window. The verifier
remembers the signed content of every token it accepted until that moment and refuses a second
sighting. Keys are digests of signed bytes, never of signatures: ECDSA signatures are malleable
(security catalogue C-4), the signed content is not.
"""

from __future__ import annotations

import heapq

__all__ = ["ReplayCache"]


class ReplayCache:
    """In-memory, bounded. One per verifier device; nothing personal is stored (32-byte
    digests and expiry times only)."""

    __slots__ = ("_expiry", "_heap", "_max_entries")

    def __init__(self, *, max_entries: int = 200_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max_entries = max_entries
        self._expiry: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def entries(self) -> tuple[tuple[bytes, int], ...]:
        """Every remembered key with the time until which it is kept (some may already have
        expired: eviction is lazy). For a verifier that keeps its cache between runs
        (:mod:`furusato_vc.verifier.replay_file`); restore with :meth:`first_use`."""
        return tuple(self._expiry.items())

    def _evict(self, now: int) -> None:
        heap, expiry = self._heap, self._expiry
        while heap and heap[0][0] <= now:
            until, key = heapq.heappop(heap)
            if expiry.get(key) == until:
                del expiry[key]

    def first_use(self, key: bytes, *, now: int, keep_until: int) -> bool:
        """Record ``key``; ``False`` if it was seen and has not expired (a replay)."""
        self._evict(now)
        if key in self._expiry:
            return False
        if len(self._expiry) >= self._max_entries:
            # Full of live entries (a flood): forget the one closest to expiring, whose
            # replay window is nearly over anyway.
            _until, oldest = heapq.heappop(self._heap)
            self._expiry.pop(oldest, None)
        self._expiry[key] = keep_until
        heapq.heappush(self._heap, (keep_until, key))
        return True
