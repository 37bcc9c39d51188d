"""``FURUSATO_NOTICE_LINK_DOMAINS``: the domains each body's notices may link to."""

from __future__ import annotations

import pytest

from furusato_vc.issuer.service.settings import parse_link_domains


def test_domains_per_body() -> None:
    parsed = parse_link_domains(
        " 042056=Kesennuma.lg.jp, kesennuma-kanko.jp ;203858=minamiminowa.jp;"
    )
    assert dict(parsed) == {
        "042056": ("kesennuma.lg.jp", "kesennuma-kanko.jp"),
        "203858": ("minamiminowa.jp",),
    }
    assert dict(parse_link_domains("")) == {}


@pytest.mark.parametrize("text", ["042056", "042056=", "042056=example.jp/path", "042056=例え.jp"])
def test_unreadable_domains_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="FURUSATO_NOTICE_LINK_DOMAINS"):
        parse_link_domains(text)
