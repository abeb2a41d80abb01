"""Users and access (admins only, on the Clients page): add a user, change role, clients, password, status.

Thin: every rule (who may do it, password length, the last admin) is in ``recon.auth.Accounts``.
"""

from __future__ import annotations

import streamlit as st

from recon.auth import ROLES, Accounts, NameLock, User, until_words
from recon.errors import InputError
from recon.safe_text import markdown_literal
from views._shared import flash, show_error


def users_panel(ws, admin: User) -> None:
    accounts = ws.accounts()
    clients = {c.id: f"{c.name} · {c.gstin}" for c in ws.clients()}
    users = accounts.users()
    locked = accounts.locked_names()
    st.dataframe(
        [
            {
                "User": u.name,
                "Role": u.role,
                "Active": "yes" if u.active else "no",
                "Clients": "all" if u.is_admin else _client_names(accounts, u, clients),
                "Sign-in": locked[u.name].words() if u.name in locked else "",
            }
            for u in users
        ],
        hide_index=True,
        width="stretch",
    )
    new_user_form(accounts, admin, clients)
    change_user_form(accounts, admin, users, clients, locked)


def _client_names(accounts: Accounts, user: User, clients: dict[int, str]) -> str:
    return ", ".join(clients[i].split(" · ")[0] for i in sorted(accounts.client_ids(user)) if i in clients)


def new_user_form(accounts: Accounts, admin: User, clients: dict[int, str]) -> None:
    st.subheader("Add a user")
    added = st.session_state.get("users_added", 0)
    with st.form(f"new_user_{added}", clear_on_submit=False):
        name = st.text_input("User name", key=f"new_user_name_{added}")
        password = st.text_input("Password", type="password", key=f"new_user_password_{added}")
        role = st.selectbox("Role", ROLES, index=1, key=f"new_user_role_{added}")
        chosen = st.multiselect(
            "Clients (a consultant opens only these)",
            list(clients),
            format_func=clients.get,
            key=f"new_user_clients_{added}",
        )
        submitted = st.form_submit_button("Add user", type="primary")
    if submitted:
        try:
            user = accounts.create_user(admin, name, password, role, chosen)
        except InputError as err:
            show_error(err)
            return
        st.session_state["users_added"] = added + 1  # a fresh, empty form: the password does not linger
        flash(f"User '{user.name}' added ({user.role}).")
        st.rerun()


def change_user_form(
    accounts: Accounts, admin: User, users: list[User], clients: dict[int, str], locked: dict
) -> None:
    st.subheader("Change a user")
    by_id = {u.id: u for u in users}
    user_id = st.selectbox("User", list(by_id), format_func=lambda i: by_id[i].name, key="change_user_pick")
    user = by_id[user_id]
    if user.name in locked:
        unlock_button(accounts, admin, user, locked[user.name])
    held = sorted(i for i in (accounts.client_ids(user) or ()) if i in clients)
    with st.form(f"change_user_{user.id}", clear_on_submit=True):  # a typed password does not linger
        role = st.selectbox("Role", ROLES, index=ROLES.index(user.role), key=f"change_role_{user.id}")
        chosen = st.multiselect(
            "Clients",
            list(clients),
            default=held,
            format_func=clients.get,
            key=f"change_clients_{user.id}",
            help="An admin opens every client whatever is chosen here.",
        )
        active = st.checkbox("May sign in", value=user.active, key=f"change_active_{user.id}")
        password = st.text_input(
            "New password (leave empty to keep)", type="password", key=f"change_password_{user.id}"
        )
        submitted = st.form_submit_button("Save user", type="primary")
    if submitted:
        try:
            if role != user.role:
                accounts.set_role(admin, user.id, role)
            if active != user.active:
                accounts.set_active(admin, user.id, active)
            if set(chosen) != set(held):
                accounts.set_clients(admin, user.id, chosen)
            if password:
                accounts.set_password(admin, user.id, password)
        except InputError as err:
            show_error(err)
            return
        flash(f"User '{user.name}' saved.")
        st.rerun()


def unlock_button(accounts: Accounts, admin: User, user: User, lock: NameLock) -> None:
    name = markdown_literal(user.name)
    st.warning(
        f"Too many failed sign-ins for '{name}': signing in {lock.where()} is refused until "
        f"{until_words(lock.until)}.",
        icon=":material/lock:",
    )
    if st.button("Unlock sign-in", key=f"unlock_{user.id}", icon=":material/lock_open:"):
        accounts.unlock(admin, user.name)
        flash(f"User '{user.name}' may sign in again.")
        st.rerun()
