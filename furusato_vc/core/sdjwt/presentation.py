"""Holder side: choosing Disclosures and adding a Key Binding JWT (RFC 9901 §4.3, §7.2).

The Holder first verifies what it received with :func:`verify_sd_jwt` and a policy whose
``key_binding`` is ``None`` (§7.2: an SD-JWT+KB from an Issuer is rejected). The resulting
:class:`~furusato_vc.core.sdjwt.verification.VerifiedSdJwt` knows the claim path of every
Disclosure, which is what :func:`select_disclosures` works on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import dumps_compact
from furusato_vc.core.jose.jws import sign_compact_jws
from furusato_vc.core.sdjwt.compact import CompactSdJwt
from furusato_vc.core.sdjwt.constants import KB_JWT_TYP, SD_HASH_KEY
from furusato_vc.core.sdjwt.hashing import SdAlg, digest

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.sdjwt.disclosure import Disclosure
    from furusato_vc.core.sdjwt.processing import ClaimPath, DisclosedClaim

__all__ = ["KeyBindingRequest", "create_kb_jwt", "create_presentation", "select_disclosures"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyBindingRequest:
    """The Verifier-side values a KB-JWT binds to (§4.3)."""

    holder: Signer
    audience: str
    nonce: str
    issued_at: int


def _overlaps(a: ClaimPath, b: ClaimPath) -> bool:
    """True if one path is a prefix of the other (``None`` matches any array index)."""
    for x, y in zip(a, b, strict=False):
        if x == y:
            continue
        if (x is None and isinstance(y, int)) or (y is None and isinstance(x, int)):
            continue
        return False
    return True


def select_disclosures(
    disclosed: Sequence[DisclosedClaim], paths: Iterable[ClaimPath]
) -> tuple[Disclosure, ...]:
    """The Disclosures needed to reveal ``paths``: each requested claim with everything inside
    it, plus every ancestor Disclosure that connects it to the signed payload (§4.2.6).
    Issuance order is kept, and nothing else is included (data minimisation)."""
    wanted = tuple(paths)
    return tuple(
        item.disclosure for item in disclosed if any(_overlaps(item.path, p) for p in wanted)
    )


def create_kb_jwt(*, sd_hash_input: str, request: KeyBindingRequest, sd_alg: SdAlg) -> str:
    """A KB-JWT over ``sd_hash_input`` (``<JWT>~<D1>~...~<Dn>~``), §4.3 and §4.3.1."""
    payload: JSONObject = {
        "iat": request.issued_at,
        "aud": request.audience,
        "nonce": request.nonce,
        SD_HASH_KEY: digest(sd_alg, sd_hash_input),
    }
    return sign_compact_jws(
        header={"typ": KB_JWT_TYP},
        payload=dumps_compact(payload).encode("utf-8"),
        signer=request.holder,
        include_kid=False,  # the key is identified by cnf; a kid would only add a handle
    )


def create_presentation(
    *,
    issuer_jwt: str,
    disclosures: Sequence[Disclosure],
    key_binding: KeyBindingRequest | None,
    sd_alg: SdAlg = SdAlg.SHA_256,
) -> str:
    """``<JWT>~<D1>~...~<Dn>~`` and, with ``key_binding``, the KB-JWT appended (SD-JWT+KB)."""
    compact = CompactSdJwt(
        issuer_jwt=issuer_jwt, disclosures=tuple(d.encoded for d in disclosures), kb_jwt=None
    )
    if key_binding is None:
        return compact.serialize()
    kb = create_kb_jwt(sd_hash_input=compact.sd_hash_input(), request=key_binding, sd_alg=sd_alg)
    return compact.sd_hash_input() + kb
