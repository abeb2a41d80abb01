"""The Excel working paper and the per-supplier follow-up lists.

The working paper is what a consultant files and sends: a Summary sheet (documents and ITC per category
and per action, ITC at risk), one sheet per category with both sides of every pair, the differences and
the explanation, and a follow-up sheet listing per supplier what to ask them to upload or fix. Amounts use
the Indian grouping (1,23,45,678.00), headers stay frozen and every sheet has an autofilter.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date

import polars as pl
import xlsxwriter

from recon import figures, model, safe_text
from recon.actions import Decision, effective_actions
from recon.match.result import CATEGORIES, CATEGORY_LABELS
from recon.match.view import joined, with_supplier_names
from recon.pool import SETTLED, SETTLED_LABEL, month_words
from recon.present import TAX_INVOLVED, inr
from recon.review import attach_would_refuse
from recon.timeline import TIMELINE_HEADERS

INDIAN_AMOUNT = "[>=10000000]##\\,##\\,##\\,##0.00;[>=100000]##\\,##\\,##0.00;##,##0.00"
DATE_FORMAT = "dd-mm-yyyy"
FOLLOWUP_SHEET = "Supplier follow-ups"
ACTION_WORDS = {**model.ACTION_LABELS, None: "No IMS action"}

_AMOUNT_HEADS = ("taxable_value", "igst", "cgst", "sgst", "cess")


# ---------------------------------------------------------------------------------------------------
# The joined view
# ---------------------------------------------------------------------------------------------------


def joined_view(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    statement: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Result rows with ``books_<field>`` and ``portal_<field>`` document columns, and the supplier.

    The engine's ``recon.match.view.joined`` (docs/architecture.md §3); ``supplier_name`` on every row
    comes from ``recon.match.view.supplier_names`` (``statement``: the period's GSTR-2B, for trade names).
    """
    return with_supplier_names(joined(results, books, portal), books, portal, statement)


def _with_actions(
    view: pl.DataFrame, results, portal, books, decisions, *, quarterly: bool = False, unsendable=None
) -> pl.DataFrame:
    """Add wanted_action / action_source / stale and ``portal_would_refuse``: the user's decisions over
    the suggestions, judged by the guards the app and the upload use (``quarterly``: a QRMP client's
    Pending limit is a quarter, docs/reference/ims-rules.md §8)."""
    decisions = list(decisions)
    refusals = (
        unsendable
        if unsendable is not None
        else pl.DataFrame(schema={"doc_id": pl.String, "reason": pl.String})
    )
    if not decisions:
        view = view.with_columns(
            pl.col("suggested_action").alias("wanted_action"),
            pl.when(pl.col("suggested_action").is_not_null())
            .then(pl.lit("suggested"))
            .alias("action_source"),
            pl.lit(False).alias("stale"),
        )
        return attach_would_refuse(view, refusals)
    chosen = effective_actions(results, portal, decisions, books=books, quarterly=quarterly).select(
        "portal_doc_id", "wanted_action", "action_source", "stale", "changed", "guard_problems"
    )
    view = view.join(chosen, on="portal_doc_id", how="left", maintain_order="left")
    # Only-in-books rows have no portal document and so no action.
    view = view.with_columns(pl.col("stale").fill_null(False))
    return attach_would_refuse(view, refusals).drop("changed", "guard_problems")


# ---------------------------------------------------------------------------------------------------
# Follow-ups
# ---------------------------------------------------------------------------------------------------

FOLLOWUP_COLUMNS = (
    "supplier_gstin",
    "supplier_name",
    "category",
    "doc_kind",
    "doc_no",
    "doc_date",
    "taxable_value",
    "total_tax",
    "ask",
)


def supplier_followups(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    statement: pl.DataFrame | None = None,
) -> dict[str, list[dict]]:
    """Per supplier GSTIN, the documents the supplier must upload or fix, each with what to ask.

    * only in books (not a duplicate of our own, not an RCM/ISD/import record) → report it in GSTR-1/IFF;
    * mismatched (except a date-only difference: the supplier's date governs) → amend it;
    * matched but their return unfiled → file it.
    """
    frame = followup_frame(joined_view(results, books, portal, statement))
    grouped: dict[str, list[dict]] = {}
    for row in frame.iter_rows(named=True):
        grouped.setdefault(row["supplier_gstin"], []).append(row)
    return grouped


def followup_frame(view: pl.DataFrame) -> pl.DataFrame:
    category = pl.col("category")
    diff_fields = pl.col("differences").list.eval(pl.element().struct.field("field"))
    date_only = (diff_fields.list.len() > 0) & diff_fields.list.eval(pl.element() == "doc_date").list.all()
    wanted = (
        ((category == "books_only") & pl.col("duplicate_of").is_null())
        | ((category == "mismatched") & ~date_only)
        | ((category == "matched") & (pl.col("portal_supplier_filed") == False))  # noqa: E712
    ) & pl.col("not_in_ims_reason").is_null()
    side = pl.when(category == "books_only").then(pl.lit("books")).otherwise(pl.lit("portal"))
    # The tax of each item is its ITC (recon.figures): a credit note counts with a minus sign.
    itc = pl.when(side == "books").then(figures.side_itc("books")).otherwise(figures.side_itc("portal"))
    picked = view.filter(wanted).with_columns(side.alias("_side"), itc.round(2).alias("_itc"))
    rows = []
    for row in picked.iter_rows(named=True):
        prefix = "books" if row["_side"] == "books" else "portal"
        tax = row["_itc"]
        rows.append(
            {
                "supplier_gstin": row[f"{prefix}_supplier_gstin"],
                "supplier_name": row.get("supplier_name")
                or row.get("books_supplier_name")
                or row.get("portal_supplier_name"),
                "category": CATEGORY_LABELS[row["category"]],
                "doc_kind": (row[f"{prefix}_doc_kind"] or "").replace("_", " "),
                "doc_no": row[f"{prefix}_doc_no"],
                "doc_date": row[f"{prefix}_doc_date"],
                "taxable_value": row[f"{prefix}_taxable_value"],
                "total_tax": tax,
                "ask": _ask(row, prefix, tax),
            }
        )
    schema = {c: pl.String for c in FOLLOWUP_COLUMNS} | {
        "doc_date": pl.Date,
        "taxable_value": pl.Float64,
        "total_tax": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema).sort(["supplier_gstin", "doc_date", "doc_no"], nulls_last=True)


def _ask(row: dict, prefix: str, tax: float) -> str:
    kind = (row[f"{prefix}_doc_kind"] or "document").replace("_", " ")
    number = row[f"{prefix}_doc_no"]
    when = row[f"{prefix}_doc_date"]
    dated = f" dated {when:%d-%m-%Y}" if when else ""
    if row["category"] == "books_only":
        return (
            f"Please report {kind} {number}{dated} (taxable {inr(row[f'{prefix}_taxable_value'], 2)}, "
            f"tax {inr(abs(tax), 2)}) in your GSTR-1 / IFF: it is in our books but not in IMS."
        )
    if row["category"] == "mismatched":
        return (
            f"Please amend {kind} {number}{dated} in GSTR-1A or your next GSTR-1: "
            f"{row['differences_text'] or 'details differ from our records'}"
        )
    return f"Please file the return carrying {kind} {number}{dated}: it is saved in IMS but not filed."


# ---------------------------------------------------------------------------------------------------
# Summary figures
# ---------------------------------------------------------------------------------------------------


NOT_IMS_LABEL = "Not an IMS record (reverse charge, ISD, imports)"


def category_summary(view: pl.DataFrame) -> pl.DataFrame:
    """Per tab (in tab order): documents, the ITC the tab label shows, books and IMS ITC, their gap.

    The rows that never enter IMS follow on a line of their own, as the Reconcile page shows them apart.
    """
    not_ims = pl.col("not_in_ims_reason").is_not_null()
    keyed = view.with_columns(pl.when(not_ims).then(pl.lit("not_ims")).otherwise("category").alias("_tab"))
    sums = keyed.group_by("_tab").agg(
        pl.len().alias("documents"),
        figures.row_itc().sum().round(2).alias("tab_itc"),
        figures.side_itc("books").sum().round(2).alias("books_itc"),
        figures.side_itc("portal").sum().round(2).alias("portal_itc"),
    )
    order = pl.DataFrame({"_tab": [*CATEGORIES, "not_ims"]})
    table = order.join(sums, on="_tab", how="left", maintain_order="left").fill_null(0)
    table = table.filter((pl.col("_tab") != "not_ims") | (pl.col("documents") > 0))
    return table.rename({"_tab": "category"}).with_columns(
        pl.col("category").replace_strict({**CATEGORY_LABELS, "not_ims": NOT_IMS_LABEL}).alias("label"),
        (pl.col("portal_itc") - pl.col("books_itc")).round(2).alias("difference"),
    )


def action_summary(view: pl.DataFrame) -> pl.DataFrame:
    """Documents and IMS ITC per wanted action (A, R, P, N, none)."""
    sums = view.group_by("wanted_action").agg(
        pl.len().alias("documents"), figures.side_itc("portal").sum().round(2).alias("portal_itc")
    )
    order = pl.DataFrame({"wanted_action": ["A", "R", "P", "N", None]}, schema={"wanted_action": pl.String})
    table = order.join(sums, on="wanted_action", how="left", maintain_order="left", nulls_equal=True)
    table = table.fill_null(strategy="zero")
    return table.with_columns(
        pl.col("wanted_action").replace_strict(ACTION_WORDS, default="No IMS action").alias("label")
    )


def risk_summary(view: pl.DataFrame) -> dict[str, float]:
    """ITC at risk and its parts (recon.figures), and the ITC IMS shows that the books lack."""
    parts = figures.itc_at_risk_parts(view)
    ims_only = figures.four_tabs(view).filter(pl.col("category") == "ims_only")
    return {
        "books_only": parts[figures.RISK_NOT_IN_IMS],
        "booked_twice": parts[figures.RISK_BOOKED_TWICE],
        "mismatched_shortfall": parts[figures.RISK_BOOKS_ABOVE_IMS],
        "at_risk": figures.itc_at_risk(view),
        "ims_only": round(ims_only.select(figures.side_itc("portal").sum()).item() or 0.0, 2),
    }


# ---------------------------------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------------------------------


def working_paper(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    decisions: Iterable[Decision] = (),
    client: str | None = None,
    today: date | None = None,
    statement: pl.DataFrame | None = None,
    timeline: pl.DataFrame | None = None,
    *,
    quarterly: bool = False,
    unsendable: pl.DataFrame | None = None,
) -> bytes:
    """The working paper as xlsx bytes: Summary, one sheet per category, supplier follow-ups.

    ``statement``: the period's GSTR-2B documents, whose trade names name suppliers the books lack.
    ``timeline``: the client's months (recon.timeline.timeline_frame), written as a Timeline sheet. Books
    documents an earlier GSTR-2B settled (recon.pool) get a sheet of their own and count nowhere else.
    ``quarterly``: the client files quarterly, so a decided Pending is judged by the quarter, as the app
    and the upload judge it. ``unsendable`` (doc_id, reason): records the portal would refuse whatever
    the action (``Workspace.unsendable``); with the refused decisions they fill "Portal would refuse".
    """
    view = joined_view(results, books, portal, statement)
    view = _with_actions(view, results, portal, books, decisions, quarterly=quarterly, unsendable=unsendable)
    settled = view.filter(pl.col("category") == SETTLED)
    view = figures.open_rows(view)
    followups = followup_frame(view)
    buffer = io.BytesIO()
    # No text turns into a formula or a link, whichever write call a sheet uses (safe_text).
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, **safe_text.XLSX_OPTIONS})
    formats = _formats(workbook)
    _summary_sheet(workbook, formats, view, followups, client, today or date.today())
    for category in CATEGORIES:
        sheet = _category_table(view.filter(pl.col("category") == category))
        _table_sheet(workbook, formats, CATEGORY_LABELS[category], sheet)
    if settled.height:
        _table_sheet(workbook, formats, SETTLED_LABEL, _settled_table(settled))
    _table_sheet(workbook, formats, FOLLOWUP_SHEET, _followup_table(followups))
    if timeline is not None and timeline.height:
        _table_sheet(workbook, formats, TIMELINE_SHEET, _timeline_table(timeline))
    workbook.close()
    return buffer.getvalue()


def _formats(workbook) -> dict:
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True}),
        "header": workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True}),
        "amount": workbook.add_format({"num_format": INDIAN_AMOUNT}),
        "amount_bold": workbook.add_format({"num_format": INDIAN_AMOUNT, "bold": True}),
        "date": workbook.add_format({"num_format": DATE_FORMAT}),
        "int": workbook.add_format({"num_format": "0"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }


def _summary_sheet(workbook, formats, view, followups, client, today) -> None:
    sheet = workbook.add_worksheet("Summary")
    sheet.set_column(0, 0, 58)
    sheet.set_column(1, 5, 18)
    sheet.write(0, 0, "GST IMS reconciliation — working paper", formats["title"])
    sheet.write_string(1, 0, f"Client: {client}" if client else "Client: (not named)")
    sheet.write(2, 0, f"Prepared on {today:%d-%m-%Y}")
    row = _definitions_block(sheet, formats, 4, view)
    headers = ["Tab", "Documents", "ITC on the tab", "ITC in books", "ITC in IMS / 2B", "IMS minus books"]
    row = _block(
        sheet,
        formats,
        row + 1,
        headers,
        [
            [r["label"], r["documents"], r["tab_itc"], r["books_itc"], r["portal_itc"], r["difference"]]
            for r in category_summary(view).iter_rows(named=True)
        ],
    )
    row = _block(
        sheet,
        formats,
        row + 1,
        ["Action (decided or suggested)", "Documents", "ITC in IMS / 2B"],
        [[r["label"], r["documents"], r["portal_itc"]] for r in action_summary(view).iter_rows(named=True)],
    )
    risk = risk_summary(view)
    row = _block(
        sheet,
        formats,
        row + 1,
        ["Parts of ITC at risk", "Amount"],
        [
            ["Claimed in books, not in IMS (supplier to report)", risk["books_only"]],
            ["Booked twice in the books (ours to reverse)", risk["booked_twice"]],
            ["Books above IMS on mismatched documents", risk["mismatched_shortfall"]],
            ["Total ITC at risk", risk["at_risk"]],
            ["In IMS, not in books (deemed accepted if left at No Action)", risk["ims_only"]],
        ],
    )
    per_supplier = (
        followups.group_by("supplier_gstin", "supplier_name")
        .agg(pl.len().alias("documents"), pl.col("total_tax").sum().round(2).alias("tax"))
        .sort(["documents", "supplier_gstin"], descending=[True, False])
    )
    _block(
        sheet,
        formats,
        row + 1,
        ["Supplier follow-ups", "Name", "Documents", TAX_INVOLVED.rstrip(":")],
        [
            [r["supplier_gstin"], r["supplier_name"] or "", r["documents"], r["tax"]]
            for r in per_supplier.iter_rows(named=True)
        ],
    )


DEFINITIONS_TITLE = "Definitions"
_HEADLINE_KEYS = {
    figures.ITC_IN_IMS: "itc_in_ims",
    figures.ITC_IN_BOOKS: "itc_in_books",
    figures.ITC_MATCHED: "itc_matched",
    figures.ITC_AT_RISK: "itc_at_risk",
}


def _definitions_block(sheet, formats, row: int, view: pl.DataFrame) -> int:
    """The headline figures with the words that define them, as the dashboard's help shows them."""
    numbers = figures.headline(view)
    for col, header in enumerate([DEFINITIONS_TITLE, "Amount", "How it is counted"]):
        sheet.write(row, col, header, formats["header"])
    named = [(name, numbers[key]) for name, key in _HEADLINE_KEYS.items()] + [(figures.TAB_ITC, None)]
    for offset, (name, amount) in enumerate(named, start=1):
        sheet.write(row + offset, 0, name, formats["bold"])
        if amount is not None:
            sheet.write_number(row + offset, 1, amount, formats["amount"])
        sheet.merge_range(row + offset, 2, row + offset, 5, figures.DEFINITIONS[name], formats["wrap"])
        sheet.set_row(row + offset, 15 * (1 + len(figures.DEFINITIONS[name]) // 95))
    return row + len(named) + 2


def _block(sheet, formats, row: int, headers: list[str], rows: list[list]) -> int:
    """One small table on the Summary sheet; returns the next free row."""
    for col, header in enumerate(headers):
        sheet.write(row, col, header, formats["header"])
    for offset, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if isinstance(value, float):
                sheet.write_number(row + offset, col, value, formats["amount"])
            elif isinstance(value, int):
                sheet.write_number(row + offset, col, value, formats["int"])
            elif value is not None:
                # A supplier's name is text even when it starts with '=' (safe_text).
                sheet.write_string(row + offset, col, str(value))
    return row + len(rows) + 2


# Category sheet columns: (header, expression over the joined view, kind).
def _category_columns() -> list[tuple[str, pl.Expr, str]]:
    def both(field: str) -> pl.Expr:
        return pl.coalesce(pl.col(f"portal_{field}"), pl.col(f"books_{field}"))

    columns = [
        ("Supplier GSTIN", both("supplier_gstin"), "text"),
        ("Supplier name", pl.col("supplier_name"), "text"),  # recon.match.view.supplier_names
        ("Kind", both("doc_kind").str.replace("_", " "), "text"),
        ("Section", pl.col("portal_section"), "text"),
        ("Books doc no", pl.col("books_doc_no"), "text"),
        ("Books date", pl.col("books_doc_date"), "date"),
        ("IMS doc no", pl.col("portal_doc_no"), "text"),
        ("IMS date", pl.col("portal_doc_date"), "date"),
    ]
    for head, label in zip(_AMOUNT_HEADS, ("Taxable", "IGST", "CGST", "SGST", "Cess"), strict=True):
        columns.append((f"Books {label}", pl.col(f"books_{head}"), "amount"))
        columns.append((f"IMS {label}", pl.col(f"portal_{head}"), "amount"))
    columns += [
        ("Differences", pl.col("differences_text"), "wrap"),
        ("Explanation", pl.col("explanation"), "wrap"),
        ("Basis", pl.col("basis"), "text"),
        ("Score", pl.col("score"), "int"),
        ("Suggested action", pl.col("suggested_action").replace_strict(ACTION_WORDS, default=None), "text"),
        ("Action", pl.col("wanted_action").replace_strict(ACTION_WORDS, default=None), "text"),
        ("Action by", pl.col("action_source"), "text"),
        ("Why", pl.col("action_reason"), "wrap"),
        ("Warnings", pl.col("action_warnings").list.join(" | "), "wrap"),
        (
            "Decision out of date",
            pl.when(pl.col("stale")).then(pl.lit("supplier changed it: review")),
            "text",
        ),
        ("Portal would refuse", pl.col("portal_would_refuse"), "wrap"),
        ("Not an IMS record", pl.col("not_in_ims_reason"), "text"),
        ("Duplicate of", pl.col("duplicate_of"), "text"),
        ("Nearest candidate", pl.col("nearest_reason"), "wrap"),
        ("Supplier period", pl.col("portal_supplier_period"), "text"),
        ("Supplier return", pl.col("portal_supplier_filing_status"), "text"),
        ("IMS action now", pl.col("portal_ims_action").replace_strict(ACTION_WORDS, default=None), "text"),
        ("Voucher no", pl.col("books_voucher_no"), "text"),
        ("Books rows", pl.col("books_origin_rows").cast(pl.List(pl.String)).list.join(", "), "text"),
    ]
    return columns


def _category_table(view: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    columns = _category_columns()
    frame = view.select([expr.alias(header) for header, expr, _ in columns])
    return frame, {header: kind for header, _, kind in columns}


def _followup_table(followups: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    columns = [
        ("Supplier GSTIN", "supplier_gstin", "text"),
        ("Supplier name", "supplier_name", "text"),
        ("Outcome", "category", "text"),
        ("Kind", "doc_kind", "text"),
        ("Document no", "doc_no", "text"),
        ("Date", "doc_date", "date"),
        ("Taxable", "taxable_value", "amount"),
        ("Tax", "total_tax", "amount"),
        ("What to ask", "ask", "wrap"),
    ]
    frame = followups.select([pl.col(name).alias(header) for header, name, _ in columns])
    return frame, {header: kind for header, _, kind in columns}


TIMELINE_SHEET = "Timeline"


def _settled_table(settled: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """Which books document, which GSTR-2B settled it and when (the months of ``recon.pool``)."""
    columns = [
        ("Supplier GSTIN", pl.coalesce("books_supplier_gstin", "portal_supplier_gstin"), "text"),
        ("Supplier name", pl.col("supplier_name"), "text"),
        # A stale inbox copy no books entry pairs with is settled alone: its own number and date.
        ("Document no", pl.coalesce("books_doc_no", "portal_doc_no"), "text"),
        ("Date", pl.coalesce("books_doc_date", "portal_doc_date"), "date"),
        ("Booked", month_words(pl.col("books_period")), "text"),
        ("In GSTR-2B of", month_words(pl.col("portal_period")), "text"),
        ("ITC", figures.side_itc("books"), "amount"),
        ("Explanation", pl.col("explanation"), "wrap"),
    ]
    frame = settled.select([expr.alias(header) for header, expr, _ in columns])
    return frame, {header: kind for header, _, kind in columns}


def _timeline_table(timeline: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    kinds = {"booked_itc": "amount", "open_itc": "amount", "s16_deadline": "date", "month": "text"}
    frame = timeline.select(list(TIMELINE_HEADERS)).rename(TIMELINE_HEADERS)
    return frame, {TIMELINE_HEADERS[c]: kinds.get(c, "int") for c in TIMELINE_HEADERS}


_WIDTHS = {"text": 16, "date": 12, "amount": 15, "int": 8, "wrap": 48}


EXCEL_MAX_ROWS = 1_048_576


def _table_sheet(workbook, formats, name: str, table: tuple[pl.DataFrame, dict[str, str]]) -> None:
    """One formatted sheet: header row frozen, autofilter, Indian amounts, dates as dates.

    Excel holds 1,048,576 rows a sheet; beyond that the last row says how many were left out.
    """
    frame, kinds = table
    left_out = max(frame.height - (EXCEL_MAX_ROWS - 2), 0)
    if left_out:
        frame = frame.head(EXCEL_MAX_ROWS - 2)
    sheet = workbook.add_worksheet(name)
    if left_out:
        sheet.write_string(
            frame.height + 1, 0, f"{left_out:,} more rows do not fit in Excel: see the reconcile CSV."
        )
    for col, header in enumerate(frame.columns):
        kind = kinds[header]
        sheet.write(0, col, header, formats["header"])
        cell_format = {
            "amount": formats["amount"],
            "date": formats["date"],
            "int": formats["int"],
            "wrap": formats["wrap"],
        }.get(kind)
        sheet.set_column(col, col, _WIDTHS[kind], cell_format)
        values = frame.get_column(header).to_list()
        for offset, value in enumerate(values, start=1):
            if value is None:
                continue
            if kind == "date":
                sheet.write_datetime(offset, col, value, formats["date"])
            elif kind in ("amount", "int"):
                sheet.write_number(offset, col, value, cell_format)
            else:
                # write_string: a document number like 0045 or 1234567890123456 stays text, as written.
                sheet.write_string(offset, col, str(value), cell_format)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(frame.height, 1), max(frame.width - 1, 0))
