"""Purchase-register layouts of the ERPs Indian clients use, and how each names its vouchers.

Registers use the *buyer's* wording (matching-practice.md §7): a supplier's credit note is a "Debit
Note" voucher in Tally and Busy, a "Vendor Credits" entry in Zoho Books, a "Credit Memo" in SAP; a
supplier's debit note is a "Credit Note" voucher in Tally. Some purchase returns are typed as
negative purchases instead.
"""

from __future__ import annotations

import polars as pl

from recon.synth.register import LayoutShape

LAYOUTS = ("tally", "busy", "zoho", "sap", "marg", "generic")

SHAPES: dict[str, LayoutShape] = {
    # Tally: company, report name and period above the header (rows 1-3), header on row 4.
    "tally": LayoutShape(first_data_row=5, splits_rates=False, has_pos=False, has_reverse_charge=False,
                         has_voucher_no=True),
    "busy": LayoutShape(first_data_row=4, splits_rates=True, has_pos=False, has_reverse_charge=True,
                        has_voucher_no=True),
    "zoho": LayoutShape(first_data_row=2, splits_rates=False, has_pos=True, has_reverse_charge=True,
                        has_voucher_no=False, debit_note_as_invoice=True, allows_negative=False),
    "sap": LayoutShape(first_data_row=2, splits_rates=True, has_pos=True, has_reverse_charge=True,
                       has_voucher_no=True),
    "marg": LayoutShape(first_data_row=3, splits_rates=False, has_pos=False, has_reverse_charge=False,
                        has_voucher_no=True),
    "generic": LayoutShape(first_data_row=2, splits_rates=True, has_pos=True, has_reverse_charge=True,
                           has_voucher_no=True),
}  # fmt: skip

# Voucher words per layout: (supplier's class, typed negative?) -> what the ERP writes.
_WORDS: dict[str, dict[tuple[str, bool], str]] = {
    "tally": {("invoice", False): "Purchase", ("credit_note", False): "Debit Note",
              ("credit_note", True): "Purchase", ("debit_note", False): "Credit Note"},
    "busy": {("invoice", False): "Purchase", ("credit_note", False): "Debit Note",
             ("credit_note", True): "Purchase", ("debit_note", False): "Credit Note"},
    "zoho": {("invoice", False): "Bill", ("credit_note", False): "Vendor Credits",
             ("credit_note", True): "Vendor Credits", ("debit_note", False): "Bill"},
    "sap": {("invoice", False): "Invoice", ("credit_note", False): "Credit Memo",
            ("credit_note", True): "Credit Memo", ("debit_note", False): "Subsequent Debit"},
    "marg": {("invoice", False): "Purchase", ("credit_note", False): "Purchase Return",
             ("credit_note", True): "Purchase", ("debit_note", False): "Credit Note"},
    "generic": {("invoice", False): "Purchase", ("credit_note", False): "Debit Note",
                ("credit_note", True): "Purchase Return", ("debit_note", False): "Credit Note"},
}  # fmt: skip


def voucher_word(layout: str, doc_kind: str, negative: bool) -> str:
    words = _WORDS[layout]
    return words.get((doc_kind, negative)) or words[(doc_kind, False)]


def voucher_type_expr(layout: str) -> pl.Expr:
    """The voucher word of each register row in ``layout`` (columns doc_kind, negative)."""
    expr = None
    for (kind, negative), word in _WORDS[layout].items():
        cond = (pl.col("doc_kind") == kind) & (pl.col("negative") == negative)
        expr = pl.when(cond).then(pl.lit(word)) if expr is None else expr.when(cond).then(pl.lit(word))
    return expr.otherwise(None)
