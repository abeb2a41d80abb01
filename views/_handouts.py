"""Working paper and per-supplier follow-up downloads (recon.paper through the workspace)."""

from __future__ import annotations

import streamlit as st

from recon.present import TAX_INVOLVED, followup_message, inr

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(max_entries=4, show_spinner=False)
def _paper(_ws, client_id: int, period: str, version: tuple) -> bytes:
    # Cached per decisions version: building the workbook for a lakh of rows takes seconds.
    return _ws.working_paper(client_id, period)


def downloads(ws, client, period) -> None:
    version = ws.handouts_version(client.id, period)
    st.download_button(
        "Working paper (Excel)",
        data=_paper(ws, client.id, period, version),
        file_name=f"IMS_working_paper_{client.gstin}_{period}.xlsx",
        mime=XLSX,
        key="download_paper",
        on_click="ignore",
        icon=":material/table_view:",
    )
    trail = ws.audit_trail(client.id, period)
    st.download_button(
        f"Audit trail (CSV, {trail.height:,} changes)",
        data=ws.audit_csv(client.id, period),
        file_name=f"IMS_audit_trail_{client.gstin}_{period}.csv",
        mime="text/csv",
        key="download_audit",
        on_click="ignore",
        icon=":material/history:",
        help="Who set which action, when, from what, with which remark (user, bulk, upload, link).",
    )
    followups = ws.supplier_followups(client.id, period)
    if not followups:
        st.caption("No supplier needs a follow-up.")
        return
    names = {gstin: (items[0].get("supplier_name") or gstin) for gstin, items in followups.items()}
    gstin = st.selectbox(
        f"Follow-up message for a supplier ({len(followups)} to contact)",
        list(followups),
        format_func=lambda g: f"{names[g]} · {g} · {len(followups[g])} document(s)",
        key="followup_supplier",
    )
    items = followups[gstin]
    message = followup_message(client.name, client.gstin, names[gstin], items)
    st.text_area("Message", message, height=220, key=f"followup_text_{gstin}")
    st.caption(f"{TAX_INVOLVED} {inr(sum(i.get('total_tax') or 0.0 for i in items), 2)}")
    st.download_button(
        "Download this message",
        data=message.encode(),
        file_name=f"follow_up_{gstin}_{period}.txt",
        mime="text/plain",
        key="download_followup",
        on_click="ignore",
        icon=":material/mail:",
    )
