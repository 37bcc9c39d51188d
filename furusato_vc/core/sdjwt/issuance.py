"""Issuing SD-JWTs (RFC 9901 §4.1, §4.2).

Callers describe the claims as plain JSON values and wrap anything selectively disclosable in
:class:`SD` — an object property (``{"given_name": SD("太郎")}``), an array element
(``["JP", SD("US")]``) or a whole nested object whose own members may be :class:`SD` too
(recursive disclosure, §4.2.6). Salts (128 bits, §9.3) and decoys (§4.2.5) come from an
injected :class:`~furusato_vc.core.randomness.RandomSource`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, cast

from furusato_vc.core.encoding import b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, IssuanceError
from furusato_vc.core.jose.jws import sign_compact_jws
from furusato_vc.core.sdjwt.constants import (
    ARRAY_DIGEST_KEY,
    FORBIDDEN_DISCLOSURE_NAMES,
    SD_ALG_KEY,
    SD_DIGESTS_KEY,
    SEPARATOR,
)
from furusato_vc.core.sdjwt.disclosure import (
    Disclosure,
    make_array_disclosure,
    make_object_disclosure,
)
from furusato_vc.core.sdjwt.hashing import SdAlg, digest

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.randomness import RandomSource

__all__ = [
    "SD",
    "ClaimInput",
    "DecoyPolicy",
    "IssuedSdJwt",
    "SdPayload",
    "build_sd_payload",
    "issue_sd_jwt",
]

SALT_BYTES = 16  # 128 bits (RFC 9901 §9.3)


@dataclass(frozen=True, slots=True)
class SD:
    """Marks a value as selectively disclosable."""

    value: ClaimInput


ClaimInput: TypeAlias = (
    "bool | int | float | str | SD | list[ClaimInput] | dict[str, ClaimInput] | None"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DecoyPolicy:
    """How many decoy digests to add (RFC 9901 §4.2.5, §10.4).

    Every ``_sd`` array gets at least ``min_decoys`` decoys and is then padded up to a multiple
    of ``pad_to_multiple`` digests, so the digest count says little about how many claims an
    object holds. Arrays with selectively disclosable elements get ``array_decoys`` decoy
    elements at random positions.
    """

    min_decoys: int = 1
    pad_to_multiple: int = 4
    array_decoys: int = 1

    def __post_init__(self) -> None:
        if self.min_decoys < 0 or self.pad_to_multiple < 1 or self.array_decoys < 0:
            raise ValueError("decoy counts must be non-negative and the multiple positive")

    def decoys_for(self, real: int) -> int:
        total = real + self.min_decoys
        total += -total % self.pad_to_multiple
        return total - real


NO_DECOYS = DecoyPolicy(min_decoys=0, pad_to_multiple=1, array_decoys=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SdPayload:
    payload: JSONObject
    disclosures: tuple[Disclosure, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedSdJwt:
    """An SD-JWT as the Issuer hands it to the Holder: every Disclosure, no KB-JWT."""

    issuer_jwt: str
    disclosures: tuple[Disclosure, ...]

    def serialize(self) -> str:
        return SEPARATOR.join((self.issuer_jwt, *(d.encoded for d in self.disclosures))) + SEPARATOR


class _Builder:
    __slots__ = ("decoys", "disclosures", "random", "sd_alg")

    def __init__(self, random: RandomSource, sd_alg: SdAlg, decoys: DecoyPolicy) -> None:
        self.random = random
        self.sd_alg = sd_alg
        self.decoys = decoys
        self.disclosures: list[Disclosure] = []

    def salt(self) -> str:
        return b64url_encode(self.random.token_bytes(SALT_BYTES))

    def decoy_digest(self) -> str:
        return digest(self.sd_alg, self.salt())

    def value(self, node: ClaimInput) -> JSONValue:
        if isinstance(node, SD):
            raise IssuanceError(ErrorCode.SD_REQUEST_INVALID, "SD outside an object or array")
        if isinstance(node, dict):
            return self.obj(node)
        if isinstance(node, list):
            return self.array(node)
        return node

    def obj(self, node: Mapping[str, ClaimInput]) -> JSONObject:
        out: JSONObject = {}
        digests: list[str] = []
        for name, child in node.items():
            key: object = name  # callers may pass non-str keys at runtime
            if not isinstance(key, str) or name in FORBIDDEN_DISCLOSURE_NAMES:
                raise IssuanceError(ErrorCode.SD_REQUEST_INVALID, "reserved or non-string name")
            if isinstance(child, SD):
                disclosure = make_object_disclosure(
                    salt=self.salt(), name=name, value=self.value(child.value)
                )
                self.disclosures.append(disclosure)
                digests.append(digest(self.sd_alg, disclosure.encoded))
            else:
                out[name] = self.value(child)
        if digests:
            digests.extend(self.decoy_digest() for _ in range(self.decoys.decoys_for(len(digests))))
            # §4.2.4.1: hide the original order; sorting needs no randomness.
            out[SD_DIGESTS_KEY] = cast("JSONValue", sorted(digests))
        return out

    def array(self, node: list[ClaimInput]) -> list[JSONValue]:
        out: list[JSONValue] = []
        has_sd = False
        for element in node:
            if isinstance(element, SD):
                has_sd = True
                disclosure = make_array_disclosure(
                    salt=self.salt(), value=self.value(element.value)
                )
                self.disclosures.append(disclosure)
                out.append({ARRAY_DIGEST_KEY: digest(self.sd_alg, disclosure.encoded)})
            else:
                out.append(self.value(element))
        if has_sd:
            for _ in range(self.decoys.array_decoys):
                position = int.from_bytes(self.random.token_bytes(2), "big") % (len(out) + 1)
                out.insert(position, {ARRAY_DIGEST_KEY: self.decoy_digest()})
        return out


def build_sd_payload(
    claims: Mapping[str, ClaimInput],
    *,
    random: RandomSource,
    sd_alg: SdAlg = SdAlg.SHA_256,
    decoys: DecoyPolicy = DecoyPolicy(),
) -> SdPayload:
    """Turn marked claims into an SD-JWT payload and its Disclosures.

    ``_sd_alg`` is always written at the top level (§4.1.1).

    Raises:
        IssuanceError: ``sd_request_invalid`` for a reserved claim name (``_sd``, ``...``,
            ``_sd_alg``) or an :class:`SD` marker that is not an object property or array
            element (e.g. the top level itself).
    """
    if not isinstance(claims, Mapping):
        raise IssuanceError(ErrorCode.SD_REQUEST_INVALID, "the claims set must be a plain object")
    if SD_ALG_KEY in claims:
        raise IssuanceError(ErrorCode.SD_REQUEST_INVALID, "_sd_alg is set by the issuer library")
    builder = _Builder(random, sd_alg, decoys)
    payload = builder.obj(claims)
    if builder.disclosures:
        payload[SD_ALG_KEY] = sd_alg.value
    return SdPayload(payload=payload, disclosures=tuple(builder.disclosures))


def issue_sd_jwt(
    claims: Mapping[str, ClaimInput],
    *,
    signer: Signer,
    typ: str,
    random: RandomSource,
    extra_header: JSONObject | None = None,
    sd_alg: SdAlg = SdAlg.SHA_256,
    decoys: DecoyPolicy = DecoyPolicy(),
) -> IssuedSdJwt:
    """Build and sign an SD-JWT with explicit typing (``typ``, §9.11).

    Raises:
        IssuanceError: as :func:`build_sd_payload`.
    """
    extra = extra_header or {}
    if {"typ", "alg", "crit"} & extra.keys():
        raise ValueError("typ and alg are set explicitly; crit is never emitted")
    built = build_sd_payload(claims, random=random, sd_alg=sd_alg, decoys=decoys)
    header: JSONObject = {"typ": typ, **extra}
    jwt = sign_compact_jws(
        header=header, payload=dumps_compact(built.payload).encode("utf-8"), signer=signer
    )
    return IssuedSdJwt(issuer_jwt=jwt, disclosures=built.disclosures)
