"""Reconcile: the four tabs practitioners know, the open one's grid, actions set in the grid or in bulk."""

from __future__ import annotations

import polars as pl
import streamlit as st

from recon.errors import InputError
from recon.match.result import CATEGORIES, CATEGORY_LABELS
from recon.match.settings import Settings
from recon.pool import SETTLED, SETTLED_LABEL, month_words
from recon.present import each, inr, inr_short, tab_label
from recon.workspace import category_totals
from views import _grid, _suggestions, _timeline
from views._shared import flash, heading, lazy_expander, require_client, show_error, show_flash, workspace

ws = workspace()
client, period = require_client()
heading("Reconcile", client, period)
_grid.ensure_scope(client.id, period)
show_flash()

ready, advice = ws.ready(client.id, period)
if not ready:
    st.info(advice)
    st.page_link("views/import.py", label="Go to Import", icon=":material/upload_file:")
    st.stop()


def settings_panel() -> None:
    """The matching settings, drawn only while their panel is open (most visits never open it)."""
    panel = lazy_expander("Matching settings", "settings_open", icon=":material/tune:")
    with panel:
        if panel.open:
            settings_form()


def settings_form() -> None:
    current = ws.settings(client.id, period)
    with st.form("settings_form"):
        cols = st.columns(4)
        tolerance = cols[0].number_input(
            "Tolerance per tax head (₹)", min_value=0.0, value=float(current.tolerance_igst), step=1.0
        )
        taxable = cols[1].number_input(
            "Tolerance on taxable value (₹)", min_value=0.0, value=float(current.tolerance_taxable), step=1.0
        )
        window = cols[2].number_input(
            "Date window (days)", min_value=0, max_value=365, value=int(current.date_window_days)
        )
        fuzzy = cols[3].slider("Fuzzy number threshold", 50.0, 100.0, float(current.fuzzy_threshold), 1.0)
        pan = st.toggle(
            "Match across registrations of the same PAN (shown for confirmation, never auto-accepted)",
            value=current.pan_matching,
        )
        if st.form_submit_button("Re-run reconciliation with these settings", type="primary"):
            settings = Settings(
                tolerance_taxable=taxable,
                tolerance_igst=tolerance,
                tolerance_cgst=tolerance,
                tolerance_sgst=tolerance,
                tolerance_cess=tolerance,
                date_window_days=int(window),
                fuzzy_threshold=fuzzy,
                pan_matching=pan,
            )
            with st.spinner("Reconciling ..."):
                ws.reconcile(client.id, period, settings)
            _grid.forget_grids()
            flash("Reconciled again with the new settings.")
            st.rerun()


def link_bar(review: pl.DataFrame) -> None:
    """Manual pairing across tabs: one books-only + one IMS-only row → Link; one pair → Unlink."""
    picked = {c: _grid.selected_ids(c) for c in CATEGORIES}
    books_only, ims_only = picked["books_only"], picked["ims_only"]
    pairs = picked["matched"] + picked["mismatched"]
    cols = st.columns([1, 1, 4])
    can_link, can_unlink = _grid.link_state()
    help_link = "Select one row in 'New invoice in ITC' and one in 'Not found in ITC' to pair them by hand."
    if cols[0].button("Link selected", key="link_pair", disabled=not can_link, help=help_link):
        books_doc = _doc_id(review, books_only[0], "books_doc_id")
        portal_doc = _doc_id(review, ims_only[0], "portal_doc_id")
        with st.spinner("Linking and reconciling again ..."):
            ws.link(client.id, period, books_doc, portal_doc)
        _grid.forget_grids()
        flash("Linked by hand; the pair now shows under Matched or Mismatched.")
        st.rerun()
    if cols[1].button(
        "Unlink selected",
        key="unlink_pair",
        disabled=not can_unlink,
        help="Select one paired row to undo it.",
    ):
        row = review.filter(pl.col("result_id") == pairs[0]).row(0, named=True)
        with st.spinner("Unlinking and reconciling again ..."):
            ws.unlink(client.id, period, row["books_doc_id"], row["portal_doc_id"])
        _grid.forget_grids()
        flash("Unlinked; the engine will not pair these two again.")
        st.rerun()


def _doc_id(review: pl.DataFrame, result_id: str, column: str) -> str:
    return review.filter(pl.col("result_id") == result_id).item(0, column)


def not_ims_group(review: pl.DataFrame) -> None:
    apart = review.filter(pl.col("not_ims_record") & (pl.col("category") != SETTLED))
    if apart.is_empty():
        return
    panel = lazy_expander(
        f"Not an IMS record · {apart.height:,} · {inr_short(apart['itc'].sum())} "
        "(reverse charge, ISD, imports, ineligible: reconcile against GSTR-2B)",
        "not_ims_open",
        icon=":material/info:",
    )
    with panel:
        if not panel.open:
            return
        st.dataframe(
            apart.select(
                pl.col("supplier_name").alias("Supplier"),
                pl.col("supplier_gstin").alias("GSTIN"),
                pl.coalesce("books_doc_no", "portal_doc_no").alias("Document"),
                pl.col("doc_date").dt.strftime("%d-%m-%Y").alias("Date"),
                each(apart["itc"], inr).alias("ITC"),
                pl.col("not_in_ims_reason").alias("Why not in IMS"),
            ),
            hide_index=True,
            width="stretch",
        )


def settled_group(review: pl.DataFrame) -> None:
    """Books documents an earlier GSTR-2B settled: apart from the tabs, never a follow-up."""
    apart = review.filter(pl.col("category") == SETTLED)
    if apart.is_empty():
        return
    panel = lazy_expander(
        f"{SETTLED_LABEL} ({apart.height:,}) · {inr_short(apart['itc'].sum())} "
        "(already in an earlier GSTR-2B: nothing to act on, nothing to ask the supplier)",
        "settled_open",
        icon=":material/task_alt:",
    )
    with panel:
        if not panel.open:
            return
        st.dataframe(
            apart.select(
                pl.col("supplier_name").alias("Supplier"),
                pl.col("supplier_gstin").alias("GSTIN"),
                # A stale inbox copy no books entry pairs with (recon.pool) has only its portal number.
                pl.coalesce("books_doc_no", "portal_doc_no").alias("Document"),
                pl.col("doc_date").dt.strftime("%d-%m-%Y").alias("Date"),
                month_words(pl.col("books_period")).fill_null("not booked").alias("Booked"),
                month_words(pl.col("portal_period")).alias("In GSTR-2B of"),
                each(apart["itc"], inr).alias("ITC"),
                pl.col("explanation").alias("Explanation"),
            ),
            hide_index=True,
            width="stretch",
        )


settings_panel()
try:
    with st.spinner("Reconciling ..."):
        # Without the actions: labels, totals and pairs do not change when a decision does, so an edit
        # does not recompute the effective actions of every document (the grid fetches them when built).
        review = ws.joined(client.id, period)
except InputError as err:
    show_error(err)
    st.stop()

totals = category_totals(review)
labels = {c: tab_label(c, *totals[c]) for c in CATEGORIES}


@st.fragment
def grid_fragment(category: str, rows: pl.DataFrame) -> None:
    # A grid event, a search or a page change reruns only this fragment, not the page above it (a full
    # rerun happens when a bulk action or a link changes more than this tab).
    _grid.review_grid(ws, client.id, period, category, rows)


def _tab_chosen() -> None:
    """A click on a tab: remember its category (the labels carry counts that change after a link)."""
    label = st.session_state.get("recon_tab") or ""
    by_name = {CATEGORY_LABELS[c]: c for c in CATEGORIES}
    st.session_state["recon_category"] = by_name.get(label.split(" · ")[0], CATEGORIES[0])


def open_category() -> str:
    chosen = st.session_state.get("recon_category")
    return chosen if chosen in CATEGORIES else CATEGORIES[0]


_suggestions.suggestions_panel(ws, client, period)
link_bar(review)
# Only the open tab runs and sends its grid (lazy tabs: docs/reference/streamlit-aggrid.md §5.8); the
# others are labels until clicked. Four grids of a lakh of rows each in every consultant's browser is what made the page slow.
st.session_state["recon_tab"] = labels[open_category()]
tabs = st.tabs(list(labels.values()), key="recon_tab", on_change=_tab_chosen)
for category, tab in zip(CATEGORIES, tabs, strict=True):
    if not tab.open:
        continue
    with tab:
        rows = review.filter((pl.col("category") == category) & ~pl.col("not_ims_record"))
        st.caption(_grid.TAB_HINTS[category])
        if rows.is_empty():
            st.info(f"Nothing under {CATEGORY_LABELS[category]}.")
        else:
            grid_fragment(category, rows)
not_ims_group(review)
settled_group(review)
_timeline.timeline_panel(ws, client, period)
