"""Canonical documents for engine tests, built the way the readers build them."""

from __future__ import annotations

from datetime import date

import polars as pl

from recon import gstin, model
from recon.normalise import doc_no_key, fy_of


def valid_gstin(state: str, pan: str, entity: str = "1") -> str:
    body = f"{state}{pan}{entity}Z"
    return body + gstin.check_char(body)


SUPPLIER = valid_gstin("27", "AAPFU0939F")  # Maharashtra
BRANCH = valid_gstin("29", "AAPFU0939F")  # same PAN, Karnataka
OTHER = valid_gstin("24", "AABCS1429B")


def make_doc(
    source: str,
    doc_no: str,
    *,
    supplier: str = SUPPLIER,
    kind: str = "invoice",
    on: date = date(2025, 11, 7),
    taxable: float = 10000.0,
    igst: float = 0.0,
    cgst: float = 900.0,
    sgst: float = 900.0,
    cess: float = 0.0,
    pos: str | None = "27",
    rc: bool | None = False,
    rows: list[int] | None = None,
    occurrence: int = 0,
    section: str | None = None,
    original_no: str | None = None,
    original_date: date | None = None,
    itc_available: str | None = None,
) -> dict:
    fy = fy_of(on)
    is_books = source == "books"
    section = (
        None
        if is_books
        else (section or {"invoice": "b2b", "credit_note": "b2bcn", "debit_note": "b2bdn"}.get(kind, kind))
    )
    return {
        "doc_id": model.make_doc_id(
            source, supplier, kind, doc_no, fy, section=section, occurrence=occurrence
        ),
        "source": source,
        "section": section,
        "doc_kind": kind,
        "is_amendment": original_no is not None,
        "original_doc_no": original_no,
        "original_doc_date": original_date,
        "supplier_gstin": supplier,
        "supplier_pan": gstin.pan(supplier),
        "gstin_valid": gstin.is_valid(supplier),
        "doc_no": doc_no,
        "doc_no_key": doc_no_key(doc_no, fy),
        "doc_date": on,
        "fy": fy,
        "pos": pos,
        "reverse_charge": rc,
        "taxable_value": taxable,
        "igst": igst,
        "cgst": cgst,
        "sgst": sgst,
        "cess": cess,
        "doc_value": taxable + igst + cgst + sgst + cess,
        "origin_rows": rows if is_books else None,
        "itc_available": itc_available,
    }


def frame(rows: list[dict]) -> pl.DataFrame:
    if not rows:
        return model.empty()
    return model.conform(
        pl.DataFrame(rows, schema_overrides={k: v for k, v in model.SCHEMA.items() if k in rows[0]})
    )


def books(*docs: dict) -> pl.DataFrame:
    return frame(list(docs))


def portal(*docs: dict) -> pl.DataFrame:
    return frame(list(docs))


def b(doc_no: str, row: int = 2, **kw) -> dict:
    return make_doc("books", doc_no, rows=kw.pop("rows", [row]), **kw)


def p(doc_no: str, **kw) -> dict:
    return make_doc(kw.pop("source", "ims"), doc_no, **kw)
