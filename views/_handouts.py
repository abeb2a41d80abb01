"""Working paper and supplier follow-up downloads (recon.paper)."""

from __future__ import annotations

import streamlit as st

from recon.errors import InputError


def downloads(ws, client, period, review) -> None:
    try:
        paper = ws.working_paper(client.id, period)
        followups = ws.supplier_followups(client.id, period)
    except ImportError:
        st.caption("The working-paper module is not installed in this build.")
        return
    except InputError as err:
        st.error(str(err))
        return
    cols = st.columns(2)
    cols[0].download_button(
        "Working paper (Excel)",
        data=paper,
        file_name=f"IMS_working_paper_{client.gstin}_{period}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_paper",
        on_click="ignore",
        icon=":material/table_view:",
    )
    cols[1].download_button(
        "Supplier follow-ups (Excel)",
        data=followups,
        file_name=f"IMS_supplier_followups_{client.gstin}_{period}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_followups",
        on_click="ignore",
        icon=":material/mail:",
    )
