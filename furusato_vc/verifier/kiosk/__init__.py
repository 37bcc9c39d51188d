"""The verifier kiosk: a local page (127.0.0.1 only) for a keyboard-wedge QR scanner, the
device camera or an image file, showing a large ✓ or ✗ in Japanese (English on a toggle).

``furusato-vc kiosk --bundle DIR --policy NAME`` runs it; see docs/kiosk.md. This package is
the verifier's edge: HTTP (standard library), the page, Pillow. The verifier library never
imports it.
"""

from furusato_vc.verifier.kiosk.freshness import BundleFreshness, Freshness, assess_freshness
from furusato_vc.verifier.kiosk.keyboard import (
    LayoutMismatch,
    check_keyboard_layout,
    detect_layout_mismatch,
)
from furusato_vc.verifier.kiosk.server import KioskServer, verdict_json
from furusato_vc.verifier.kiosk.service import (
    CHALLENGE_PREFIX,
    Accepted,
    Challenge,
    Counts,
    KioskService,
    KioskSettings,
    NothingRead,
    ShownClaim,
    Source,
    Verdict,
)

__all__ = [
    "CHALLENGE_PREFIX",
    "Accepted",
    "BundleFreshness",
    "Challenge",
    "Counts",
    "Freshness",
    "KioskServer",
    "KioskService",
    "KioskSettings",
    "LayoutMismatch",
    "NothingRead",
    "ShownClaim",
    "Source",
    "Verdict",
    "assess_freshness",
    "check_keyboard_layout",
    "detect_layout_mismatch",
    "verdict_json",
]
