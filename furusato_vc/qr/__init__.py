"""QR codes for the QR text transport: rendering (segno) and reading (zxing-cpp, ZBar).

Needs the ``qr`` extra (segno, Pillow, zxing-cpp, pyzbar; ZBar also needs Debian's
``libzbar0``). :mod:`furusato_vc.qr.camera`, the camera simulator for tests and benchmarks, is
not imported here: it needs numpy, a development dependency only.
"""

from furusato_vc.qr.read import (
    READERS,
    ZBAR,
    ZXING_CPP,
    ScanResult,
    available_readers,
    read_qr,
)
from furusato_vc.qr.render import (
    QUIET_ZONE,
    ErrorLevel,
    QrMode,
    capacity_chars,
    encode_qr,
    qr_version,
    render_png,
    render_svg,
    render_terminal,
)

__all__ = [
    "QUIET_ZONE",
    "READERS",
    "ZBAR",
    "ZXING_CPP",
    "ErrorLevel",
    "QrMode",
    "ScanResult",
    "available_readers",
    "capacity_chars",
    "encode_qr",
    "qr_version",
    "read_qr",
    "render_png",
    "render_svg",
    "render_terminal",
]
