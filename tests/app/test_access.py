"""Sign-in and per-client access through AppTest: what an anonymous visitor, a consultant and an admin see."""

from __future__ import annotations

import time

import pytest
from handwritten_files import CLIENT_A, CLIENT_B, ims_download, tally_register
from streamlit.testing.v1 import AppTest

from recon.auth import Accounts

from .conftest import APP, sign_in

PERIOD = "112025"
PAGES = ("views/clients.py", "views/import.py", "views/reconcile.py", "views/dashboard.py", "views/upload.py")


@pytest.fixture
def two_clients(workspace):
    """Acme (client A) for asha, Bharat (client B) for ravi; both with books and IMS."""
    made = {}
    for name, gstin, numbers in (
        ("Acme Industries", CLIENT_A, [(0, "A-1"), (1, "A-2")]),
        ("Bharat Traders", CLIENT_B, [(0, "B-7"), (2, "B-8")]),
    ):
        client = workspace.create_client(name, gstin, PERIOD)
        workspace.import_file(
            client.id, PERIOD, tally_register(numbers), "Purchase Register.xlsx", kind="books"
        )
        workspace.import_file(client.id, PERIOD, ims_download(numbers, rtin=gstin), "ims.json", kind="ims")
        made[name.split()[0].lower()] = client
    return made


def as_consultant(db_url, workspace, name: str, client_ids, *, client: int | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if client is not None:
        at.query_params["client"] = str(client)
    user = sign_in(at, db_url, name, "consultant")
    workspace.store.set_user_clients(user.id, client_ids)
    return at.run()


def shown(at: AppTest) -> str:
    """Every text a person could read on the page, the sidebar's choices included."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "error",
        "warning",
        "success",
    ):
        parts += [str(e.value) for e in getattr(at, kind)]
    for box in at.selectbox:
        parts += [str(o) for o in box.options]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [str(t.label) for t in at.tabs]
    return "\n".join(parts)


def submit_sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def test_an_anonymous_visitor_sees_only_the_sign_in_form(db_url, workspace, two_clients):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert not at.selectbox and not at.dataframe and not at.tabs
    text = shown(at)
    assert "Acme" not in text and "Bharat" not in text and CLIENT_A not in text


def test_a_wrong_password_is_refused_in_plain_words_and_the_right_one_signs_in(
    db_url, workspace, two_clients
):
    Accounts(workspace.store).create_user(
        None, "asha", "asha-password-1", "consultant", [two_clients["acme"].id]
    )
    at = submit_sign_in(AppTest.from_file(APP, default_timeout=120).run(), "asha", "wrong-password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert not at.selectbox
    at = submit_sign_in(at, "Asha", "asha-password-1")
    assert not at.error
    assert any("Signed in as **asha**" in c.value for c in at.sidebar.caption)
    assert at.selectbox(key="sidebar_client").value == two_clients["acme"].id


@pytest.mark.parametrize("page", PAGES)
def test_a_consultant_never_sees_another_consultants_client_on_any_page(db_url, workspace, two_clients, page):
    at = as_consultant(db_url, workspace, "asha", [two_clients["acme"].id])
    at.switch_page(page).run()
    assert not at.exception
    text = shown(at)
    assert "Bharat" not in text and CLIENT_B not in text
    assert at.selectbox(key="sidebar_client").options == [f"Acme Industries · {CLIENT_A}"]


def test_the_address_of_another_consultants_client_is_refused(db_url, workspace, two_clients):
    at = as_consultant(db_url, workspace, "asha", [two_clients["acme"].id], client=two_clients["bharat"].id)
    assert any("not one of yours" in e.value for e in at.error)
    assert at.selectbox(key="sidebar_client").value == two_clients["acme"].id
    assert at.query_params["client"] == str(two_clients["acme"].id)
    text = shown(at)
    assert "Bharat" not in text and CLIENT_B not in text


def test_a_consultant_without_clients_is_refused_the_address_too(db_url, workspace, two_clients):
    at = as_consultant(db_url, workspace, "ravi", [], client=two_clients["acme"].id)
    assert any("not one of yours" in e.value for e in at.error)
    assert "Acme" not in shown(at)


def test_sign_out_returns_to_the_sign_in_form(app, two_clients):
    at = app("views/reconcile.py")
    at.sidebar.button(key="sign_out").click().run()
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert any("You signed out." in i.value for i in at.info)
    assert not at.selectbox


def test_an_idle_session_is_signed_out_on_its_next_click(app, two_clients):
    at = app("views/reconcile.py")
    at.session_state["_auth"]["last_seen"] = time.time() - 31 * 60
    at.run()
    assert any("signed out after 30 minutes without activity" in i.value for i in at.info)
    assert not at.selectbox and "Acme" not in shown(at)


def test_only_an_admin_manages_users_and_a_new_user_can_sign_in(db_url, app, workspace, two_clients):
    consultant = as_consultant(db_url, workspace, "asha", [two_clients["acme"].id])
    consultant.switch_page("views/clients.py").run()
    assert "Users and access" not in [t.label for t in consultant.tabs]

    at = app("views/clients.py")  # the conftest's admin
    assert "Users and access" in [t.label for t in at.tabs]
    at.text_input(key="new_user_name_0").input("Kiran")
    at.text_input(key="new_user_password_0").input("kiran-password-1")
    at.multiselect(key="new_user_clients_0").select(two_clients["bharat"].id)
    next(b for b in at.button if b.label == "Add user").click().run()
    assert any("User 'kiran' added" in s.value for s in at.success)
    kiran = Accounts(workspace.store).sign_in("kiran", "kiran-password-1")
    assert kiran is not None and not kiran.is_admin
    assert Accounts(workspace.store).client_ids(kiran) == {two_clients["bharat"].id}


def test_the_portal_session_belongs_to_the_user_who_typed_the_otp(db_url, app, workspace, monkeypatch):
    from .test_portal_demo import enter_otp_and_retry

    monkeypatch.setenv("IMS_WORKBENCH_DEMO", "1")
    owner = app("views/import.py")  # the admin fetches from the sandbox portal with the OTP
    [client] = workspace.clients()
    enter_otp_and_retry(owner, "fetch", "fetch_portal")
    fetched = len(workspace.store.imports(client.id, client.return_period, active_only=False))
    owner.button(key="fetch_portal").click().run()  # their session holds: no OTP asked again
    assert len(workspace.store.imports(client.id, client.return_period, active_only=False)) == fetched + 1

    other = AppTest.from_file(APP, default_timeout=120)
    sign_in(other, db_url, "demo")  # the demo login, which also opens the demo client
    other.run()
    other.switch_page("views/import.py").run()
    assert other.selectbox(key="sidebar_client").value == client.id
    other.button(key="fetch_portal").click().run()
    assert not other.exception
    assert any("Enter it to continue" in i.value for i in other.info)  # asked for their own OTP
    assert len(workspace.store.imports(client.id, client.return_period, active_only=False)) == fetched + 1
