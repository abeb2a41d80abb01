"""One definition per headline figure, for every surface that shows it.

A consultant puts the dashboard, the Reconcile tabs, the import summary, the working paper and the
supplier follow-ups on one table in a client meeting; a figure with one name must have one value there.
Every surface therefore asks this module, never sums tax itself.

The rule underneath all of them: a document's ITC is its total tax (IGST + CGST + SGST + cess), negative
for a credit note (``recon.model.itc_direction``), because a credit note reduces the credit taken
(docs/reference/matching-practice.md §7).

The figures work on the joined view (``recon.match.view.joined``: ``books_<field>`` and
``portal_<field>`` columns per result row) that both the review table and the working paper are built
from, and on canonical document frames for the import summaries.
"""

from __future__ import annotations

import polars as pl

from recon import model
from recon.match.result import CATEGORIES

ITC_IN_IMS = "ITC in IMS"
ITC_IN_BOOKS = "ITC in books"
ITC_AT_RISK = "ITC at risk"
ITC_MATCHED = "ITC matched"
TAB_ITC = "ITC on a tab"

# The words shown next to each figure (dashboard help, working paper Definitions block).
DEFINITIONS: dict[str, str] = {
    ITC_IN_IMS: (
        "Tax (IGST + CGST + SGST + cess) of every record in the IMS download for the period, "
        "credit notes subtracted. The import summary of the IMS file shows the same figure."
    ),
    ITC_IN_BOOKS: (
        "Tax of every open document in the purchase books, credit notes (Debit Note vouchers) subtracted: "
        "the documents booked in the period and, when GSTR-2B statements of earlier periods are imported, "
        "those booked in earlier months that no earlier 2B settled (the ones it settled are shown apart and "
        "not counted). With no earlier statement these are the period's books, as the import summary of "
        "the books shows them."
    ),
    ITC_MATCHED: "ITC of the IMS records on the 'Matched with ITC' tab, credit notes subtracted.",
    ITC_AT_RISK: (
        "Credit the books claim that IMS does not support: the tax of books invoices and debit notes "
        "with no IMS record (New invoice in ITC, including a second booking of one invoice), plus, on "
        "mismatched documents, the amount by which the books claim more than IMS shows. Credit notes "
        "count with a minus sign; a document where IMS shows more than the books adds nothing. "
        "Reverse-charge, ISD and import entries, which never enter IMS, are left out."
    ),
    TAB_ITC: (
        "ITC of a tab's documents, credit notes subtracted: the IMS figure where IMS has the document, "
        "the books figure for documents only in the books."
    ),
}

# The parts of ITC at risk, as named on the dashboard chart and in the working paper: the supplier
# must report, our books hold one invoice twice, the supplier must amend (or the books are wrong).
RISK_NOT_IN_IMS = "Not in IMS"
RISK_BOOKED_TWICE = "Booked twice"
RISK_BOOKS_ABOVE_IMS = "Books above IMS"
RISK_PARTS = (RISK_NOT_IN_IMS, RISK_BOOKED_TWICE, RISK_BOOKS_ABOVE_IMS)


def document_itc() -> pl.Expr:
    """Signed ITC of each canonical document (credit notes negative)."""
    return model.total_tax() * model.itc_direction()


def documents_itc(docs: pl.DataFrame) -> float:
    """ITC of a set of canonical documents: what an import summary says a file holds."""
    if docs.is_empty():
        return 0.0
    return round(float(docs.select(document_itc().sum()).item() or 0.0), 2)


def documents_taxable(docs: pl.DataFrame) -> float:
    """Taxable value of a set of canonical documents, credit notes subtracted."""
    if docs.is_empty():
        return 0.0
    signed = pl.col("taxable_value").fill_null(0.0) * model.itc_direction()
    return round(float(docs.select(signed.sum()).item() or 0.0), 2)


def side_itc(prefix: str) -> pl.Expr:
    """Signed ITC of one side (``books`` / ``portal``) of a joined row; 0 when that side is absent."""
    tax = pl.sum_horizontal([pl.col(f"{prefix}_{head}").fill_null(0.0) for head in model.TAX_COLUMNS])
    signed = tax * model.itc_direction(f"{prefix}_doc_kind")
    return pl.when(pl.col(f"{prefix}_doc_id").is_null()).then(0.0).otherwise(signed)


def row_itc() -> pl.Expr:
    """ITC a row counts for on its tab: the IMS side when there is one, else the books side."""
    return (
        pl.when(pl.col("portal_doc_id").is_not_null())
        .then(side_itc("portal"))
        .otherwise(side_itc("books"))
        .round(2)
    )


def at_risk_amount() -> pl.Expr:
    """Per row, the credit the books claim beyond what IMS shows for that document (never negative).

    Only rows on 'New invoice in ITC' and 'Mismatched with ITC' that are IMS-type documents count.
    Signed amounts make a credit note come out right: a books credit note of ₹1,000 against an IMS
    credit note of ₹1,200 means the books keep ₹200 of credit IMS has taken away.
    """
    counted = pl.col("category").is_in(["books_only", "mismatched"]) & pl.col("not_in_ims_reason").is_null()
    excess = (side_itc("books") - side_itc("portal")).clip(lower_bound=0.0)
    return pl.when(counted).then(excess).otherwise(0.0)


def risk_kind() -> pl.Expr:
    """Which part of ITC at risk a row belongs to (null when it adds nothing)."""
    books_only = pl.col("category") == "books_only"
    return (
        pl.when(books_only & pl.col("duplicate_of").is_not_null())
        .then(pl.lit(RISK_BOOKED_TWICE))
        .when(books_only)
        .then(pl.lit(RISK_NOT_IN_IMS))
        .when(pl.col("category") == "mismatched")
        .then(pl.lit(RISK_BOOKS_ABOVE_IMS))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _sum(view: pl.DataFrame, expr: pl.Expr) -> float:
    if view.is_empty():
        return 0.0
    return round(float(view.select(expr.sum()).item() or 0.0), 2)


# A books document an earlier GSTR-2B already settled (recon.pool): its ITC entered an earlier return, so
# it counts in none of this period's figures and is listed apart.
SETTLED = "settled"


def open_rows(view: pl.DataFrame) -> pl.DataFrame:
    """Rows of this period's work: every row but those settled in an earlier period."""
    return view.filter(pl.col("category") != SETTLED)


def four_tabs(view: pl.DataFrame) -> pl.DataFrame:
    """Rows of the four tabs; documents that never enter IMS (RCM, ISD, imports) are reported apart."""
    return open_rows(view).filter(pl.col("not_in_ims_reason").is_null())


def itc_in_ims(view: pl.DataFrame) -> float:
    # Every record of the download, a stale copy an earlier 2B settled included (recon.pool marks its
    # row's portal_source 'ims'): the import summary of the IMS file counts it too.
    stale_copy = (pl.col("category") == SETTLED) & (pl.col("portal_source") == "ims").fill_null(False)
    inbox = (
        view.filter((pl.col("category") != SETTLED) | stale_copy)
        if "portal_source" in view.columns
        else open_rows(view)
    )
    return _sum(inbox.filter(pl.col("portal_doc_id").is_not_null()), side_itc("portal"))


def itc_in_books(view: pl.DataFrame) -> float:
    return _sum(open_rows(view).filter(pl.col("books_doc_id").is_not_null()), side_itc("books"))


def itc_matched(view: pl.DataFrame) -> float:
    return _sum(four_tabs(view).filter(pl.col("category") == "matched"), row_itc())


def itc_at_risk(view: pl.DataFrame) -> float:
    return _sum(view, at_risk_amount())


def itc_at_risk_parts(view: pl.DataFrame) -> dict[str, float]:
    """ITC at risk split into its parts (they add up to ``itc_at_risk``)."""
    parts = dict.fromkeys(RISK_PARTS, 0.0)
    rows = view.select(risk_kind().alias("kind"), at_risk_amount().alias("amount"))
    for kind, amount in rows.group_by("kind").agg(pl.col("amount").sum()).iter_rows():
        if kind in parts:
            parts[kind] = round(amount or 0.0, 2)
    return parts


def at_risk_rows(view: pl.DataFrame) -> pl.DataFrame:
    """Rows that put ITC at risk: supplier GSTIN, supplier name, part of the risk and amount."""
    return view.select(
        "supplier_gstin", "supplier_name", risk_kind().alias("risk"), at_risk_amount().alias("amount")
    ).filter(pl.col("amount") > 0)


def tab_totals(view: pl.DataFrame) -> dict[str, tuple[int, float]]:
    """(documents, ITC) per tab, in tab order; each row counted once on its own tab."""
    totals = {c: (0, 0.0) for c in CATEGORIES}
    if view.is_empty():
        return totals
    grouped = four_tabs(view).group_by("category").agg(pl.len().alias("n"), row_itc().sum().alias("itc"))
    for category, count, itc in grouped.iter_rows():
        totals[category] = (count, round(itc or 0.0, 2))
    return totals


def headline(view: pl.DataFrame) -> dict[str, float]:
    """The figures at the top of the dashboard and the working paper."""
    return {
        "itc_in_ims": itc_in_ims(view),
        "itc_in_books": itc_in_books(view),
        "itc_matched": itc_matched(view),
        "itc_at_risk": itc_at_risk(view),
    }
