"""Dependency hygiene (security catalogue C-9): the runtime depends on ``cryptography`` for all
cryptography; pure-Python ECDSA (``ecdsa``, Minerva timing leaks) and ``python-jose``
(algorithm-confusion history) must never be installed alongside it."""

from __future__ import annotations

from importlib import metadata

import pytest

FORBIDDEN = ("ecdsa", "python-jose")


def _requirement_names(dist: str) -> set[str]:
    names = set()
    for requirement in metadata.requires(dist) or []:
        if "extra ==" in requirement:
            continue
        name = requirement.split(";")[0].strip()
        for stop in "<>=!~[ ":
            name = name.split(stop)[0]
        names.add(name.lower())
    return names


def test_runtime_dependencies_are_only_cryptography() -> None:
    assert _requirement_names("furusato-vc") == {"cryptography"}


@pytest.mark.parametrize("name", FORBIDDEN)
def test_forbidden_package_is_not_installed(name: str) -> None:
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution(name)
