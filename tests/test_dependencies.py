"""Dependency hygiene (security catalogue C-9): the runtime depends on ``cryptography`` for all
cryptography and on ``cbor2`` for CBOR; pure-Python ECDSA (``ecdsa``, Minerva timing leaks)
and ``python-jose`` (algorithm-confusion history) must never be in its dependency closure.
(Test-only oracles may pull them into the development environment: pycose needs ``ecdsa``.)"""

from __future__ import annotations

import re
from importlib import metadata

import pytest

FORBIDDEN = ("ecdsa", "python-jose")
_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_requirements(dist: str) -> set[str]:
    names = set()
    for requirement in metadata.requires(dist) or []:
        if "extra ==" in requirement:
            continue
        match = _NAME.match(requirement.strip())
        if match:
            names.add(_normalise(match.group(0)))
    return names


def _closure(dist: str) -> set[str]:
    seen: set[str] = set()
    todo = [dist]
    while todo:
        name = _normalise(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            todo.extend(_runtime_requirements(name))
        except metadata.PackageNotFoundError:
            continue
    return seen - {_normalise(dist)}


def test_runtime_dependencies_are_cryptography_and_cbor2() -> None:
    assert _runtime_requirements("furusato-vc") == {"cryptography", "cbor2"}


@pytest.mark.parametrize("name", FORBIDDEN)
def test_forbidden_package_is_not_in_the_runtime_closure(name: str) -> None:
    assert _normalise(name) not in _closure("furusato-vc")
