"""The table of issuing bodies in :mod:`furusato_vc.core.registration.bodies`.

Domain rules §3: 全国地方公共団体コード structure, the JIS X 0402 check digit (§3.2, worked examples
including r = 0 and r = 1), and the counts (§3.3: 47 + 792 + 23 + 743 + 183 = 1,788).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.registration.bodies import (
    _YOON_FIXES,
    Body,
    BodyKind,
    BodyRegistry,
    check_digit,
    load_bodies,
    parse_bodies_csv,
    romanize_katakana,
    validate_body_code,
)

DATA = resources.files("furusato_vc.core.registration") / "data"
CSV_TEXT = (DATA / "bodies.csv").read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def bodies() -> BodyRegistry:
    return load_bodies()


def _code_of(call: object, *args: str) -> ErrorCode:
    assert callable(call)
    with pytest.raises(FormatError) as info:
        call(*args)
    return info.value.code


# --------------------------------------------------------------------------- counts


def test_table_has_1788_bodies(bodies: BodyRegistry) -> None:
    assert len(bodies) == 1788
    assert len(list(bodies)) == 1788


def test_counts_per_kind(bodies: BodyRegistry) -> None:
    counts = Counter(body.kind for body in bodies)
    assert counts == {
        BodyKind.PREFECTURE: 47,
        BodyKind.CITY: 792,
        BodyKind.SPECIAL_WARD: 23,
        BodyKind.TOWN: 743,
        BodyKind.VILLAGE: 183,
    }
    assert sum(n for kind, n in counts.items() if kind is not BodyKind.PREFECTURE) == 1741


def test_prefectures_are_the_47_in_code_order(bodies: BodyRegistry) -> None:
    prefectures = bodies.prefectures()
    assert [p.jis_prefecture for p in prefectures] == [f"{n:02d}" for n in range(1, 48)]
    assert prefectures[0].name_ja == "北海道"
    assert prefectures[-1].name_ja == "沖縄県"


def test_municipalities_of_every_prefecture_add_up_to_1741(bodies: BodyRegistry) -> None:
    total = sum(len(bodies.municipalities_of(p.code)) for p in bodies.prefectures())
    assert total == 1741


def test_municipalities_of_tokyo_include_the_23_special_wards(bodies: BodyRegistry) -> None:
    tokyo = bodies.municipalities_of("130001")
    assert sum(b.kind is BodyKind.SPECIAL_WARD for b in tokyo) == 23
    assert tokyo[0].name_ja == "千代田区"
    assert [b.code for b in tokyo] == sorted(b.code for b in tokyo)
    assert all(b.prefecture_code == "130001" for b in tokyo)


def test_special_wards_are_only_in_tokyo(bodies: BodyRegistry) -> None:
    assert {b.jis_prefecture for b in bodies if b.kind is BodyKind.SPECIAL_WARD} == {"13"}


def test_iteration_is_in_code_order(bodies: BodyRegistry) -> None:
    codes = [b.code for b in bodies]
    assert codes == sorted(codes)
    assert codes[0] == "010006"


# --------------------------------------------------------------------------- check digit


@pytest.mark.parametrize(
    ("five", "check"),
    [
        ("01100", "2"),  # 札幌市: S = 9, r = 9
        ("04205", "6"),  # 気仙沼市: S = 38, r = 5
        ("13101", "6"),  # 千代田区: S = 27, r = 5
        ("01213", "1"),  # 苫小牧市: S = 22, r = 0 → last digit of 11
        ("01205", "0"),  # 室蘭市: S = 23, r = 1 → last digit of 10
        ("04000", "2"),  # 宮城県: S = 20, r = 9
    ],
)
def test_check_digit_worked_examples(five: str, check: str) -> None:
    assert check_digit(five) == check
    assert validate_body_code(five + check) == five + check


def test_check_digit_maps_remainders_0_and_10_to_the_same_digit() -> None:
    # r = 10 also gives 1: 01218 (S = 32) shares 苫小牧市's check digit, so this single-digit
    # change (3 → 8) is not caught by the check digit; the table lookup catches it.
    assert check_digit("01218") == check_digit("01213") == "1"


@pytest.mark.parametrize("bad", ["0110", "011002", "０１１００", "0110a", "", " 01100"])
def test_check_digit_rejects_anything_but_five_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="five ASCII digits"):
        check_digit(bad)


def test_every_code_in_the_table_validates(bodies: BodyRegistry) -> None:
    for body in bodies:
        assert validate_body_code(body.code) == body.code
        assert check_digit(body.code[:5]) == body.code[5]


@given(st.from_regex(r"[0-9]{5}", fullmatch=True))
def test_exactly_one_sixth_digit_validates(five: str) -> None:
    valid = [five + digit for digit in "0123456789" if _validates(five + digit)]
    assert valid == [five + check_digit(five)]


def _validates(code: str) -> bool:
    try:
        validate_body_code(code)
    except FormatError as error:
        if error.code is not ErrorCode.INVALID_BODY_CODE:
            raise
        return False
    return True


@pytest.mark.parametrize(
    "bad",
    [
        "01100",  # 5-digit form
        "0110020",  # 7 digits
        "０１１００２",  # full-width digits
        "٠١١٠٠٢",  # Arabic-Indic digits (str.isdigit would accept them)
        "01100a",
        "O11002",  # letter O
        "011003",  # wrong check digit
        "",
        " 011002",
        "011002\n",
        "01-100-2",
    ],
)
def test_malformed_codes_are_invalid_body_code(bad: str) -> None:
    assert _code_of(validate_body_code, bad) is ErrorCode.INVALID_BODY_CODE


def test_invalid_body_code_is_a_format_error() -> None:
    assert ErrorCode.INVALID_BODY_CODE.family.value == "format"


# --------------------------------------------------------------------------- lookups


def test_get_returns_the_body(bodies: BodyRegistry) -> None:
    sapporo = bodies.get("011002")
    assert sapporo.name_ja == "札幌市"
    assert sapporo.name_kana == "サッポロシ"
    assert sapporo.kind is BodyKind.CITY
    assert bodies.find("011002") is sapporo
    assert "011002" in bodies


@pytest.mark.parametrize(
    "code",
    [
        "011011",  # 札幌市中央区: a designated-city ward, not an issuer
        "016951",  # 色丹村: a 北方領土 village
        "990001",  # well-formed, no such prefecture
    ],
)
def test_unknown_well_formed_code_is_unknown_body(bodies: BodyRegistry, code: str) -> None:
    assert validate_body_code(code) == code
    assert bodies.find(code) is None
    assert code not in bodies
    with pytest.raises(FormatError, match="unknown body") as info:
        bodies.get(code)
    assert info.value.code is ErrorCode.INVALID_BODY_CODE


@pytest.mark.parametrize("bad", ["01100", "011003", "０１１００２", ""])
def test_lookups_reject_malformed_codes(bodies: BodyRegistry, bad: str) -> None:
    assert _code_of(bodies.get, bad) is ErrorCode.INVALID_BODY_CODE
    assert _code_of(bodies.find, bad) is ErrorCode.INVALID_BODY_CODE
    assert _code_of(bodies.prefecture_of, bad) is ErrorCode.INVALID_BODY_CODE
    assert _code_of(bodies.municipalities_of, bad) is ErrorCode.INVALID_BODY_CODE
    assert bad not in bodies


def test_contains_ignores_non_strings(bodies: BodyRegistry) -> None:
    assert 11002 not in bodies


# --------------------------------------------------------------------------- prefectures


@pytest.mark.parametrize(
    ("code", "prefecture_code", "prefecture_name"),
    [
        ("011002", "010006", "北海道"),  # 札幌市
        ("131016", "130001", "東京都"),  # 千代田区
        ("042056", "040002", "宮城県"),  # 気仙沼市
        ("203858", "200000", "長野県"),  # 南箕輪村
    ],
)
def test_prefecture_derivation(
    bodies: BodyRegistry, code: str, prefecture_code: str, prefecture_name: str
) -> None:
    body = bodies.get(code)
    assert body.prefecture_code == prefecture_code
    assert body.prefecture_name_ja == prefecture_name
    assert bodies.prefecture_of(code).code == prefecture_code
    assert bodies.prefecture_of(code).name_ja == prefecture_name
    assert body.jis_prefecture == prefecture_code[:2]
    assert not body.is_prefecture


def test_a_prefecture_is_its_own_prefecture(bodies: BodyRegistry) -> None:
    for prefecture in bodies.prefectures():
        assert prefecture.is_prefecture
        assert prefecture.prefecture_code == prefecture.code
        assert bodies.prefecture_of(prefecture.code) is prefecture


def test_prefecture_of_an_unknown_body_is_unknown_body(bodies: BodyRegistry) -> None:
    assert _code_of(bodies.prefecture_of, "011011") is ErrorCode.INVALID_BODY_CODE


@pytest.mark.parametrize(("jis", "name"), [("01", "北海道"), ("13", "東京都"), ("47", "沖縄県")])
def test_prefecture_by_jis(bodies: BodyRegistry, jis: str, name: str) -> None:
    assert bodies.prefecture_by_jis(jis).name_ja == name


@pytest.mark.parametrize("bad", ["00", "48", "99", "1", "013", "１３", "ab", ""])
def test_prefecture_by_jis_rejects_non_prefecture_codes(bodies: BodyRegistry, bad: str) -> None:
    assert _code_of(bodies.prefecture_by_jis, bad) is ErrorCode.INVALID_BODY_CODE


def test_municipalities_of_a_municipality_is_rejected(bodies: BodyRegistry) -> None:
    with pytest.raises(FormatError, match="not a prefecture") as info:
        bodies.municipalities_of("011002")
    assert info.value.code is ErrorCode.INVALID_BODY_CODE


# --------------------------------------------------------------------------- kinds and display


def test_kind_values_and_labels() -> None:
    assert [(k.value, k.label_ja, k.label_en) for k in BodyKind] == [
        ("prefecture", "都道府県", "Prefecture"),
        ("city", "市", "City"),
        ("ward", "特別区", "Special ward"),
        ("town", "町", "Town"),
        ("village", "村", "Village"),
    ]


@pytest.mark.parametrize(
    ("code", "ja", "en"),
    [
        ("011002", "北海道札幌市", "Sapporo City, Hokkaido"),
        ("131016", "東京都千代田区", "Chiyoda City, Tokyo"),
        ("042056", "宮城県気仙沼市", "Kesennuma City, Miyagi Prefecture"),
        ("271004", "大阪府大阪市", "Osaka City, Osaka Prefecture"),
        ("033219", "岩手県紫波町", "Shiwa Town, Iwate Prefecture"),
        ("010006", "北海道", "Hokkaido"),
        ("130001", "東京都", "Tokyo"),
        ("020001", "青森県", "Aomori Prefecture"),
    ],
)
def test_display_names(bodies: BodyRegistry, code: str, ja: str, en: str) -> None:
    body = bodies.get(code)
    assert body.display_name_ja == ja
    assert body.display_name_en == en


def test_bodies_are_immutable(bodies: BodyRegistry) -> None:
    body = bodies.get("011002")
    with pytest.raises(dataclasses.FrozenInstanceError):
        body.name_ja = "函館市"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        bodies._by_code = {}


def test_body_rejects_inconsistent_fields(bodies: BodyRegistry) -> None:
    sapporo = bodies.get("011002")
    with pytest.raises(ValueError, match="check digit"):
        dataclasses.replace(sapporo, code="011003")
    with pytest.raises(ValueError, match="does not match its code"):
        dataclasses.replace(sapporo, kind=BodyKind.PREFECTURE)
    with pytest.raises(ValueError, match="only in 東京都"):
        dataclasses.replace(sapporo, kind=BodyKind.SPECIAL_WARD)
    with pytest.raises(ValueError, match="wrong prefecture code"):
        dataclasses.replace(sapporo, prefecture_code="130001")
    with pytest.raises(ValueError, match="empty name"):
        dataclasses.replace(sapporo, name_en="")


def test_registry_rejects_duplicates_and_missing_prefectures(bodies: BodyRegistry) -> None:
    everything = list(bodies)
    with pytest.raises(ValueError, match="duplicate"):
        BodyRegistry([*everything, bodies.get("011002")])
    with pytest.raises(ValueError, match="47 prefectures"):
        BodyRegistry(b for b in everything if b.code != "470007")


# --------------------------------------------------------------------------- English names


@pytest.mark.parametrize(
    ("code", "name_ja", "name_en"),
    [
        ("011002", "札幌市", "Sapporo City"),
        ("041009", "仙台市", "Sendai City"),
        ("042056", "気仙沼市", "Kesennuma City"),
        ("131016", "千代田区", "Chiyoda City"),
        ("131041", "新宿区", "Shinjuku City"),
        ("131130", "渋谷区", "Shibuya City"),
        ("131121", "世田谷区", "Setagaya City"),
        ("141003", "横浜市", "Yokohama City"),
        ("261009", "京都市", "Kyoto City"),
        ("271004", "大阪市", "Osaka City"),
        ("281000", "神戸市", "Kobe City"),
        ("472018", "那覇市", "Naha City"),
        ("012025", "函館市", "Hakodate City"),
        ("012033", "小樽市", "Otaru City"),
        ("012092", "夕張市", "Yubari City"),
        ("203858", "南箕輪村", "Minamiminowa Village"),
        ("082333", "行方市", "Namegata City"),
        ("033219", "紫波町", "Shiwa Town"),
        ("063223", "西川町", "Nishikawa Town"),
        ("014001", "倶知安町", "Kutchan Town"),  # ッチ → tch
        ("014702", "音威子府村", "Otoineppu Village"),
        ("052094", "鹿角市", "Kazuno City"),  # ヅ → zu
        ("152081", "小千谷市", "Ojiya City"),  # ヂ → ji
        ("072028", "会津若松市", "Aizuwakamatsu City"),
        ("072036", "郡山市", "Koriyama City"),  # オオ → o
        ("032085", "遠野市", "Tono City"),
        ("212024", "大垣市", "Ogaki City"),
        ("132055", "青梅市", "Ome City"),  # オウ → o
        ("092061", "日光市", "Nikko City"),
        ("083097", "大洗町", "Oarai Town"),
        ("252018", "大津市", "Otsu City"),
        ("434035", "大津町", "Ozu Town"),
        ("282146", "宝塚市", "Takarazuka City"),
        ("372056", "観音寺市", "Kanonji City"),  # ン before a vowel: no apostrophe
        ("285862", "新温泉町", "Shinonsen Town"),
        ("373249", "小豆島町", "Shodoshima Town"),
        ("363219", "佐那河内村", "Sanagochi Village"),
        ("336432", "西粟倉村", "Nishiawakura Village"),
        ("133647", "神津島村", "Kozushima Village"),
        ("393878", "仁淀川町", "Niyodogawa Town"),  # a large ヨ that is right
        ("064289", "庄内町", "Shonai Town"),  # reading corrected: シヨウナイ
        ("112062", "行田市", "Gyoda City"),  # reading corrected: ギヨウダ
        ("473260", "北谷町", "Chatan Town"),  # reading corrected: チヤタン
        ("010006", "北海道", "Hokkaido"),
        ("130001", "東京都", "Tokyo"),
        ("270008", "大阪府", "Osaka Prefecture"),
        ("260002", "京都府", "Kyoto Prefecture"),
        ("020001", "青森県", "Aomori Prefecture"),
        ("100005", "群馬県", "Gunma Prefecture"),
        ("280003", "兵庫県", "Hyogo Prefecture"),
        ("390003", "高知県", "Kochi Prefecture"),
        ("440001", "大分県", "Oita Prefecture"),
        ("310000", "鳥取県", "Tottori Prefecture"),
    ],
)
def test_english_names_of_well_known_bodies(
    bodies: BodyRegistry, code: str, name_ja: str, name_en: str
) -> None:
    body = bodies.get(code)
    assert body.name_ja == name_ja
    assert body.name_en == name_en


@pytest.mark.parametrize(
    ("code", "name_en", "official"),
    [
        ("282219", "Tanbasasayama City", "Tambasasayama City"),  # ン before b stays n
        ("352161", "Sanyonoda City", "Sanyo-Onoda City"),  # word break merged as a long vowel
    ],
)
def test_documented_differences_from_official_names(
    bodies: BodyRegistry, code: str, name_en: str, official: str
) -> None:
    assert bodies.get(code).name_en == name_en != official


_EN_NAME = re.compile(r"[A-Z][a-z]+( (City|Town|Village|Prefecture))?")


def test_every_english_name_is_one_capitalised_ascii_word_and_a_kind(bodies: BodyRegistry) -> None:
    for body in bodies:
        assert _EN_NAME.fullmatch(body.name_en), body.code
        word = {
            BodyKind.PREFECTURE: "" if body.code in {"010006", "130001"} else " Prefecture",
            BodyKind.CITY: " City",
            BodyKind.SPECIAL_WARD: " City",
            BodyKind.TOWN: " Town",
            BodyKind.VILLAGE: " Village",
        }[body.kind]
        assert body.name_en.endswith(word), body.code
        assert " " not in body.name_en.removesuffix(word), body.code


def test_yoon_fixes_only_change_the_size_of_kana(bodies: BodyRegistry) -> None:
    enlarge = str.maketrans("ャュョ", "ヤユヨ")
    for code, reading in _YOON_FIXES.items():
        tabulated = bodies.get(code).name_kana
        assert tabulated != reading
        assert len(tabulated) == len(reading)
        assert all(
            t == r or r.translate(enlarge) == t for t, r in zip(tabulated, reading, strict=True)
        )


@pytest.mark.parametrize(
    ("kana", "roman"),
    [
        ("サッポロ", "sapporo"),
        ("トウキョウ", "tokyo"),  # オウ, ョウ → o
        ("オオサカ", "osaka"),  # オオ → o
        ("ユウバリ", "yubari"),  # ウウ → u
        ("ホッカイドウ", "hokkaido"),
        ("クッチャン", "kutchan"),  # ッチ → tch
        ("スッツ", "suttsu"),  # ッツ → tts
        ("グンマ", "gunma"),  # ン before m stays n
        ("シンオンセン", "shinonsen"),  # no apostrophe
        ("カヅノ", "kazuno"),
        ("オヂヤ", "ojiya"),
        ("ジョウエツ", "joetsu"),
        ("シャコタン", "shakotan"),
        ("リュウオウ", "ryuo"),
        ("エイ", "ei"),  # エイ is not shortened
        ("イイダ", "iida"),  # nor イイ
        ("ラーメン", "ramen"),  # ー dropped
        ("ヴァイオリン", "vaiorin"),
        ("ファイル", "fairu"),
        ("ティー", "ti"),
        ("ッ", ""),  # a trailing ッ has nothing to double
        ("", ""),
    ],
)
def test_romanize_katakana(kana: str, roman: str) -> None:
    assert romanize_katakana(kana) == roman


@pytest.mark.parametrize("bad", ["さっぽろ", "札幌", "ｻｯﾎﾟﾛ", "ャ", "sapporo", "サ ッ"])
def test_romanize_katakana_rejects_other_text(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot romanise"):
        romanize_katakana(bad)


@given(st.text(alphabet="アイウエオカキクサシスタチツナハフマヤユヨラワンガジダバパッーャュョ"))
def test_romanize_katakana_gives_lowercase_ascii_or_rejects(kana: str) -> None:
    try:
        roman = romanize_katakana(kana)
    except ValueError:
        return  # a small ャュョ after a kana it cannot combine with
    assert re.fullmatch(r"[a-z]*", roman)


# --------------------------------------------------------------------------- the CSV


def test_packaged_csv_is_package_data() -> None:
    assert (DATA / "bodies.csv").is_file()
    assert (DATA / "README.md").is_file()


def test_packaged_csv_hash_matches_its_readme() -> None:
    digest = hashlib.sha256((DATA / "bodies.csv").read_bytes()).hexdigest()
    assert digest in (DATA / "README.md").read_text(encoding="utf-8")


def test_load_bodies_is_cached() -> None:
    first = load_bodies()
    assert load_bodies() is first


def test_parsing_the_table_again_gives_the_same_bodies(bodies: BodyRegistry) -> None:
    # A sanity check that a full parse works end to end (no timing asserts in unit tests).
    again = parse_bodies_csv(CSV_TEXT)
    assert list(again) == list(bodies)


def _corrupt(old: str, new: str) -> str:
    assert CSV_TEXT.count(old) >= 1
    return CSV_TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "header"),
        ("\ufeff" + CSV_TEXT, "header"),
        (_corrupt("code,kind", "kode,kind"), "header"),
        (_corrupt("011002,city", "011003,city"), "check digit"),
        (_corrupt("011002,city", "011002,metropolis"), "unknown kind"),
        (_corrupt("011002,city", "011002,town"), "does not end with"),
        (_corrupt("サッポロシ", "サッポロ"), "does not end with"),
        (_corrupt("011002,city,北海道", "011002,city,青森県"), "prefecture does not match"),
        (_corrupt("011002,city", "010006,city"), "kind city does not match"),
        (_corrupt("012025,city", "011002,city"), "duplicate"),
        (_corrupt("札幌市,ホッカイドウ,サッポロシ", "札幌市,ホッカイドウ,サッポロシ,x"), "fields"),
        (_corrupt("札幌市,", " 札幌市,"), "padded"),
        (_corrupt("札幌市,", ","), "empty"),
        (
            _corrupt("010006,prefecture,北海道,北海道", "010006,prefecture,北海道,道"),
            "inconsistent",
        ),
        (_corrupt("470007,prefecture,沖縄県", "470007,village,沖縄県"), "does not match its code"),
        (_corrupt("サッポロシ", "サっポロシ"), "cannot romanise"),
        (
            _corrupt(
                "011002,city,北海道,札幌市,ホッカイドウ,サッポロシ",
                "011002,ward,北海道,札幌区,ホッカイドウ,サッポロク",
            ),
            "only in 東京都",
        ),
    ],
)
def test_corrupt_tables_fail_loudly(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_bodies_csv(text)


def test_bodies_are_frozen_and_slotted() -> None:
    body = Body(
        code="011002",
        kind=BodyKind.CITY,
        name_ja="札幌市",
        name_kana="サッポロシ",
        name_en="Sapporo City",
        prefecture_code="010006",
        prefecture_name_ja="北海道",
        prefecture_name_en="Hokkaido",
    )
    assert body == load_bodies().get("011002")
    assert not hasattr(body, "__dict__")
    with pytest.raises(TypeError):
        Body("011002")  # type: ignore[call-arg]  # keyword-only
