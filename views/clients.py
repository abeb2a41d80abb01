"""Clients: create, edit and select (name, GSTIN, return period, monthly or quarterly filing); an admin also
manages users and access.

A consultant sees only the clients assigned to them (``Workspace.signed_in``); a client they create is
assigned to them at once.
"""

from __future__ import annotations

import streamlit as st

from recon.errors import InputError
from recon.gstin import state_code, state_name
from recon.present import period_label
from recon.safe_text import markdown_literal
from recon.workspace import default_period
from views._access import current_user
from views._shared import flash, heading, selected_client, show_error, show_flash, workspace

FILING_LABELS = {"monthly": "Monthly", "quarterly": "Quarterly (QRMP)"}

ws = workspace()
heading("Clients")
show_flash()

clients = ws.clients()
if clients:
    st.dataframe(
        [
            {
                "Name": c.name,
                "GSTIN": c.gstin,
                "State": state_name(c.state_code) or "",
                "Return period": period_label(c.return_period),
                "Files": FILING_LABELS[c.return_frequency],
                "Demo": "yes" if c.is_demo else "",
            }
            for c in clients
        ],
        hide_index=True,
        width="stretch",
    )
    names = {c.id: f"{c.name} · {c.gstin}" for c in clients}
    current = selected_client()
    ids = list(names)
    # Keyed by the selected client: a picker remembered from before a switch (or a "Create client") would
    # otherwise still show the previous client and offer to switch back to it.
    choice = st.selectbox(
        "Work on client",
        ids,
        index=ids.index(current.id) if current else 0,
        format_func=names.get,
        key=f"clients_pick_{current.id if current else 0}",
    )
    if (current is None or choice != current.id) and st.button(
        "Select this client", key="select_client", type="primary"
    ):
        st.session_state["_select_client"] = choice
        st.rerun()


def client_form(form_key: str, submit_label: str, name="", gstin="", period=None, frequency="monthly"):
    """The four fields and a live state read-out; returns (submitted, name, gstin, period, frequency)."""
    with st.form(form_key, clear_on_submit=False):
        name = st.text_input("Client name", value=name, key=f"{form_key}_name")
        gstin = st.text_input("GSTIN", value=gstin, max_chars=15, key=f"{form_key}_gstin")
        period = st.text_input(
            "Return period (MMYYYY)",
            value=period or default_period(),
            max_chars=6,
            help="The month whose IMS you are working on, e.g. 112025 for November 2025.",
            key=f"{form_key}_period",
        )
        frequency = st.radio(
            "Return filing",
            list(FILING_LABELS),
            index=list(FILING_LABELS).index(frequency),
            format_func=FILING_LABELS.get,
            horizontal=True,
            help="Quarterly (QRMP): one GSTR-2B per quarter, and a credit note may stay Pending for a quarter.",
            key=f"{form_key}_frequency",
        )
        code = state_code(gstin)
        if code and state_name(code):
            st.caption(f"State from GSTIN: {code} · {state_name(code)}")
        submitted = st.form_submit_button(submit_label, type="primary")
    return submitted, name, gstin, period, frequency


user = current_user()
tabs = st.tabs(["New client", "Edit selected client", *(["Users and access"] if user.is_admin else [])])
tab_new, tab_edit = tabs[:2]
with tab_new:
    # A fresh (empty) form after each client created; the first form keeps the plain key.
    created = st.session_state.get("clients_created", 0)
    submitted, name, gstin, period, frequency = client_form(
        "new_client" if not created else f"new_client_{created}", "Create client"
    )
    if submitted:
        try:
            client = ws.create_client(name, gstin, period, frequency=frequency)
        except InputError as err:
            show_error(err)
        else:
            st.session_state["_select_client"] = client.id
            st.session_state["clients_created"] = created + 1
            flash(
                f"Client '{markdown_literal(client.name)}' created and selected ({state_name(client.state_code)})."
            )
            st.rerun()

with tab_edit:
    current = selected_client()
    if current is None:
        st.info("Select a client to edit it.")
    else:
        submitted, name, gstin, period, frequency = client_form(
            f"edit_client_{current.id}",
            "Save changes",
            current.name,
            current.gstin,
            current.return_period,
            current.return_frequency,
        )
        if submitted:
            try:
                edited = ws.edit_client(current.id, name, gstin, period, frequency=frequency)
            except InputError as err:
                show_error(err)
            else:
                st.session_state["_select_period"] = edited.return_period
                flash("Client saved.")
                st.rerun()

if user.is_admin:
    with tabs[2]:
        from views._users import users_panel

        users_panel(ws, user)
