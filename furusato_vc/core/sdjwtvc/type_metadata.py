"""SD-JWT VC Type Metadata — draft-ietf-oauth-sd-jwt-vc-18 §4 (#type-metadata) and §5
(#document-integrity).

Section numbers are those of -18; the editor's copy after -18 inserted an HTTP-retrieval
section, so there Type Metadata is §5 and integrity §6. Anchor names are stable across drafts.

Nothing here does I/O: documents arrive as a ``vct`` → octets mapping (a registry or local
cache in the sense of §4.3.2 / §4.3.4) and integrity is computed over exactly those octets.

Two readings worth knowing:

- Claim paths are evaluated against the *processed* payload, with array indices counting
  processed positions (the :data:`~furusato_vc.core.sdjwt.processing.ClaimPath` convention of
  this library). -18 §4.6 counts positions in the array *as issued*, undisclosed elements
  included; the two agree for ``null`` wildcards and whenever no array-element Disclosure
  before an index was withheld. Our own Type Metadata uses no integer indices.
- A claim is selectively disclosable at a path only if it *is* a Disclosure there, not because
  an ancestor is (§4.6; Appendix A.2 relies on it: ``["degrees", null]`` is ``always`` while
  ``["degrees", null, "field_of_study"]`` is ``never``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import DEFAULT_JSON_LIMITS, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.sdjwt.constants import ARRAY_DIGEST_KEY, SD_DIGESTS_KEY

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from furusato_vc.core.encoding import JsonLimits, JSONObject, JSONValue
    from furusato_vc.core.sdjwt.processing import ClaimPath

__all__ = [
    "DEFAULT_MAX_EXTENDS_DEPTH",
    "SRI_ALGORITHMS",
    "ClaimDisplay",
    "ClaimMetadata",
    "ResolvedTypeMetadata",
    "SdMode",
    "TypeDisplay",
    "TypeMetadata",
    "check_integrity",
    "integrity_of",
    "parse_type_metadata",
    "resolve_type_metadata",
    "validate_claims",
]

DEFAULT_MAX_EXTENDS_DEPTH: Final = 8
# W3C SRI algorithms, strongest first: -18 §5 defers to SRI §3.3.5, which uses the strongest
# algorithm present (the editor's copy after -18 spells this out in its own §6).
SRI_ALGORITHMS: Final = ("sha512", "sha384", "sha256")


class _Wire:
    """Member names of Type Metadata documents (-18 §4.2, §4.5, §4.6)."""

    VCT: Final = "vct"
    NAME: Final = "name"
    DESCRIPTION: Final = "description"
    EXTENDS: Final = "extends"
    EXTENDS_INTEGRITY: Final = "extends#integrity"
    DISPLAY: Final = "display"
    CLAIMS: Final = "claims"
    LOCALE: Final = "locale"
    RENDERING: Final = "rendering"
    LABEL: Final = "label"
    PATH: Final = "path"
    MANDATORY: Final = "mandatory"
    SD: Final = "sd"
    SVG_ID: Final = "svg_id"
    SIMPLE: Final = "simple"
    SVG_TEMPLATES: Final = "svg_templates"
    LOGO: Final = "logo"
    BACKGROUND_IMAGE: Final = "background_image"
    URI: Final = "uri"
    URI_INTEGRITY: Final = "uri#integrity"
    ALT_TEXT: Final = "alt_text"
    PROPERTIES: Final = "properties"


# RFC 5646 §2.1, loosely: alphanumeric subtags of 1-8 characters, the first alphabetic.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_SVG_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # §4.6 svg_id
_SRI_SEPARATOR = re.compile(r"[\t\n\f\r ]+")  # SRI "parse metadata" splits on ASCII whitespace


class SdMode(StrEnum):
    """§4.6.4 (#claim-selective-disclosure-metadata)."""

    ALWAYS = "always"
    ALLOWED = "allowed"
    NEVER = "never"


_CLAIM_PROPERTIES: Final = frozenset({_Wire.DISPLAY, _Wire.MANDATORY, _Wire.SD, _Wire.SVG_ID})


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimDisplay:
    """§4.6.2 (#claim-display-metadata)."""

    locale: str
    label: str
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimMetadata:
    """One entry of ``claims`` (§4.6), defaults applied.

    ``specified`` names the optional properties the document actually set; extension (§4.6.5)
    lets a child override only those, so an omitted ``sd`` inherits the parent's value.
    """

    path: ClaimPath
    display: tuple[ClaimDisplay, ...] = ()
    mandatory: bool = False
    sd: SdMode = SdMode.ALLOWED
    svg_id: str | None = None
    specified: frozenset[str] = _CLAIM_PROPERTIES


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeDisplay:
    """§4.5 (#display-metadata). ``rendering`` is the validated JSON object; treat it as
    read-only."""

    locale: str
    name: str
    description: str | None = None
    rendering: JSONObject | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeMetadata:
    """One Type Metadata document (§4.2). ``display`` is ``None`` when the document has no
    ``display`` member (it then inherits its parent's, §4.5.2); ``raw`` are the exact octets
    integrity was computed over."""

    vct: str
    name: str | None = None
    description: str | None = None
    extends: str | None = None
    extends_integrity: str | None = None
    display: tuple[TypeDisplay, ...] | None = None
    claims: tuple[ClaimMetadata, ...] = ()
    raw: bytes = field(repr=False)


# ---------------------------------------------------------------- parsing (§4.2, §4.5, §4.6)


def _malformed(detail: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_TYPE_METADATA, detail)


def _path_text(path: ClaimPath) -> str:
    return dumps_compact(list(path))


def _optional_str(obj: JSONObject, key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None and key not in obj:
        return None
    if not isinstance(value, str):
        raise _malformed(f"{where}.{key} must be a string")
    return value


def _required_str(obj: JSONObject, key: str, where: str) -> str:
    value = _optional_str(obj, key, where)
    if value is None:
        raise _malformed(f"{where}.{key} is required")
    return value


def _optional_object(obj: JSONObject, key: str, where: str) -> JSONObject | None:
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, dict):
        raise _malformed(f"{where}.{key} must be an object")
    return value


def _objects(value: JSONValue, where: str) -> list[JSONObject]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _malformed(f"{where} must be an array of objects")
    return [item for item in value if isinstance(item, dict)]


def _locale(obj: JSONObject, where: str, seen: set[str]) -> str:
    locale = _required_str(obj, _Wire.LOCALE, where)
    if _LANGUAGE_TAG.fullmatch(locale) is None:
        raise _malformed(f"{where}.locale is not a language tag")
    if locale.lower() in seen:  # "an object for each locale" (§4.5, §4.6.2)
        raise _malformed(f"{where}: locale listed twice")
    seen.add(locale.lower())
    return locale


def _check_image(obj: JSONObject, where: str, *, alt_text: bool) -> None:
    # §4.5.1.1.1 logo / §4.5.1.1.2 background image / §4.5.1.2 template: uri REQUIRED.
    _required_str(obj, _Wire.URI, where)
    _optional_str(obj, _Wire.URI_INTEGRITY, where)
    if alt_text:
        _optional_str(obj, _Wire.ALT_TEXT, where)


def _check_rendering(rendering: JSONObject, where: str) -> None:
    """§4.5.1 (#rendering-metadata): the two defined methods are checked, others ignored."""
    simple = _optional_object(rendering, _Wire.SIMPLE, where)
    if simple is not None:
        inner = f"{where}.simple"
        logo = _optional_object(simple, _Wire.LOGO, inner)
        if logo is not None:
            _check_image(logo, f"{inner}.logo", alt_text=True)
        background = _optional_object(simple, _Wire.BACKGROUND_IMAGE, inner)
        if background is not None:
            _check_image(background, f"{inner}.background_image", alt_text=False)
        _optional_str(simple, "background_color", inner)
        _optional_str(simple, "text_color", inner)
    if _Wire.SVG_TEMPLATES in rendering:
        templates = _objects(rendering[_Wire.SVG_TEMPLATES], f"{where}.svg_templates")
        if not templates:
            raise _malformed(f"{where}.svg_templates is empty")
        for template in templates:
            _check_image(template, f"{where}.svg_templates[]", alt_text=False)
            properties = _optional_object(template, _Wire.PROPERTIES, f"{where}.svg_templates[]")
            # §4.5.1.2: REQUIRED when there is more than one template.
            if properties is None and len(templates) > 1:
                raise _malformed(f"{where}.svg_templates[].properties is required")


def _type_display(items: JSONValue) -> tuple[TypeDisplay, ...]:
    seen: set[str] = set()
    out: list[TypeDisplay] = []
    for item in _objects(items, "display"):
        rendering = _optional_object(item, _Wire.RENDERING, "display[]")
        if rendering is not None:
            _check_rendering(rendering, "display[].rendering")
        out.append(
            TypeDisplay(
                locale=_locale(item, "display[]", seen),
                name=_required_str(item, _Wire.NAME, "display[]"),
                description=_optional_str(item, _Wire.DESCRIPTION, "display[]"),
                rendering=rendering,
            )
        )
    return tuple(out)


def _claim_path(value: JSONValue) -> ClaimPath:
    """§4.6.1 (#claim-path): a non-empty array of strings, nulls and non-negative integers."""
    if not isinstance(value, list) or not value:
        raise _malformed("claims[].path must be a non-empty array")
    for component in value:
        if component is None or isinstance(component, str):
            continue
        if isinstance(component, bool) or not isinstance(component, int) or component < 0:
            raise _malformed("claims[].path holds something other than a string, null or index")
    return tuple(c for c in value if c is None or isinstance(c, str | int))


def _claim_display(items: JSONValue) -> tuple[ClaimDisplay, ...]:
    seen: set[str] = set()
    return tuple(
        ClaimDisplay(
            locale=_locale(item, "claims[].display[]", seen),
            label=_required_str(item, _Wire.LABEL, "claims[].display[]"),
            description=_optional_str(item, _Wire.DESCRIPTION, "claims[].display[]"),
        )
        for item in _objects(items, "claims[].display")
    )


def _claim_metadata(item: JSONObject) -> ClaimMetadata:
    if _Wire.PATH not in item:
        raise _malformed("claims[].path is required")
    path = _claim_path(item[_Wire.PATH])
    mandatory = item.get(_Wire.MANDATORY, False)
    if not isinstance(mandatory, bool):
        raise _malformed(f"claims{_path_text(path)}.mandatory must be a boolean")
    sd_text = item.get(_Wire.SD, SdMode.ALLOWED.value)
    if not isinstance(sd_text, str) or sd_text not in {mode.value for mode in SdMode}:
        raise _malformed(f"claims{_path_text(path)}.sd must be always, allowed or never")
    svg_id = _optional_str(item, _Wire.SVG_ID, "claims[]")
    if svg_id is not None and _SVG_ID.fullmatch(svg_id) is None:
        raise _malformed(f"claims{_path_text(path)}.svg_id is not [A-Za-z_][A-Za-z0-9_]*")
    display = _claim_display(item[_Wire.DISPLAY]) if _Wire.DISPLAY in item else ()
    return ClaimMetadata(
        path=path,
        display=display,
        mandatory=mandatory,
        sd=SdMode(sd_text),
        svg_id=svg_id,
        specified=_CLAIM_PROPERTIES.intersection(item),
    )


def _check_unique(claims: Sequence[ClaimMetadata], where: str) -> None:
    paths: set[ClaimPath] = set()
    svg_ids: set[str] = set()
    for claim in claims:
        if claim.path in paths:
            raise _malformed(f"{where}: claim path {_path_text(claim.path)} listed twice")
        paths.add(claim.path)
        if claim.svg_id is not None:
            if claim.svg_id in svg_ids:  # §4.6: unique within the type metadata
                raise _malformed(f"{where}: svg_id {claim.svg_id} used twice")
            svg_ids.add(claim.svg_id)


def parse_type_metadata(raw: bytes, *, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> TypeMetadata:
    """Parse one Type Metadata document (§4.2 #type-metadata-format). Members that are not
    understood are ignored, as §4.2 requires.

    Raises:
        FormatError: the JSON codes of :func:`~furusato_vc.core.encoding.parse_json_object`
            (``malformed_json``, ``json_duplicate_key``, ``input_too_large`` …);
            ``malformed_type_metadata`` for a missing ``vct``, a display entry without
            ``locale``/``name``, a claim without a valid ``path``, a claim display without
            ``locale``/``label``, a bad ``sd``/``mandatory``/``svg_id``, a duplicate claim path
            or ``svg_id``, or a wrongly typed known member.
    """
    document = parse_json_object(raw, limits=limits)
    vct = _required_str(document, _Wire.VCT, "type metadata")
    if not vct:
        raise _malformed("type metadata.vct is empty")
    extends = _optional_str(document, _Wire.EXTENDS, "type metadata")
    extends_integrity = _optional_str(document, _Wire.EXTENDS_INTEGRITY, "type metadata")
    if extends_integrity is not None and extends is None:
        raise _malformed("extends#integrity without extends")
    display = _type_display(document[_Wire.DISPLAY]) if _Wire.DISPLAY in document else None
    claims = tuple(
        _claim_metadata(item) for item in _objects(document.get(_Wire.CLAIMS, []), "claims")
    )
    _check_unique(claims, vct)
    return TypeMetadata(
        vct=vct,
        name=_optional_str(document, _Wire.NAME, "type metadata"),
        description=_optional_str(document, _Wire.DESCRIPTION, "type metadata"),
        extends=extends,
        extends_integrity=extends_integrity,
        display=display,
        claims=claims,
        raw=bytes(raw),
    )


# ---------------------------------------------------------------- integrity (§5)


def integrity_of(raw: bytes, *, algorithm: str = "sha256") -> str:
    """The W3C SRI "integrity metadata" for ``raw`` (§5 #document-integrity), e.g.
    ``sha256-<standard base64 with padding>``.

    Raises:
        ValueError: ``algorithm`` is not sha256, sha384 or sha512 (a programmer error).
    """
    if algorithm not in SRI_ALGORITHMS:
        raise ValueError(f"unsupported SRI algorithm {algorithm!r}")
    digest = hashlib.new(algorithm, raw).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode('ascii')}"


def _decode_sri_value(value: str) -> bytes | None:
    # SRI's base64-value takes the standard alphabet; CSP's grammar also admits base64url.
    normalized = value.replace("-", "+").replace("_", "/")
    normalized += "=" * (-len(normalized) % 4)
    try:
        return base64.b64decode(normalized, validate=True)
    except (binascii.Error, ValueError):
        return None


def check_integrity(raw: bytes, expected: str) -> None:
    """Check ``raw`` against integrity metadata (§5): the hash expressions of the strongest
    supported algorithm present are used, and any one of them matching suffices. Option
    expressions (``?…``) are ignored.

    Raises:
        VerificationError: ``type_metadata_integrity`` if no sha256/sha384/sha512 expression is
            present or none of the strongest algorithm's expressions matches.
    """
    by_algorithm: dict[str, list[str]] = {}
    for token in _SRI_SEPARATOR.split(expected.strip()):
        algorithm, separator, rest = token.partition("-")
        if separator:
            by_algorithm.setdefault(algorithm.lower(), []).append(rest.split("?", 1)[0])
    algorithm = next((a for a in SRI_ALGORITHMS if a in by_algorithm), None)
    if algorithm is None:
        raise VerificationError(
            ErrorCode.TYPE_METADATA_INTEGRITY, "no supported hash algorithm in integrity metadata"
        )
    digest = hashlib.new(algorithm, raw).digest()
    for value in by_algorithm[algorithm]:
        decoded = _decode_sri_value(value)
        if decoded is not None and hmac.compare_digest(decoded, digest):
            return
    raise VerificationError(ErrorCode.TYPE_METADATA_INTEGRITY, f"{algorithm} digest mismatch")


# ---------------------------------------------------------------- locales


def _truncate(tag: str) -> str:
    """RFC 4647 §3.4: drop the last subtag, and a singleton left in front of it."""
    subtags = tag.split("-")[:-1]
    if subtags and len(subtags[-1]) == 1:
        subtags.pop()
    return "-".join(subtags)


def _fallbacks(tag: str) -> Iterator[str]:
    tag = tag.lower()
    while tag and tag != "*":
        yield tag
        tag = _truncate(tag)


def _choose_locale(available: Sequence[str], preferred: Sequence[str]) -> int | None:
    """Index of the entry to show: RFC 4647 §3.4 "lookup" over each preferred tag in order
    (``ja-JP`` → ``ja``); then, as a second chance, the first entry a truncated preferred tag
    is a prefix of (RFC 4647 §3.3.1 basic filtering: ``de`` → ``de-DE``); then the first
    entry (§4.5 leaves the choice to the consumer)."""
    if not available:
        return None
    lowered = [tag.lower() for tag in available]
    for wanted in preferred:
        for candidate in _fallbacks(wanted):
            if candidate in lowered:
                return lowered.index(candidate)
    for wanted in preferred:
        for candidate in _fallbacks(wanted):
            for index, tag in enumerate(lowered):
                if tag.startswith(candidate + "-"):
                    return index
    return 0


# ---------------------------------------------------------------- resolution (§4.4, §4.6.5)


def _path_matches(pattern: ClaimPath, path: ClaimPath) -> bool:
    if len(pattern) != len(path):
        return False
    return all(
        p == c or (p is None and isinstance(c, int) and not isinstance(c, bool))
        for p, c in zip(pattern, path, strict=True)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedTypeMetadata:
    """Type Metadata with its ``extends`` chain applied (§4.4).

    ``chain`` is child first. ``display`` is the nearest document's that has a ``display``
    member (§4.5.2); ``claims`` are merged by path, parents' order first (§4.6.5).
    """

    vct: str
    chain: tuple[TypeMetadata, ...]
    display: tuple[TypeDisplay, ...]
    claims: tuple[ClaimMetadata, ...]

    def claim(self, path: ClaimPath) -> ClaimMetadata | None:
        """The metadata for ``path``: an exact entry, else the first whose ``null`` components
        match the concrete indices of ``path``."""
        for claim in self.claims:
            if claim.path == path:
                return claim
        for claim in self.claims:
            if _path_matches(claim.path, path):
                return claim
        return None

    def display_for(self, locales: Sequence[str]) -> TypeDisplay | None:
        """The display entry for the most preferred of ``locales`` (see :meth:`name_for`)."""
        index = _choose_locale([d.locale for d in self.display], locales)
        return None if index is None else self.display[index]

    def name_for(self, locales: Sequence[str]) -> str:
        """The end-user name for ``locales`` (most preferred first), with RFC 4647 lookup
        fallback (``ja-JP`` → ``ja`` → the first entry). Without display metadata: the
        developer-facing ``name``, else the ``vct``."""
        chosen = self.display_for(locales)
        if chosen is not None:
            return chosen.name
        return self.chain[0].name or self.vct

    def label_for(self, path: ClaimPath, locales: Sequence[str]) -> str | None:
        """The claim label for ``locales``, same fallback as :meth:`name_for`; ``None`` if the
        claim has no display metadata."""
        claim = self.claim(path)
        if claim is None:
            return None
        index = _choose_locale([d.locale for d in claim.display], locales)
        return None if index is None else claim.display[index].label


def _override(parent: ClaimMetadata, child: ClaimMetadata, vct: str) -> ClaimMetadata:
    """§4.6.5: the child's properties take precedence, §4.6.5.1 forbids loosening."""
    where = f"{vct} claim {_path_text(child.path)}"
    sd = parent.sd
    if _Wire.SD in child.specified and child.sd is not parent.sd:
        if parent.sd is not SdMode.ALLOWED:
            raise _malformed(f"{where} changes sd {parent.sd} of the extended type")
        sd = child.sd
    mandatory = parent.mandatory
    if _Wire.MANDATORY in child.specified and child.mandatory != parent.mandatory:
        if parent.mandatory:
            raise _malformed(f"{where} makes a mandatory claim optional")
        mandatory = True
    return ClaimMetadata(
        path=parent.path,
        display=child.display if _Wire.DISPLAY in child.specified else parent.display,
        mandatory=mandatory,
        sd=sd,
        svg_id=child.svg_id if _Wire.SVG_ID in child.specified else parent.svg_id,
        specified=parent.specified | child.specified,
    )


def _merge_claims(chain: Sequence[TypeMetadata]) -> tuple[ClaimMetadata, ...]:
    merged: dict[ClaimPath, ClaimMetadata] = {}
    for document in reversed(chain):  # §4.4: the extended type is processed first
        for claim in document.claims:
            parent = merged.get(claim.path)
            merged[claim.path] = claim if parent is None else _override(parent, claim, document.vct)
    claims = tuple(merged.values())
    _check_unique(claims, chain[0].vct)
    return claims


def resolve_type_metadata(
    vct: str,
    *,
    documents: Mapping[str, bytes],
    integrity: str | None,
    max_depth: int = DEFAULT_MAX_EXTENDS_DEPTH,
    limits: JsonLimits = DEFAULT_JSON_LIMITS,
) -> ResolvedTypeMetadata:
    """Load the Type Metadata of ``vct`` and every type it extends from ``documents``.

    ``integrity`` is the credential's ``vct#integrity``; each ``extends#integrity`` is
    checked the same way (§5). ``max_depth`` bounds the number of documents in the chain.

    Raises:
        VerificationError: ``type_metadata_unavailable`` if a document is not in
            ``documents``; ``type_metadata_integrity`` for an integrity mismatch or a document
            whose ``vct`` differs from the reference (§4.3 #retrieving-type-metadata);
            ``type_metadata_cycle`` for circular ``extends`` (§6.3 #circular-extends) or a
            chain longer than ``max_depth``.
        FormatError: as :func:`parse_type_metadata`; ``malformed_type_metadata`` when an
            extending type loosens ``sd`` or ``mandatory`` (§4.6.5.1) or reuses an ``svg_id``.
        ValueError: ``max_depth`` below 1.
    """
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    chain: list[TypeMetadata] = []
    seen: set[str] = set()
    current: str | None = vct
    expected = integrity
    while current is not None:
        if current in seen:
            raise VerificationError(ErrorCode.TYPE_METADATA_CYCLE, "circular extends")
        if len(chain) >= max_depth:
            raise VerificationError(
                ErrorCode.TYPE_METADATA_CYCLE, f"extends chain longer than {max_depth}"
            )
        seen.add(current)
        raw = documents.get(current)
        if raw is None:
            raise VerificationError(
                ErrorCode.TYPE_METADATA_UNAVAILABLE, "no Type Metadata for a referenced type"
            )
        if expected is not None:
            check_integrity(raw, expected)  # §5: before the document is processed
        document = parse_type_metadata(raw, limits=limits)
        if document.vct != current:
            raise VerificationError(ErrorCode.TYPE_METADATA_INTEGRITY, "vct mismatch")
        chain.append(document)
        current, expected = document.extends, document.extends_integrity
    display = next((d.display for d in chain if d.display is not None), ())
    return ResolvedTypeMetadata(
        vct=vct, chain=tuple(chain), display=display, claims=_merge_claims(chain)
    )


# ---------------------------------------------------------------- validation (§4.6, §4.7)


def _violation(path: ClaimPath, detail: str) -> VerificationError:
    return VerificationError(ErrorCode.CLAIM_METADATA_VIOLATION, f"{_path_text(path)}: {detail}")


def _select(
    claims: JSONObject, path: ClaimPath
) -> tuple[list[tuple[ClaimPath, JSONValue]], list[ClaimPath]]:
    """§4.6.1.2 (processing of ``path``) over the processed payload. Returns the selected
    claims with their concrete paths, and the concrete paths at which a selection branch ended
    because a member or index was absent.

    Raises:
        VerificationError: ``claim_metadata_violation`` when a component meets the wrong JSON
            type (an error under §4.6.1.2, so validation fails, §4.6).
    """
    selected: list[tuple[ClaimPath, JSONValue]] = [((), claims)]
    absent: list[ClaimPath] = []
    for component in path:
        step: list[tuple[ClaimPath, JSONValue]] = []
        for where, node in selected:
            if isinstance(component, str):
                if not isinstance(node, dict):
                    raise _violation(path, "selects a member of something not an object")
                if component in node:
                    step.append(((*where, component), node[component]))
                else:
                    absent.append((*where, component))
            elif not isinstance(node, list):
                raise _violation(path, "selects an element of something not an array")
            elif component is None:
                step.extend(((*where, index), value) for index, value in enumerate(node))
            elif component < len(node):
                step.append(((*where, component), node[component]))
            else:
                absent.append((*where, component))
        selected = step
    return selected, absent


def _issued_without_digests(issuer_payload: JSONObject, gap: ClaimPath) -> bool:
    """Whether the signed payload proves the claim at ``gap`` was never issued: its parent is
    reachable through plaintext members only and carries no digest that could hide it."""
    node: JSONValue = issuer_payload
    for component in gap[:-1]:
        if isinstance(component, str):
            if not isinstance(node, dict) or component not in node:
                return False
            node = node[component]
        elif isinstance(component, int):
            if not isinstance(node, list) or _has_array_digests(node) or component >= len(node):
                return False
            node = node[component]
        else:
            return False
    last = gap[-1]
    if isinstance(last, str) and isinstance(node, dict):
        return last not in node and not node.get(SD_DIGESTS_KEY)
    return isinstance(last, int) and isinstance(node, list) and not _has_array_digests(node)


def _has_array_digests(array: list[JSONValue]) -> bool:
    return any(isinstance(item, dict) and ARRAY_DIGEST_KEY in item for item in array)


def validate_claims(
    resolved: ResolvedTypeMetadata,
    *,
    issuer_payload: JSONObject,
    processed_claims: JSONObject,
    disclosed_paths: Collection[ClaimPath],
    holder_view: bool,
) -> None:
    """Validate a processed payload against the merged claim metadata (§4.6, §4.7).

    ``disclosed_paths`` are the paths at which Disclosures were embedded (processed
    positions). For every claim a ``path`` selects: ``sd: always`` requires that the claim
    itself arrived as a Disclosure, ``sd: never`` that it did not (a disclosed ancestor is
    fine, §4.6). ``mandatory: true`` requires the claim: always for a Holder with every
    Disclosure (``holder_view``); for a Verifier only where absence is provable — the missing
    claim is ``sd: never``, or the signed ``issuer_payload`` shows no digest that could hide it
    (§4.6: absence of a selectively disclosable claim is no evidence).

    Raises:
        VerificationError: ``claim_metadata_violation`` naming the claim path.
    """
    disclosed = frozenset(disclosed_paths)
    for claim in resolved.claims:
        selected, absent = _select(processed_claims, claim.path)
        for where, _value in selected:
            if claim.sd is SdMode.ALWAYS and where not in disclosed:
                raise _violation(where, "issued in plaintext but sd is always")
            if claim.sd is SdMode.NEVER and where in disclosed:
                raise _violation(where, "issued as a Disclosure but sd is never")
        if not claim.mandatory:
            continue
        for gap in absent:
            gap_metadata = resolved.claim(gap)
            provable = (
                holder_view
                or (gap_metadata is not None and gap_metadata.sd is SdMode.NEVER)
                or _issued_without_digests(issuer_payload, gap)
            )
            if provable:
                raise _violation(claim.path, "mandatory claim missing")
