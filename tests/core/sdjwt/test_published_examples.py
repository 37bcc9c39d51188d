"""Published examples of RFC 9901 (SD-JWT) and draft-ietf-oauth-sd-jwt-vc, replayed exactly.

The vectors in ``tests/vectors/rfc9901/`` and ``tests/vectors/sd-jwt-vc/`` are copied from the
rendered documents (provenance in ``tests/vectors/README.md`` and in each file's ``source``).
Every published byte string is used as printed: Disclosures are hashed as sent, the
Issuer-signed JWTs are verified with the RFC 9901 Appendix A.5 key, and Key Binding is
checked against the nonce, audience and time the documents show.

Comparisons are exact (dict equality of the processed payload). The one derived expectation is
:func:`_claims_from_input`, used where a document shows an input JWT Claims Set but no
processed payload; its rule is stated there.

RFC 9901 Appendix A.4 (W3C VCDM 2.0) names its issuer in ``issuer`` rather than ``iss`` and has
no ``exp``: it is verified with a policy that says so (``issuer_claim="issuer"``,
``require_expiry=False``), which is what an application of that data model would configure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.encoding import JsonLimits, parse_json, parse_json_object
from furusato_vc.core.jose import (
    DEFAULT_ALGORITHMS,
    decode_unverified_jws,
    parse_public_jwk,
    verify_jws_signature,
)
from furusato_vc.core.sdjwt import (
    KeyBindingPolicy,
    SdAlg,
    SdJwtPolicy,
    StaticIssuerKeys,
    VerifiedSdJwt,
    parse_disclosure,
    process_payload,
    verify_sd_jwt,
)
from furusato_vc.core.sdjwt.hashing import digest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from furusato_vc.core.encoding import JSONObject, JSONValue

VECTORS = Path(__file__).parents[2] / "vectors"
FOLDERS = ("rfc9901", "sd-jwt-vc")
# Vectors of other layers that live in the same folders (replayed by their own tests).
OTHER_LAYERS = frozenset({"sd-jwt-vc/type_metadata_example_a2.json"})  # test_type_metadata.py

_FILE_LIMITS = JsonLimits(max_bytes=256 * 1024, max_depth=32)
_MAX_DEPTH = 32
_COMMIT = re.compile(r"[0-9a-f]{40}")
# For an Issuer-signed JWT with no iat, nbf or exp any instant is inside its validity; the
# publication date of draft-ietf-oauth-selective-disclosure-jwt-22 is used.
_UNDATED = datetime(2025, 5, 29, tzinfo=UTC)


# ---------------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedDisclosure:
    claim: str | None  # None for an array element
    encoded: str
    digest: str | None  # None where the document does not print it
    contents: list[JSONValue]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedKeyBinding:
    nonce: str
    aud: str
    iat: int
    sd_hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessingExample:
    disclosures: tuple[str, ...]
    expected: JSONObject


@dataclass(frozen=True, slots=True, kw_only=True)
class Vector:
    name: str  # "<folder>/<file stem>", the pytest id
    source: JSONObject
    typ: str | None
    issuer_jwk: JSONObject | None
    input_claims: JSONObject | None
    payload: JSONObject | None
    disclosures: tuple[PublishedDisclosure, ...]
    decoy_digests: tuple[str, ...]
    issuer_signed_jwt: str | None
    sd_jwt: str | None
    presentation: str | None
    kb: PublishedKeyBinding | None
    expected: JSONObject | None
    jws_json: JSONObject | None
    processing_examples: tuple[ProcessingExample, ...]


def _obj(value: JSONValue, what: str) -> JSONObject:
    if not isinstance(value, dict):
        raise TypeError(f"{what}: expected an object")
    return value


def _str(value: JSONValue, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a string")
    return value


def _int(value: JSONValue, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what}: expected an integer")
    return value


def _list(value: JSONValue, what: str) -> list[JSONValue]:
    if not isinstance(value, list):
        raise TypeError(f"{what}: expected an array")
    return value


def _opt_obj(raw: JSONObject, key: str, what: str) -> JSONObject | None:
    return None if key not in raw else _obj(raw[key], f"{what}.{key}")


def _opt_str(raw: JSONObject, key: str, what: str) -> str | None:
    return None if key not in raw else _str(raw[key], f"{what}.{key}")


def _disclosure(value: JSONValue, what: str) -> PublishedDisclosure:
    raw = _obj(value, what)
    claim = raw["claim"]
    published_digest = raw["digest"]
    return PublishedDisclosure(
        claim=None if claim is None else _str(claim, f"{what}.claim"),
        encoded=_str(raw["encoded"], f"{what}.encoded"),
        digest=None if published_digest is None else _str(published_digest, f"{what}.digest"),
        contents=_list(raw["contents"], f"{what}.contents"),
    )


def _key_binding(value: JSONValue, what: str) -> PublishedKeyBinding:
    raw = _obj(value, what)
    return PublishedKeyBinding(
        nonce=_str(raw["nonce"], f"{what}.nonce"),
        aud=_str(raw["aud"], f"{what}.aud"),
        iat=_int(raw["iat"], f"{what}.iat"),
        sd_hash=_str(raw["sd_hash"], f"{what}.sd_hash"),
    )


def _load(path: Path) -> Vector:
    name = f"{path.parent.name}/{path.stem}"
    raw = _obj(parse_json(path.read_bytes(), limits=_FILE_LIMITS), name)
    examples = tuple(
        ProcessingExample(
            disclosures=tuple(
                _str(d, f"{name}.processing_examples") for d in _list(ex["disclosures"], name)
            ),
            expected=_obj(ex["expected_processed_payload"], name),
        )
        for ex in (
            _obj(e, f"{name}.processing_examples")
            for e in _list(raw.get("processing_examples", []), name)
        )
    )
    return Vector(
        name=name,
        source=_obj(raw["source"], f"{name}.source"),
        typ=_opt_str(raw, "typ", name),
        issuer_jwk=_opt_obj(raw, "issuer_public_jwk", name),
        input_claims=_opt_obj(raw, "input_claims", name),
        payload=_opt_obj(raw, "payload", name),
        disclosures=tuple(
            _disclosure(d, f"{name}.disclosures[{i}]")
            for i, d in enumerate(_list(raw.get("disclosures", []), name))
        ),
        decoy_digests=tuple(
            _str(d, f"{name}.decoy_digests") for d in _list(raw.get("decoy_digests", []), name)
        ),
        issuer_signed_jwt=_opt_str(raw, "issuer_signed_jwt", name),
        sd_jwt=_opt_str(raw, "sd_jwt", name),
        presentation=_opt_str(raw, "presentation", name),
        kb=None if "kb" not in raw else _key_binding(raw["kb"], f"{name}.kb"),
        expected=_opt_obj(raw, "expected_processed_payload", name),
        jws_json=_opt_obj(raw, "jws_json", name),
        processing_examples=examples,
    )


def _vector_paths() -> list[Path]:
    return sorted(
        path
        for folder in FOLDERS
        for path in (VECTORS / folder).glob("*.json")
        if f"{folder}/{path.name}" not in OTHER_LAYERS
    )


ALL = tuple(_load(path) for path in _vector_paths())


def _params(vectors: tuple[Vector, ...]) -> list[object]:
    return [pytest.param(vector, id=vector.name) for vector in vectors]


def _disclosure_params() -> list[object]:
    return [
        pytest.param(disclosure, id=f"{vector.name}#{index}-{disclosure.claim or 'array-element'}")
        for vector in ALL
        for index, disclosure in enumerate(vector.disclosures)
    ]


# ---------------------------------------------------------------------------------- helpers


def _issuer_jwt_payload(issuer_jwt: str) -> JSONObject:
    return parse_json_object(decode_unverified_jws(issuer_jwt).payload)


def _issuer_keys(vector: Vector, issuer_jwt: str) -> StaticIssuerKeys:
    """The published key, bound to the ``iss`` of the JWT it is to verify. A JWT without a
    string ``iss`` names no issuer to bind a key to, so it gets an empty key set."""
    assert vector.issuer_jwk is not None, f"{vector.name}: no issuer key"
    issuer = _issuer_jwt_payload(issuer_jwt).get(_issuer_claim(issuer_jwt))
    if not isinstance(issuer, str):
        return StaticIssuerKeys({})
    return StaticIssuerKeys({issuer: (parse_public_jwk(vector.issuer_jwk),)})


def _issuer_claim(issuer_jwt: str) -> str:
    """``iss``, or the W3C VCDM ``issuer`` claim when there is no ``iss`` (A.4)."""
    return "iss" if "iss" in _issuer_jwt_payload(issuer_jwt) else "issuer"


def _policy(
    issuer_jwt: str, key_binding: KeyBindingPolicy | None, typ: frozenset[str]
) -> SdJwtPolicy:
    payload = _issuer_jwt_payload(issuer_jwt)
    return SdJwtPolicy(
        key_binding=key_binding,
        accepted_typ=typ,
        issuer_claim=_issuer_claim(issuer_jwt),
        require_expiry="exp" in payload,
    )


def _valid_instant(issuer_jwt: str) -> datetime:
    """``iat`` of the Issuer-signed JWT (inside iat..exp), else ``exp - 1``, else undated."""
    payload = _issuer_jwt_payload(issuer_jwt)
    if "iat" in payload:
        return datetime.fromtimestamp(_int(payload["iat"], "iat"), UTC)
    if "exp" in payload:
        return datetime.fromtimestamp(_int(payload["exp"], "exp") - 1, UTC)
    return _UNDATED


def _typ(vector: Vector) -> frozenset[str]:
    assert vector.typ is not None, f"{vector.name}: no typ"
    return frozenset({vector.typ})


def _verify(vector: Vector, compact: str) -> VerifiedSdJwt:
    """RFC 9901 §7: Key Binding is required exactly when the vector publishes a KB-JWT."""
    issuer_jwt = compact.split("~", 1)[0]
    keys = _issuer_keys(vector, issuer_jwt)
    if compact.endswith("~"):
        policy = _policy(issuer_jwt, None, _typ(vector))
        return verify_sd_jwt(
            compact, policy=policy, issuer_keys=keys, now=_valid_instant(issuer_jwt)
        )
    assert vector.kb is not None, f"{vector.name}: KB-JWT without published kb"
    kb_policy = KeyBindingPolicy(audience=vector.kb.aud, nonce=vector.kb.nonce)
    policy = _policy(issuer_jwt, kb_policy, _typ(vector))
    now = datetime.fromtimestamp(vector.kb.iat, UTC)
    return verify_sd_jwt(compact, policy=policy, issuer_keys=keys, now=now)


def _assert_key_binding(vector: Vector, result: VerifiedSdJwt) -> None:
    assert vector.kb is not None
    assert result.key_binding is not None
    assert result.key_binding.nonce == vector.kb.nonce
    assert result.key_binding.audience == vector.kb.aud
    assert result.key_binding.issued_at == vector.kb.iat
    cnf = _obj(result.claims["cnf"], "cnf")
    assert result.key_binding.holder_key == parse_public_jwk(cnf["jwk"])


def _compact_from_json(jws_json: JSONObject) -> tuple[str, tuple[str, ...]]:
    """RFC 9901 §8.1: ``<protected>.<payload>.<signature>~<D1>~...~<Dn>~[<KB-JWT>]`` from the
    JWS JSON Serialization; for the general form, the first signature, which alone may carry
    ``disclosures`` and ``kb_jwt`` (§8.3). Returns the compact form and the Disclosures."""
    if "signatures" in jws_json:
        signatures = [_obj(s, "signatures[]") for s in _list(jws_json["signatures"], "signatures")]
        for later in signatures[1:]:  # §8.3: MUST NOT be present in following headers
            header = _obj(later.get("header", {}), "header")
            assert "disclosures" not in header
            assert "kb_jwt" not in header
        signature = signatures[0]
    else:
        signature = jws_json
    header = _obj(signature["header"], "header")
    disclosures = tuple(_str(d, "disclosure") for d in _list(header["disclosures"], "disclosures"))
    issuer_jwt = ".".join(
        (
            _str(signature["protected"], "protected"),
            _str(jws_json["payload"], "payload"),
            _str(signature["signature"], "signature"),
        )
    )
    kb_jwt = _str(header["kb_jwt"], "kb_jwt") if "kb_jwt" in header else ""
    return "~".join((issuer_jwt, *disclosures)) + "~" + kb_jwt, disclosures


def _presented_compact(vector: Vector) -> str:
    if vector.presentation is not None:
        return vector.presentation
    assert vector.jws_json is not None
    return _compact_from_json(vector.jws_json)[0]


def _claims_from_input(vector: Vector) -> JSONObject:
    """What processing with every Disclosure must give when the document shows only the input
    JWT Claims Set: the payload's permanently visible claims (without ``_sd``/``_sd_alg``),
    overridden by the input claims. The issuer adds iss/iat/exp/cnf/vct to the payload and
    the input claims carry every selectively disclosable value in its original place."""
    assert vector.payload is not None
    assert vector.input_claims is not None
    visible = {k: v for k, v in vector.payload.items() if k not in {"_sd", "_sd_alg"}}
    return visible | vector.input_claims


def _digests_in(value: JSONValue) -> Iterator[str]:
    """Every digest in ``_sd`` arrays and ``{"...": digest}`` array elements, at any depth."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "_sd":
                yield from (_str(d, "_sd") for d in _list(child, "_sd"))
            elif key == "...":
                yield _str(child, "...")
            else:
                yield from _digests_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from _digests_in(child)


# ---------------------------------------------------------------------------------- the set


def test_every_vector_file_is_replayed_and_has_provenance() -> None:
    files = {
        f"{folder}/{path.name}" for folder in FOLDERS for path in (VECTORS / folder).glob("*.json")
    }
    assert files - OTHER_LAYERS == {f"{v.name}.json" for v in ALL}
    assert files >= OTHER_LAYERS
    for vector in ALL:
        assert _COMMIT.fullmatch(_str(vector.source["commit"], "commit")), vector.name
        assert vector.sd_jwt or vector.presentation or vector.jws_json or vector.payload


# ---------------------------------------------------------------------------------- Disclosures


@pytest.mark.parametrize("disclosure", _disclosure_params())
def test_disclosure_digest_and_contents(disclosure: PublishedDisclosure) -> None:
    if disclosure.digest is not None:  # §4.2.3: over the encoded string as sent
        assert digest(SdAlg.SHA_256, disclosure.encoded) == disclosure.digest
    parsed = parse_disclosure(disclosure.encoded)
    assert parsed.name == disclosure.claim
    if parsed.name is None:
        assert [parsed.salt, parsed.value] == disclosure.contents
    else:
        assert [parsed.salt, parsed.name, parsed.value] == disclosure.contents


@pytest.mark.parametrize(
    "vector", _params(tuple(v for v in ALL if v.payload is not None and v.disclosures))
)
def test_every_digest_is_a_listed_disclosure_or_decoy(vector: Vector) -> None:
    assert vector.payload is not None
    listed = {d.digest for d in vector.disclosures if d.digest is not None}
    found = list(_digests_in(vector.payload))
    for d in vector.disclosures:
        found.extend(_digests_in(d.contents))
    assert len(found) == len(set(found))
    assert set(found) == listed | set(vector.decoy_digests)
    assert not listed & set(vector.decoy_digests)


@pytest.mark.parametrize(
    "vector",
    _params(tuple(v for v in ALL if v.payload is not None and v.input_claims is not None)),
)
def test_all_disclosures_reconstruct_the_input_claims(vector: Vector) -> None:
    assert vector.payload is not None
    disclosures = [parse_disclosure(d.encoded) for d in vector.disclosures]
    processed = process_payload(
        vector.payload, disclosures, sd_alg=SdAlg.SHA_256, max_depth=_MAX_DEPTH
    )
    assert processed.claims == _claims_from_input(vector)


@pytest.mark.parametrize(
    ("vector", "example"),
    [
        pytest.param(v, ex, id=f"{v.name}#{i}")
        for v in ALL
        for i, ex in enumerate(v.processing_examples)
    ],
)
def test_processing_example(vector: Vector, example: ProcessingExample) -> None:
    assert vector.payload is not None
    disclosures = [parse_disclosure(d) for d in example.disclosures]
    processed = process_payload(
        vector.payload, disclosures, sd_alg=SdAlg.SHA_256, max_depth=_MAX_DEPTH
    )
    assert processed.claims == example.expected


# ---------------------------------------------------------------------------------- signed


@pytest.mark.parametrize("vector", _params(tuple(v for v in ALL if v.sd_jwt)))
def test_issued_sd_jwt_verifies_with_every_disclosure(vector: Vector) -> None:
    assert vector.sd_jwt is not None
    result = _verify(vector, vector.sd_jwt)
    assert result.key_binding is None
    assert result.header["typ"] == vector.typ
    if vector.issuer_signed_jwt is not None:
        assert result.issuer_jwt == vector.issuer_signed_jwt
    if vector.payload is not None:
        assert result.issuer_payload == vector.payload
    embedded = sorted(d.disclosure.encoded for d in result.disclosed)
    assert embedded == sorted(d.encoded for d in vector.disclosures)
    if vector.input_claims is not None:
        assert result.claims == _claims_from_input(vector)


@pytest.mark.parametrize("vector", _params(tuple(v for v in ALL if v.presentation)))
def test_presentation_verifies_to_the_published_processed_payload(vector: Vector) -> None:
    assert vector.presentation is not None
    assert vector.expected is not None, f"{vector.name}: presentation without processed payload"
    result = _verify(vector, vector.presentation)
    assert result.claims == vector.expected
    if vector.payload is not None:
        assert result.issuer_payload == vector.payload
    if vector.sd_jwt is not None:  # presented from the issued SD-JWT: same Issuer-signed JWT
        assert vector.sd_jwt.startswith(result.issuer_jwt + "~")
    if vector.presentation.endswith("~"):
        assert result.key_binding is None
    else:
        _assert_key_binding(vector, result)


@pytest.mark.parametrize("vector", _params(tuple(v for v in ALL if v.jws_json)))
def test_json_serialization_compact_form_verifies(vector: Vector) -> None:
    assert vector.jws_json is not None
    compact, disclosures = _compact_from_json(vector.jws_json)
    result = _verify(vector, compact)
    assert sorted(d.disclosure.encoded for d in result.disclosed) == sorted(disclosures)
    if compact.endswith("~"):
        assert result.key_binding is None
    else:
        _assert_key_binding(vector, result)


@pytest.mark.parametrize("vector", _params(tuple(v for v in ALL if v.kb is not None)))
def test_sd_hash_covers_the_presentation_without_its_kb_jwt(vector: Vector) -> None:
    assert vector.kb is not None
    compact = _presented_compact(vector)
    kb_jwt = compact.rsplit("~", 1)[1]
    assert kb_jwt
    sd_jwt_part = compact[: -len(kb_jwt)]  # §4.3.1: <JWT>~<D1>~...~<Dn>~
    assert digest(SdAlg.SHA_256, sd_jwt_part) == vector.kb.sd_hash


@pytest.mark.parametrize("vector", _params(tuple(v for v in ALL if v.kb is not None)))
def test_published_kb_payload_is_the_kb_jwt_payload(vector: Vector) -> None:
    assert vector.kb is not None
    kb_jwt = _presented_compact(vector).rsplit("~", 1)[1]
    jws = decode_unverified_jws(kb_jwt)
    assert jws.typ == "kb+jwt"
    assert parse_json_object(jws.payload) == {
        "nonce": vector.kb.nonce,
        "aud": vector.kb.aud,
        "iat": vector.kb.iat,
        "sd_hash": vector.kb.sd_hash,
    }


# ---------------------------------------------------------------------------------- rejections


def test_a4_signatures_and_disclosures() -> None:
    """What the A.4 rejection leaves unchecked, through the lower-level API: the A.5 key
    verifies the Issuer-signed JWT, the presented Disclosures process to the published payload
    and the ``cnf.jwk`` key verifies the KB-JWT (its sd_hash is checked above)."""
    (vector,) = (v for v in ALL if v.name == "rfc9901/a4-w3c-vcdm-2.0")
    assert vector.presentation is not None
    assert vector.issuer_jwk is not None
    issuer_jwt, *disclosures, kb_jwt = vector.presentation.split("~")
    jws = decode_unverified_jws(issuer_jwt)
    verify_jws_signature(jws, parse_public_jwk(vector.issuer_jwk), algorithms=DEFAULT_ALGORITHMS)
    payload = parse_json_object(jws.payload)
    assert "iss" not in payload
    assert "exp" not in payload
    processed = process_payload(
        payload,
        [parse_disclosure(d) for d in disclosures],
        sd_alg=SdAlg.SHA_256,
        max_depth=_MAX_DEPTH,
    )
    assert processed.claims == vector.expected
    holder_key = parse_public_jwk(_obj(processed.claims["cnf"], "cnf")["jwk"])
    verify_jws_signature(decode_unverified_jws(kb_jwt), holder_key, algorithms=DEFAULT_ALGORITHMS)
