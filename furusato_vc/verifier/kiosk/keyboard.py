"""Keyboard-wedge scanners and keyboard layouts: recognising QR text garbled by a JIS/US mismatch.

A USB 2D scanner in keyboard mode does not send characters: it sends HID key codes (USB HID
Usage Tables §10, Keyboard/Keypad page) for the layout it is set to, and the operating system
turns them into characters with *its* layout. Letters, digits, space, ``$``, ``%``, ``-``,
``.`` and ``/`` sit on the same keys in the US (ANSI 101/104) and Japanese (JIS X 6002,
106/109) layouts, but three of the nine Base45 symbols (RFC 9285 §4) do not:

====  =========================  ==========================  ============================
char  US key (HID usage)         JIS key (HID usage)         typed on the other layout
====  =========================  ==========================  ============================
``*`` Shift+``8`` (0x25)         Shift+``:`` (0x34)          US→JIS ``(``, JIS→US ``"``
``+`` Shift+``=`` (0x2E)         Shift+``;`` (0x33)          US→JIS ``~``, JIS→US ``:``
``:`` Shift+``;`` (0x33)         ``:`` (0x34)                US→JIS ``+``, JIS→US ``'``
====  =========================  ==========================  ============================

(On JIS, 0x25 is ``8``/``(``, 0x2E is ``^``/``~``, 0x33 is ``;``/``+`` and 0x34 is
``:``/``*``; on US, 0x33 is ``;``/``:`` and 0x34 is ``'``/``"``.) Every QR text starts with
``FJ1:``, so a mismatch always shows in the prefix (``FJ1+`` or ``FJ1'``), and the rest of the
text uses only the images of the Base45 alphabet under the same swap. That is the rule here:
the prefix as garbled by one of the two mismatches, and every character in that mismatch's
image of the Base45 alphabet. A text that merely has a wrong character somewhere is not
called a layout problem.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from furusato_vc.core.base45 import BASE45_ALPHABET
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.qrtext import QR_PREFIX

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GARBLING", "LayoutMismatch", "check_keyboard_layout", "detect_layout_mismatch"]


class LayoutMismatch(StrEnum):
    """Which way the layouts disagree."""

    # the scanner sends US key codes, the device reads them with a JIS layout (the usual case
    # in Japan: scanners ship set to US, PCs are set to JIS)
    US_SCANNER_ON_JIS = "us_scanner_on_jis"
    # the scanner was set to JIS (or "Japanese"), the device uses a US layout
    JIS_SCANNER_ON_US = "jis_scanner_on_us"


# The characters each mismatch changes: intended → typed (see the table above).
GARBLING: Final[Mapping[LayoutMismatch, Mapping[str, str]]] = MappingProxyType(
    {
        LayoutMismatch.US_SCANNER_ON_JIS: MappingProxyType({"*": "(", "+": "~", ":": "+"}),
        LayoutMismatch.JIS_SCANNER_ON_US: MappingProxyType({"*": '"', "+": ":", ":": "'"}),
    }
)


def _garble(text: str, table: Mapping[str, str]) -> str:
    return "".join(table.get(c, c) for c in text)


_SIGNATURES: Final = tuple(
    (
        mismatch,
        _garble(QR_PREFIX, table),
        frozenset(_garble(BASE45_ALPHABET, table)),
    )
    for mismatch, table in GARBLING.items()
)


def detect_layout_mismatch(text: str) -> LayoutMismatch | None:
    """The layout mismatch that turned a QR text (``FJ1:`` + Base45) into ``text``, if any.

    ``None`` for an intact prefix and for anything else that does not fit one mismatch
    exactly (then the ordinary verification says what is wrong).
    """
    if text.startswith(QR_PREFIX):
        return None
    for mismatch, prefix, alphabet in _SIGNATURES:
        if text.startswith(prefix) and alphabet.issuperset(text):
            return mismatch
    return None


def check_keyboard_layout(text: str) -> None:
    """Refuse scanner input garbled by a keyboard-layout mismatch.

    Raises:
        FormatError: ``qr_keyboard_layout`` (the detail names the mismatch).
    """
    mismatch = detect_layout_mismatch(text)
    if mismatch is not None:
        raise FormatError(ErrorCode.QR_KEYBOARD_LAYOUT, f"keyboard layouts differ: {mismatch}")
