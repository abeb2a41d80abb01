"""Sign-in, sign-out and the idle timeout, bound to Streamlit (the rules live in ``recon.auth``).

A session holds only the signed-in user's id and when it was last used, under a key no widget has (so no
browser can set it). The user is looked up again on every run: an admin's change of role, clients or
status applies on the next click. A refresh of the browser starts a new session, which signs in again.
"""

from __future__ import annotations

import logging
import time

import streamlit as st

from recon.auth import Accounts, SignInLocked, User, clean_name, idle_timeout_seconds
from views._shared import shared_workspace, show_error

AUTH = "_auth"  # {"user_id": int, "last_seen": epoch seconds}
SIGNED_OUT = "_signed_out"  # why the last session ended, shown on the sign-in form
IDLE_SECONDS = idle_timeout_seconds()  # read once per server process, like the rest of the settings

log = logging.getLogger(__name__)


def accounts() -> Accounts:
    return shared_workspace().accounts()


def current_user() -> User | None:
    """The signed-in user of this session, or None (never signed in, idle too long, or switched off)."""
    state = st.session_state.get(AUTH)
    if not state:
        return None
    if time.time() - state["last_seen"] > IDLE_SECONDS:
        sign_out(f"You were signed out after {duration_words(IDLE_SECONDS)} without activity.")
        return None
    user = accounts().user(state["user_id"])
    if user is None:
        sign_out("Your sign-in is no longer valid. Ask an admin of the firm if this is unexpected.")
    return user


def activity_marker():
    """Called on each use of the workspace: a grid edit inside a fragment is activity too."""
    state = st.session_state[AUTH]
    return lambda: state.__setitem__("last_seen", time.time())


def note_activity() -> None:
    """The end of a run is activity too: a page that took long to run did not leave the user idle."""
    state = st.session_state.get(AUTH)
    if state:
        state["last_seen"] = time.time()


def gate(pages: list) -> User:
    """The signed-in user; anyone else gets the sign-in form and nothing more (the run stops).

    The pages are registered but hidden and not run: the address's page (``/dashboard?client=3``) is
    still the one that opens after signing in, and no link of the app shows before.
    """
    user = current_user()
    if user is None:
        st.navigation(pages, position="hidden")
        sign_in_page()
        st.stop()
    st.session_state[AUTH]["last_seen"] = time.time()
    return user


def sign_in_page() -> None:
    st.title("IMS workbench")
    reason = st.session_state.get(SIGNED_OUT)
    if reason:
        st.info(reason, icon=":material/logout:")
    known = accounts()
    with st.form("sign_in", clear_on_submit=True):  # the typed password does not stay in the session
        name = st.text_input("User name", key="sign_in_name", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="sign_in_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = known.sign_in(name, password, address=browser_address())
        except SignInLocked as locked:
            log.warning(
                "sign-ins refused for %s until %s", _loggable(known, name), f"{locked.until:%H:%M} UTC"
            )
            show_error(locked)
            user = None
        else:
            if user is None:
                log.info("failed sign-in for %s", _loggable(known, name))
                st.error("Wrong user name or password.", icon=":material/error:")
        if user is not None:
            sign_in(user)
            st.rerun()
    if known.demo_login_open():
        st.caption("Demo: sign in as **demo** with the password **demo** to open the demo client.")
    if not known.users():
        st.warning(
            "No one can sign in yet. The administrator sets IMS_WORKBENCH_ADMIN_USER and "
            "IMS_WORKBENCH_ADMIN_PASSWORD (or admin_user / admin_password under [workbench] in "
            ".streamlit/secrets.toml) and restarts the app."
        )


def browser_address() -> str | None:
    """The address the browser connects from, which failed sign-ins are counted by (None on the server
    itself and in tests: counted as one place). Behind a reverse proxy it is the proxy's unless the proxy
    forwards the client's address."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None  # AppTest's stand-in runtime answers a mock


def _loggable(known: Accounts, name: str) -> str:
    """Only a known user's name is logged: a password typed into the name field stays out of the log."""
    known_name = clean_name(name) in {u.name for u in known.users()}
    return clean_name(name) if known_name else "an unknown user name"


def sign_in(user: User) -> None:
    """A fresh session for this user: nothing chosen by whoever used this browser before carries over."""
    for key in list(st.session_state):
        del st.session_state[key]
    st.session_state[AUTH] = {"user_id": user.id, "last_seen": time.time()}
    log.info("user %s signed in", user.name)


def sign_out(reason: str) -> None:
    for key in list(st.session_state):
        del st.session_state[key]
    st.session_state[SIGNED_OUT] = reason


def account_panel(user: User) -> None:
    """Sidebar: who is signed in, the sign-out button, and the idle watch."""
    st.caption(f"Signed in as **{user.name}** · {user.role}")
    if st.button("Sign out", key="sign_out", icon=":material/logout:"):
        log.info("user %s signed out", user.name)
        sign_out("You signed out.")
        st.rerun()
    idle_watch()


@st.fragment(run_every=max(1.0, min(60.0, IDLE_SECONDS / 4)))
def idle_watch() -> None:
    """Signs an idle session out while nobody touches it, so a screen left open does not stay open."""
    state = st.session_state.get(AUTH)
    if state and time.time() - state["last_seen"] > IDLE_SECONDS:
        sign_out(f"You were signed out after {duration_words(IDLE_SECONDS)} without activity.")
        st.rerun()


def duration_words(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} seconds"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
