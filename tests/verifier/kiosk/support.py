"""Builders for the kiosk tests: a synced bundle directory of the small test nation, a kiosk
service and server on a fixed clock, QR texts presented by the test holder, and QR images."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from furusato_vc.core.profiles import builtin_profile
from furusato_vc.publication import DirectorySource
from furusato_vc.qr import render_png
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.verifier.kiosk import KioskServer, KioskService, KioskSettings
from furusato_vc.wallet import present_credential, present_qr
from tests.bundle_fixtures import ANCHOR_JWK, NOW, Card, Nation
from tests.helpers import SeededRandom
from tests.registration_fixtures import holder

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime, timedelta
    from pathlib import Path

__all__ = [
    "NOW",
    "FixedClock",
    "Kiosk",
    "png_of",
    "qr_for",
    "sd_jwt_for",
    "serving",
    "synced_bundle",
]


@dataclass(slots=True)
class FixedClock:
    """A clock the test moves by hand."""

    current: datetime = field(default=NOW)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def synced_bundle(nation: Nation, root: Path, *, now: datetime = NOW) -> BundleDirectory:
    """Publish ``nation`` under ``root/pub`` and sync it into ``root/bundle`` at ``now``."""
    nation.publish(root / "pub", now=now)
    directory = BundleDirectory(root / "bundle")
    if not directory.anchors_path.is_file():
        directory.pin_anchors([ANCHOR_JWK])
    directory.sync(DirectorySource(root / "pub"), now=now)
    return directory


def qr_for(
    card: Card,
    profile_id: str = "garbage-station",
    *,
    now: datetime = NOW,
    nonce: str | None = None,
    audience: str | None = None,
) -> str:
    """The QR text the test holder shows to a kiosk of ``profile_id``."""
    profile = builtin_profile(profile_id)
    return present_qr(
        card.held,
        disclose=profile.requested,
        holder=holder(),
        audience=audience or profile.default_audience,
        now=now,
        nonce=nonce,
    )


def sd_jwt_for(
    card: Card, profile_id: str = "garbage-station", *, now: datetime = NOW, nonce: str = "n"
) -> str:
    profile = builtin_profile(profile_id)
    return present_credential(
        card.held,
        disclose=profile.requested,
        holder=holder(),
        audience=profile.default_audience,
        nonce=nonce,
        now=now,
    )


def png_of(text: str, *, scale: int = 4) -> bytes:
    return render_png(text, scale=scale)


def jpeg_of(text: str) -> bytes:
    """A camera-like frame: the QR on a larger grey background, JPEG-compressed."""
    code = Image.open(io.BytesIO(render_png(text, scale=4))).convert("RGB")
    frame = Image.new("RGB", (max(640, code.width + 80), max(480, code.height + 80)), "#9a9a9a")
    frame.paste(code, (40, 40))
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=90)
    return out.getvalue()


@dataclass(slots=True)
class Kiosk:
    """A kiosk service over a synced bundle of a fresh test nation."""

    nation: Nation
    directory: BundleDirectory
    clock: FixedClock
    service: KioskService

    @classmethod
    def make(
        cls,
        root: Path,
        profile_id: str = "garbage-station",
        *,
        nation: Nation | None = None,
        clock: FixedClock | None = None,
        **settings: object,
    ) -> Kiosk:
        nation = nation or Nation.of()
        directory = synced_bundle(nation, root)
        clock = clock or FixedClock()
        kiosk_settings = KioskSettings(profile=builtin_profile(profile_id), **settings)  # type: ignore[arg-type]
        service = KioskService(
            settings=kiosk_settings,
            directory=directory,
            clock=clock,
            random=SeededRandom("kiosk"),
        )
        return cls(nation=nation, directory=directory, clock=clock, service=service)


def serving(service: KioskService) -> Iterator[KioskServer]:
    """Serve ``service`` on a free port in a background thread (a generator for fixtures)."""
    server = KioskServer(service, port=0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
