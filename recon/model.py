"""The canonical document table: one row per document, the same columns whatever the source.

Every reader returns this table; the engine, the store, the JSON writer and the app read it. It is a
``polars.DataFrame`` with exactly the columns of :data:`SCHEMA`, in that order.

Sign convention (see ``docs/architecture.md §1``): amounts are stored **positive, as printed on the document**,
exactly like IMS and GSTR-2B do. The direction comes from ``doc_kind``: a credit note reduces ITC, an
invoice or debit note adds to it. A books row that was entered with negative amounts (a purchase return
booked as a negative purchase) is stored with positive amounts and ``doc_kind`` = ``credit_note``, and the
reader adds a warning saying so. Use :func:`itc_direction` when a signed figure is needed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import datetime

import polars as pl

PORTAL_SOURCES = ("ims", "gstr2b", "gstr2a")

# Document kinds. bill_of_entry and isd never pair with a books invoice through IMS rules but are
# carried so that a 2B reconciliation can show them ("not an IMS record"). An ISD credit note (2B ISDC,
# 2A ISDCN, IMS isdcn) is a credit_note of an ISD section: it takes back credit distributed earlier.
KINDS = ("invoice", "credit_note", "debit_note", "bill_of_entry", "isd")

IMS_ACTIONS = ("A", "R", "P", "N")  # accept, reject, pending, no action
ACTION_LABELS = {"A": "Accept", "R": "Reject", "P": "Pending", "N": "No Action"}
LABEL_TO_ACTION = {v: k for k, v in ACTION_LABELS.items()}

AMOUNT_COLUMNS = ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")
TAX_COLUMNS = ("igst", "cgst", "sgst", "cess")

SCHEMA: dict[str, pl.DataType] = {
    # identity
    "doc_id": pl.String,  # stable identity of the document within its source (see make_doc_id)
    "source": pl.String,  # books | ims | gstr2b | gstr2a
    "recipient_gstin": pl.String,
    "section": pl.String,  # portal section as downloaded (b2b, b2ba, b2bcn, cdnr, isd, impg ...); books: null
    "doc_kind": pl.String,  # one of KINDS
    "is_amendment": pl.Boolean,
    "original_doc_no": pl.String,
    "original_doc_date": pl.Date,
    # supplier
    "supplier_gstin": pl.String,  # upper-cased, trimmed; kept even when invalid
    "supplier_pan": pl.String,  # characters 3-12 of the GSTIN
    "supplier_name": pl.String,
    "gstin_valid": pl.Boolean,  # False: wrong length/pattern/state code/check character
    "gstin_note": pl.String,  # why invalid, or a warning (special shape), else null
    # document
    "doc_no": pl.String,  # as written, never through a float
    "doc_no_key": pl.String,  # normalised key (recon.normalise.doc_no_key)
    "doc_date": pl.Date,
    "fy": pl.String,  # financial year of doc_date, "2025-26"
    "pos": pl.String,  # place of supply, 2-digit state code
    "supply_type": pl.String,  # R, DE, SEWP, SEWOP, CBW (codes, not words)
    "reverse_charge": pl.Boolean,
    # amounts (rupees, positive, 2 decimals)
    "taxable_value": pl.Float64,
    "igst": pl.Float64,
    "cgst": pl.Float64,
    "sgst": pl.Float64,
    "cess": pl.Float64,
    "doc_value": pl.Float64,
    # portal status
    "supplier_period": pl.String,  # rtnprd / supprd as received (MMYYYY)
    "supplier_filing_status": pl.String,  # as received ("Filed", "Not Filed", "FILED", "Y"...)
    "supplier_filed": pl.Boolean,  # null when the source does not say
    "ims_action": pl.String,  # A/R/P/N held on the portal (IMS), or imsStatus (2B)
    "pending_blocked": pl.Boolean,
    "remarks_blocked": pl.Boolean,
    "itc_red_blocked": pl.Boolean,
    "itc_available": pl.String,  # 2B itcavl: Y / N / T
    "itc_unavailable_reason": pl.String,  # 2B rsn: P (POS rule) / C (s.16(4))
    "portal_hash": pl.String,  # the portal's record checksum when given
    "content_hash": pl.String,  # our checksum of identity + amounts: detects supplier edits
    # origin
    "origin_file": pl.String,
    "origin_sheet": pl.String,
    "origin_rows": pl.List(pl.Int64),  # books: spreadsheet row numbers as Excel shows them (1-based)
    "raw": pl.String,  # portal: the untouched record as JSON text (the action JSON echoes it)
    "voucher_type": pl.String,  # books: voucher type as written ("Purchase", "Debit Note", ...)
    "voucher_no": pl.String,  # books: the buyer's own voucher number
    # books: the date the buyer booked it (the register's voucher date), which sets its booking month;
    # null when the register has no voucher date beside the supplier's date, and for portal rows
    "voucher_date": pl.Date,
    "warnings": pl.List(pl.String),
}

COLUMNS = tuple(SCHEMA)

# Fields that make up a document's content: a change in any of them after a decision means the
# supplier changed the document and the decision needs review.
CONTENT_FIELDS = (
    "supplier_gstin",
    "doc_kind",
    "doc_no",
    "doc_date",
    "pos",
    "supply_type",
    "reverse_charge",
    *AMOUNT_COLUMNS,
)


def empty() -> pl.DataFrame:
    """An empty canonical table."""
    return pl.DataFrame(schema=SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame`` with exactly the canonical columns, in order and of the canonical types.

    Missing columns are added as nulls; extra columns are an error, because a second shape of the
    data is exactly what the model exists to prevent.
    """
    extra = set(frame.columns) - set(SCHEMA)
    if extra:
        raise ValueError(f"not canonical columns: {sorted(extra)}")
    exprs = []
    for name, dtype in SCHEMA.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)


def itc_direction(kind_col: str = "doc_kind") -> pl.Expr:
    """+1 for documents that add ITC, -1 for credit notes (which reduce it)."""
    return pl.when(pl.col(kind_col) == "credit_note").then(-1).otherwise(1)


def total_tax() -> pl.Expr:
    """IGST + CGST + SGST + cess, nulls as zero."""
    return pl.sum_horizontal([pl.col(c).fill_null(0.0) for c in TAX_COLUMNS])


def make_doc_id(
    source: str,
    supplier_gstin: str | None,
    doc_kind: str,
    doc_no: str | None,
    fy: str | None,
    *,
    section: str | None = None,
    occurrence: int = 0,
) -> str:
    """A stable identity for a document within its source.

    The same document downloaded again (even with changed amounts) gets the same id, so decisions
    taken on it survive a fresh download; ``occurrence`` separates true copies (a books entry
    booked twice keeps two ids). Identity uses the number as written, upper-cased and trimmed.
    """
    parts = [
        source,
        section or "",
        (supplier_gstin or "").strip().upper(),
        doc_kind,
        (doc_no or "").strip().upper(),
        fy or "",
        str(occurrence),
    ]
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()
    return f"{source[:1]}{digest}"


def content_hashes(frame: pl.DataFrame) -> pl.Series:
    """Checksum of each document's content fields (CONTENT_FIELDS).

    Amounts enter as whole paise so that 59000 and 59000.00 hash alike. blake2b rather than
    polars' own hash because decisions stored in the workspace must compare equal across versions.
    The digest runs here, in the calling thread, not as a Python function inside a polars expression:
    polars would run that on its worker threads, which then wait for the GIL, while another session's
    thread holds the GIL waiting for those same workers (Streamlit's to_pandas) and the server hangs.
    """
    # A slice of the documents at a time: a million documents' texts would take 150 MB as Python strings.
    digests = [
        _digest(text)
        for offset in range(0, frame.height, _HASHED_AT_ONCE)
        for text in frame.slice(offset, _HASHED_AT_ONCE).select(_content_text()).to_series().to_list()
    ]
    return pl.Series("content_hash", digests, dtype=pl.String)


_HASHED_AT_ONCE = 20_000


def _content_text() -> pl.Expr:
    parts = []
    for f in CONTENT_FIELDS:
        col = pl.col(f)
        if SCHEMA[f] == pl.Float64:
            col = (col * 100).round(0).cast(pl.Int64)
        elif SCHEMA[f] == pl.Date:
            col = col.dt.strftime("%Y-%m-%d")
        parts.append(col.cast(pl.String).fill_null(""))
    return pl.concat_str(parts, separator="|")


def with_content_hash(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill ``content_hash`` for every row of a canonical frame."""
    return frame.with_columns(content_hashes(frame))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# A decision is stored by the workspace database and read by the action rules: it lives here so the
# store needs none of the rules.
@dataclass(frozen=True)
class Decision:
    """What the consultant wants the portal to hold for one portal document.

    ``content_hash`` is the document's hash when the decision was taken: a later download with another
    hash means the supplier changed the document, and the decision is not exported until re-confirmed.
    """

    portal_doc_id: str
    action: str  # A / R / P / N
    remarks: str | None = None
    itc_red_req: str | None = None  # Y / N: does ITC need to be reduced (credit notes accepted)
    decl_igst: float | None = None
    decl_cgst: float | None = None
    decl_sgst: float | None = None
    decl_cess: float | None = None
    content_hash: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


DECISION_SCHEMA: dict[str, pl.DataType] = {
    "portal_doc_id": pl.String,
    "action": pl.String,
    "remarks": pl.String,
    "itc_red_req": pl.String,
    "decl_igst": pl.Float64,
    "decl_cgst": pl.Float64,
    "decl_sgst": pl.Float64,
    "decl_cess": pl.Float64,
    "content_hash": pl.String,
    "decided_by": pl.String,
    "decided_at": pl.Datetime("us"),
}
assert tuple(DECISION_SCHEMA) == tuple(f.name for f in fields(Decision))
