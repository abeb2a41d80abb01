"""Reconcile page: the explicit steps that turn suggestions into the consultant's decisions.

A suggestion is shown in the grid but never sent. Here it becomes a decision only by a click that says
what it will do: "Accept matched" with its count (suppliers who have filed first), and "Apply these
suggestions" after the counts per action and the list of rows. Everything saved here is a decision of
the user, with who and when in the audit trail.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from recon.match.result import CATEGORY_LABELS
from recon.model import ACTION_LABELS
from views import _grid
from views._shared import flash, lazy_expander

SUGGESTIONS = "suggestions_open"  # the panel's open state (a test opens it by this key)


def suggestions_panel(ws, client, period) -> None:
    """Two lines above the tabs: the one-click Accepts, then what applying the open suggestions would save."""
    with st.container(key="suggestions_panel"):
        _accept_matched(ws, client, period)
        _apply_suggestions(ws, client, period)


def _accept_matched(ws, client, period) -> None:
    filed = ws.matched_to_accept(client.id, period, filed_only=True).height
    every = ws.matched_to_accept(client.id, period, filed_only=False).height
    unfiled = every - filed
    cols = st.columns([5, 3, 5], vertical_alignment="center")
    if cols[0].button(
        f"Accept matched where the supplier has filed ({filed:,})",
        key="accept_matched_filed",
        type="primary",
        disabled=not filed,
        icon=":material/done_all:",
        width="stretch",
        help="Saves Accept as your decision on every matched document nobody has decided yet.",
    ):
        _finish(ws.accept_matched(client.id, period, filed_only=True), "Accepted (matched, supplier filed)")
    if cols[1].button(
        f"Accept all matched ({every:,})",
        key="accept_matched_all",
        disabled=not every,
        width="stretch",
        help=(
            f"Includes {unfiled:,} document(s) of suppliers who have not filed: accepting them takes credit "
            "before their return is filed (they reach GSTR-2B only once filed)."
        ),
    ):
        _finish(ws.accept_matched(client.id, period, filed_only=False), "Accepted (all matched)")
    cols[2].caption(
        "Only decisions are sent to the portal; a suggestion stays one until you apply it"
        + (f". {unfiled:,} matched document(s): supplier has not filed yet." if unfiled else ".")
    )


def _apply_suggestions(ws, client, period) -> None:
    rows = ws.suggestions_to_apply(client.id, period)
    if rows.is_empty():
        return
    counts = rows.group_by("suggested_action").len().sort("suggested_action")
    said = " · ".join(
        f"{ACTION_LABELS.get(a, a)} {n:,}"
        for a, n in zip(counts["suggested_action"], counts["len"], strict=True)
    )
    panel = lazy_expander(
        f"Open suggestions nobody has decided yet: {said} — see them, apply them", SUGGESTIONS
    )
    with panel:
        if not panel.open:
            return
        st.dataframe(
            rows.select(
                pl.col("supplier").alias("Supplier"),
                pl.col("supplier_gstin").alias("GSTIN"),
                pl.col("doc_no").alias("Document"),
                pl.col("category").replace_strict(CATEGORY_LABELS, default=None).alias("Tab"),
                pl.col("suggested_action").replace_strict(ACTION_LABELS, default=None).alias("Action"),
                pl.col("suggested_remark").alias("Remark to the supplier"),
                pl.col("why").alias("Why"),
                pl.col("portal_would_refuse").alias("Left out of the upload because"),
            ),
            hide_index=True,
            width="stretch",
            key="suggestions_table",
        )
        st.caption(
            "Rejects and Pendings carry the remark shown, which the supplier sees. A Reject removes the "
            "ITC for the period; after GSTR-3B undoing it needs the supplier to report the document again."
        )
        if st.button(
            f"Apply these {rows.height:,} suggestions as my decisions ({said})",
            key="apply_suggestions",
            icon=":material/playlist_add_check:",
        ):
            ids = rows.get_column("portal_doc_id").to_list()
            _finish(ws.apply_suggestions(client.id, period, ids, confirmed=True), "Suggestions applied")


def _finish(outcome, label: str) -> None:
    """Say what was saved (and what was refused, with why), remount the grids with the new decisions."""
    message = f"{label}: {outcome.saved + outcome.unchanged:,} document(s) saved as your decisions."
    if outcome.refused:
        reasons = sorted({reason for _, reason in outcome.refused})
        message += f" {len(outcome.refused):,} not saved: " + "; ".join(reasons[:3])
    flash(message, "warning" if outcome.refused else "success")
    _grid.forget_grids()
    st.rerun()
