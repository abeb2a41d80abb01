"""Dashboard: where the client's ITC stands, in charts a client understands at a glance."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from recon import dashboard
from recon.errors import InputError
from recon.present import inr, inr_short, rupee_ticks
from views import _handouts
from views._shared import heading, require_client, show_error, workspace

ws = workspace()
client, period = require_client()
heading("Dashboard", client, period)

ready, advice = ws.ready(client.id, period)
if not ready:
    st.info(advice)
    st.stop()
try:
    review = ws.review(client.id, period)
except InputError as err:
    show_error(err)
    st.stop()

CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
ACTION_COLOURS = {
    "Accept": "#2e7d32",
    "Reject": "#c62828",
    "Pending": "#f9a825",
    "No Action": "#90a4ae",
    "Follow up": "#5c6bc0",
}

numbers = dashboard.headline(review)
cols = st.columns(4)
cols[0].metric("ITC in IMS", inr_short(numbers["itc_in_ims"]), help=inr(numbers["itc_in_ims"]))
cols[1].metric("ITC matched", inr_short(numbers["itc_matched"]), help=inr(numbers["itc_matched"]))
cols[2].metric(
    "ITC at risk", inr_short(numbers["itc_at_risk"]), help="Not in IMS + excess over IMS + pending"
)
cols[3].metric("Documents decided", f"{numbers['decided_share']:.0%}", help=f"of {numbers['documents']:,.0f}")


def rupee_axis(figure, axis: str, largest: float) -> None:
    """Ticks in lakh / crore, as a client reads amounts."""
    values, labels = rupee_ticks(largest)
    getattr(figure, f"update_{axis}axes")(tickvals=values, ticktext=labels)


def amount_labels(frame, column="itc"):
    return frame.with_columns(frame[column].map_elements(inr_short, return_dtype=str).alias("label"))


left, right = st.columns(2)
with left:
    st.subheader("ITC by tab and action")
    by_action = amount_labels(dashboard.itc_by_category_action(review)).to_pandas()
    figure = px.bar(
        by_action,
        x="tab",
        y="itc",
        color="action",
        text="label",
        color_discrete_map=ACTION_COLOURS,
        labels={"itc": "ITC (₹)", "tab": "", "action": "Action"},
        hover_data={"documents": True, "label": False},
    )
    figure.update_layout(legend_title_text="", margin={"t": 10})
    rupee_axis(figure, "y", by_action.groupby("tab")["itc"].apply(lambda s: s.clip(lower=0).sum()).max())
    st.plotly_chart(figure, config=CHART_CONFIG, key="chart_by_action")
with right:
    st.subheader("ITC at risk — top suppliers")
    risk = dashboard.itc_at_risk_by_supplier(review)
    if risk.is_empty():
        st.success("No ITC at risk: every books entry is reported and nothing is pending.")
    else:
        risk_frame = amount_labels(risk, "amount").to_pandas()
        figure = px.bar(
            risk_frame,
            y="supplier",
            x="amount",
            color="risk",
            orientation="h",
            text="label",
            labels={"amount": "ITC at risk (₹)", "supplier": "", "risk": ""},
            color_discrete_map={"Not in IMS": "#5c6bc0", "Value mismatch": "#c62828", "Pending": "#f9a825"},
        )
        figure.update_layout(yaxis={"categoryorder": "total ascending"}, margin={"t": 10})
        rupee_axis(figure, "x", risk_frame["total"].max())
        st.plotly_chart(figure, config=CHART_CONFIG, key="chart_risk")

left, right = st.columns(2)
with left:
    st.subheader("Unmatched books entries against the s.16(4) time limit")
    ages = amount_labels(dashboard.ageing(review)).to_pandas()
    figure = px.bar(
        ages,
        x="bucket",
        y="itc",
        text="label",
        labels={"itc": "ITC (₹)", "bucket": "Time left before 30 November after the FY"},
        hover_data={"documents": True, "label": False},
        color="bucket",
        color_discrete_sequence=["#b71c1c", "#e65100", "#f9a825", "#7cb342", "#2e7d32"],
    )
    figure.update_layout(showlegend=False, margin={"t": 10})
    rupee_axis(figure, "y", ages["itc"].max())
    st.plotly_chart(figure, config=CHART_CONFIG, key="chart_ageing")
with right:
    st.subheader("Progress of decisions")
    progress = dashboard.decision_progress(review).to_pandas()
    figure = px.bar(
        progress,
        x="tab",
        y="documents",
        color="status",
        labels={"documents": "Documents", "tab": "", "status": ""},
        color_discrete_map={"Decided": "#2e7d32", "On suggestion": "#cfd8dc"},
    )
    figure.update_layout(margin={"t": 10})
    st.plotly_chart(figure, config=CHART_CONFIG, key="chart_progress")

st.subheader("Hand-outs")
_handouts.downloads(ws, client, period)
