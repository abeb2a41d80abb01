"""Document-number keys, FY, Indian amounts and dates: what the engine and readers stand on."""

from datetime import date

import polars as pl
import pytest

from recon.match.block import runs_expr
from recon.normalise import (
    doc_no_key,
    doc_no_key_expr,
    fy_expr,
    fy_of,
    parse_amount,
    parse_amount_expr,
    parse_date,
    parse_date_expr,
)

# (as written, FY of its date, expected key) — the reference's examples (docs/reference/matching-practice.md §3) and traps.
KEY_CASES = [
    ("INV/2025-26/0045", "2025-26", "INV45"),
    ("inv-25-26-45", "2025-26", "INV45"),
    ("INV/2526/045", "2025-26", "INV45"),
    ("FY25-26/INV/7", "2025-26", "INV7"),
    ("FY 2025-26/INV/7", "2025-26", "INV7"),
    ("0000123", "2025-26", "123"),
    ("GST/23-24/1045", "2023-24", "GST1045"),
    ("INV/2425/017", "2024-25", "INV17"),
    ("INV/017", "2024-25", "INV17"),
    ("INV/017/24-25", "2024-25", "INV17"),
    ("INV017", "2024-25", "INV17"),
    ("inv001", "2025-26", "INV1"),
    ("INV001", "2025-26", "INV1"),
    # Another FY's token is part of the number, not noise.
    ("INV/24-25/017", "2025-26", "INV242517"),
    # Removing the FY would leave no digit: INV/2526 may be invoice 2526.
    ("INV/2526", "2025-26", "INV2526"),
    # Zeros are stripped per digit run, so separate runs stay separate numbers.
    ("BILL-23-00040", "2023-24", "BILL2340"),
    ("BILL-23-00045", "2023-24", "BILL2345"),
    ("1", None, "1"),
    ("11", None, "11"),
    ("1234567890123456", "2025-26", "1234567890123456"),
]


@pytest.mark.parametrize(("doc_no", "fy", "expected"), KEY_CASES)
def test_doc_no_key(doc_no, fy, expected):
    assert doc_no_key(doc_no, fy) == expected


def test_vectorised_key_agrees_with_scalar_row_by_row():
    frame = pl.DataFrame({"doc_no": [c[0] for c in KEY_CASES], "fy": [c[1] for c in KEY_CASES]})
    fys = sorted({c[1] for c in KEY_CASES if c[1]})
    keys = frame.select(doc_no_key_expr("doc_no", "fy", fys)).to_series().to_list()
    assert keys == [c[2] for c in KEY_CASES]


def test_confusable_numbers_keep_distinct_keys():
    pairs = [("1", "11"), ("123", "1234"), ("A-101", "A-110"), ("BILL-23-00040", "BILL-23-00045")]
    for left, right in pairs:
        assert doc_no_key(left, "2025-26") != doc_no_key(right, "2025-26")


@pytest.mark.parametrize(
    ("day", "fy"),
    [(date(2026, 3, 31), "2025-26"), (date(2026, 4, 1), "2026-27"), (date(2025, 4, 1), "2025-26")],
)
def test_fy_boundary(day, fy):
    assert fy_of(day) == fy
    assert pl.DataFrame({"doc_date": [day]}).select(fy_expr()).item() == fy


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,23,456.50", 123456.5),
        ("₹ 5,000", 5000.0),
        ("Rs. 100", 100.0),
        ("INR 2,500.75", 2500.75),
        ("(1,234.00)", -1234.0),
        ("-12", -12.0),
        ("1,000.00 Cr", 1000.0),
        ("250-", -250.0),
        (59000, 59000.0),
        (1.005, 1.0),
    ],
)
def test_parse_amount(text, amount):
    assert parse_amount(text) == pytest.approx(amount)


@pytest.mark.parametrize("blank", [None, "", "  ", "-", float("nan")])
def test_blank_amount_is_none(blank):
    assert parse_amount(blank) is None


@pytest.mark.parametrize("garbage", ["abc", "12abc", "1.2.3"])
def test_garbage_amount_names_the_text(garbage):
    with pytest.raises(ValueError, match=garbage.replace(".", r"\.")):
        parse_amount(garbage)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1e400", "infinite or too large"),
        ("-1e400", "infinite or too large"),
        (float("inf"), "infinite or too large"),
        ("nan", "not an amount"),
        ("1,00,00,00,00,00,000", "too large to be an amount"),
        (10**400, "too large to be an amount"),
        (2e13, "too large to be an amount"),
    ],
)
def test_amounts_no_document_can_carry_are_refused(value, words):
    with pytest.raises(ValueError, match=words):
        parse_amount(value)


def test_the_largest_believable_amount_still_reads():
    assert parse_amount("99,99,99,99,99,999.99") == pytest.approx(9_999_999_999_999.99)


def test_column_parser_leaves_unusable_amounts_blank_for_the_caller_to_report():
    texts = ["1,000", "1e400", "-1E400", "2e13", "inf", "NaN", "5e3"]
    parsed = pl.DataFrame({"t": texts}).select(parse_amount_expr("t")).to_series().to_list()
    assert parsed == [1000.0, None, None, None, None, None, 5000.0]


@pytest.mark.parametrize(
    "text",
    ["07-11-2025", "07/11/2025", "7/11/25", "07.11.2025", "07-Nov-2025", "7 Nov 2025", "2025-11-07", 45968],
)
def test_parse_date_day_first(text):
    assert parse_date(text) == date(2025, 11, 7)


def test_impossible_date_is_refused_with_the_text():
    with pytest.raises(ValueError, match="31-02-2025"):
        parse_date("31-02-2025")


def test_vectorised_dates_agree_with_scalar():
    texts = ["07-11-2025", "7/11/25", "01-Oct-2025", "01-Oct-25", "2025-11-07", "45968", "31-02-2025", ""]
    parsed = pl.DataFrame({"d": texts}).select(parse_date_expr("d")).to_series().to_list()
    expected = []
    for t in texts:
        try:
            expected.append(parse_date(t))
        except ValueError:
            expected.append(None)
    assert parsed == expected


# (as written, FY of its date, digit runs once that FY's tokens are gone) — what the engine compares to
# tell apart numbers that share a key (A/1003 vs A10/03) or differ only in letters.
RUNS_CASES = [
    ("INV/24-25/017", "2024-25", "17"),
    ("INV/24-25/017", "2025-26", "24,25,17"),  # another year's token is part of the number
    ("FY25-26/25-26/7", "2025-26", "7"),  # tokens side by side
    ("INV/2526", "2025-26", "2526"),  # no digit would be left
    ("A10/03", "2025-26", "10,3"),
    ("BILL-23-00040", "2023-24", "23,40"),
    ("000", None, "0"),
    # The separator left where a token was is never read as part of the next one (25/26).
    ("25é25-26/26", "2025-26", "25,26"),
    ("2025/FY 25-26-2026/", "2025-26", "2025,2026"),
]


def test_digit_runs_drop_only_the_documents_own_fy_tokens():
    frame = pl.DataFrame({"doc_no": [c[0] for c in RUNS_CASES], "fy": [c[1] for c in RUNS_CASES]})
    fys = sorted({c[1] for c in RUNS_CASES if c[1]})
    runs = frame.select(runs_expr("doc_no", "fy", fys)).to_series().to_list()
    assert runs == [c[2] for c in RUNS_CASES]


@pytest.mark.parametrize(
    ("text", "amount"), [("1 00 000", 100000.0), ("10 000.50", 10000.5), ("₹ 1 000 000", 1e6)]
)
def test_spaces_that_group_digits_are_read(text, amount):
    assert parse_amount(text) == amount
    assert pl.DataFrame({"t": [text]}).select(parse_amount_expr("t")).item() == amount


@pytest.mark.parametrize("text", ["1000 1800", "12 3", "₹ 500 1,180.00"])
def test_two_numbers_in_one_cell_are_not_one_amount(text):
    with pytest.raises(ValueError, match="two numbers in one cell"):
        parse_amount(text)
    assert pl.DataFrame({"t": [text]}).select(parse_amount_expr("t")).item() is None
