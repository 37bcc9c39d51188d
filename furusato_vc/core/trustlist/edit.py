"""Editing a trust list (the trust-anchor operator's side). Every function returns a new
:class:`TrustList`; nothing is signed here. Refusals are ``ValueError`` with a message for
the operator: these are commands, not untrusted input.

Lifecycle rules:

* **Rotation with overlap** (:func:`rotate_key`): the new key is valid from ``at``; every
  open-ended key of the body stops covering new signatures at ``at + overlap``. The overlap
  lets the issuer switch keys without a gap; what the old key signed before then stays valid.
* **Withdrawal** (:func:`withdraw_key`): signatures at or after ``withdrawn_from`` are
  rejected; set it no later than the earliest moment the key may have been compromised.
* **A body leaving the scheme** (:func:`set_state` with ``withdrawn``): the entry stays, so
  verifiers can say *why* a card fails, but none of its cards verify any more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from furusato_vc.core.trustlist.model import (
    BodyState,
    StatusListLocation,
    TrustedKey,
    TrustList,
    TrustListEntry,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.registration.bodies import Body

__all__ = [
    "add_entry",
    "add_key",
    "add_status_list",
    "empty_trust_list",
    "entry_for_body",
    "next_version",
    "rotate_key",
    "set_state",
    "withdraw_key",
]


def empty_trust_list(*, operator: str) -> TrustList:
    """A draft with no bodies and sequence 0 (the first signed list is 1)."""
    return TrustList(
        operator=operator, sequence=0, issued_at=0, next_update=1, expires_at=1, entries=()
    )


def entry_for_body(
    body: Body,
    *,
    issuer: str,
    issuer_url: str,
    keys: tuple[TrustedKey, ...] = (),
    status_lists: tuple[StatusListLocation, ...] = (),
) -> TrustListEntry:
    """An active entry whose names and kind come from the bundled table of bodies."""
    return TrustListEntry(
        body_code=body.code,
        name_ja=body.display_name_ja,
        name_en=body.display_name_en,
        kind=body.kind,
        issuer=issuer,
        issuer_url=issuer_url,
        state=BodyState.ACTIVE,
        state_since=None,
        keys=keys,
        status_lists=status_lists,
    )


def _with_entry(
    trust_list: TrustList, body_code: str, change: Callable[[TrustListEntry], TrustListEntry]
) -> TrustList:
    entries = list(trust_list.entries)
    for position, entry in enumerate(entries):
        if entry.body_code == body_code:
            entries[position] = change(entry)
            return replace(trust_list, entries=tuple(entries))
    raise ValueError(f"body {body_code} is not in the trust list")


def add_entry(trust_list: TrustList, entry: TrustListEntry) -> TrustList:
    if trust_list.entry(entry.body_code) is not None:
        raise ValueError(f"body {entry.body_code} is already in the trust list")
    if any(other.issuer == entry.issuer for other in trust_list.entries):
        raise ValueError(f"issuer {entry.issuer} is already used by another body")
    entries = sorted((*trust_list.entries, entry), key=lambda item: item.body_code)
    return replace(trust_list, entries=tuple(entries))


def add_key(trust_list: TrustList, body_code: str, key: TrustedKey) -> TrustList:
    def change(entry: TrustListEntry) -> TrustListEntry:
        if entry.key(key.kid) is not None:
            raise ValueError(f"body {body_code} already has a key {key.kid}")
        if any(other.jwk.thumbprint() == key.jwk.thumbprint() for other in entry.keys):
            raise ValueError(f"body {body_code} already lists this key under another kid")
        return replace(entry, keys=(*entry.keys, key))

    return _with_entry(trust_list, body_code, change)


def rotate_key(
    trust_list: TrustList, body_code: str, new_key: PublicJwk, *, at: int, overlap: int
) -> TrustList:
    """Add ``new_key`` from ``at`` and close every open-ended, unwithdrawn key at
    ``at + overlap``."""
    if overlap < 0:
        raise ValueError("overlap must not be negative")
    closing = at + overlap

    def change(entry: TrustListEntry) -> TrustListEntry:
        closed = tuple(
            replace(key, not_after=closing)
            if key.not_after is None and key.withdrawn_from is None and key.not_before < closing
            else key
            for key in entry.keys
        )
        return replace(entry, keys=closed)

    rotated = _with_entry(trust_list, body_code, change)
    return add_key(rotated, body_code, TrustedKey(jwk=new_key, not_before=at))


def withdraw_key(trust_list: TrustList, body_code: str, kid: str, *, from_: int) -> TrustList:
    def change(entry: TrustListEntry) -> TrustListEntry:
        key = entry.key(kid)
        if key is None:
            raise ValueError(f"body {body_code} has no key {kid}")
        if key.withdrawn_from is not None and key.withdrawn_from <= from_:
            raise ValueError(f"key {kid} is already withdrawn from an earlier time")
        keys = tuple(
            replace(item, withdrawn_from=from_) if item.kid == kid else item for item in entry.keys
        )
        return replace(entry, keys=keys)

    return _with_entry(trust_list, body_code, change)


def set_state(trust_list: TrustList, body_code: str, state: BodyState, *, since: int) -> TrustList:
    def change(entry: TrustListEntry) -> TrustListEntry:
        if entry.state is BodyState.WITHDRAWN and state is not BodyState.WITHDRAWN:
            raise ValueError(f"body {body_code} has left the scheme; add it again to re-admit")
        return replace(entry, state=state, state_since=None if state is BodyState.ACTIVE else since)

    return _with_entry(trust_list, body_code, change)


def add_status_list(
    trust_list: TrustList, body_code: str, location: StatusListLocation
) -> TrustList:
    for entry in trust_list.entries:
        if any(other.uri == location.uri for other in entry.status_lists):
            raise ValueError(f"status list {location.uri} is already listed")

    def change(entry: TrustListEntry) -> TrustListEntry:
        if any(other.list_id == location.list_id for other in entry.status_lists):
            raise ValueError(f"body {body_code} already has status list {location.list_id}")
        return replace(entry, status_lists=(*entry.status_lists, location))

    return _with_entry(trust_list, body_code, change)


def next_version(
    trust_list: TrustList, *, now: int, next_update_in: int, valid_for: int
) -> TrustList:
    """The version to sign: sequence + 1, issued ``now``. Verifiers fetch again after
    ``next_update_in`` seconds and stop trusting it after ``valid_for``."""
    if not 0 < next_update_in <= valid_for:
        raise ValueError("need 0 < next_update_in <= valid_for")
    return replace(
        trust_list,
        sequence=trust_list.sequence + 1,
        issued_at=now,
        next_update=now + next_update_in,
        expires_at=now + valid_for,
    )
