"""Which issuers are trusted, with which keys, for which issuing body.

A credential's ``iss`` must map to exactly one body, and the body named in the credential
(``issuing_body``) must be that body: a municipality's key can never vouch for another body.
:class:`StaticTrust` holds this mapping in memory; the signed national trust list (a later
milestone) produces the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.sdjwt.verification import IssuerKeyResolver, StaticIssuerKeys

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = ["RegistrationTrust", "StaticTrust", "TrustedIssuer"]


class RegistrationTrust(IssuerKeyResolver, Protocol):
    def body_for_issuer(self, issuer: str) -> str:
        """The 6-digit body code ``issuer`` issues for.

        Raises:
            VerificationError: ``issuer_not_trusted``.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustedIssuer:
    body_code: str
    issuer_id: str
    keys: tuple[PublicJwk, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a trusted issuer needs at least one key")


@dataclass(frozen=True, slots=True)
class StaticTrust:
    """An in-memory trust set (tests, demos, and a single municipality's own verifier)."""

    issuers: Mapping[str, TrustedIssuer]
    keys: StaticIssuerKeys

    @classmethod
    def of(cls, issuers: Iterable[TrustedIssuer]) -> StaticTrust:
        table = {i.issuer_id: i for i in issuers}
        keys = StaticIssuerKeys(MappingProxyType({k: v.keys for k, v in table.items()}))
        return cls(MappingProxyType(table), keys)

    def issuer_keys(self, *, issuer: str, kid: str | None) -> Sequence[PublicJwk]:
        return self.keys.issuer_keys(issuer=issuer, kid=kid)

    def body_for_issuer(self, issuer: str) -> str:
        entry = self.issuers.get(issuer)
        if entry is None:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer not in the trust set")
        return entry.body_code
