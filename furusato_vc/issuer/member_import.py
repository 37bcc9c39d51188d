"""The member-import CSV (docs/member-import.md): existing fan-club or digital-resident
members, read, checked row by row and written back out safely. Pure: bytes in, typed rows
out; the database work is :mod:`furusato_vc.issuer.service.member_import`.

Every row is checked with the registration API's rules
(:mod:`furusato_vc.core.registration.profile`); a broken row is reported (row, column, code)
and the other rows go on. Whole-file problems (size, row count, encoding, header) reject the
file before any row is looked at.

Every CSV this module writes neutralises cells that a spreadsheet would run as a formula
(OWASP "CSV Injection": a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return, and
their full-width forms, gets a leading ``'``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, FormatError, IssuanceError
from furusato_vc.core.messages import message_for
from furusato_vc.core.registration.claims import RelationshipType
from furusato_vc.core.registration.profile import (
    MAX_TEXT_LENGTH,
    ProfileInput,
    ProfileIssue,
    check_text,
    interest_issues,
    profile_issues,
    refuse_my_number,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from furusato_vc.core.registration.bodies import BodyRegistry

__all__ = [
    "COLUMNS",
    "OUTBOX_COLUMNS",
    "REPORT_COLUMNS",
    "REQUIRED_COLUMNS",
    "Column",
    "ImportLimits",
    "MemberRow",
    "OutboxEntry",
    "ParsedMembers",
    "ReportRow",
    "RowStatus",
    "decode_member_csv",
    "neutralise_cell",
    "parse_member_csv",
    "serialize_outbox_csv",
    "serialize_report_csv",
    "serialize_tx_codes_csv",
]


class Column:
    """The CSV's column names (the header row), also the ``column`` of a reported issue."""

    MEMBER_NUMBER: Final = "member_number"
    FAMILY_NAME: Final = "family_name"
    GIVEN_NAME: Final = "given_name"
    FAMILY_NAME_KANA: Final = "family_name_kana"
    GIVEN_NAME_KANA: Final = "given_name_kana"
    BIRTHDATE: Final = "birthdate"
    HOME_PREFECTURE: Final = "home_prefecture"
    RELATIONSHIP_TYPES: Final = "relationship_types"
    INTERESTS: Final = "interests"
    CONTACT: Final = "contact"
    STAY_FROM: Final = "stay_from"
    STAY_UNTIL: Final = "stay_until"


COLUMNS: Final = (
    Column.MEMBER_NUMBER,
    Column.FAMILY_NAME,
    Column.GIVEN_NAME,
    Column.FAMILY_NAME_KANA,
    Column.GIVEN_NAME_KANA,
    Column.BIRTHDATE,
    Column.HOME_PREFECTURE,
    Column.RELATIONSHIP_TYPES,
    Column.INTERESTS,
    Column.CONTACT,
    Column.STAY_FROM,
    Column.STAY_UNTIL,
)
REQUIRED_COLUMNS: Final = (Column.MEMBER_NUMBER, Column.CONTACT)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportLimits:
    """Bounds checked before work is done: the file's bytes, its data rows, and any one
    cell (before the field's own rule, which is usually shorter)."""

    max_bytes: int = 16 * 1024 * 1024
    max_rows: int = 50_000
    max_cell_chars: int = 256

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_rows < 1 or self.max_cell_chars < 1:
            raise ValueError("import limits must be positive")


class RowStatus(StrEnum):
    """What happened to a row that was not imported as new (the report's ``status``)."""

    ALREADY_IMPORTED = "already_imported"
    CHANGED = "changed"  # imported before with other data; not applied
    DUPLICATE = "duplicate"  # the member number is on an earlier row of this file
    REJECTED = "rejected"  # a rule is broken (see the row's issues)
    REISSUED = "reissued"  # imported before; a new offer replaces an unredeemed one


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRow:
    """One valid data row. ``row`` counts records as a spreadsheet shows them (the header
    is row 1). ``fingerprint`` is the SHA-256 of what the registration stores (profile,
    relationship types, interests; not the contact), to tell a re-import from a change."""

    row: int
    member_number: str
    profile: ProfileInput
    relationship_types: tuple[RelationshipType, ...]
    interests: tuple[str, ...]
    contact: str
    fingerprint: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRow:
    """One line of the per-row report: a row that was not imported as new, and why.
    ``column`` is ``None`` for a problem of the whole row; ``code`` is ``None`` for a row
    that is simply already imported."""

    row: int
    member_number: str | None
    status: RowStatus
    column: str | None = None
    code: ErrorCode | None = None
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "row": self.row,
            "member_number": self.member_number,
            "status": self.status.value,
            "column": self.column,
            "code": None if self.code is None else self.code.value,
        }
        if self.code is not None:
            message = message_for(self.code)
            out["message_ja"] = message.ja
            out["message_en"] = message.en
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedMembers:
    """The file's valid rows (each member number once, first row wins) and the report of
    the others. ``total_rows`` counts every data row."""

    rows: tuple[MemberRow, ...]
    rejected: tuple[ReportRow, ...]
    total_rows: int
    encoding: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """One credential offer for the body to deliver through its own member channel."""

    row: int
    member_number: str
    contact: str
    registration_id: str
    credential_offer_uri: str
    tx_code: str
    expires_at: int

    def to_json(self, *, include_tx_code: bool = True) -> dict[str, object]:
        out: dict[str, object] = {
            "row": self.row,
            "member_number": self.member_number,
            "contact": self.contact,
            "registration_id": self.registration_id,
            "credential_offer_uri": self.credential_offer_uri,
            "expires_at": self.expires_at,
        }
        if include_tx_code:
            out["tx_code"] = self.tx_code
        return out


# ---------------------------------------------------------------------------- reading

_ENCODINGS: Final = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp932": "cp932",
    "shift_jis": "cp932",  # Excel's "Shift_JIS" is Microsoft's superset (NEC/IBM extensions)
    "shift-jis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
}
_BOM: Final = b"\xef\xbb\xbf"


def _bad_file(detail: str) -> FormatError:
    return FormatError(ErrorCode.IMPORT_CSV_INVALID, detail)


def decode_member_csv(data: bytes, *, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-8 (a BOM is dropped), or
    CP932 (Shift_JIS as Japanese Excel writes it) when the bytes are not UTF-8, or the
    named ``encoding``.

    Raises:
        FormatError: ``import_csv_invalid`` (unknown encoding name, bytes that do not
            decode, NUL characters).
    """
    if encoding is not None:
        chosen = _ENCODINGS.get(encoding.strip().lower())
        if chosen is None:
            raise _bad_file("encoding must be utf-8 or cp932 (shift_jis)")
        candidates: tuple[str, ...] = (chosen,)
    elif data.startswith(_BOM):
        candidates = ("utf-8",)
    else:
        # valid UTF-8 with Japanese text is almost never valid CP932 and vice versa
        candidates = ("utf-8", "cp932")
    data = data.removeprefix(_BOM)
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise _bad_file("the file contains NUL characters")
        return text, candidate
    raise _bad_file("the file is neither UTF-8 nor CP932 (Shift_JIS) text")


_LIST_SEPARATORS: Final = re.compile(r"[;|、，,\s]+")
_RELATIONSHIP_ALIASES: Final = {
    **{t.value: t for t in RelationshipType},
    **{t.mark: t for t in RelationshipType},
    **{str(n): t for n, t in enumerate(RelationshipType, start=1)},
}
_DATE: Final = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL: Final = re.compile(rf"[^@\s\"',;<>]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")
_PHONE: Final = re.compile(r"\+?[0-9][0-9 ()-]{8,22}")
_MAX_CONTACT: Final = 254


def _prefecture_names(bodies: BodyRegistry) -> dict[str, str]:
    """宮城県, 宮城 → ``"04"``; 東京都, 東京; 大阪府, 大阪; 北海道 (kept whole)."""
    names: dict[str, str] = {}
    for prefecture in bodies.prefectures():
        jis = prefecture.jis_prefecture
        names[prefecture.name_ja] = jis
        if prefecture.name_ja != "北海道" and prefecture.name_ja[-1] in "都府県":
            names[prefecture.name_ja[:-1]] = jis
    return names


class _RowReader:
    """Turns the cells of one row into typed values, collecting issues per column."""

    def __init__(self, row: int, cells: dict[str, str | None]) -> None:
        self.row = row
        self.cells = cells
        self.issues: list[tuple[str | None, ErrorCode, str]] = []

    def invalid(self, column: str, detail: str) -> None:
        self.issues.append((column, ErrorCode.REGISTRATION_CLAIMS_INVALID, detail))

    def text(self, column: str, *, kana: bool = False) -> str | None:
        value = self.cells.get(column)
        if value is None:
            return None
        if kana or column == Column.MEMBER_NUMBER:
            # half-width katakana and full-width digits from Excel exports, as typed
            value = unicodedata.normalize("NFKC", value).strip()
        return value or None

    def day(self, column: str) -> date | None:
        value = self.text(column)
        if value is None:
            return None
        match = _DATE.fullmatch(unicodedata.normalize("NFKC", value))
        if match is not None:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        self.invalid(column, f"{column} must be a date YYYY-MM-DD (or YYYY/M/D)")
        return None


def _cell(value: str) -> str | None:
    stripped = value.strip(" \t\r\n\u3000")
    return stripped or None


def _check_contact(reader: _RowReader, contact: str) -> None:
    """An e-mail address, a Japanese phone number (10 or 11 digits) or an international
    one (``+``, up to 15 digits, E.164). Twelve digits without ``+`` could be a 個人番号."""
    if len(contact) > _MAX_CONTACT:
        reader.invalid(Column.CONTACT, f"contact is longer than {_MAX_CONTACT} characters")
        return
    if _EMAIL.fullmatch(contact):
        return
    digits = sum(c.isdigit() for c in contact)
    if not contact.startswith("+"):
        try:
            refuse_my_number(Column.CONTACT, contact)
        except IssuanceError as error:
            reader.issues.append((Column.CONTACT, error.code, error.detail))
            return
    international = contact.startswith("+") and 10 <= digits <= 15
    if _PHONE.fullmatch(contact) and (international or 10 <= digits <= 11):
        return
    reader.invalid(Column.CONTACT, "contact must be an e-mail address or a phone number")


def _read_row(
    row: int, cells: dict[str, str | None], *, prefectures: dict[str, str], today: date
) -> tuple[MemberRow | None, list[tuple[str | None, ErrorCode, str]]]:
    reader = _RowReader(row, cells)
    member_number = reader.text(Column.MEMBER_NUMBER)
    if member_number is None:
        reader.invalid(Column.MEMBER_NUMBER, "member_number is required")

    home = reader.text(Column.HOME_PREFECTURE)
    home_code: str | None = None
    if home is not None:
        plain = unicodedata.normalize("NFKC", home)
        if plain.isascii() and plain.isdigit() and len(plain) <= 2:
            home_code = plain.zfill(2)  # Excel drops the leading zero of "04"
        else:
            home_code = prefectures.get(plain)
            if home_code is None:
                reader.invalid(Column.HOME_PREFECTURE, "home_prefecture is not a prefecture")
    profile = ProfileInput(
        family_name=reader.text(Column.FAMILY_NAME),
        given_name=reader.text(Column.GIVEN_NAME),
        family_name_kana=reader.text(Column.FAMILY_NAME_KANA, kana=True),
        given_name_kana=reader.text(Column.GIVEN_NAME_KANA, kana=True),
        birthdate=reader.day(Column.BIRTHDATE),
        home_prefecture=home_code,
        member_number=member_number,
        stay_from=reader.day(Column.STAY_FROM),
        stay_until=reader.day(Column.STAY_UNTIL),
    )
    issues: list[ProfileIssue] = list(profile_issues(profile, today=today))

    relationship_types: list[RelationshipType] = []
    for token in _LIST_SEPARATORS.split(reader.text(Column.RELATIONSHIP_TYPES) or ""):
        if not token:
            continue
        kind = _RELATIONSHIP_ALIASES.get(unicodedata.normalize("NFKC", token).lower())
        if kind is None:
            kind = _RELATIONSHIP_ALIASES.get(token)
        if kind is None:
            reader.invalid(Column.RELATIONSHIP_TYPES, "unknown relationship type")
            break
        if kind in relationship_types:
            reader.invalid(Column.RELATIONSHIP_TYPES, "relationship types repeat")
            break
        relationship_types.append(kind)
    interests = tuple(
        stripped
        for token in re.split(r"[;|、]+", reader.text(Column.INTERESTS) or "")
        if (stripped := token.strip(" \u3000"))
    )
    issues.extend(interest_issues(interests))

    contact = reader.text(Column.CONTACT)
    if contact is None:
        reader.invalid(Column.CONTACT, "contact (e-mail or phone) is required")
    else:
        _check_contact(reader, contact)

    # a column the reader already reported (a date it could not read, say) is not reported
    # again by the profile rules, which saw it as empty
    reported = {column for column, _code, _detail in reader.issues}
    if reported & {Column.STAY_FROM, Column.STAY_UNTIL}:
        reported |= {Column.STAY_FROM, Column.STAY_UNTIL}
    found = [
        *reader.issues,
        *((i.field, i.code, i.detail) for i in issues if i.field not in reported),
    ]
    if found or member_number is None or contact is None:
        return None, found
    stored = {
        "profile": profile.to_json(),
        "relationship_types": [t.value for t in relationship_types],
        "interests": list(interests),
    }
    fingerprint = hashlib.sha256(
        json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).digest()
    return (
        MemberRow(
            row=row,
            member_number=member_number,
            profile=profile,
            relationship_types=tuple(relationship_types),
            interests=interests,
            contact=contact,
            fingerprint=fingerprint,
        ),
        found,
    )


def parse_member_csv(
    data: bytes,
    *,
    bodies: BodyRegistry,
    today: date,
    encoding: str | None = None,
    limits: ImportLimits = ImportLimits(),
) -> ParsedMembers:
    """Read and check a member CSV (format in docs/member-import.md).

    Raises:
        FormatError: ``input_too_large`` (over ``limits.max_bytes`` or ``max_rows``),
            ``import_csv_invalid`` (encoding, header, broken quoting).
    """
    if len(data) > limits.max_bytes:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"file over {limits.max_bytes} bytes")
    text, used = decode_member_csv(data, encoding=encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _bad_file("the header row is not valid CSV") from exc
    if header is None:
        raise _bad_file("the file is empty")
    names = [unicodedata.normalize("NFKC", name).strip().lower() for name in header]
    unknown = sorted(set(names) - set(COLUMNS))
    if unknown:
        raise _bad_file("unknown columns in the header row (see docs/member-import.md)")
    if len(set(names)) != len(names):
        raise _bad_file("a column appears twice in the header row")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise _bad_file("the header row needs the columns " + ", ".join(missing))

    prefectures = _prefecture_names(bodies)
    rows: list[MemberRow] = []
    rejected: list[ReportRow] = []
    seen: set[str] = set()
    total = 0
    record = 1  # the header
    while True:
        try:
            raw = next(reader, None)
        except csv.Error as exc:
            raise _bad_file(f"row {record + 1} is not valid CSV (quoting)") from exc
        if raw is None:
            break
        if not any(cell.strip() for cell in raw):
            continue  # blank lines (Excel leaves some at the end)
        record += 1
        total += 1
        if total > limits.max_rows:
            raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"more than {limits.max_rows} rows")
        if len(raw) != len(names):
            rejected.append(
                ReportRow(
                    row=record,
                    member_number=None,
                    status=RowStatus.REJECTED,
                    code=ErrorCode.IMPORT_CSV_INVALID,
                    detail=f"{len(raw)} cells, the header has {len(names)}",
                )
            )
            continue
        long_cells = [n for n, v in zip(names, raw, strict=True) if len(v) > limits.max_cell_chars]
        cells = {n: _cell(v) for n, v in zip(names, raw, strict=True)}
        member_number = cells.get(Column.MEMBER_NUMBER)
        if member_number is not None:
            member_number = unicodedata.normalize("NFKC", member_number).strip() or None
        if long_cells:
            rejected.extend(
                ReportRow(
                    row=record,
                    member_number=None,
                    status=RowStatus.REJECTED,
                    column=name,
                    code=ErrorCode.REGISTRATION_CLAIMS_INVALID,
                    detail=f"{name} is longer than {limits.max_cell_chars} characters",
                )
                for name in long_cells
            )
            continue
        if member_number is not None and len(member_number) <= MAX_TEXT_LENGTH:
            if member_number in seen:
                rejected.append(
                    ReportRow(
                        row=record,
                        member_number=member_number,
                        status=RowStatus.DUPLICATE,
                        column=Column.MEMBER_NUMBER,
                        code=ErrorCode.IMPORT_ROW_DUPLICATE,
                        detail="member_number is on an earlier row",
                    )
                )
                continue
            seen.add(member_number)
        member, issues = _read_row(record, cells, prefectures=prefectures, today=today)
        if member is not None:
            rows.append(member)
            continue
        shown = member_number if _safe_member_number(member_number) else None
        rejected.extend(
            ReportRow(
                row=record,
                member_number=shown,
                status=RowStatus.REJECTED,
                column=column,
                code=code,
                detail=detail,
            )
            for column, code, detail in issues
        )
    return ParsedMembers(
        rows=tuple(rows), rejected=tuple(rejected), total_rows=total, encoding=used
    )


def _safe_member_number(value: str | None) -> bool:
    """Whether a rejected row's member number may be echoed in the report (never a value
    that could be a 個人番号 or is too long)."""
    if value is None:
        return False
    try:
        check_text("member_number", value)
    except IssuanceError:
        return False
    return True


# ---------------------------------------------------------------------------- writing

_FORMULA_START: Final = frozenset("=+-@\t\r＝＋－＠")


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading
    ``'`` (OWASP CSV Injection). A phone number ``+81…`` is written ``'+81…``."""
    if value and value[0] in _FORMULA_START:
        return "'" + value
    return value


def _serialize_csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, with_header: bool = True
) -> bytes:
    """UTF-8 with a BOM (so that Excel opens Japanese text correctly), CRLF line ends,
    every text cell neutralised. Without the header (and its BOM) the rows continue a file
    written before."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    if with_header:
        writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else neutralise_cell(str(cell)) for cell in row])
    text = out.getvalue().encode("utf-8")
    return _BOM + text if with_header else text


OUTBOX_COLUMNS: Final = (
    "row",
    "member_number",
    "contact",
    "registration_id",
    "credential_offer_uri",
    "tx_code",
    "expires_at",
)


def serialize_outbox_csv(
    entries: Iterable[OutboxEntry], *, include_tx_code: bool = True, header: bool = True
) -> bytes:
    """The outbox as CSV (``tx_code`` left out when it goes by another channel);
    ``expires_at`` is NumericDate seconds."""
    columns = [c for c in OUTBOX_COLUMNS if include_tx_code or c != "tx_code"]
    rows = (
        [entry.to_json(include_tx_code=include_tx_code)[c] for c in columns] for entry in entries
    )
    return _serialize_csv(columns, rows, with_header=header)


def serialize_tx_codes_csv(entries: Iterable[OutboxEntry], *, header: bool = True) -> bytes:
    """Only ``member_number``, ``contact`` and ``tx_code``: for a second channel."""
    return _serialize_csv(
        ("member_number", "contact", "tx_code"),
        ((e.member_number, e.contact, e.tx_code) for e in entries),
        with_header=header,
    )


REPORT_COLUMNS: Final = (
    "row",
    "member_number",
    "status",
    "column",
    "code",
    "message_ja",
    "message_en",
    "detail",
)


def serialize_report_csv(report: Iterable[ReportRow]) -> bytes:
    """The per-row report as CSV."""
    return _serialize_csv(
        REPORT_COLUMNS, ([item.to_json().get(c) for c in REPORT_COLUMNS] for item in report)
    )
