"""Suggested IMS actions: ``suggested_action``, ``action_reason`` and ``action_warnings`` per result row.

:func:`suggest` fills them on the engine's result table (``recon.match.result.RESULT_SCHEMA``). Vectorised:
polars expressions, run once per kind of row (``recon.actions.kinds``) and copied to the others.

Suggestion policy (docs/reference/matching-practice.md §11; every suggestion is only that, the user decides):

==================================  =====================================================================
Outcome                             Suggestion
==================================  =====================================================================
Matched, supplier filed             Accept (credit note: Accept, ITC reduction = books amounts)
Matched, supplier not filed         Pending (accepting now takes credit before the return is filed)
Mismatched, only the date differs   Accept: the supplier's date governs (docs/reference/matching-practice.md §1)
Mismatched, clearly the supplier's  Reject with a remark, once the supplier has filed: place of supply
error                               differs, reverse charge differs, tax charged under the wrong head
                                    (IGST vs CGST/SGST), or total tax apart by more than
                                    ``FAR_APART_SHARE``. While unfiled: Pending (ask them to fix it first).
                                    Only on strong evidence that it is the document in the books: paired
                                    on the number (or linked by the user) with the same taxable value and
                                    date; else Pending while the user checks (the reason says which)
Mismatched, otherwise               Pending while the supplier amends (GSTR-1A / next GSTR-1)
Pair to confirm (fuzzy, PAN,        no change (the portal's current action) until the user confirms the
31-March/1-April review, a better   pair; the reason says No Action means deemed acceptance on the 14th
partner left unpaired)
Only in IMS                         Pending while verifying; never Reject automatically (docs/reference/matching-practice.md §12.4)
Only in books                       none (null): nothing to act on in IMS; supplier follow-up
Not an IMS record (RCM, ISD, ...)   none (null): reconcile against GSTR-2B
Import of goods                     Accept or Pending only, never Reject (docs/reference/ims-rules.md §6)
==================================  =====================================================================

Wherever Pending is suggested but the portal would refuse it (``ispendactblocked`` = Y, a credit note
from before the October-2025 period, or past its one tax period — docs/reference/ims-rules.md §4), the suggestion falls back
to No Action with a warning to review before the 14th, when No Action becomes deemed acceptance.
Pending, open and unmatched invoices also get a warning when the s.16(4) deadline (30 November after
the FY, docs/reference/ims-rules.md §7) is near or past, and a suggestion that would change an action someone already took on
the portal says so.

"practice" is docs/reference/matching-practice.md, "rules" docs/reference/ims-rules.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from recon.actions import texts
from recon.actions.facts import (
    BOOKS_FACTS,
    DATE_FIELDS,
    FAR_APART_SHARE,
    HEADS,
    POS_FIELDS,
    REVERSE_CHARGE_FIELDS,
    S16_WARNING_DAYS,
    SUGGEST_PORTAL_FACTS,
    TAXABLE_FIELDS,
    current_action,
    fact,
    gathered,
    is_credit_note,
    is_import,
    listed,
    money,
    needs_pair_confirmation,
    pending_block_reason,
    supplier_filed,
    total_tax,
)
from recon.actions.kinds import FINDINGS, kinds
from recon.model import ACTION_LABELS

# The result columns the rules read.
_RESULT_INPUTS = (
    "category",
    "books_doc_id",
    "portal_doc_id",
    "basis",
    "score",
    "differences",
    "differences_text",
    "not_in_ims_reason",
    "needs_review",
    "review_reason",
)


def suggest(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    today: date | None = None,
    *,
    books_rows: pl.Series | None = None,
    portal_rows: pl.Series | None = None,
    quarterly: bool = False,
) -> pl.DataFrame:
    """Fill suggested_action, action_reason and action_warnings on a RESULT_SCHEMA frame.

    Row order and every other column are kept. ``today`` drives the credit-note Pending window and the
    s.16(4) warnings (default: the machine's date). ``books_rows`` / ``portal_rows``: when the caller
    knows them (the engine does), each result row's document as a row position in ``books`` / ``portal``
    (null when absent) — otherwise they are found by doc_id (a document's first row). ``quarterly``: the
    client files quarterly (QRMP), so a credit note's Pending window runs a quarter.
    """
    today = today or date.today()
    if books_rows is None or portal_rows is None:
        books_rows = _positions(results.get_column("books_doc_id"), books)
        portal_rows = _positions(results.get_column("portal_doc_id"), portal)
    # The rules run once per kind of row, not once per row: a large result holds few kinds, and building
    # a sentence and warning list per row costs far more than copying them from the first row of each
    # kind. Only a mismatch's first sentence is its own: it quotes the differences.
    inputs = results.select(_RESULT_INPUTS)  # the long text columns stay behind
    mismatched = (inputs.get_column("category") == "mismatched").fill_null(False)
    findings = _mismatch_findings(
        _facts(inputs, books, portal, books_rows, portal_rows, mismatched, *_MISMATCH_FACTS)
    )
    kind, first = kinds(inputs, books, portal, books_rows, portal_rows, mismatched, findings)
    # In one chunk, so the copies below gather from contiguous memory.
    facts = _facts(inputs, books, portal, books_rows, portal_rows, first)
    suggested = _suggested(facts, today, quarterly).rechunk()
    return results.with_columns(
        suggested.get_column("suggested_action").gather(kind),
        _reasons(suggested, kind, mismatched, findings.get_column("_situation")),
        suggested.get_column("action_warnings").gather(kind),
    )


def _suggested(facts: pl.DataFrame, today: date, quarterly: bool = False) -> pl.DataFrame:
    """suggested_action, action_reason and action_warnings for each row of ``facts`` (see _facts).

    Also the reason after its first sentence (``_reason_tail``) and ``_fell_back``, for :func:`_reason`.
    """
    # One lazy plan, so polars evaluates the shared sub-expressions of the rules once.
    plan = _with_findings(facts.lazy()).with_columns(
        _situation().alias("_situation"), _planned_action().alias("_planned")
    )
    refused = pending_block_reason(today, quarterly)
    plan = _once_per_distinct(plan, refused, _PENDING_INPUTS, "_pending_refused")
    plan = (
        plan.with_columns(
            # A document already held as Pending is not a change, and a pair still to confirm keeps the
            # portal's action: neither falls back (falling back would export a RESET nobody asked for).
            (
                (pl.col("_planned") == "P")
                & pl.col("_pending_refused").is_not_null()
                & (current_action() != "P")
                & ~pl.col("_confirm")
            ).alias("_fell_back")
        )
        .with_columns(
            pl.when(pl.col("_fell_back"))
            .then(pl.lit("N"))
            .otherwise(pl.col("_planned"))
            .alias("suggested_action"),
            pl.when(pl.col("_fell_back"))
            .then(
                pl.lit(" Pending would fit, but ")
                + pl.col("_pending_refused")
                + pl.lit(
                    ": no change is suggested — review before the 14th, when No Action is deemed accepted."
                )
            )
            .otherwise(pl.lit(" ") + _advice())
            .alias("_reason_tail"),
        )
        .with_columns(
            _reason(pl.col("_situation"), pl.col("_reason_tail"), pl.col("_fell_back")).alias("action_reason")
        )
    )
    plan = _once_per_distinct(plan, _s16_warning(today), _S16_INPUTS, "_s16")
    return (
        plan.with_columns(_warnings(pl.col("_fell_back"), pl.col("_s16")).alias("action_warnings"))
        .select("suggested_action", "action_reason", "action_warnings", "_reason_tail", "_fell_back")
        .collect()
    )


def _with_findings(plan: pl.LazyFrame) -> pl.LazyFrame:
    """The columns the rules below read many times, evaluated once."""
    return (
        plan.with_columns(_diff_fields().alias("_diff_fields"))
        .with_columns(
            _supplier_error_kind().alias("_error_kind"),
            _date_only_difference().alias("_date_only"),
            needs_pair_confirmation().alias("_confirm"),
        )
        .with_columns(_reject_evidence().alias("_evidence"))
        .with_columns(_reject_doubt().alias("_doubt"))
    )


def _reason(situation: pl.Expr, tail: pl.Expr, fell_back: pl.Expr) -> pl.Expr:
    # Stripped because an empty advice leaves a trailing space; the fallback sentence never does.
    return pl.when(fell_back).then(situation + tail).otherwise((situation + tail).str.strip_chars())


def _reasons(
    suggested: pl.DataFrame, kind: pl.Series, mismatched: pl.Series, situations: pl.Series
) -> pl.Series:
    """action_reason per result row: its kind's, but on a mismatch its own first sentence then its kind's
    rest."""
    of_mismatches = kind.filter(mismatched)
    own = pl.DataFrame(
        [
            situations,
            suggested.get_column("_reason_tail").gather(of_mismatches),
            suggested.get_column("_fell_back").gather(of_mismatches),
        ]
    ).select(_reason(pl.col("_situation"), pl.col("_reason_tail"), pl.col("_fell_back")))
    reasons = suggested.get_column("action_reason").gather(kind)
    return reasons.scatter(mismatched.arg_true(), own.to_series())


# The columns pending_block_reason and _s16_warning read: the kinds of rows hold a few dozen combinations.
_PENDING_INPUTS = ("p_pending_blocked", "p_doc_kind", "p_supplier_period")
_S16_INPUTS = ("p_fy", "b_fy", "p_doc_kind", "b_doc_kind", "category", "suggested_action")


def _once_per_distinct(plan: pl.LazyFrame, expr: pl.Expr, inputs: Iterable[str], name: str) -> pl.LazyFrame:
    """Add ``expr`` as ``name``, evaluated once per distinct combination of the columns it reads.

    For rules built from dates and text (periods, deadlines) on few distinct inputs: evaluating them on
    every row costs far more than a join back on those columns.
    """
    inputs = list(inputs)
    values = plan.select(inputs).unique().with_columns(expr.alias(name))
    return plan.join(values, on=inputs, how="left", maintain_order="left", nulls_equal=True)


def _positions(ids: pl.Series, docs: pl.DataFrame) -> pl.Series:
    """Each id's row in ``docs`` (its first, when repeated), null when absent."""
    first = docs.select("doc_id", pl.int_range(pl.len(), dtype=pl.UInt32).alias("row")).unique(
        "doc_id", keep="first", maintain_order=True
    )
    found = ids.to_frame("doc_id").join(first, on="doc_id", how="left", maintain_order="left")
    return found.get_column("row")


def _facts(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    books_rows: pl.Series,
    portal_rows: pl.Series,
    where: pl.Series,
    portal_facts: Iterable[str] = SUGGEST_PORTAL_FACTS,
    books_facts: Iterable[str] = BOOKS_FACTS,
) -> pl.DataFrame:
    """The result rows ``where`` holds, with their portal (p_*) and books (b_*) facts."""
    # Filtered, not gathered: gathering rows of a nested column (differences) from the many chunks of a
    # result table is many times slower.
    return pl.concat(
        [
            results.filter(where),
            gathered(portal, "p_", portal_facts, portal_rows.filter(where)),
            gathered(books, "b_", books_facts, books_rows.filter(where)),
        ],
        how="horizontal",
    )


# The portal and books facts _mismatch_findings reads (a fact missing here fails loudly, not silently).
_MISMATCH_FACTS = (("section", "doc_kind", "supplier_filed", *HEADS), HEADS)


def _mismatch_findings(facts: pl.DataFrame) -> pl.DataFrame:
    """Per mismatch (``facts`` of the mismatched rows): its _error_kind, _date_only, the evidence for or
    against a Reject (_evidence, _doubt) and _situation."""
    return _with_findings(facts.lazy()).select(*FINDINGS, _situation().alias("_situation")).collect()


def _diff_fields() -> pl.Expr:
    return pl.col("differences").list.eval(pl.element().struct.field("field").str.to_lowercase())


def _differs_in(names: Iterable[str]) -> pl.Expr:
    return pl.col("_diff_fields").list.eval(pl.element().is_in(list(names))).list.any().fill_null(False)


def _date_only_difference() -> pl.Expr:
    fields_ = pl.col("_diff_fields")
    return (fields_.list.len() > 0) & fields_.list.eval(pl.element().is_in(list(DATE_FIELDS))).list.all()


def _wrong_head() -> pl.Expr:
    """Tax charged as IGST on one side and CGST+SGST on the other: inter- vs intra-state got wrong."""
    b_local = money(pl.col("b_cgst")) + money(pl.col("b_sgst"))
    p_local = money(pl.col("p_cgst")) + money(pl.col("p_sgst"))
    b_igst, p_igst = money(pl.col("b_igst")), money(pl.col("p_igst"))
    return ((b_igst > 0) & (p_igst == 0) & (p_local > 0)) | ((b_local > 0) & (b_igst == 0) & (p_igst > 0))


def _far_apart() -> pl.Expr:
    p_tax, b_tax = total_tax("p_"), total_tax("b_")
    tax_gap = (p_tax - b_tax).abs() > FAR_APART_SHARE * pl.max_horizontal(p_tax, b_tax)
    # Taxable value is not among the portal facts; the tax gap is what moves ITC.
    return tax_gap & (pl.max_horizontal(p_tax, b_tax) > 0)


def _supplier_error_kind() -> pl.Expr:
    """Words for a difference that is clearly the supplier's error, else null."""
    return (
        pl.when(_differs_in(POS_FIELDS))
        .then(pl.lit("the place of supply differs"))
        .when(_differs_in(REVERSE_CHARGE_FIELDS))
        .then(pl.lit("reverse charge differs"))
        .when(_wrong_head())
        .then(pl.lit("tax is charged under the wrong head (IGST vs CGST/SGST)"))
        .when(_far_apart())
        .then(pl.lit(f"the tax amounts are more than {FAR_APART_SHARE:.0%} apart"))
    )


def _reject_evidence() -> pl.Expr:
    """What shows a supplier error is on the document in the books, for the Reject reason (else null).

    Strong evidence: paired on the number under the same GSTIN (or linked by the user), and the taxable value
    and date agree, so only the supplier's tax treatment differs. Read only where a supplier error was found.
    """
    identified = (
        pl.when(pl.col("basis") == "manual")
        .then(pl.lit("you linked the two"))
        .when(pl.col("basis").is_in(["exact", "normalised"]).fill_null(False))
        .then(pl.lit("the number"))
    )
    strong = ~_differs_in(TAXABLE_FIELDS) & ~_differs_in(DATE_FIELDS) & identified.is_not_null()
    agree = (
        pl.when(pl.col("basis") == "manual")
        .then(pl.lit(", and the taxable value and date agree"))
        .otherwise(pl.lit(", taxable value and date agree"))
    )
    return pl.when(pl.col("_error_kind").is_not_null() & strong).then(identified + agree)


def _reject_doubt() -> pl.Expr:
    """Why a supplier error may be on another document than the one in the books (else null).

    A pair of unrelated amounts or dates may be two documents that share a number: rejecting it would
    reject a genuine invoice, so the weaker evidence is named and the rules suggest Pending instead.
    """
    taxable, dated = _differs_in(TAXABLE_FIELDS), _differs_in(DATE_FIELDS)
    doubt = (
        pl.when(taxable & dated)
        .then(pl.lit("the taxable value and the date differ as well"))
        .when(taxable)
        .then(pl.lit("the taxable value differs as well"))
        .when(dated)
        .then(pl.lit("the date differs as well"))
        .otherwise(pl.lit("the pair was not made on the number"))
    )
    return pl.when(pl.col("_error_kind").is_not_null() & pl.col("_evidence").is_null()).then(doubt)


def _planned_action() -> pl.Expr:
    """The action the rules want before checking whether the portal allows Pending."""
    category = pl.col("category")
    return (
        pl.when(pl.col("portal_doc_id").is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("not_in_ims_reason").is_not_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("_confirm"))
        .then(current_action())
        .when(category == "matched")
        .then(pl.when(supplier_filed()).then(pl.lit("A")).otherwise(pl.lit("P")))
        .when((category == "mismatched") & pl.col("_date_only"))
        .then(pl.lit("A"))
        .when(category == "mismatched")
        .then(
            pl.when(
                pl.col("_error_kind").is_not_null()
                & supplier_filed()
                & ~is_import()
                & pl.col("_doubt").is_null()
            )
            .then(pl.lit("R"))
            .otherwise(pl.lit("P"))
        )
        .when(category == "ims_only")
        .then(pl.lit("P"))
        .otherwise(pl.lit(None, pl.String))
    )


def _situation() -> pl.Expr:
    """First sentence of the reason: what the reconciliation found."""
    category = pl.col("category")
    # The engine writes full sentences ("IGST differs: ... (+₹12)."); the reason adds its own full stop.
    diff = pl.col("differences_text").fill_null("details differ").str.strip_chars_end(". ")
    kind = (
        pl.when(is_import())
        .then(pl.lit("Bill of entry"))
        .when(is_credit_note())
        .then(pl.lit("Credit note"))
        .otherwise(pl.lit("Document"))
    )
    return (
        pl.when(pl.col("portal_doc_id").is_null())
        .then(pl.lit("Only in your books: there is no IMS record to act on; ask the supplier to report it."))
        .when(pl.col("not_in_ims_reason").is_not_null())
        .then(pl.lit("Not an IMS record (") + pl.col("not_in_ims_reason") + pl.lit(")."))
        .when(pl.col("_confirm"))
        .then(
            pl.lit("Suggested pair (")
            + pl.col("basis")
            + pl.lit(" match, score ")
            + pl.col("score").round(0).cast(pl.Int64).cast(pl.String).fill_null("?")
            + pl.lit(")")
            + pl.when(pl.col("review_reason").is_not_null())
            .then(pl.lit(": ") + pl.col("review_reason"))
            .otherwise(pl.lit(""))
            + pl.lit(".")
        )
        .when(category == "matched")
        .then(
            pl.when(supplier_filed())
            .then(kind + pl.lit(" matches your books and the supplier has filed."))
            .otherwise(kind + pl.lit(" matches your books but the supplier has not filed it yet."))
        )
        .when(category == "mismatched")
        .then(kind + pl.lit(" differs from your books: ") + diff + pl.lit("."))
        .when(category == "ims_only")
        .then(kind + pl.lit(" is not in your books."))
        .otherwise(pl.lit(""))
    )


def _advice() -> pl.Expr:
    """Second sentence of the reason: why this action."""
    action = pl.col("_planned")
    category = pl.col("category")
    return (
        pl.when(pl.col("portal_doc_id").is_null())
        .then(pl.lit(""))
        .when(pl.col("not_in_ims_reason").is_not_null())
        .then(pl.lit("No IMS action: reconcile it against GSTR-2B."))
        .when(pl.col("_confirm"))
        .then(
            pl.lit("Confirm or unlink the pair first; no change is suggested until then ")
            + pl.lit("(No Action is deemed accepted when 2B is generated on the 14th).")
        )
        .when((action == "A") & is_credit_note())
        .then(
            pl.lit("Accept, declaring the ITC reduction at your books' amounts ")
            + pl.lit("(not above the note, CGST = SGST).")
        )
        .when((action == "A") & (category == "mismatched"))
        .then(pl.lit("Only the date differs and the supplier's date governs: accept and correct your books."))
        .when(action == "A")
        .then(pl.lit("Accept."))
        .when(action == "R")
        .then(
            pl.lit("This is clearly the supplier's error (")
            + pl.col("_error_kind")
            + pl.lit(") on the document in your books (")
            + pl.col("_evidence")
            + pl.lit("): reject with a remark so they re-issue it; the ITC waits for the corrected document.")
        )
        .when((action == "P") & (category == "matched"))
        .then(pl.lit("Keep Pending until the supplier files."))
        .when((action == "P") & (category == "mismatched") & is_import())
        .then(
            pl.lit(
                "Keep Pending while you verify; an import can be accepted or kept pending, never rejected."
            )
        )
        .when(
            (action == "P")
            & (category == "mismatched")
            & pl.col("_error_kind").is_not_null()
            & ~supplier_filed()
        )
        .then(
            pl.lit("The supplier has not filed yet: keep Pending and ask them to correct it (")
            + pl.col("_error_kind")
            + pl.lit(") before filing.")
        )
        .when((action == "P") & (category == "mismatched") & pl.col("_error_kind").is_not_null())
        .then(
            pl.lit("The supplier's figures look wrong (")
            + pl.col("_error_kind")
            + pl.lit("), but ")
            + pl.col("_doubt")
            + pl.lit(
                ", so this may not be the document in your books: keep Pending while you check with the "
                "supplier. A Reject needs the number, taxable value and date to agree."
            )
        )
        .when((action == "P") & (category == "mismatched"))
        .then(pl.lit("Keep Pending while the supplier amends it (GSTR-1A or next GSTR-1)."))
        .when((action == "P") & (category == "ims_only"))
        .then(
            pl.lit("Keep Pending while you verify it is your purchase; never rejected automatically — ")
            + pl.lit("left at No Action it is deemed accepted when 2B is generated on the 14th.")
        )
        .otherwise(pl.lit(""))
    )


def _warnings(fell_back: pl.Expr, s16_warning: pl.Expr) -> pl.Expr:
    unfiled = (
        pl.when(
            pl.col("portal_doc_id").is_not_null()
            & (pl.col("category") == "matched")
            & pl.col("not_in_ims_reason").is_null()
            & ~supplier_filed()
        )
        .then(pl.lit(texts.UNFILED_ACCEPT))
        .otherwise(pl.lit(None, pl.String))
    )
    fallback = pl.when(fell_back).then(pl.lit(texts.PENDING_FALLBACK)).otherwise(pl.lit(None, pl.String))
    reject = (
        pl.when(pl.col("suggested_action") == "R")
        .then(_reject_consequence())
        .otherwise(pl.lit(None, pl.String))
    )
    held = current_action()
    overrides = (
        pl.when(
            held.is_in(["A", "R", "P"])
            & pl.col("suggested_action").is_not_null()
            & (pl.col("suggested_action") != held)
        )
        .then(
            pl.lit("The portal already holds ")
            + held.replace_strict(ACTION_LABELS, default="an action")
            + pl.lit(" (someone acted on it there): this suggestion would change that — confirm first.")
        )
        .otherwise(pl.lit(None, pl.String))
    )
    return listed(unfiled, fallback, reject, overrides, s16_warning)


def _reject_consequence() -> pl.Expr:
    """Guard in docs/reference/matching-practice.md §12.3: what a Reject costs, said before the user confirms it."""
    return (
        pl.when(is_credit_note())
        .then(pl.lit(texts.REJECT_CREDIT_NOTE))
        .otherwise(pl.lit(texts.REJECT_DOCUMENT))
    )


def _s16_deadline() -> pl.Expr:
    """30 November after the end of the document's FY (docs/reference/ims-rules.md §7)."""
    fy = fact("fy")
    start = fy.str.slice(0, 4).cast(pl.Int32, strict=False)
    return pl.date(start + 1, 11, 30)


def _s16_warning(today: date) -> pl.Expr:
    """Warn on open invoices/debit notes whose ITC time limit is near or past (credit notes reduce ITC)."""
    deadline = _s16_deadline()
    days_left = (deadline - pl.lit(today)).dt.total_days()
    open_item = pl.col("suggested_action").is_in(["P", "N"]).fill_null(False) | pl.col("category").is_in(
        ["mismatched", "ims_only", "books_only"]
    )
    open_item = open_item & (pl.col("suggested_action") != "A").fill_null(True)
    kind = fact("doc_kind")
    relevant = open_item & (kind != "credit_note").fill_null(True) & days_left.is_not_null()
    when_text = deadline.dt.strftime("%d-%m-%Y")
    return (
        pl.when(relevant & (days_left < 0))
        .then(
            pl.lit("s.16(4): the time limit for ITC on this document passed on ")
            + when_text
            + pl.lit(" (or earlier, if the annual return was filed): the ITC can no longer be taken.")
        )
        .when(relevant & (days_left <= S16_WARNING_DAYS))
        .then(
            pl.lit("s.16(4): ITC on this document must be taken by ")
            + when_text
            + pl.lit(" (or the annual return, if earlier) — ")
            + days_left.cast(pl.String)
            + pl.lit(" days left.")
        )
        .otherwise(pl.lit(None, pl.String))
    )
