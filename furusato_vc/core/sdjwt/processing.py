"""Processing an SD-JWT payload with its Disclosures — RFC 9901 §7.1 steps 3 to 5.

Shared by the Holder (§7.2, with every Disclosure) and the Verifier (§7.3, with a subset).
Besides the processed payload it records, for each Disclosure, the claim path at which it was
embedded, so that a Holder can select Disclosures by path and a Verifier can tell which claims
arrived as Disclosures (SD-JWT VC forbids that for some registered claims).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.frozen import slot_constructor
from furusato_vc.core.sdjwt.constants import (
    ARRAY_DIGEST_KEY,
    FORBIDDEN_DISCLOSURE_NAMES,
    SD_ALG_KEY,
    SD_DIGESTS_KEY,
)
from furusato_vc.core.sdjwt.hashing import SdAlg, digests

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.sdjwt.disclosure import Disclosure

__all__ = ["ClaimPath", "DisclosedClaim", "ProcessedPayload", "process_payload"]

# A claims path pointer: object member names, array indices; ``None`` selects every element
# (draft-ietf-oauth-sd-jwt-vc §5.6.1 / OpenID4VP 1.0 §7). Indices count the elements of the
# array *after* processing.
ClaimPath: TypeAlias = tuple[str | int | None, ...]

_CONTAINERS = (dict, list)
_SD_KEYS = frozenset({SD_DIGESTS_KEY, SD_ALG_KEY})  # never copied into the processed payload


@dataclass(frozen=True, slots=True, kw_only=True)
class DisclosedClaim:
    disclosure: Disclosure
    path: ClaimPath


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessedPayload:
    claims: JSONObject
    disclosed: tuple[DisclosedClaim, ...]


_new_disclosed: Callable[[Disclosure, ClaimPath], DisclosedClaim] = slot_constructor(DisclosedClaim)


_new_processed: Callable[[JSONObject, tuple[DisclosedClaim, ...]], ProcessedPayload] = (
    slot_constructor(ProcessedPayload)
)


class _Processor:
    __slots__ = ("by_digest", "disclosed", "max_depth", "seen")

    def __init__(self, by_digest: dict[str, Disclosure], max_depth: int) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.disclosed: list[DisclosedClaim] = []
        self.max_depth = max_depth

    def _claim_digest(self, value: JSONValue) -> Disclosure | None:
        if not isinstance(value, str):
            raise VerificationError(ErrorCode.SD_STRUCTURE_INVALID, "digest is not a string")
        if value in self.seen:  # §7.1 step 4
            raise VerificationError(ErrorCode.DIGEST_DUPLICATE, "digest appears twice")
        self.seen.add(value)
        return self.by_digest.get(value)

    def value(self, node: JSONValue, path: ClaimPath, depth: int) -> JSONValue:
        if isinstance(node, dict):
            return self.obj(node, path, depth)
        if isinstance(node, list):
            return self.array(node, path, depth)
        return node

    def obj(self, node: JSONObject, path: ClaimPath, depth: int) -> JSONObject:
        if depth > self.max_depth:
            raise FormatError(ErrorCode.JSON_TOO_DEEP, "processed payload too deep")
        if ARRAY_DIGEST_KEY in node:
            # `...` is only meaningful as the single key of an array element (§4.2.4.2).
            raise VerificationError(ErrorCode.SD_STRUCTURE_INVALID, "'...' outside an array")
        if SD_ALG_KEY in node and path:
            raise VerificationError(ErrorCode.SD_STRUCTURE_INVALID, "_sd_alg below top level")
        # A C-level copy keeps every member in order; `_sd`/`_sd_alg` are dropped and only
        # containers (which may hold digests) are walked and replaced in place.
        out: JSONObject = node.copy()
        has_digests = SD_DIGESTS_KEY in out
        digests = out.pop(SD_DIGESTS_KEY, None)
        out.pop(SD_ALG_KEY, None)
        for key, child in node.items():
            if isinstance(child, _CONTAINERS) and key not in _SD_KEYS:
                out[key] = self.value(child, (*path, key), depth + 1)
        if not has_digests:
            return out
        if not isinstance(digests, list):  # §4.2.4.1: an array of strings
            raise VerificationError(ErrorCode.SD_STRUCTURE_INVALID, "_sd is not an array")
        seen, by_digest = self.seen, self.by_digest
        for entry in digests:
            if not isinstance(entry, str):
                raise VerificationError(ErrorCode.SD_STRUCTURE_INVALID, "digest is not a string")
            if entry in seen:  # §7.1 step 4
                raise VerificationError(ErrorCode.DIGEST_DUPLICATE, "digest appears twice")
            seen.add(entry)
            disclosure = by_digest.get(entry)
            if disclosure is None:
                continue  # decoy or not disclosed: ignored (§7.1 step 3.c.i)
            name = disclosure.name
            if name is None:  # §7.1 step 3.c.ii: must be a 3-element Disclosure
                raise VerificationError(
                    ErrorCode.DISCLOSURE_KIND_MISMATCH, "array-element disclosure in _sd"
                )
            if name in FORBIDDEN_DISCLOSURE_NAMES:
                raise VerificationError(
                    ErrorCode.DISCLOSURE_CLAIM_NAME_FORBIDDEN, "reserved claim name disclosed"
                )
            if name in out:  # §7.1 step 3.c.iii
                raise VerificationError(
                    ErrorCode.DISCLOSURE_CLAIM_COLLISION, "claim name already present"
                )
            claim_path = (*path, name)
            self.disclosed.append(_new_disclosed(disclosure, claim_path))
            value = disclosure.value
            out[name] = (
                self.value(value, claim_path, depth + 1)
                if isinstance(value, _CONTAINERS)
                else value
            )
        return out

    def array(self, node: list[JSONValue], path: ClaimPath, depth: int) -> list[JSONValue]:
        if depth > self.max_depth:
            raise FormatError(ErrorCode.JSON_TOO_DEEP, "processed payload too deep")
        out: list[JSONValue] = []
        for element in node:
            if isinstance(element, dict) and ARRAY_DIGEST_KEY in element:
                if len(element) != 1:  # §4.2.4.2: no other keys
                    raise VerificationError(
                        ErrorCode.SD_STRUCTURE_INVALID, "'...' object with other keys"
                    )
                disclosure = self._claim_digest(element[ARRAY_DIGEST_KEY])
                if disclosure is None:
                    continue  # §7.1 step 3.d: remove
                if disclosure.name is not None:  # §7.1 step 3.c.ii: must be 2-element
                    raise VerificationError(
                        ErrorCode.DISCLOSURE_KIND_MISMATCH, "object disclosure in an array"
                    )
                claim_path = (*path, len(out))
                self.disclosed.append(_new_disclosed(disclosure, claim_path))
                out.append(self.value(disclosure.value, claim_path, depth + 1))
            elif isinstance(element, _CONTAINERS):
                out.append(self.value(element, (*path, len(out)), depth + 1))
            else:
                out.append(element)
        return out


def process_payload(
    payload: JSONObject,
    disclosures: Sequence[Disclosure],
    *,
    sd_alg: SdAlg,
    max_depth: int,
) -> ProcessedPayload:
    """Replace digests by disclosed values, drop undisclosed ones and ``_sd``/``_sd_alg``.

    Raises:
        VerificationError: ``disclosure_duplicate`` (the same Disclosure twice),
            ``digest_duplicate`` (§7.1 step 4), ``disclosure_unreferenced`` (§7.1 step 5),
            ``disclosure_kind_mismatch``, ``disclosure_claim_name_forbidden``,
            ``disclosure_claim_collision`` (§7.1 step 3), ``sd_structure_invalid`` (``_sd`` not
            an array of strings, misplaced ``...`` or ``_sd_alg``).
        FormatError: ``json_too_deep`` if recursive Disclosures nest beyond ``max_depth``.
    """
    by_digest: dict[str, Disclosure] = {}
    keys = digests(sd_alg, [disclosure.encoded for disclosure in disclosures])
    for key, disclosure in zip(keys, disclosures, strict=True):
        if key in by_digest:
            raise VerificationError(ErrorCode.DISCLOSURE_DUPLICATE, "disclosure sent twice")
        by_digest[key] = disclosure
    processor = _Processor(by_digest, max_depth)
    claims = processor.obj(payload, (), 1)
    if len(processor.disclosed) != len(by_digest):
        raise VerificationError(
            ErrorCode.DISCLOSURE_UNREFERENCED, "disclosure not referenced by any digest"
        )
    return _new_processed(claims, tuple(processor.disclosed))
