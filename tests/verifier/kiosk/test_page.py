"""The kiosk page in real headless Chromium (Debian's ``chromium``, driven by Playwright with
its executable path; Playwright's own browser builds are never downloaded).

A scanner is a keyboard: the tests type the QR text key by key and press Enter. Camera frames
come from an uploaded PNG and from Chromium's fake camera playing a Y4M video of a QR code.
Screenshots are kept in ``test-artifacts/kiosk-*.png``.
"""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.messages import MESSAGES
from furusato_vc.verifier.kiosk.keyboard import GARBLING, LayoutMismatch
from tests.registration_fixtures import basic_registration, premium_registration
from tests.verifier.kiosk.support import Kiosk, png_of, qr_for, serving

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, FilePayload, Page, Playwright, Route

    from furusato_vc.verifier.kiosk import KioskServer

CHROMIUM = Path(os.environ.get("FURUSATO_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

if not CHROMIUM.is_file():  # pragma: no cover - make setup installs Debian's chromium
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing (make system-deps installs it)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (make system-deps installs it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield browser
    browser.close()


def _open(browser: Browser, server: KioskServer) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((server.url, "data:", "blob:"))
            else elsewhere.append(request.url)
        ),
    )
    page.on("pageerror", lambda error: elsewhere.append(f"page error: {error}"))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")
    page.set_default_timeout(10_000)
    context.on("close", lambda _context: _assert_local(elsewhere))
    return page


def _assert_local(elsewhere: list[str]) -> None:
    assert elsewhere == [], elsewhere


def _shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"kiosk-{name}.png"
    page.screenshot(path=str(path))
    return path


def _scan(page: Page, text: str) -> None:
    """Type as a keyboard-wedge scanner does: one key event per character, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _visible_text(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text()


@pytest.fixture
def kiosk(tmp_path: Path) -> Kiosk:
    return Kiosk.make(tmp_path)


@pytest.fixture
def server(kiosk: Kiosk) -> Iterator[KioskServer]:
    yield from serving(kiosk.service)


@pytest.fixture
def page(browser: Browser, server: KioskServer) -> Iterator[Page]:
    page = _open(browser, server)
    yield page
    page.context.close()


# --------------------------------------------------------------------------- scanner


def test_scanner_input_shows_a_green_verdict_with_the_body(kiosk: Kiosk, page: Page) -> None:
    assert page.evaluate("document.activeElement.id") == "scan"
    _scan(page, qr_for(kiosk.nation.issue(premium_registration())))
    page.wait_for_selector("#verdict[data-result=verified][data-scan-ms]")
    assert page.locator("#verdict").get_attribute("class") == "verdict ok"
    assert _visible_text(page, "#headline") == "確認できました"
    assert _visible_text(page, "#body-name") == "長野県南箕輪村（プレミアム）"
    assert page.locator(".mark-ok").is_visible()
    assert _visible_text(page, "#profile") == "ごみ集積所"
    assert "確認済み 1・不可 0" in _visible_text(page, "#counts")
    _shot(page, "garbage-station-verified")


def test_english_toggle_and_disclosed_claims(tmp_path: Path, browser: Browser) -> None:
    kiosk = Kiosk.make(tmp_path, "nursery")
    for server in serving(kiosk.service):
        page = _open(browser, server)
        _scan(page, qr_for(kiosk.nation.issue(premium_registration()), "nursery"))
        page.wait_for_selector("#verdict[data-result=verified]")
        claims = _visible_text(page, "#claims")
        assert "氏名" in claims
        assert "山田 花子（ヤマダ ハナコ）" in claims
        assert "生年月日" in claims
        assert "滞在期間" in claims
        _shot(page, "nursery-verified-ja")
        page.click("#lang-toggle")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert _visible_text(page, "#headline") == "Verified"
        assert (
            _visible_text(page, "#body-name") == "Minamiminowa Village, Nagano Prefecture (Premium)"
        )
        claims = _visible_text(page, "#claims")
        assert "Name" in claims
        assert "Date of birth" in claims
        assert "Stay period" in claims
        assert "氏名" not in claims
        _shot(page, "nursery-verified-en")
        # a locator assertion, not wait_for_function: the page's CSP (script-src 'self')
        # forbids the eval a string predicate needs once it has to poll
        expect(page.locator("#scan")).to_be_focused()
        page.context.close()


def test_shop_verdict_shows_the_member_number_and_benefit(tmp_path: Path, browser: Browser) -> None:
    kiosk = Kiosk.make(tmp_path, "shop")
    for server in serving(kiosk.service):
        page = _open(browser, server)
        _scan(page, qr_for(kiosk.nation.issue(basic_registration()), "shop"))
        page.wait_for_selector("#verdict[data-result=verified]")
        assert "KSN-2027-000123" in _visible_text(page, "#claims")
        assert _visible_text(page, "#benefit") == "登録者特典"
        _shot(page, "shop-verified")
        page.context.close()


def test_rejection_is_shown_in_japanese_and_english(kiosk: Kiosk, page: Page) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    _scan(page, text)
    page.wait_for_selector("#verdict[data-result=verified]")
    _scan(page, text)  # the same code again: a photo of someone's screen
    page.wait_for_selector("#verdict[data-result=rejected]")
    message = MESSAGES[ErrorCode.KB_REPLAYED]
    assert page.locator("#verdict").get_attribute("class") == "verdict ng"
    assert _visible_text(page, "#headline") == "確認できません"
    assert _visible_text(page, "#message-ja") == message.ja
    assert _visible_text(page, "#message-en-2") == message.en
    assert page.locator(".mark-ng").is_visible()
    _shot(page, "rejected")


@pytest.mark.parametrize("mismatch", list(LayoutMismatch))
def test_keyboard_layout_mismatch_gets_its_own_message(
    kiosk: Kiosk, page: Page, mismatch: LayoutMismatch
) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    _scan(page, "".join(GARBLING[mismatch].get(c, c) for c in text))
    page.wait_for_selector("#verdict[data-code=qr_keyboard_layout]")
    message = MESSAGES[ErrorCode.QR_KEYBOARD_LAYOUT]
    assert page.locator("#verdict").get_attribute("class") == "verdict staff"
    assert _visible_text(page, "#headline") == "係員をお呼びください"
    assert _visible_text(page, "#message-ja") == message.ja
    assert _visible_text(page, "#message-en-2") == message.en
    _shot(page, f"keyboard-layout-{mismatch.value}")


def test_verdict_clears_and_the_scanner_keeps_focus(tmp_path: Path, browser: Browser) -> None:
    kiosk = Kiosk.make(tmp_path, clear_after=timedelta(milliseconds=400))
    for server in serving(kiosk.service):
        page = _open(browser, server)
        _scan(page, qr_for(kiosk.nation.issue(basic_registration())))
        page.wait_for_selector("#verdict[data-result=verified]")
        page.wait_for_selector("#verdict", state="hidden")
        assert page.locator("#idle").is_visible()
        assert _visible_text(page, "#claims") == ""
        assert page.evaluate("document.activeElement.id") == "scan"
        page.click("body")  # a stray click does not steal the scanner's focus
        # a locator assertion, not wait_for_function: the page's CSP (script-src 'self')
        # forbids the eval a string predicate needs once it has to poll
        expect(page.locator("#scan")).to_be_focused()
        page.context.close()


# --------------------------------------------------------------------------- images and camera


def _upload(page: Page, name: str, data: bytes) -> None:
    payload: FilePayload = {"name": name, "mimeType": "image/png", "buffer": data}
    page.set_input_files("#upload", files=[payload])


def test_uploaded_camera_frame_is_verified(kiosk: Kiosk, page: Page) -> None:
    text = qr_for(kiosk.nation.issue(basic_registration()))
    _upload(page, "frame.png", png_of(text))
    page.wait_for_selector("#verdict[data-result=verified]")
    assert _visible_text(page, "#body-name") == "宮城県気仙沼市（ベーシック）"
    _shot(page, "upload-verified")


def test_uploaded_image_without_a_code_says_so(page: Page) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    _upload(page, "blank.png", blank.getvalue())
    page.wait_for_selector("#verdict[data-code=qr_not_found]")
    assert _visible_text(page, "#message-ja") == MESSAGES[ErrorCode.QR_NOT_FOUND].ja


def _y4m(png: bytes, path: Path, *, frames: int = 10) -> None:
    """A YUV4MPEG2 video (4:2:0) of the image, for Chromium's fake camera."""
    code = Image.open(io.BytesIO(png)).convert("L")
    frame = Image.new("L", (640, 480), 150)
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def test_camera_frames_are_decoded_on_the_server(tmp_path: Path, playwright: Playwright) -> None:
    kiosk = Kiosk.make(tmp_path)
    video = tmp_path / "camera.y4m"
    _y4m(png_of(qr_for(kiosk.nation.issue(basic_registration())), scale=3), video)
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        for server in serving(kiosk.service):
            page = _open(browser, server)
            page.click("#camera-toggle")
            page.wait_for_selector("#verdict[data-result=verified]")
            assert page.locator("#camera-toggle").get_attribute("aria-pressed") == "true"
            _shot(page, "camera-verified")
            # the same code stays in view: it is not verified (nor counted) again
            page.wait_for_timeout(1000)
            assert kiosk.service.counts().verified == 1
            assert kiosk.service.counts().rejected_total == 0
            page.context.close()
    finally:
        browser.close()


# --------------------------------------------------------------------------- challenge, staleness


def test_challenge_mode_shows_the_nonce_qr_first(tmp_path: Path, browser: Browser) -> None:
    kiosk = Kiosk.make(tmp_path, challenge=True, clear_after=timedelta(milliseconds=400))
    for server in serving(kiosk.service):
        page = _open(browser, server)
        page.wait_for_selector("#challenge-qr[data-nonce]")
        assert page.locator("#challenge").is_visible()
        nonce = page.locator("#challenge-qr").get_attribute("data-nonce")
        challenge = kiosk.service.challenge()
        assert challenge is not None
        assert nonce == challenge.nonce
        _shot(page, "challenge")
        card = kiosk.nation.issue(basic_registration())
        _scan(page, qr_for(card, nonce=nonce))
        page.wait_for_selector("#verdict[data-result=verified]")
        page.wait_for_selector("#verdict", state="hidden")
        expect(page.locator("#challenge-qr")).not_to_have_attribute("data-nonce", nonce)
        page.context.close()


def test_stale_data_banner(tmp_path: Path, browser: Browser) -> None:
    kiosk = Kiosk.make(tmp_path)
    kiosk.clock.advance(timedelta(days=6))  # a week allowed; lists expire after 7 days
    for server in serving(kiosk.service):
        page = _open(browser, server)
        page.wait_for_selector("#banner[data-freshness=aging]")
        assert "検証用データが古くなっています" in _visible_text(page, "#banner")
        _shot(page, "stale-banner")
        page.click("#lang-toggle")
        assert "getting old" in _visible_text(page, "#banner")
        page.context.close()


def test_too_stale_data_blocks_scanning(tmp_path: Path, browser: Browser) -> None:
    kiosk = Kiosk.make(tmp_path)
    card = kiosk.nation.issue(basic_registration())
    kiosk.clock.advance(timedelta(days=7))
    for server in serving(kiosk.service):
        page = _open(browser, server)
        page.wait_for_selector("#blocked", state="visible")
        assert "古すぎる" in _visible_text(page, "#blocked")
        assert MESSAGES[ErrorCode.STATUS_LIST_EXPIRED].ja in _visible_text(page, "#blocked")
        assert not page.locator("#idle").is_visible()
        _scan(page, qr_for(card, now=kiosk.clock.now()))
        page.wait_for_timeout(300)
        assert kiosk.service.counts().verified + kiosk.service.counts().rejected_total == 0
        _shot(page, "blocked")
        page.context.close()


# --------------------------------------------------------------------------- every code


def test_every_rejection_code_is_shown_in_japanese_and_english(page: Page) -> None:
    """The page shows any code the server sends with the ja/en text it serves in /config."""
    codes = iter(list(ErrorCode))
    current: list[ErrorCode] = []

    def answer(route: Route) -> None:
        code = next(codes)
        current.append(code)
        route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"result": "rejected", "code": code.value}),
        )

    page.route("**/scan", answer)
    for code in ErrorCode:
        _scan(page, "x")
        page.wait_for_selector(f"#verdict[data-code={code.value}]")
        message = MESSAGES[code]
        assert _visible_text(page, "#message-ja") == message.ja, code
        assert _visible_text(page, "#message-en-2") == message.en, code
    assert current == list(ErrorCode)
