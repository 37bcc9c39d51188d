"""The member-import CSV (pure): reading, per-row checks, encodings, bounds and safe output."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import RelationshipType
from furusato_vc.issuer.member_import import (
    ImportLimits,
    OutboxEntry,
    ParsedMembers,
    ReportRow,
    RowStatus,
    neutralise_cell,
    parse_member_csv,
    serialize_outbox_csv,
    serialize_report_csv,
    serialize_tx_codes_csv,
)

TODAY = date(2026, 11, 24)
HEADER = (
    "member_number,family_name,given_name,family_name_kana,given_name_kana,birthdate,"
    "home_prefecture,relationship_types,interests,contact"
)
GOOD = (
    "K0001,佐藤,花子,サトウ,ハナコ,1980-04-01,04,visits;regular_activity,海;祭り,hanako@example.jp"
)


def parse(text: str, *, limits: ImportLimits | None = None) -> ParsedMembers:
    return parse_member_csv(
        text.encode(), bodies=load_bodies(), today=TODAY, limits=limits or ImportLimits()
    )


def test_a_valid_row_is_read_into_the_profile_model() -> None:
    parsed = parse(f"{HEADER}\n{GOOD}\n")
    (row,) = parsed.rows
    assert row.row == 2
    assert row.member_number == "K0001"
    assert row.profile.family_name_kana == "サトウ"
    assert row.profile.birthdate == date(1980, 4, 1)
    assert row.profile.home_prefecture == "04"
    assert row.relationship_types == (
        RelationshipType.VISITS,
        RelationshipType.REGULAR_ACTIVITY,
    )
    assert row.interests == ("海", "祭り")
    assert row.contact == "hanako@example.jp"
    assert parsed.rejected == ()


def test_excel_forms_are_normalised() -> None:
    """Half-width kana, full-width digits, YYYY/M/D, a prefecture name or a code without its
    leading zero, marks ①–④ and digits for relationship types."""
    line = "Ｋ０００２,鈴木,一郎,ｽｽﾞｷ,ｲﾁﾛｳ,1975/1/9,宮城,①|4,,090-1234-5678"
    (row,) = parse(f"{HEADER}\n{line}\n").rows
    assert row.member_number == "K0002"
    assert row.profile.family_name_kana == "スズキ"
    assert row.profile.birthdate == date(1975, 1, 9)
    assert row.profile.home_prefecture == "04"
    assert row.relationship_types == (
        RelationshipType.PURCHASE_OR_DONATION,
        RelationshipType.DUAL_RESIDENCE,
    )
    (row,) = parse(f"{HEADER}\nK3,,,,,,4,,,+81 90 1234 5678\n").rows
    assert row.profile.home_prefecture == "04"


def _replace(column: str, value: str) -> str:
    names = HEADER.split(",")
    cells = GOOD.split(",")
    cells[names.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("member_number", "", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("member_number", "1234-5678-9012", ErrorCode.FORBIDDEN_CLAIM),
        ("member_number", "M" * 65, ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("family_name", "", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("given_name", "花\x07子", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("family_name_kana", "さとう", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("given_name_kana", "", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("birthdate", "1980-02-30", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("birthdate", "yesterday", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("birthdate", "2026-11-25", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("home_prefecture", "48", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("home_prefecture", "ガリア", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("relationship_types", "visits;shopping", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("relationship_types", "visits;2", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("interests", "x" * 33, ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("interests", ";".join(f"i{n}" for n in range(21)), ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("interests", "番号 1234 5678 9012", ErrorCode.FORBIDDEN_CLAIM),
        ("contact", "", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("contact", "not a contact", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("contact", "=HYPERLINK(1)", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("contact", "123", ErrorCode.REGISTRATION_CLAIMS_INVALID),
        ("contact", "1234 5678 9012", ErrorCode.FORBIDDEN_CLAIM),
        ("contact", "+8190123456789012", ErrorCode.REGISTRATION_CLAIMS_INVALID),
    ],
)
def test_each_broken_rule_is_reported_for_its_row_and_column(
    column: str, value: str, code: ErrorCode
) -> None:
    text = f"{HEADER}\n{GOOD.replace('K0001', 'K0000')}\n{_replace(column, value)}"
    parsed = parse(text)
    assert [row.member_number for row in parsed.rows] == ["K0000"]
    issues = parsed.rejected
    assert issues, "the row must be rejected"
    assert {(i.row, i.column, i.code) for i in issues} == {(3, column, code)}
    assert all(i.status == RowStatus.REJECTED for i in issues)
    reported = issues[0].to_json()
    assert reported["message_ja"]
    assert reported["message_en"]
    if code is ErrorCode.FORBIDDEN_CLAIM:
        assert value not in str(reported)  # a possible 個人番号 is never echoed


def test_several_broken_columns_of_one_row_are_all_reported() -> None:
    line = "K9,佐藤,,サトウ,ハナコ,2030-01-01,99,,,"
    issues = parse(f"{HEADER}\n{line}\n").rejected
    assert {i.column for i in issues} == {"given_name", "birthdate", "home_prefecture", "contact"}


def test_stay_needs_both_dates_in_order() -> None:
    header = "member_number,contact,stay_from,stay_until"
    parsed = parse(
        f"{header}\nS1,a@example.jp,2026-04-01,2026-09-30\nS2,b@example.jp,2026-04-01,\n"
        "S3,c@example.jp,2026-04-01,2026-03-01\nS4,d@example.jp,2026-04-31,2026-05-01\n"
    )
    assert [row.member_number for row in parsed.rows] == ["S1"]
    assert [(i.row, i.column) for i in parsed.rejected] == [
        (3, "stay_until"),
        (4, "stay_until"),
        (5, "stay_from"),
    ]


def test_a_member_number_twice_in_the_file_reports_the_later_row() -> None:
    text = f"{HEADER}\n{GOOD}\n{GOOD.replace('佐藤', '高橋')}\n"
    parsed = parse(text)
    assert [row.row for row in parsed.rows] == [2]
    (duplicate,) = parsed.rejected
    assert duplicate.row == 3
    assert duplicate.status == RowStatus.DUPLICATE
    assert duplicate.code is ErrorCode.IMPORT_ROW_DUPLICATE
    assert duplicate.member_number == "K0001"


def test_full_width_member_numbers_are_the_same_member() -> None:
    text = f"{HEADER}\n{GOOD}\n{GOOD.replace('K0001', 'Ｋ０００１')}\n"
    (duplicate,) = parse(text).rejected
    assert duplicate.code is ErrorCode.IMPORT_ROW_DUPLICATE


def test_a_row_with_the_wrong_number_of_cells_is_reported() -> None:
    (issue,) = parse(f"{HEADER}\n{GOOD},extra\n").rejected
    assert issue.code is ErrorCode.IMPORT_CSV_INVALID
    assert issue.row == 2


def test_an_overlong_cell_is_reported_before_its_rules_run() -> None:
    limits = ImportLimits(max_cell_chars=40)
    (issue,) = parse(f"{HEADER}\n{_replace('family_name', '長' * 41)}", limits=limits).rejected
    assert (issue.column, issue.code) == ("family_name", ErrorCode.REGISTRATION_CLAIMS_INVALID)


def test_blank_lines_are_skipped_and_rows_keep_their_numbers() -> None:
    parsed = parse(f"{HEADER}\n{GOOD}\n\n,,,,,,,,,\n")
    assert parsed.total_rows == 1


@pytest.mark.parametrize(
    ("encoding", "data_encoding"),
    [("utf-8-sig", "utf-8"), ("utf-8", "utf-8"), ("cp932", "cp932")],
)
def test_utf8_with_or_without_bom_and_cp932_are_detected(encoding: str, data_encoding: str) -> None:
    text = f"{HEADER}\r\n{GOOD}\r\n"
    parsed = parse_member_csv(text.encode(encoding), bodies=load_bodies(), today=TODAY)
    assert parsed.encoding == data_encoding
    (row,) = parsed.rows
    assert row.profile.family_name == "佐藤"


def test_a_named_encoding_is_used_as_given() -> None:
    data = f"{HEADER}\n{GOOD}\n".encode("cp932")
    parsed = parse_member_csv(data, bodies=load_bodies(), today=TODAY, encoding="Shift_JIS")
    assert parsed.rows[0].profile.given_name == "花子"
    with pytest.raises(FormatError) as caught:
        parse_member_csv(data, bodies=load_bodies(), today=TODAY, encoding="utf-8")
    assert caught.value.code is ErrorCode.IMPORT_CSV_INVALID
    with pytest.raises(FormatError) as caught:
        parse_member_csv(data, bodies=load_bodies(), today=TODAY, encoding="latin-1")
    assert caught.value.code is ErrorCode.IMPORT_CSV_INVALID


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00m\x00e",  # UTF-16
        b"member_number,contact\nA\x00,a@example.jp\n",
        b"member_number,contact,address\nA,a@example.jp,x\n",
        b"member_number,member_number,contact\n",
        b"family_name,contact\n",
        b'member_number,contact\n"A,a@example.jp\n',
    ],
    ids=["empty", "utf16", "nul", "unknown-column", "twice", "no-member-number", "quoting"],
)
def test_a_file_that_cannot_be_read_is_rejected_whole(data: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        parse_member_csv(data, bodies=load_bodies(), today=TODAY)
    assert caught.value.code is ErrorCode.IMPORT_CSV_INVALID


def test_size_and_row_limits_reject_the_file_before_work() -> None:
    data = f"{HEADER}\n{GOOD}\n{GOOD.replace('K0001', 'K0002')}\n".encode()
    with pytest.raises(FormatError) as caught:
        parse_member_csv(data, bodies=load_bodies(), today=TODAY, limits=ImportLimits(max_rows=1))
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE
    with pytest.raises(FormatError) as caught:
        parse_member_csv(
            data, bodies=load_bodies(), today=TODAY, limits=ImportLimits(max_bytes=100)
        )
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+81-90", "'+81-90"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("＝1", "'＝1"),
        ("佐藤", "佐藤"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_that_would_run_as_formulas_are_neutralised(value: str, shown: str) -> None:
    assert neutralise_cell(value) == shown


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _entry(
    *,
    member_number: str,
    contact: str,
    registration_id: str,
    credential_offer_uri: str,
    tx_code: str,
) -> OutboxEntry:
    return OutboxEntry(
        row=2,
        member_number=member_number,
        contact=contact,
        registration_id=registration_id,
        credential_offer_uri=credential_offer_uri,
        tx_code=tx_code,
        expires_at=1,
    )


def test_outbox_and_report_csvs_neutralise_every_cell() -> None:
    entry = _entry(
        member_number="=cmd|'/C calc'!A0",
        contact="+81-90-1234-5678",
        registration_id="-abc",
        credential_offer_uri="openid-credential-offer://?x",
        tx_code="012345",
    )
    rows = _read_csv(serialize_outbox_csv([entry]))
    assert rows[0][:3] == ["row", "member_number", "contact"]
    assert rows[1][1] == "'=cmd|'/C calc'!A0"
    assert rows[1][2] == "'+81-90-1234-5678"
    assert rows[1][3] == "'-abc"
    assert rows[1][5] == "012345"
    without = _read_csv(serialize_outbox_csv([entry], include_tx_code=False))
    assert "tx_code" not in without[0]
    codes = _read_csv(serialize_tx_codes_csv([entry]))
    assert codes[1] == ["'=cmd|'/C calc'!A0", "'+81-90-1234-5678", "012345"]
    report = _read_csv(
        serialize_report_csv(
            [
                ReportRow(
                    row=3,
                    member_number="@evil",
                    status=RowStatus.DUPLICATE,
                    column="member_number",
                    code=ErrorCode.IMPORT_ROW_DUPLICATE,
                    detail="member_number is on an earlier row",
                )
            ]
        )
    )
    assert report[1][:5] == ["3", "'@evil", "duplicate", "member_number", "import_row_duplicate"]
    assert report[1][5].startswith("同じ会員番号")


def test_outbox_csv_without_header_continues_a_file() -> None:
    entry = _entry(
        member_number="A",
        contact="a@example.jp",
        registration_id="r",
        credential_offer_uri="u",
        tx_code="1",
    )
    continued = serialize_outbox_csv([entry], header=False)
    assert not continued.startswith(b"\xef\xbb\xbf")
    assert continued.startswith(b"2,A,")
