"""The purchase register as rows, and the canonical books a reader must make of it in each ERP layout.

``register_frame`` is the register line by line, independent of layout: what the client booked. Each
ERP writes it its own way (recon.synth.layouts); ``books_frame`` is what reading that file back must
give: one canonical row per voucher, positive amounts, the row numbers it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from recon.synth.canonical import finish
from recon.synth.documents import BookEntry, Line, sum_lines

REGISTER_SCHEMA = {
    "entry": pl.Int64,  # voucher index in booking order
    "line": pl.Int64,  # 0.. within the voucher
    "voucher_date": pl.Date,
    "voucher_no": pl.String,
    "doc_kind": pl.String,  # the supplier's class of document
    "supplier_gstin": pl.String,
    "supplier_name": pl.String,
    "doc_no": pl.String,
    "doc_date": pl.Date,
    "pos": pl.String,
    "reverse_charge": pl.Boolean,
    "rate": pl.Float64,  # null when a multi-rate voucher is one row
    "taxable_value": pl.Float64,
    "igst": pl.Float64,
    "cgst": pl.Float64,
    "sgst": pl.Float64,
    "cess": pl.Float64,
    "gross_total": pl.Float64,
    "negative": pl.Boolean,  # amounts typed with a minus sign
    "split_rates": pl.Boolean,  # one row per rate where the layout allows it
}


def register_frame(entries: list[BookEntry]) -> pl.DataFrame:
    """One row per voucher, or per rate for vouchers booked rate-wise."""
    rows = []
    for index, entry in enumerate(entries):
        lines = entry.lines if entry.split_rates else [_merged(entry.lines)]
        for number, line in enumerate(lines):
            total = entry.value if len(lines) == 1 else line.total
            rows.append(
                {
                    "entry": index,
                    "line": number,
                    "voucher_date": entry.voucher_date,
                    "voucher_no": entry.voucher_no,
                    "doc_kind": entry.doc_kind,
                    "supplier_gstin": entry.supplier_gstin,
                    "supplier_name": entry.supplier_name,
                    "doc_no": entry.doc_no,
                    "doc_date": entry.doc_date,
                    "pos": entry.pos,
                    "reverse_charge": entry.reverse_charge,
                    "rate": line.rate,
                    "taxable_value": line.taxable,
                    "igst": line.igst,
                    "cgst": line.cgst,
                    "sgst": line.sgst,
                    "cess": line.cess,
                    "gross_total": total,
                    "negative": entry.negative,
                    "split_rates": entry.split_rates,
                }
            )
    return pl.DataFrame(rows, schema=REGISTER_SCHEMA)


def _merged(lines: list[Line]) -> Line:
    if len(lines) == 1:
        return lines[0]
    a = sum_lines(lines)
    return Line(None, a["taxable_value"], a["igst"], a["cgst"], a["sgst"], a["cess"])  # type: ignore[arg-type]


@dataclass(frozen=True)
class LayoutShape:
    """What a layout's file carries, as far as the canonical books are concerned."""

    first_data_row: int  # spreadsheet row of the first register line (1-based, as Excel shows it)
    splits_rates: bool  # writes one row per rate for rate-wise vouchers
    has_pos: bool
    has_reverse_charge: bool
    has_voucher_no: bool
    debit_note_as_invoice: bool = False  # Zoho books a supplier's debit note as an ordinary Bill
    allows_negative: bool = True  # False: the ERP keeps returns positive (Zoho's Vendor Credits)


def file_rows(register: pl.DataFrame, shape: LayoutShape) -> pl.DataFrame:
    """The register as this layout writes it: rate rows merged where the layout cannot split them."""
    if shape.splits_rates:
        return register
    split = register.filter(pl.col("split_rates"))
    if split.is_empty():
        return register
    merged = (
        split.group_by("entry", maintain_order=True)
        .agg(
            pl.exclude("line", "rate", *_SUMMED).first(),
            *[pl.col(c).sum().round(2) for c in _SUMMED],
            pl.lit(0).cast(pl.Int64).alias("line"),
            pl.lit(None, dtype=pl.Float64).alias("rate"),
        )
        .select(REGISTER_SCHEMA.keys())
    )
    return pl.concat([register.filter(~pl.col("split_rates")), merged]).sort("entry", "line")


_SUMMED = ("taxable_value", "igst", "cgst", "sgst", "cess", "gross_total")
NEGATIVE_WARNING = "entered with negative amounts: stored positive as a credit note"


def books_frame(
    register: pl.DataFrame,
    recipient_gstin: str,
    *,
    layout: str,
    file_name: str,
    sheet: str | None,
    voucher_type: pl.Expr | None = None,
) -> pl.DataFrame:
    """Canonical books as a reader must produce them from ``layout``'s file of this register."""
    from recon.synth.layouts import SHAPES, voucher_type_expr, voucher_word

    shape = SHAPES[layout]
    rows = file_rows(register, shape).with_row_index("row_index")
    # A return typed as a negative *purchase* is odd and must be flagged when read; a negative amount
    # on a voucher that already says credit note / credit memo is just how that ERP prints it.
    flagged = shape.allows_negative and voucher_word(layout, "credit_note", True) == voucher_word(
        layout, "invoice", False
    )
    rows = rows.with_columns((pl.col("negative") & pl.lit(flagged)).alias("odd_sign"))
    kind = pl.col("doc_kind")
    if shape.debit_note_as_invoice:
        kind = pl.when(kind == "debit_note").then(pl.lit("invoice")).otherwise(kind)
    docs = (
        rows.with_columns((pl.col("row_index").cast(pl.Int64) + shape.first_data_row).alias("sheet_row"))
        .group_by("entry", maintain_order=True)
        .agg(
            kind.first().alias("doc_kind"),
            (voucher_type if voucher_type is not None else voucher_type_expr(layout))
            .first()
            .alias("voucher_type"),
            *[
                pl.col(c).first()
                for c in (
                    "supplier_gstin",
                    "supplier_name",
                    "doc_no",
                    "doc_date",
                    "pos",
                    "reverse_charge",
                    "voucher_no",
                    "voucher_date",
                    "odd_sign",
                )
            ],
            *[pl.col(c).sum().round(2) for c in _SUMMED],
            pl.col("sheet_row").alias("origin_rows"),
        )
    )
    docs = docs.with_columns(
        pl.lit(recipient_gstin).alias("recipient_gstin"),
        pl.lit(False).alias("is_amendment"),
        pl.col("gross_total").alias("doc_value"),
        pl.lit(file_name).alias("origin_file"),
        pl.lit(sheet, dtype=pl.String).alias("origin_sheet"),
        pl.when(pl.col("odd_sign"))
        .then(pl.lit([NEGATIVE_WARNING], dtype=pl.List(pl.String)))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias("warnings"),
        pl.col("supplier_gstin").str.strip_chars().str.to_uppercase(),
    )
    if not shape.has_pos:
        docs = docs.with_columns(pl.lit(None, dtype=pl.String).alias("pos"))
    if not shape.has_reverse_charge:
        docs = docs.with_columns(pl.lit(None, dtype=pl.Boolean).alias("reverse_charge"))
    if not shape.has_voucher_no:
        # Such an export (Zoho's bills) prints neither the voucher's number nor its date.
        docs = docs.with_columns(
            pl.lit(None, dtype=pl.String).alias("voucher_no"),
            pl.lit(None, dtype=pl.Date).alias("voucher_date"),
        )
    docs = docs.drop("entry", "odd_sign", "gross_total")
    return finish(docs, "books", count_occurrences=True)
