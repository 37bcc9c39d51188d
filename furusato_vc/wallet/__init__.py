"""Wallet library: receive registration credentials over OpenID4VCI, keep them encrypted at
rest with their holder keys, and present them selectively, as an SD-JWT VC presentation
(online) or a rotating QR code (offline), one unused batch copy per presentation.

Apps embed :class:`Wallet` (``wallet.py``) with a storage backend (``storage.py``), a key store
(``keys.py``) and, for network work, a transport (``client.py``, ``http.py``).
"""

from furusato_vc.wallet.activity import check_in
from furusato_vc.wallet.client import (
    HttpResponse,
    ObtainedCredentials,
    ReceivedCopy,
    Transport,
    obtain_credentials,
    parse_offer,
)
from furusato_vc.wallet.holder import (
    HeldCredential,
    accept_credential,
    present_credential,
    present_qr,
    qr_groups,
)
from furusato_vc.wallet.keys import KeyStore, SoftwareKeyStore
from furusato_vc.wallet.qr import DEFAULT_ROTATION, RotatingQr
from furusato_vc.wallet.storage import (
    EncryptedFileStorage,
    MemoryStorage,
    ScryptParams,
    WalletStorage,
)
from furusato_vc.wallet.wallet import (
    CardSummary,
    DisclosureItem,
    PresentationPlan,
    Reminder,
    StoredCard,
    StoredCopy,
    Wallet,
)

__all__ = [
    "DEFAULT_ROTATION",
    "CardSummary",
    "DisclosureItem",
    "EncryptedFileStorage",
    "HeldCredential",
    "HttpResponse",
    "KeyStore",
    "MemoryStorage",
    "ObtainedCredentials",
    "PresentationPlan",
    "ReceivedCopy",
    "Reminder",
    "RotatingQr",
    "ScryptParams",
    "SoftwareKeyStore",
    "StoredCard",
    "StoredCopy",
    "Transport",
    "Wallet",
    "WalletStorage",
    "accept_credential",
    "check_in",
    "obtain_credentials",
    "parse_offer",
    "present_credential",
    "present_qr",
    "qr_groups",
]
