"""Wallet library: verify received registration credentials and present them selectively, as
an SD-JWT VC presentation (online) or a rotating QR code (offline)."""

from furusato_vc.wallet.holder import (
    HeldCredential,
    accept_credential,
    present_credential,
    present_qr,
    qr_groups,
)
from furusato_vc.wallet.qr import DEFAULT_ROTATION, RotatingQr

__all__ = [
    "DEFAULT_ROTATION",
    "HeldCredential",
    "RotatingQr",
    "accept_credential",
    "present_credential",
    "present_qr",
    "qr_groups",
]
