"""Properties that must hold for every input, not only the ones a person thought of (hypothesis).

The number normaliser, the amount and date parsers and the action-file writer are where a register or a
download the project never saw meets the code: each property below is something a consultant would
notice if it broke (two spellings of one invoice that no longer pair, an amount read wrong, a record in
the file that nobody decided).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon.ims_json import build, validate
from recon.jsonio import dumps_exact, loads_exact
from recon.model import Decision
from recon.normalise import (
    MAX_AMOUNT,
    doc_no_key,
    doc_no_key_expr,
    parse_amount,
    parse_amount_expr,
    parse_date,
    parse_date_expr,
)
from recon.present import indian_grouping
from recon.readers.ims import read_ims

RTIN = "27AHQPA7588L1ZJ"
SUPPLIER = "27AAPFU0939F1ZV"
FYS = ["2024-25", "2025-26"]

number_text = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-_. #", max_size=24
)


# --------------------------------------------------------------------------------- the number normaliser


@given(number=number_text, fy=st.sampled_from([None, *FYS]))
def test_a_document_key_holds_only_capital_letters_and_digits(number, fy):
    assert doc_no_key(number, fy).isalnum() or doc_no_key(number, fy) == ""
    assert doc_no_key(number, fy) == doc_no_key(number, fy).upper()


@given(number=number_text, fy=st.sampled_from([None, *FYS]))
def test_case_and_separators_do_not_change_the_key(number, fy):
    assert doc_no_key(number.lower(), fy) == doc_no_key(number.upper(), fy)
    assert doc_no_key(number.replace("/", "-"), fy) == doc_no_key(number.replace("-", "/"), fy)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(number_text, st.sampled_from(FYS)), min_size=1, max_size=20))
def test_the_engine_s_vectorised_key_is_the_scalar_key(rows):
    frame = pl.DataFrame({"doc_no": [r[0] for r in rows], "fy": [r[1] for r in rows]})
    keys = frame.select(doc_no_key_expr("doc_no", "fy", FYS)).to_series().to_list()
    assert keys == [doc_no_key(number, fy) for number, fy in rows]


# --------------------------------------------------------------------------------------------- amounts

paise = st.integers(min_value=-(10**14) + 1, max_value=10**14 - 1)  # within MAX_AMOUNT (₹10 lakh crore)


def indian_text(amount_paise: int, style: str) -> str:
    """An amount as Indian registers print it: grouped by lakh and crore, rupee sign, brackets or minus."""
    whole, fraction = divmod(abs(amount_paise), 100)
    digits = f"{indian_grouping(whole)}.{fraction:02d}"
    negative = amount_paise < 0
    if style == "rupee":
        return f"{'-' if negative else ''}₹ {digits}"
    if style == "brackets":
        return f"({digits})" if negative else digits
    if style == "trailing":
        return f"{digits.replace(',', '')}-" if negative else digits.replace(",", "")
    return f"{'-' if negative else ''}Rs. {digits}"


@given(amount=paise, style=st.sampled_from(["rupee", "brackets", "trailing", "rs"]))
def test_an_amount_printed_the_indian_way_reads_back_to_the_paisa(amount, style):
    text = indian_text(amount, style)
    assert parse_amount(text) == pytest.approx(amount / 100, abs=0.005)


@settings(max_examples=60)
@given(
    amounts=st.lists(st.tuples(paise, st.sampled_from(["rupee", "brackets", "trailing", "rs"])), max_size=20)
)
def test_the_vectorised_amount_reader_agrees_with_the_scalar_one(amounts):
    texts = [indian_text(a, s) for a, s in amounts]
    read = pl.DataFrame({"amount": texts}, schema={"amount": pl.String}).select(parse_amount_expr("amount"))
    assert read.to_series().to_list() == pytest.approx([parse_amount(t) for t in texts], abs=0.005)


@given(text=st.text(max_size=30))
def test_any_text_is_an_amount_or_a_value_error_in_words_never_a_crash(text):
    try:
        amount = parse_amount(text)
    except ValueError as err:
        assert str(err), "the refusal says what was wrong"
        return
    assert amount is None or abs(amount) < MAX_AMOUNT


@given(number=st.floats(allow_nan=True, allow_infinity=True) | st.integers())
def test_a_number_cell_is_read_or_refused_never_infinite(number):
    try:
        amount = parse_amount(number)
    except ValueError:
        return
    assert amount is None or abs(amount) < MAX_AMOUNT


# ------------------------------------------------------------------------------------------------ dates

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
DAY_FIRST = ["%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%Y-%m-%d"]


@given(day=days, fmt=st.sampled_from(DAY_FIRST))
def test_a_date_written_day_first_reads_back_as_that_day(day, fmt):
    assert parse_date(day.strftime(fmt)) == day


@given(day=days)
def test_an_excel_serial_is_the_day_excel_shows(day):
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_date(float(serial)) == day


@settings(max_examples=60)
@given(rows=st.lists(st.tuples(days, st.sampled_from(DAY_FIRST)), max_size=20))
def test_the_vectorised_date_reader_agrees_with_the_scalar_one(rows):
    texts = [d.strftime(f) for d, f in rows]
    read = pl.DataFrame({"d": texts}, schema={"d": pl.String}).select(parse_date_expr("d"))
    assert read.to_series().to_list() == [parse_date(t) for t in texts]


@given(text=st.text(max_size=25))
def test_any_text_is_a_date_or_a_value_error_never_a_crash(text):
    try:
        parse_date(text)
    except ValueError as err:
        assert str(err)


# --------------------------------------------------------------------------------- the action-file writer

decimal_amount = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(amount=decimal_amount)
def test_json_amounts_come_back_as_they_were_written(amount):
    text = f'{{"val": {amount}}}'
    assert dumps_exact(loads_exact(text)) == text.replace(" ", "")


def download(records: list[dict]) -> bytes:
    body = ",".join(
        json.dumps(
            {
                "stin": SUPPLIER,
                "inum": r["number"],
                "idt": "07-11-2025",
                "inv_typ": "R",
                "pos": "27",
                "txval": "__TX__",
                "iamt": 0,
                "camt": "__TAX__",
                "samt": "__TAX__",
                "cess": 0,
                "val": "__VAL__",
                "rtnprd": "112025",
                "srcform": "R1",
                "srcfilstatus": "Filed",
                "action": r["held"],
                "ispendactblocked": "N",
            }
        )
        .replace('"__TX__"', str(r["taxable"]))
        .replace('"__TAX__"', str(r["taxable"] * Decimal("0.09")))
        .replace('"__VAL__"', str(r["taxable"] * Decimal("1.18")))
        for r in records
    )
    return f'{{"b2b": [{body}]}}'.encode()


record = st.fixed_dictionaries(
    {
        "number": st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ0123456789/-", min_size=1, max_size=16),
        "held": st.sampled_from(["N", "A", "R", "P"]),
        "taxable": st.decimals(min_value=1, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
        "decided": st.sampled_from([None, "N", "A", "R", "P"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(record, min_size=1, max_size=12, unique_by=lambda r: r["number"].upper()))
def test_the_files_hold_exactly_the_decided_changes_and_pass_validation(records):
    portal = read_ims(download(records), "ims.json").docs
    by_number = dict(zip(portal["doc_no"].to_list(), portal["doc_id"].to_list(), strict=True))
    decisions = [
        Decision(
            by_number[r["number"]], r["decided"], remarks="Not our purchase" if r["decided"] in "RP" else None
        )
        for r in records
        if r["decided"] is not None
    ]
    upload = build(portal, decisions, RTIN, today=date(2025, 12, 5))

    wanted = {r["number"]: r["decided"] for r in records if r["decided"] not in (None, r["held"])}
    written = dict(zip(upload.records["doc_no"].to_list(), upload.records["action"].to_list(), strict=True))
    assert written == wanted, "every decided change, and nothing else"
    for name, content in upload.to_files().items():
        payload = json.loads(content, parse_float=Decimal)
        validate(payload, profile="offline")
        sent = [r["inum"] for r in payload["invdata"]["b2b"]]
        kind = "SAVE" if "_SAVE_" in name else "RESET"
        assert sorted(sent) == sorted(n for n, a in wanted.items() if (a == "N") == (kind == "RESET"))
