"""GST IMS reconciliation workbench: sign-in gate, navigation and the sidebar client + period picker.

The page files live in ``views/``, not ``pages/``: Streamlit treats a ``pages/`` folder next to the main
script as the legacy multipage layout and, on a session's first run (and on every AppTest run), executes
the page file without this script, so the sidebar and the shared set-up would be skipped.
"""

from __future__ import annotations

import streamlit as st

from recon.present import period_label
from views._access import account_panel, gate, note_activity
from views._component_cache import cache_fingerprinted_component_files
from views._shared import note_scope, shared_workspace, workspace

st.set_page_config(page_title="IMS workbench", page_icon=":material/receipt_long:", layout="wide")
cache_fingerprinted_component_files()  # once per process: the grid's script stays in the browser's cache

RECONCILE = st.Page(
    "views/reconcile.py", title="Reconcile", icon=":material/fact_check:", url_path="reconcile"
)


def start() -> None:
    """The app's root address opens Reconcile. Streamlit serves its default page only at the root and calls
    any other address of it "not found", so Reconcile is an ordinary page (``/reconcile`` can be typed or
    bookmarked) and this hidden default hands over to it, with the client and period of the address."""
    st.switch_page(RECONCILE, query_params=dict(st.query_params))


PAGES = [
    st.Page("views/clients.py", title="Clients", icon=":material/group:", url_path="clients"),
    st.Page("views/import.py", title="Import", icon=":material/upload_file:", url_path="import"),
    RECONCILE,
    st.Page("views/dashboard.py", title="Dashboard", icon=":material/monitoring:", url_path="dashboard"),
    st.Page("views/upload.py", title="Upload", icon=":material/cloud_upload:", url_path="upload"),
    st.Page(start, title="Start", url_path="start", default=True, visibility="hidden"),
]


def client_picker() -> None:
    """Client and period stick across pages (session) and across a browser refresh (query string)."""
    ws = workspace()
    clients = ws.clients()
    if not clients:
        st.info("No clients yet: create one on the Clients page.")
        st.session_state.pop("client_id", None)
        refuse_unassigned_address(ids=())
        return
    ids = [c.id for c in clients]
    pending = st.session_state.pop("_select_client", None)  # a page asked to switch client
    if pending in ids:
        st.session_state["sidebar_client"] = pending
    if st.session_state.get("sidebar_client") not in ids:
        st.session_state.pop("sidebar_client", None)
        wanted = refuse_unassigned_address(ids)
        st.session_state["sidebar_client"] = wanted if wanted in ids else ids[0]
    names = {c.id: f"{c.name} · {c.gstin}" for c in clients}
    client_id = st.selectbox("Client", ids, format_func=names.get, key="sidebar_client")
    st.session_state["client_id"] = client_id
    client = ws.client(client_id)
    # The box cuts a long name's GSTIN short; the GSTIN whose data is on screen is always read whole here.
    st.caption(f"GSTIN: {client.gstin}")
    periods = ws.periods(client.id)
    if client.return_period not in periods:
        periods.insert(0, client.return_period)
    period_key = f"sidebar_period_{client.id}"
    pending_period = st.session_state.pop("_select_period", None)  # a page asked to switch period
    if pending_period in periods:
        st.session_state[period_key] = pending_period
    if st.session_state.get(period_key) not in periods:
        from_url = st.query_params.get("period")
        st.session_state[period_key] = from_url if from_url in periods else client.return_period
    period = st.selectbox("Return period", periods, format_func=period_label, key=period_key)
    st.session_state["period"] = period
    note_scope(client.id, period)
    st.query_params["client"] = str(client.id)
    st.query_params["period"] = period


@st.cache_resource
def _interrupted_at_start() -> list:
    """What this server's start found interrupted (a killed process's import, decision, upload)."""
    return shared_workspace().interrupted()


def interrupted_notice() -> None:
    """Said once per browser session: what the last run left unfinished and what became of it."""
    if st.session_state.get("_interrupted_seen"):
        return
    ws = workspace()
    # An upload resumed since the start is no longer news; the rest was closed when found.
    found = [
        i
        for i in _interrupted_at_start()
        if (i.client_id is None or ws.client(i.client_id) is not None)  # only this user's clients
        and (not i.resumable or ws.still_open(i))
    ]
    if not found:
        return
    box = st.container(border=True)
    for interruption in found:
        box.warning(interruption.message, icon=":material/restart_alt:")
    if box.button("OK", key="interrupted_seen"):
        st.session_state["_interrupted_seen"] = True
        st.rerun()


def refuse_unassigned_address(ids) -> int | None:
    """The address's ``?client=N`` when it is one of this user's clients; otherwise say no, without
    telling whether such a client exists, and leave the choice to the picker."""
    wanted = _query_int("client")
    if wanted is not None and wanted not in ids:
        st.session_state["_refused_address"] = True
        st.query_params.pop("client", None)
        st.query_params.pop("period", None)
    return wanted


def show_refused_address() -> None:
    if st.session_state.pop("_refused_address", False):
        st.error(
            "The address names a client that is not one of yours, so it was not opened. "
            "Pick one of your clients in the sidebar, or ask an admin of the firm to assign it.",
            icon=":material/block:",
        )


def _query_int(name: str) -> int | None:
    value = st.query_params.get(name)
    return int(value) if value and value.isdigit() else None


user = gate(PAGES)  # an anonymous visitor sees the sign-in form and nothing else
navigation = st.navigation(PAGES)
with st.sidebar:
    client_picker()
    account_panel(user)
interrupted_notice()
if navigation.url_path:  # not on the root's hand-over to Reconcile: the refusal shows on the page opened
    show_refused_address()
try:
    navigation.run()
finally:
    note_activity()
