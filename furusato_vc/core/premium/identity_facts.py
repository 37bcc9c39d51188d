"""The derived identity facts premium registration keeps (issue 8, item 1).

An identity-proofing backend (JPKI signing certificate, or an OpenID Connect provider of
verified identity) reduces what it checked to these facts and nothing more: the date and method
of proofing, the address municipality code, and the birth date or year when a rule needs it.
The My Number, the raw certificate or token, the name and the full address are never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# one enum for both backends: JPKI_SIGNING (the card's 署名用電子証明書) and OIDC (a
# verified-identity OpenID provider, デジタル認証アプリ style)
from furusato_vc.core.identity.proofing import IdentityMethod
from furusato_vc.core.registration.bodies import validate_body_code

if TYPE_CHECKING:
    from datetime import date

    from furusato_vc.core.identity.proofing import ProofedIdentity

__all__ = ["IdentityFacts", "IdentityMethod"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityFacts:
    """What identity proofing established, kept instead of the evidence itself.

    ``address_municipality_code`` is the 6-digit 全国地方公共団体コード of the 市区町村 (a
    designated city, not one of its wards) or ``None`` when the backend could not derive it.
    ``birth_date`` (JPKI) or ``birth_year`` (OIDC ``birthdate``) is kept only for the minors'
    rule; give at most what the backend knows.
    """

    method: IdentityMethod
    verified_on: date
    address_municipality_code: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None

    def __post_init__(self) -> None:
        if self.address_municipality_code is not None:
            validate_body_code(self.address_municipality_code)
        if self.birth_year is not None and not 1800 <= self.birth_year <= 9999:
            raise ValueError("birth_year out of range")
        if (
            self.birth_date is not None
            and self.birth_year is not None
            and self.birth_date.year != self.birth_year
        ):
            raise ValueError("birth_date and birth_year disagree")

    @classmethod
    def from_proofed(cls, proofed: ProofedIdentity) -> IdentityFacts:
        """The facts a JPKI (or other :mod:`furusato_vc.core.identity`) proofing result
        gives the eligibility rules (its person key is kept apart, by the service)."""
        return cls(
            method=proofed.method,
            verified_on=proofed.verified_at,
            address_municipality_code=proofed.address_municipality_code,
            birth_year=proofed.birth_year,
        )
