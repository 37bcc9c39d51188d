"""A body's status lists on the issuer side: random index allocation, status changes and
signed publication (JWT and CWT forms of draft-ietf-oauth-status-list-20 §5).

:class:`InMemoryStatusLists` keeps everything in memory behind one lock: correct for a single
process (demos, tests, the synthetic-nation benchmark). The issuer service keeps the same
state in its database, where ``UNIQUE (list_id, idx)`` makes allocation unique across
processes; both draw indices with :mod:`furusato_vc.core.statuslist.allocation`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.statuslist.allocation import StatusSlot, draw_free_index
from furusato_vc.core.statuslist.encoding import StatusListBuilder, StatusType
from furusato_vc.core.statuslist.token import (
    StatusListTokenContent,
    sign_status_list_cwt,
    sign_status_list_jwt,
)

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.core.statuslist.encoding import StatusList

__all__ = [
    "InMemoryStatusLists",
    "PublishedStatusList",
    "StatusListConfig",
    "sign_status_list_tokens",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusListConfig:
    """How a body's lists are shaped and published.

    2 bits per entry so that SUSPENDED exists; 2**16 entries per list (16 KiB in a
    verifier's memory; a few hundred bytes compressed at 1 % revoked); a list takes new cards
    until half of it is used, so each list hides a card among ~32,768. Small lists keep a
    national verifier small: 1,788 bodies with one mostly empty 2**20-entry list each would
    already need 460 MB, while 2**16-entry lists hold 100 million cards in ~60 MB (see
    docs/trust-and-status.md). Tokens are re-signed at least every ``ttl`` and expire after
    ``lifetime``; verifiers refuse data older than their own maximum staleness (48 h by
    default).
    """

    size: int = 1 << 16
    bits: int = 2
    max_fill: float = 0.5
    ttl: timedelta = timedelta(hours=12)
    lifetime: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        if self.bits not in (1, 2, 4, 8) or self.size <= 0 or self.size * self.bits % 8:
            raise ValueError("bits must be 1, 2, 4 or 8 and size * bits a multiple of 8")
        if not 0 < self.max_fill < 1:
            raise ValueError("max_fill must be between 0 and 1")
        if self.ttl <= timedelta(0) or self.lifetime < self.ttl:
            raise ValueError("ttl must be positive and lifetime at least ttl")


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedStatusList:
    uri: str
    list_id: int
    issued_at: int
    expires_at: int
    jwt: str
    cwt: bytes


class _List:
    __slots__ = ("builder", "taken", "used")

    def __init__(self, config: StatusListConfig) -> None:
        self.builder = StatusListBuilder(size=config.size, bits=config.bits)
        self.taken = bytearray(config.size // 8 + 1)
        self.used = 0

    def is_taken(self, idx: int) -> bool:
        return bool(self.taken[idx >> 3] >> (idx & 7) & 1)

    def take(self, idx: int) -> None:
        self.taken[idx >> 3] |= 1 << (idx & 7)
        self.used += 1


class InMemoryStatusLists:
    """All status lists of one body. Thread-safe; every method takes the lock."""

    def __init__(
        self,
        *,
        uri_template: str,
        config: StatusListConfig | None = None,
        first_list_id: int = 1,
    ) -> None:
        """``uri_template`` contains ``{list_id}``, e.g.
        ``https://issuer.example/bodies/203858/status/{list_id}``."""
        if "{list_id}" not in uri_template:
            raise ValueError("uri_template must contain {list_id}")
        self._template = uri_template
        self._config = config or StatusListConfig()
        self._lists: dict[int, _List] = {}
        self._open: int = first_list_id
        self._lock = threading.Lock()

    @property
    def config(self) -> StatusListConfig:
        return self._config

    def uri(self, list_id: int) -> str:
        return self._template.format(list_id=list_id)

    def list_ids(self) -> tuple[int, ...]:
        with self._lock:
            return tuple(sorted(self._lists))

    def allocate(self, *, random: RandomSource) -> StatusSlot:
        """A fresh, random, never-used slot (VALID until changed)."""
        config = self._config
        limit = int(config.size * config.max_fill)
        with self._lock:
            while True:
                current = self._lists.setdefault(self._open, _List(config))
                if current.used < limit:
                    idx = draw_free_index(random, config.size, taken=current.is_taken)
                    if idx is not None:
                        current.take(idx)
                        return StatusSlot(list_id=self._open, uri=self.uri(self._open), idx=idx)
                self._open += 1  # full (or unlucky draws at the limit): the next list

    def set_status(self, slot: StatusSlot, status: StatusType) -> None:
        """Revoke, suspend or reinstate. Only allocated slots can change."""
        with self._lock:
            current = self._lists.get(slot.list_id)
            if current is None or not current.is_taken(slot.idx):
                raise ValueError("no card holds this status slot")
            current.builder.set(slot.idx, int(status))

    def status(self, slot: StatusSlot) -> StatusType:
        with self._lock:
            current = self._lists.get(slot.list_id)
            if current is None:
                raise ValueError("no such status list")
            return StatusType(current.builder.get(slot.idx))

    def snapshot(self, list_id: int) -> StatusList:
        """The list as it stands (an unused list is all VALID: it can be published before
        its first card, so verifiers hold it from the start)."""
        with self._lock:
            return self._lists.setdefault(list_id, _List(self._config)).builder.freeze()

    def publish(
        self, list_id: int, *, signer: Signer, issuer: str | None, now: datetime
    ) -> PublishedStatusList:
        """Sign the current state of ``list_id`` in both forms."""
        return sign_status_list_tokens(
            self.snapshot(list_id),
            uri=self.uri(list_id),
            list_id=list_id,
            issuer=issuer,
            signer=signer,
            issued_at=to_numeric_date(now),
            config=self._config,
        )


def sign_status_list_tokens(
    status_list: StatusList,
    *,
    uri: str,
    list_id: int,
    issuer: str | None,
    signer: Signer,
    issued_at: int,
    config: StatusListConfig,
) -> PublishedStatusList:
    """One list's Status List Token in both forms (§5.1 JWT, §5.2 CWT), with ``exp`` after
    the configured lifetime and the configured ``ttl``."""
    content = StatusListTokenContent(
        uri=uri,
        issuer=issuer,
        issued_at=issued_at,
        expires_at=issued_at + int(config.lifetime.total_seconds()),
        ttl=int(config.ttl.total_seconds()),
        status_list=status_list,
    )
    assert content.expires_at is not None
    return PublishedStatusList(
        uri=uri,
        list_id=list_id,
        issued_at=issued_at,
        expires_at=content.expires_at,
        jwt=sign_status_list_jwt(content, signer=signer),
        cwt=sign_status_list_cwt(content, signer=signer),
    )
