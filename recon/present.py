"""How figures and tables look to a consultant: Indian amounts, period names, grid column definitions.

UI-free: the pages hand these plain dicts and strings to Streamlit / AG Grid. Amounts follow the Indian
grouping (last three digits, then pairs: ₹ 1,23,45,678) and the lakh / crore short forms people say in
client meetings.
"""

from __future__ import annotations

import calendar
import math

from recon.match.result import CATEGORY_LABELS
from recon.model import ACTION_LABELS

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


def period_label(period: str | None) -> str:
    """'112025' -> 'Nov 2025'; anything else as given."""
    if period and len(period) == 6 and period.isdigit() and 1 <= int(period[:2]) <= 12:
        return f"{calendar.month_abbr[int(period[:2])]} {period[2:]}"
    return period or ""


def tab_label(category: str, count: int, itc: float) -> str:
    """'Matched with ITC · 120 · ₹ 4.56 L' — the name practitioners know, the count and the ITC at stake."""
    return f"{CATEGORY_LABELS[category]} · {indian_grouping(count)} · {inr_short(itc)}"


ACTION_CHOICES = [ACTION_LABELS[a] for a in ("A", "R", "P", "N")]
ACTION_CHOICES_NO_PENDING = [ACTION_LABELS[a] for a in ("A", "R", "N")]
# Import of goods: Accept or Pending only, never Reject (ims-rules.md §6).
ACTION_CHOICES_IMPORT = [ACTION_LABELS[a] for a in ("A", "P", "N")]

# JavaScript for AG Grid, as text: the page wraps these in st_aggrid.JsCode.
JS_ROW_ID = "function(p){return p.data.result_id;}"
JS_INR = (
    "function(p){if(p.value===null||p.value===undefined||p.value==='')return '';"
    "return '\\u20b9 '+Number(p.value).toLocaleString('en-IN',{maximumFractionDigits:0});}"
)
# Per-row editor values: Pending is not offered where the portal blocks it (matching-practice.md §12.1),
# Reject not for import-of-goods records (ims-rules.md §6).
JS_ACTION_VALUES = (
    "function(p){const d=p.data||{};let v=['Accept','Reject','Pending','No Action'];"
    "if(d.pending_blocked){v=v.filter(x=>x!=='Pending');}"
    "if(d.reject_blocked){v=v.filter(x=>x!=='Reject');}return {values:v};}"
)

# Colours a consultant reads at a glance: red for a difference, amber for a review, green for agreement.
DIFF_STYLE = {"backgroundColor": "#fde2e1", "color": "#8a1c14", "fontWeight": "600"}
ACTION_STYLE = {
    "Accept": {"backgroundColor": "#e3f4e8", "color": "#14532d", "fontWeight": "600"},
    "Reject": {"backgroundColor": "#fde2e1", "color": "#8a1c14", "fontWeight": "600"},
    "Pending": {"backgroundColor": "#fff4d6", "color": "#7a4b00", "fontWeight": "600"},
    "No Action": {"color": "#555"},
}
JS_ACTION_STYLE = (
    "function(p){const s="
    + str({k: v for k, v in ACTION_STYLE.items()}).replace("'", '"')
    + ";return s[p.value]||null;}"
)


def _amount_col(field: str, header: str, diff_flag: str | None = None, width: int = 120) -> dict:
    col = {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "filter": "agNumberColumnFilter",
        "valueFormatter": "JS_INR",
        "width": width,
    }
    if diff_flag:
        col["cellClassRules"] = {"diff-cell": f"data.{diff_flag}"}
    return col


def grid_columns(category: str) -> list[dict]:
    """Column definitions of the review grid for one tab, as plain dicts.

    String values "JS_INR", "JS_ACTION_VALUES", "JS_ACTION_STYLE" mark JavaScript the page substitutes.
    Order follows how a consultant reads a row: the action, who and which document, the amounts on
    both sides and their difference, then why. A books-only row has no portal side and no action.
    """
    portal_side = category != "books_only"
    books_side = category != "ims_only"
    cols: list[dict] = []
    if portal_side:
        cols.append(
            {
                "field": "action",
                "headerName": "Action",
                "editable": True,
                "singleClickEdit": True,
                "cellEditor": "agSelectCellEditor",
                "cellEditorParams": "JS_ACTION_VALUES",
                "cellStyle": "JS_ACTION_STYLE",
                "width": 115,
                "pinned": "left",
                "filter": True,
            }
        )
    cols.append({"field": "supplier_name", "headerName": "Supplier", "width": 170, "filter": True})
    if books_side:
        cols.append({"field": "books_doc_no", "headerName": "Books no.", "width": 125, "filter": True})
    if portal_side:
        cols.append(
            {
                "field": "portal_doc_no",
                "headerName": "Portal no.",
                "width": 125,
                "filter": True,
                "cellClassRules": {"diff-cell": "data.diff_doc_no"},
            }
        )
    cols.append(
        {
            "field": "doc_date",
            "headerName": "Date",
            "width": 100,
            "filter": True,
            "cellClassRules": {"diff-cell": "data.diff_doc_date"},
        }
    )
    if books_side:
        cols.append(_amount_col("books_tax", "Books tax", "diff_tax", width=110))
    if portal_side:
        cols.append(_amount_col("portal_tax", "Portal tax", "diff_tax", width=110))
    if books_side and portal_side:
        cols.append(_amount_col("tax_difference", "Difference", "diff_tax", width=105))
    cols.append(
        {
            "field": "explanation",
            "headerName": "Why",
            "width": 360,
            "filter": True,
            "tooltipField": "explanation",
        }
    )
    cols.append({"field": "supplier_gstin", "headerName": "GSTIN", "width": 150, "filter": True})
    cols.append(_amount_col("taxable_value", "Taxable", "diff_taxable", width=115))
    cols.append({"field": "doc_kind", "headerName": "Kind", "width": 100, "filter": True})
    if portal_side:
        cols += [
            {"field": "filing", "headerName": "Supplier return", "width": 120, "filter": True},
            {"field": "action_source", "headerName": "Set by", "width": 95, "filter": True},
            {
                "field": "portal_says",
                "headerName": "Portal says",
                "width": 200,
                "filter": True,
                "tooltipField": "portal_says",
                "cellClassRules": {"diff-cell": "data.portal_says"},
            },
            {
                "field": "remarks",
                "headerName": "Remarks",
                "width": 170,
                "filter": True,
                "tooltipField": "remarks",
            },
        ]
    return cols


GRID_CSS = {
    ".diff-cell": {"background-color": "#fde2e1 !important", "color": "#8a1c14", "font-weight": "600"},
    ".ag-header-cell-label": {"font-weight": "600"},
}


def grid_options(category: str, page_size: int = 100) -> dict:
    """AG Grid options (v34 API) for one tab: checkbox selection with header select-all, pagination."""
    return {
        "columnDefs": grid_columns(category),
        # Hovering anywhere on a row says why it landed in this tab.
        "defaultColDef": {"sortable": True, "resizable": True, "tooltipField": "explanation"},
        "rowSelection": {
            "mode": "multiRow",
            "checkboxes": True,
            "headerCheckbox": True,
            "enableClickSelection": False,
            "selectAll": "filtered",
        },
        # The checkbox column first, pinned, so selecting never scrolls away.
        "selectionColumnDef": {"pinned": "left", "width": 48, "suppressHeaderMenuButton": True},
        "getRowId": "JS_ROW_ID",
        "stopEditingWhenCellsLoseFocus": True,
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": [page_size, page_size * 5, page_size * 10],
        "tooltipShowDelay": 300,
        "animateRows": False,
        "suppressColumnVirtualisation": True,  # ~15 columns: render all, so every cell is findable
    }


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
