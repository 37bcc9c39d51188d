"""The table of issuing bodies: 47 prefectures and 1,741 municipalities (全国地方公共団体コード).

A body is named by its 6-digit 全国地方公共団体コード: a 2-digit JIS X 0401 prefecture code, a
3-digit JIS X 0402 code within the prefecture and a check digit. The table ships as package data
(``data/bodies.csv``; provenance in ``data/README.md``) and holds exactly the bodies that may issue
a registration: 都道府県 and 市区町村 (市, 東京都の特別区, 町, 村). Codes that exist in the 総務省
scheme but are not issuers are **unknown bodies** here and are rejected like any unknown code:

- the 175 wards of the 20 designated cities (政令指定都市の行政区, e.g. 札幌市中央区
  011011): they are administrative divisions, not 地方公共団体;
- 一部事務組合 and 広域連合;
- the six 北方領土 villages (e.g. 色丹村 016951), which have codes but no functioning government.

English names
-------------
The CSV has no English names, so ``name_en`` is derived deterministically from the katakana
reading by :func:`romanize_katakana` (modified Hepburn, the style of most official English names):

- long vowels are written without macrons: オウ/オオ → ``o``, ウウ → ``u`` (トウキョウ → Tokyo,
  オオサカ → Osaka, ユウバリ → Yubari); ー is dropped; エイ and イイ stay ``ei`` and ``ii``;
- ッ doubles the next consonant, and ``t`` before ``ch`` (クッチャン → Kutchan);
- ン is always ``n`` (グンマ → Gunma), with no apostrophe before a vowel or ``y``
  (カンオンジ → Kanonji, シンオンセン → Shinonsen);
- ヂ → ``ji``, ヅ → ``zu`` (オヂヤ → Ojiya, カヅノ → Kazuno).

The kind suffix (シ, ク, マチ/チョウ, ムラ/ソン) is removed from the reading and an English word is
appended: ``"Hirosaki City"``, ``"Shiwa Town"``, ``"Minamiminowa Village"``. Tokyo's special wards
are ``"City"``, as in their own English names (``"Chiyoda City"``). Prefectures: 県 and 府 are
``"<Name> Prefecture"`` (``"Aomori Prefecture"``, ``"Osaka Prefecture"``, as those governments
style themselves, and so that the prefecture is not confused with its capital city); 東京都 is
``"Tokyo"`` and 北海道 is ``"Hokkaido"``, which are unambiguous. ``display_name_en`` joins a
municipality and its prefecture: ``"Sapporo City, Hokkaido"``, ``"Hirosaki City, Aomori
Prefecture"``.

This is mechanical, not the official English name of every body. Known differences: ン before
b/m/p (丹波篠山市 is officially "Tambasasayama", here "Tanbasasayama"); ウ or オ that begin a new
word after an o-sound are merged as if they were a long vowel, and hyphens are never written
(山陽小野田市 is officially "Sanyo-Onoda", here "Sanyonoda"). Show ``name_ja`` wherever the name
matters.

The tabulated readings write a few 拗音 with large kana (庄内町 シヨウナイマチ,
北谷町 チヤタンチョウ), which would give "Shiyonai" and "Chiyatan". For the English name only,
those readings are corrected in ``_YOON_FIXES`` (small kana restored, nothing else changed);
``name_kana`` stays as tabulated. Large kana that are right (千代田 チヨダ, 清里 キヨサト,
仁淀川 ニヨドガワ) are untouched.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, FormatError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "Body",
    "BodyKind",
    "BodyRegistry",
    "check_digit",
    "load_bodies",
    "parse_bodies_csv",
    "prefecture_code_of",
    "romanize_katakana",
    "validate_body_code",
]

_FIVE_DIGITS: Final = re.compile(r"[0-9]{5}")
_SIX_DIGITS: Final = re.compile(r"[0-9]{6}")
_TWO_DIGITS: Final = re.compile(r"[0-9]{2}")
_PREFECTURE_COUNT: Final = 47
_TOKYO_JIS: Final = "13"


# --------------------------------------------------------------------------- codes


def check_digit(five_digits: str) -> str:
    """The JIS X 0402 check digit (検査数字) of a 5-digit 全国地方公共団体コード.

    ``S = 6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5``, ``r = S mod 11``, check = last digit of ``11 − r``
    (so r = 0 gives 1 and r = 1 gives 0). Example: 01100 (札幌市) → ``"2"``.

    Raises:
        ValueError: ``five_digits`` is not exactly five ASCII digits (a programmer error; use
            :func:`validate_body_code` for untrusted input).
    """
    if not _FIVE_DIGITS.fullmatch(five_digits):
        raise ValueError("check_digit needs exactly five ASCII digits")
    # 総務省「全国地方公共団体コード」検査数字: weights 6..2, modulus 11.
    d = [ord(c) - 48 for c in five_digits]
    total = 6 * d[0] + 5 * d[1] + 4 * d[2] + 3 * d[3] + 2 * d[4]
    return str((11 - total % 11) % 10)


@functools.lru_cache(maxsize=4096)  # pure; verifiers see the same few codes all day
def validate_body_code(code: str) -> str:
    """Check that ``code`` is a well-formed 6-digit 全国地方公共団体コード and return it.

    Only the 6-digit form with its check digit is accepted: not the 5-digit form, not full-width
    digits, no surrounding whitespace. Whether the body exists is :meth:`BodyRegistry.get`'s job.

    Raises:
        FormatError: ``invalid_body_code`` if the code is not six ASCII digits or its check digit
            is wrong.
    """
    if not _SIX_DIGITS.fullmatch(code):
        raise FormatError(ErrorCode.INVALID_BODY_CODE, "body code must be six ASCII digits")
    if check_digit(code[:5]) != code[5]:
        raise FormatError(ErrorCode.INVALID_BODY_CODE, "body code check digit is wrong")
    return code


@functools.cache
def _prefecture_code(jis_prefecture: str) -> str:
    five = f"{jis_prefecture}000"
    return five + check_digit(five)


def prefecture_code_of(body_code: str) -> str:
    """The 6-digit code of the prefecture a body belongs to (a prefecture is its own):
    JIS X 0401 digits + ``000`` + check digit. No table lookup; ``body_code`` must be valid."""
    return _prefecture_code(body_code[:2])


# --------------------------------------------------------------------------- kinds


class BodyKind(StrEnum):
    """What kind of 地方公共団体 a body is. Values are those of the ``kind`` column."""

    PREFECTURE = "prefecture"
    CITY = "city"
    SPECIAL_WARD = "ward"
    TOWN = "town"
    VILLAGE = "village"

    @property
    def label_ja(self) -> str:
        return _LABEL_JA[self]

    @property
    def label_en(self) -> str:
        return _LABEL_EN[self]


_LABEL_JA: Final = {
    BodyKind.PREFECTURE: "都道府県",
    BodyKind.CITY: "市",
    BodyKind.SPECIAL_WARD: "特別区",
    BodyKind.TOWN: "町",
    BodyKind.VILLAGE: "村",
}
_LABEL_EN: Final = {
    BodyKind.PREFECTURE: "Prefecture",
    BodyKind.CITY: "City",
    BodyKind.SPECIAL_WARD: "Special ward",
    BodyKind.TOWN: "Town",
    BodyKind.VILLAGE: "Village",
}
# How a name and its reading end, per kind; the word appended to the romanised name.
_NAME_SUFFIX: Final = {
    BodyKind.CITY: ("市",),
    BodyKind.SPECIAL_WARD: ("区",),
    BodyKind.TOWN: ("町",),
    BodyKind.VILLAGE: ("村",),
}
_KANA_SUFFIX: Final = {
    BodyKind.CITY: ("シ",),
    BodyKind.SPECIAL_WARD: ("ク",),
    BodyKind.TOWN: ("マチ", "チョウ"),
    BodyKind.VILLAGE: ("ムラ", "ソン"),
}
_EN_SUFFIX: Final = {
    BodyKind.CITY: "City",
    BodyKind.SPECIAL_WARD: "City",  # Tokyo's special wards call themselves "… City" in English
    BodyKind.TOWN: "Town",
    BodyKind.VILLAGE: "Village",
}
# Readings tabulated with a large ヤ/ユ/ヨ where the name has a 拗音 (checked one by one against
# the official English names); used for ``name_en`` only. A test pins that each differs from the
# table only in the size of those kana.
_YOON_FIXES: Final = MappingProxyType(
    {
        "064289": "ショウナイマチ",  # 山形県庄内町 Shonai
        "104213": "ナカノジョウマチ",  # 群馬県中之条町 Nakanojo
        "112062": "ギョウダシ",  # 埼玉県行田市 Gyoda
        "112119": "ホンジョウシ",  # 埼玉県本庄市 Honjo
        "112160": "ハニュウシ",  # 埼玉県羽生市 Hanyu
        "124036": "クジュウクリマチ",  # 千葉県九十九里町 Kujukuri
        "124435": "オンジュクマチ",  # 千葉県御宿町 Onjuku
        "124630": "キョナンマチ",  # 千葉県鋸南町 Kyonan
        "253847": "リュウオウチョウ",  # 滋賀県竜王町 Ryuo
        "272299": "シジョウナワテシ",  # 大阪府四條畷市 Shijonawate
        "294268": "コウリョウチョウ",  # 奈良県広陵町 Koryo
        "332089": "ソウジャシ",  # 岡山県総社市 Soja
        "335860": "シンジョウソン",  # 岡山県新庄村 Shinjo
        "473260": "チャタンチョウ",  # 沖縄県北谷町 Chatan
    }
)

# 都道府県: name suffix → (reading suffix, English suffix).
_PREFECTURE_SUFFIX: Final = {
    "県": ("ケン", " Prefecture"),
    "府": ("フ", " Prefecture"),
    "都": ("ト", ""),
    "道": ("", ""),
}


# --------------------------------------------------------------------------- romanisation

_KANA: Final = {
    **dict(zip("アイウエオ", ("a", "i", "u", "e", "o"), strict=True)),
    **dict(zip("カキクケコ", ("ka", "ki", "ku", "ke", "ko"), strict=True)),
    **dict(zip("ガギグゲゴ", ("ga", "gi", "gu", "ge", "go"), strict=True)),
    **dict(zip("サシスセソ", ("sa", "shi", "su", "se", "so"), strict=True)),
    **dict(zip("ザジズゼゾ", ("za", "ji", "zu", "ze", "zo"), strict=True)),
    **dict(zip("タチツテト", ("ta", "chi", "tsu", "te", "to"), strict=True)),
    **dict(zip("ダヂヅデド", ("da", "ji", "zu", "de", "do"), strict=True)),
    **dict(zip("ナニヌネノ", ("na", "ni", "nu", "ne", "no"), strict=True)),
    **dict(zip("ハヒフヘホ", ("ha", "hi", "fu", "he", "ho"), strict=True)),
    **dict(zip("バビブベボ", ("ba", "bi", "bu", "be", "bo"), strict=True)),
    **dict(zip("パピプペポ", ("pa", "pi", "pu", "pe", "po"), strict=True)),
    **dict(zip("マミムメモ", ("ma", "mi", "mu", "me", "mo"), strict=True)),
    **dict(zip("ヤユヨ", ("ya", "yu", "yo"), strict=True)),
    **dict(zip("ラリルレロ", ("ra", "ri", "ru", "re", "ro"), strict=True)),
    **dict(zip("ワヰヱヲ", ("wa", "i", "e", "o"), strict=True)),
    "ン": "n",
    "ヴ": "vu",
}
# 拗音: an i-row kana + small ャ/ュ/ョ.
_YOON_STEM: Final = {
    "キ": "ky",
    "ギ": "gy",
    "シ": "sh",
    "ジ": "j",
    "チ": "ch",
    "ヂ": "j",
    "ニ": "ny",
    "ヒ": "hy",
    "ビ": "by",
    "ピ": "py",
    "ミ": "my",
    "リ": "ry",
}
_SMALL_Y: Final = {"ャ": "a", "ュ": "u", "ョ": "o"}
# Loan-word combinations with small vowels (not in the table today, but readings may gain them).
_EXTENDED: Final = {
    "ファ": "fa",
    "フィ": "fi",
    "フェ": "fe",
    "フォ": "fo",
    "ティ": "ti",
    "ディ": "di",
    "トゥ": "tu",
    "ドゥ": "du",
    "ウィ": "wi",
    "ウェ": "we",
    "ウォ": "wo",
    "シェ": "she",
    "ジェ": "je",
    "チェ": "che",
    "ツァ": "tsa",
    "ヴァ": "va",
    "ヴィ": "vi",
    "ヴェ": "ve",
    "ヴォ": "vo",
}
_DIGRAPHS: Final = {
    **{
        stem + small: roman + vowel
        for stem, roman in _YOON_STEM.items()
        for small, vowel in _SMALL_Y.items()
    },
    **_EXTENDED,
}
_SOKUON: Final = "ッ"
_CHOONPU: Final = "ー"


def romanize_katakana(kana: str) -> str:
    """Romanise a full-width katakana reading in modified Hepburn without macrons, lower case.

    Rules (see the module docstring): オウ/オオ → o, ウウ → u, ー dropped, ッ doubles the next
    consonant (``tch`` before ``ch``), ン → n with no apostrophe, ヂ → ji, ヅ → zu.
    ``romanize_katakana("サッポロ") == "sapporo"``.

    Raises:
        ValueError: ``kana`` contains anything other than full-width katakana, or a small kana
            that does not follow a kana it can combine with.
    """
    syllables: list[str] = []
    double_next = False
    i = 0
    while i < len(kana):
        pair = kana[i : i + 2]
        char = kana[i]
        if pair in _DIGRAPHS:
            roman = _DIGRAPHS[pair]
            i += 2
        elif char in _KANA:
            roman = _KANA[char]
            i += 1
        elif char == _SOKUON:
            double_next = True
            i += 1
            continue
        elif char == _CHOONPU:
            # Long vowels are not marked in this convention.
            double_next = False
            i += 1
            continue
        else:
            raise ValueError(f"cannot romanise {char!r} at position {i}")
        previous = syllables[-1] if syllables else ""
        if (roman == "u" and previous.endswith(("o", "u"))) or (
            roman == "o" and previous.endswith("o")
        ):
            double_next = False
            continue  # long vowel: オウ, オオ, ウウ
        if double_next and roman[0] not in "aeioun":
            roman = ("t" if roman.startswith("ch") else roman[0]) + roman
        double_next = False
        syllables.append(roman)
    return "".join(syllables)


def _strip_suffix(text: str, suffixes: tuple[str, ...], what: str) -> str:
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    raise ValueError(f"{what} {text!r} does not end with one of {suffixes}")


def _english_name(kind: BodyKind, name_ja: str, name_kana: str) -> str:
    if kind is BodyKind.PREFECTURE:
        kana_suffix, en_suffix = _PREFECTURE_SUFFIX[name_ja[-1]]
        stem = _strip_suffix(name_kana, (kana_suffix,), "reading") if kana_suffix else name_kana
        return romanize_katakana(stem).capitalize() + en_suffix
    stem = _strip_suffix(name_kana, _KANA_SUFFIX[kind], "reading")
    return f"{romanize_katakana(stem).capitalize()} {_EN_SUFFIX[kind]}"


# --------------------------------------------------------------------------- bodies


@dataclass(frozen=True, slots=True, kw_only=True)
class Body:
    """One issuing body: a prefecture or a municipality.

    ``prefecture_code`` is the 6-digit code of its prefecture (a prefecture is its own).

    Raises:
        ValueError: on construction, if the code is malformed, the kind does not match the code
            (prefectures are ``xx000c``; special wards exist only in 東京都) or ``prefecture_code``
            is not the code's prefecture.
    """

    code: str
    kind: BodyKind
    name_ja: str
    name_kana: str
    name_en: str
    prefecture_code: str
    prefecture_name_ja: str
    prefecture_name_en: str

    def __post_init__(self) -> None:
        try:
            validate_body_code(self.code)
        except FormatError as error:
            raise ValueError(f"body {self.code!r}: {error.detail}") from None
        if (self.kind is BodyKind.PREFECTURE) != (self.code[2:5] == "000"):
            raise ValueError(f"body {self.code}: kind {self.kind} does not match its code")
        if self.kind is BodyKind.SPECIAL_WARD and self.code[:2] != _TOKYO_JIS:
            raise ValueError(f"body {self.code}: special wards exist only in 東京都")
        if self.prefecture_code != _prefecture_code(self.code[:2]):
            raise ValueError(f"body {self.code}: wrong prefecture code {self.prefecture_code}")
        if not (self.name_ja and self.name_kana and self.name_en and self.prefecture_name_ja):
            raise ValueError(f"body {self.code}: empty name")

    @property
    def jis_prefecture(self) -> str:
        """The 2-digit JIS X 0401 prefecture code (``"01"`` 北海道 … ``"47"`` 沖縄県)."""
        return self.code[:2]

    @property
    def is_prefecture(self) -> bool:
        return self.kind is BodyKind.PREFECTURE

    @property
    def display_name_ja(self) -> str:
        """Prefecture and name, e.g. ``"北海道札幌市"``; a prefecture is just its name."""
        return self.name_ja if self.is_prefecture else self.prefecture_name_ja + self.name_ja

    @property
    def display_name_en(self) -> str:
        """Name and prefecture, e.g. ``"Sapporo City, Hokkaido"``; a prefecture is its name."""
        return self.name_en if self.is_prefecture else f"{self.name_en}, {self.prefecture_name_en}"


class BodyRegistry:
    """An immutable table of issuing bodies, looked up by 6-digit code.

    Iteration and every tuple returned are in code order. Codes of designated-city wards,
    一部事務組合 and 北方領土 villages are not in the table and are "unknown body".
    """

    __slots__ = ("_by_code", "_municipalities", "_prefectures")

    _by_code: dict[str, Body]
    _prefectures: dict[str, Body]
    _municipalities: dict[str, tuple[Body, ...]]

    def __init__(self, bodies: Iterable[Body]) -> None:
        """Build the table.

        Raises:
            ValueError: a code appears twice, the 47 prefectures 01–47 are not all present, or a
                municipality's prefecture names differ from its prefecture's.
        """
        by_code: dict[str, Body] = {}
        for body in sorted(bodies, key=lambda b: b.code):
            if body.code in by_code:
                raise ValueError(f"duplicate body code {body.code}")
            by_code[body.code] = body
        prefectures = {b.jis_prefecture: b for b in by_code.values() if b.is_prefecture}
        expected = {f"{n:02d}" for n in range(1, _PREFECTURE_COUNT + 1)}
        if set(prefectures) != expected:
            raise ValueError("the table must hold exactly the 47 prefectures 01-47")
        municipalities: dict[str, list[Body]] = {jis: [] for jis in prefectures}
        for body in by_code.values():
            prefecture = prefectures[body.jis_prefecture]
            if (body.prefecture_name_ja, body.prefecture_name_en) != (
                prefecture.name_ja,
                prefecture.name_en,
            ):
                raise ValueError(f"body {body.code}: prefecture name does not match")
            if not body.is_prefecture:
                municipalities[body.jis_prefecture].append(body)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_prefectures", prefectures)
        object.__setattr__(
            self, "_municipalities", {jis: tuple(bs) for jis, bs in municipalities.items()}
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Body]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __repr__(self) -> str:
        return f"<BodyRegistry: {len(self)} bodies>"

    def find(self, code: str) -> Body | None:
        """The body with this code, or ``None`` if the well-formed code is not in the table.

        Raises:
            FormatError: ``invalid_body_code`` if the code is malformed.
        """
        return self._by_code.get(validate_body_code(code))

    def get(self, code: str) -> Body:
        """The body with this code.

        Raises:
            FormatError: ``invalid_body_code`` if the code is malformed or not in the table
                ("unknown body": includes designated-city wards, 一部事務組合, 北方領土).
        """
        body = self.find(code)
        if body is None:
            raise FormatError(ErrorCode.INVALID_BODY_CODE, "unknown body")
        return body

    def prefecture_of(self, code: str) -> Body:
        """The prefecture of the body with this code (a prefecture is its own).

        Raises:
            FormatError: ``invalid_body_code`` if the code is malformed or not in the table.
        """
        return self._prefectures[self.get(code).jis_prefecture]

    def prefecture_by_jis(self, two_digits: str) -> Body:
        """The prefecture with this 2-digit JIS X 0401 code, e.g. ``"13"`` → 東京都.

        Raises:
            FormatError: ``invalid_body_code`` if it is not two ASCII digits 01–47.
        """
        prefecture = (
            self._prefectures.get(two_digits) if _TWO_DIGITS.fullmatch(two_digits) else None
        )
        if prefecture is None:
            raise FormatError(ErrorCode.INVALID_BODY_CODE, "not a JIS X 0401 prefecture code")
        return prefecture

    def prefectures(self) -> tuple[Body, ...]:
        """The 47 prefectures in code order."""
        return tuple(self._prefectures[jis] for jis in sorted(self._prefectures))

    def municipalities_of(self, prefecture_code: str) -> tuple[Body, ...]:
        """The municipalities (市, 特別区, 町, 村) of a prefecture, in code order.

        Raises:
            FormatError: ``invalid_body_code`` if the code is malformed, unknown, or not a
                prefecture's code.
        """
        body = self.get(prefecture_code)
        if not body.is_prefecture:
            raise FormatError(ErrorCode.INVALID_BODY_CODE, "not a prefecture code")
        return self._municipalities[body.jis_prefecture]


# --------------------------------------------------------------------------- the CSV

_HEADER: Final = ("code", "kind", "prefecture", "name", "prefecture_kana", "name_kana")


def parse_bodies_csv(text: str) -> BodyRegistry:
    """Parse the bodies table (``code,kind,prefecture,name,prefecture_kana,name_kana``).

    Every row is checked: six-digit code with a valid check digit, a known kind that matches both
    the code and the name's suffix (市/区/町/村, 都道府県), a reading that ends in the kind's
    suffix, a prefecture that is in the table with the same name and reading, no duplicates.

    Raises:
        ValueError: the table is corrupt (it is package data, so this is a bug, not bad input).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader, None)
    if header is None or tuple(header) != _HEADER:
        raise ValueError(f"bodies table header must be {','.join(_HEADER)}")
    rows: list[tuple[str, ...]] = []
    for line_number, row in enumerate(reader, start=2):
        if len(row) != len(_HEADER):
            raise ValueError(f"bodies table line {line_number}: expected {len(_HEADER)} fields")
        if any(field != field.strip() or not field for field in row):
            raise ValueError(f"bodies table line {line_number}: empty or padded field")
        rows.append(tuple(row))

    # Prefectures first: every municipality's row is checked against its prefecture's row.
    prefecture_rows: dict[str, tuple[str, str, str]] = {}  # jis → (name, kana, English)
    for code, kind, prefecture, name, prefecture_kana, name_kana in rows:
        if kind != BodyKind.PREFECTURE:
            continue
        if (prefecture, prefecture_kana) != (name, name_kana) or name[-1] not in _PREFECTURE_SUFFIX:
            raise ValueError(f"bodies table {code}: inconsistent prefecture row")
        english = _english_name(BodyKind.PREFECTURE, name, name_kana)
        if prefecture_rows.setdefault(code[:2], (name, name_kana, english))[0] != name:
            raise ValueError(f"bodies table {code}: two prefectures share JIS code {code[:2]}")

    bodies: list[Body] = []
    for code, kind_value, prefecture, name, prefecture_kana, name_kana in rows:
        try:
            kind = BodyKind(kind_value)
        except ValueError:
            raise ValueError(f"bodies table {code}: unknown kind {kind_value!r}") from None
        own = prefecture_rows.get(code[:2])
        if own is None or own[:2] != (prefecture, prefecture_kana):
            raise ValueError(f"bodies table {code}: prefecture does not match its code")
        if kind is not BodyKind.PREFECTURE:
            _strip_suffix(name, _NAME_SUFFIX[kind], "name")
        bodies.append(
            Body(
                code=code,
                kind=kind,
                name_ja=name,
                name_kana=name_kana,
                name_en=_english_name(kind, name, _YOON_FIXES.get(code, name_kana)),
                prefecture_code=_prefecture_code(code[:2]),
                prefecture_name_ja=prefecture,
                prefecture_name_en=own[2],
            )
        )
    return BodyRegistry(bodies)


@functools.cache
def load_bodies() -> BodyRegistry:
    """The bundled table (47 prefectures and 1,741 municipalities), parsed once and cached.

    Reading the package's own immutable data is the only file access here.

    Raises:
        ValueError: the bundled table is corrupt.
    """
    data = resources.files("furusato_vc.core.registration") / "data" / "bodies.csv"
    return parse_bodies_csv(data.read_bytes().decode("utf-8"))
