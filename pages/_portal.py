"""Fetch and Upload through the portal connector (recon.portal.service), with the OTP prompt."""

from __future__ import annotations

import streamlit as st

SAVED_MESSAGE = "Your data has been successfully saved on the GSTN portal"


def _service():
    try:
        from recon.portal import service
    except ImportError:
        return None
    return service


def fetch_panel(ws, client, period) -> None:
    service = _service()
    if service is None:
        st.caption("The portal connector is not installed in this build; import the IMS download instead.")
        return
    st.caption(
        "Fetching needs the portal connector configured for this GSTIN (demo: the local sandbox portal)."
    )


def upload_panel(ws, client, period, upload) -> None:
    service = _service()
    if service is None:
        st.caption(
            "The portal connector is not installed in this build; upload the JSON file(s) above instead."
        )
        return
