"""Which issuers are trusted, with which keys, for which issuing body.

A credential's ``iss`` must map to exactly one body, and the body named in the credential
(``issuing_body``) must be that body: a municipality's key can never vouch for another body.
:class:`StaticTrust` holds this mapping in memory (tests, demos, one municipality's own
verifier); :class:`~furusato_vc.core.trustlist.TrustListTrust` derives it from the signed
national trust list, with key windows and body states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from furusato_vc.core.compact.credential import CompactKeyResolver, compact_kid
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.sdjwt.verification import IssuerKeyResolver, StaticIssuerKeys

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = ["RegistrationTrust", "StaticTrust", "TrustedIssuer"]


class RegistrationTrust(IssuerKeyResolver, CompactKeyResolver, Protocol):
    def body_for_issuer(self, issuer: str) -> str:
        """The 6-digit body code ``issuer`` issues for.

        Raises:
            VerificationError: ``issuer_not_trusted``.
        """
        ...

    def status_list_uri(self, *, body_code: str, list_id: int) -> str | None:
        """Where the body publishes status list ``list_id`` (QR credentials name lists by a
        small number); ``None`` when the trust data does not know it."""
        ...

    def issuer_for_body(self, body_code: str) -> str:
        """The issuer identifier (``iss`` of its SD-JWT VCs) of a body.

        Raises:
            VerificationError: ``issuer_not_trusted``.
        """
        ...

    def check_current(self, *, now: int) -> None:
        """Is this trust data usable at ``now``? Asked before every verification.

        Raises:
            VerificationError: with a trust list, ``trust_list_expired`` or
                ``clock_behind_trust_data`` (the device clock is earlier than signed data
                it already holds: security catalogue K-5).
        """
        ...

    def check_key_use(self, *, body_code: str, key: PublicJwk, signed_at: int) -> None:
        """May a credential of ``body_code`` signed at ``signed_at`` (its ``iat``) rely on
        ``key``, the key that verified it?

        Raises:
            VerificationError: ``issuer_not_trusted``, ``issuer_key_unknown``, and with a
                trust list ``issuer_suspended``, ``issuer_withdrawn``,
                ``issuer_key_withdrawn``, ``issuer_key_not_valid``.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustedIssuer:
    body_code: str
    issuer_id: str
    keys: tuple[PublicJwk, ...]
    status_lists: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a trusted issuer needs at least one key")


@dataclass(frozen=True, slots=True)
class StaticTrust:
    """An in-memory trust set (tests, demos, and a single municipality's own verifier)."""

    issuers: Mapping[str, TrustedIssuer]
    keys: StaticIssuerKeys
    compact_index: Mapping[tuple[str, bytes], tuple[PublicJwk, ...]]
    bodies: frozenset[str]
    status_lists: Mapping[tuple[str, int], str]

    @classmethod
    def of(cls, issuers: Iterable[TrustedIssuer]) -> StaticTrust:
        table = {i.issuer_id: i for i in issuers}
        keys = StaticIssuerKeys(MappingProxyType({k: v.keys for k, v in table.items()}))
        index: dict[tuple[str, bytes], tuple[PublicJwk, ...]] = {}
        for entry in table.values():
            for key in entry.keys:
                slot = (entry.body_code, compact_kid(key))
                index[slot] = (*index.get(slot, ()), key)
        bodies = frozenset(entry.body_code for entry in table.values())
        lists = {
            (entry.body_code, list_id): uri
            for entry in table.values()
            for list_id, uri in entry.status_lists.items()
        }
        return cls(
            MappingProxyType(table),
            keys,
            MappingProxyType(index),
            bodies,
            MappingProxyType(lists),
        )

    def issuer_keys(self, *, issuer: str, kid: str | None) -> Sequence[PublicJwk]:
        return self.keys.issuer_keys(issuer=issuer, kid=kid)

    def compact_keys(self, *, body_code: str, kid: bytes) -> Sequence[PublicJwk]:
        """Keys of ``body_code`` whose QR-credential kid (4 thumbprint bytes) is ``kid``."""
        if body_code not in self.bodies:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "body not in the trust set")
        candidates = self.compact_index.get((body_code, kid))
        if not candidates:
            raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no key with that kid")
        return candidates

    def status_list_uri(self, *, body_code: str, list_id: int) -> str | None:
        return self.status_lists.get((body_code, list_id))

    def issuer_for_body(self, body_code: str) -> str:
        for entry in self.issuers.values():
            if entry.body_code == body_code:
                return entry.issuer_id
        raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "body not in the trust set")

    def check_current(self, *, now: int) -> None:
        """A static trust set does not expire."""
        del now

    def check_key_use(self, *, body_code: str, key: PublicJwk, signed_at: int) -> None:
        """A static trust set has no key windows: the key must only belong to the body."""
        del signed_at
        issuer = self.issuer_for_body(body_code)
        if key not in self.issuers[issuer].keys:
            raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "key not listed for body")

    def body_for_issuer(self, issuer: str) -> str:
        entry = self.issuers.get(issuer)
        if entry is None:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer not in the trust set")
        return entry.body_code
