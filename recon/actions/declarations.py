"""The ITC-reduction declaration on an accepted credit note: suggested, prefilled, checked.

The reduction is the books' amounts, capped at the note's, with CGST = SGST (docs/reference/ims-rules.md §4,
FAQ25); never negative, never above the note's tax.
"""

from __future__ import annotations

import polars as pl

from recon.actions.facts import DECL_COLUMNS, HEADS, is_credit_note, money


def suggested_declaration() -> dict[str, pl.Expr]:
    """ITC reduction on a suggested Accept of a credit note: books amounts capped at the note, CGST = SGST."""
    applies = (pl.col("_action") == "A") & is_credit_note() & ~pl.col("p_itc_red_blocked").fill_null(False)

    def capped(head: str) -> pl.Expr:
        portal_amount = money(pl.col(f"p_{head}"))
        books_amount = pl.col(f"b_{head}").fill_null(portal_amount)
        return pl.min_horizontal(books_amount, portal_amount).clip(lower_bound=0.0).round(2)

    local = pl.min_horizontal(capped("cgst"), capped("sgst"))
    amounts = {
        "decl_igst": capped("igst"),
        "decl_cgst": local,
        "decl_sgst": local,
        "decl_cess": capped("cess"),
    }
    total = pl.sum_horizontal(list(amounts.values()))
    answer = pl.when(applies).then(pl.when(total > 0).then(pl.lit("Y")).otherwise(pl.lit("N")))
    out = {"itc_red_req": answer}
    for name, amount in amounts.items():
        out[name] = pl.when(applies & (total > 0)).then(amount)
    return out


def books_declaration(portal_row: dict, books_amounts: dict) -> dict:
    """The suggested ITC reduction for one accepted credit note (the rule of suggested_declaration).

    ``books_amounts``: {"igst": ..., "cgst": ..., "sgst": ..., "cess": ...} from the books entry. Each head
    is the books amount capped at the note's; CGST and SGST take the smaller of the two so they stay
    equal. Returns itc_red_req and decl_* ready for a Decision ("N" with no amounts when all are zero).
    """

    def capped(head: str) -> float:
        note = portal_row.get(head) or 0.0
        books = books_amounts.get(head)
        return round(max(min(note if books is None else books, note), 0.0), 2)

    local = min(capped("cgst"), capped("sgst"))
    amounts = {
        "decl_igst": capped("igst"),
        "decl_cgst": local,
        "decl_sgst": local,
        "decl_cess": capped("cess"),
    }
    if sum(amounts.values()) <= 0:
        return {"itc_red_req": "N", **{k: None for k in amounts}}
    return {"itc_red_req": "Y", **amounts}


def declaration_rules() -> list[tuple[pl.Expr, pl.Expr]]:
    """The declared ITC reduction: never negative, never above the document's tax, CGST = SGST (FAQ25)."""
    declaring = (pl.col("_action") == "A") & (pl.col("itc_red_req") == "Y")
    rules = []
    for head in HEADS:
        decl = pl.col(f"decl_{head}")
        rules.append(
            (
                declaring & (decl < 0),
                pl.lit(f"The declared {head.upper()} reduction cannot be negative."),
            )
        )
        rules.append(
            (
                declaring & (decl > money(pl.col(f"p_{head}")) + 0.005),
                pl.lit(f"The declared {head.upper()} reduction (")
                + decl.round(2).cast(pl.String)
                + pl.lit(f") is more than the document's {head.upper()} (")
                + money(pl.col(f"p_{head}")).round(2).cast(pl.String)
                + pl.lit(")."),
            )
        )
    cgst, sgst = money(pl.col("decl_cgst")), money(pl.col("decl_sgst"))
    rules.append(
        (
            declaring & ((cgst - sgst).abs() > 0.005),
            pl.lit("The declared CGST and SGST reductions must be equal."),
        )
    )
    declared_total = pl.sum_horizontal([money(pl.col(c)) for c in DECL_COLUMNS])
    rules.append(
        (
            declaring & (declared_total <= 0),
            pl.lit("ITC reduction is 'Y' but no amount is declared: give the amounts, or answer N."),
        )
    )
    return rules


def declaration_prefill(notes: pl.DataFrame) -> pl.DataFrame:
    """The ITC-reduction answer per credit note, prefilled: the answer already given (decision or
    suggestion), else Yes with the books' tax amounts (docs/reference/matching-practice.md §11: reduction =
    books)."""
    amounts = []
    for column in ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess"):
        books_column = f"books_{column[5:]}"
        value = pl.col(column) if column in notes.columns else pl.lit(None, dtype=pl.Float64)
        if books_column in notes.columns:
            value = value.fill_null(pl.col(books_column))
        amounts.append(value.fill_null(0.0).alias(column))
    answer = pl.col("itc_red_req") if "itc_red_req" in notes.columns else pl.lit(None, dtype=pl.String)
    return notes.select(
        "portal_doc_id",
        pl.col("supplier_name").fill_null(pl.col("supplier_gstin")).alias("supplier"),
        pl.col("portal_doc_no").alias("note_no"),
        answer.fill_null("Y").alias("itc_red_req"),
        *amounts,
    )
