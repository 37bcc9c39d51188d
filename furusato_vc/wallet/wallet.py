"""The ``Wallet`` an app embeds: cards from several bodies, each held as batch copies of both
formats, kept in an injected storage backend (encrypted at rest by default) with holder keys in
an injected key store; presentations by verifier profile, one unused copy per presentation.

The wallet is a library: it takes a clock, randomness, a storage backend, a key store, and
for network work a :class:`~furusato_vc.wallet.client.Transport` and the trust data. The whole
state is one JSON document written atomically by the storage backend after every change.

State document (``furusato-wallet/1``)::

    {"format": "furusato-wallet/1",
     "keys": {...} | null,               # SoftwareKeyStore.export_state(); null for an enclave
     "cards": [{"card_id", "issuer", "body_code", "tier", "valid_from", "valid_until",
                "expires_at", "received_at", "issuer_keys": [JWK…],
                "copies": [{"format", "credential", "key_id", "used_at"}…]}…],
     "status": {uri: {"token": JWT, "fetched_at": int}},
     "preferences": {"interests": [tag…] | null,    # optional; null: every notice
                     "feed_sequences": {body_code: int}}}  # newest notices feed seen
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from furusato_vc.core.compact.credential import accept_compact, present_compact
from furusato_vc.core.encoding import b64url_decode, dumps_compact, parse_json, parse_json_object
from furusato_vc.core.errors import (
    ErrorCode,
    FormatError,
    FurusatoError,
    StorageError,
    VerificationError,
)
from furusato_vc.core.jose.jwk import PublicJwk, parse_public_jwk
from furusato_vc.core.jose.jws import decode_unverified_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.notices import MAX_NOTICE_INTERESTS
from furusato_vc.core.oid4vci.constants import COMPACT_FORMAT, SD_JWT_VC_FORMAT
from furusato_vc.core.qrtext import encode_qr_text
from furusato_vc.core.registration.bodies import BodyRegistry, load_bodies
from furusato_vc.core.registration.claims import JST, Tier
from furusato_vc.core.statuslist import StatusType
from furusato_vc.core.statuslist.reference import StatusReference, parse_status_claim
from furusato_vc.core.statuslist.token import VerifiedStatusList, verify_status_list_jwt
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.wallet.activity import check_in, present_registration_id
from furusato_vc.wallet.client import obtain_credentials, parse_offer
from furusato_vc.wallet.holder import (
    HeldCredential,
    accept_credential,
    present_credential,
    qr_groups,
)
from furusato_vc.wallet.keys import SoftwareKeyStore
from furusato_vc.wallet.notices import FeedSubscription, collect_notices
from furusato_vc.wallet.qr import RotatingQr

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from furusato_vc.core.activity import AttendanceRecord
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.profiles import Profile
    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.core.sdjwt.processing import ClaimPath
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.wallet.client import Transport
    from furusato_vc.wallet.keys import KeyStore
    from furusato_vc.wallet.notices import NoticesResult
    from furusato_vc.wallet.storage import WalletStorage


__all__ = [
    "CardSummary",
    "Clock",
    "DisclosureItem",
    "PresentationPlan",
    "Reminder",
    "StoredCard",
    "StoredCopy",
    "Wallet",
]

STATE_FORMAT: Final = "furusato-wallet/1"
DEFAULT_MAX_STATUS_AGE: Final = timedelta(hours=48)
DEFAULT_REMINDER_WINDOW: Final = timedelta(days=30)
_LOCALES_JA: Final = ("ja", "en")
_LOCALES_EN: Final = ("en", "ja")


class Clock(Protocol):
    def now(self) -> datetime: ...


# ---------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCopy:
    """One batch copy as issued, bound to ``key_id`` in the key store."""

    format: str  # SD_JWT_VC_FORMAT or COMPACT_FORMAT
    credential: str  # SD-JWT text, or the compact credential in base64url as issued
    key_id: str
    used_at: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCard:
    """One registration with one body, and every copy the wallet holds of it."""

    card_id: str  # the registration id
    issuer: str
    body_code: str
    tier: Tier
    valid_from: date
    valid_until: date | None
    expires_at: int  # the latest ``exp`` among the copies
    received_at: int
    issuer_keys: tuple[PublicJwk, ...]  # the keys its copies verified with on receipt
    copies: tuple[StoredCopy, ...]

    def unused(self, fmt: str) -> tuple[StoredCopy, ...]:
        return tuple(c for c in self.copies if c.format == fmt and c.used_at is None)


@dataclass(frozen=True, slots=True, kw_only=True)
class CardSummary:
    """What the app lists: body names (ja/en), tier, validity, status and copies left."""

    card_id: str
    body_code: str
    body_name_ja: str
    body_name_en: str
    tier: Tier
    valid_from: date
    valid_until: date | None
    expires_at: datetime
    status: str  # "valid", "suspended", "revoked", "unknown" (no fresh status list)
    status_checked_at: datetime | None
    unused_qr_copies: int
    unused_sd_jwt_copies: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Reminder:
    """A card to renew: ``kind`` is ``expiry`` (the credential or the registration ends) or
    ``renewal`` (premium is renewed yearly, with its activity record)."""

    card_id: str
    kind: str
    due: date
    days_left: int
    message_ja: str
    message_en: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DisclosureItem:
    path: ClaimPath
    label_ja: str
    label_en: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationPlan:
    """What a presentation to ``profile`` will show, for the person to confirm first."""

    card_id: str
    profile_id: str
    profile_name_ja: str
    profile_name_en: str
    audience: str
    always_shown: tuple[DisclosureItem, ...]  # body, tier, validity travel in plain text
    disclosed: tuple[DisclosureItem, ...]
    paths: tuple[ClaimPath, ...]
    meets_tier: bool


# ---------------------------------------------------------------------------- state


def _corrupt(detail: str) -> StorageError:
    return StorageError(ErrorCode.WALLET_STORE_CORRUPT, detail)


def _field(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise _corrupt(f"state field {name}")
    return value


def _card_to_json(card: StoredCard) -> dict[str, Any]:
    return {
        "card_id": card.card_id,
        "issuer": card.issuer,
        "body_code": card.body_code,
        "tier": card.tier.value,
        "valid_from": card.valid_from.isoformat(),
        "valid_until": None if card.valid_until is None else card.valid_until.isoformat(),
        "expires_at": card.expires_at,
        "received_at": card.received_at,
        "issuer_keys": [key.to_json() for key in card.issuer_keys],
        "copies": [
            {
                "format": c.format,
                "credential": c.credential,
                "key_id": c.key_id,
                "used_at": c.used_at,
            }
            for c in card.copies
        ],
    }


def _card_from_json(obj: Any) -> StoredCard:
    if not isinstance(obj, dict):
        raise _corrupt("card")
    try:
        copies = []
        for item in _field(obj, "copies", list):
            if not isinstance(item, dict):
                raise _corrupt("copy")
            fmt = _field(item, "format", str)
            if fmt not in (SD_JWT_VC_FORMAT, COMPACT_FORMAT):
                raise _corrupt("copy format")
            used = item.get("used_at")
            if used is not None and (not isinstance(used, int) or isinstance(used, bool)):
                raise _corrupt("copy used_at")
            copies.append(
                StoredCopy(
                    format=fmt,
                    credential=_field(item, "credential", str),
                    key_id=_field(item, "key_id", str),
                    used_at=used,
                )
            )
        until = obj.get("valid_until")
        return StoredCard(
            card_id=_field(obj, "card_id", str),
            issuer=_field(obj, "issuer", str),
            body_code=_field(obj, "body_code", str),
            tier=Tier(_field(obj, "tier", str)),
            valid_from=date.fromisoformat(_field(obj, "valid_from", str)),
            valid_until=None if until is None else date.fromisoformat(str(until)),
            expires_at=_field(obj, "expires_at", int),
            received_at=_field(obj, "received_at", int),
            issuer_keys=tuple(parse_public_jwk(k) for k in _field(obj, "issuer_keys", list)),
            copies=tuple(copies),
        )
    except (ValueError, FormatError) as exc:
        raise _corrupt("card fields") from exc


# ---------------------------------------------------------------------------- wallet


class Wallet:
    """An app's wallet. Not thread-safe: one instance per store, used from one thread.

    Open it with :meth:`open`; every change is written through the storage backend before the
    method returns (atomic: after a crash the store holds the state before or after it).
    """

    def __init__(
        self,
        *,
        storage: WalletStorage,
        keys: KeyStore,
        clock: Clock,
        random: RandomSource,
        bodies: BodyRegistry | None = None,
        max_status_age: timedelta = DEFAULT_MAX_STATUS_AGE,
    ) -> None:
        self._storage = storage
        self._keys = keys
        self._clock = clock
        self._random = random
        self._bodies = bodies if bodies is not None else load_bodies()
        self._max_status_age = max_status_age
        self._cards: dict[str, StoredCard] = {}
        self._status: dict[str, tuple[str, int]] = {}  # uri -> (token, fetched at)
        self._verified: dict[str, VerifiedStatusList] = {}  # the same tokens, verified
        self._interests: tuple[str, ...] | None = None  # notice preferences (local only)
        self._feed_sequences: dict[str, int] = {}  # highest notices-feed sequence per body

    @classmethod
    def open(
        cls,
        *,
        storage: WalletStorage,
        clock: Clock,
        random: RandomSource,
        keys: KeyStore | None = None,
        bodies: BodyRegistry | None = None,
        max_status_age: timedelta = DEFAULT_MAX_STATUS_AGE,
    ) -> Wallet:
        """Load the wallet from ``storage`` (a new, empty wallet if it holds nothing). Without
        ``keys`` the holder keys are software keys kept inside the (encrypted) state.

        Raises:
            StorageError: ``wallet_store_corrupt``, ``wallet_passphrase_invalid`` (from an
                encrypted backend).
        """
        raw = storage.read()
        state: dict[str, Any] = {}
        if raw is not None:
            try:
                value = parse_json(raw)
            except FormatError as exc:
                raise _corrupt("state is not JSON") from exc
            if not isinstance(value, dict) or value.get("format") != STATE_FORMAT:
                raise _corrupt("not a furusato-wallet/1 state")
            state = value
        if keys is None:
            stored_keys = state.get("keys")
            keys = (
                SoftwareKeyStore()
                if stored_keys is None
                else SoftwareKeyStore.from_state(stored_keys)
            )
        wallet = cls(
            storage=storage,
            keys=keys,
            clock=clock,
            random=random,
            bodies=bodies,
            max_status_age=max_status_age,
        )
        cards = state.get("cards", [])
        status = state.get("status", {})
        if not isinstance(cards, list) or not isinstance(status, dict):
            raise _corrupt("cards or status")
        for item in cards:
            card = _card_from_json(item)
            wallet._cards[card.card_id] = card
        for uri, entry in status.items():
            if not isinstance(entry, dict):
                raise _corrupt("status entry")
            wallet._status[uri] = (_field(entry, "token", str), _field(entry, "fetched_at", int))
        preferences = state.get("preferences", {})
        if not isinstance(preferences, dict):
            raise _corrupt("preferences")
        interests = preferences.get("interests")
        if interests is not None:
            if not isinstance(interests, list) or not all(isinstance(v, str) for v in interests):
                raise _corrupt("preferences.interests")
            wallet._interests = tuple(interests)
        sequences = preferences.get("feed_sequences", {})
        if not isinstance(sequences, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in sequences.values()
        ):
            raise _corrupt("preferences.feed_sequences")
        wallet._feed_sequences = dict(sequences)
        return wallet

    # ------------------------------------------------------------------ persistence

    def save(self) -> None:
        """Write the whole state through the storage backend (atomic)."""
        keys = self._keys.export_state() if isinstance(self._keys, SoftwareKeyStore) else None
        document: Any = {
            "format": STATE_FORMAT,
            "keys": keys,
            "cards": [_card_to_json(card) for card in self._cards.values()],
            "status": {
                uri: {"token": token, "fetched_at": fetched}
                for uri, (token, fetched) in self._status.items()
            },
            "preferences": {
                "interests": None if self._interests is None else list(self._interests),
                "feed_sequences": dict(self._feed_sequences),
            },
        }
        self._storage.write(dumps_compact(document).encode("utf-8"))

    def _now(self) -> datetime:
        return self._clock.now()

    # ------------------------------------------------------------------ receiving

    def accept_offer(
        self,
        offer: str,
        *,
        tx_code: str | None,
        transport: Transport,
        trust: RegistrationTrust,
        copies: int | None = None,
        allow_insecure_localhost: bool = False,
    ) -> CardSummary:
        """Accept a credential offer (an ``openid-credential-offer://`` URL or its QR text):
        obtain every offered format with batch copies, each verified on receipt against
        ``trust`` and the type metadata, and keep them. Copies of a registration the wallet
        already holds are added to its card; copies of another tier (premium approved, or
        premium ended) replace the card, and the old copies' keys are destroyed.

        Raises:
            FormatError, VerificationError, StorageError: as
                :func:`~furusato_vc.wallet.client.obtain_credentials` (the issuer's own codes
                such as ``tx_code_invalid`` or ``pre_authorized_code_invalid``,
                ``issuer_unavailable``, ``issuer_rejected``, ``issuer_response_invalid``).
        """
        parsed = parse_offer(
            offer, transport=transport, allow_insecure_localhost=allow_insecure_localhost
        )
        now = self._now()
        obtained = obtain_credentials(
            parsed,
            tx_code=tx_code,
            transport=transport,
            keys=self._keys,
            trust=trust,
            now=now,
            copies=None
            if copies is None
            else dict.fromkeys(parsed.credential_configuration_ids, copies),
            allow_insecure_localhost=allow_insecure_localhost,
        )
        new_copies = tuple(
            StoredCopy(format=c.format, credential=c.credential, key_id=c.key_id)
            for c in obtained.copies
        )
        card = self._card_from_copies(new_copies, issuer=obtained.issuer, trust=trust, now=now)
        existing = self._cards.get(card.card_id)
        replaced: tuple[StoredCopy, ...] = ()
        if existing is not None and existing.tier is card.tier:
            card = replace(
                existing,
                copies=existing.copies + card.copies,
                expires_at=max(existing.expires_at, card.expires_at),
                issuer_keys=card.issuer_keys,
            )
        elif existing is not None:
            # the registration changed tier (premium approved, or premium ended): the new
            # card replaces the old one, whose copies and keys are destroyed
            replaced = existing.copies
        self._cards[card.card_id] = card
        self.save()
        for copy in replaced:
            self._keys.delete_key(copy.key_id)
        if replaced:
            self.save()
        return self._summary(card, now)

    def _card_from_copies(
        self,
        copies: Sequence[StoredCopy],
        *,
        issuer: str,
        trust: RegistrationTrust,
        now: datetime,
    ) -> StoredCard:
        sd_jwt = [c for c in copies if c.format == SD_JWT_VC_FORMAT]
        if not sd_jwt:
            raise VerificationError(
                ErrorCode.CREDENTIAL_MISMATCH, "an offer must include the SD-JWT VC"
            )
        held = [
            accept_credential(
                c.credential,
                holder_key=self._keys.signer(c.key_id).public_jwk,
                trust=trust,
                now=now,
            )
            for c in sd_jwt
        ]
        first = held[0].registration
        ids = {h.registration.registration_id for h in held}
        if len(ids) != 1 or first.registration_id is None:
            raise VerificationError(ErrorCode.CREDENTIAL_MISMATCH, "copies of several cards")
        keys: dict[str, PublicJwk] = {}
        for item in held:
            for key in trust.issuer_keys(issuer=item.verified.issuer, kid=None):
                keys[key.thumbprint()] = key
        return StoredCard(
            card_id=first.registration_id,
            issuer=issuer,
            body_code=first.issuing_body,
            tier=first.tier,
            valid_from=first.valid_from,
            valid_until=first.valid_until,
            expires_at=max(h.verified.expires_at for h in held),
            received_at=to_numeric_date(now),
            issuer_keys=tuple(keys.values()),
            copies=tuple(copies),
        )

    # ------------------------------------------------------------------ listing

    def card(self, card_id: str) -> StoredCard:
        """Raises:
        StorageError: ``wallet_card_not_found``.
        """
        card = self._cards.get(card_id)
        if card is None:
            raise StorageError(ErrorCode.WALLET_CARD_NOT_FOUND, "no such card")
        return card

    def cards(self) -> tuple[CardSummary, ...]:
        """Every card, newest first, with its status from the cached status lists."""
        now = self._now()
        ordered = sorted(self._cards.values(), key=lambda c: c.received_at, reverse=True)
        return tuple(self._summary(card, now) for card in ordered)

    def _summary(self, card: StoredCard, now: datetime) -> CardSummary:
        body = self._bodies.get(card.body_code)
        status, checked = self._status_of(card, now)
        return CardSummary(
            card_id=card.card_id,
            body_code=card.body_code,
            body_name_ja=body.display_name_ja,
            body_name_en=body.display_name_en,
            tier=card.tier,
            valid_from=card.valid_from,
            valid_until=card.valid_until,
            expires_at=datetime.fromtimestamp(card.expires_at, tz=JST),
            status=status,
            status_checked_at=checked,
            unused_qr_copies=len(card.unused(COMPACT_FORMAT)),
            unused_sd_jwt_copies=len(card.unused(SD_JWT_VC_FORMAT)),
        )

    def _references(self, card: StoredCard) -> list[StatusReference]:
        """The status reference of each SD-JWT VC copy, from its issuer-signed payload (the
        copy was verified on receipt)."""
        out = []
        for copy in card.copies:
            if copy.format != SD_JWT_VC_FORMAT:
                continue
            try:
                jws = decode_unverified_jws(copy.credential.split("~", 1)[0])
                status = parse_json_object(jws.payload).get("status")
                if status is not None:
                    out.append(parse_status_claim(status))
            except FormatError:
                continue
        return out

    def _cached_list(self, card: StoredCard, uri: str, now_s: int) -> VerifiedStatusList | None:
        """The cached status list at ``uri`` if it is fresh enough, verified once per token
        (at refresh, or on first use after the state was loaded)."""
        cached = self._status.get(uri)
        if cached is None or now_s - cached[1] > self._max_status_age.total_seconds():
            return None
        verified = self._verified.get(uri)
        if verified is None:
            try:
                verified = verify_status_list_jwt(
                    cached[0],
                    keys=card.issuer_keys,
                    expected_uri=uri,
                    now=now_s,
                )
            except FurusatoError:
                return None
            self._verified[uri] = verified
        if verified.expires_at is not None and now_s >= verified.expires_at:
            return None
        return verified

    def _status_of(self, card: StoredCard, now: datetime) -> tuple[str, datetime | None]:
        now_s = to_numeric_date(now)
        values: set[int] = set()
        oldest: int | None = None
        for reference in self._references(card):
            verified = self._cached_list(card, reference.uri, now_s)
            if verified is None:
                return "unknown", None
            try:
                values.add(verified.status_list.get(reference.idx))
            except ValueError:  # an index outside the list
                return "unknown", None
            fetched = self._status[reference.uri][1]
            oldest = fetched if oldest is None else min(oldest, fetched)
        if not values or oldest is None:
            return "unknown", None
        checked = datetime.fromtimestamp(oldest, tz=JST)
        if StatusType.INVALID in values:
            return "revoked", checked
        if StatusType.SUSPENDED in values:
            return "suspended", checked
        return "valid", checked

    def refresh_status(self, *, transport: Transport) -> int:
        """Fetch the status lists of every card (one request per list) and cache the
        verified tokens. Returns how many lists were refreshed; lists that cannot be fetched
        keep their cached token (the card shows ``unknown`` once it is too old).

        Raises:
            nothing for network failures (offline is normal); a token that does not verify
            is not cached.
        """
        now = self._now()
        refreshed = 0
        for card in self._cards.values():
            for uri in {reference.uri for reference in self._references(card)}:
                try:
                    response = transport.request(
                        "GET",
                        uri,
                        headers={"Accept": "application/statuslist+jwt"},
                        body=None,
                    )
                    if response.status != 200:
                        continue
                    token = response.body.decode("ascii")
                    verified = verify_status_list_jwt(
                        token,
                        keys=card.issuer_keys,
                        expected_uri=uri,
                        now=to_numeric_date(now),
                    )
                except (FurusatoError, UnicodeDecodeError, ValueError):  # offline, odd URI
                    continue
                self._status[uri] = (token, to_numeric_date(now))
                self._verified[uri] = verified
                refreshed += 1
        self.save()
        return refreshed

    def reminders(self, *, within: timedelta = DEFAULT_REMINDER_WINDOW) -> tuple[Reminder, ...]:
        """Cards whose credential or registration ends within ``within`` (or has ended),
        and premium cards due for their yearly renewal."""
        today = self._now().astimezone(JST).date()
        out = []
        for card in self._cards.values():
            body = self._bodies.get(card.body_code)
            ends = datetime.fromtimestamp(card.expires_at, tz=JST).date()
            if card.valid_until is not None:
                ends = min(ends, card.valid_until)
            days = (ends - today).days
            if days <= within.days:
                kind = "renewal" if card.tier is Tier.PREMIUM else "expiry"
                what_ja = "更新" if kind == "renewal" else "有効期限"
                out.append(
                    Reminder(
                        card_id=card.card_id,
                        kind=kind,
                        due=ends,
                        days_left=days,
                        message_ja=(
                            f"{body.display_name_ja}の登録証の{what_ja}が近づいています"
                            f"（{ends.isoformat()}、あと{max(days, 0)}日）。"
                        ),
                        message_en=(
                            f"Your {body.display_name_en} card "
                            f"{'is due for renewal' if kind == 'renewal' else 'expires'} on "
                            f"{ends.isoformat()} ({max(days, 0)} days left)."
                        ),
                    )
                )
        return tuple(sorted(out, key=lambda r: r.due))

    def delete(self, card_id: str) -> None:
        """Forget a card and destroy the keys of its copies.

        Raises:
            StorageError: ``wallet_card_not_found``.
        """
        card = self.card(card_id)
        del self._cards[card_id]
        self.save()
        for copy in card.copies:
            self._keys.delete_key(copy.key_id)
        self.save()

    # ------------------------------------------------------------------ notices

    @property
    def interests(self) -> tuple[str, ...] | None:
        """The holder's chosen notice interests (kept only in the wallet); ``None``: all."""
        return self._interests

    def set_interests(self, interests: Sequence[str] | None) -> None:
        """Choose the interests notices are filtered by (``None``: show every notice).

        Raises:
            ValueError: more than 16 tags, or a tag that is empty or over 32 characters.
        """
        if interests is not None:
            tags = tuple(dict.fromkeys(v.strip() for v in interests))
            if len(tags) > MAX_NOTICE_INTERESTS or not all(0 < len(v) <= 32 for v in tags):
                raise ValueError("at most 16 interests of 1-32 characters")
            interests = tags
        self._interests = None if interests is None else tuple(interests)
        self.save()

    def notices(
        self, *, transport: Transport, trust: RegistrationTrust | None = None
    ) -> NoticesResult:
        """The notices of the bodies the holder has a card of, verified and filtered by the
        card's tier and :attr:`interests`. Only those bodies' feeds are fetched. Without
        ``trust`` each feed is verified with the keys the body's cards were verified with.

        A feed older (by its signed sequence) than one this wallet has already shown is
        refused (``notice_feed_rollback``), so a withdrawn notice cannot come back from a
        stale cache or a replay.

        Raises:
            nothing for a feed that cannot be fetched or verified: it is listed in
            ``failures`` and its notices are not shown.
        """
        best: dict[str, StoredCard] = {}
        for card in self._cards.values():
            held = best.get(card.body_code)
            if held is None or (card.tier is Tier.PREMIUM and held.tier is not Tier.PREMIUM):
                best[card.body_code] = card
        subscriptions = [
            FeedSubscription(
                body_code=card.body_code,
                issuer=card.issuer,
                tier=card.tier,
                trust=trust if trust is not None else self._card_trust(card),
            )
            for card in sorted(best.values(), key=lambda c: c.body_code)
        ]
        result = collect_notices(
            subscriptions,
            transport=transport,
            now=self._now(),
            interests=self._interests,
            seen=self._feed_sequences,
        )
        if dict(result.sequences) != self._feed_sequences:
            self._feed_sequences = dict(result.sequences)
            self.save()  # an older feed must never be shown after a newer one
        return result

    # ------------------------------------------------------------------ presenting

    def _card_trust(self, card: StoredCard) -> StaticTrust:
        return StaticTrust.of(
            [TrustedIssuer(body_code=card.body_code, issuer_id=card.issuer, keys=card.issuer_keys)]
        )

    def _held(self, card: StoredCard, copy: StoredCopy, now: datetime) -> HeldCredential:
        return accept_credential(
            copy.credential,
            holder_key=self._keys.signer(copy.key_id).public_jwk,
            trust=self._card_trust(card),
            now=now,
        )

    def plan(
        self, card_id: str, profile: Profile, *, audience: str | None = None
    ) -> PresentationPlan:
        """What a presentation of ``card_id`` to a verifier of ``profile`` will disclose,
        with Japanese and English labels, to show the person before the QR is built.

        Raises:
            StorageError: ``wallet_card_not_found``, ``wallet_copies_exhausted`` (no SD-JWT
                copy to read the claims from), ``wallet_key_unavailable``.
            VerificationError: a copy that no longer verifies (e.g. ``credential_expired``).
        """
        card = self.card(card_id)
        now = self._now()
        source = next((c for c in card.copies if c.format == SD_JWT_VC_FORMAT), None)
        if source is None:
            raise StorageError(ErrorCode.WALLET_COPIES_EXHAUSTED, "no SD-JWT VC copy")
        held = self._held(card, source, now)
        metadata = held.verified.type_metadata
        claims = held.verified.claims
        body = self._bodies.get(card.body_code)
        always = (
            DisclosureItem(
                path=("issuing_body",),
                label_ja="登録先",
                label_en="Registered with",
                value=f"{body.display_name_ja} / {body.display_name_en}",
            ),
            DisclosureItem(
                path=("tier",),
                label_ja="種別",
                label_en="Tier",
                value=f"{card.tier.label_ja} / {card.tier.label_en}",
            ),
            DisclosureItem(
                path=("valid_until",),
                label_ja="有効期限",
                label_en="Valid until",
                value="—" if card.valid_until is None else card.valid_until.isoformat(),
            ),
        )
        items = []
        for path in profile.requested:
            label_ja = metadata.label_for(path, _LOCALES_JA) if metadata else None
            label_en = metadata.label_for(path, _LOCALES_EN) if metadata else None
            value: object = claims
            for step in path:
                value = (
                    value.get(step) if isinstance(value, dict) and isinstance(step, str) else None
                )
            items.append(
                DisclosureItem(
                    path=path,
                    label_ja=label_ja or "/".join(str(p) for p in path),
                    label_en=label_en or "/".join(str(p) for p in path),
                    value="—" if value is None else _display(value),
                )
            )
        return PresentationPlan(
            card_id=card.card_id,
            profile_id=profile.id,
            profile_name_ja=profile.name_ja,
            profile_name_en=profile.name_en,
            audience=audience or profile.default_audience,
            always_shown=always,
            disclosed=tuple(items),
            paths=profile.requested,
            meets_tier=profile.required_tier is None or profile.required_tier is card.tier,
        )

    def _take(self, card: StoredCard, fmt: str) -> StoredCopy:
        """An unused copy of ``fmt``, marked used (and saved) before it is shown, so two
        verifiers never see the same copy."""
        unused = card.unused(fmt)
        if not unused:
            raise StorageError(
                ErrorCode.WALLET_COPIES_EXHAUSTED, "every copy of this format has been shown"
            )
        chosen = unused[0]
        used = replace(chosen, used_at=to_numeric_date(self._now()))
        copies = tuple(used if c is chosen else c for c in card.copies)
        self._cards[card.card_id] = replace(card, copies=copies)
        self.save()
        return chosen

    def present_qr(self, plan: PresentationPlan, *, nonce: str | None = None) -> str:
        """The QR text (M2 compact credential with its key-binding token) for ``plan``, from
        an unused batch copy. In challenge mode ``nonce`` is the kiosk's nonce.

        Raises:
            StorageError: ``wallet_copies_exhausted``, ``wallet_card_not_found``,
                ``wallet_key_unavailable``.
            VerificationError: ``required_disclosure_missing`` (a claim the QR credential
                does not carry), or a copy that no longer verifies.
        """
        return self._qr_renderer(plan, nonce=nonce)(self._now())

    def rotating_qr(self, plan: PresentationPlan) -> RotatingQr:
        """A QR for a screen that renews its key-binding token every 30 s (one unused copy
        for the whole showing); call ``text(now=…)`` for each frame.

        Raises:
            as :meth:`present_qr`.
        """
        return RotatingQr.from_renderer(self._qr_renderer(plan, nonce=None))

    def _qr_renderer(
        self, plan: PresentationPlan, *, nonce: str | None
    ) -> Callable[[datetime], str]:
        """Take an unused compact copy for ``plan`` and return ``render(now)``, the QR text
        with a key-binding token made at ``now``."""
        card = self.card(plan.card_id)
        groups = qr_groups(plan.paths)
        copy = self._take(card, COMPACT_FORMAT)
        holder = self._keys.signer(copy.key_id)
        held = accept_compact(
            b64url_decode(copy.credential),
            holder_key=holder.public_jwk,
            keys=self._card_trust(card),
            now=self._now(),
        )

        def render(now: datetime) -> str:
            kbt = present_compact(
                held,
                groups=groups,
                holder=holder,
                audience=plan.audience,
                issued_at=to_numeric_date(now),
                nonce=None if nonce is None else nonce.encode("utf-8"),
            )
            return encode_qr_text(kbt)

        return render

    def present_sd_jwt(self, plan: PresentationPlan, *, nonce: str) -> str:
        """The SD-JWT VC presentation (SD-JWT+KB) for online use, from an unused copy.

        Raises:
            StorageError: ``wallet_copies_exhausted``, ``wallet_card_not_found``,
                ``wallet_key_unavailable``.
        """
        card = self.card(plan.card_id)
        now = self._now()
        copy = self._take(card, SD_JWT_VC_FORMAT)
        held = self._held(card, copy, now)
        return present_credential(
            held,
            disclose=plan.paths,
            holder=self._keys.signer(copy.key_id),
            audience=plan.audience,
            nonce=nonce,
            now=now,
        )

    def prove_possession(self, card_id: str, *, audience: str, nonce: str) -> str:
        """A presentation of the card's SD-JWT VC to its own issuer, disclosing only
        ``registration_id``, key-bound to ``audience`` (the issuer identifier) and ``nonce``:
        what an app sends to claim a registration made for it by a member import
        (``RegistrationApi.claim_registration``). The copy is not used up.

        Raises:
            StorageError: ``wallet_card_not_found``, ``wallet_copies_exhausted`` (no SD-JWT
                VC copy), ``wallet_key_unavailable``.
        """
        held, holder, now = self._sd_jwt_holder(card_id)
        return present_registration_id(held, holder=holder, audience=audience, nonce=nonce, now=now)

    def check_in(
        self, activity_qr: str, card_id: str, *, trust: RegistrationTrust
    ) -> AttendanceRecord:
        """Check in at a body's activity: verify the activity QR (signed by the body) and
        return the attendance record, signed with the key of one of the card's SD-JWT VC
        copies, for the app to submit to the issuer (premium needs three designated
        activities a year). The copy is not used up: the record goes to its own issuer.

        Raises:
            StorageError: ``wallet_card_not_found``, ``wallet_copies_exhausted`` (no SD-JWT
                VC copy), ``wallet_key_unavailable``.
            FormatError, VerificationError: as
                :func:`furusato_vc.wallet.activity.check_in` (``activity_not_current``, …).
        """
        held, holder, now = self._sd_jwt_holder(card_id)
        return check_in(activity_qr, held=held, holder=holder, trust=trust, now=now)

    def _sd_jwt_holder(self, card_id: str) -> tuple[HeldCredential, Signer, datetime]:
        """The card's first SD-JWT VC copy (not used up) with its key, for a presentation
        to the card's own issuer."""
        card = self.card(card_id)
        now = self._now()
        copy = next((c for c in card.copies if c.format == SD_JWT_VC_FORMAT), None)
        if copy is None:
            raise StorageError(ErrorCode.WALLET_COPIES_EXHAUSTED, "no SD-JWT VC copy")
        return self._held(card, copy, now), self._keys.signer(copy.key_id), now


def _display(value: object) -> str:
    if isinstance(value, list):
        return "〜".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
