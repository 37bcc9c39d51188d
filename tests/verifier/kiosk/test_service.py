"""The kiosk's behaviour without HTTP: scanner text, images, camera frames, counts, challenge
mode, a bundle synced while it runs, and the claims it shows per profile."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.claims import Tier
from furusato_vc.core.statuslist import StatusType
from furusato_vc.verifier import Rejected
from furusato_vc.verifier.kiosk import (
    CHALLENGE_PREFIX,
    Accepted,
    Freshness,
    KioskSettings,
    NothingRead,
    Source,
)
from furusato_vc.verifier.kiosk.keyboard import GARBLING, LayoutMismatch
from tests.core.trustlist.builders import signed
from tests.registration_fixtures import (
    KESENNUMA,
    MINAMIMINOWA,
    basic_registration,
    premium_registration,
)
from tests.verifier.kiosk.support import (
    NOW,
    Kiosk,
    jpeg_of,
    png_of,
    qr_for,
    sd_jwt_for,
    synced_bundle,
)

if TYPE_CHECKING:
    from pathlib import Path

    from furusato_vc.verifier.kiosk import Verdict


def _code(verdict: Verdict) -> ErrorCode | None:
    return verdict.code if isinstance(verdict, Rejected) else None


@pytest.fixture
def kiosk(tmp_path: Path) -> Kiosk:
    return Kiosk.make(tmp_path)


# --------------------------------------------------------------------------- scanner text


def test_scanned_qr_text_is_verified_with_the_body_name(kiosk: Kiosk) -> None:
    card = kiosk.nation.issue(premium_registration())
    verdict = kiosk.service.scan_text(qr_for(card))
    assert isinstance(verdict, Accepted), verdict
    assert verdict.body_code == MINAMIMINOWA
    assert verdict.body_name_ja == "長野県南箕輪村"
    assert verdict.tier is Tier.PREMIUM
    assert verdict.claims == ()  # the garbage station learns body and validity only


def test_scanned_sd_jwt_vc_presentation_is_verified(kiosk: Kiosk) -> None:
    card = kiosk.nation.issue(basic_registration())
    verdict = kiosk.service.scan_text(sd_jwt_for(card))
    assert isinstance(verdict, Accepted), verdict
    assert verdict.body_code == KESENNUMA


def test_shop_shows_the_member_number_and_the_benefit(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, "shop")
    card = kiosk.nation.issue(basic_registration())
    verdict = kiosk.service.scan_text(qr_for(card, "shop"))
    assert isinstance(verdict, Accepted), verdict
    assert [(c.label_ja, c.label_en, c.value) for c in verdict.claims] == [
        ("会員番号", "Member number", "KSN-2027-000123")
    ]
    assert (verdict.benefit_ja, verdict.benefit_en) == ("登録者特典", "Registrant benefit")


def test_nursery_shows_names_birthdate_and_stay(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, "nursery")
    card = kiosk.nation.issue(premium_registration())
    verdict = kiosk.service.scan_text(qr_for(card, "nursery"))
    assert isinstance(verdict, Accepted), verdict
    assert [(c.path, c.label_ja, c.label_en, c.value) for c in verdict.claims] == [
        ("name", "氏名", "Name", "山田 花子（ヤマダ ハナコ）"),
        ("birthdate", "生年月日", "Date of birth", "1988-04-02"),
        ("stay", "滞在期間", "Stay period", "2027-01-15 – 2027-07-14"),
    ]


def test_a_card_shown_twice_is_a_replay(kiosk: Kiosk) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    assert isinstance(kiosk.service.scan_text(text), Accepted)
    assert _code(kiosk.service.scan_text(text)) is ErrorCode.KB_REPLAYED


def test_revoked_card_is_refused(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path)
    card = kiosk.nation.issue(basic_registration())
    kiosk.nation.set_status(card, StatusType.INVALID)
    synced_bundle(kiosk.nation, tmp_path, now=NOW + timedelta(minutes=1))
    kiosk.clock.advance(timedelta(minutes=1))
    verdict = kiosk.service.scan_text(qr_for(card, now=kiosk.clock.now()))
    assert _code(verdict) is ErrorCode.CREDENTIAL_REVOKED


def test_accept_restricts_the_bodies(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, accept=(KESENNUMA,))
    other = kiosk.nation.issue(premium_registration())
    assert _code(kiosk.service.scan_text(qr_for(other))) is ErrorCode.ISSUER_NOT_TRUSTED
    own = kiosk.nation.issue(basic_registration(), seed="own")
    assert isinstance(kiosk.service.scan_text(qr_for(own)), Accepted)


@pytest.mark.parametrize("mismatch", list(LayoutMismatch))
def test_layout_garbled_scan_gets_the_keyboard_layout_code(
    kiosk: Kiosk, mismatch: LayoutMismatch
) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    garbled = "".join(GARBLING[mismatch].get(c, c) for c in text)
    verdict = kiosk.service.scan_text(garbled)
    assert _code(verdict) is ErrorCode.QR_KEYBOARD_LAYOUT
    assert isinstance(verdict, Rejected)
    assert "JIS" in verdict.message_ja
    assert "JIS" in verdict.message_en


def test_text_over_the_limit_is_too_large(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, max_text_chars=100)
    assert _code(kiosk.service.scan_text("FJ1:" + "0" * 200)) is ErrorCode.INPUT_TOO_LARGE


def test_random_text_is_a_clean_rejection(kiosk: Kiosk) -> None:
    verdict = kiosk.service.scan_text("hello")
    assert isinstance(verdict, Rejected)
    assert verdict.message_ja
    assert verdict.message_en


# --------------------------------------------------------------------------- images


def test_uploaded_png_is_decoded_and_verified(kiosk: Kiosk) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    verdict = kiosk.service.scan_image(png_of(text), source=Source.UPLOAD)
    assert isinstance(verdict, Accepted), verdict


def test_camera_jpeg_frame_is_decoded_and_verified(kiosk: Kiosk) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    verdict = kiosk.service.scan_image(jpeg_of(text), source=Source.CAMERA)
    assert isinstance(verdict, Accepted), verdict


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (320, 240), 255).save(out, format="PNG")
    return out.getvalue()


def test_uploaded_image_without_a_code_is_qr_not_found(kiosk: Kiosk) -> None:
    verdict = kiosk.service.scan_image(_blank_png(), source=Source.UPLOAD)
    assert _code(verdict) is ErrorCode.QR_NOT_FOUND


def test_camera_frame_without_a_code_is_not_shown_nor_counted(kiosk: Kiosk) -> None:
    verdict = kiosk.service.scan_image(_blank_png(), source=Source.CAMERA)
    assert verdict == NothingRead(reason="no_code")
    counts = kiosk.service.counts()
    assert (counts.verified, counts.rejected_total) == (0, 0)


def test_the_code_still_in_front_of_the_camera_is_not_verified_again(kiosk: Kiosk) -> None:
    frame = jpeg_of(qr_for(kiosk.nation.issue(basic_registration())))
    assert isinstance(kiosk.service.scan_image(frame, source=Source.CAMERA), Accepted)
    assert kiosk.service.scan_image(frame, source=Source.CAMERA) == NothingRead(reason="repeat")
    # an upload of the same image is a deliberate second scan: a replay
    assert _code(kiosk.service.scan_image(frame, source=Source.UPLOAD)) is ErrorCode.KB_REPLAYED
    kiosk.clock.advance(timedelta(seconds=61))  # past the holder-binding window
    assert _code(kiosk.service.scan_image(frame, source=Source.CAMERA)) is ErrorCode.KB_TOO_OLD


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_unreadable_image_is_qr_not_found(kiosk: Kiosk, data: bytes) -> None:
    assert _code(kiosk.service.scan_image(data, source=Source.UPLOAD)) is ErrorCode.QR_NOT_FOUND


def test_truncated_png_is_qr_not_found(kiosk: Kiosk) -> None:
    data = png_of(qr_for(kiosk.nation.issue(basic_registration())))
    verdict = kiosk.service.scan_image(data[: len(data) // 2], source=Source.UPLOAD)
    assert _code(verdict) is ErrorCode.QR_NOT_FOUND


def test_image_with_too_many_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, max_image_pixels=100 * 100)
    out = io.BytesIO()
    Image.new("1", (101, 100), 1).save(out, format="PNG")
    verdict = kiosk.service.scan_image(out.getvalue(), source=Source.UPLOAD)
    assert _code(verdict) is ErrorCode.INPUT_TOO_LARGE


def test_decompression_bomb_is_input_too_large(kiosk: Kiosk) -> None:
    # a 1-bit PNG of 20000 × 20000 (400 MP, over Pillow's own bomb limit) is a few kB
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000), 1).save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 200_000
    verdict = kiosk.service.scan_image(out.getvalue(), source=Source.UPLOAD)
    assert _code(verdict) is ErrorCode.INPUT_TOO_LARGE


def test_image_over_the_byte_limit_is_refused(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, max_image_bytes=1000)
    verdict = kiosk.service.scan_image(b"\x00" * 1001, source=Source.UPLOAD)
    assert _code(verdict) is ErrorCode.INPUT_TOO_LARGE


# --------------------------------------------------------------------------- counts


def test_counts_hold_only_totals_by_code(kiosk: Kiosk) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    kiosk.service.scan_text(text)
    kiosk.service.scan_text(text)
    kiosk.service.scan_text("FJ1+ABC")
    counts = kiosk.service.counts()
    assert counts.verified == 1
    assert dict(counts.rejected) == {"kb_replayed": 1, "qr_keyboard_layout": 1}
    assert counts.rejected_total == 2


# --------------------------------------------------------------------------- challenge mode


def test_challenge_nonce_is_required_and_used_once(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, challenge=True)
    challenge = kiosk.service.challenge()
    assert challenge is not None
    assert challenge.qr_text == CHALLENGE_PREFIX + challenge.nonce
    assert challenge.svg.lstrip().startswith("<?xml") or "<svg" in challenge.svg
    card = kiosk.nation.issue(basic_registration())
    without = kiosk.service.scan_text(qr_for(card))
    assert _code(without) is ErrorCode.KB_NONCE_MISMATCH
    wrong = kiosk.service.scan_text(qr_for(card, nonce="WRONGNONCE"))
    assert _code(wrong) is ErrorCode.KB_NONCE_MISMATCH
    right = kiosk.service.scan_text(
        qr_for(card, nonce=challenge.nonce, now=NOW + timedelta(seconds=1))
    )
    assert isinstance(right, Accepted), right
    after = kiosk.service.challenge()
    assert after is not None
    assert after.nonce != challenge.nonce  # a new nonce for the next card
    again = kiosk.service.scan_text(
        qr_for(card, nonce=challenge.nonce, now=NOW + timedelta(seconds=2))
    )
    assert _code(again) is ErrorCode.KB_NONCE_MISMATCH


def test_challenge_nonce_is_replaced_after_its_lifetime(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path, challenge=True, challenge_lifetime=timedelta(minutes=5))
    first = kiosk.service.challenge()
    kiosk.clock.advance(timedelta(minutes=4, seconds=59))
    assert kiosk.service.challenge() == first
    kiosk.clock.advance(timedelta(seconds=1))
    later = kiosk.service.challenge()
    assert later is not None
    assert first is not None
    assert later.nonce != first.nonce


def test_without_challenge_mode_there_is_no_challenge(kiosk: Kiosk) -> None:
    assert kiosk.service.challenge() is None


# --------------------------------------------------------------------------- bundle


def test_freshness_of_the_running_kiosk(kiosk: Kiosk) -> None:
    assert kiosk.service.freshness().state is Freshness.FRESH
    kiosk.clock.advance(timedelta(days=7))  # the garbage station allows a week; lists expire
    freshness = kiosk.service.freshness()
    assert freshness.state is Freshness.STALE
    assert freshness.code is ErrorCode.STATUS_LIST_EXPIRED


def test_a_bundle_synced_meanwhile_is_taken(tmp_path: Path) -> None:
    kiosk = Kiosk.make(tmp_path)
    kiosk.clock.advance(timedelta(days=7))
    assert kiosk.service.freshness().state is Freshness.STALE
    kiosk.nation.trust_list = signed(
        kiosk.nation.trust_list, now=to_numeric_date(kiosk.clock.now())
    )
    synced_bundle(kiosk.nation, tmp_path, now=kiosk.clock.now())
    assert kiosk.service.freshness().state is Freshness.FRESH
    card = kiosk.nation.issue(basic_registration(), now=kiosk.clock.now())
    assert isinstance(kiosk.service.scan_text(qr_for(card, now=kiosk.clock.now())), Accepted)


def test_a_damaged_sync_leaves_the_loaded_bundle_in_force(kiosk: Kiosk) -> None:
    (kiosk.directory.root / "CURRENT").write_text("v999999-missing\n", encoding="ascii")
    assert kiosk.service.freshness().state is Freshness.FRESH
    card = kiosk.nation.issue(basic_registration())
    assert isinstance(kiosk.service.scan_text(qr_for(card)), Accepted)


# --------------------------------------------------------------------------- settings


def test_settings_refuse_a_non_positive_clear_time() -> None:
    with pytest.raises(ValueError, match="positive"):
        KioskSettings(profile=builtin_profile("shop"), clear_after=timedelta(0))


def test_settings_refuse_a_warn_fraction_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="warn_fraction"):
        KioskSettings(profile=builtin_profile("shop"), warn_fraction=2.0)


def test_policy_accepts_any_body_by_default(kiosk: Kiosk) -> None:
    assert kiosk.service.policy.body_scope.any_body
    assert kiosk.service.policy.profile_id == "garbage-station"
    assert kiosk.service.policy.nonce is None
