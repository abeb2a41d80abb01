"""Document-number keys, financial years, Indian amounts and dates.

Each function has a scalar form (for one value, tests and error messages) and, where readers or the
engine need it on whole columns, a polars expression form that gives the same result row by row.
Reference: docs/reference/matching-practice.md §3 (number normalisation), docs/reference/formats.md (date and amount conventions).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

import polars as pl

# ---------------------------------------------------------------------------------------------------
# Financial year
# ---------------------------------------------------------------------------------------------------


def fy_start_year(d: date) -> int:
    """Indian financial year runs April to March: 15-Mar-2026 belongs to FY 2025-26 (start 2025)."""
    return d.year if d.month >= 4 else d.year - 1


def fy_of(d: date | None) -> str | None:
    """'2025-26' for any date from 1-Apr-2025 to 31-Mar-2026."""
    if d is None:
        return None
    y = fy_start_year(d)
    return f"{y}-{(y + 1) % 100:02d}"


def fy_expr(date_col: str = "doc_date") -> pl.Expr:
    """Vectorised :func:`fy_of`."""
    d = pl.col(date_col)
    start = pl.when(d.dt.month() >= 4).then(d.dt.year()).otherwise(d.dt.year() - 1)
    return pl.concat_str(
        [start.cast(pl.String), pl.lit("-"), ((start + 1) % 100).cast(pl.String).str.zfill(2)]
    )


# ---------------------------------------------------------------------------------------------------
# Document numbers
# ---------------------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_LEADING_ZEROS = r"(^|[^0-9])0+([0-9])"


def _fy_token_pattern(fy: str, *, keep_delimiters: bool = True) -> str:
    """Regex for the FY tokens of one financial year, delimited by separators or the ends.

    Only the document's own FY is removed: a blanket removal of year-like runs would damage real
    serials (INV2526 may be invoice 2526). Covers 2025-26, 2025-2026, 2025/26, 25-26, 25/26, 2526,
    202526, FY25-26, FY2526, FY 2025-26 and FY26.

    ``keep_delimiters``: the delimiters are groups 1 and 2, to put back with ``\\1\\2``. Without them
    the regex finds the same tokens about twice as fast; for :func:`fy_token_free_expr`.
    """
    start = int(fy[:4])
    y4, y2 = f"{start}", f"{start % 100:02d}"
    e4, e2 = f"{start + 1}", f"{(start + 1) % 100:02d}"
    sep = r"[-/ ]?"
    body = rf"(?:{y4}{sep}{e4}|{y4}{sep}{e2}|{y2}{sep}{e2})"
    token = rf"(?:(?:FY{sep})?{body}|FY{sep}{e2})"
    group = "(" if keep_delimiters else "(?:"
    return rf"{group}^|[^A-Z0-9]){token}{group}$|[^A-Z0-9])"


def fy_token_free_expr(text: pl.Expr, fy_col: str, fys: list[str]) -> pl.Expr:
    """``text`` (upper case) with its own FY's tokens replaced by '##', unless that would leave no
    digit: for uses that read only the digit runs.

    It drops the same tokens as :func:`doc_no_key`: the regex matches alike, and '##', like the two
    separators that call puts back, can bound a token on either side but never sits inside one.
    """
    cleaned = text
    for fy in fys:
        pattern = _fy_token_pattern(fy, keep_delimiters=False)
        # Only this year's numbers: the others stay null here and keep what they had.
        removed = (
            pl.when(pl.col(fy_col) == fy)
            .then(text)
            .str.replace_all(pattern, "##")
            .str.replace_all(pattern, "##")
        )
        cleaned = pl.coalesce(pl.when(removed.str.contains(r"[0-9]")).then(removed), cleaned)
    return cleaned


def doc_no_key(doc_no: object, fy: str | None = None) -> str:
    """Normalised document number: the key the engine blocks on.

    upper-case → drop the document's own FY tokens → keep A-Z0-9 → strip leading zeros of every digit
    run. ``INV/2025-26/0045``, ``inv-25-26-45`` and ``INV/2526/045`` (FY 2025-26) all give ``INV45``.
    If dropping the FY would leave no digit at all (``INV/2526`` may be invoice 2526) it is kept.
    A key is not proof: ``A/1003`` and ``A10/03`` collide, so the engine still compares amounts.
    """
    text = str(doc_no or "").strip().upper()
    if fy:
        pattern = re.compile(_fy_token_pattern(fy))
        stripped = text
        # A token can be followed by another sharing its delimiter; repeat until stable.
        while True:
            nxt = pattern.sub(r"\1\2", stripped)
            if nxt == stripped:
                break
            stripped = nxt
        if re.search(r"[0-9]", stripped):
            text = stripped
    # Zeros are stripped per digit run as written, before separators go, so BILL-23-00040 keeps
    # its two runs (BILL2340) instead of merging into one number.
    text = re.sub(_LEADING_ZEROS, r"\1\2", text)
    return _NON_ALNUM.sub("", text)


def doc_no_key_expr(doc_no_col: str = "doc_no", fy_col: str = "fy", fys: list[str] | None = None) -> pl.Expr:
    """Vectorised :func:`doc_no_key` for the FYs in ``fys`` (rows of other FYs get no FY removal).

    Pass the distinct FYs of the frame; each FY is one regex over the column.
    """
    upper = pl.col(doc_no_col).cast(pl.String).fill_null("").str.strip_chars().str.to_uppercase()
    cleaned = upper
    for fy in fys or []:
        pattern = _fy_token_pattern(fy)
        removed = upper.str.replace_all(pattern, "${1}${2}").str.replace_all(pattern, "${1}${2}")
        keep = removed.str.contains(r"[0-9]")
        cleaned = pl.when((pl.col(fy_col) == fy) & keep).then(removed).otherwise(cleaned)
    return cleaned.str.replace_all(_LEADING_ZEROS, "${1}${2}").str.replace_all(r"[^A-Z0-9]", "")


def with_doc_no_key(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill ``doc_no_key`` of a canonical frame from ``doc_no`` and ``fy``.

    A batch of documents at a time: the rules make a dozen working copies of the numbers, which for lakhs
    of documents would take more memory than the frame itself.
    """
    fys = [f for f in frame.get_column("fy").unique().to_list() if f]
    key = doc_no_key_expr("doc_no", "fy", fys).alias("doc_no_key")
    keys = [
        frame.slice(offset, _KEYED_AT_ONCE).select(key).to_series()
        for offset in range(0, frame.height, _KEYED_AT_ONCE)
    ]
    return frame.with_columns(pl.concat(keys).rechunk() if keys else frame.select(key).to_series())


_KEYED_AT_ONCE = 20_000


# ---------------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------------

_AMOUNT_NOISE = re.compile(r"(₹|RS\.?|INR|\s|,)", re.IGNORECASE)

# ₹10 lakh crore. No purchase document comes near it, and below it every amount is still a whole number
# of paise in a float, which the content checksum (model.content_hashes) relies on.
MAX_AMOUNT = 1e13


def amount_problem(amount: float) -> str | None:
    """Why a number read from a file cannot be a document's amount (NaN, infinite, absurdly large), or None."""
    if math.isnan(amount):
        return "is not a number"
    if math.isinf(amount):
        return "is infinite or too large to be an amount"
    if abs(amount) >= MAX_AMOUNT:
        return "is too large to be an amount (₹10 lakh crore or more)"
    return None


def checked_amount(amount: float, shown: object) -> float:
    """``amount`` rounded to paise; ValueError naming ``shown`` (the value as written) when it is unusable."""
    problem = amount_problem(amount)
    if problem:
        raise ValueError(f"'{shortened(shown)}' {problem}")
    return round(amount, 2)


def shortened(value: object) -> str:
    """A value for a message: a 400-digit number is shown by its start and length."""
    text = str(value)
    return text if len(text) <= 30 else f"{text[:20]}... ({len(text)} characters)"


def amount_usable_expr(value: pl.Expr) -> pl.Expr:
    """Vectorised ``amount_problem(...) is None`` for a Float64 expression (null stays null)."""
    return value.is_finite() & (value.abs() < MAX_AMOUNT)


# Spaces may group digits (1 00 000, 10 000.50) but do not join numbers: "1000 1800" is two amounts.
_SPACED_DIGITS = r"\d\s+\d"
_GROUPED_DIGITS = r"^\d{1,3}(?:\s+\d{2,3})*\s+\d{3}(?:\.\d*)?$"
_NOT_DIGITS_AROUND = r"(?i)(₹|RS\.?|INR|,)"


def _two_numbers(text: str) -> bool:
    core = re.sub(_NOT_DIGITS_AROUND, "", text).strip().lstrip("+-").rstrip("-").strip()
    return bool(re.search(_SPACED_DIGITS, core)) and not re.fullmatch(_GROUPED_DIGITS, core)


def parse_amount(value: object) -> float | None:
    """Indian amounts: 1,23,456.50 · ₹ 5,000 · Rs. 100 · (1,234.00) negative · -12 · blank → None.

    Raises ValueError with the text when it is not an amount.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not an amount")
    if isinstance(value, float) and math.isnan(value):
        return None  # an empty cell as pandas / calamine hand it over
    if isinstance(value, int) and abs(value) >= MAX_AMOUNT:  # float() of a huge int overflows
        raise ValueError(f"'{shortened(value)}' {amount_problem(MAX_AMOUNT)}")
    if isinstance(value, (int, float)):
        return checked_amount(float(value), value)
    text = str(value).strip()
    if text in ("", "-", "--", "NIL", "nil", "Nil"):
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    # Ledger exports suffix Dr/Cr; the register's columns already say what the amount is.
    text = re.sub(r"\s*(CR|DR)$", "", text, flags=re.IGNORECASE)
    if _two_numbers(text):
        raise ValueError(f"'{shortened(value)}' is not an amount (two numbers in one cell?)")
    text = _AMOUNT_NOISE.sub("", text)
    if text.endswith("-") and text[:-1].replace(".", "", 1).isdigit():
        negative, text = True, text[:-1]  # trailing minus, as some ERPs print it
    try:
        amount = float(text)
    except ValueError:
        raise ValueError(f"'{shortened(value)}' is not an amount") from None
    if math.isnan(amount):  # float() reads "nan"; no register means a number by it
        raise ValueError(f"'{value}' is not an amount")
    return checked_amount(-amount if negative else amount, value)


def parse_amount_expr(col: str) -> pl.Expr:
    """Vectorised :func:`parse_amount` for a String column; null for blanks, non-amounts and amounts
    :func:`amount_problem` refuses (1e400, 1e20).

    Callers report the rows where the input was not blank but the result is null.
    """
    s = pl.col(col).cast(pl.String).str.strip_chars()
    blank = s.is_null() | s.is_in(["", "-", "--", "NIL", "nil", "Nil"])
    bracketed = s.str.starts_with("(") & s.str.ends_with(")")
    unsigned = s.str.strip_prefix("(").str.strip_suffix(")").str.replace(r"(?i)\s*(CR|DR)$", "")
    core = (
        unsigned.str.replace_all(_NOT_DIGITS_AROUND, "")
        .str.strip_chars()
        .str.strip_chars_start("+-")
        .str.strip_chars_end("-")
        .str.strip_chars()
    )
    two_numbers = core.str.contains(_SPACED_DIGITS) & ~core.str.contains(_GROUPED_DIGITS)
    text = unsigned.str.replace_all(r"(?i)(₹|RS\.?|INR|\s|,)", "")
    trailing_minus = text.str.contains(r"^[0-9]*\.?[0-9]+-$")
    text = pl.when(trailing_minus).then(text.str.strip_suffix("-")).otherwise(text)
    # Decimal notation only (as parse_amount's float() would take it, minus "nan" and "inf").
    value = pl.when(text.str.contains(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")).then(
        text.cast(pl.Float64, strict=False)
    )
    value = pl.when(amount_usable_expr(value) & ~two_numbers).then(value)
    negative = bracketed | trailing_minus
    value = pl.when(negative).then(-value).otherwise(value).round(2)
    return pl.when(blank).then(None).otherwise(value)


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)
_DATE_FORMATS = (
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%y",
    "%d/%m/%y",
    "%d.%m.%y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%d %b %y",
    "%d/%b/%Y",
    "%d-%B-%Y",
    "%d %B %Y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%Y%m%d",
    # Month written in words is unambiguous even month first (Zoho and US-locale exports: "Oct 1, 2025").
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
)
# Excel serials between 1-Jan-1990 and 31-Dec-2099 are taken as dates; anything else is a number.
_SERIAL_RANGE = (32874, 73050)


def parse_date(value: object) -> date | None:
    """Day-first dates as Indian registers write them; Excel serials; real dates. Blank → None.

    Raises ValueError naming the text when it is not a real date (31-02-2025, 2025-13-01).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a date")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(f"'{value}' is not a date")
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return parse_date(float(text))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a real date (expected day first, e.g. 07-11-2025)")


def parse_date_expr(col: str) -> pl.Expr:
    """Vectorised :func:`parse_date` for a String column; null where no format fits.

    Callers report the rows where the input was not blank but the result is null.
    """
    s = pl.col(col).cast(pl.String).str.strip_chars()
    four_digit_year = s.str.contains(r"\d{4}")
    tries = []
    for fmt in _DATE_FORMATS:
        if "%H" in fmt:
            continue
        # chrono's %Y also takes "25"; keep two-digit years for the %y formats.
        guard = four_digit_year if "%Y" in fmt else ~four_digit_year
        tries.append(pl.when(guard).then(s.str.to_date(fmt, strict=False)))
    tries.append(s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    tries.append(s.str.slice(0, 10).str.to_date("%d-%m-%Y", strict=False))
    serial = s.cast(pl.Float64, strict=False)
    tries.append(
        pl.when(serial.is_between(*_SERIAL_RANGE))
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial.floor().cast(pl.Int64)))
        .otherwise(None)
        .cast(pl.Date)
    )
    return pl.coalesce(tries)


def portal_date(d: date | None) -> str | None:
    """DD-MM-YYYY, as the portal writes dates in JSON."""
    return d.strftime("%d-%m-%Y") if d else None
