"""Keyboard-layout garbling: the table is derived here independently from the two layouts' key
maps, and the detection rule is checked on real QR texts and as a property over Base45 text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.base45 import BASE45_ALPHABET
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.qrtext import QR_PREFIX
from furusato_vc.verifier.kiosk import LayoutMismatch, check_keyboard_layout, detect_layout_mismatch
from furusato_vc.verifier.kiosk.keyboard import GARBLING

# The symbol keys of each layout by USB HID usage (Keyboard/Keypad page): (unshifted, shifted).
# Letters, digits (unshifted) and space are the same keys on both layouts.
US_KEYS: dict[int, tuple[str, str]] = {
    0x1E: ("1", "!"), 0x1F: ("2", "@"), 0x20: ("3", "#"), 0x21: ("4", "$"), 0x22: ("5", "%"),
    0x23: ("6", "^"), 0x24: ("7", "&"), 0x25: ("8", "*"), 0x26: ("9", "("), 0x27: ("0", ")"),
    0x2D: ("-", "_"), 0x2E: ("=", "+"), 0x2F: ("[", "{"), 0x30: ("]", "}"), 0x31: ("\\", "|"),
    0x33: (";", ":"), 0x34: ("'", '"'), 0x35: ("`", "~"), 0x36: (",", "<"), 0x37: (".", ">"),
    0x38: ("/", "?"), 0x2C: (" ", " "),
}  # fmt: skip
JIS_KEYS: dict[int, tuple[str, str]] = {
    0x1E: ("1", "!"), 0x1F: ("2", '"'), 0x20: ("3", "#"), 0x21: ("4", "$"), 0x22: ("5", "%"),
    0x23: ("6", "&"), 0x24: ("7", "'"), 0x25: ("8", "("), 0x26: ("9", ")"), 0x27: ("0", ""),
    0x2D: ("-", "="), 0x2E: ("^", "~"), 0x2F: ("@", "`"), 0x30: ("[", "{"), 0x32: ("]", "}"),
    0x33: (";", "+"), 0x34: (":", "*"), 0x36: (",", "<"), 0x37: (".", ">"), 0x38: ("/", "?"),
    0x87: ("\\", "_"), 0x89: ("\\", "|"), 0x2C: (" ", " "),
}  # fmt: skip

SYMBOLS = " $%*+-./:"
GARBLED_TEXT = "FJ1:6BF+*%W1/:-.$ 0A"  # every Base45 symbol, the prefix and some letters


def _typed(char: str, *, sender: dict[int, tuple[str, str]], os: dict[int, tuple[str, str]]) -> str:
    """What the OS shows when a scanner set to ``sender`` types ``char``."""
    for usage, (plain, shifted) in sender.items():
        if char in (plain, shifted):
            return os[usage][0 if char == plain else 1]
    return char  # letters and digits


def _derived(sender: dict[int, tuple[str, str]], os: dict[int, tuple[str, str]]) -> dict[str, str]:
    changed = {c: _typed(c, sender=sender, os=os) for c in SYMBOLS}
    return {c: t for c, t in changed.items() if c != t}


def _garble(text: str, mismatch: LayoutMismatch) -> str:
    return "".join(GARBLING[mismatch].get(c, c) for c in text)


def test_garbling_table_follows_from_the_us_and_jis_layouts() -> None:
    assert dict(GARBLING[LayoutMismatch.US_SCANNER_ON_JIS]) == _derived(US_KEYS, JIS_KEYS)
    assert dict(GARBLING[LayoutMismatch.JIS_SCANNER_ON_US]) == _derived(JIS_KEYS, US_KEYS)


def test_only_three_base45_symbols_move_between_the_layouts() -> None:
    for table in GARBLING.values():
        assert set(table) == {"*", "+", ":"}
        assert set(table.values()).isdisjoint(set(BASE45_ALPHABET) - {"+", ":"})


@pytest.mark.parametrize("mismatch", list(LayoutMismatch))
def test_garbled_qr_text_is_recognised(mismatch: LayoutMismatch) -> None:
    assert detect_layout_mismatch(_garble(GARBLED_TEXT, mismatch)) is mismatch


def test_us_scanner_on_a_jis_device_types_fj1_plus() -> None:
    assert _garble(QR_PREFIX, LayoutMismatch.US_SCANNER_ON_JIS) == "FJ1+"
    assert _garble(QR_PREFIX, LayoutMismatch.JIS_SCANNER_ON_US) == "FJ1'"


@pytest.mark.parametrize("mismatch", list(LayoutMismatch))
def test_garbled_text_is_refused_with_the_layout_code(mismatch: LayoutMismatch) -> None:
    with pytest.raises(FormatError) as caught:
        check_keyboard_layout(_garble(GARBLED_TEXT, mismatch))
    assert caught.value.code is ErrorCode.QR_KEYBOARD_LAYOUT
    assert mismatch.value in caught.value.detail


@pytest.mark.parametrize(
    "text",
    [
        GARBLED_TEXT,  # intact
        "FJ1+abc",  # garbled prefix, but lower case is never Base45 (Caps Lock, not layout)
        "FJ1+ABC#",  # a character no mismatch produces
        "FJ1'AB(C",  # "(" belongs to the other mismatch
        "HC1:ABC",  # another scheme
        "eyJhbGciOiJFUzI1NiJ9.e30.sig~",  # an SD-JWT presentation
        "",
    ],
)
def test_other_text_is_not_called_a_layout_problem(text: str) -> None:
    assert detect_layout_mismatch(text) is None
    check_keyboard_layout(text)  # no error


@given(st.text(alphabet=BASE45_ALPHABET, max_size=200), st.sampled_from(list(LayoutMismatch)))
def test_any_garbled_base45_text_is_recognised(body: str, mismatch: LayoutMismatch) -> None:
    assert detect_layout_mismatch(QR_PREFIX + body) is None
    assert detect_layout_mismatch(_garble(QR_PREFIX + body, mismatch)) is mismatch
