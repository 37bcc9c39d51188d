"""A verified trust list as the verifier's trust: the :class:`RegistrationTrust` that both
credential formats resolve keys through, with body states and key windows applied."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from furusato_vc.core.compact.credential import compact_kid
from furusato_vc.core.errors import ErrorCode, VerificationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.trustlist.model import TrustedKey, TrustList, TrustListEntry

__all__ = ["DEFAULT_CLOCK_TOLERANCE", "TrustListTrust"]

# How far a device clock may lag the newest signed time it holds (issuers' clocks and
# rounding differ a little; a clock set back by days does not pass).
DEFAULT_CLOCK_TOLERANCE = 15 * 60


class TrustListTrust:
    """Lookups over one verified :class:`TrustList`, all by dictionary (O(1)).

    Keys are returned whatever their windows (the window is about when a credential was
    *signed*, known only once its signature is checked: :meth:`check_key_use`). Bodies that
    are suspended or withdrawn have no usable keys at all.
    """

    __slots__ = (
        "_by_code",
        "_by_issuer",
        "_compact",
        "_keys",
        "_lists",
        "_uris",
        "clock_tolerance",
        "trust_list",
        "trusted_time",
    )

    def __init__(
        self,
        trust_list: TrustList,
        *,
        trusted_time: int | None = None,
        clock_tolerance: int = DEFAULT_CLOCK_TOLERANCE,
    ) -> None:
        """``trusted_time`` is the latest signed time the holder of this trust data has seen
        (the newest ``iat`` of the trust list and status lists it synced); a device clock
        earlier than that, beyond ``clock_tolerance`` seconds, has been set back."""
        self.trust_list = trust_list
        self.trusted_time = trust_list.issued_at if trusted_time is None else trusted_time
        self.clock_tolerance = clock_tolerance
        self._by_code: Mapping[str, TrustListEntry] = MappingProxyType(
            {entry.body_code: entry for entry in trust_list.entries}
        )
        self._by_issuer: Mapping[str, TrustListEntry] = MappingProxyType(
            {entry.issuer: entry for entry in trust_list.entries}
        )
        compact: dict[tuple[str, bytes], tuple[PublicJwk, ...]] = {}
        keys: dict[tuple[str, PublicJwk], TrustedKey] = {}
        lists: dict[tuple[str, int], str] = {}
        uris: dict[str, str] = {}
        for entry in trust_list.entries:
            for key in entry.keys:
                slot = (entry.body_code, compact_kid(key.jwk))
                compact[slot] = (*compact.get(slot, ()), key.jwk)
                keys[(entry.body_code, key.jwk)] = key  # PublicJwk hashes its material + kid
            for location in entry.status_lists:
                lists[(entry.body_code, location.list_id)] = location.uri
                uris[location.uri] = entry.body_code
        self._compact = MappingProxyType(compact)
        self._keys = MappingProxyType(keys)
        self._lists = MappingProxyType(lists)
        self._uris = MappingProxyType(uris)

    def _active(self, entry: TrustListEntry | None) -> TrustListEntry:
        if entry is None:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "not in the trust list")
        entry.check_active()
        return entry

    # --- IssuerKeyResolver (SD-JWT VC)

    def issuer_keys(self, *, issuer: str, kid: str | None) -> Sequence[PublicJwk]:
        entry = self._active(self._by_issuer.get(issuer))
        candidates = [key.jwk for key in entry.keys if kid is None or key.kid == kid]
        if not candidates:
            raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no key with that kid")
        return candidates

    # --- CompactKeyResolver (QR credential)

    def compact_keys(self, *, body_code: str, kid: bytes) -> Sequence[PublicJwk]:
        self._active(self._by_code.get(body_code))
        candidates = self._compact.get((body_code, kid))
        if not candidates:
            raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no key with that kid")
        return candidates

    # --- RegistrationTrust

    def check_current(self, *, now: int) -> None:
        """K-2 and K-5: the list must not have expired, and the clock must not be behind
        what was already signed.

        Raises:
            VerificationError: ``clock_behind_trust_data``, ``trust_list_expired``.
        """
        if now < self.trusted_time - self.clock_tolerance:
            raise VerificationError(ErrorCode.CLOCK_BEHIND_TRUST_DATA, "device clock set back")
        if now >= self.trust_list.expires_at:
            raise VerificationError(ErrorCode.TRUST_LIST_EXPIRED, "trust list has expired")

    def check_key_use(self, *, body_code: str, key: PublicJwk, signed_at: int) -> None:
        """K-4: the key that verified must cover the signing time and not be withdrawn.

        Raises:
            VerificationError: ``issuer_not_trusted``, ``issuer_suspended``,
                ``issuer_withdrawn``, ``issuer_key_unknown``, ``issuer_key_withdrawn``,
                ``issuer_key_not_valid``.
        """
        self._active(self._by_code.get(body_code))
        trusted = self._keys.get((body_code, key))
        if trusted is None:
            raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "key not listed for body")
        trusted.check_use(signed_at)

    def body_for_issuer(self, issuer: str) -> str:
        entry = self._by_issuer.get(issuer)
        if entry is None:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer not in the trust list")
        return entry.body_code

    def issuer_for_body(self, body_code: str) -> str:
        entry = self._by_code.get(body_code)
        if entry is None:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "body not in the trust list")
        return entry.issuer

    def status_list_uri(self, *, body_code: str, list_id: int) -> str | None:
        return self._lists.get((body_code, list_id))

    # --- status list tokens

    def body_for_status_list(self, uri: str) -> str | None:
        """The body that publishes the status list at ``uri`` (each URI has exactly one)."""
        return self._uris.get(uri)

    def status_list_keys(self, uri: str) -> tuple[str, Sequence[PublicJwk]]:
        """The body publishing ``uri`` and its keys, for verifying its Status List Token.
        A suspended or withdrawn body's lists are still read (its cards fail anyway).

        Raises:
            VerificationError: ``status_list_mismatch`` if no body lists ``uri``.
        """
        body_code = self._uris.get(uri)
        if body_code is None:
            raise VerificationError(ErrorCode.STATUS_LIST_MISMATCH, "no body lists this URI")
        return body_code, [key.jwk for key in self._by_code[body_code].keys]

    def status_list_key_use(self, *, body_code: str, key: PublicJwk, signed_at: int) -> None:
        """Key windows for Status List Tokens (body state does not matter here).

        Raises:
            VerificationError: ``issuer_key_unknown``, ``issuer_key_withdrawn``,
                ``issuer_key_not_valid``.
        """
        trusted = self._keys.get((body_code, key))
        if trusted is None:
            raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "key not listed for body")
        trusted.check_use(signed_at)

    def with_trusted_time(self, trusted_time: int) -> TrustListTrust:
        """The same lookups (shared, immutable) with another ``trusted_time``."""
        copy = TrustListTrust.__new__(TrustListTrust)
        for name in self.__slots__:
            object.__setattr__(copy, name, getattr(self, name))
        copy.trusted_time = trusted_time
        return copy

    def entry(self, body_code: str) -> TrustListEntry | None:
        return self._by_code.get(body_code)
