"""JWS algorithm registry and the allow-list policy (RFC 7518 §3.1, RFC 8037 §3.1, RFC 8725 §3.1).

ES256 is the only algorithm accepted by default (HAIP 1.0 §7). EdDSA (Ed25519) is accepted only
when a caller builds a policy with :meth:`AlgorithmPolicy.with_eddsa`; ``none`` and every HMAC
algorithm are absent from the registry, so no policy can ever allow them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from furusato_vc.core.errors import ErrorCode, VerificationError

__all__ = ["DEFAULT_ALGORITHMS", "AlgorithmPolicy", "JwsAlgorithm"]


class JwsAlgorithm(StrEnum):
    ES256 = "ES256"
    EDDSA = "EdDSA"


@dataclass(frozen=True, slots=True)
class AlgorithmPolicy:
    """The set of JWS ``alg`` values a verifier accepts for one kind of token."""

    allowed: frozenset[JwsAlgorithm] = frozenset({JwsAlgorithm.ES256})
    allows_eddsa: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "allows_eddsa", JwsAlgorithm.EDDSA in self.allowed)

    def with_eddsa(self) -> AlgorithmPolicy:
        """A copy that also accepts EdDSA over Ed25519 (small-order keys are still rejected)."""
        return AlgorithmPolicy(self.allowed | {JwsAlgorithm.EDDSA})

    def check(self, alg: object) -> JwsAlgorithm:
        """Return the algorithm if allowed.

        Raises:
            VerificationError: ``algorithm_not_allowed`` for anything else, including
                ``none``, ``HS256`` and case variants such as ``es256``.
        """
        if isinstance(alg, str):
            for allowed in self.allowed:
                if alg == allowed:  # StrEnum: plain, case-sensitive string equality
                    return allowed
        raise VerificationError(ErrorCode.ALGORITHM_NOT_ALLOWED, "alg not in allow-list")


DEFAULT_ALGORITHMS = AlgorithmPolicy()
