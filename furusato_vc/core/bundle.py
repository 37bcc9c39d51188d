"""The offline verifier's trust bundle: the national trust list and every body's status lists,
verified together against the pinned trust anchors (pure: bytes in, verified objects out).

A bundle is built from what a sync fetched (:func:`verify_bundle`) and, on a device, from what
an earlier sync stored (the same function, told the time of that sync). Anti-rollback
(security catalogue K-3, L-7) compares the new data with the bundle the device holds: an
older trust list fails the whole sync; an older, unsigned or otherwise bad status list is
refused *for that list only* and the held copy is kept while it has not expired, so one
body's broken publication never blinds a verifier to every other body.

At verification time the bundle answers two questions, both failing closed:

* :meth:`TrustBundle.trust` — keys, body states and key windows (:class:`TrustListTrust`,
  which also refuses an expired list or a device clock set back behind signed data);
* :meth:`TrustBundle.check` — the ``StatusChecker``: the list must belong to the card's body,
  be unexpired and no older than the verifier's maximum staleness, and the entry must be
  VALID (draft-ietf-oauth-status-list-20 §8.3, §7.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from furusato_vc.core.cbor import CborLimits, decode_cbor, encode_cbor
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, VerificationError
from furusato_vc.core.statuslist.encoding import DEFAULT_STATUS_LIST_LIMITS, StatusType
from furusato_vc.core.statuslist.token import verify_status_list_cwt, verify_status_list_jwt
from furusato_vc.core.trustlist.token import check_not_rolled_back, verify_trust_list
from furusato_vc.core.trustlist.view import TrustListTrust

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.statuslist.encoding import StatusList, StatusListLimits
    from furusato_vc.core.statuslist.reference import StatusReference
    from furusato_vc.core.statuslist.token import VerifiedStatusList
    from furusato_vc.core.trustlist.model import TrustList

__all__ = [
    "AGGREGATE_LIMITS",
    "BundleProblem",
    "ListOutcome",
    "TrustBundle",
    "decode_status_aggregate",
    "encode_status_aggregate",
    "verify_bundle",
]

# The aggregate of every body's Status List Token, as one file: a CBOR map from the list's
# URI to its signed token (bstr: CWT; tstr: JWT). The map itself is not signed; each token is,
# and is verified against the URI it is filed under.
AGGREGATE_LIMITS = CborLimits(max_bytes=256 * 1024 * 1024, max_depth=2, max_items=1 << 20)


def encode_status_aggregate(tokens: Mapping[str, bytes | str]) -> bytes:
    return encode_cbor(dict(sorted(tokens.items())))


def decode_status_aggregate(data: bytes) -> dict[str, bytes | str]:
    """Raises:
    FormatError: the CBOR codes, ``malformed_status_list`` for a wrong shape.
    """
    value = decode_cbor(data, limits=AGGREGATE_LIMITS, canonical=False)
    if not isinstance(value, dict) or len(value) > AGGREGATE_LIMITS.max_items:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "aggregate is not a map")
    out: dict[str, bytes | str] = {}
    for uri, token in value.items():
        if not isinstance(uri, str) or not isinstance(token, bytes | str):
            raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "aggregate entry is malformed")
        out[uri] = token
    return out


class ListOutcome(StrEnum):
    """What a sync did with one status list of the trust list."""

    UPDATED = "updated"  # a newer (or the first) valid token was taken
    UNCHANGED = "unchanged"  # the token is the one already held
    KEPT = "kept"  # the new token was refused; the held one is still in force
    MISSING = "missing"  # no usable token at all: cards of this list fail closed


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleProblem:
    """A status list that could not be taken, with the stable code of the reason."""

    uri: str
    code: ErrorCode
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _HeldList:
    verified: VerifiedStatusList
    body_code: str
    token: bytes | str
    # copied out of ``verified`` for the lookup path
    issued_at: int = field(init=False)
    expires_at: int | None = field(init=False)
    status_list: StatusList = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "issued_at", self.verified.issued_at)
        object.__setattr__(self, "expires_at", self.verified.expires_at)
        object.__setattr__(self, "status_list", self.verified.status_list)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TrustBundle:
    """A verified trust list and the verified status lists of its bodies."""

    trust_list: TrustList
    trust_list_token: bytes
    verified_at: int  # the time the signatures were checked (the sync)
    outcomes: Mapping[str, ListOutcome]
    problems: tuple[BundleProblem, ...]
    _lists: Mapping[str, _HeldList] = field(default_factory=dict, repr=False)
    _view: TrustListTrust = field(repr=False)

    # --- what a device stores

    @property
    def tokens(self) -> Mapping[str, bytes | str]:
        """The signed Status List Tokens in force, by URI (stored as the aggregate)."""
        return MappingProxyType({uri: held.token for uri, held in self._lists.items()})

    def status_list(self, uri: str) -> VerifiedStatusList | None:
        held = self._lists.get(uri)
        return None if held is None else held.verified

    def held_list(self, uri: str) -> _HeldList | None:
        return self._lists.get(uri)

    @property
    def trusted_time(self) -> int:
        return self._view.trusted_time

    # --- verification

    @property
    def trust(self) -> TrustListTrust:
        return self._view

    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None:
        """The status of one card (``StatusChecker``); O(1): two dictionary lookups and a
        byte read.

        Raises:
            VerificationError: ``status_not_checked`` (no list at that URI),
                ``status_list_mismatch`` (the list is another body's), ``status_list_expired``,
                ``status_stale``, ``status_index_out_of_range``, ``credential_revoked``,
                ``credential_suspended``, ``status_value_unknown``.
        """
        held = self._lists.get(reference.uri)
        if held is None:
            raise VerificationError(ErrorCode.STATUS_NOT_CHECKED, "no status list for this URI")
        if self._view.body_for_issuer(issuer) != held.body_code:
            raise VerificationError(ErrorCode.STATUS_LIST_MISMATCH, "list of another body")
        expires_at = held.expires_at
        if expires_at is not None and now >= expires_at:  # §8.3 step 4.c
            raise VerificationError(ErrorCode.STATUS_LIST_EXPIRED, "status list token expired")
        if now - held.issued_at > max_age:
            raise VerificationError(ErrorCode.STATUS_STALE, "status list older than allowed")
        value = held.status_list.get(reference.idx)
        if value == StatusType.VALID:
            return
        if value == StatusType.INVALID:
            raise VerificationError(ErrorCode.CREDENTIAL_REVOKED, "revoked")
        if value == StatusType.SUSPENDED:
            raise VerificationError(ErrorCode.CREDENTIAL_SUSPENDED, "suspended")
        # §7.1: 0x03 and 0x0C-0x0F are application specific, the rest reserved: we define
        # none of them, so no statement can be made and the card is refused.
        raise VerificationError(ErrorCode.STATUS_VALUE_UNKNOWN, "unregistered status value")


def _verify_token(
    token: bytes | str,
    *,
    uri: str,
    view: TrustListTrust,
    now: int,
    limits: StatusListLimits,
) -> _HeldList:
    body_code, keys = view.status_list_keys(uri)
    if isinstance(token, str):
        verified = verify_status_list_jwt(
            token, keys=keys, expected_uri=uri, now=now, limits=limits
        )
    else:
        verified = verify_status_list_cwt(
            token, keys=keys, expected_uri=uri, now=now, limits=limits
        )
    view.status_list_key_use(body_code=body_code, key=verified.key, signed_at=verified.issued_at)
    verified.check_not_expired(now)
    return _HeldList(verified=verified, body_code=body_code, token=token)


def verify_bundle(
    trust_list_token: bytes,
    status_tokens: Mapping[str, bytes | str],
    *,
    anchors: Sequence[PublicJwk],
    now: int,
    held: TrustBundle | None = None,
    limits: StatusListLimits = DEFAULT_STATUS_LIST_LIMITS,
) -> TrustBundle:
    """Verify a fetched trust list and status lists; merge with the ``held`` bundle.

    Raises:
        FormatError, VerificationError: anything wrong with the trust list itself (its
            codes, ``trust_anchor_unknown``, ``trust_list_expired``, ``trust_list_rollback``).
            Problems with single status lists are reported in ``problems``, not raised.
    """
    trust_list = verify_trust_list(trust_list_token, anchors=anchors, now=now)
    check_not_rolled_back(trust_list, None if held is None else held.trust_list)
    view = TrustListTrust(trust_list)
    lists: dict[str, _HeldList] = {}
    outcomes: dict[str, ListOutcome] = {}
    problems: list[BundleProblem] = []
    for uri in _listed_uris(trust_list):
        previous = None if held is None else held.held_list(uri)
        token = status_tokens.get(uri)
        fresh: _HeldList | None = None
        if token is None:
            problems.append(
                BundleProblem(uri=uri, code=ErrorCode.STATUS_NOT_CHECKED, detail="not published")
            )
        elif previous is not None and token == previous.token:
            fresh = previous
        else:
            try:
                fresh = _verify_token(token, uri=uri, view=view, now=now, limits=limits)
                if previous is not None and fresh.verified.issued_at < previous.verified.issued_at:
                    raise VerificationError(ErrorCode.STATUS_LIST_ROLLBACK, "older than held")
            except FurusatoError as error:
                problems.append(BundleProblem(uri=uri, code=error.code, detail=error.detail))
                fresh = None
        if fresh is not None:
            lists[uri] = fresh
            outcomes[uri] = ListOutcome.UNCHANGED if fresh is previous else ListOutcome.UPDATED
        elif previous is not None and _still_usable(previous, uri, view, now):
            lists[uri] = previous
            outcomes[uri] = ListOutcome.KEPT
        else:
            outcomes[uri] = ListOutcome.MISSING
    # K-5: the newest signed time this bundle holds; a clock behind it has been set back
    newest = max((item.verified.issued_at for item in lists.values()), default=0)
    return TrustBundle(
        trust_list=trust_list,
        trust_list_token=trust_list_token,
        verified_at=now,
        outcomes=MappingProxyType(outcomes),
        problems=tuple(problems),
        _lists=MappingProxyType(lists),
        _view=view.with_trusted_time(max(newest, trust_list.issued_at)),
    )


def _listed_uris(trust_list: TrustList) -> Iterable[str]:
    for entry in trust_list.entries:
        for location in entry.status_lists:
            yield location.uri


def _still_usable(previous: _HeldList, uri: str, view: TrustListTrust, now: int) -> bool:
    """A held list stays only while the new trust list still vouches for it: same body,
    a key that still covers its ``iat``, and not expired."""
    try:
        body_code, _keys = view.status_list_keys(uri)
        if body_code != previous.body_code:
            return False
        view.status_list_key_use(
            body_code=body_code, key=previous.verified.key, signed_at=previous.verified.issued_at
        )
        previous.verified.check_not_expired(now)
    except VerificationError:
        return False
    return True
