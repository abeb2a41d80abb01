"""Suggested IMS actions, the guards every action must pass, and applying the consultant's decisions.

Three jobs, in the order a consultant meets them:

* :func:`suggest` fills ``suggested_action`` / ``action_reason`` / ``action_warnings`` on the engine's
  result table (``recon.match.result.RESULT_SCHEMA``). Vectorised: polars expressions, run once per kind
  of row (rows that read the same values) and copied to the others.
* :func:`check_decision` says in words why an action may not be sent for a document (the guards of
  matching-practice.md §12); the app calls it before saving a decision.
* :func:`effective_actions` combines suggestions and saved :class:`Decision` rows into the action the
  portal should hold for each portal document, flags decisions on documents the supplier has changed
  since, and runs the guards on every row.

Suggestion policy (matching-practice.md §11; every suggestion is only that, the user decides):

==================================  =====================================================================
Outcome                             Suggestion
==================================  =====================================================================
Matched, supplier filed             Accept (credit note: Accept, ITC reduction = books amounts)
Matched, supplier not filed         Pending (accepting now takes credit before the return is filed)
Mismatched, only the date differs   Accept: the supplier's date governs (matching-practice §1)
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
Only in IMS                         Pending while verifying; never Reject automatically (§12.4)
Only in books                       none (null): nothing to act on in IMS; supplier follow-up
Not an IMS record (RCM, ISD, ...)   none (null): reconcile against GSTR-2B
Import of goods                     Accept or Pending only, never Reject (ims-rules §6)
==================================  =====================================================================

Wherever Pending is suggested but the portal would refuse it (``ispendactblocked`` = Y, a credit note
from before the October-2025 period, or past its one tax period — ims-rules §4), the suggestion falls
back to No Action with a warning to review before the 14th, when No Action becomes deemed acceptance.
Pending, open and unmatched invoices also get a warning when the s.16(4) deadline (30 November after
the FY, ims-rules §7) is near or past, and a suggestion that would change an action someone already
took on the portal says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime

import polars as pl

from recon.model import ACTION_LABELS

# Total tax differing by more than this share of the larger side is not a rounding or a missed line:
# the supplier has clearly reported a different document, so Reject is suggested.
FAR_APART_SHARE = 0.20
# Warn this many days before the s.16(4) deadline (ims-rules §7).
S16_WARNING_DAYS = 60
# First supplier period in which credit notes may be kept Pending (ims-rules §4, FAQ25), as YYYYMM.
CN_PENDING_FROM = 202510
REMARKS_MAX = 250  # formats.md §2 (unconfirmed limit; the offline tool enforces it)

DATE_FIELDS = ("doc_date", "date")
TAXABLE_FIELDS = ("taxable", "taxable_value")
POS_FIELDS = ("pos", "place_of_supply")
REVERSE_CHARGE_FIELDS = ("reverse_charge", "rc", "rev", "rchrg")
HEADS = ("igst", "cgst", "sgst", "cess")
DECL_COLUMNS = ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess")


# ---------------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------------


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


def decisions_frame(decisions: Iterable[Decision] | pl.DataFrame) -> pl.DataFrame:
    """Decisions as a frame, one row per portal document: a later decision replaces an earlier one."""
    if isinstance(decisions, pl.DataFrame):
        # Already columns (a bulk action built as a frame): no per-decision objects at all.
        frame = decisions.select([pl.col(c).cast(t) for c, t in DECISION_SCHEMA.items()])
    else:
        # Columns straight from the attributes: asdict deep-copies each decision (~0.5 s per 40,000).
        items = list(decisions)
        frame = pl.DataFrame(
            {c: [getattr(d, c) for d in items] for c in DECISION_SCHEMA}, schema=DECISION_SCHEMA
        )
    return frame.with_columns(
        pl.col("action").str.strip_chars().str.to_uppercase(),
        pl.col("itc_red_req").str.strip_chars().str.to_uppercase(),
    ).unique("portal_doc_id", keep="last", maintain_order=True)


# ---------------------------------------------------------------------------------------------------
# Shared facts about a portal document, as expressions over columns prefixed "p_"
# ---------------------------------------------------------------------------------------------------

_PORTAL_FACTS = (
    "section",
    "doc_kind",
    "supplier_gstin",
    "doc_no",
    "fy",
    "supplier_period",
    "supplier_filed",
    "ims_action",
    "pending_blocked",
    "remarks_blocked",
    "itc_red_blocked",
    "content_hash",
    *HEADS,
)
_BOOKS_FACTS = ("fy", "doc_kind", *HEADS)
# The portal facts the suggestion rules read (the rest are for the guards and effective actions).
_SUGGEST_PORTAL_FACTS = (
    "section", "doc_kind", "fy", "supplier_period", "supplier_filed", "ims_action", "pending_blocked", *HEADS,
)  # fmt: skip
# The result columns the rules read.
_RESULT_INPUTS = (
    "category", "books_doc_id", "portal_doc_id", "basis", "score", "differences", "differences_text",
    "not_in_ims_reason", "needs_review", "review_reason",
)  # fmt: skip


def _prefixed(docs: pl.DataFrame, prefix: str, columns: Iterable[str], id_name: str) -> pl.DataFrame:
    """The named columns of a canonical frame, renamed with a prefix, keyed by ``id_name``."""
    return docs.select(
        pl.col("doc_id").alias(id_name), *[pl.col(c).alias(f"{prefix}{c}") for c in columns]
    ).unique(id_name, keep="first", maintain_order=True)


def _is_credit_note() -> pl.Expr:
    return pl.col("p_doc_kind") == "credit_note"


def _is_import() -> pl.Expr:
    # Import of goods entered IMS from the October-2025 period as sections impg, impga, impgsez ...
    return (pl.col("p_doc_kind") == "bill_of_entry") | pl.col("p_section").str.starts_with("impg").fill_null(
        False
    )


def _period_yyyymm(col: str = "p_supplier_period") -> pl.Expr:
    """MMYYYY as a sortable YYYYMM integer; null when the period is not six digits (e.g. 'MM' only)."""
    text = pl.col(col).cast(pl.String).str.strip_chars()
    ok = text.str.contains(r"^[0-9]{6}$").fill_null(False)
    return pl.when(ok).then(text.str.slice(2, 4).cast(pl.Int64) * 100 + text.str.slice(0, 2).cast(pl.Int64))


def _cn_pending_deadline() -> pl.Expr:
    """Last day a credit note may stay Pending: the 3B due date (20th) of the period after its 2B period.

    FAQ25 (ims-rules §4): a note in the October-2025 GSTR-1 filed 10-11-2025 may stay pending until
    20-12-2025. The record's supplier period stands in for its 2B period (a return filed after the
    cut-off lands in a later 2B, which only lengthens the real window). Monthly recipients assumed.
    """
    period = _period_yyyymm()
    return pl.date(period // 100, period % 100, 20).dt.offset_by("2mo")


def _cn_pending_too_early() -> pl.Expr:
    """Credit note from before the October-2025 period (or of unknown period): Pending not available."""
    period = _period_yyyymm()
    return _is_credit_note() & (period.is_null() | (period < CN_PENDING_FROM))


def _cn_pending_expired(today: date) -> pl.Expr:
    return _is_credit_note() & (pl.lit(today) > _cn_pending_deadline()).fill_null(False)


def _pending_block_reason(today: date) -> pl.Expr:
    """Why the portal would refuse Pending for this document, or null when Pending is allowed."""
    return (
        pl.when(pl.col("p_pending_blocked").fill_null(False))
        .then(pl.lit("the portal blocks Pending for this document"))
        .when(_cn_pending_too_early())
        .then(
            pl.lit("credit notes can be kept Pending only from the October-2025 period (this one is from ")
            + _period_label()
            + pl.lit(")")
        )
        .when(_cn_pending_expired(today))
        .then(
            pl.lit("this credit note's one tax period for Pending ended on ")
            + _cn_pending_deadline().dt.strftime("%d-%m-%Y")
        )
    )


def _period_label() -> pl.Expr:
    text = pl.col("p_supplier_period").cast(pl.String)
    return (
        pl.when(_period_yyyymm().is_not_null())
        .then(text.str.slice(0, 2) + pl.lit("-") + text.str.slice(2, 4))
        .otherwise(pl.lit("an unknown period"))
    )


_SEPARATOR = "\x1f"  # never in a message


def _present(*messages: pl.Expr) -> pl.Expr:
    """The non-null messages of each row as a list (empty when none).

    Joined and split rather than concat_list + drop_nulls: ten times faster on a million rows.
    """
    joined = pl.concat_str(list(messages), separator=_SEPARATOR, ignore_nulls=True)
    return (
        pl.when(joined.is_null() | (joined == ""))
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(joined.str.split(_SEPARATOR))
    )


def _money(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(0.0)


def _total_tax(prefix: str) -> pl.Expr:
    return pl.sum_horizontal([_money(pl.col(f"{prefix}{h}")) for h in HEADS])


# ---------------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------------


def suggest(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    today: date | None = None,
    *,
    books_rows: pl.Series | None = None,
    portal_rows: pl.Series | None = None,
) -> pl.DataFrame:
    """Fill suggested_action, action_reason and action_warnings on a RESULT_SCHEMA frame.

    Row order and every other column are kept. ``today`` drives the credit-note Pending window and the
    s.16(4) warnings (default: the machine's date). ``books_rows`` / ``portal_rows``: when the caller
    knows them (the engine does), each result row's document as a row position in ``books`` / ``portal``
    (null when absent) — otherwise they are found by doc_id (a document's first row).
    """
    today = today or date.today()
    if books_rows is None or portal_rows is None:
        books_rows = _positions(results.get_column("books_doc_id"), books)
        portal_rows = _positions(results.get_column("portal_doc_id"), portal)
    # The rules run once per kind of row, not once per row: a million results hold a few thousand kinds,
    # and building a million sentences and warning lists costs far more than copying them from the first
    # row of each kind. Only a mismatch's first sentence is its own: it quotes the differences.
    inputs = results.select(_RESULT_INPUTS)  # the long text columns stay behind
    mismatched = (inputs.get_column("category") == "mismatched").fill_null(False)
    findings = _mismatch_findings(
        _facts(inputs, books, portal, books_rows, portal_rows, mismatched, *_MISMATCH_FACTS)
    )
    kind, first = _kinds(inputs, books, portal, books_rows, portal_rows, mismatched, findings)
    # In one chunk: the million copies below then cost a tenth as much.
    suggested = _suggested(_facts(inputs, books, portal, books_rows, portal_rows, first), today).rechunk()
    return results.with_columns(
        suggested.get_column("suggested_action").gather(kind),
        _reasons(suggested, kind, mismatched, findings.get_column("_situation")),
        suggested.get_column("action_warnings").gather(kind),
    )


def _suggested(facts: pl.DataFrame, today: date) -> pl.DataFrame:
    """suggested_action, action_reason and action_warnings for each row of ``facts`` (see _facts).

    Also the reason after its first sentence (``_reason_tail``) and ``_fell_back``, for :func:`_reason`.
    """
    # One lazy plan, so polars evaluates the shared sub-expressions of the rules once.
    plan = _with_findings(facts.lazy()).with_columns(
        _situation().alias("_situation"), _planned_action().alias("_planned")
    )
    plan = _once_per_distinct(plan, _pending_block_reason(today), _PENDING_INPUTS, "_pending_refused")
    plan = (
        plan.with_columns(
            # A document already held as Pending is not a change, and a pair still to confirm keeps the
            # portal's action: neither falls back (falling back would export a RESET nobody asked for).
            (
                (pl.col("_planned") == "P")
                & pl.col("_pending_refused").is_not_null()
                & (_current_action() != "P")
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
            _needs_pair_confirmation().alias("_confirm"),
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
    """action_reason per result row: its kind's, but on a mismatch its own first sentence then its kind's rest."""
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


# The columns _pending_block_reason and _s16_warning read: the kinds of rows hold a few dozen combinations.
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
    portal_facts: Iterable[str] = _SUGGEST_PORTAL_FACTS,
    books_facts: Iterable[str] = _BOOKS_FACTS,
) -> pl.DataFrame:
    """The result rows ``where`` holds, with their portal (p_*) and books (b_*) facts."""
    # Filtered, not gathered: gathering rows of a nested column (differences) from the many chunks of a
    # result table is many times slower.
    return pl.concat(
        [
            results.filter(where),
            _gathered(portal, "p_", portal_facts, portal_rows.filter(where)),
            _gathered(books, "b_", books_facts, books_rows.filter(where)),
        ],
        how="horizontal",
    )


def _gathered(docs: pl.DataFrame, prefix: str, columns: Iterable[str], rows: pl.Series) -> pl.DataFrame:
    """The named columns at ``rows`` (null where the position is null), renamed with a prefix."""
    return docs.select(pl.col(c).gather(rows).alias(f"{prefix}{c}") for c in columns)


# The portal and books facts _mismatch_findings reads (a fact missing here fails loudly, not silently).
# What the rules read of a mismatch's amounts, differences and basis: rows equal in these are of one kind.
_FINDINGS = ("_error_kind", "_date_only", "_evidence", "_doubt")
_MISMATCH_FACTS = (("section", "doc_kind", "supplier_filed", *HEADS), HEADS)


def _mismatch_findings(facts: pl.DataFrame) -> pl.DataFrame:
    """Per mismatch (``facts`` of the mismatched rows): its _error_kind, _date_only, the evidence for or
    against a Reject (_evidence, _doubt) and _situation."""
    return _with_findings(facts.lazy()).select(*_FINDINGS, _situation().alias("_situation")).collect()


# ---------------------------------------------------------------------------------------------------
# Kinds of rows: rows that read the same values in every suggestion rule
# ---------------------------------------------------------------------------------------------------

# The portal facts the rules read as they are: all but the tax heads (read only on mismatches).
_PROFILE_PORTAL_FACTS = tuple(c for c in _SUGGEST_PORTAL_FACTS if c not in HEADS)
# Likewise the books facts, which the rules read only through _fact: where the portal document lacks its own.
_FALLBACK_FACTS = tuple(c for c in _BOOKS_FACTS if c not in HEADS)
# The result columns the rules read only for a pair still to confirm (_situation's "Suggested pair").
_CONFIRM_INPUTS = ("basis", "score", "review_reason")


def _kinds(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    books_rows: pl.Series,
    portal_rows: pl.Series,
    mismatched: pl.Series,
    findings: pl.DataFrame,
) -> tuple[pl.Series, pl.Series]:
    """Per result row the number of its kind, and whether it is the first row of its kind.

    Rows are of one kind when every value the rules read is equal, or differs only where the rules
    cannot tell: amounts, differences and basis are read only through the ``findings`` (supplier error,
    date only, the evidence for a Reject) and only on mismatches (whose first sentence is built row by
    row); basis, score and review reason only on pairs to confirm; the books' fy and kind only where the
    portal lacks them.
    """
    read = results.select(
        "category", pl.col("portal_doc_id").is_null(), "not_in_ims_reason", _needs_pair_confirmation()
    )
    confirm = read.to_series(3).fill_null(False)
    key = _combined(
        [
            *_label_codes(read),
            _code_where(confirm, results.select(_CONFIRM_INPUTS).filter(confirm)),
            _code_where(mismatched, findings.select(_FINDINGS)),
            _profile_code(portal.select(_PROFILE_PORTAL_FACTS), portal_rows),
            _fallback_code(books, portal, books_rows, portal_rows),
        ]
    )
    first = key.is_first_distinct()
    numbered = key.filter(first).to_frame("key").with_row_index("kind")
    kind = key.to_frame("key").join(numbered, on="key", how="left", maintain_order="left")
    return kind.get_column("kind"), first


def _code(values: pl.Series) -> pl.Series:
    """A number per row, equal exactly where the values are."""
    if values.dtype == pl.String:
        # Ranking sorts the text; hashes rank faster and are as exact when no two values share one.
        hashed = values.hash()
        if hashed.n_unique() == values.n_unique():
            values = hashed
    return values.rank("dense").fill_null(0).cast(pl.UInt64)


def _label_codes(frame: pl.DataFrame) -> list[pl.Series]:
    """Per column of few values (categories, flags), a number per row, equal exactly where the values are.

    0 for null. A categorical's codes are exact and cost a hash per row, not a sort (a column of many
    values would swell the process-wide categories, hence few values). The columns are coded side by side.
    """

    def code(name: str, dtype: pl.DataType) -> pl.Expr:
        if dtype == pl.String:
            return pl.col(name).cast(pl.Categorical).to_physical().cast(pl.UInt64) + 1
        if dtype == pl.Boolean:
            return pl.col(name).cast(pl.UInt64) + 1
        return pl.col(name).rank("dense").cast(pl.UInt64)

    return frame.select(code(n, t).fill_null(0) for n, t in frame.schema.items()).get_columns()


def _combined(codes: Iterable[pl.Series]) -> pl.Series:
    """One number per row, equal exactly where every code is (codes from 0 up)."""
    key, size = None, 1
    for code in codes:
        span = _size(code)
        if key is None:
            key, size = code, span
            continue
        if size * span >= 2**64:
            # Renumbered densely so the product fits in 64 bits (a few thousand kinds: seldom needed).
            key = _code(key)
            size = _size(key)
            if size * span >= 2**64:
                code = _code(code)
                span = _size(code)
        key, size = key * span + code, size * span
    assert key is not None
    return key


def _size(code: pl.Series) -> int:
    return int(code.max() or 0) + 1


def _code_where(where: pl.Series, values: pl.DataFrame, *, labels: bool = False) -> pl.Series:
    """The combined code of ``values`` (the rows ``where`` holds) from 1 there, 0 on every other row.

    Worked out on those rows alone: the values are many, but the rules read them only there. ``labels``:
    the values are columns of few values (see :func:`_label_codes`).
    """
    codes = _label_codes(values) if labels else [_code(s) for s in values.iter_columns()]
    part = _combined(codes)
    return pl.zeros(where.len(), pl.UInt64, eager=True).scatter(where.arg_true(), part + 1)


def _profile_code(facts: pl.DataFrame, rows: pl.Series) -> pl.Series:
    """Per result row, the code of its document's ``facts`` (0 when there is no document)."""
    present = rows.is_not_null()
    if present.sum() * 2 < facts.height:
        # Rows holding few of the documents (the engine suggests for each part of the results on its
        # own): coding only those documents beats coding the whole download.
        return _code_where(present, facts.select(pl.all().gather(rows.filter(present))), labels=True)
    profile = _combined(_label_codes(facts))
    # Shifted by one so a document whose facts are all null stays apart from no document.
    return (profile + 1).rechunk().gather(rows).fill_null(0)


def _fallback_code(
    books: pl.DataFrame, portal: pl.DataFrame, books_rows: pl.Series, portal_rows: pl.Series
) -> pl.Series:
    """Per result row, the code of its books document's _FALLBACK_FACTS where the rules read them, else 0."""
    lacking = portal.select(pl.any_horizontal(pl.col(_FALLBACK_FACTS).is_null())).to_series()
    read = lacking.gather(portal_rows).fill_null(True)
    return _code_where(read, _gathered(books, "b_", _FALLBACK_FACTS, books_rows.filter(read)))


def _diff_fields() -> pl.Expr:
    return pl.col("differences").list.eval(pl.element().struct.field("field").str.to_lowercase())


def _differs_in(names: Iterable[str]) -> pl.Expr:
    return pl.col("_diff_fields").list.eval(pl.element().is_in(list(names))).list.any().fill_null(False)


def _date_only_difference() -> pl.Expr:
    fields_ = pl.col("_diff_fields")
    return (fields_.list.len() > 0) & fields_.list.eval(pl.element().is_in(list(DATE_FIELDS))).list.all()


def _wrong_head() -> pl.Expr:
    """Tax charged as IGST on one side and CGST+SGST on the other: inter- vs intra-state got wrong."""
    b_local = _money(pl.col("b_cgst")) + _money(pl.col("b_sgst"))
    p_local = _money(pl.col("p_cgst")) + _money(pl.col("p_sgst"))
    b_igst, p_igst = _money(pl.col("b_igst")), _money(pl.col("p_igst"))
    return ((b_igst > 0) & (p_igst == 0) & (p_local > 0)) | ((b_local > 0) & (b_igst == 0) & (p_igst > 0))


def _far_apart() -> pl.Expr:
    p_tax, b_tax = _total_tax("p_"), _total_tax("b_")
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


def _needs_pair_confirmation() -> pl.Expr:
    """A pair the engine only suggests (fuzzy, PAN, 31-March/1-April): nothing until the user confirms."""
    suggested_pair = pl.col("basis").is_in(["fuzzy", "pan"]).fill_null(False) | (
        pl.col("needs_review").fill_null(False) & (pl.col("basis") != "manual").fill_null(True)
    )
    return suggested_pair & pl.col("category").is_in(["matched", "mismatched"])


def _supplier_filed() -> pl.Expr:
    # IMS always says; 2B records are filed by definition, so unknown counts as filed.
    return pl.col("p_supplier_filed").fill_null(True)


def _current_action() -> pl.Expr:
    return pl.col("p_ims_action").fill_null("N")


def _planned_action() -> pl.Expr:
    """The action the rules want before checking whether the portal allows Pending."""
    category = pl.col("category")
    return (
        pl.when(pl.col("portal_doc_id").is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("not_in_ims_reason").is_not_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("_confirm"))
        .then(_current_action())
        .when(category == "matched")
        .then(pl.when(_supplier_filed()).then(pl.lit("A")).otherwise(pl.lit("P")))
        .when((category == "mismatched") & pl.col("_date_only"))
        .then(pl.lit("A"))
        .when(category == "mismatched")
        .then(
            pl.when(
                pl.col("_error_kind").is_not_null()
                & _supplier_filed()
                & ~_is_import()
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
        pl.when(_is_import())
        .then(pl.lit("Bill of entry"))
        .when(_is_credit_note())
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
            pl.when(_supplier_filed())
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
        .when((action == "A") & _is_credit_note())
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
        .when((action == "P") & (category == "mismatched") & _is_import())
        .then(
            pl.lit(
                "Keep Pending while you verify; an import can be accepted or kept pending, never rejected."
            )
        )
        .when(
            (action == "P")
            & (category == "mismatched")
            & pl.col("_error_kind").is_not_null()
            & ~_supplier_filed()
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
            & ~_supplier_filed()
        )
        .then(
            pl.lit(
                "Supplier has not filed: accepting now takes credit for a document that is not in a filed "
                "return yet (it reaches GSTR-2B only once filed)."
            )
        )
        .otherwise(pl.lit(None, pl.String))
    )
    fallback = (
        pl.when(fell_back)
        .then(pl.lit("Pending is not available: review before the 14th (No Action = deemed accepted)."))
        .otherwise(pl.lit(None, pl.String))
    )
    reject = (
        pl.when(pl.col("suggested_action") == "R")
        .then(_reject_consequence())
        .otherwise(pl.lit(None, pl.String))
    )
    held = _current_action()
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
    return _present(unfiled, fallback, reject, overrides, s16_warning)


def _reject_consequence() -> pl.Expr:
    """Guard §12.3: what a Reject costs, said before the user confirms it."""
    return (
        pl.when(_is_credit_note())
        .then(
            pl.lit(
                "Rejecting a credit note restores the supplier's liability; after GSTR-3B, undoing it "
                "needs the supplier to report the note again."
            )
        )
        .otherwise(
            pl.lit(
                "Rejecting loses this ITC for the period; after GSTR-3B, undoing it needs the supplier to "
                "report the document again and the ITC moves to a later period."
            )
        )
    )


def _fact(name: str) -> pl.Expr:
    """The portal document's fact, else the books document's: how the rules read the books' fy and kind."""
    return pl.coalesce(pl.col(f"p_{name}"), pl.col(f"b_{name}"))


def _s16_deadline() -> pl.Expr:
    """30 November after the end of the document's FY (ims-rules §7)."""
    fy = _fact("fy")
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
    kind = _fact("doc_kind")
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


# ---------------------------------------------------------------------------------------------------
# Guards
# ---------------------------------------------------------------------------------------------------


def _guard_problems(frame: pl.DataFrame, today: date, where: pl.Expr | None = None) -> pl.Series:
    """Per row of ``frame``, every reason the portal would refuse ``_action`` (empty list: none).

    ``frame`` holds the p_* portal facts and _action, remarks, itc_red_req, decl_*; ``where`` limits the
    check to some rows (others get an empty list). The rules' conditions are cheap booleans; the messages
    are built only for the few rows that break one, which keeps a million-row check to a second or two.
    """
    rules = _guard_rules(today)
    broken = pl.any_horizontal([cond.fill_null(False) for cond, _ in rules])
    if where is not None:
        broken = broken & where.fill_null(False)
    numbered = frame.with_row_index("_row")
    flagged = numbered.filter(broken)
    messages = flagged.select(
        "_row", _present(*[pl.when(cond.fill_null(False)).then(msg) for cond, msg in rules]).alias("problems")
    )
    merged = numbered.select("_row").join(messages, on="_row", how="left", maintain_order="left")
    return merged.get_column("problems").fill_null(pl.lit([], pl.List(pl.String)))


def _guard_rules(today: date) -> list[tuple[pl.Expr, pl.Expr]]:
    """(condition, message) per guard of matching-practice §12 and formats.md §2, over the columns above."""
    action = pl.col("_action")
    remarks = pl.col("remarks")
    answer = pl.col("itc_red_req")
    rules: list[tuple[pl.Expr, pl.Expr]] = [
        (
            action.is_not_null() & ~action.is_in(["A", "R", "P", "N"]),
            pl.lit("'") + action + pl.lit("' is not an IMS action: use A, R, P or N."),
        ),
        (
            # formats.md §2 rule 6; ims-rules §4: the portal refuses P here.
            (action == "P") & _pending_block_reason(today).is_not_null(),
            pl.lit("Pending is not allowed: ") + _pending_block_reason(today) + pl.lit("."),
        ),
        (
            (action == "R") & _is_import(),
            pl.lit("An import of goods can be accepted or kept Pending, never rejected (ims-rules §6)."),
        ),
        (
            remarks.is_not_null() & (remarks.str.len_chars() > REMARKS_MAX),
            pl.lit(f"Remarks are limited to {REMARKS_MAX} characters; these have ")
            + remarks.str.len_chars().cast(pl.String)
            + pl.lit("."),
        ),
        (
            remarks.is_not_null() & action.is_in(["R", "P"]) & pl.col("p_remarks_blocked").fill_null(False),
            pl.lit("The portal blocks remarks for this document: remove them."),
        ),
        (
            # IMSSAV0054: an accepted credit note needs the ITC-reduction answer (guard §12.5).
            (action == "A")
            & _is_credit_note()
            & answer.is_null()
            & ~pl.col("p_itc_red_blocked").fill_null(False),
            pl.lit("Accepting a credit note needs the ITC-reduction answer (Y: reduce ITC, N: nothing to ")
            + pl.lit("reduce) — the portal refuses it otherwise (IMSSAV0054)."),
        ),
        (
            answer.is_not_null() & ~answer.is_in(["Y", "N"]),
            pl.lit("The ITC-reduction answer must be Y or N, not '") + answer + pl.lit("'."),
        ),
        *_declaration_rules(),
    ]
    return rules


def _declaration_rules() -> list[tuple[pl.Expr, pl.Expr]]:
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
                declaring & (decl > _money(pl.col(f"p_{head}")) + 0.005),
                pl.lit(f"The declared {head.upper()} reduction (")
                + decl.round(2).cast(pl.String)
                + pl.lit(f") is more than the document's {head.upper()} (")
                + _money(pl.col(f"p_{head}")).round(2).cast(pl.String)
                + pl.lit(")."),
            )
        )
    cgst, sgst = _money(pl.col("decl_cgst")), _money(pl.col("decl_sgst"))
    rules.append(
        (
            declaring & ((cgst - sgst).abs() > 0.005),
            pl.lit("The declared CGST and SGST reductions must be equal."),
        )
    )
    declared_total = pl.sum_horizontal([_money(pl.col(c)) for c in DECL_COLUMNS])
    rules.append(
        (
            declaring & (declared_total <= 0),
            pl.lit("ITC reduction is 'Y' but no amount is declared: give the amounts, or answer N."),
        )
    )
    return rules


def check_decision(doc_row: dict, decision: Decision, today: date | None = None) -> list[str]:
    """Guard violations, in words, for taking ``decision`` on the canonical portal row ``doc_row``.

    Empty list: the action may be saved. Used by the app before a decision is stored.
    """
    from recon.model import SCHEMA

    today = today or date.today()
    facts = {f"p_{c}": pl.Series([doc_row.get(c)], dtype=SCHEMA[c]) for c in _PORTAL_FACTS}
    frame = pl.DataFrame(facts).with_columns(
        pl.lit((decision.action or "").strip().upper() or None, pl.String).alias("_action"),
        pl.lit(decision.remarks, pl.String).alias("remarks"),
        pl.lit((decision.itc_red_req or "").strip().upper() or None, pl.String).alias("itc_red_req"),
        *[pl.lit(getattr(decision, c), pl.Float64).alias(c) for c in DECL_COLUMNS],
    )
    return _guard_problems(frame, today).item().to_list()


def decision_cautions(doc_row: dict, decision: Decision) -> list[str]:
    """Things to confirm (not errors): an unfiled supplier on Accept, what a Reject costs (guards §12.2-3)."""
    action = (decision.action or "").strip().upper()
    cautions = []
    if action == "A" and doc_row.get("supplier_filed") is False:
        cautions.append(
            "Supplier has not filed: accepting now takes credit for a document that is not in a filed "
            "return yet (it reaches GSTR-2B only once filed)."
        )
    if action == "R":
        if doc_row.get("doc_kind") == "credit_note":
            cautions.append(
                "Rejecting a credit note restores the supplier's liability; after GSTR-3B, undoing it needs "
                "the supplier to report the note again."
            )
        else:
            cautions.append(
                "Rejecting loses this ITC for the period; after GSTR-3B, undoing it needs the supplier to "
                "report the document again and the ITC moves to a later period."
            )
    return cautions


# ---------------------------------------------------------------------------------------------------
# Effective actions: decisions over suggestions
# ---------------------------------------------------------------------------------------------------

STALE_MESSAGE = "supplier changed this document since you decided — review"

EFFECTIVE_SCHEMA: dict[str, pl.DataType] = {
    "portal_doc_id": pl.String,
    "section": pl.String,
    "supplier_gstin": pl.String,
    "doc_no": pl.String,
    "category": pl.String,
    "ims_action": pl.String,  # what the portal holds now (N when not said)
    "suggested_action": pl.String,
    "decision_action": pl.String,  # what the user chose, even when stale
    "wanted_action": pl.String,  # what the upload should make the portal hold
    "action_source": pl.String,  # user | suggested
    "remarks": pl.String,
    "itc_red_req": pl.String,
    "decl_igst": pl.Float64,
    "decl_cgst": pl.Float64,
    "decl_sgst": pl.Float64,
    "decl_cess": pl.Float64,
    "stale": pl.Boolean,
    "stale_reason": pl.String,
    "changed": pl.Boolean,  # wanted_action differs from ims_action: goes into the upload
    "guard_problems": pl.List(pl.String),  # why the portal would refuse it; empty = fine
}


def effective_actions(
    results: pl.DataFrame,
    portal: pl.DataFrame,
    decisions: Iterable[Decision] = (),
    *,
    books: pl.DataFrame | None = None,
    today: date | None = None,
) -> pl.DataFrame:
    """Per portal document, the action the upload should carry (EFFECTIVE_SCHEMA).

    A decision wins over the suggestion. A decision taken on an older version of the document (its
    content_hash differs from the document's now) is **stale**: it is shown with ``stale_reason`` and not
    exported — the wanted action stays what the portal holds — until the user confirms it again.
    Suggested Accepts of credit notes carry the ITC-reduction declaration at the books' amounts (capped
    at the note, CGST = SGST; the note's own amounts when ``books`` is not given); suggested Reject /
    Pending carry a short remark for the supplier.
    """
    today = today or date.today()
    frame = _prefixed(portal, "p_", _PORTAL_FACTS, "portal_doc_id")
    suggested = results.filter(pl.col("portal_doc_id").is_not_null()).select(
        "portal_doc_id",
        "category",
        "books_doc_id",
        "suggested_action",
        "differences_text",
    )
    frame = frame.join(
        suggested.unique("portal_doc_id", keep="first", maintain_order=True),
        on="portal_doc_id",
        how="left",
        maintain_order="left",
    )
    if books is not None:
        frame = frame.join(
            _prefixed(books, "b_", HEADS, "books_doc_id"),
            on="books_doc_id",
            how="left",
            maintain_order="left",
        )
    else:
        frame = frame.with_columns([pl.lit(None, pl.Float64).alias(f"b_{h}") for h in HEADS])
    chosen = decisions_frame(decisions).rename(lambda c: c if c == "portal_doc_id" else f"d_{c}")
    frame = frame.join(chosen, on="portal_doc_id", how="left", maintain_order="left")
    frame = _choose(frame)
    changed = pl.col("_action") != _current_action()
    frame = frame.with_columns(_guard_problems(frame, today, where=changed).alias("guard_problems"))
    return frame.select(
        "portal_doc_id",
        pl.col("p_section").alias("section"),
        pl.col("p_supplier_gstin").alias("supplier_gstin"),
        pl.col("p_doc_no").alias("doc_no"),
        "category",
        _current_action().alias("ims_action"),
        "suggested_action",
        pl.col("d_action").alias("decision_action"),
        pl.col("_action").alias("wanted_action"),
        "action_source",
        "remarks",
        "itc_red_req",
        *DECL_COLUMNS,
        "stale",
        pl.when(pl.col("stale")).then(pl.lit(STALE_MESSAGE)).alias("stale_reason"),
        (pl.col("_action") != _current_action()).alias("changed"),
        "guard_problems",
    )


def _choose(frame: pl.DataFrame) -> pl.DataFrame:
    """Pick decision or suggestion per row, with its remarks and ITC-reduction answer."""
    decided = pl.col("d_action").is_not_null()
    stale = (
        decided
        & pl.col("d_content_hash").is_not_null()
        & pl.col("p_content_hash").is_not_null()
        & (pl.col("d_content_hash") != pl.col("p_content_hash"))
    )
    current = _current_action()
    frame = frame.with_columns(
        stale.alias("stale"),
        pl.when(decided & ~stale)
        .then(pl.col("d_action"))
        .when(decided)
        .then(current)
        .otherwise(pl.coalesce(pl.col("suggested_action"), current))
        .alias("_action"),
        pl.when(decided).then(pl.lit("user")).otherwise(pl.lit("suggested")).alias("action_source"),
    )
    use_decision = pl.col("action_source") == "user"
    suggested_itc = _suggested_declaration()
    return frame.with_columns(
        pl.when(use_decision).then(pl.col("d_remarks")).otherwise(_suggested_remarks()).alias("remarks"),
        pl.when(use_decision)
        .then(pl.col("d_itc_red_req"))
        .otherwise(suggested_itc["itc_red_req"])
        .alias("itc_red_req"),
        *[
            pl.when(use_decision).then(pl.col(f"d_{c}")).otherwise(suggested_itc[c]).alias(c)
            for c in DECL_COLUMNS
        ],
    )


def _suggested_remarks() -> pl.Expr:
    """A short remark for the supplier on suggested Reject / Pending (visible to them and in 2B)."""
    action, category = pl.col("_action"), pl.col("category")
    diff = pl.col("differences_text").fill_null("details").str.strip_chars_end(". ")
    text = (
        pl.when((action == "P") & (category == "ims_only"))
        .then(pl.lit("Not found in our purchase records; under verification."))
        .when((action == "P") & (category == "matched"))
        .then(pl.lit("Awaiting your filing of this document."))
        .when((action == "P") & (category == "mismatched"))
        .then(pl.lit("Differs from our records: ") + diff + pl.lit(". Please amend."))
        .when((action == "R") & (category == "mismatched"))
        .then(
            pl.lit("Rejected, differs from our records: ")
            + diff
            + pl.lit(". Please issue a corrected document.")
        )
    )
    return pl.when(~pl.col("p_remarks_blocked").fill_null(False)).then(text.str.slice(0, REMARKS_MAX))


def _suggested_declaration() -> dict[str, pl.Expr]:
    """ITC reduction on a suggested Accept of a credit note: books amounts, capped at the note, CGST = SGST."""
    applies = (pl.col("_action") == "A") & _is_credit_note() & ~pl.col("p_itc_red_blocked").fill_null(False)

    def capped(head: str) -> pl.Expr:
        portal_amount = _money(pl.col(f"p_{head}"))
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


def guard_check(portal: pl.DataFrame, wanted: pl.DataFrame, today: date | None = None) -> pl.DataFrame:
    """``wanted`` (portal_doc_id, wanted_action, remarks, itc_red_req, decl_*) plus ``guard_problems``.

    The same guards as :func:`check_decision`, for a whole change set (the JSON writer runs it).
    """
    today = today or date.today()
    for column, dtype in (("remarks", pl.String), ("itc_red_req", pl.String)) + tuple(
        (c, pl.Float64) for c in DECL_COLUMNS
    ):
        if column not in wanted.columns:
            wanted = wanted.with_columns(pl.lit(None, dtype).alias(column))
    facts = _prefixed(portal, "p_", _PORTAL_FACTS, "portal_doc_id")
    joined = wanted.join(facts, on="portal_doc_id", how="left", maintain_order="left").with_columns(
        pl.col("wanted_action").alias("_action")
    )
    return wanted.with_columns(_guard_problems(joined, today).alias("guard_problems"))


def books_declaration(portal_row: dict, books_amounts: dict) -> dict:
    """The suggested ITC reduction for one accepted credit note (the rule of _suggested_declaration).

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
