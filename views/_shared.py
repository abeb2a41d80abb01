"""What every page shares: the workspace, the selected client and period, error display.

Thin on purpose: the workflow lives in ``recon.workspace``; this only binds it to Streamlit.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import threading
import time

import streamlit as st

from recon.auth import first_admin_setting
from recon.errors import InputError
from recon.present import period_label
from recon.safe_text import markdown_literal
from recon.workspace import Client, Store, Workspace


@st.cache_resource
def shared_workspace() -> Workspace:
    """One workspace per server process, on the database named by env / secrets / default.

    Shared by every session, so it never holds a user: pages take ``workspace()``, the signed-in
    person's view of it. First run: the admin from the settings, and the demo client with its login.
    """
    try:
        store = Store()
    except InputError as err:
        st.error(str(err))  # a wrong database setting, said in words; nothing to show without the store
        st.stop()
    ws = Workspace(store, user="demo set-up")
    start_session_sweeper()
    demo_on = os.environ.get("IMS_WORKBENCH_DEMO", "1") != "0"
    if demo_on:
        from recon.demo import ensure_demo

        ensure_demo(ws)
    accounts = ws.accounts()
    accounts.ensure_first_admin(first_admin_setting())
    accounts.ensure_demo_login(demo_on)
    return ws


def workspace() -> Workspace:
    """The shared workspace as this session's signed-in person uses it: their name in the audit trail,
    their clients only (``Workspace.signed_in``)."""
    from views._access import activity_marker, current_user

    user = current_user()
    if user is None:
        st.stop()  # app.py's gate shows the sign-in form; nothing of the workspace without a user
    return shared_workspace().signed_in(user, on_use=activity_marker())


def selected_client() -> Client | None:
    client_id = st.session_state.get("client_id")
    return workspace().client(client_id) if client_id else None


def selected_period() -> str | None:
    return st.session_state.get("period")


def require_client() -> tuple[Client, str]:
    """The selected client and period, or a pointer to the Clients page (and stop)."""
    client, period = selected_client(), selected_period()
    if client is None or not period:
        st.info("Create or select a client first (Clients page, or the picker in the sidebar).")
        st.page_link("views/clients.py", label="Go to Clients", icon=":material/group:")
        st.stop()
    return client, period


def note_scope(client_id: int, period: str) -> None:
    """The sidebar's choice of client and period; a change starts every form on every page afresh."""
    if st.session_state.get("_scope") != (client_id, period):
        st.session_state["_scope"] = (client_id, period)
        st.session_state["_scope_generation"] = st.session_state.get("_scope_generation", 0) + 1
        # An OTP asked for one client is not typed in for another: the prompt waits for a new request.
        for flag in [k for k in st.session_state if str(k).endswith("_otp_needed")]:
            del st.session_state[flag]


def form_key(name: str) -> str:
    """A widget key bound to the selected client and period, for uploaders and forms.

    A file chosen, a mapping edited or an OTP typed for one client is gone once the sidebar switches to
    another (or back): the new key is a new, empty widget, so nothing meant for client A reaches client B.
    """
    client_id, period = st.session_state.get("_scope", (None, None))
    return f"{name}__{client_id}_{period}_{st.session_state.get('_scope_generation', 0)}"


def heading(title: str, client: Client | None = None, period: str | None = None) -> None:
    st.title(title)
    if client:
        st.caption(
            f"**{markdown_literal(client.name)}** · GSTIN {client.gstin} · return period {period_label(period)}"
        )


def lazy_expander(label: str, key: str, **options):
    """An expander whose body the page fills only while it is open (``if panel.open:``).

    Streamlit sends a closed expander's contents too: a table of thousands of rows under a collapsed
    label cost every visit its conversion and sending, and the browser its drawing. Opening it reruns the
    page with the body (``.open`` needs the key and ``on_change``: docs/reference/streamlit-aggrid.md §5.9).
    """
    return st.expander(label, key=key, on_change="rerun", **options)


def show_error(err: InputError) -> None:
    """A bad file or field: the message in words, never a traceback.

    The message quotes the file's own cells, which show as typed, never as a link or image (safe_text).
    """
    st.error(markdown_literal(str(err)), icon=":material/error:")


def flash(message: str, kind: str = "success") -> None:
    """A message that survives the rerun which follows a button (shown by ``show_flash``)."""
    st.session_state["_flash"] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop("_flash", (None, None))
    if message:
        getattr(st, kind)(message)


# How often closed sessions past Streamlit's reconnect window are let go (see start_session_sweeper).
SWEEP_SECONDS = 30


def start_session_sweeper() -> None:
    """Return the memory of closed browser sessions once Streamlit's reconnect window has passed.

    Streamlit keeps a closed browser's session for ``server.disconnectedSessionTTL`` in case it reconnects,
    but lets an expired one go only when another session disconnects later: after the last consultant of a
    round closes the Reconcile page, their sessions (and the grid rows they hold) would stay until someone
    else comes and goes. One daemon thread per process asks the storage to drop expired sessions every
    30 seconds. It uses Streamlit's session storage as Streamlit 1.67 lays it out; on any other layout it
    does nothing and says so in the log.
    """
    thread = threading.Thread(target=_sweep_forever, name="session-sweeper", daemon=True)
    thread.start()


def _sweep_forever() -> None:
    while True:
        time.sleep(SWEEP_SECONDS)
        if not _drop_expired_sessions():
            return


def _drop_expired_sessions() -> bool:
    """Drop expired disconnected sessions; False when this Streamlit does not offer what it needs."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return False  # no server (AppTest, bare mode): no sessions to sweep
    try:
        manager = Runtime.instance()._session_mgr
        storage, lock = manager._session_storage._cache, manager._storage_lock
        with lock:
            dropped = storage.expire()
    except (AttributeError, RuntimeError) as err:
        logging.getLogger(__name__).warning("closed sessions are not swept on this Streamlit: %s", err)
        return False
    if dropped:
        gc.collect()  # a session is a web of cycles; the app turns off the collection after each run
        return_freed_memory()
    return True


def return_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Python's objects live in glibc's heap, which keeps freed pages for reuse: after a round of sessions
    holding grid rows closes, the server would stay at its peak although the memory is free. polars' own
    allocator returns its free pages by itself after a few idle seconds.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return  # not glibc (musl, macOS, Windows): nothing to ask for
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
