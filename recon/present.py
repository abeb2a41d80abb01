"""How figures and tables look to a consultant: Indian amounts, period names, grid column definitions.

The one family of rupee formatters: :func:`inr` / :func:`inr_short` for screens and files,
:func:`format_rupees` / :func:`rupees_expr` for the engine's sentences, all grouped by
:func:`indian_grouping`.

UI-free: the pages hand these plain dicts and strings to Streamlit / AG Grid. Amounts follow the Indian
grouping (last three digits, then pairs: ₹ 1,23,45,678) and the lakh / crore short forms people say in
client meetings.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl

from recon.match.result import CATEGORY_LABELS

# The follow-up's closing line, the same words as the working paper's follow-ups.
TAX_INVOLVED = "Tax involved (credit notes subtracted):"

LAKH = 100_000
CRORE = 10_000_000


def indian_grouping(whole: int) -> str:
    """12345678 -> '1,23,45,678' (thousands first, then groups of two)."""
    digits = str(abs(whole))
    if len(digits) <= 3:
        grouped = digits
    else:
        head, tail = digits[:-3], digits[-3:]
        pairs = []
        while len(head) > 2:
            pairs.insert(0, head[-2:])
            head = head[:-2]
        grouped = ",".join([head, *pairs, tail])
    return f"-{grouped}" if whole < 0 else grouped


def inr(amount: float | None, decimals: int = 0) -> str:
    """'₹ 1,23,45,678' (rounded to rupees unless ``decimals``); blank for None/NaN.

    The sign is decided after rounding: -0.4 prints '₹ 0', never '-₹ 0'.
    """
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return ""
    rounded = round(abs(amount), decimals)
    sign = "-" if amount < 0 and rounded > 0 else ""
    whole = int(rounded)
    text = indian_grouping(whole)
    if decimals:
        fraction = f"{rounded - whole:.{decimals}f}"[1:]
        text += fraction
    return f"{sign}₹ {text}"


def each(values: pl.Series, fmt) -> pl.Series:
    """``fmt`` on every value, in the calling thread, as a text column named like ``values``.

    The server never puts a Python function inside a polars expression: polars runs it on its worker
    threads, which wait for the GIL while a session's thread holds it waiting for those same workers
    (Streamlit's conversion of a frame for st.dataframe) — the whole server hangs.
    """
    return pl.Series(values.name, [fmt(v) for v in values.to_list()], dtype=pl.String)


def inr_short(amount: float | None) -> str:
    """Meeting form: '₹ 4.56 Cr', '₹ 12.30 L', below a lakh the full figure ('₹ 45,678')."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return ""
    size = abs(amount)
    sign = "-" if amount < 0 else ""  # below a lakh inr() decides the sign, after rounding
    if size >= CRORE:
        return f"{sign}₹ {size / CRORE:.2f} Cr"
    if size >= LAKH:
        return f"{sign}₹ {size / LAKH:.2f} L"
    return inr(amount)


# ---------------------------------------------------------------------------------------------------
# The engine's sentence form: ₹1,23,456.50, paise always shown (recon.match.explain quotes it)
# ---------------------------------------------------------------------------------------------------


def format_rupees(amount: float | None, *, signed: bool = False) -> str:
    """₹1,23,456.50 — scalar twin of :func:`rupees_expr` (signed: +₹100.00 / -₹100.00)."""
    if amount is None:
        return "—"
    paise = round(abs(amount) * 100)
    whole, frac = divmod(paise, 100)
    sign = ("-" if amount < 0 else "+") if signed else ("-" if amount < 0 and paise else "")
    return f"{sign}₹{indian_grouping(whole)}.{frac:02d}"


def rupees_expr(paise: pl.Expr, *, signed: bool = False) -> pl.Expr:
    """Whole paise → '₹1,23,456.50' (signed: '+₹100.00' / '-₹100.00'), vectorised."""
    magnitude = paise.abs()
    rupees = magnitude // 100
    frac = (magnitude % 100).cast(pl.String).str.zfill(2)
    # Indian grouping: the last three digits, then pairs (thousands, lakhs, crores ...), taken with
    # integer arithmetic on the whole column rather than a regex on each reversed text.
    groups = [_digit_group(rupees % 1000, 3, padded=rupees >= 1000)]
    higher = rupees // 1000
    for _ in range(_DIGIT_PAIRS):
        pair = pl.concat_str(_digit_group(higher % 100, 2, padded=higher >= 100), pl.lit(","))
        groups.insert(0, pl.when(higher > 0).then(pair).otherwise(pl.lit("")))
        higher = higher // 100
    sign = pl.when(paise < 0).then(pl.lit("-")).otherwise(pl.lit("+" if signed else ""))
    return pl.concat_str(sign, pl.lit("₹"), *groups, pl.lit("."), frac)


# Pairs of digits above the last three: enough for every Int64 amount in paise (17 digits of rupees).
_DIGIT_PAIRS = 7


def _digit_group(value: pl.Expr, width: int, *, padded: pl.Expr) -> pl.Expr:
    """A group's digits, zero-padded to ``width`` where a higher group precedes it."""
    text = value.cast(pl.String)
    return pl.when(padded).then(text.str.zfill(width)).otherwise(text)


def period_label(period: str | None) -> str:
    """'112025' -> 'Nov 2025'; anything else as given."""
    if period and len(period) == 6 and period.isdigit() and 1 <= int(period[:2]) <= 12:
        return f"{calendar.month_abbr[int(period[:2])]} {period[2:]}"
    return period or ""


def tab_label(category: str, count: int, itc: float) -> str:
    """'Matched with ITC · 120 · ₹ 4.56 L' — the name practitioners know, the count and the ITC at stake."""
    return f"{CATEGORY_LABELS[category]} · {indian_grouping(count)} · {inr_short(itc)}"


# Grid columns carry marker strings ("JS_INR", ...) where AG Grid needs JavaScript: the page swaps them for
# the code in views/_grid_js.py, so this module stays free of browser code.
ACTION_CLASSES = {
    "action-accept": "data.action === 'Accept'",
    "action-reject": "data.action === 'Reject'",
    "action-pending": "data.action === 'Pending'",
    "action-none": "data.action === 'No Action'",
    "action-decided": "data.action_source === 'user'",
    "action-suggested": "data.action && data.action_source !== 'user'",
}


def _amount_col(field: str, header: str, diff_flag: str | None = None, width: int = 120) -> dict:
    col = {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "filter": "agNumberColumnFilter",
        "valueFormatter": "JS_INR",
        # The CSV export carries the number itself (12345.5), not the grouped text.
        "useValueFormatterForExport": False,
        "width": width,
    }
    if diff_flag:
        col["cellClassRules"] = {"diff-cell": f"data.{diff_flag}"}
    return col


def _date_col(field: str, header: str, diff_flag: str | None = None, width: int = 92) -> dict:
    col = {
        "field": field,
        "headerName": header,
        "width": width,
        "filter": True,
        "comparator": "JS_DATE_COMPARE",
    }
    if diff_flag:
        col["cellClassRules"] = {"diff-cell": f"data.{diff_flag}"}
    return col


def _action_col() -> dict:
    """The editable action; a suggestion's value differs from a decision's, so choosing it confirms it."""
    return {
        "field": "action",
        "headerName": "Action",
        "editable": True,
        "singleClickEdit": True,
        "cellEditor": "agSelectCellEditor",
        "cellEditorParams": "JS_ACTION_VALUES",
        "valueGetter": "JS_ACTION_GET",
        "valueSetter": "JS_ACTION_SET",
        "valueFormatter": "JS_ACTION_FORMAT",
        "cellClassRules": ACTION_CLASSES,
        "width": 96,
        "pinned": "left",
        "filter": True,
    }


def _refusal_col() -> dict:
    return {
        "field": "portal_would_refuse",
        "headerName": "Portal would refuse",
        "headerTooltip": "The portal would refuse this record: it is left out of the upload (hover for why)",
        "valueFormatter": "JS_REFUSE_MARK",
        "tooltipField": "portal_would_refuse",
        "cellClassRules": {"refuse-cell": "data.portal_would_refuse"},
        "wrapHeaderText": True,
        "autoHeaderHeight": True,
        "width": 112,  # "would refuse" whole; only tabs with such a row have this column
        "pinned": "left",
        "filter": True,
    }


def _sides(category: str) -> tuple[bool, bool]:
    """(books side, portal side) present in a tab: a books-only row has no portal side and no action."""
    return category != "ims_only", category != "books_only"


def _side_by_side(category: str) -> list[dict]:
    """Both sides' tax and its difference, then number, taxable value and date, each pair next to each
    other with the differing one marked.

    The tax comes first: with the pinned columns, a 1366-pixel laptop leaves about 500 pixels for the
    scrolling middle, and the figure at stake must be in them without scrolling sideways.
    """
    books, portal = _sides(category)
    both = books and portal

    def pair(make, books_col: tuple, portal_col: tuple, flag: str) -> list[dict]:
        cols = []
        if books:
            cols.append(make(*books_col, flag if both else None))
        if portal:
            cols.append(make(*portal_col, flag if both else None))
        return cols

    def amount(field: str, header: str, flag: str | None, width: int = 104) -> dict:
        return _amount_col(field, header, flag, width=width)

    cols = pair(amount, ("books_tax", "Books tax ₹"), ("portal_tax", "Portal tax ₹"), "diff_tax")
    if both:
        cols.append(_amount_col("tax_difference", "Tax diff. ₹", "diff_tax", width=96))
    cols += pair(_number_col, ("books_doc_no", "Books no."), ("portal_doc_no", "Portal no."), "diff_doc_no")
    cols += pair(
        amount,
        ("books_taxable_value", "Books taxable ₹"),
        ("portal_taxable_value", "Portal taxable ₹"),
        "diff_taxable",
    )
    cols += pair(
        _date_col, ("books_doc_date", "Books date"), ("portal_doc_date", "Portal date"), "diff_doc_date"
    )
    return cols


def _number_col(field: str, header: str, diff_flag: str | None) -> dict:
    col = {"field": field, "headerName": header, "width": 104, "filter": True}
    if diff_flag and field == "portal_doc_no":
        col["cellClassRules"] = {"diff-cell": f"data.{diff_flag}"}
    return col


def grid_columns(category: str, columns=()) -> list[dict]:
    """Column definitions of the review grid for one tab, as plain dicts.

    ``columns``: the columns of the frame the grid shows; optional ones (``portal_would_refuse``) get a
    column only when present. Order follows how a consultant reads a row: the action, who, both sides' tax
    and its difference, which document, the other values, then the long texts (why, portal says). "Set by"
    and "Remarks" are pinned to the right so both stay on screen on a 1366-pixel laptop, whatever is
    scrolled.
    """
    books, portal = _sides(category)
    cols: list[dict] = []
    if portal:
        cols.append(_action_col())
        if "portal_would_refuse" in columns:
            cols.append(_refusal_col())
    cols.append({"field": "supplier_name", "headerName": "Supplier", "width": 120, "filter": True})
    cols += _side_by_side(category)
    if category in ("matched", "mismatched"):
        cols.append(
            {
                "field": "pair_to_confirm",
                "headerName": "Pair",
                "headerTooltip": "A pair the engine only suggests (PAN level, mistyped GSTIN, fuzzy number): "
                "select it and press Confirm pair",
                "cellDataType": "text",
                "valueFormatter": "JS_PAIR_MARK",
                "tooltipField": "review_reason",
                "cellClassRules": {"pair-cell": "data.pair_to_confirm"},
                "width": 95,
                "filter": True,
            }
        )
    cols.append(
        {
            "field": "explanation",
            "headerName": "Why",
            "width": 340,
            "filter": True,
            "tooltipField": "explanation",
        }
    )
    cols.append(
        {
            "field": "supplier_gstin",
            "headerName": "GSTIN",
            "width": 150,
            "filter": True,
            "cellClassRules": {"diff-cell": "data.diff_gstin"},
        }
    )
    cols.append({"field": "doc_kind", "headerName": "Kind", "width": 100, "filter": True})
    if portal:
        cols += [
            {"field": "filing", "headerName": "Supplier return", "width": 120, "filter": True},
            {
                "field": "portal_says",
                "headerName": "Portal says",
                "width": 200,
                "filter": True,
                "tooltipField": "portal_says",
                "cellClassRules": {"diff-cell": "data.portal_says"},
            },
            {
                "field": "set_by",
                "headerName": "Set by",
                "width": 158,  # "you · 06-12-2026 12:41" whole: who decided and when
                "pinned": "right",
                "filter": True,
                "tooltipField": "set_by",
                "cellClassRules": {
                    "set-by-user": "data.action_source === 'user'",
                    "set-by-suggested": "data.action_source !== 'user'",
                },
            },
            {
                "field": "remarks",
                "headerName": "Remarks",
                "width": 110,
                "pinned": "right",
                "filter": True,
                "tooltipField": "remarks",
            },
        ]
    return cols


def csv_file_name(client_name: str, period: str, category: str) -> str:
    """'Sahyadri-Auto-Components_112025_Mismatched-with-ITC.csv': whose data, which month, which tab."""

    def part(text: str) -> str:
        return "-".join("".join(ch if ch.isalnum() else " " for ch in text).split()) or "client"

    return f"{part(client_name)}_{part(period)}_{part(CATEGORY_LABELS[category])}.csv"


def grid_options(category: str, page_size: int = 100, *, columns=(), export_name: str | None = None) -> dict:
    """AG Grid options (v34 API) for one tab: checkbox selection with header select-all, pagination."""
    options = {
        "columnDefs": grid_columns(category, columns),
        # Hovering anywhere on a row says why it landed in this tab.
        "defaultColDef": {
            "sortable": True,
            "resizable": True,
            "tooltipField": "explanation",
            # Narrow columns keep their whole name ("Portal taxable ₹") on two lines.
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        "rowSelection": {
            "mode": "multiRow",
            "checkboxes": True,
            "headerCheckbox": True,
            "enableClickSelection": False,
            "selectAll": "filtered",
        },
        # The checkbox column first, pinned, so selecting never scrolls away.
        "selectionColumnDef": {"pinned": "left", "width": 48, "suppressHeaderMenuButton": True},
        "rowClassRules": {"row-decided": "data.action_source === 'user'"},
        "getRowId": "JS_ROW_ID",
        "stopEditingWhenCellsLoseFocus": True,
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": [page_size, page_size * 5, page_size * 10],
        "tooltipShowDelay": 300,
        "animateRows": False,
        "suppressColumnVirtualisation": True,  # ~20 columns: render all, so every cell is findable
    }
    if export_name:
        # JS_CSV_CELL: a supplier's '=HYPERLINK(...)' reaches Excel as text (recon.safe_text).
        options["defaultCsvExportParams"] = {"fileName": export_name, "processCellCallback": "JS_CSV_CELL"}
    return options


# The consultant's clock: every "when" on screen is Indian time, DD-MM-YYYY HH:MM.
INDIA_ZONE = "Asia/Kolkata"
INDIA_STAMP = "%d-%m-%Y %H:%M"


def india_time(moment: datetime) -> str:
    """'06-12-2026 12:41' for a stored moment; the store keeps UTC (SQLite hands it back naive)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(INDIA_ZONE)).strftime(INDIA_STAMP)


def with_set_by(rows: pl.DataFrame, decisions: pl.DataFrame, user: str) -> pl.DataFrame:
    """``set_by`` per row: 'you · 06-12-2026 10:41' (or the person's name) for a decision, else 'suggested'.

    Times are shown in Indian time, as the consultant's clock reads; ``decisions`` is Store.decisions.
    """
    if "action_source" not in rows.columns or "portal_doc_id" not in rows.columns:
        return rows
    stamps = decisions.select(
        "portal_doc_id",
        pl.col("decided_by").alias("_by"),
        pl.col("decided_at").dt.convert_time_zone(INDIA_ZONE).dt.strftime(INDIA_STAMP).alias("_at"),
    ).unique("portal_doc_id", keep="last")
    who = (
        pl.when(pl.col("_by").is_null() | (pl.col("_by") == user))
        .then(pl.lit("you"))
        .otherwise(pl.col("_by"))
    )
    label = (
        pl.when(pl.col("action_source") == "user")
        .then(pl.concat_str(who, pl.lit(" · "), pl.col("_at"), ignore_nulls=True))
        .when(pl.col("action").is_not_null())
        .then(pl.lit("suggested"))
    )
    return (
        rows.join(stamps, on="portal_doc_id", how="left", maintain_order="left")
        .with_columns(label.alias("set_by"))
        .drop("_by", "_at")
    )


def followup_message(
    client_name: str, client_gstin: str, supplier_name: str | None, items: list[dict]
) -> str:
    """A message to paste into an e-mail or WhatsApp: what the supplier should report, amend or file."""
    greeting = f"Dear {supplier_name}," if supplier_name else "Dear Sir / Madam,"
    lines = [
        greeting,
        "",
        f"While reconciling the purchases of {client_name} (GSTIN {client_gstin}) with the GST portal's "
        "Invoice Management System, we found the following. Please act on them before your next return:",
        "",
    ]
    lines += [f"{n}. {item['ask']}" for n, item in enumerate(items, start=1)]
    # Each item's total_tax is its ITC (recon.figures): a credit note counts with a minus sign.
    total = sum(item.get("total_tax") or 0.0 for item in items)
    lines += ["", f"{TAX_INVOLVED} {inr(total, 2)}.", "", "Thank you."]
    return "\n".join(lines)


def rupee_ticks(largest: float, count: int = 5) -> tuple[list[float], list[str]]:
    """Axis ticks in the lakh / crore form (plotly only knows western grouping): values and labels."""
    if not largest or largest <= 0:
        return [0.0], ["₹ 0"]
    raw_step = largest / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    values = [step * i for i in range(int(largest // step) + 2)]
    return values, [inr_short(v).replace(".00 ", " ") if v else "₹ 0" for v in values]
