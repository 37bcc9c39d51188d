"""SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc-18 §4) and document integrity (§5).

Covers parsing (§4.2, §4.5, §4.6), resolution of ``extends`` chains (§4.4, §4.5.2, §4.6.5,
§6.3), W3C SRI integrity (§5), locale fallback, and claim metadata validation (§4.6, §4.7) on
payloads built and processed by the SD-JWT core.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, VerificationError
from furusato_vc.core.sdjwt import SD, DecoyPolicy, SdAlg, build_sd_payload, process_payload
from furusato_vc.core.sdjwtvc import type_metadata
from furusato_vc.core.sdjwtvc.type_metadata import (
    ClaimMetadata,
    ResolvedTypeMetadata,
    SdMode,
    TypeMetadata,
    check_integrity,
    integrity_of,
    parse_type_metadata,
    resolve_type_metadata,
    validate_claims,
)
from tests.helpers import SeededRandom

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from furusato_vc.core.sdjwt import ClaimInput, ClaimPath

SCHEMAS = Path(__file__).parents[3] / "schemas"
VECTORS = Path(__file__).parents[2] / "vectors" / "sd-jwt-vc"
BASIC_VCT = "urn:furusato-vc:registration:basic:1"
PREMIUM_VCT = "urn:furusato-vc:registration:premium:1"
BASIC_RAW = (SCHEMAS / "type-metadata" / "registration-basic-1.json").read_bytes()
PREMIUM_RAW = (SCHEMAS / "type-metadata" / "registration-premium-1.json").read_bytes()
DOCUMENTS: Mapping[str, bytes] = {BASIC_VCT: BASIC_RAW, PREMIUM_VCT: PREMIUM_RAW}
A2_RAW = (VECTORS / "type_metadata_example_a2.json").read_bytes()
# -18 §4.1 and Appendix A.2 (Figure 29): the vct#integrity of the A.2 document.
A2_PUBLISHED_INTEGRITY = "sha256-vJKakJAQkDYkIhGrT1M3nxRuSj9udH0l1PXB06QHto8="


def _raw(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _code_of(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises(FurusatoError) as caught:
        call()
    return caught.value.code


def _resolve(vct: str, documents: Mapping[str, bytes]) -> ResolvedTypeMetadata:
    return resolve_type_metadata(vct, documents=documents, integrity=None)


def _single(claims: list[dict[str, object]], vct: str = "urn:test:t") -> ResolvedTypeMetadata:
    return _resolve(vct, {vct: _raw({"vct": vct, "claims": claims})})


# ---------------------------------------------------------------- public API


def test_public_api_is_pinned() -> None:
    assert set(type_metadata.__all__) == {
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
    }


# ---------------------------------------------------------------- our documents


def test_basic_document_parses() -> None:
    basic = parse_type_metadata(BASIC_RAW)
    assert basic.vct == BASIC_VCT
    assert basic.extends is None
    assert basic.raw == BASIC_RAW
    assert basic.display is not None
    assert [d.locale for d in basic.display] == ["ja", "en"]
    assert basic.display[0].name == "ふるさと住民登録証（ベーシック）"
    assert basic.display[1].name == "Furusato Resident Registration Card (Basic)"
    by_path = {c.path: c for c in basic.claims}
    assert by_path[("registration_id",)].sd is SdMode.ALWAYS
    assert by_path[("registration_id",)].mandatory
    assert by_path[("issuing_body",)].sd is SdMode.NEVER
    assert not by_path[("valid_until",)].mandatory
    assert by_path[("age_equal_or_over", "18")].sd is SdMode.ALWAYS
    assert by_path[("relationship_types", None)].sd is SdMode.NEVER


def test_every_basic_claim_has_ja_then_en_label_and_description() -> None:
    for claim in parse_type_metadata(BASIC_RAW).claims:
        assert [d.locale for d in claim.display] == ["ja", "en"], claim.path
        assert all(d.label and d.description for d in claim.display), claim.path


def test_every_registered_claim_is_never_disclosable() -> None:
    by_path = {c.path: c for c in parse_type_metadata(BASIC_RAW).claims}
    for name in ("iss", "iat", "nbf", "exp", "vct", "vct#integrity", "cnf", "status"):
        assert by_path[(name,)].sd is SdMode.NEVER, name


def test_premium_document_extends_basic_with_its_integrity() -> None:
    premium = parse_type_metadata(PREMIUM_RAW)
    assert premium.vct == PREMIUM_VCT
    assert premium.extends == BASIC_VCT
    assert premium.extends_integrity == integrity_of(BASIC_RAW)


@pytest.mark.parametrize("raw", [BASIC_RAW, PREMIUM_RAW], ids=["basic", "premium"])
def test_documents_are_pretty_printed_utf8_json(raw: bytes) -> None:
    value = json.loads(raw)
    assert raw.decode("utf-8") == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("raw", [BASIC_RAW, PREMIUM_RAW], ids=["basic", "premium"])
def test_documents_carry_no_my_number_or_address_claim(raw: bytes) -> None:
    paths = {c.path[0] for c in parse_type_metadata(raw).claims}
    assert not {"my_number", "individual_number", "address"} & paths
    assert "ふるさと住民票".encode() not in raw  # someone's registered trademark


# ---------------------------------------------------------------- resolution (§4.4)


def test_premium_resolves_to_premium_then_basic() -> None:
    resolved = resolve_type_metadata(
        PREMIUM_VCT, documents=DOCUMENTS, integrity=integrity_of(PREMIUM_RAW)
    )
    assert [d.vct for d in resolved.chain] == [PREMIUM_VCT, BASIC_VCT]
    assert resolved.vct == PREMIUM_VCT
    assert resolved.name_for(["ja"]) == "ふるさと住民登録証（プレミアム）"


def test_premium_tightens_mandatory_and_inherits_the_rest() -> None:
    resolved = resolve_type_metadata(PREMIUM_VCT, documents=DOCUMENTS, integrity=None)
    valid_until = resolved.claim(("valid_until",))
    identity = resolved.claim(("identity_assurance",))
    assert valid_until is not None
    assert identity is not None
    assert valid_until.mandatory
    assert valid_until.sd is SdMode.NEVER  # inherited from basic
    assert identity.mandatory
    assert identity.sd is SdMode.ALWAYS
    assert resolved.label_for(("identity_assurance",), ["ja"]) == "本人確認"
    basic_paths = [c.path for c in parse_type_metadata(BASIC_RAW).claims]
    assert [c.path for c in resolved.claims] == basic_paths


def test_basic_alone_keeps_identity_assurance_optional() -> None:
    resolved = resolve_type_metadata(BASIC_VCT, documents=DOCUMENTS, integrity=None)
    identity = resolved.claim(("identity_assurance",))
    assert identity is not None
    assert not identity.mandatory
    assert [d.vct for d in resolved.chain] == [BASIC_VCT]


def _flip_last_brace(raw: bytes) -> bytes:
    index = raw.rindex(b"}")
    return raw[:index] + b" }" + raw[index + 1 :]


def test_tampered_document_fails_vct_integrity() -> None:
    tampered = {**DOCUMENTS, PREMIUM_VCT: _flip_last_brace(PREMIUM_RAW)}
    code = _code_of(
        lambda: resolve_type_metadata(
            PREMIUM_VCT, documents=tampered, integrity=integrity_of(PREMIUM_RAW)
        )
    )
    assert code is ErrorCode.TYPE_METADATA_INTEGRITY


@given(
    index=st.integers(min_value=0, max_value=len(BASIC_RAW) - 1),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_changed_byte_of_the_parent_fails_extends_integrity(index: int, mask: int) -> None:
    tampered = bytearray(BASIC_RAW)
    tampered[index] ^= mask
    documents = {**DOCUMENTS, BASIC_VCT: bytes(tampered)}
    assert _code_of(lambda: _resolve(PREMIUM_VCT, documents)) is (ErrorCode.TYPE_METADATA_INTEGRITY)


def test_tampered_parent_fails_extends_integrity() -> None:
    tampered = {**DOCUMENTS, BASIC_VCT: _flip_last_brace(BASIC_RAW)}
    code = _code_of(lambda: _resolve(PREMIUM_VCT, tampered))
    assert code is ErrorCode.TYPE_METADATA_INTEGRITY


def test_document_for_another_vct_is_rejected() -> None:
    swapped = {PREMIUM_VCT: BASIC_RAW}
    with pytest.raises(VerificationError) as caught:
        _resolve(PREMIUM_VCT, swapped)
    assert caught.value.code is ErrorCode.TYPE_METADATA_INTEGRITY
    assert caught.value.detail == "vct mismatch"


def test_parent_document_for_another_vct_is_rejected() -> None:
    child = _raw({"vct": "urn:test:child", "extends": "urn:test:parent"})
    documents = {"urn:test:child": child, "urn:test:parent": _raw({"vct": "urn:test:other"})}
    assert _code_of(lambda: _resolve("urn:test:child", documents)) is (
        ErrorCode.TYPE_METADATA_INTEGRITY
    )


@pytest.mark.parametrize(
    ("vct", "documents"),
    [
        ("urn:test:unknown", DOCUMENTS),
        (PREMIUM_VCT, {PREMIUM_VCT: PREMIUM_RAW}),  # the extended type is missing
    ],
    ids=["credential-type", "extended-type"],
)
def test_missing_document_is_unavailable(vct: str, documents: Mapping[str, bytes]) -> None:
    assert _code_of(lambda: _resolve(vct, documents)) is ErrorCode.TYPE_METADATA_UNAVAILABLE


def test_cycle_a_b_a_is_rejected() -> None:
    documents = {
        "urn:test:a": _raw({"vct": "urn:test:a", "extends": "urn:test:b"}),
        "urn:test:b": _raw({"vct": "urn:test:b", "extends": "urn:test:a"}),
    }
    assert _code_of(lambda: _resolve("urn:test:a", documents)) is ErrorCode.TYPE_METADATA_CYCLE


def test_self_extension_is_rejected() -> None:
    documents = {"urn:test:a": _raw({"vct": "urn:test:a", "extends": "urn:test:a"})}
    assert _code_of(lambda: _resolve("urn:test:a", documents)) is ErrorCode.TYPE_METADATA_CYCLE


def _linear_chain(length: int) -> dict[str, bytes]:
    documents: dict[str, bytes] = {}
    for n in range(length):
        document: dict[str, object] = {"vct": f"urn:test:{n}"}
        if n + 1 < length:
            document["extends"] = f"urn:test:{n + 1}"
        documents[f"urn:test:{n}"] = _raw(document)
    return documents


def test_chain_at_max_depth_resolves() -> None:
    resolved = resolve_type_metadata(
        "urn:test:0", documents=_linear_chain(3), integrity=None, max_depth=3
    )
    assert len(resolved.chain) == 3


def test_chain_beyond_max_depth_is_rejected() -> None:
    code = _code_of(
        lambda: resolve_type_metadata(
            "urn:test:0", documents=_linear_chain(4), integrity=None, max_depth=3
        )
    )
    assert code is ErrorCode.TYPE_METADATA_CYCLE


def test_max_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        resolve_type_metadata(BASIC_VCT, documents=DOCUMENTS, integrity=None, max_depth=0)


def _parent_child(parent: dict[str, object], child: dict[str, object]) -> dict[str, bytes]:
    return {
        "urn:test:parent": _raw({"vct": "urn:test:parent", "claims": [parent]}),
        "urn:test:child": _raw(
            {"vct": "urn:test:child", "extends": "urn:test:parent", "claims": [child]}
        ),
    }


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        ({"sd": "always"}, {"sd": "allowed"}),
        ({"sd": "always"}, {"sd": "never"}),
        ({"sd": "never"}, {"sd": "allowed"}),
        ({"sd": "never"}, {"sd": "always"}),
        ({"mandatory": True}, {"mandatory": False}),
    ],
    ids=["always-allowed", "always-never", "never-allowed", "never-always", "mandatory-off"],
)
def test_child_that_loosens_is_malformed(
    parent: dict[str, object], child: dict[str, object]
) -> None:
    documents = _parent_child({"path": ["x"], **parent}, {"path": ["x"], **child})
    code = _code_of(lambda: _resolve("urn:test:child", documents))
    assert code is ErrorCode.MALFORMED_TYPE_METADATA


@pytest.mark.parametrize(
    ("parent", "child", "sd", "mandatory"),
    [
        ({}, {"sd": "always"}, SdMode.ALWAYS, False),
        ({"sd": "allowed"}, {"sd": "never"}, SdMode.NEVER, False),
        ({}, {"mandatory": True}, SdMode.ALLOWED, True),
        ({"sd": "always", "mandatory": True}, {}, SdMode.ALWAYS, True),  # inherited
        ({"sd": "never"}, {"sd": "never", "mandatory": True}, SdMode.NEVER, True),
    ],
    ids=["allowed-always", "allowed-never", "mandatory-on", "omitted-inherits", "restated"],
)
def test_child_may_tighten_or_inherit(
    parent: dict[str, object], child: dict[str, object], sd: SdMode, mandatory: bool
) -> None:
    documents = _parent_child({"path": ["x"], **parent}, {"path": ["x"], **child})
    merged = _resolve("urn:test:child", documents).claim(("x",))
    assert merged is not None
    assert merged.sd is sd
    assert merged.mandatory is mandatory


def test_extension_example_of_the_draft() -> None:
    """-18 §4.6.5.2: base and child documents and the effective claim metadata."""
    base = {
        "vct": "https://example.com/base-type-metadata",
        "claims": [
            {"path": ["name"], "display": [{"label": "Full Name", "locale": "en"}]},
            {"path": ["address", "city"], "display": [{"label": "City", "locale": "en"}]},
        ],
    }
    child = {
        "vct": "https://example.com/custom-type-metadata",
        "extends": "https://example.com/base-type-metadata",
        "claims": [
            {"path": ["address", "city"], "display": [{"label": "Town", "locale": "en"}]},
            {"path": ["nationalities"], "display": [{"label": "Nationalities", "locale": "en"}]},
        ],
    }
    documents = {str(base["vct"]): _raw(base), str(child["vct"]): _raw(child)}
    resolved = _resolve("https://example.com/custom-type-metadata", documents)
    assert [(c.path, c.display[0].label) for c in resolved.claims] == [
        (("name",), "Full Name"),
        (("address", "city"), "Town"),
        (("nationalities",), "Nationalities"),
    ]


def test_child_without_display_inherits_the_parent_display() -> None:
    """§4.5.2: display metadata remains valid unless the child defines its own."""
    documents = {
        "urn:test:parent": _raw(
            {"vct": "urn:test:parent", "display": [{"locale": "en", "name": "Parent"}]}
        ),
        "urn:test:child": _raw({"vct": "urn:test:child", "extends": "urn:test:parent"}),
    }
    assert _resolve("urn:test:child", documents).name_for(["en"]) == "Parent"


def test_svg_id_reused_across_the_chain_is_malformed() -> None:
    documents = {
        "urn:test:parent": _raw(
            {"vct": "urn:test:parent", "claims": [{"path": ["a"], "svg_id": "same"}]}
        ),
        "urn:test:child": _raw(
            {
                "vct": "urn:test:child",
                "extends": "urn:test:parent",
                "claims": [{"path": ["b"], "svg_id": "same"}],
            }
        ),
    }
    code = _code_of(lambda: _resolve("urn:test:child", documents))
    assert code is ErrorCode.MALFORMED_TYPE_METADATA


# ---------------------------------------------------------------- malformed documents


def _claim(**members: object) -> dict[str, object]:
    return {"vct": "urn:test:t", "claims": [{"path": ["x"], **members}]}


MALFORMED: dict[str, dict[str, object]] = {
    "no-vct": {"name": "no vct"},
    "vct-not-string": {"vct": 42},
    "vct-empty": {"vct": ""},
    "name-not-string": {"vct": "urn:test:t", "name": ["x"]},
    "extends-not-string": {"vct": "urn:test:t", "extends": {"uri": "x"}},
    "integrity-without-extends": {"vct": "urn:test:t", "extends#integrity": "sha256-AA=="},
    "display-not-array": {"vct": "urn:test:t", "display": {"locale": "en", "name": "n"}},
    "display-without-locale": {"vct": "urn:test:t", "display": [{"name": "n"}]},
    "display-without-name": {"vct": "urn:test:t", "display": [{"locale": "en"}]},
    "display-bad-locale": {"vct": "urn:test:t", "display": [{"locale": "日本語", "name": "n"}]},
    "display-locale-twice": {
        "vct": "urn:test:t",
        "display": [{"locale": "en", "name": "a"}, {"locale": "EN", "name": "b"}],
    },
    "rendering-not-object": {
        "vct": "urn:test:t",
        "display": [{"locale": "en", "name": "n", "rendering": "simple"}],
    },
    "logo-without-uri": {
        "vct": "urn:test:t",
        "display": [{"locale": "en", "name": "n", "rendering": {"simple": {"logo": {}}}}],
    },
    "claims-not-array": {"vct": "urn:test:t", "claims": {"path": ["x"]}},
    "claim-without-path": {"vct": "urn:test:t", "claims": [{"sd": "always"}]},
    "path-empty": {"vct": "urn:test:t", "claims": [{"path": []}]},
    "path-not-array": {"vct": "urn:test:t", "claims": [{"path": "x"}]},
    "path-negative-index": {"vct": "urn:test:t", "claims": [{"path": ["x", -1]}]},
    "path-fractional-index": {"vct": "urn:test:t", "claims": [{"path": ["x", 1.5]}]},
    "path-object": {"vct": "urn:test:t", "claims": [{"path": ["x", {}]}]},
    "path-boolean": {"vct": "urn:test:t", "claims": [{"path": ["x", True]}]},
    "claim-display-without-label": _claim(display=[{"locale": "en"}]),
    "claim-display-without-locale": _claim(display=[{"label": "X"}]),
    "claim-display-lang-not-locale": _claim(display=[{"lang": "en", "label": "X"}]),
    "sd-unknown": _claim(sd="sometimes"),
    "sd-not-string": _claim(sd=True),
    "sd-array": _claim(sd=["always"]),
    "mandatory-not-boolean": _claim(mandatory="yes"),
    "svg-id-leading-digit": _claim(svg_id="1x"),
    "svg-id-hyphen": _claim(svg_id="a-b"),
    "svg-id-duplicate": {
        "vct": "urn:test:t",
        "claims": [{"path": ["a"], "svg_id": "s"}, {"path": ["b"], "svg_id": "s"}],
    },
    "path-duplicate": {"vct": "urn:test:t", "claims": [{"path": ["a", 0]}, {"path": ["a", 0]}]},
}


@pytest.mark.parametrize("document", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_document_is_rejected(document: dict[str, object]) -> None:
    with pytest.raises(FormatError) as caught:
        parse_type_metadata(_raw(document))
    assert caught.value.code is ErrorCode.MALFORMED_TYPE_METADATA


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"vct": "a", "vct": "b"}', ErrorCode.JSON_DUPLICATE_KEY),
        (b'["vct"]', ErrorCode.MALFORMED_JSON),
        (b'{"vct": "a",}', ErrorCode.MALFORMED_JSON),
    ],
    ids=["duplicate-key", "not-object", "syntax"],
)
def test_json_errors_keep_their_codes(raw: bytes, code: ErrorCode) -> None:
    assert _code_of(lambda: parse_type_metadata(raw)) is code


def test_unknown_members_are_ignored() -> None:
    document = {
        "vct": "urn:test:t",
        "future": {"anything": [1, 2]},
        "display": [{"locale": "en", "name": "n", "x-extra": True}],
        "claims": [
            {
                "path": ["x", None, 0],
                "x-vendor": "ignored",
                "display": [{"locale": "en", "label": "L", "note": 1}],
            }
        ],
    }
    parsed = parse_type_metadata(_raw(document))
    assert parsed.claims[0].path == ("x", None, 0)
    assert parsed.claims[0].sd is SdMode.ALLOWED
    assert not parsed.claims[0].mandatory


def test_defaults_and_display_absence() -> None:
    parsed = parse_type_metadata(_raw({"vct": "urn:test:t", "claims": [{"path": ["x"]}]}))
    assert parsed.display is None  # no display member: a child inherits (§4.5.2)
    assert parsed.claims[0] == ClaimMetadata(
        path=("x",),
        display=(),
        mandatory=False,
        sd=SdMode.ALLOWED,
        svg_id=None,
        specified=frozenset(),
    )


# ---------------------------------------------------------------- Appendix A.2


def test_a2_example_matches_the_published_integrity() -> None:
    assert integrity_of(A2_RAW) == A2_PUBLISHED_INTEGRITY
    check_integrity(A2_RAW, A2_PUBLISHED_INTEGRITY)


def test_a2_example_parses() -> None:
    parsed = parse_type_metadata(A2_RAW)
    assert parsed.vct == "https://betelgeuse.example.com/education_credential/v42"
    assert parsed.extends == "https://galaxy.example.com/galactic-education-credential/v2"
    assert parsed.extends_integrity == "sha256-ilOUJsTultOwLfz7QUcFALaRa3BP/jelX1ds04kB9yU="
    assert parsed.display is not None
    assert [d.locale for d in parsed.display] == ["en-US", "de-DE"]
    assert parsed.display[0].rendering is not None
    assert [c.path for c in parsed.claims] == [
        ("name",),
        ("address",),
        ("address", "street_address"),
        ("degrees",),
        ("degrees", None),
        ("degrees", None, "field_of_study"),
        ("degrees", None, "date_awarded"),
    ]
    assert parsed.claims[2].svg_id == "address_street_address"


def test_a2_example_cannot_resolve_without_its_parent() -> None:
    documents = {"https://betelgeuse.example.com/education_credential/v42": A2_RAW}
    code = _code_of(
        lambda: resolve_type_metadata(
            "https://betelgeuse.example.com/education_credential/v42",
            documents=documents,
            integrity=A2_PUBLISHED_INTEGRITY,
        )
    )
    assert code is ErrorCode.TYPE_METADATA_UNAVAILABLE


def _standalone(document: TypeMetadata) -> ResolvedTypeMetadata:
    return ResolvedTypeMetadata(
        vct=document.vct,
        chain=(document,),
        display=document.display or (),
        claims=document.claims,
    )


A2 = _standalone(parse_type_metadata(A2_RAW))


# ---------------------------------------------------------------- SRI (§5)


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_integrity_of_matches_an_independent_computation(algorithm: str) -> None:
    data = "ふるさと".encode()
    expected = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    assert integrity_of(data, algorithm=algorithm) == f"{algorithm}-{expected}"
    check_integrity(data, f"{algorithm}-{expected}")


def test_integrity_of_rejects_an_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="md5"):
        integrity_of(b"x", algorithm="md5")


def _sri(algorithm: str, data: bytes) -> str:
    return integrity_of(data, algorithm=algorithm)


@pytest.mark.parametrize(
    "expected",
    [
        f"{_sri('sha256', b'other')} {_sri('sha384', b'doc')}",  # strongest (sha384) matches
        f"{_sri('sha512', b'other')} {_sri('sha512', b'doc')}",  # any of the strongest
        f"  {_sri('sha256', b'doc')}\t",
        f"{_sri('sha256', b'doc')}?ct=application/json",  # option expression ignored
        _sri("sha256", b"doc").rstrip("="),  # padding omitted
        f"md5-AAAA {_sri('sha256', b'doc')}",  # unsupported algorithms are skipped
    ],
    ids=["strongest", "any-of-strongest", "whitespace", "options", "unpadded", "unknown+known"],
)
def test_check_integrity_accepts(expected: str) -> None:
    check_integrity(b"doc", expected)


@pytest.mark.parametrize(
    "expected",
    [
        _sri("sha256", b"other"),
        f"{_sri('sha256', b'doc')} {_sri('sha512', b'other')}",  # weaker match does not count
        "sha256-!!!!",
        "md5-1B2M2Y8AsgTpgAmY7PhCfg==",
        "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
        "",
        "sha256",
    ],
    ids=["mismatch", "downgrade", "not-base64", "md5-only", "sha1-only", "empty", "no-value"],
)
def test_check_integrity_rejects(expected: str) -> None:
    with pytest.raises(VerificationError) as caught:
        check_integrity(b"doc", expected)
    assert caught.value.code is ErrorCode.TYPE_METADATA_INTEGRITY


# ---------------------------------------------------------------- locales


@pytest.mark.parametrize(
    ("locales", "name"),
    [
        (["ja-JP"], "ふるさと住民登録証（ベーシック）"),
        (["ja"], "ふるさと住民登録証（ベーシック）"),
        (["en-US"], "Furusato Resident Registration Card (Basic)"),
        (["EN"], "Furusato Resident Registration Card (Basic)"),
        (["fr"], "ふるさと住民登録証（ベーシック）"),  # no match: the first entry
        (["fr-CA", "en-GB"], "Furusato Resident Registration Card (Basic)"),
        ([], "ふるさと住民登録証（ベーシック）"),
    ],
)
def test_name_for_uses_lookup_fallback(locales: list[str], name: str) -> None:
    resolved = resolve_type_metadata(BASIC_VCT, documents=DOCUMENTS, integrity=None)
    assert resolved.name_for(locales) == name


def test_label_for_uses_lookup_fallback() -> None:
    resolved = resolve_type_metadata(BASIC_VCT, documents=DOCUMENTS, integrity=None)
    assert resolved.label_for(("birthdate",), ["ja-JP"]) == "生年月日"
    assert resolved.label_for(("birthdate",), ["en-AU"]) == "Date of birth"
    assert resolved.label_for(("birthdate",), ["ko"]) == "生年月日"
    assert resolved.label_for(("relationship_types", 2), ["en"]) == "Relationship type"
    assert resolved.label_for(("no_such_claim",), ["en"]) is None


def test_a2_locales_fall_back_by_prefix() -> None:
    assert A2.name_for(["de"]) == "Betelgeuse-Bildungsnachweis"  # de → de-DE
    assert A2.name_for(["de-AT"]) == "Betelgeuse-Bildungsnachweis"
    assert A2.name_for(["ja"]) == "Betelgeuse Education Credential"
    assert A2.label_for(("degrees", 1, "date_awarded"), ["de-DE"]) == "Verleihungsdatum"


def test_lookup_drops_a_singleton_with_its_subtag() -> None:
    vct = "urn:test:t"
    document = {
        "vct": vct,
        "display": [{"locale": "en", "name": "English"}, {"locale": "zh-Hant", "name": "繁體"}],
    }
    resolved = _resolve(vct, {vct: _raw(document)})
    assert resolved.name_for(["zh-Hant-TW-x-private"]) == "繁體"


def test_name_without_display_falls_back_to_name_then_vct() -> None:
    named = _resolve("urn:test:n", {"urn:test:n": _raw({"vct": "urn:test:n", "name": "Dev"})})
    bare = _resolve("urn:test:b", {"urn:test:b": _raw({"vct": "urn:test:b"})})
    assert named.name_for(["ja"]) == "Dev"
    assert bare.name_for(["ja"]) == "urn:test:b"
    assert named.display_for(["ja"]) is None


# ---------------------------------------------------------------- validate_claims (§4.6, §4.7)

HOLDER_JWK: dict[str, ClaimInput] = {
    "kty": "EC",
    "crv": "P-256",
    "x": "nDeCQEoP7_VFeuv8UVlciq7qQ5idpzse7CdeE8sY-8Y",
    "y": "hR11z86HHPdAli9kH5RJeYb8dxl0QQpPKl4aA4BM194",
}


def registration_input(*, tier: str = "premium", **changes: ClaimInput) -> dict[str, ClaimInput]:
    """Claims as the issuer marks them (see furusato_vc.core.registration.claims)."""
    claims: dict[str, ClaimInput] = {
        "iss": "https://furusato.example.lg.jp/issuers/011002",
        "iat": 1_800_000_000,
        "exp": 1_831_536_000,
        "vct": PREMIUM_VCT if tier == "premium" else BASIC_VCT,
        "cnf": {"jwk": dict(HOLDER_JWK)},
        "issuing_body": "011002",
        "tier": tier,
        "valid_from": "2027-01-15",
        "valid_until": "2028-01-14",
        "registration_id": SD("R7kq2Z9xW3"),
        "relationship_types": SD(["visits", "dual_residence"]),
        "family_name": SD("山田"),
        "given_name": SD("花子"),
        "family_name#ja-Kana-JP": SD("ヤマダ"),
        "given_name#ja-Kana-JP": SD("ハナコ"),
        "birthdate": SD("1990-04-01"),
        "age_equal_or_over": SD({"18": SD(True), "20": SD(True), "65": SD(False)}),
        "home_prefecture": SD("13"),
        "stay": SD({"from": "2027-02-01", "until": "2027-03-31"}),
        "member_number": SD("M-0042"),
        "identity_assurance": SD({"method": "my_number_card", "verified_on": "2027-01-10"}),
    }
    return _apply(claims, changes)


def _apply(
    claims: dict[str, ClaimInput], changes: Mapping[str, ClaimInput]
) -> dict[str, ClaimInput]:
    """Set each changed claim; ``None`` removes it."""
    for name, value in changes.items():
        if value is None:
            del claims[name]
        else:
            claims[name] = value
    return claims


class Issued:
    """A payload built and processed by the SD-JWT core, optionally with only some
    Disclosures (those under the given top-level claims) as a Verifier would receive."""

    def __init__(self, claims: dict[str, ClaimInput], *, keep: set[str] | None = None) -> None:
        built = build_sd_payload(claims, random=SeededRandom("type-metadata"), decoys=DecoyPolicy())
        full = process_payload(built.payload, built.disclosures, sd_alg=SdAlg.SHA_256, max_depth=16)
        chosen = [
            item.disclosure
            for item in full.disclosed
            if keep is None or (isinstance(item.path[0], str) and item.path[0] in keep)
        ]
        part = process_payload(built.payload, chosen, sd_alg=SdAlg.SHA_256, max_depth=16)
        self.issuer_payload = built.payload
        self.claims = part.claims
        self.disclosed_paths: frozenset[ClaimPath] = frozenset(i.path for i in part.disclosed)

    def validate(self, resolved: ResolvedTypeMetadata, *, holder_view: bool) -> None:
        validate_claims(
            resolved,
            issuer_payload=self.issuer_payload,
            processed_claims=self.claims,
            disclosed_paths=self.disclosed_paths,
            holder_view=holder_view,
        )


PREMIUM = resolve_type_metadata(PREMIUM_VCT, documents=DOCUMENTS, integrity=None)
BASIC = resolve_type_metadata(BASIC_VCT, documents=DOCUMENTS, integrity=None)


def _violation(call: Callable[[], object]) -> str:
    with pytest.raises(VerificationError) as caught:
        call()
    assert caught.value.code is ErrorCode.CLAIM_METADATA_VIOLATION
    return caught.value.detail


@pytest.mark.parametrize("holder_view", [True, False], ids=["holder", "verifier"])
def test_full_premium_credential_is_valid(holder_view: bool) -> None:
    Issued(registration_input()).validate(PREMIUM, holder_view=holder_view)


def test_full_basic_credential_is_valid() -> None:
    claims = registration_input(tier="basic", identity_assurance=None, valid_until=None)
    Issued(claims).validate(BASIC, holder_view=True)


@pytest.mark.parametrize(
    "keep",
    [set(), {"age_equal_or_over"}, {"stay", "home_prefecture"}, {"identity_assurance"}],
    ids=["nothing", "age", "stay", "identity"],
)
def test_presentation_without_mandatory_sd_claims_is_valid_at_a_verifier(keep: set[str]) -> None:
    """§4.6: absence of a selectively disclosable claim is no evidence of a missing one."""
    Issued(registration_input(), keep=keep).validate(PREMIUM, holder_view=False)


def test_absent_sd_mandatory_claim_is_accepted_at_a_verifier() -> None:
    issued = Issued(registration_input(identity_assurance=None))
    issued.validate(PREMIUM, holder_view=False)


def test_absent_mandatory_claim_is_a_violation_for_the_holder() -> None:
    issued = Issued(registration_input(identity_assurance=None))
    detail = _violation(lambda: issued.validate(PREMIUM, holder_view=True))
    assert '["identity_assurance"]' in detail


def test_absent_mandatory_plaintext_claim_is_a_violation_at_a_verifier() -> None:
    issued = Issued(registration_input(valid_until=None))
    detail = _violation(lambda: issued.validate(PREMIUM, holder_view=False))
    assert '["valid_until"]' in detail


def test_disclosed_object_missing_a_mandatory_never_member_is_a_violation() -> None:
    issued = Issued(
        registration_input(identity_assurance=SD({"verified_on": "2027-01-10"})),
        keep={"identity_assurance"},
    )
    detail = _violation(lambda: issued.validate(PREMIUM, holder_view=False))
    assert '["identity_assurance","method"]' in detail


def test_mandatory_absence_is_provable_when_the_object_has_no_digests() -> None:
    resolved = _single([{"path": ["x"], "mandatory": True}])
    without_digests = Issued({"vct": "urn:test:t"})
    with_digests = Issued({"vct": "urn:test:t", "y": SD(1)}, keep=set())
    _violation(lambda: without_digests.validate(resolved, holder_view=False))
    with_digests.validate(resolved, holder_view=False)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"registration_id": "R7kq2Z9xW3"}, '["registration_id"]'),
        ({"family_name#ja-Kana-JP": "ヤマダ"}, '["family_name#ja-Kana-JP"]'),
        (
            {"age_equal_or_over": SD({"18": True, "20": SD(True), "65": SD(False)})},
            '["age_equal_or_over","18"]',
        ),
        ({"stay": {"from": "2027-02-01", "until": "2027-03-31"}}, '["stay"]'),
    ],
    ids=["registration_id", "kana", "age-member", "stay"],
)
def test_sd_always_claim_in_plaintext_is_a_violation(
    changes: dict[str, ClaimInput], path: str
) -> None:
    issued = Issued(_apply(registration_input(), changes))
    assert path in _violation(lambda: issued.validate(PREMIUM, holder_view=False))


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"issuing_body": SD("011002")}, '["issuing_body"]'),
        ({"tier": SD("premium")}, '["tier"]'),
        ({"valid_until": SD("2028-01-14")}, '["valid_until"]'),
        ({"stay": SD({"from": SD("2027-02-01"), "until": "2027-03-31"})}, '["stay","from"]'),
        ({"relationship_types": SD(["visits", SD("dual_residence")])}, '["relationship_types",1]'),
    ],
    ids=["issuing_body", "tier", "valid_until", "stay-member", "array-element"],
)
def test_sd_never_claim_disclosed_is_a_violation(changes: dict[str, ClaimInput], path: str) -> None:
    issued = Issued(_apply(registration_input(), changes))
    assert path in _violation(lambda: issued.validate(PREMIUM, holder_view=True))


def test_sd_never_member_of_a_disclosed_object_is_accepted() -> None:
    """§4.6: not selectively disclosable "solely because one of its ancestors is"."""
    issued = Issued(registration_input(), keep={"stay"})
    assert ("stay",) in issued.disclosed_paths
    assert ("stay", "from") not in issued.disclosed_paths
    issued.validate(PREMIUM, holder_view=False)


def test_path_through_a_non_object_is_a_violation() -> None:
    issued = Issued(registration_input(stay=SD("2027-02-01/2027-03-31")))
    assert '["stay","from"]' in _violation(lambda: issued.validate(PREMIUM, holder_view=True))


# Appendix A.2's payload (Figure 29) as an issuer following the A.2 metadata would mark it.
def a2_input(**changes: ClaimInput) -> dict[str, ClaimInput]:
    degree_dates = {"Intergalactic Politics": "2020-05-15", "Space Navigation": "2018-06-20"}
    claims: dict[str, ClaimInput] = {
        "vct": "https://betelgeuse.example.com/education_credential/v42",
        "name": SD("Zaphod Beeblebrox"),
        "address": SD({"street_address": SD("42 Galaxy Way"), "city": "Betelgeuse City"}),
        "degrees": [
            SD({"field_of_study": field, "date_awarded": SD(day)})
            for field, day in degree_dates.items()
        ],
    }
    return _apply(claims, changes)


def test_wildcard_paths_accept_the_a2_credential() -> None:
    issued = Issued(a2_input())
    assert ("degrees", 1) in issued.disclosed_paths
    issued.validate(A2, holder_view=True)


def test_wildcard_paths_use_processed_positions() -> None:
    """Only the second degree is presented; it is element 0 after processing."""
    built = build_sd_payload(a2_input(), random=SeededRandom("a2"), decoys=DecoyPolicy())
    full = process_payload(built.payload, built.disclosures, sd_alg=SdAlg.SHA_256, max_depth=16)
    chosen = [
        item.disclosure
        for item in full.disclosed
        if item.path[:2] == ("degrees", 1) or item.path[0] == "name"
    ]
    part = process_payload(built.payload, chosen, sd_alg=SdAlg.SHA_256, max_depth=16)
    assert part.claims["degrees"] == [
        {"field_of_study": "Space Navigation", "date_awarded": "2018-06-20"}
    ]
    validate_claims(
        A2,
        issuer_payload=built.payload,
        processed_claims=part.claims,
        disclosed_paths=frozenset(i.path for i in part.disclosed),
        holder_view=False,
    )


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        (
            {"degrees": [{"field_of_study": "Space Navigation", "date_awarded": SD("2018")}]},
            '["degrees",0]',
        ),
        (
            {"degrees": [SD({"field_of_study": SD("Space Navigation"), "date_awarded": SD("x")})]},
            '["degrees",0,"field_of_study"]',
        ),
        (
            {"degrees": [SD({"field_of_study": "Physics", "date_awarded": "2018-06-20"})]},
            '["degrees",0,"date_awarded"]',
        ),
        ({"degrees": SD([SD({"field_of_study": "Physics"})])}, '["degrees"]'),
        ({"degrees": [SD("Physics")]}, '["degrees",null,"field_of_study"]'),
    ],
    ids=[
        "element-plaintext",
        "never-member-disclosed",
        "always-member-plaintext",
        "array-sd",
        "element-not-object",
    ],
)
def test_wildcard_paths_find_violations(changes: dict[str, ClaimInput], path: str) -> None:
    issued = Issued(a2_input(**changes))
    assert path in _violation(lambda: issued.validate(A2, holder_view=True))


def test_a2_mandatory_name_absent_only_matters_to_the_holder() -> None:
    issued = Issued(a2_input(), keep={"degrees"})
    issued.validate(A2, holder_view=False)
    missing = Issued(a2_input(name=None))
    _violation(lambda: missing.validate(A2, holder_view=True))
