"""A QR code that renews itself: the wallet shows a new SD-KBT every 30 seconds, so a photo or
screenshot of someone's screen is stale by the time it reaches another phone."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from furusato_vc.wallet.holder import present_qr

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.sdjwt.processing import ClaimPath
    from furusato_vc.wallet.holder import HeldCredential

__all__ = ["DEFAULT_ROTATION", "RotatingQr"]

DEFAULT_ROTATION = timedelta(seconds=30)


class RotatingQr:
    """Holds the current QR text for one card and one verifier; regenerates it when it is
    ``period`` old (or the clock went backwards)."""

    __slots__ = ("_made_at", "_period", "_render", "_text")

    def __init__(
        self,
        held: HeldCredential,
        *,
        disclose: Iterable[ClaimPath],
        holder: Signer,
        audience: str,
        period: timedelta = DEFAULT_ROTATION,
    ) -> None:
        chosen = tuple(disclose)

        def render(now: datetime) -> str:
            return present_qr(held, disclose=chosen, holder=holder, audience=audience, now=now)

        self._setup(render, period)

    @classmethod
    def from_renderer(
        cls, render: Callable[[datetime], str], *, period: timedelta = DEFAULT_ROTATION
    ) -> RotatingQr:
        """A rotating QR over any ``render(now) -> QR text`` (the :class:`Wallet` renders
        from one batch copy of the compact credential)."""
        rotating = cls.__new__(cls)
        rotating._setup(render, period)
        return rotating

    def _setup(self, render: Callable[[datetime], str], period: timedelta) -> None:
        if period <= timedelta(0):
            raise ValueError("period must be positive")
        self._render = render
        self._period = period
        self._made_at: datetime | None = None
        self._text = ""

    def text(self, *, now: datetime) -> str:
        made_at = self._made_at
        if made_at is None or now < made_at or now - made_at >= self._period:
            self._text = self._render(now)
            self._made_at = now
        return self._text
