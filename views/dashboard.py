"""Dashboard: where the client's ITC stands, in charts a client understands at a glance."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from recon import dashboard, figures
from recon.errors import InputError
from recon.present import each, indian_grouping, inr, inr_short, rupee_ticks
from recon.safe_text import plot_literal
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


def figure_help(name: str, amount: float) -> str:
    """The exact amount, then the definition the working paper prints (recon.figures)."""
    return f"**{inr(amount)}**\n\n{figures.DEFINITIONS[name]}"


cols = st.columns(5)
headline_figures = [
    (figures.ITC_IN_BOOKS, "itc_in_books"),
    (figures.ITC_IN_IMS, "itc_in_ims"),
    (figures.ITC_MATCHED, "itc_matched"),
    (figures.ITC_AT_RISK, "itc_at_risk"),
]
for col, (name, key) in zip(cols[:4], headline_figures, strict=True):
    col.metric(name, inr_short(numbers[key]), help=figure_help(name, numbers[key]))
cols[4].metric(
    "Documents decided",
    f"{numbers['decided_share']:.0%}",
    help=f"Share of the {indian_grouping(int(numbers['documents']))} IMS records whose action a person set.",
)


def rupee_axis(figure, axis: str, largest: float) -> None:
    """Ticks in lakh / crore, as a client reads amounts."""
    values, labels = rupee_ticks(largest)
    getattr(figure, f"update_{axis}axes")(tickvals=values, ticktext=labels)


def amount_labels(frame, column="itc"):
    """``label``: the amount in lakh / crore; ``count``: documents grouped the Indian way (when counted)."""
    frame = frame.with_columns(each(frame[column], inr_short).alias("label"))
    if "documents" in frame.columns:
        frame = frame.with_columns(each(frame["documents"], indian_grouping).alias("count"))
    return frame


def plot_literals(frame, columns=("supplier", "supplier_gstin")):
    """Supplier names and GSTINs written so that plotly shows their tags as characters (safe_text)."""
    return frame.with_columns(each(frame[c], plot_literal) for c in columns)


# Tooltips in the words of the bars (plotly would print 567.79k / 10.04M): customdata = label, count.
HOVER_TAB = "%{x} · %{fullData.name}<br>ITC %{customdata[0]}<br>%{customdata[1]} document(s)<extra></extra>"
HOVER_AGE = "%{x}<br>ITC %{customdata[0]}<br>%{customdata[1]} document(s)<extra></extra>"
HOVER_RISK = "<b>%{y}</b><br>GSTIN %{customdata[1]}<br>%{fullData.name}: %{customdata[0]}<extra></extra>"
# Below the bars: on top it would sit under the chart toolbar that appears on hover.
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "title_text": ""}
# A stacked slice too thin for its amount shows none (the tooltip has it) rather than a clipped one.
SLICE_TEXT = {"uniformtext_minsize": 10, "uniformtext_mode": "hide"}


def two_line_ticks(figure, labels) -> None:
    """Tab names on two lines under their bars: in half a laptop screen plotly cuts "Matched with ITC" short."""
    labels = list(dict.fromkeys(labels))
    figure.update_xaxes(tickvals=labels, ticktext=[_two_lines(label) for label in labels], tickangle=0)


def _two_lines(label: str) -> str:
    words = label.split(" ")
    if len(words) < 2:
        return label
    # Break where the two lines come out most even.
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return " ".join(words[:cut]) + "<br>" + " ".join(words[cut:])


left, right = st.columns(2)
with left:
    st.subheader("ITC by tab and action")
    by_action = amount_labels(dashboard.itc_by_category_action(review))
    figure = px.bar(
        by_action,
        x="tab",
        y="itc",
        color="action",
        text="label",
        color_discrete_map=ACTION_COLOURS,
        labels={"itc": "ITC (₹)", "tab": "", "action": "Action"},
        custom_data=["label", "count"],
    )
    figure.update_traces(
        hovertemplate=HOVER_TAB, textposition="inside", insidetextanchor="middle", textangle=0
    )
    figure.update_layout(legend_title_text="", margin={"t": 10}, **SLICE_TEXT)
    two_line_ticks(figure, by_action["tab"])
    tallest = by_action.group_by("tab").agg(pl.col("itc").clip(lower_bound=0).sum())["itc"].max()
    rupee_axis(figure, "y", tallest)  # the positive slices stack up; a credit note's slice hangs below 0
    st.plotly_chart(figure, config=CHART_CONFIG, key="chart_by_action")
with right:
    st.subheader("ITC at risk — top suppliers")
    risk = dashboard.itc_at_risk_by_supplier(review)
    if risk.is_empty():
        st.success("No ITC at risk: IMS supports every credit the books claim.")
    else:
        risk_frame = amount_labels(plot_literals(risk), "amount")
        figure = px.bar(
            risk_frame,
            y="supplier",
            x="amount",
            color="risk",
            orientation="h",
            text="label",
            labels={"amount": "", "supplier": "", "risk": ""},
            custom_data=["label", "supplier_gstin"],
            color_discrete_map={
                figures.RISK_NOT_IN_IMS: "#5c6bc0",
                # Not Pending's amber: a double booking is a books error, not a deferred decision.
                figures.RISK_BOOKED_TWICE: "#6d4c41",
                figures.RISK_BOOKS_ABOVE_IMS: "#c62828",
            },
        )
        figure.update_traces(
            hovertemplate=HOVER_RISK, textposition="inside", insidetextanchor="middle", textangle=0
        )
        # The legend names each colour even when only one kind of risk is drawn (plotly hides a lone one).
        figure.update_layout(
            yaxis={"categoryorder": "total ascending"},
            legend=LEGEND_BELOW,
            showlegend=True,
            margin={"t": 10},
            **SLICE_TEXT,
        )
        rupee_axis(figure, "x", risk_frame["total"].max())
        st.plotly_chart(figure, config=CHART_CONFIG, key="chart_risk")

left, right = st.columns(2)
with left:
    st.subheader("Unmatched books entries against the s.16(4) time limit")
    ages = amount_labels(dashboard.ageing(review))
    figure = px.bar(
        ages,
        x="bucket",
        y="itc",
        text="label",
        labels={"itc": "ITC (₹)", "bucket": "Time left before 30 November after the FY"},
        custom_data=["label", "count"],
        color="bucket",
        color_discrete_sequence=["#b71c1c", "#e65100", "#f9a825", "#7cb342", "#2e7d32"],
    )
    figure.update_traces(hovertemplate=HOVER_AGE)
    figure.update_layout(showlegend=False, margin={"t": 10})
    two_line_ticks(figure, ages["bucket"])
    rupee_axis(figure, "y", ages["itc"].max())
    st.plotly_chart(figure, config=CHART_CONFIG, key="chart_ageing")
with right:
    st.subheader("Progress of decisions")
    progress = dashboard.decision_progress(review)
    figure = px.bar(
        progress,
        x="tab",
        y="documents",
        color="status",
        labels={"documents": "Documents", "tab": "", "status": ""},
        color_discrete_map={"Decided": "#2e7d32", "On suggestion": "#cfd8dc"},
    )
    figure.update_layout(margin={"t": 10})
    two_line_ticks(figure, progress["tab"])
    st.plotly_chart(figure, config=CHART_CONFIG, key="chart_progress")

st.subheader("Hand-outs")
_handouts.downloads(ws, client, period)
