"""What the kiosk does, without HTTP: verify scanner text and camera or uploaded images against
the bundle and the policy, keep counts, watch the bundle's freshness, and run challenge mode.

Nothing personal is kept: a verified card's claims go to the screen in the answer and are
forgotten; the counts hold only totals per outcome code; the camera's "same code again"
check keeps the SHA-256 of the last decoded text for one holder-binding window (as the replay
cache keeps digests). Nothing here logs.

The clock and the randomness (challenge nonces) come in as arguments; the instance is shared
by the server's threads and serialises its work with one lock (the verifier's replay cache is
not thread-safe, and a kiosk verifies one card at a time anyway).
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Protocol

from PIL import Image

from furusato_vc.core.challenge import CHALLENGE_PREFIX, encode_challenge_qr
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.policy import VerificationPolicyBuilder
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import PREMIUM_VCT, Claim
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwtvc.type_metadata import resolve_type_metadata
from furusato_vc.qr import read_qr, render_svg
from furusato_vc.verifier.benefits import benefit_for_card
from furusato_vc.verifier.kiosk.freshness import BundleFreshness, assess_freshness
from furusato_vc.verifier.kiosk.keyboard import check_keyboard_layout
from furusato_vc.verifier.registration import RegistrationVerifier, Rejected, Verified
from furusato_vc.verifier.replay import ReplayCache

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from furusato_vc.core.benefits import BenefitsBundle
    from furusato_vc.core.bundle import TrustBundle
    from furusato_vc.core.policy import VerificationPolicy
    from furusato_vc.core.profiles import Profile
    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.core.registration.claims import DisclosedRegistration, Tier
    from furusato_vc.core.sdjwt.processing import ClaimPath
    from furusato_vc.verifier.benefits import BenefitOutcome, BenefitRef
    from furusato_vc.verifier.bundle_store import BundleDirectory

__all__ = [
    "CHALLENGE_PREFIX",
    "Accepted",
    "Challenge",
    "Clock",
    "Counts",
    "KioskService",
    "KioskSettings",
    "NothingRead",
    "ShownClaim",
    "Source",
    "Verdict",
]

# The challenge QR: this prefix and the nonce (RFC 4648 Base32, no padding), all QR
# alphanumeric characters, so the symbol stays tiny (version 2 at level M).
CHALLENGE_NONCE_BYTES: Final = 10  # 80 bits, single use, valid for one holder-binding window

_LOCALES_JA: Final = ("ja", "en")
_LOCALES_EN: Final = ("en", "ja")


class Clock(Protocol):
    def now(self) -> datetime: ...


class Source(StrEnum):
    """Where a scan came from."""

    SCANNER = "scanner"  # a keyboard-wedge scanner (or typed text)
    CAMERA = "camera"  # a frame of the device camera
    UPLOAD = "upload"  # an image file chosen by staff


@dataclass(frozen=True, slots=True, kw_only=True)
class KioskSettings:
    """One kiosk's configuration.

    ``accept`` lists the 6-digit codes of the accepted bodies; empty accepts every body on the
    trust list. ``clear_after`` is how long a verdict stays on screen. ``warn_fraction`` is
    the share of the allowed status staleness left when the stale-data banner appears.
    """

    profile: Profile
    accept: tuple[str, ...] = ()
    audience: str | None = None
    challenge: bool = False
    challenge_lifetime: timedelta = timedelta(minutes=5)
    clear_after: timedelta = timedelta(seconds=5)
    warn_fraction: float = 0.25
    max_text_chars: int = 16 * 1024
    max_image_bytes: int = 8 * 1024 * 1024
    max_image_pixels: int = 24_000_000
    # the benefits this shop or facility offers (docs/benefits.md), shown for a card of
    # the same body
    benefits: tuple[BenefitRef, ...] = ()

    def __post_init__(self) -> None:
        if self.clear_after <= timedelta(0) or self.challenge_lifetime <= timedelta(0):
            raise ValueError("clear_after and challenge_lifetime must be positive")
        if not 0.0 <= self.warn_fraction <= 1.0:
            raise ValueError("warn_fraction must be in [0, 1]")

    def policy_builder(self) -> VerificationPolicyBuilder:
        """The profile's policy with this kiosk's accepted bodies (and audience); the nonce is
        added per challenge."""
        builder = VerificationPolicyBuilder().profile(self.profile.id)
        builder = builder.audience(self.audience or self.profile.default_audience)
        builder = builder.require_disclosures(self.profile.requested)
        if self.profile.required_tier is not None:
            builder = builder.require_tier(self.profile.required_tier)
        if self.profile.max_status_staleness is not None:
            builder = builder.max_status_staleness(self.profile.max_status_staleness)
        return builder.accept_bodies(self.accept) if self.accept else builder.accept_any_body()


@dataclass(frozen=True, slots=True, kw_only=True)
class ShownClaim:
    """One disclosed claim as the screen shows it."""

    path: str
    label_ja: str
    label_en: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """A verified card, reduced to what the screen shows."""

    body_code: str
    body_name_ja: str
    body_name_en: str
    tier: Tier
    valid_until: date | None
    expires_at: datetime
    claims: tuple[ShownClaim, ...]
    benefit_ja: str | None
    benefit_en: str | None
    place_benefit: BenefitOutcome | None = None  # the signed benefit of the card's body


@dataclass(frozen=True, slots=True, kw_only=True)
class NothingRead:
    """A camera frame with no QR code, or the code just verified still in view: the screen
    stays as it is and nothing is counted."""

    reason: str  # "no_code" | "repeat"


Verdict = Accepted | Rejected | NothingRead


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    verified: int
    rejected: Mapping[str, int]  # by code

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    nonce: str
    qr_text: str
    svg: str
    issued_at: int


@dataclass(slots=True)
class _State:
    bundle: TrustBundle
    version: str | None
    verifier: RegistrationVerifier
    benefits: BenefitsBundle | None = None
    challenge: Challenge | None = None
    verified: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    last_camera: tuple[bytes, int] | None = None


def _rejected(code: ErrorCode, detail: str) -> Rejected:
    error = FormatError(code, detail)
    return Rejected.from_error(error)


class KioskService:
    """The kiosk's behaviour. Made once per process by the ``kiosk`` command (or a test)."""

    def __init__(
        self,
        *,
        settings: KioskSettings,
        directory: BundleDirectory,
        clock: Clock,
        random: RandomSource,
    ) -> None:
        """Loads the bundle.

        Raises:
            StorageError: ``bundle_missing``, ``bundle_corrupt`` (a configuration error for
                the command).
            ValueError: an ``accept`` code that is not a body code.
        """
        self.settings = settings
        self._directory = directory
        self._clock = clock
        self._random = random
        self._lock = threading.Lock()
        self._replays = ReplayCache()
        self._bodies = load_bodies()
        self._base_policy = settings.policy_builder().build()
        self._metadata = resolve_type_metadata(
            PREMIUM_VCT, documents=registration_type_metadata(), integrity=None
        )
        version = directory.current_version()
        bundle = directory.load()
        self._state = _State(
            bundle=bundle,
            version=version,
            verifier=self._verifier(bundle, nonce=None),
            benefits=self._load_benefits(),
        )
        if settings.challenge:
            self._state.challenge = self._new_challenge()
            self._state.verifier = self._verifier(bundle, nonce=self._state.challenge.nonce)

    # ------------------------------------------------------------------ configuration

    @property
    def policy(self) -> VerificationPolicy:
        return self._base_policy

    def _verifier(self, bundle: TrustBundle, *, nonce: str | None) -> RegistrationVerifier:
        policy = self._base_policy
        if nonce is not None:
            policy = self.settings.policy_builder().nonce(nonce).build()
        return RegistrationVerifier.from_bundle(
            bundle, policy=policy, bodies=self._bodies, replay_cache=self._replays
        )

    def _load_benefits(self) -> BenefitsBundle | None:
        """The synced bundle's signed benefits; none if it has none or they are damaged
        (cards still verify: the benefit is shown beside a verdict, never decides it)."""
        if not self.settings.benefits:
            return None
        try:
            return self._directory.load_benefits()
        except FurusatoError:
            return None

    def _current_nonce(self) -> str | None:
        challenge = self._state.challenge
        return None if challenge is None else challenge.nonce

    def _reload_if_synced(self) -> None:
        """Take a newer bundle written by ``furusato-vc bundle sync`` meanwhile. A damaged
        one is not taken (the one in memory stays in force until it is stale)."""
        try:
            version = self._directory.current_version()
            if version == self._state.version:
                return
            bundle = self._directory.load()
        except FurusatoError:
            return
        self._state.bundle = bundle
        self._state.version = version
        self._state.verifier = self._verifier(bundle, nonce=self._current_nonce())
        self._state.benefits = self._load_benefits()

    # ------------------------------------------------------------------ challenge mode

    def _new_challenge(self) -> Challenge:
        raw = self._random.token_bytes(CHALLENGE_NONCE_BYTES)
        nonce = base64.b32encode(raw).decode("ascii").rstrip("=")
        text = encode_challenge_qr(nonce)
        return Challenge(
            nonce=nonce,
            qr_text=text,
            svg=render_svg(text, scale=8),
            issued_at=to_numeric_date(self._clock.now()),
        )

    def _rotate_challenge(self) -> None:
        challenge = self._new_challenge()
        self._state.challenge = challenge
        self._state.verifier = self._verifier(self._state.bundle, nonce=challenge.nonce)

    def challenge(self) -> Challenge | None:
        """The nonce QR to show before a scan (``None`` without challenge mode). A nonce is
        replaced after every verified card and after ``challenge_lifetime``."""
        if not self.settings.challenge:
            return None
        with self._lock:
            current = self._state.challenge
            now = to_numeric_date(self._clock.now())
            lifetime = int(self.settings.challenge_lifetime.total_seconds())
            if current is None or now - current.issued_at >= lifetime:
                self._rotate_challenge()
            assert self._state.challenge is not None
            return self._state.challenge

    # ------------------------------------------------------------------ scanning

    def scan_text(self, text: str) -> Accepted | Rejected:
        """A line from the scanner: a QR text (``FJ1:``) or an SD-JWT VC presentation."""
        with self._lock:
            return self._count(self._verify_text(text))

    def scan_image(self, data: bytes, *, source: Source) -> Verdict:
        """A camera frame or an uploaded image (PNG, JPEG …), decoded here with
        :func:`furusato_vc.qr.read_qr`. For camera frames, no code in view and the code just
        verified still in view are :class:`NothingRead` (not shown, not counted)."""
        with self._lock:
            try:
                text = self._read_image(data)
            except FurusatoError as error:
                if source is Source.CAMERA and error.code is ErrorCode.QR_NOT_FOUND:
                    return NothingRead(reason="no_code")
                return self._count(Rejected.from_error(error))
            if source is Source.CAMERA:
                now = to_numeric_date(self._clock.now())
                digest = hashlib.sha256(text.encode("utf-8")).digest()
                window = int(self._base_policy.holder_binding_window.total_seconds())
                last = self._state.last_camera
                if last is not None and last[0] == digest and now - last[1] <= window:
                    return NothingRead(reason="repeat")
                self._state.last_camera = (digest, now)
            return self._count(self._verify_text(text))

    def _read_image(self, data: bytes) -> str:
        limit = self.settings.max_image_bytes
        if len(data) > limit:
            raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"image over {limit} bytes")
        pixels = self.settings.max_image_pixels
        try:
            with warnings.catch_warnings():
                # Pillow warns (and raises at twice its own limit) for decompression bombs
                # when it reads the header; our bound, lower, is checked before decoding.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
                if image.width * image.height > pixels:
                    raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"image over {pixels} pixels")
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise FormatError(ErrorCode.INPUT_TOO_LARGE, "image has too many pixels") from exc
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            # Pillow raises all of these for damaged files (UnidentifiedImageError is OSError)
            raise FormatError(ErrorCode.QR_NOT_FOUND, "not a readable image") from exc
        with image:
            return read_qr(image, max_pixels=pixels).text

    def _verify_text(self, text: str) -> Accepted | Rejected:
        self._reload_if_synced()
        if len(text) > self.settings.max_text_chars:
            return _rejected(ErrorCode.INPUT_TOO_LARGE, "scanned text too long")
        try:
            check_keyboard_layout(text)
        except FurusatoError as error:
            return Rejected.from_error(error)
        result = self._state.verifier.verify(text, now=self._clock.now())
        if isinstance(result, Rejected):
            return result
        if self.settings.challenge:
            self._rotate_challenge()  # a nonce is good for one card
        return self._accepted(result)

    def _count(self, verdict: Accepted | Rejected) -> Accepted | Rejected:
        state = self._state
        if isinstance(verdict, Accepted):
            state.verified += 1
        else:
            code = verdict.code.value
            state.rejected[code] = state.rejected.get(code, 0) + 1
        return verdict

    # ------------------------------------------------------------------ the screen

    def _label(self, path: ClaimPath) -> tuple[str, str]:
        fallback = "/".join(str(p) for p in path)
        return (
            self._metadata.label_for(path, _LOCALES_JA) or fallback,
            self._metadata.label_for(path, _LOCALES_EN) or fallback,
        )

    def _claims(self, registration: DisclosedRegistration) -> tuple[ShownClaim, ...]:
        """The disclosed claims this profile asks for, in its order (names as one line)."""
        values: dict[str, str | None] = {
            Claim.BIRTHDATE: None
            if registration.birthdate is None
            else registration.birthdate.isoformat(),
            Claim.STAY: None
            if registration.stay is None
            else f"{registration.stay.start.isoformat()} – {registration.stay.end.isoformat()}",
            Claim.MEMBER_NUMBER: registration.member_number,
        }
        names = (
            registration.family_name,
            registration.given_name,
            registration.family_name_kana,
            registration.given_name_kana,
        )
        name_claims = {
            Claim.FAMILY_NAME,
            Claim.GIVEN_NAME,
            Claim.FAMILY_NAME_KANA,
            Claim.GIVEN_NAME_KANA,
        }
        shown: list[ShownClaim] = []
        names_done = False
        for path in self.settings.profile.requested:
            name = str(path[0])
            if name in name_claims:
                if names_done or names[0] is None or names[1] is None:
                    continue
                names_done = True
                value = f"{names[0]} {names[1]}"
                if names[2] is not None and names[3] is not None:
                    value += f"（{names[2]} {names[3]}）"
                shown.append(ShownClaim(path="name", label_ja="氏名", label_en="Name", value=value))
                continue
            text = values.get(name)
            if text is None or len(path) != 1:
                continue
            label_ja, label_en = self._label(path)
            shown.append(ShownClaim(path=name, label_ja=label_ja, label_en=label_en, value=text))
        return tuple(shown)

    def _accepted(self, verified: Verified) -> Accepted:
        registration = verified.registration
        profile = self.settings.profile
        return Accepted(
            body_code=verified.body.code,
            body_name_ja=verified.body.display_name_ja,
            body_name_en=verified.body.display_name_en,
            tier=registration.tier,
            valid_until=registration.valid_until,
            expires_at=verified.expires_at,
            claims=self._claims(registration),
            benefit_ja=profile.benefit_ja,
            benefit_en=profile.benefit_en,
            place_benefit=benefit_for_card(
                self._state.benefits,
                self.settings.benefits,
                body_code=verified.body.code,
                tier=registration.tier,
                now=to_numeric_date(self._clock.now()),
            ),
        )

    # ------------------------------------------------------------------ status

    def counts(self) -> Counts:
        with self._lock:
            state = self._state
            return Counts(
                verified=state.verified,
                rejected=MappingProxyType(dict(sorted(state.rejected.items()))),
            )

    def freshness(self) -> BundleFreshness:
        """The bundle's freshness now (a newer synced bundle is taken first)."""
        with self._lock:
            self._reload_if_synced()
            return assess_freshness(
                self._state.bundle,
                scope=self._base_policy.body_scope,
                now=to_numeric_date(self._clock.now()),
                max_age=int(self._base_policy.max_status_staleness.total_seconds()),
                warn_fraction=self.settings.warn_fraction,
            )
