"""Upload: what will be sent, the action JSON to download, and the upload through the portal connector."""

from __future__ import annotations

import polars as pl
import streamlit as st

from recon.errors import InputError
from recon.model import ACTION_LABELS
from recon.safe_text import markdown_literal
from views import _portal
from views._shared import heading, require_client, show_error, show_flash, workspace

ws = workspace()
client, period = require_client()
heading("Upload", client, period)
show_flash()

ready, advice = ws.ready(client.id, period)
if not ready:
    st.info(advice)
    st.stop()

PROFILES = {
    "offline": "Offline file (IMS Dashboard → Offline → Upload JSON)",
    "api": "API (through a GSP connector)",
}
PROFILE_ADVICE = {
    "offline": (
        "For consultants without a GSP: upload the file(s) below at IMS Dashboard → Offline → Upload JSON. "
        "GSTN has not published this file's schema, so make the first upload a small one and look at the "
        "portal's result before sending the rest."
    ),
    "api": (
        "For the portal connector: every record carries prev_status (the action the portal holds now), "
        "so download IMS again just before uploading."
    ),
}


def left_out_panel(upload) -> None:
    """The records the portal would refuse: listed with the reason, left out, downloadable."""
    st.warning(
        f"{upload.left_out.height:,} document(s) are left out of this upload: the portal would refuse them. "
        "Everything else is written. Fix them on the Reconcile page (or with the supplier) and upload again."
    )
    st.dataframe(
        upload.left_out.select(
            pl.col("supplier_gstin").alias("Supplier GSTIN"),
            pl.col("doc_no").alias("Document"),
            pl.col("section").alias("Section"),
            pl.col("action").replace_strict(ACTION_LABELS, default=None).alias("Action"),
            pl.col("reason").alias("Why the portal would refuse it"),
        ),
        hide_index=True,
        width="stretch",
        key="left_out_table",
    )
    st.download_button(
        "Download the list of left-out documents (CSV)",
        data=upload.left_out_csv(),
        file_name=f"IMS_left_out_{upload.rtin}_{upload.period or period}.csv",
        mime="text/csv",
        key="download_left_out",
        on_click="ignore",
        icon=":material/download:",
    )


profile = st.radio("Profile", list(PROFILES), format_func=PROFILES.get, horizontal=True, key="upload_profile")
st.caption(PROFILE_ADVICE[profile])

st.caption(
    "Only your decisions are sent: a suggestion is shown on Reconcile but never sent until you apply it "
    'there (per row, per selection, or with "Apply these suggestions").'
)

try:
    upload = ws.build_upload(client.id, period, profile)
except InputError as err:
    show_error(err)
    st.stop()

_portal.resume_panel(ws, client, period)
_portal.show_last_outcome(client, period)
st.subheader("What will be sent")
summary = upload.summary() if not upload.is_empty else {"total": 0, "by_action": {}, "by_section": {}}
cols = st.columns(5)
cols[0].metric("Documents to change", f"{summary['total']:,}")
for index, code in enumerate(("A", "R", "P", "N"), start=1):
    label = "No Action (RESET)" if code == "N" else ACTION_LABELS[code]
    cols[index].metric(label, f"{summary['by_action'].get(code, 0):,}")
if summary["by_section"]:
    st.caption("By section: " + ", ".join(f"{s} {n:,}" for s, n in summary["by_section"].items()))
if upload.is_empty and upload.left_out.is_empty():
    st.info(
        "No changes to send: every decision is already held on the portal. Suggestions are sent only once "
        "you make them yours on Reconcile (Accept matched, Apply these suggestions, or per row)."
    )
elif upload.is_empty:
    st.info(upload.summary_lines()[0])
else:
    st.success(
        "Validation passed: every record written echoes the portal's download and passes the IMS rules."
    )
if not upload.left_out.is_empty():
    left_out_panel(upload)
if upload.skipped:
    with st.expander(f"Not exported ({len(upload.skipped)})"):
        # Each line quotes a supplier's document number: shown as typed (safe_text).
        st.write("\n".join(f"- {markdown_literal(line)}" for line in upload.skipped))

if not upload.is_empty:
    st.subheader("Download JSON")
    files = upload.to_files()
    for name, content in files.items():
        st.download_button(
            f"Download {name}",
            data=content,
            file_name=name,
            mime="application/json",
            key=f"download_{name}",
            on_click="ignore",
            icon=":material/download:",
        )
    if len(files) > 1:
        st.caption(
            "Upload the SAVE file(s) and the RESET file separately; RESET returns documents to No Action."
        )

    st.subheader("Upload to the portal")
    _portal.upload_panel(ws, client, period, upload)

history = ws.upload_history(client.id, period)
if history:
    with st.expander(f"Earlier uploads ({len(history)})"):
        st.dataframe(
            [
                {
                    "When": h["at"],
                    "Route": h["route"],
                    "Profile": h["profile"],
                    "Documents": len(h["summary"].get("actions", {})),
                    "Status": h["status"],
                }
                for h in history
            ],
            hide_index=True,
        )
