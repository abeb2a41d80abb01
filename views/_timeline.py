"""The client's months as one story: a panel on the Reconcile page (recon.timeline builds the table)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from recon.present import each, inr
from recon.timeline import TIMELINE_HEADERS
from views._shared import lazy_expander


def timeline_panel(ws, client, period: str) -> None:
    """Per month: booked, in IMS, in GSTR-2B, settled, carried forward with age, ITC and s.16(4) deadline."""
    frame = ws.timeline(client.id, period)
    if frame.height < 2:  # one month is the page itself; the panel tells the story of several
        return
    quarterly = client.return_frequency == "quarterly"
    unit = "quarters" if quarterly else "months"
    # Drawn only while open: a table under a closed label is otherwise sent and drawn on every visit.
    panel = lazy_expander(f"Timeline · {frame.height} {unit}", "timeline_open", icon=":material/timeline:")
    with panel:
        if not panel.open:
            return
        st.caption(
            f"Each document counts in the {unit[:-1]} it was booked (its voucher date, else the month its register "
            "was imported for). Settled: an earlier GSTR-2B already carried it. "
            "Carried forward: still open, with the age of the oldest and the last day its ITC can be claimed."
        )
        shown = frame.with_columns(
            *[each(frame[c], inr) for c in ("booked_itc", "open_itc")],
            pl.col("s16_deadline").dt.strftime("%d-%m-%Y").fill_null(""),
            pl.col("oldest_open_days").cast(pl.String).fill_null(""),  # nothing open: blank, not 'None'
        ).select(list(TIMELINE_HEADERS))
        headers = {**TIMELINE_HEADERS, "month": "Quarter"} if quarterly else TIMELINE_HEADERS
        st.dataframe(shown.rename(headers), hide_index=True, width="stretch")
