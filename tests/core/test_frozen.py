"""Positional constructors for frozen, slotted dataclasses (:mod:`furusato_vc.core.frozen`).

An instance built by :func:`slot_constructor` must be indistinguishable from one built by the
dataclass ``__init__``: equal, same repr and hash, still frozen, and usable with
``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from furusato_vc.core.frozen import slot_constructor
from furusato_vc.core.sdjwt.disclosure import Disclosure, parse_disclosure
from furusato_vc.core.sdjwt.processing import DisclosedClaim
from furusato_vc.core.sdjwt.verification import VerifiedKeyBinding


@dataclass(frozen=True, slots=True, kw_only=True)
class _Point:
    x: int
    y: int
    label: str | None = None


def test_same_as_init() -> None:
    new = slot_constructor(_Point)
    built = new(1, 2, "a")
    reference = _Point(x=1, y=2, label="a")
    assert type(built) is _Point
    assert built == reference
    assert repr(built) == repr(reference)
    assert hash(built) == hash(reference)
    assert dataclasses.replace(built, y=5) == _Point(x=1, y=5, label="a")
    assert [f.name for f in dataclasses.fields(built)] == ["x", "y", "label"]


def test_still_frozen() -> None:
    built = slot_constructor(_Point)(1, 2, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.x = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del built.y
    # A new attribute fails exactly as on an instance from __init__ (no __dict__; CPython 3.11
    # raises TypeError from the frozen __setattr__ of a slotted class, later versions differ).
    reference = _Point(x=1, y=2)
    for instance in (built, reference):
        with pytest.raises((AttributeError, TypeError)):
            instance.z = 3  # type: ignore[attr-defined]


def test_every_field_is_required() -> None:
    with pytest.raises(TypeError):
        slot_constructor(_Point)(1, 2)


def test_parsed_disclosure_equals_init() -> None:
    encoded = "WyJzYWx0IiwiZmFtaWx5X25hbWUiLCJZYW1hZGEiXQ"
    parsed = parse_disclosure(encoded)
    assert parsed == Disclosure(encoded=encoded, salt="salt", name="family_name", value="Yamada")
    claim = slot_constructor(DisclosedClaim)(parsed, ("family_name",))
    assert claim == DisclosedClaim(disclosure=parsed, path=("family_name",))


@dataclass(frozen=True, slots=True)
class _Validated:
    x: int

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError


@dataclass(frozen=True, slots=True)
class _Derived:
    x: int
    twice: int = field(init=False)


@dataclass(frozen=True)
class _NoSlots:
    x: int


@dataclass(slots=True)
class _Mutable:
    x: int


@dataclass(frozen=True, slots=True)
class _Clash:
    self: int


@pytest.mark.parametrize("cls", [_Validated, _Derived, _NoSlots, _Mutable, _Clash, int])
def test_refuses_classes_whose_init_does_more(cls: type) -> None:
    with pytest.raises(TypeError):
        slot_constructor(cls)


def test_result_types_accept_constructor() -> None:
    # The hot result types keep a plain storing __init__ (no __post_init__, no init=False).
    slot_constructor(VerifiedKeyBinding)
