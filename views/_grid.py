"""The review grid of one tab: AgGrid with an editable Action column, selection and bulk actions.

Large tabs stay responsive because the grid sends back only a delta (data_return_mode CUSTOM: the
selected ids and the one edited cell), rows are keyed by result_id (getRowId), and the data handed to
the grid is a snapshot that is rebuilt only when the grid is mounted fresh
(docs/reference/streamlit-aggrid.md §5-6).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import weakref
from collections import Counter

import polars as pl
import streamlit as st
from st_aggrid import AgGrid, JsCode

from recon import paging, present
from recon.errors import InputError
from recon.model import ACTION_LABELS, LABEL_TO_ACTION
from recon.safe_text import markdown_literal
from recon.workspace import DecisionConflict, Workspace, preview_action, version_of
from views._grid_js import GRID_CSS, JS
from views._shared import flash

DECL_COLUMNS = ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess")
BULK_ICONS = {
    "A": ":material/check_circle:",
    "R": ":material/cancel:",
    "P": ":material/schedule:",
    "N": ":material/undo:",
}

TAB_HINTS = {
    "matched": "The IMS record agrees with the books. Accept them in one go: select all → Accept, or on a tab of "
    "many pages, Accept all in this tab.",
    "mismatched": "Same document, but something differs (highlighted). Decide per row; a Reject asks for a remark.",
    "ims_only": "In IMS but not in the books. Doing nothing means deemed acceptance on the 14th: review each.",
    "books_only": "In the books but the supplier has not reported it: nothing to act on in IMS; follow up.",
}

# What the browser needs per row (the server keeps the ids; a lean row keeps a lakh of rows light).
GRID_COLUMNS = (
    "result_id",
    "action",
    "action_source",
    "set_by",
    "portal_would_refuse",
    "supplier_name",
    "supplier_gstin",
    "doc_kind",
    "pair_to_confirm",
    "review_reason",
    "books_doc_no",
    "portal_doc_no",
    "books_doc_date",
    "portal_doc_date",
    "books_taxable_value",
    "portal_taxable_value",
    "books_tax",
    "portal_tax",
    "tax_difference",
    "explanation",
    "filing",
    "remarks",
    "portal_says",
    "pending_blocked",
    "reject_blocked",
    "diff_tax",
    "diff_taxable",
    "diff_doc_no",
    "diff_doc_date",
    "diff_gstin",
)

# Sends back only what changed: the selected row ids and the edited cell
# (docs/reference/streamlit-aggrid.md §6).
RETURN_DELTA = JsCode(
    """
function({streamlitRerunEventTriggerName, eventData}) {
  const api = eventData.api;
  const out = {trigger: streamlitRerunEventTriggerName, nonce: Date.now() + ':' + Math.random(),
               selected: api.getSelectedRows().map(r => r.result_id)};
  if (streamlitRerunEventTriggerName === 'cellValueChanged') {
    out.edit = {result_id: eventData.data.result_id, field: eventData.colDef.field, value: eventData.newValue};
  }
  return out;
}"""
)


def _with_js(value):
    """Swap the marker strings of recon.present.grid_options for JsCode objects."""
    if isinstance(value, dict):
        return {k: _with_js(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_js(v) for v in value]
    if isinstance(value, str) and value in JS:
        return JsCode(JS[value])
    return value


def ensure_scope(client_id: int, period: str) -> None:
    """Grid state (data, selection, pending dialog) belongs to one client and period: drop it on a switch."""
    scope = (client_id, period)
    previous = st.session_state.get("grid_scope")
    if previous is not None and previous != scope:
        st.session_state.pop("pending_action", None)
        st.session_state.pop(
            "grid_views", None
        )  # a search for one client's supplier means nothing in another's
        forget_grids()  # new keys: no grid value or snapshot of the other client is reused
    st.session_state["grid_scope"] = scope


def grid_key(category: str) -> str:
    version = st.session_state.setdefault("grid_versions", {}).get(category, 0)
    return f"grid_{category}_{version}"


def bump(category: str) -> None:
    """A new key remounts the grid from fresh data and drops its stale return value (docs/reference/streamlit-aggrid.md §5.2)."""
    versions = st.session_state.setdefault("grid_versions", {})
    versions[category] = versions.get(category, 0) + 1
    st.session_state.get("grid_selection", {}).pop(category, None)


def forget_grids() -> None:
    for category in TAB_HINTS:
        bump(category)
    st.session_state.pop("grid_snapshots", None)
    st.session_state.pop("grid_selection", None)


def link_state() -> tuple[bool, bool]:
    """(can link, can unlink): one books-only + one IMS-only row selected; exactly one pair selected."""
    picked = {c: len(selected_ids(c)) for c in ("books_only", "ims_only", "matched", "mismatched")}
    can_link = picked["books_only"] == 1 and picked["ims_only"] == 1
    return can_link, picked["matched"] + picked["mismatched"] == 1


def selected_ids(category: str) -> list[str]:
    return list(st.session_state.get("grid_selection", {}).get(category, []))


def _with_actions(ws: Workspace, client_id: int, period: str, rows: pl.DataFrame) -> pl.DataFrame:
    """The given joined rows with their effective action, remarks and declaration (review columns)."""
    review = ws.review(client_id, period)
    # In the order of the given rows: a page sorted on the server reaches the grid in that order.
    picked = rows.select("result_id").join(review, on="result_id", how="inner", maintain_order="left")
    return _with_memory(present.with_set_by(picked, ws.decisions(client_id), ws.user))


def _with_memory(rows: pl.DataFrame) -> pl.DataFrame:
    """A decision carried from an earlier month says its age first, where the narrow column shows it."""
    if "memory" not in rows.columns or "set_by" not in rows.columns:
        return rows
    carried = pl.col("memory").is_not_null() & (pl.col("action_source") == "user")
    return rows.with_columns(
        pl.when(carried)
        .then(pl.concat_str(pl.col("memory"), pl.lit(" · "), pl.col("set_by"), ignore_nulls=True))
        .otherwise(pl.col("set_by"))
        .alias("set_by")
    )


class JsonRows:
    """Grid rows already serialised as JSON.

    ``AgGrid(data, use_json_serialization=True)`` (st_aggrid 1.2.1) only asks its data for ``columns``,
    ``dtypes`` and ``to_json(orient="records")``; handing it the JSON built once per grid mount spares each
    rerun (every edit, every selection) the DataFrame conversion, hashing and serialisation.
    """

    columns: tuple = ()
    dtypes = None

    def __init__(self, text: str, fields: tuple = ()) -> None:
        self.text = text
        self.fields = fields  # the row fields in the JSON (optional grid columns depend on them)

    def to_json(self, orient: str = "records") -> str:
        return self.text


def snapshot(rows: pl.DataFrame) -> JsonRows:
    """The rows the grid shows, as the JSON text AG Grid takes as rowData (built once per grid mount).

    JSON rather than Arrow: the browser parses JSON far faster than the component converts an Arrow
    table row by row (benchmarks/bench_browser.py: 41k rows, first paint 15.8 s → 5.4 s).
    """
    if "stale_reason" in rows.columns:
        # A decision on a document the supplier changed since is not exported: say so where it is read.
        rows = rows.with_columns(
            pl.when(pl.col("stale_reason").is_not_null())
            .then(pl.lit("⚠ ") + pl.col("stale_reason") + pl.lit(". ") + pl.col("explanation").fill_null(""))
            .otherwise(pl.col("explanation"))
            .alias("explanation")
        )
    present_cols = [c for c in GRID_COLUMNS if c in rows.columns and _worth_a_column(rows, c)]
    frame = rows.select(present_cols)
    dates = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    frame = frame.with_columns(pl.col(dates).dt.strftime("%d-%m-%Y"))  # DD-MM-YYYY, as Indian papers write
    return JsonRows(_without_empty_fields(frame.write_json()), tuple(present_cols))


# A field whose value is null or false, after the row's first field. Inside a JSON string every quote is
# escaped, so a comma followed by a quote only occurs between fields.
_EMPTY_FIELD = re.compile(r',"[A-Za-z_][A-Za-z0-9_]*":(?:null|false)(?=[,}])')


def _without_empty_fields(text: str) -> str:
    """Rows JSON without its null and false fields: the grid reads a missing field as empty, as it reads null.

    A third of a lakh of rows' JSON is such fields; every session's browser downloads and parses it.
    """
    return _EMPTY_FIELD.sub("", text)


class SharedSnapshots:
    """Grid rows shared by every session of this process that shows the same tab of the same version.

    Ten consultants opening one client see the same rows: the JSON is built once (the first session builds,
    the others wait for it) and each session holds a reference, not a copy. Entries are weak: when the last
    session holding a snapshot drops it (a remount, a closed session), its memory is returned.
    """

    def __init__(self) -> None:
        self._held: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._lock = threading.Lock()
        self._building: dict = {}  # key -> lock held while that key's rows are built

    def get(self, key, build) -> JsonRows:
        with self._lock:
            found = self._held.get(key)
            if found is not None:
                return found
            building = self._building.setdefault(key, threading.Lock())
        with building:
            try:
                with self._lock:
                    found = self._held.get(key)
                if found is None:
                    found = build()
                    with self._lock:
                        self._held[key] = found
                return found
            finally:
                with self._lock:
                    self._building.pop(key, None)


SHARED = SharedSnapshots()


def shared_snapshot(
    ws: Workspace,
    client_id: int,
    period: str,
    category: str,
    rows: pl.DataFrame,
    view: paging.View | None = None,
) -> JsonRows:
    """This tab's grid rows (one page of them when the tab is paged) for the decisions as saved now,
    shared with other sessions on the same version asking for the same page."""
    key = (ws.review_version(client_id, period), category, ws.user, view)
    return SHARED.get(key, lambda: snapshot(_with_actions(ws, client_id, period, rows)))


def _worth_a_column(rows: pl.DataFrame, column: str) -> bool:
    """The "Portal would refuse" column only on a tab that holds such a row: on a laptop its pinned width
    would push the tax amounts off screen for nothing."""
    return column != "portal_would_refuse" or rows[column].null_count() < rows.height


def review_grid(ws: Workspace, client_id: int, period: str, category: str, rows: pl.DataFrame) -> None:
    """One tab's grid plus its bulk bar; edits and bulk actions go straight to the store.

    ``rows`` is the whole tab. A tab larger than a page is searched, sorted and paged here on the server
    (recon.paging) and the grid gets one page; bulk actions on "all in this tab" act on every row the
    search finds, never only on the page shown.
    """
    paged = paging.needs_paging(rows.height)
    view = view_of(category) if paged else None
    found, page = paging.paged(rows, view) if paged else (rows, None)
    shown = page.rows if page else rows
    key = grid_key(category)
    snapshots = st.session_state.setdefault("grid_snapshots", {})
    if key not in st.session_state or key not in snapshots:
        # Freshly mounted grid: its data from the decisions as saved now.
        current = {grid_key(c) for c in TAB_HINTS}
        for stale in [k for k in snapshots if k not in current]:
            del snapshots[stale]  # grids remounted under a new key: their old data is not needed
        snapshots[key] = shared_snapshot(ws, client_id, period, category, shown, view)
        # The decisions' versions as this grid shows them: a save refuses documents changed since.
        seen = st.session_state.setdefault("decisions_seen", {})
        for stale in [k for k in seen if k not in snapshots]:
            del seen[stale]
        seen[key] = ws.decision_versions(client_id)
    data = snapshots[key]
    # The grid's last value is in session state before the grid is drawn: act on it first, so the bulk
    # bar above the grid already shows the selection it just sent.
    event = _event(st.session_state.get(key))
    if event:
        before = link_state()
        _remember_selection(category, event)
        if link_state() != before:
            st.rerun()  # the Link / Unlink buttons above the tabs depend on this selection
        edit = event.get("edit")
        if edit and edit.get("field") == "action" and _is_new(key, event):
            _apply_edit(ws, client_id, period, category, rows, edit)
    if page:
        paging_bar(category, rows.height, view, page)
    bulk_bar(ws, client_id, period, category, rows, found if page else None)
    client = ws.client(client_id)
    options = present.grid_options(
        category,
        columns=data.fields,
        export_name=present.csv_file_name(client.name if client else "client", period, category),
    )
    if page:
        # The server's page is the grid's one page: a second level of pages inside it would only confuse.
        options.update(paginationPageSize=paging.PAGE_SIZE, paginationPageSizeSelector=False)
    chosen = selected_ids(category)
    if chosen:
        # A grid mounted again (back from another tab) shows the rows still selected for Link / Unlink.
        options["initialState"] = {"rowSelection": chosen}
    AgGrid(
        data,
        gridOptions=_with_js(options),
        key=key,
        height=560,
        theme="streamlit",
        allow_unsafe_jscode=True,
        update_on=["cellValueChanged", "selectionChanged"],
        data_return_mode="CUSTOM",
        custom_jscode_for_grid_return=RETURN_DELTA,
        custom_css=GRID_CSS,
        show_toolbar=True,
        show_search=True,
        show_download_button=True,
        use_json_serialization=True,
    )


# --- server-side paging of a large tab (recon.paging) -------------------------------------------------


def view_of(category: str) -> paging.View:
    """The search, order and page this session asked of a tab (kept while other tabs are open)."""
    return st.session_state.setdefault("grid_views", {}).get(category, paging.View())


def _change_view(category: str, **changes) -> None:
    """A new search, order or page: a new grid (its selection was of the rows it showed)."""
    views = st.session_state.setdefault("grid_views", {})
    views[category] = dataclasses.replace(views.get(category, paging.View()), **changes)
    bump(category)


def _widget_key(category: str, part: str) -> str:
    return f"view_{part}_{category}"


def _on_search(category: str) -> None:
    text = st.session_state.get(_widget_key(category, "search")) or ""
    st.session_state[_widget_key(category, "page")] = 1
    _change_view(category, search=text, page=1)


def _on_sort(category: str) -> None:
    st.session_state[_widget_key(category, "page")] = 1
    _change_view(
        category,
        sort=st.session_state.get(_widget_key(category, "sort")) or paging.AS_RECONCILED,
        descending=bool(st.session_state.get(_widget_key(category, "descending"))),
        page=1,
    )


def _on_page(category: str) -> None:
    _change_view(category, page=int(st.session_state.get(_widget_key(category, "page")) or 1))


def _step_page(category: str, number: int) -> None:
    st.session_state[_widget_key(category, "page")] = number
    _change_view(category, page=number)


def _seed(key: str, value) -> None:
    """A widget of a tab opened again starts from what the session asked before (not from its default)."""
    if key not in st.session_state:
        st.session_state[key] = value


def paging_bar(category: str, total: int, view: paging.View, page: paging.Page) -> None:
    """Search, order and page of a large tab; each change asks the server for another page."""
    for part, value in (
        ("search", view.search),
        ("sort", view.sort),
        ("descending", view.descending),
        ("page", page.number),
    ):
        _seed(_widget_key(category, part), value)
    # One row on a 1366-pixel laptop, so the grid starts high on the screen; the labels stay for screen
    # readers and the placeholders say what each box is for.
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    bar.text_input(
        "Search supplier, GSTIN or document number",
        key=_widget_key(category, "search"),
        on_change=_on_search,
        args=(category,),
        width=250,
        placeholder="Search supplier, GSTIN or number",
        label_visibility="collapsed",
    )
    bar.selectbox(
        "Sort by",
        list(paging.SORTS),
        key=_widget_key(category, "sort"),
        on_change=_on_sort,
        args=(category,),
        format_func=lambda name: f"Sort: {name}",
        width=190,
        label_visibility="collapsed",
    )
    bar.toggle("Descending", key=_widget_key(category, "descending"), on_change=_on_sort, args=(category,))
    bar.button(
        "Previous",
        key=f"view_prev_{category}",
        icon=":material/chevron_left:",
        disabled=page.number <= 1,
        on_click=_step_page,
        args=(category, page.number - 1),
    )
    bar.number_input(
        "Page",
        min_value=1,
        step=1,
        key=_widget_key(category, "page"),
        on_change=_on_page,
        args=(category,),
        width=90,
        label_visibility="collapsed",
    )
    bar.button(
        "Next",
        key=f"view_next_{category}",
        icon=":material/chevron_right:",
        disabled=page.number >= page.pages,
        on_click=_step_page,
        args=(category, page.number + 1),
    )
    st.caption(page_caption(total, view, page))


def page_caption(total: int, view: paging.View, page: paging.Page) -> str:
    """Where the page sits: 'Page 2 of 83 · rows 1,001–2,000 of 82,500 in this tab'."""
    where = f"**Page {page.number:,} of {page.pages:,}**"
    if not page.found:
        return f"{where} · nothing in this tab matches the search (of {total:,} rows)"
    rows = f"rows {page.first:,}–{page.last:,} of {page.found:,}"
    scope = f"found by the search (of {total:,} in this tab)" if view.narrowed else "in this tab"
    return (
        f"{where} · {rows} {scope}. Search and order cover the whole tab; the grid's own filter, sort, "
        "select-all and CSV act on this page."
    )


def _event(value) -> dict | None:
    """The delta RETURN_DELTA sent (a dict), whatever wrapper it arrives in."""
    raw = getattr(value, "raw_data", value)
    return raw if isinstance(raw, dict) else None


def _remember_selection(category: str, event: dict) -> None:
    st.session_state.setdefault("grid_selection", {})[category] = list(event.get("selected") or [])


def _is_new(key: str, event: dict) -> bool:
    """An edit is applied once: the component keeps returning its last value on later reruns."""
    seen = st.session_state.setdefault("grid_seen", {})
    nonce = event.get("nonce")
    if nonce and seen.get(key) == nonce:
        return False
    seen[key] = nonce
    return True


def _apply_edit(ws, client_id, period, category, rows: pl.DataFrame, edit: dict) -> None:
    action = LABEL_TO_ACTION.get(edit.get("value"))
    picked = rows.filter(pl.col("result_id") == edit.get("result_id"))
    if action is None or picked.is_empty():
        return
    preview = preview_action(picked, action)
    if preview.needs_confirmation or action in ("R", "P"):
        st.session_state["pending_action"] = {
            "category": category,
            "result_ids": picked["result_id"].to_list(),
            "action": action,
        }
        return
    _save(ws, client_id, period, category, picked, action, source="user", revert_on_refusal=True)


def bulk_bar(ws, client_id, period, category, rows: pl.DataFrame, found: pl.DataFrame | None = None) -> None:
    """Buttons for the selected rows; on a paged tab (``found``: what its search finds) also one for all."""
    conflict_panel(ws, client_id, period, category)
    chosen = selected_ids(category)
    where = " on this page" if found is not None else ""
    if category == "books_only":
        st.caption(
            f"{len(chosen):,} selected{where}. Books-only entries have no IMS action: follow up with the supplier."
        )
        return
    # Buttons as wide as their labels, in a row that wraps: nothing is cut off on a 1366-pixel laptop.
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    bar.markdown(f"**{len(chosen):,} selected**{where}", width="content")
    for code in ("A", "R", "P", "N"):
        label = f"{ACTION_LABELS[code]} selected"
        if bar.button(
            label, key=f"bulk_{code}_{category}", disabled=not chosen, icon=BULK_ICONS[code], width="content"
        ):
            st.session_state["pending_action"] = {"category": category, "result_ids": chosen, "action": code}
    if found is not None:
        tab_wide_buttons(bar, category, rows.height, found)
    if category in ("matched", "mismatched"):
        confirm_pair_button(bar, ws, client_id, period, category, rows, chosen)
    pending = st.session_state.get("pending_action")
    if pending and pending["category"] == category:
        picked = _with_actions(
            ws, client_id, period, rows.filter(pl.col("result_id").is_in(pending["result_ids"]))
        )
        confirm_dialog(ws, client_id, period, category, picked, pending["action"])


def accept_all_label(total: int, found: int, narrowed: bool) -> str:
    """'Accept all 82,500 in this tab', or with a search 'Accept the 1,204 found (of 82,500 in this tab)':
    the label starts with the count the button acts on."""
    if narrowed:
        return f"Accept the {found:,} found (of {total:,} in this tab)"
    return f"Accept all {total:,} in this tab"


def other_actions_label(total: int, found: int, narrowed: bool) -> str:
    """The popover with Reject, Pending and No action for every row found, named by the same count."""
    if narrowed:
        return f"Reject, Pending or No action for the {found:,} found"
    return f"Reject, Pending or No action for all {total:,}"


TAB_WIDE_HELP = (
    "Acts on every row of this tab the search finds, on every page, not only the rows shown; "
    "the next step shows the count and asks you to confirm."
)


def tab_wide_buttons(bar, category: str, total: int, found: pl.DataFrame) -> None:
    """Set an action on every row the search finds in the tab (every page), after the dialog states the
    count: Accept as a button, the others in a popover beside it (Reject and Pending ask for a remark)."""
    narrowed = found.height != total
    if bar.button(
        accept_all_label(total, found.height, narrowed),
        key=f"bulk_all_A_{category}",
        disabled=found.is_empty(),
        icon=":material/done_all:",
        width="content",
        help=TAB_WIDE_HELP,
    ):
        _ask_for_all(category, found, "A")
    with bar.popover(
        other_actions_label(total, found.height, narrowed),
        key=f"bulk_all_more_{category}",
        disabled=found.is_empty(),
        help=TAB_WIDE_HELP,
    ):
        for code in ("R", "P", "N"):
            if st.button(
                f"{ACTION_LABELS[code]} all {found.height:,}",
                key=f"bulk_all_{code}_{category}",
                icon=BULK_ICONS[code],
                width="stretch",
            ):
                _ask_for_all(category, found, code)


def _ask_for_all(category: str, found: pl.DataFrame, action: str) -> None:
    st.session_state["pending_action"] = {
        "category": category,
        "result_ids": found["result_id"].to_list(),
        "action": action,
    }


def confirm_pair_button(bar, ws, client_id, period, category, rows: pl.DataFrame, chosen: list[str]) -> None:
    """Confirm the selected suggested pairs (PAN level, mistyped GSTIN, fuzzy number) as the user's links."""
    to_confirm = _pairs_to_confirm(rows, chosen)
    if not bar.button(
        "Confirm pair",
        key=f"confirm_pair_{category}",
        disabled=to_confirm.is_empty(),
        icon=":material/link:",
        width="content",
        help="The engine only suggests pairs found at PAN level, across a mistyped GSTIN or by a similar "
        "number (marked 'to confirm' in the Pair column). Select them and confirm: the pair is recorded "
        "as your link and its action is suggested like any other pair.",
    ):
        return
    with st.spinner("Confirming and reconciling again ..."):
        for books_doc, portal_doc in to_confirm.iter_rows():
            ws.link(client_id, period, books_doc, portal_doc)
    forget_grids()
    flash(f"{to_confirm.height:,} pair(s) confirmed as your link(s).")
    st.rerun()


def _pairs_to_confirm(rows: pl.DataFrame, chosen: list[str]) -> pl.DataFrame:
    if "pair_to_confirm" not in rows.columns or not chosen:
        return pl.DataFrame(schema={"books_doc_id": pl.String, "portal_doc_id": pl.String})
    return rows.filter(pl.col("result_id").is_in(chosen) & pl.col("pair_to_confirm")).select(
        "books_doc_id", "portal_doc_id"
    )


def _dismissed() -> None:
    pending = st.session_state.pop("pending_action", None)
    if pending:
        bump(pending["category"])  # closing the dialog leaves the action as it was


@st.dialog("Confirm the action", width="large", on_dismiss=_dismissed)
def confirm_dialog(ws, client_id, period, category, picked: pl.DataFrame, action: str) -> None:
    preview = preview_action(picked, action)
    label = ACTION_LABELS[action]
    st.markdown(
        f"**{label}** for **{preview.rows:,}** document(s) · ITC {present.inr(preview.itc)}"
        + (f" · {preview.skipped_books_only} books-only row(s) skipped" if preview.skipped_books_only else "")
    )
    if picked.height <= 5:
        for row in picked.iter_rows(named=True):
            number = row.get("portal_doc_no") or row.get("books_doc_no")
            tax = row["portal_tax"] if row["portal_tax"] is not None else row["books_tax"]
            # A supplier's name or number is shown as typed, never as a link or an image (safe_text).
            supplier = markdown_literal(row["supplier_name"] or row["supplier_gstin"])
            st.caption(
                f"{supplier} · {markdown_literal(number)} · {_date_text(row['doc_date'])} · "
                f"tax {present.inr(tax)}"
            )
    for line in preview.consequences:
        st.warning(line)
    remarks = None
    if action in ("R", "P"):
        suggested = picked["remarks"].drop_nulls().unique().to_list() if "remarks" in picked.columns else []
        remarks = st.text_area(
            "Remarks for the supplier (go with Reject / Pending; the supplier sees them)",
            value=suggested[0] if len(suggested) == 1 else "",  # the suggestion's remark, when one fits all
            max_chars=250,
            key="confirm_remarks",
        )
    reduction = {}
    if action == "A" and not preview.credit_notes.is_empty():
        st.markdown(
            f"**{preview.credit_notes.height} credit note(s)**: does ITC need to be reduced? "
            "Amounts are prefilled from the books; edit where the reduction differs."
        )
        edited = st.data_editor(
            preview.credit_notes,  # polars in, polars out (st.data_editor keeps the frame type)
            key="confirm_declaration",
            hide_index=True,
            disabled=["portal_doc_id", "supplier", "note_no"],
            column_order=["supplier", "note_no", "itc_red_req", *DECL_COLUMNS],
            column_config={
                "supplier": "Supplier",
                "note_no": "Credit note",
                "itc_red_req": st.column_config.SelectboxColumn(
                    "Reduce ITC?", options=["Y", "N"], required=True
                ),
                **{
                    c: st.column_config.NumberColumn(
                        f"{c[5:].upper()} to reduce (₹)", min_value=0.0, format="%.2f"
                    )
                    for c in DECL_COLUMNS
                },
            },
        )
        for record in edited.to_dicts():
            reduction[record["portal_doc_id"]] = {k: record[k] for k in ("itc_red_req", *DECL_COLUMNS)}
    left, right = st.columns(2)
    go = left.button(f"Confirm {label}", type="primary", key="confirm_go", width="stretch")
    # Cancel is drawn before any complaint about the input, so a refused Confirm never leaves the
    # dialog without a way out; the remarks and declaration keep what was typed (their keys).
    if right.button("Cancel", key="confirm_cancel", width="stretch"):
        st.session_state.pop("pending_action", None)
        bump(category)  # the grid shows the action as it was
        st.rerun()
    if not go:
        return
    # Taken off before saving: a conflict with another session reruns straight to the conflict panel,
    # which must not find this dialog still waiting; it is put back only when nothing was saved.
    pending = st.session_state.pop("pending_action", None)
    outcome = _save(
        ws,
        client_id,
        period,
        category,
        picked,
        action,
        source="bulk" if picked.height > 1 else "user",
        remarks=remarks,
        itc_reduction=reduction,
        confirmed=True,
        in_dialog=True,
    )
    if _nothing_saved(outcome):
        # The dialog stays open on why (a Reject without a remark ...), keeping what was typed.
        st.session_state["pending_action"] = pending
        for reason, count in sorted(Counter(reason for _, reason in outcome.refused).items()):
            st.error(f"{count:,} document(s) not set to {label}: {markdown_literal(reason)}")
        return
    st.rerun()


def _nothing_saved(outcome) -> bool:
    return bool(outcome.refused) and not (outcome.saved or outcome.unchanged)


def _date_text(value) -> str:
    """DD-MM-YYYY for a date (as on the grid), the text itself otherwise."""
    return value.strftime("%d-%m-%Y") if hasattr(value, "strftime") else (value or "")


def _seen(category: str, portal_ids: list[str]) -> dict | None:
    """The versions the grid showed for these documents (None: no snapshot, nothing to compare)."""
    seen = st.session_state.get("decisions_seen", {}).get(grid_key(category))
    return None if seen is None else {d: seen.get(d) for d in portal_ids}


def _save(
    ws,
    client_id,
    period,
    category,
    picked,
    action,
    *,
    source,
    revert_on_refusal=False,
    in_dialog=False,
    **options,
):
    """Save through ``Workspace.set_action``; ``in_dialog``: if all is refused, the dialog says why."""
    portal_ids = picked.filter(pl.col("portal_doc_id").is_not_null())["portal_doc_id"].to_list()
    return _set(
        ws,
        client_id,
        period,
        category,
        portal_ids,
        action,
        source,
        revert_on_refusal,
        options,
        in_dialog=in_dialog,
    )


def _set(
    ws,
    client_id,
    period,
    category,
    portal_ids,
    action,
    source,
    revert_on_refusal,
    options,
    expected=None,
    in_dialog=False,
):
    """Save one action; a conflict with another session's change is kept for conflict_panel to decide."""
    expected = expected if expected is not None else _seen(category, portal_ids)
    try:
        outcome = ws.set_action(
            client_id, period, portal_ids, action, source=source, expected=expected, **options
        )
    except DecisionConflict as conflict:
        st.session_state["decision_conflict"] = {
            "category": category,
            "ids": portal_ids,
            "action": action,
            "source": source,
            "options": options,
            "expected": expected or {},
            "changed": {c.portal_doc_id: version_of(c.decided_at) for c in conflict.changes},
            "lines": conflict.lines(),
        }
        bump(category)  # the grid shows the other session's change
        st.rerun()
    except InputError as err:  # the database stayed busy: said in words, nothing half-saved
        flash(str(err), "error")
        bump(category)
        st.rerun()
    _remember_saved(ws, client_id, category, portal_ids)
    label = ACTION_LABELS[action]
    if outcome.saved or outcome.unchanged:
        st.toast(
            f"{label}: {outcome.saved + outcome.unchanged:,} document(s) saved.", icon=":material/check:"
        )
    if in_dialog and _nothing_saved(outcome):
        return outcome
    if outcome.refused:
        reasons = sorted({reason for _, reason in outcome.refused})
        st.session_state["_flash"] = (
            "warning",
            f"{len(outcome.refused):,} document(s) not set to {label}: "
            + " · ".join(markdown_literal(r) for r in reasons[:3]),
        )
    if len(portal_ids) > 1 or outcome.refused or not revert_on_refusal:
        bump(category)
    if outcome.refused and revert_on_refusal:
        st.rerun()
    return outcome


def _remember_saved(ws, client_id: int, category: str, portal_ids: list[str]) -> None:
    """A grid that stays mounted after its own save now shows these versions (no conflict with oneself)."""
    seen = st.session_state.get("decisions_seen", {}).get(grid_key(category))
    if seen is not None and portal_ids:
        seen.update(ws.decision_versions(client_id, portal_ids))


def conflict_panel(ws, client_id, period, category) -> None:
    """Another session changed documents this save covered: say who, to what, and let the user decide."""
    conflict = st.session_state.get("decision_conflict")
    if not conflict or conflict["category"] != category:
        return
    label = ACTION_LABELS[conflict["action"]]
    changed = conflict["changed"]
    others = [d for d in conflict["ids"] if d not in changed]
    box = st.container(border=True)
    box.warning(
        f"Not saved: {len(changed):,} of the {len(conflict['ids']):,} document(s) were changed by someone "
        f"else after this grid was opened. The grid now shows their change.",
        icon=":material/group:",
    )
    for line in conflict["lines"][:20]:
        box.caption(line)
    if len(conflict["lines"]) > 20:
        box.caption(f"... and {len(conflict['lines']) - 20:,} more.")
    row = box.container(horizontal=True, gap="small")
    mine = row.button(
        f"{label} all {len(conflict['ids']):,} anyway (replace their change)", key=f"conflict_mine_{category}"
    )
    keep = row.button(
        f"Keep their change; {label} the other {len(others):,}" if others else "Keep their change",
        key=f"conflict_keep_{category}",
        type="primary",
    )
    if not (mine or keep):
        return
    st.session_state.pop("decision_conflict", None)
    expected = dict(conflict["expected"])
    ids = conflict["ids"] if mine else others
    if mine:
        expected.update(changed)  # what the user has now seen of the other's change
    if ids:
        _set(
            ws,
            client_id,
            period,
            category,
            ids,
            conflict["action"],
            conflict["source"],
            False,
            conflict["options"],
            expected={d: expected.get(d) for d in ids},
        )
    bump(category)
    st.rerun()
