"""What a file may hold before it is no purchase data at all: the last checks before documents are kept.

Each reader refuses a bad cell or field where it reads it; these checks catch what only shows once a
document is put together (rate rows or rate lines summed past any real amount).
"""

from __future__ import annotations

import polars as pl

from recon import model, normalise
from recon.errors import InputError

_LABELS = {
    "taxable_value": "taxable value",
    "igst": "IGST",
    "cgst": "CGST",
    "sgst": "SGST",
    "cess": "cess",
    "doc_value": "document value",
}


def refuse_unusable_amounts(docs: pl.DataFrame, file: str) -> None:
    """InputError naming the first document whose amount is NaN, infinite or beyond any real amount."""
    present = [c for c in model.AMOUNT_COLUMNS if c in docs.columns]
    if docs.is_empty() or not present:
        return
    unusable = pl.any_horizontal([~normalise.amount_usable_expr(pl.col(c)).fill_null(True) for c in present])
    bad = docs.filter(unusable)
    if bad.is_empty():
        return
    doc = bad.row(0, named=True)
    column = next(c for c in present if normalise.amount_problem(doc[c] if doc[c] is not None else 0.0))
    problem = normalise.amount_problem(doc[column])
    more = f" ({bad.height - 1} more document(s) alike)" if bad.height > 1 else ""
    raise InputError(
        f"{_document_words(doc)}: its {_LABELS[column]} comes to {doc[column]:.2f}, which {problem}{more}",
        file=file,
        sheet=doc.get("origin_sheet") if doc.get("source") == "books" else None,
        hint="Check the amounts of that document's rows in the file; a stray digit or a unit mix-up "
        "(paise for rupees) is the usual cause.",
    )


def _document_words(doc: dict) -> str:
    """'document K-1 of supplier 32AB... (rows 4, 5)' or '(section 'b2b', document 3)'."""
    number = doc.get("doc_no") or "(no number)"
    supplier = f" of supplier {doc['supplier_gstin']}" if doc.get("supplier_gstin") else ""
    rows = doc.get("origin_rows") or []
    if doc.get("source") == "books":
        place = f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:10]))}" if rows else ""
    else:
        section = doc.get("origin_sheet") or doc.get("section")
        place = ", ".join(
            p for p in (f"section '{section}'" if section else "", f"document {rows[0]}" if rows else "") if p
        )
    return f"document '{number}'{supplier}" + (f" ({place})" if place else "")
