"""The canonical table: one shape, stable identities, content checksums that notice supplier edits."""

from datetime import date

import polars as pl
import pytest

from recon import model
from recon.jsonio import dumps_exact, loads_exact


def _doc(**values):
    base = {
        "doc_no": "INV-1",
        "doc_kind": "invoice",
        "supplier_gstin": "27AAPFU0939F1ZV",
        "doc_date": date(2025, 11, 7),
        "taxable_value": 50000.0,
        "cgst": 4500.0,
        "sgst": 4500.0,
    }
    return model.conform(pl.DataFrame([{**base, **values}]))


def test_conform_gives_every_column_in_order():
    frame = _doc()
    assert frame.columns == list(model.COLUMNS)
    assert frame.schema["origin_rows"] == pl.List(pl.Int64)


def test_conform_refuses_a_second_shape():
    with pytest.raises(ValueError, match="not canonical"):
        model.conform(pl.DataFrame({"doc_no": ["1"], "amount": [1.0]}))


def test_doc_id_is_stable_and_separates_copies():
    first = model.make_doc_id("books", "27AAPFU0939F1ZV", "invoice", "inv-1", "2025-26")
    again = model.make_doc_id("books", " 27aapfu0939f1zv ", "invoice", "INV-1 ", "2025-26")
    copy = model.make_doc_id("books", "27AAPFU0939F1ZV", "invoice", "INV-1", "2025-26", occurrence=1)
    assert first == again
    assert copy != first


def test_content_hash_notices_an_amount_change_but_not_formatting():
    a = model.with_content_hash(_doc())["content_hash"].item()
    same = model.with_content_hash(_doc(taxable_value=50000))["content_hash"].item()
    edited = model.with_content_hash(_doc(taxable_value=50000.5))["content_hash"].item()
    assert a == same
    assert a != edited


def test_credit_notes_reduce_itc():
    frame = pl.concat([_doc(), _doc(doc_kind="credit_note", doc_no="CN-1")])
    signed = frame.select((model.itc_direction() * model.total_tax()).alias("itc")).to_series().to_list()
    assert signed == [9000.0, -9000.0]


def test_exact_json_echo_keeps_amount_literals_and_string_numbers():
    text = '{"inum":"1234567890123456","val":59000.00,"txval":0.10,"pos":"07","cnt":3}'
    assert dumps_exact(loads_exact(text)) == text
